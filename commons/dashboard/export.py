"""The dashboard's figures as a CSV file for funders' reports.

One row per figure per window (the last 4 and the last 12 weeks; open posts once, "now"),
then the weekly series of the last 12 weeks (the last 4 weeks are its last four rows). Every
row names its community and its dates, so rows can be pasted, sorted and pivoted on their own.
Numbers are plain numbers (durations in hours) so a spreadsheet can add them up.

Spreadsheets run a cell that starts with = + - or @ as a formula (`=HYPERLINK(...)` in a
community's name would be a live link), so such cells are written with a leading apostrophe,
which spreadsheets show as text; so are cells starting with a tab or carriage return.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from ..communities.models import Community
from ..database import now_utc
from . import services

HEADER = ("community", "figure", "window", "from", "until", "detail", "value", "unit")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def safe_cell(value: Cell) -> str:
    """The cell as text a spreadsheet will not run: formula starts get an apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def filename(community: Community, now: datetime) -> str:
    return f"{community.slug}-dashboard-{now:%Y-%m-%d}.csv"


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _window_name(weeks: int) -> str:
    return f"last {weeks} weeks"


def rows(community: Community, now: datetime) -> Iterator[tuple[Cell, ...]]:
    """The rows under HEADER, unescaped."""
    name = community.name
    today = _day(now)
    open_posts = services.open_by_category(community, now)
    for row in open_posts:
        yield (name, "open offers", "now", today, today, row.label, row.offers, "posts")
        yield (name, "open needs", "now", today, today, row.label, row.needs, "posts")
    total_offers = sum(row.offers for row in open_posts)
    total_needs = sum(row.needs for row in open_posts)
    yield (name, "open offers", "now", today, today, "all categories", total_offers, "posts")
    yield (name, "open needs", "now", today, today, "all categories", total_needs, "posts")

    windows = [services.window(community, weeks, now) for weeks in services.WINDOWS]
    for window in windows:
        yield from _window_rows(name, window)

    longest = windows[-1]
    for n, week in enumerate(longest.weekly, start=1):
        start, end = _day(week.start), _day(week.start + services.WEEK)
        label = _window_name(longest.weeks)
        detail = f"week {n} of {longest.weeks}"
        yield (name, "new posts in the week", label, start, end, detail, week.posts, "posts")
        yield (name, "claims in the week", label, start, end, detail, week.claims, "claims")
        yield (name, "new members in the week", label, start, end, detail, week.members, "members")


def _window_rows(name: str, window: services.Window) -> Iterator[tuple[Cell, ...]]:
    span = (_window_name(window.weeks), _day(window.since), _day(window.until))

    def row(title: str, detail: str, value: Cell, unit: str) -> tuple[Cell, ...]:
        return (name, title, *span, detail, value, unit)

    needs = window.needs
    yield row("needs posted", "", needs.posted, "needs")
    yield row("needs met", "fulfilled, or with an accepted or completed claim", needs.met, "needs")
    yield row(
        "share of needs met",
        "no needs yet" if needs.percent is None else f"{needs.met} of {needs.posted}",
        needs.percent,
        "percent",
    )
    for title, median, counted in (
        ("median time from posting to first claim", window.first_answer, "answered"),
        ("median time from posting to completion", window.completion, "completed"),
    ):
        detail = (
            f"no posts {counted} yet"
            if median.words is None
            else f"{median.words}, over {median.count} posts {counted}"
        )
        yield row(title, detail, median.hours, "hours")
    yield row(
        "hours exchanged",
        "through the time bank, between the community's members",
        window.hours_exchanged,
        "hours",
    )
    yield row(
        "active mentorships",
        "active at some time in the window, with the mentor or the learner a member",
        window.active_mentorships,
        "mentorships",
    )
    yield row("new posts", "offers and needs", window.new_posts, "posts")
    yield row("claims", "answers to the community's posts", window.claims, "claims")
    yield row("new members", "", window.new_members, "members")


def to_csv(lines: Iterable[tuple[Cell, ...]]) -> str:
    """CSV text (RFC 4180: quoted where needed, CRLF) with every cell made safe. It starts
    with a byte order mark: without it Excel reads UTF-8 as the local code page and spoils
    names such as "Saint-Étienne"."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for line in lines:
        writer.writerow([safe_cell(cell) for cell in line])
    return "\ufeff" + out.getvalue()


def dashboard_csv(community: Community, now: datetime | None = None) -> str:
    return to_csv(rows(community, now or now_utc()))
