"""Run every benchmark: `python -m bench` (or `make bench`)."""

from __future__ import annotations

from bench import members_page, mentoring_pages


def main() -> None:
    for benchmark in (members_page, mentoring_pages):
        benchmark.run()


if __name__ == "__main__":
    main()
