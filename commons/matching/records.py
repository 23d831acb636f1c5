"""The plain records the matching engine works on: offers, needs, weekly slots, the rules.

These are frozen dataclasses so the engine can be tested, benchmarked and run from files
without the web app; the Flask side converts its models into them. Nothing here imports
Flask, SQLAlchemy or the rest of `commons`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_ALIASES = {
    **{day: index for index, day in enumerate(DAYS)},
    **{name.lower(): index for index, name in enumerate(DAY_NAMES)},
    "tues": 1,
    "wednes": 2,
    "thur": 3,
    "thurs": 3,
}
_SLOT = re.compile(r"^\s*([a-z]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True, slots=True)
class Slot:
    """A weekly time window: `day` 0 (Monday) to 6 (Sunday), minutes since midnight."""

    day: int
    start_min: int
    end_min: int

    def __str__(self) -> str:
        return (
            f"{DAYS[self.day]} {self.start_min // 60:02d}:{self.start_min % 60:02d}"
            f"-{self.end_min // 60:02d}:{self.end_min % 60:02d}"
        )


def parse_slot(text: str) -> Slot:
    """Read a slot such as "mon 18:00-20:00" (day names may be spelt out; "24:00" ends a day).

    Raises ValueError with the offending text, so a file reader can name the line.
    A window that runs past midnight must be given as two slots: one day each.
    """
    if not isinstance(text, str):
        raise ValueError(f"slot must be a string like 'mon 18:00-20:00', got {text!r}")
    found = _SLOT.match(text)
    if not found:
        raise ValueError(
            f"bad slot {text!r}: expected a day and a time range like 'mon 18:00-20:00'"
        )
    day_word, h1, m1, h2, m2 = found.groups()
    day = _DAY_ALIASES.get(day_word.lower())
    if day is None:
        raise ValueError(f"bad slot {text!r}: unknown day {day_word!r} (use mon, tue, ... sun)")
    start, end = int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)
    if int(m1) > 59 or int(m2) > 59 or start > 24 * 60 or end > 24 * 60:
        raise ValueError(f"bad slot {text!r}: times must be between 00:00 and 24:00")
    if end <= start:
        raise ValueError(f"bad slot {text!r}: the end must be after the start (split at midnight)")
    return Slot(day, start, end)


def slots_overlap(a: Sequence[Slot], b: Sequence[Slot]) -> bool:
    """True only if some slot of `a` shares at least a minute with some slot of `b`.

    An empty side gives False: callers decide that "either side empty" means "unknown, so
    allowed", which is a rule about missing data, not about time.
    """
    return any(
        x.day == y.day and x.start_min < y.end_min and y.start_min < x.end_min for x in a for y in b
    )


def _as_slots(values: Iterable[Slot | str]) -> tuple[Slot, ...]:
    return tuple(value if isinstance(value, Slot) else parse_slot(value) for value in values)


def _as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, so app and file records compare without TypeError."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def trust_from_exchanges(completed: int, half_at: int = 5) -> float:
    """Turn a count of completed exchanges into the 0..1 `trust` the records expect.

    Saturating, so a member with 50 exchanges does not drown every other signal:
    0 -> 0.0, `half_at` -> 0.5, many -> close to 1.
    """
    if completed <= 0:
        return 0.0
    return completed / (completed + half_at)


@dataclass(frozen=True, slots=True)
class _Post:
    """Fields offers and needs share; see the file interface in issue 4.

    `tags` and `available` accept lists and slot strings for convenience and are stored as
    tuples of lower-cased tags and parsed `Slot`s. `trust` is in 0..1 (completed exchanges,
    see `trust_from_exchanges`). `member` is the author, used by the blocked and own-post
    rules; `status`, `hidden` and `expires_at` say whether the post may be matched at all.
    """

    id: str
    title: str
    body: str = ""
    category: str | None = None
    tags: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    community: str | None = None
    available: tuple[Slot, ...] = ()
    member: str | None = None
    trust: float = 0.0
    status: str = "open"
    hidden: bool = False
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("id must be a non-empty string")
        if not isinstance(self.title, str) or not self.title.strip():
            raise ValueError("title must be a non-empty string")
        if isinstance(self.tags, str):
            raise ValueError("tags must be a list of strings, not one string")
        object.__setattr__(self, "tags", tuple(str(tag).strip().lower() for tag in self.tags))
        object.__setattr__(self, "available", _as_slots(self.available))
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        if self.lat is not None and not (-90 <= self.lat <= 90 and math.isfinite(self.lat)):
            raise ValueError(f"lat {self.lat!r} is out of range (-90 to 90)")
        if self.lon is not None and not (-180 <= self.lon <= 180 and math.isfinite(self.lon)):
            raise ValueError(f"lon {self.lon!r} is out of range (-180 to 180)")
        if not 0 <= self.trust <= 1:
            raise ValueError(f"trust {self.trust!r} must be in 0..1 (see trust_from_exchanges)")
        if self.expires_at is not None:
            object.__setattr__(self, "expires_at", _as_utc(self.expires_at))

    @property
    def text(self) -> str:
        """Everything a person wrote about the post, for the text signal."""
        return " ".join(part for part in (self.title, self.body) if part)


@dataclass(frozen=True, slots=True)
class Offer(_Post):
    """Something a resident can give; `capacity` is how many needs it can serve."""

    capacity: int = 1

    def __post_init__(self) -> None:
        _Post.__post_init__(self)
        if isinstance(self.capacity, bool) or not isinstance(self.capacity, int):
            raise ValueError(f"capacity must be an integer, got {self.capacity!r}")
        if self.capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {self.capacity}")


@dataclass(frozen=True, slots=True)
class Need(_Post):
    """Something a resident is looking for."""


@dataclass(frozen=True, slots=True)
class Match:
    """One suggested pair: a score in [0, 1] and the reasons, best first."""

    offer: str
    need: str
    score: float
    reasons: tuple[str, ...] = ()


def _pairs(values: Iterable[Iterable[str]]) -> frozenset[frozenset[str]]:
    pairs = frozenset(frozenset(pair) for pair in values)
    if any(len(pair) != 2 for pair in pairs):
        raise ValueError("links and blocks are pairs of two different names")
    return pairs


@dataclass(frozen=True, slots=True)
class Context:
    """The rules outside the posts themselves.

    `links`: pairs of linked communities; `blocked`: pairs of members who must never be
    matched (either direction); `now`: the moment expiry is judged at (defaults to the time
    the context is made, so one run judges every post at the same instant).
    """

    links: frozenset[frozenset[str]] = frozenset()
    blocked: frozenset[frozenset[str]] = frozenset()
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        object.__setattr__(self, "links", _pairs(self.links))
        object.__setattr__(self, "blocked", _pairs(self.blocked))
        object.__setattr__(self, "now", _as_utc(self.now))

    def communities_compatible(self, a: str | None, b: str | None) -> bool:
        """Equal, or linked; a post without a community is bound by no community rule."""
        return a is None or b is None or a == b or frozenset((a, b)) in self.links

    def is_blocked(self, a: str | None, b: str | None) -> bool:
        return a is not None and b is not None and frozenset((a, b)) in self.blocked

    def is_live(self, post: _Post) -> bool:
        """Open, not hidden by moderators and not past its expiry."""
        return (
            post.status == "open"
            and not post.hidden
            and (post.expires_at is None or post.expires_at > self.now)
        )


def pair_allowed(offer: Offer, need: Need, context: Context) -> bool:
    """The hard rules, which no score can override.

    Both posts live; communities equal or linked; authors neither the same person nor
    blocked from each other. Availability is not here: a pair without a shared slot may
    still be suggested (ranked last), it is only never *assigned*.
    """
    return (
        context.is_live(offer)
        and context.is_live(need)
        and context.communities_compatible(offer.community, need.community)
        and not (offer.member is not None and offer.member == need.member)
        and not context.is_blocked(offer.member, need.member)
    )


def availability_conflict(offer: Offer, need: Need) -> bool:
    """Both sides gave slots and none of them overlap: rank last, never assign."""
    return (
        bool(offer.available)
        and bool(need.available)
        and not slots_overlap(offer.available, need.available)
    )
