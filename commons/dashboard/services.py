"""The figures of a community's dashboard, computed from the tables the rest of the app keeps
(posts, claims, memberships, the time bank's hour_transfers): nothing of its own is stored.

A window is the last 4 or 12 weeks up to now: `[now - weeks, now)`. In it:
- **open offers and needs by category** are counted now, whatever the window: posts that are
  open and not past their expiry (what browse shows as open);
- **needs posted** in the window, and of those the needs **met**: fulfilled, or with an
  accepted or completed claim (a need whose helper withdrew and was not replaced is not met,
  nor is one closed without help);
- **time to a first answer**: for the posts (offers and needs) posted in the window that were
  answered, from posting to the earliest claim on it, whatever became of that claim; the
  median of those durations;
- **time to completion**: for the posts posted in the window with a completed claim, from
  posting to the first completion; the median;
- **new posts, claims and new members per week**: posts created, claims made on the
  community's posts, and memberships that became active (`joined_at`), in each week of the
  window. Weeks are counted back from now (the last one ends now), so the 4-week window's
  weeks are the 12-week window's last four. Only memberships active now are counted: one
  that was left (leaving deletes it) or is suspended is not.
- **hours exchanged**: the time bank's counted transfers (direct or confirmed) that started
  to count in the window, paying for a claim on one of the community's posts or, paying for
  none, between two of its active members; a transfer given back and its reversal are left
  out (a mistake put right is not an exchange). A transfer between two members of two
  communities counts in both;
- **active mentorships**: mentorships that were active at some moment of the window (accepted
  before its end, and not completed or ended before its start) with the mentor or the learner
  an active member of the community now; a request never accepted is not one.
Posts hidden by moderators are left out of every figure, with the claims on them.

Each figure is one aggregate statement (GROUP BY and COUNT; the weekly series are one UNION
ALL), the same SQL on SQLite and PostgreSQL, so a window costs a fixed number of statements
however large the community. Weeks are told apart with a CASE over the week boundaries, bound
as parameters, rather than date arithmetic, which the two databases spell differently; for
the same reason the medians are taken in Python, from at most MEDIAN_SAMPLE posts (the most
recent), instead of with PostgreSQL's percentile_cont, which SQLite lacks.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from ..claims.models import Claim
from ..communities.models import Community, Membership
from ..database import now_utc
from ..extensions import db
from ..mentorship.models import Mentorship
from ..posts.models import CATEGORIES, Post
from ..timebank import services as timebank
from ..timebank.models import COUNTED_STATES, HourTransfer

WINDOWS = (4, 12)
DEFAULT_WEEKS = 4
WEEK = timedelta(days=7)
# The medians look at no more than this many posts of a window (its most recent ones).
MEDIAN_SAMPLE = 5000
# A need is met once a claim on it holds (or held, and completed) the help it asked for.
MET_CLAIM_STATES = ("accepted", "completed")


class UnknownWindow(ValueError):
    """The dashboard covers the last 4 or 12 weeks, nothing else (answered with 400)."""

    def __init__(self) -> None:
        super().__init__("The dashboard shows the last 4 weeks or the last 12 weeks.")


def window_weeks(value: str | None) -> int:
    """The window a `?weeks=` value asks for: DEFAULT_WEEKS when absent; UnknownWindow for
    anything but one of WINDOWS."""
    if value is None or value == "":
        return DEFAULT_WEEKS
    if value.strip() not in {str(weeks) for weeks in WINDOWS}:
        raise UnknownWindow()
    return int(value)


# --- what the figures are --------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryCount:
    category: str
    offers: int
    needs: int

    @property
    def label(self) -> str:
        return CATEGORIES[self.category]


@dataclass(frozen=True)
class NeedsMet:
    posted: int
    met: int

    @property
    def percent(self) -> int | None:
        """The share met, in whole percent rounded half up; None when no need was posted."""
        if not self.posted:
            return None
        return (200 * self.met + self.posted) // (2 * self.posted)


@dataclass(frozen=True)
class Median:
    value: timedelta | None
    count: int  # how many durations it is the median of

    @property
    def words(self) -> str | None:
        return None if self.value is None else in_words(self.value)

    @property
    def hours(self) -> float | None:
        return None if self.value is None else round(self.value / timedelta(hours=1), 1)


@dataclass(frozen=True)
class Week:
    start: datetime
    posts: int
    claims: int
    members: int

    @property
    def label(self) -> str:
        return f"{self.start.day} {self.start:%b}"


@dataclass(frozen=True)
class Window:
    """The figures of one window."""

    weeks: int
    since: datetime
    until: datetime
    needs: NeedsMet
    first_answer: Median
    completion: Median
    minutes_exchanged: int
    active_mentorships: int
    weekly: list[Week]

    @property
    def hours_exchanged(self) -> str:
        """ "4.5": a number a spreadsheet reads."""
        return timebank.decimal_hours(self.minutes_exchanged)

    @property
    def hours_exchanged_words(self) -> str:
        """ "4½ h", as the time bank writes hours."""
        return timebank.format_hours(self.minutes_exchanged)

    @property
    def new_posts(self) -> int:
        return sum(week.posts for week in self.weekly)

    @property
    def claims(self) -> int:
        return sum(week.claims for week in self.weekly)

    @property
    def new_members(self) -> int:
        return sum(week.members for week in self.weekly)


@dataclass(frozen=True)
class Dashboard:
    community: Community
    now: datetime
    open_by_category: list[CategoryCount]
    window: Window

    @property
    def open_offers(self) -> int:
        return sum(row.offers for row in self.open_by_category)

    @property
    def open_needs(self) -> int:
        return sum(row.needs for row in self.open_by_category)


def dashboard(
    community: Community, weeks: int = DEFAULT_WEEKS, now: datetime | None = None
) -> Dashboard:
    """Everything the dashboard page shows for `weeks` (one of WINDOWS). Raises UnknownWindow."""
    now = now or now_utc()
    return Dashboard(
        community, now, open_by_category(community, now), window(community, weeks, now)
    )


def window(community: Community, weeks: int, now: datetime | None = None) -> Window:
    """The figures of the last `weeks` weeks up to `now`. Raises UnknownWindow."""
    if weeks not in WINDOWS:
        raise UnknownWindow()
    until = now or now_utc()
    since = until - weeks * WEEK
    first_answer, completion = response_times(community, since, until)
    return Window(
        weeks=weeks,
        since=since,
        until=until,
        needs=needs_met(community, since, until),
        first_answer=first_answer,
        completion=completion,
        minutes_exchanged=minutes_exchanged(community, since, until),
        active_mentorships=active_mentorships(community, since, until),
        weekly=weekly(community, since, weeks),
    )


# --- how each is computed --------------------------------------------------------------------


def _counted(community: Community) -> ColumnElement[bool]:
    """The community's posts that figures count: all but those moderators hid."""
    return and_(Post.community_id == community.id, Post.hidden_at.is_(None))


def open_by_category(community: Community, now: datetime) -> list[CategoryCount]:
    """Open offers and needs per category, now; categories with none are left out, the rest
    are in the order of the category list."""
    rows = db.session.execute(
        select(Post.category, Post.kind, func.count())
        .where(
            _counted(community),
            Post.status == "open",
            or_(Post.expires_at.is_(None), Post.expires_at > now),
        )
        .group_by(Post.category, Post.kind)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for category, kind, n in rows:
        counts.setdefault(category, {"offer": 0, "need": 0})[kind] = n
    return [
        CategoryCount(category, counts[category]["offer"], counts[category]["need"])
        for category in CATEGORIES
        if category in counts
    ]


def needs_met(community: Community, since: datetime, until: datetime) -> NeedsMet:
    """Needs posted in `[since, until)`, and how many of them were met."""
    met = or_(
        Post.status == "fulfilled",
        exists().where(Claim.post_id == Post.id, Claim.status.in_(MET_CLAIM_STATES)),
    )
    posted, met_count = db.session.execute(
        select(func.count(), func.count(case((met, 1)))).where(
            _counted(community),
            Post.kind == "need",
            Post.created_at >= since,
            Post.created_at < until,
        )
    ).one()
    return NeedsMet(posted or 0, met_count or 0)


def response_times(community: Community, since: datetime, until: datetime) -> tuple[Median, Median]:
    """The medians, over the posts posted in `[since, until)`, of the time from posting to
    the first claim, and from posting to the first completed claim. One statement: each
    answered post's posting time, first claim and first completion."""
    rows = db.session.execute(
        select(Post.created_at, func.min(Claim.created_at), func.min(Claim.completed_at))
        .join(Claim, Claim.post_id == Post.id)
        .where(_counted(community), Post.created_at >= since, Post.created_at < until)
        .group_by(Post.id, Post.created_at)
        .order_by(Post.created_at.desc())
        .limit(MEDIAN_SAMPLE)
    ).all()
    to_answer = [answered - posted for posted, answered, _ in rows]
    to_completion = [done - posted for posted, _, done in rows if done is not None]
    return _median(to_answer), _median(to_completion)


def _median(durations: list[timedelta]) -> Median:
    if not durations:
        return Median(None, 0)
    return Median(statistics.median(durations), len(durations))


def _week_of(column: ColumnElement[datetime], since: datetime, weeks: int):
    """Which week of the window a timestamp falls in (0 is the earliest), as a CASE over the
    boundaries: the same SQL on both databases, whose date arithmetic differs."""
    return case(*((column < since + (n + 1) * WEEK, n) for n in range(weeks)))


def weekly(community: Community, since: datetime, weeks: int) -> list[Week]:
    """New posts, claims on the community's posts and new members in each week from `since`:
    one statement, a UNION ALL of the three kinds of event grouped by kind and week."""
    until = since + weeks * WEEK

    def within(column: ColumnElement[datetime]) -> ColumnElement[bool]:
        return and_(column >= since, column < until)

    events = union_all(
        select(
            literal_column("'posts'").label("series"),
            _week_of(Post.created_at, since, weeks).label("week"),
        ).where(_counted(community), within(Post.created_at)),
        select(literal_column("'claims'"), _week_of(Claim.created_at, since, weeks))
        .select_from(Claim)
        .join(Post, Post.id == Claim.post_id)
        .where(_counted(community), within(Claim.created_at)),
        select(literal_column("'members'"), _week_of(Membership.joined_at, since, weeks)).where(
            Membership.community_id == community.id,
            Membership.status == "active",
            within(Membership.joined_at),
        ),
    ).subquery()
    rows = db.session.execute(
        select(events.c.series, events.c.week, func.count()).group_by(
            events.c.series, events.c.week
        )
    ).all()
    counts = {(series, week): n for series, week, n in rows}
    return [
        Week(
            start=since + n * WEEK,
            posts=counts.get(("posts", n), 0),
            claims=counts.get(("claims", n), 0),
            members=counts.get(("members", n), 0),
        )
        for n in range(weeks)
    ]


def minutes_exchanged(community: Community, since: datetime, until: datetime) -> int:
    """Time-bank minutes the community's members paid one another in `[since, until)` (see the
    module's docstring for which transfers count). One statement; which transfers moved hours
    is the time bank's own COUNTED_STATES."""
    reversal = aliased(HourTransfer)
    given_back = select(reversal.reverses_id).where(reversal.reverses_id.is_not(None))
    claims_here = select(Claim.id).join(Post, Post.id == Claim.post_id).where(_counted(community))
    members = select(Membership.user_id).where(
        Membership.community_id == community.id, Membership.status == "active"
    )
    minutes = db.session.scalar(
        select(func.coalesce(func.sum(HourTransfer.minutes), 0)).where(
            HourTransfer.state.in_(COUNTED_STATES),
            HourTransfer.decided_at >= since,
            HourTransfer.decided_at < until,
            HourTransfer.reverses_id.is_(None),
            HourTransfer.id.not_in(given_back),
            or_(
                HourTransfer.claim_id.in_(claims_here),
                and_(
                    HourTransfer.claim_id.is_(None),
                    HourTransfer.payer_id.in_(members),
                    HourTransfer.payee_id.in_(members),
                ),
            ),
        )
    )
    return int(minutes or 0)


def active_mentorships(community: Community, since: datetime, until: datetime) -> int:
    """Mentorships active at some moment in `[since, until)`, with either side an active
    member of the community. Accepting sets `decided_at`; completing or ending sets `ended_at`."""
    members = select(Membership.user_id).where(
        Membership.community_id == community.id, Membership.status == "active"
    )
    return int(
        db.session.scalar(
            select(func.count(Mentorship.id)).where(
                Mentorship.status.in_(("active", "completed", "ended")),
                Mentorship.decided_at < until,
                or_(Mentorship.ended_at.is_(None), Mentorship.ended_at >= since),
                or_(Mentorship.mentor_id.in_(members), Mentorship.learner_id.in_(members)),
            )
        )
        or 0
    )


# --- in words --------------------------------------------------------------------------------


def plural(n: int, word: str) -> str:
    """ "1 need", "3 needs"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def in_words(duration: timedelta) -> str:
    """A duration as people say it: "2 days 3 hours", "5 hours 20 minutes", "12 minutes".
    Minutes are dropped once it is a day or more, seconds always."""
    minutes = int(duration.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        parts = [plural(days, "day"), plural(hours, "hour") if hours else ""]
    elif hours:
        parts = [plural(hours, "hour"), plural(minutes, "minute") if minutes else ""]
    elif minutes:
        parts = [plural(minutes, "minute")]
    else:
        return "under a minute"
    return " ".join(part for part in parts if part)
