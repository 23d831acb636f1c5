"""The dashboard's charts laid out for server-rendered SVG: plain geometry the templates draw,
no JavaScript and no inline styles (colours are SVG presentation attributes, which the CSP
allows). A chart scales to its container through its viewBox; the numbers it shows are also in
the table beside it, and each chart says what it shows in its `<title>` and `<desc>`.

Nothing here reads the database: the figures come from `services`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import cycle
from math import ceil

from .services import CategoryCount, Week, plural

# Narrow on purpose: on a phone the picture shrinks to the screen's width, and its labels with it.
WIDTH = 480
OFFER_COLOUR = "#15803d"  # the green of an offer's badge, darker to read on white
NEED_COLOUR = "#b45309"  # the amber of a need's badge, likewise


# --- open offers and needs by category: a horizontal bar chart --------------------------------


@dataclass(frozen=True)
class Bar:
    kind: str  # "offer" or "need"
    value: int
    colour: str
    x: float
    y: float
    width: float
    height: float
    text: str  # "3 offers": the value says what it counts, so colour is never the only cue
    text_x: float
    text_y: float


@dataclass(frozen=True)
class BarRow:
    label: str
    label_y: float
    bars: tuple[Bar, Bar]


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    rows: list[BarRow]
    legend: tuple[tuple[str, str], ...] = (("Offers", OFFER_COLOUR), ("Needs", NEED_COLOUR))


# Each category is a row: its name on a line of its own (long names need the width on a phone),
# then its offers bar, then its needs bar, each followed by its value.
_LEFT = 8
_TOP = 52  # below the legend
_ROW = 110
_BAR = 28
_VALUE_ROOM = 120  # for "12 offers" after the longest bar


def category_bars(rows: Sequence[CategoryCount], width: int = WIDTH) -> BarChart:
    peak = max([1, *(max(row.offers, row.needs) for row in rows)])
    longest = width - _LEFT - _VALUE_ROOM
    laid_out = []
    for n, row in enumerate(rows):
        top = _TOP + n * _ROW
        bars = []
        for m, (kind, value, colour) in enumerate(
            (("offer", row.offers, OFFER_COLOUR), ("need", row.needs, NEED_COLOUR))
        ):
            y = top + 34 + m * (_BAR + 6)
            length = round(longest * value / peak, 1)
            bars.append(
                Bar(
                    kind=kind,
                    value=value,
                    colour=colour,
                    x=_LEFT,
                    y=y,
                    width=length,
                    height=_BAR,
                    text=plural(value, kind),
                    text_x=round(_LEFT + length + 8, 1),
                    text_y=y + 21,
                )
            )
        laid_out.append(BarRow(row.label, top + 24, (bars[0], bars[1])))
    return BarChart(width, _TOP + len(rows) * _ROW, laid_out)


# --- new posts, claims and new members per week: a line chart ---------------------------------


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: int


@dataclass(frozen=True)
class Line:
    key: str
    name: str
    colour: str
    dash: str  # stroke-dasharray: lines differ in pattern and marker, not only in colour
    marker: str  # "circle", "square" or "diamond"
    legend_x: int
    points: list[Point]

    @property
    def path(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class XLabel:
    x: float
    text: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    lines: list[Line]
    y_ticks: list[Tick]
    x_labels: list[XLabel]


SERIES = (
    # key, name, colour, dash, marker, where its legend starts
    ("posts", "New posts", "#1d4ed8", "", "circle", 8),
    ("claims", "Claims", "#15803d", "10 6", "square", 158),
    ("members", "New members", "#7c3aed", "3 5", "diamond", 286),
)


def nice_scale(peak: int) -> tuple[int, int]:
    """The top of the value axis and its step: at most five steps of 1, 2 or 5 x 10^n."""
    step, factors = 1, cycle((2, 2.5, 2))  # 1, 2, 5, 10, 20, 50, 100, ...
    while ceil(peak / step) > 5:
        step = round(step * next(factors))
    return step * max(1, ceil(peak / step)), step


def weekly_lines(weeks: Sequence[Week], width: int = WIDTH, height: int = 340) -> LineChart:
    left, right, top, bottom = 48, width - 28, 56, height - 48
    peak = max([0, *(max(w.posts, w.claims, w.members) for w in weeks)])
    scale_top, step = nice_scale(peak)
    band = (right - left) / max(len(weeks), 1)

    def x_of(n: int) -> float:
        return round(left + (n + 0.5) * band, 1)

    def y_of(value: int) -> float:
        return round(bottom - value / scale_top * (bottom - top), 1)

    lines = [
        Line(
            key,
            name,
            colour,
            dash,
            marker,
            legend_x,
            [
                Point(x_of(n), y_of(getattr(week, key)), getattr(week, key))
                for n, week in enumerate(weeks)
            ],
        )
        for key, name, colour, dash, marker, legend_x in SERIES
    ]
    ticks = [Tick(y_of(value), value) for value in range(0, scale_top + 1, step)]
    # Twelve dates do not fit side by side on a phone: then every other one, ending at this week.
    every = 1 if len(weeks) <= 6 else 2
    labels = [
        XLabel(x_of(n), week.label)
        for n, week in enumerate(weeks)
        if (len(weeks) - 1 - n) % every == 0
    ]
    return LineChart(width, height, left, right, top, bottom, lines, ticks, labels)
