"""Tiny timing helpers: the median of repeated runs, reported as a ratio to a baseline."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(function: Callable[[], object], repeat: int = 15) -> float:
    function()  # warm caches and connections once
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def report(name: str, measured: float, baseline_name: str, baseline: float) -> None:
    print(
        f"{name}: {measured * 1000:.1f} ms; {baseline_name}: {baseline * 1000:.1f} ms; "
        f"ratio {measured / baseline:.2f}"
    )
