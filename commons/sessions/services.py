"""Mentoring sessions: proposing a time, agreeing it, cancelling, marking done, private notes,
thanks, the 24-hour reminders, and each member's secret calendar link.

The life of a session (`mentorship_sessions.state`):
- either side of an *active* mentorship proposes a time, a duration and a place or a video
  link (`propose`); the row is `proposed`, with the proposer in `proposed_by`;
- the other side confirms it (`confirm`), or either side proposes another time (`counter`):
  the same row gets the new time, `proposed_by` becomes whoever proposed it, and it waits for
  the other side again (a confirmed session moved this way needs confirming afresh);
- either side cancels a proposed or confirmed session, saying why (`cancel`);
- once a confirmed session has started, either side marks it done (`mark_done`); then each
  may thank the other once (`thank`) and the learner may pay in time-bank hours.
Each side may keep a private note on any session (`save_note`): only its writer reads it.

Every move is one conditional `UPDATE ... WHERE state = :expected` (and, where it matters, the
version the member saw: `sequence`) in a write transaction. 0 rows means someone acted first:
nothing is written and `StateChanged` says what happened instead (409). Every change bumps
`sequence`, which calendar apps need to replace an event they already hold, and tells the
other side.

Times. `starts_at` is a UTC instant. A member types a time on their own clock
(`User.timezone`); it becomes UTC here, so 18:00 in London is 17:00Z in summer and 18:00Z in
winter, and a time the clocks skip (01:30 on the spring change) is refused with a message.
Availability slots are weekly windows on each member's own clock, so shared windows are
worked out on real dates through UTC, never by shifting weekdays.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..accounts.export import eraser, exporter
from ..accounts.models import User
from ..claims.models import THANKS_MAX, Thanks
from ..communities.permissions import Viewer
from ..database import is_possible_id, now_utc, write_transaction
from ..extensions import db
from ..mentorship.models import CalendarFeed, Mentorship, MentorshipSession, SessionNote
from ..moderation.services import is_blocked_between
from ..notifications.services import notify
from ..timezones import zone_of
from . import permissions
from .permissions import LIVE_STATES, NotAllowed

DURATION_MIN, DURATION_MAX, DURATION_STEP = 15, 480, 15
PLACE_MAX = 200
URL_MAX = 500
REASON_MAX = 500
NOTE_MAX = 5000
SUGGESTIONS = 3
SUGGEST_NOTICE = timedelta(hours=2)  # suggested times leave the other side a little notice
SUGGEST_DAYS = 28  # how far ahead suggestions look
WINDOW_DAYS = 7  # the shared windows shown: the coming week
REMIND_BEFORE = timedelta(hours=24)
NOTIFY_KIND = "mentorship"  # follows the "claims" email switch until it has one of its own

DURATIONS = (15, 30, 45, 60, 75, 90, 120, 150, 180, 240, 300, 360, 420, 480)

STATE_WORDS = {
    "proposed": "waiting for an answer",
    "confirmed": "confirmed",
    "done": "done",
    "cancelled": "cancelled",
}


class SessionError(Exception):
    """A session rule refused the request; the message is for the member."""


class InvalidInput(SessionError):
    """Something a member typed can't be used (a past time, no place, not a web link): 422.
    `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class NotActive(SessionError):
    """Sessions are only arranged within an active mentorship: 409."""

    def __init__(self) -> None:
        super().__init__(
            "Sessions can only be arranged while the mentorship is active, and this one isn't."
        )


class StateChanged(SessionError):
    """The session is no longer where the member saw it (someone acted first): 409."""


class AlreadyThanked(SessionError):
    def __init__(self) -> None:
        super().__init__("You have already said thanks for this session.")


class SessionNotFound(LookupError):
    """No such session or mentorship for this viewer (someone else's answers the same): 404."""


# --- time zones --------------------------------------------------------------------------------


def to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone` as a UTC instant.

    A time the clocks skip (spring forward) does not exist there: InvalidInput. A time that
    happens twice (autumn) is the first of the two, as people mean "before the change"."""
    naive = wall.replace(tzinfo=None)
    aware = naive.replace(tzinfo=zone, fold=0)
    try:
        instant = aware.astimezone(UTC)
    except OverflowError:  # 31 December 9999 in New York is already the year 10000 in UTC
        raise InvalidInput("Please choose a time within the next year.", "day") from None
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        raise InvalidInput(
            f"{naive:%H:%M} doesn't exist on {naive:%d %B %Y} in {zone.key}: the clocks "
            "change that night. Please choose another time.",
            "at",
        )
    return instant


def _utc_of_minute(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Minute `minute` (0..1440) of `day` in `zone`, as UTC; lenient in a skipped hour."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    return wall.replace(tzinfo=zone).astimezone(UTC)


# --- loading, with privacy ---------------------------------------------------------------------


# Sessions listed with the names of both their people: two queries, however many sessions.
_WITH_PEOPLE = (
    selectinload(MentorshipSession.mentorship).selectinload(Mentorship.mentor),
    selectinload(MentorshipSession.mentorship).selectinload(Mentorship.learner),
)


def get_mentorship(viewer: Viewer, mentorship_id: int) -> Mentorship:
    """The mentorship, for its two people and admins; SessionNotFound for anyone else."""
    if not is_possible_id(mentorship_id):
        raise SessionNotFound()
    mentorship = db.session.get(Mentorship, mentorship_id)
    if mentorship is None or not permissions.can_view(viewer, mentorship):
        raise SessionNotFound()
    return mentorship


def get_session(viewer: Viewer, session_id: int) -> MentorshipSession:
    """The session, for its two people and admins; SessionNotFound for anyone else."""
    if not is_possible_id(session_id):
        raise SessionNotFound()
    session = db.session.get(MentorshipSession, session_id, options=_WITH_PEOPLE)
    if session is None or not permissions.can_view(viewer, session.mentorship):
        raise SessionNotFound()
    return session


def other_person(mentorship: Mentorship, member: User | Viewer) -> User:
    return mentorship.learner if member.id == mentorship.mentor_id else mentorship.mentor


def _link(session: MentorshipSession) -> str:
    return f"/sessions/{session.id}"


def when_words(moment: datetime, user: User | Viewer | None) -> str:
    """ "Tue 21 Oct 2025, 18:00 (Europe/London)": a time as the member reads it."""
    zone = zone_of(user)
    return f"{moment.astimezone(zone):%a %d %b %Y, %H:%M} ({zone.key})"


def _notify_other(actor: User, session: MentorshipSession, text: str) -> None:
    notify(other_person(session.mentorship, actor), NOTIFY_KIND, text, _link(session))


# --- checking what a member typed --------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """A time, length and meeting place, as checked by `clean_proposal`."""

    starts_at: datetime  # UTC
    duration_minutes: int
    place: str
    video_url: str


def clean_video_url(value: str | None) -> str:
    """An http(s) address with a host, or ""; anything else (javascript:, ftp:) is refused."""
    url = (value or "").strip()
    if not url:
        return ""
    if len(url) > URL_MAX:
        raise InvalidInput(f"Please keep the link under {URL_MAX} characters.", "video_url")
    parts = urlsplit(url)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in url)
    ):
        raise InvalidInput(
            "Please give a web link starting with https:// (or http://), like "
            "https://meet.example.org/room.",
            "video_url",
        )
    return url


def clean_proposal(
    proposer: User,
    starts_at: datetime,
    duration_minutes: Any,
    place: str | None,
    video_url: str | None,
    now: datetime | None = None,
) -> Proposal:
    """Check a proposed time. A naive `starts_at` is a time on the proposer's own clock; an
    aware one is an instant. Raises InvalidInput naming the field to correct."""
    now = now or now_utc()
    if starts_at.tzinfo is None:
        starts_at = to_utc(starts_at, zone_of(proposer))
    starts_at = starts_at.astimezone(UTC)
    if starts_at <= now:
        raise InvalidInput("Please choose a time in the future.", "day")
    if starts_at > now + timedelta(days=366):
        raise InvalidInput("Please choose a time within the next year.", "day")
    if (
        isinstance(duration_minutes, bool)
        or not isinstance(duration_minutes, int)
        or not DURATION_MIN <= duration_minutes <= DURATION_MAX
        or duration_minutes % DURATION_STEP
    ):
        raise InvalidInput(
            "Please choose how long: from a quarter of an hour to 8 hours.", "duration"
        )
    place = (place or "").strip()
    if len(place) > PLACE_MAX:
        raise InvalidInput(f"Please keep the place under {PLACE_MAX} characters.", "place")
    url = clean_video_url(video_url)
    if not place and not url:
        raise InvalidInput("Please say where you'll meet, or give a video link.", "place")
    return Proposal(starts_at, duration_minutes, place, url)


def _require_may_arrange(actor: User, mentorship: Mentorship) -> None:
    """The actor is a side; the mentorship is active; nobody has blocked the other; both
    accounts are open."""
    permissions.require_side(actor, mentorship)
    if mentorship.status != "active":
        raise NotActive()
    other = other_person(mentorship, actor)
    if other.deleted_at is not None:
        raise NotAllowed("That account is closed.")
    if is_blocked_between(mentorship.mentor_id, mentorship.learner_id):
        raise NotAllowed("You can't arrange sessions: one of you has blocked the other.")


def _active_now(mentorship_id: int) -> Any:
    """A condition for the UPDATEs: the mentorship is still active when the change lands."""
    return MentorshipSession.mentorship_id.in_(
        select(Mentorship.id).where(Mentorship.id == mentorship_id, Mentorship.status == "active")
    )


# --- the moves ---------------------------------------------------------------------------------


def propose(
    proposer: User,
    mentorship: Mentorship,
    starts_at: datetime,
    duration_minutes: Any,
    place: str | None = "",
    video_url: str | None = "",
) -> MentorshipSession:
    """Propose a session; the other side is told. Raises NotAllowed (not a side, blocked),
    NotActive, InvalidInput."""
    _require_may_arrange(proposer, mentorship)
    proposal = clean_proposal(proposer, starts_at, duration_minutes, place, video_url)
    with write_transaction():
        status = db.session.scalar(select(Mentorship.status).where(Mentorship.id == mentorship.id))
        if status != "active":
            raise NotActive()
        session = MentorshipSession(
            mentorship_id=mentorship.id,
            proposed_by_id=proposer.id,
            starts_at=proposal.starts_at,
            duration_minutes=proposal.duration_minutes,
            place=proposal.place,
            video_url=proposal.video_url,
            state="proposed",
        )
        db.session.add(session)
        db.session.flush()
        other = other_person(mentorship, proposer)
        notify(
            other,
            NOTIFY_KIND,
            f"{proposer.display_name} proposed a session on {mentorship.topic}: "
            f"{when_words(proposal.starts_at, other)}. Please confirm it or propose another time.",
            _link(session),
        )
    return session


def _refused(session_id: int, fallback: str) -> StateChanged:
    """Why a conditional UPDATE found nothing to change, in words, from the row as it is now."""
    db.session.rollback()
    current = db.session.get(MentorshipSession, session_id, populate_existing=True)
    if current is None:  # pragma: no cover - sessions are not deleted while the mentorship lives
        return StateChanged("This session no longer exists.")
    if current.state == "cancelled":
        return StateChanged("This session was cancelled meanwhile.")
    if current.mentorship.status != "active" and current.state in LIVE_STATES:
        return StateChanged(str(NotActive()))
    return StateChanged(fallback)


def _moved(
    session: MentorshipSession,
    conditions: Iterable[Any],
    values: dict[str, Any],
    refusal: str,
) -> None:
    """One conditional UPDATE of this session, inside the caller's transaction; StateChanged
    when no row matched. `sequence` goes up with every change."""
    result = db.session.execute(
        update(MentorshipSession)
        .where(MentorshipSession.id == session.id, *conditions)
        .values(sequence=MentorshipSession.sequence + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _refused(session.id, refusal)


def _seen(sequence: int | None) -> list[Any]:
    """The version the member saw, when the page sent it: a time changed since is not what
    they agreed to."""
    return [] if sequence is None else [MentorshipSession.sequence == sequence]


def confirm(
    actor: User, session: MentorshipSession, seen_sequence: int | None = None
) -> MentorshipSession:
    """The side that did not propose agrees to the time. Raises NotAllowed, NotActive,
    StateChanged (confirmed or moved meanwhile, cancelled, or its time has passed)."""
    mentorship = session.mentorship
    _require_may_arrange(actor, mentorship)
    if session.proposed_by_id == actor.id and session.state == "proposed":
        raise NotAllowed("You proposed this time: the other side confirms it.")
    now = now_utc()
    with write_transaction():
        _moved(
            session,
            [
                MentorshipSession.state == "proposed",
                MentorshipSession.proposed_by_id != actor.id,
                MentorshipSession.starts_at > now,
                _active_now(mentorship.id),
                *_seen(seen_sequence),
            ],
            {"state": "confirmed", "confirmed_at": now},
            "This session can't be confirmed now: it was confirmed or changed meanwhile, "
            "or its time has passed. Please look at it again.",
        )
        _notify_other(
            actor, session, f"{actor.display_name} confirmed your session on {mentorship.topic}."
        )
    db.session.refresh(session)
    return session


def counter(
    actor: User,
    session: MentorshipSession,
    starts_at: datetime,
    duration_minutes: Any,
    place: str | None = "",
    video_url: str | None = "",
    seen_sequence: int | None = None,
) -> MentorshipSession:
    """Propose another time for a proposed or confirmed session that has not started: the same
    row gets the new details, the actor becomes the proposer, and the other side answers again.
    Raises NotAllowed, NotActive, InvalidInput, StateChanged."""
    mentorship = session.mentorship
    _require_may_arrange(actor, mentorship)
    proposal = clean_proposal(actor, starts_at, duration_minutes, place, video_url)
    now = now_utc()
    with write_transaction():
        _moved(
            session,
            [
                MentorshipSession.state == session.state,
                MentorshipSession.state.in_(LIVE_STATES),
                MentorshipSession.starts_at > now,
                _active_now(mentorship.id),
                *_seen(seen_sequence),
            ],
            {
                "state": "proposed",
                "proposed_by_id": actor.id,
                "starts_at": proposal.starts_at,
                "duration_minutes": proposal.duration_minutes,
                "place": proposal.place,
                "video_url": proposal.video_url,
                "confirmed_at": None,
                "reminded_at": None,
            },
            "This session changed meanwhile. Please look at it again before proposing a time.",
        )
        other = other_person(mentorship, actor)
        notify(
            other,
            NOTIFY_KIND,
            f"{actor.display_name} proposed another time for your session on "
            f"{mentorship.topic}: {when_words(proposal.starts_at, other)}.",
            _link(session),
        )
    db.session.refresh(session)
    return session


def cancel(actor: User, session: MentorshipSession, reason: str | None) -> MentorshipSession:
    """Either side calls off a proposed or confirmed session, saying why; the other is told.
    Raises NotAllowed, InvalidInput, StateChanged (done or cancelled meanwhile)."""
    permissions.require_side(actor, session.mentorship)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Please say why, in a few words: the other side will read it.", "reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"Please keep this under {REASON_MAX} characters.", "reason")
    now = now_utc()
    with write_transaction():
        _moved(
            session,
            [MentorshipSession.state.in_(LIVE_STATES)],
            {
                "state": "cancelled",
                "cancelled_at": now,
                "cancelled_by_id": actor.id,
                "cancel_reason": reason,
            },
            "This session can't be cancelled now: it is already done.",
        )
        _notify_other(
            actor,
            session,
            f"{actor.display_name} cancelled your session on {session.mentorship.topic}: "
            f"“{reason[:120]}”",
        )
    db.session.refresh(session)
    return session


def mark_done(actor: User, session: MentorshipSession) -> MentorshipSession:
    """Either side records that a confirmed session took place (once it has started).
    Raises NotAllowed, StateChanged (not confirmed, not started, or done already)."""
    permissions.require_side(actor, session.mentorship)
    now = now_utc()
    if session.state == "confirmed" and session.starts_at > now:
        raise StateChanged("A session can be marked as done once it has started.")
    with write_transaction():
        _moved(
            session,
            [MentorshipSession.state == "confirmed", MentorshipSession.starts_at <= now],
            {"state": "done", "done_at": now},
            "Only a confirmed session can be marked as done, once; it may have been marked "
            "already.",
        )
        _notify_other(
            actor,
            session,
            f"{actor.display_name} marked your session on {session.mentorship.topic} as done. "
            "You can leave thanks.",
        )
    db.session.refresh(session)
    return session


# --- notes and thanks --------------------------------------------------------------------------


def note_of(author: Viewer, session: MentorshipSession) -> SessionNote | None:
    """The viewer's own note: nobody else's is ever read here."""
    if not author.is_authenticated:
        return None
    return db.session.scalar(
        select(SessionNote).where(
            SessionNote.session_id == session.id, SessionNote.author_id == author.id
        )
    )


def save_note(author: User, session: MentorshipSession, body: str | None) -> SessionNote:
    """Keep a private note on a session (only its writer reads it); empty clears it."""
    permissions.require_side(author, session.mentorship)
    body = (body or "").strip()
    if len(body) > NOTE_MAX:
        raise InvalidInput(f"Please keep your note under {NOTE_MAX} characters.", "body")
    for attempt in range(2):
        try:
            with write_transaction():
                note = note_of(author, session)
                if note is None:
                    note = SessionNote(session_id=session.id, author_id=author.id, body=body)
                    db.session.add(note)
                else:
                    note.body = body
                db.session.flush()
            return note
        except IntegrityError:  # the same note saved twice at once: update the one that won
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def thanks_for(session: MentorshipSession) -> list[Thanks]:
    return list(
        db.session.scalars(
            select(Thanks)
            .where(Thanks.session_id == session.id)
            .options(selectinload(Thanks.giver))
            .order_by(Thanks.id)
        )
    )


def thank(giver: User, session: MentorshipSession, note: str | None) -> Thanks:
    """Thank the other side of a done session; each side once (AlreadyThanked)."""
    permissions.require_side(giver, session.mentorship)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Please write a few words of thanks.", "note")
    if len(note) > THANKS_MAX:
        raise InvalidInput(f"Please keep your thanks under {THANKS_MAX} characters.", "note")
    if session.state != "done":
        raise StateChanged("Thanks can be left once the session is marked as done.")
    if is_blocked_between(session.mentorship.mentor_id, session.mentorship.learner_id):
        raise NotAllowed("You can't do that: one of you has blocked the other.")
    receiver = other_person(session.mentorship, giver)
    try:
        with write_transaction():
            exists = db.session.scalar(
                select(Thanks.id).where(Thanks.session_id == session.id, Thanks.from_id == giver.id)
            )
            if exists is not None:
                raise AlreadyThanked()
            thanks = Thanks(session_id=session.id, from_id=giver.id, to_id=receiver.id, note=note)
            db.session.add(thanks)
            db.session.flush()
            notify(
                receiver,
                NOTIFY_KIND,
                f"{giver.display_name} thanked you for your session on {session.mentorship.topic}.",
                _link(session),
            )
    except IntegrityError:  # sent twice at once: the unique constraint held
        raise AlreadyThanked() from None
    return thanks


# --- what the pages show -----------------------------------------------------------------------


@dataclass(frozen=True)
class SessionView:
    """Everything the session page needs, for one viewer."""

    session: MentorshipSession
    side: str | None
    other: User
    actions: list[str]
    thanks: list[Thanks]
    note: SessionNote | None

    @property
    def ends_at(self) -> datetime:
        return self.session.starts_at + timedelta(minutes=self.session.duration_minutes)


def view_of(viewer: User, session: MentorshipSession) -> SessionView:
    side = permissions.side_of(viewer, session.mentorship)
    thanks = thanks_for(session)
    thanked = any(t.from_id == viewer.id for t in thanks)
    return SessionView(
        session=session,
        side=side,
        other=other_person(session.mentorship, viewer) if side else session.mentorship.learner,
        actions=permissions.allowed_actions(viewer, session, now_utc(), thanked),
        thanks=thanks,
        note=note_of(viewer, session) if side else None,
    )


@dataclass(frozen=True)
class Panel:
    """The sessions part of a mentorship's page (`sessions/_for_mentorship.html`)."""

    mentorship: Mentorship
    visible: bool
    may_propose: bool
    upcoming: list[MentorshipSession] = field(default_factory=list)
    past: list[MentorshipSession] = field(default_factory=list)


def panel(viewer: Viewer, mentorship: Mentorship) -> Panel:
    """A mentorship's sessions for its page: upcoming (proposed or confirmed and not over yet,
    soonest first) and past (done, cancelled, or over; latest first). Nothing for anyone but
    the two people and admins."""
    if not permissions.can_view(viewer, mentorship):
        return Panel(mentorship, visible=False, may_propose=False)
    now = now_utc()
    sessions = db.session.scalars(
        select(MentorshipSession)
        .where(MentorshipSession.mentorship_id == mentorship.id)
        .order_by(MentorshipSession.starts_at, MentorshipSession.id)
    ).all()
    upcoming, past = [], []
    for s in sessions:
        over = s.starts_at + timedelta(minutes=s.duration_minutes) <= now
        (upcoming if s.state in LIVE_STATES and not over else past).append(s)
    past.reverse()
    may_propose = (
        permissions.side_of(viewer, mentorship) is not None and mentorship.status == "active"
    )
    return Panel(mentorship, True, may_propose, upcoming, past)


def upcoming_for(member: User, limit: int = 10) -> list[MentorshipSession]:
    """A member's proposed and confirmed sessions still ahead, soonest first (for dashboards)."""
    return list(
        db.session.scalars(
            select(MentorshipSession)
            .join(Mentorship)
            .where(
                or_(Mentorship.mentor_id == member.id, Mentorship.learner_id == member.id),
                MentorshipSession.state.in_(LIVE_STATES),
                MentorshipSession.starts_at > now_utc(),
            )
            .options(*_WITH_PEOPLE)
            .order_by(MentorshipSession.starts_at)
            .limit(limit)
        )
    )


# --- when both are free ------------------------------------------------------------------------

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Window:
    """A stretch of time (UTC) when both members are free."""

    starts_at: datetime
    ends_at: datetime


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _free(member: User, start: datetime, end: datetime) -> list[Interval]:
    """The member's weekly slots as real UTC intervals between `start` and `end`: each slot is
    placed on the actual dates in the member's zone, so a clock change moves it in UTC."""
    zone = zone_of(member)
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    intervals: list[Interval] = []
    day = first
    while day <= last:
        for slot in member.slots:
            if slot.weekday == day.weekday():
                s = _utc_of_minute(day, slot.start_minute, zone)
                e = _utc_of_minute(day, slot.end_minute, zone)
                if e > start and s < end and s < e:
                    intervals.append((max(s, start), min(e, end)))
        day += timedelta(days=1)
    return _merge(intervals)


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _subtract(free: Sequence[Interval], busy: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in free:
        pieces = [(start, end)]
        for b_start, b_end in busy:
            next_pieces = []
            for p_start, p_end in pieces:
                if b_end <= p_start or b_start >= p_end:
                    next_pieces.append((p_start, p_end))
                    continue
                if p_start < b_start:
                    next_pieces.append((p_start, b_start))
                if b_end < p_end:
                    next_pieces.append((b_end, p_end))
            pieces = next_pieces
        out.extend(pieces)
    return out


def _busy(people: Sequence[int], start: datetime, end: datetime) -> list[Interval]:
    """Proposed and confirmed sessions of either person in any of their mentorships."""
    rows = db.session.execute(
        select(MentorshipSession.starts_at, MentorshipSession.duration_minutes)
        .join(Mentorship)
        .where(
            or_(Mentorship.mentor_id.in_(people), Mentorship.learner_id.in_(people)),
            MentorshipSession.state.in_(LIVE_STATES),
            MentorshipSession.starts_at < end,
            MentorshipSession.starts_at > start - timedelta(minutes=DURATION_MAX),
        )
    ).all()
    return _merge((s, s + timedelta(minutes=d)) for s, d in rows)


def shared_windows(
    mentorship: Mentorship, now: datetime | None = None, days: int = WINDOW_DAYS
) -> list[Window]:
    """When both are free in the next `days` days (weekly slots made real, through UTC),
    leaving out times either already has a session."""
    now = now or now_utc()
    end = now + timedelta(days=days)
    both = _intersect(_free(mentorship.mentor, now, end), _free(mentorship.learner, now, end))
    both = _subtract(both, _busy((mentorship.mentor_id, mentorship.learner_id), now, end))
    return [Window(s, e) for s, e in both]


def _quarter_up(moment: datetime) -> datetime:
    moment = moment.replace(second=0, microsecond=0) + (
        timedelta(minutes=1) if moment.second or moment.microsecond else timedelta()
    )
    return moment + timedelta(minutes=-moment.minute % 15)


def suggest_starts(
    mentorship: Mentorship,
    duration_minutes: int = 60,
    now: datetime | None = None,
    count: int = SUGGESTIONS,
) -> list[datetime]:
    """The next `count` start times (UTC) when both are free for `duration_minutes`: the start
    of each shared window, at least SUGGEST_NOTICE ahead, on the quarter hour; one per window,
    so the choices are different days or times rather than 18:00, 18:15 and 18:30."""
    now = now or now_utc()
    earliest = _quarter_up(now + SUGGEST_NOTICE)
    length = timedelta(minutes=duration_minutes)
    starts: list[datetime] = []
    for window in shared_windows(mentorship, now, SUGGEST_DAYS):
        start = _quarter_up(max(window.starts_at, earliest))
        if start + length <= window.ends_at:
            starts.append(start)
            if len(starts) == count:
                break
    return starts


# --- reminders ---------------------------------------------------------------------------------


def _remind_one(session_id: int, now: datetime) -> bool:
    """Take the reminder for one session (conditional UPDATE of reminded_at) and tell both
    people, in one transaction; False when another run took it first."""
    with write_transaction():
        result = db.session.execute(
            update(MentorshipSession)
            .where(
                MentorshipSession.id == session_id,
                MentorshipSession.state == "confirmed",
                MentorshipSession.reminded_at.is_(None),
                MentorshipSession.starts_at > now,
                MentorshipSession.starts_at <= now + REMIND_BEFORE,
            )
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return False
        session = db.session.get(MentorshipSession, session_id, populate_existing=True)
        assert session is not None
        mentorship = session.mentorship
        where = session.place or session.video_url
        for person in (mentorship.mentor, mentorship.learner):
            other = other_person(mentorship, person)
            notify(
                person,
                NOTIFY_KIND,
                f"Reminder: your session on {mentorship.topic} with {other.public_name} is "
                f"{when_words(session.starts_at, person)}, at {where}.",
                _link(session),
            )
    return True


def send_reminders(now: datetime | None = None) -> int:
    """Remind both people of each confirmed session starting in the next 24 hours that was not
    reminded yet; returns how many sessions were reminded. Two runs at once send each reminder
    once: each session's reminder is taken by a conditional UPDATE."""
    now = now or now_utc()
    due = db.session.scalars(
        select(MentorshipSession.id)
        .where(
            MentorshipSession.state == "confirmed",
            MentorshipSession.reminded_at.is_(None),
            MentorshipSession.starts_at > now,
            MentorshipSession.starts_at <= now + REMIND_BEFORE,
        )
        .order_by(MentorshipSession.starts_at)
    ).all()
    db.session.rollback()  # end the read; each reminder is a transaction of its own
    return sum(_remind_one(session_id, now) for session_id in due)


# --- the calendar link -------------------------------------------------------------------------


_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def calendar_feed(member: User) -> CalendarFeed:
    """The member's calendar secret, made on first use."""
    feed = db.session.get(CalendarFeed, member.id)
    if feed is not None:
        return feed
    try:
        with write_transaction():
            feed = CalendarFeed(user_id=member.id, token=new_token())
            db.session.add(feed)
    except IntegrityError:  # made at the same moment in another tab: use that one
        feed = db.session.get(CalendarFeed, member.id)
        assert feed is not None
    return feed


def renew_calendar_link(member: User) -> CalendarFeed:
    """Replace the secret, so the old address stops working (404) at once."""
    with write_transaction():
        result = db.session.execute(
            update(CalendarFeed).where(CalendarFeed.user_id == member.id).values(token=new_token())
        )
        if result.rowcount == 0:
            db.session.add(CalendarFeed(user_id=member.id, token=new_token()))
    db.session.expire_all()
    return calendar_feed(member)


def owner_of_token(token: str) -> User | None:
    """The member whose calendar this secret opens, if any (a closed account has none)."""
    if not _TOKEN.fullmatch(token or ""):  # never send the database what no token looks like
        return None
    user = db.session.scalar(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token == token)
    )
    if user is None or user.deleted_at is not None:
        return None
    return user


def calendar_sessions(member: User, limit: int = 1000) -> list[MentorshipSession]:
    """The member's confirmed and done sessions, for their own calendar only."""
    return list(
        db.session.scalars(
            select(MentorshipSession)
            .join(Mentorship)
            .where(
                or_(Mentorship.mentor_id == member.id, Mentorship.learner_id == member.id),
                MentorshipSession.state.in_(("confirmed", "done")),
            )
            .options(*_WITH_PEOPLE)
            .order_by(MentorshipSession.starts_at.desc())
            .limit(limit)
        )
    )


# --- personal data -----------------------------------------------------------------------------


@exporter("mentoring_sessions")
def _export_sessions(user: User) -> list[dict[str, Any]]:
    """The member's sessions and their own notes (never the other side's)."""
    sessions = db.session.scalars(
        select(MentorshipSession)
        .join(Mentorship)
        .where(or_(Mentorship.mentor_id == user.id, Mentorship.learner_id == user.id))
        .options(selectinload(MentorshipSession.mentorship))
        .order_by(MentorshipSession.starts_at)
    ).all()
    notes = {
        n.session_id: n.body
        for n in db.session.scalars(select(SessionNote).where(SessionNote.author_id == user.id))
    }
    rows = []
    for s in sessions:
        m = s.mentorship
        rows.append(
            {
                "id": s.id,
                "topic": m.topic,
                "role": "mentor" if m.mentor_id == user.id else "learner",
                "with": other_person(m, user).public_name,
                "starts_at": s.starts_at.isoformat(),
                "duration_minutes": s.duration_minutes,
                "place": s.place,
                "video_url": s.video_url,
                "state": s.state,
                "proposed_by_me": s.proposed_by_id == user.id,
                "cancel_reason": s.cancel_reason,
                "my_note": notes.get(s.id, ""),
            }
        )
    return rows


@eraser
def _erase_session_data(user: User) -> None:
    """A closed account loses its calendar secret and its private notes; its proposed and
    confirmed sessions are called off, and the other side is told."""
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    db.session.execute(delete(SessionNote).where(SessionNote.author_id == user.id))
    live = db.session.scalars(
        select(MentorshipSession)
        .join(Mentorship)
        .where(
            or_(Mentorship.mentor_id == user.id, Mentorship.learner_id == user.id),
            MentorshipSession.state.in_(LIVE_STATES),
        )
    ).all()
    now = now_utc()
    for s in live:
        s.state = "cancelled"
        s.cancelled_at = now
        s.cancelled_by_id = user.id
        s.cancel_reason = "The account was closed."
        s.sequence += 1
        notify(
            other_person(s.mentorship, user),
            NOTIFY_KIND,
            f"Your session on {s.mentorship.topic} was called off: the other account was closed.",
            _link(s),
        )


def cancel_live_sessions(mentorship: Mentorship, actor: User | None, reason: str) -> int:
    """For the mentorship feature, inside its own transaction when a mentorship ends: call off
    its proposed and confirmed sessions (they drop out of both calendars). Returns how many."""
    result = db.session.execute(
        update(MentorshipSession)
        .where(
            MentorshipSession.mentorship_id == mentorship.id,
            MentorshipSession.state.in_(LIVE_STATES),
        )
        .values(
            state="cancelled",
            cancelled_at=now_utc(),
            cancelled_by_id=actor.id if actor else None,
            cancel_reason=reason[:REASON_MAX],
            sequence=MentorshipSession.sequence + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
