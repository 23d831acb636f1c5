"""Skill exchanges: proposing a direct swap, a swap circle or a paid lesson; answering it;
marking it done; recording its hours; thanks.

States (anything else is refused with `StateChanged`, answered 409):
    proposed -> active      when the last participant accepts (the proposer accepts by proposing)
    proposed -> declined    any participant says no: it is declined for everyone
    proposed | active -> cancelled   any participant calls it off
    active -> completed     when the last participant marks their part done; with
                            `record_hours`, every learner then pays their teacher `minutes`
Each move is a conditional `UPDATE skill_exchanges ... WHERE id = :id AND state = :expected`;
0 rows means someone else moved it first.

The last accept (and the last "done"). Each participant's answer is their own row, so two
people answering at the same instant update different rows; under READ COMMITTED each could
count the other's answer as still missing, and nobody would start the exchange. So accepting
and marking done first lock the exchange's row (`FOR NO KEY UPDATE` on PostgreSQL, which
leaves foreign-key checks alone; BEGIN IMMEDIATE on SQLite): the second answer waits for the
first to commit and its count then sees it, so exactly one of them starts (or completes) the
exchange. `tests/exchanges/test_concurrency.py` races them on both databases. Proposing
takes the row lock of the exchange's lowest-id participant before it looks for the same
exchange already live, so a proposal sent twice at once (a double click, or both people
proposing the same swap) makes one exchange on PostgreSQL too.

Hours. Completing an exchange that records hours writes one direct transfer per lesson,
learner to teacher, `exchange_id` set, in the same transaction as the state change, through
`timebank.services.settle_together`: in a swap or circle everyone pays and is paid the same,
so the floor is checked on each member's net change (zero); a paid lesson's learner must have
the hours above their floor, or completion is refused (`CannotComplete`) and nothing changes.

Who may take part with whom (`permissions.reason_not_to_exchange`): members sharing an active
community, or in communities joined by an active link; never oneself, a closed account or a
blocked pair. Every participant must be reachable by the proposer, and every teacher by their
learner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..accounts.export import exporter
from ..accounts.models import User
from ..claims.models import THANKS_MAX, Thanks
from ..database import is_possible_id, now_utc, write_transaction
from ..extensions import db
from ..moderation.services import is_blocked_between
from ..notifications.services import notify
from ..timebank import services as timebank
from ..timebank.models import HourTransfer
from . import permissions
from .models import ExchangeLesson, ExchangeParticipant, SkillExchange

SKILL_MAX = 60
MESSAGE_MAX = 1000
MAX_PEOPLE = 6  # a circle longer than this is hard to keep going
DEFAULT_MINUTES = 60
LIVE_STATES = ("proposed", "active")
HUB_LIMIT = 200

KIND_WORDS = {"swap": "skill swap", "circle": "swap circle", "paid": "paid lesson"}
STATE_WORDS = {
    "proposed": "is waiting for answers",
    "active": "is under way",
    "completed": "is complete",
    "declined": "was declined",
    "cancelled": "was cancelled",
}


class ExchangeError(Exception):
    """An exchange rule refused the request; the message is for the member."""


class InvalidExchange(ExchangeError):
    """Input a form should have caught (an empty or long skill, hours, a broken circle): 422."""


class CannotExchange(ExchangeError):
    """These people can't be in an exchange together (oneself, not neighbours, a block): 422."""


class StateChanged(ExchangeError):
    """The exchange is no longer in a state where this can happen (someone acted first): 409."""


class AlreadyProposed(ExchangeError):
    """The same exchange between the same people is already proposed or under way: 409."""


class CannotComplete(ExchangeError):
    """The exchange can't be completed now (its hours can't be recorded): 409."""


class AlreadyThanked(ExchangeError):
    def __init__(self) -> None:
        super().__init__("You have already said thanks for this exchange.")


class ExchangeNotFound(LookupError):
    """No such exchange for this member (someone else's answers the same): 404."""


@dataclass(frozen=True)
class LessonInput:
    """One direction of a proposed exchange: `teacher` teaches `learner` `skill`."""

    teacher: User
    learner: User
    skill: str


# --- cleaning input ----------------------------------------------------------------------------


def clean_skill(skill: str | None) -> str:
    skill = " ".join((skill or "").replace("\x00", "").split())
    if not skill:
        raise InvalidExchange("Please say what will be taught.")
    if len(skill) > SKILL_MAX:
        raise InvalidExchange(f"Please name the skill in {SKILL_MAX} characters or fewer.")
    return skill


def clean_message(message: str | None) -> str:
    message = (message or "").replace("\x00", "").strip()
    if len(message) > MESSAGE_MAX:
        raise InvalidExchange(f"Please keep the message under {MESSAGE_MAX} characters.")
    return message


def clean_minutes(minutes: Any) -> int:
    try:
        return timebank.clean_minutes(minutes)
    except timebank.InvalidInput as exc:
        raise InvalidExchange(str(exc)) from None


def find_member(member_id: int | None) -> User:
    """The member chosen in a form or a suggestion; CannotExchange if there is none."""
    member = _user(member_id)
    if member is None:
        raise CannotExchange("Please choose a member to exchange with.")
    return member


def _user(user_id: int | None) -> User | None:
    """The account with this id, if there can be one (a form or URL may carry any number)."""
    return (
        db.session.get(User, user_id) if user_id is not None and is_possible_id(user_id) else None
    )


def partners(member: User, chosen_id: int | None = None) -> list[User]:
    """The people offered in the proposal forms: the member's neighbours (as in the time
    bank), and the member `?with=` names when they may exchange with them (someone across an
    active link). Anyone else named is left out: the form shows no name it shouldn't."""
    people = timebank.partners(member)
    if chosen_id is not None and all(person.id != chosen_id for person in people):
        person = _user(chosen_id)
        if person is not None and permissions.reason_not_to_exchange(member, person) is None:
            people.insert(0, person)
    return people


def _require_reachable(a: User, b: User) -> None:
    reason = permissions.reason_not_to_exchange(a, b)
    if reason is not None:
        raise CannotExchange(reason)


def _check_shape(kind: str, lessons: Sequence[LessonInput], proposer: User) -> list[User]:
    """The people of a well-formed exchange, in lesson order; InvalidExchange otherwise.

    A paid exchange is one lesson. A swap or circle is a single ring: each person teaches
    exactly one and learns from exactly one, and following who teaches whom from the first
    teacher visits everyone before coming back."""
    for lesson in lessons:
        if lesson.teacher.id == lesson.learner.id:
            raise CannotExchange(
                "You can't set up an exchange with yourself."
                if lesson.teacher.id == proposer.id
                else "Nobody teaches themselves in an exchange."
            )
    if kind == "paid":
        if len(lessons) != 1:
            raise InvalidExchange("A paid lesson is one person teaching another.")
    else:
        if not 2 <= len(lessons) <= MAX_PEOPLE:
            raise InvalidExchange(f"A swap takes between 2 and {MAX_PEOPLE} people.")
        teaches = {lesson.teacher.id: lesson.learner.id for lesson in lessons}
        learners = {lesson.learner.id for lesson in lessons}
        if len(teaches) != len(lessons) or learners != set(teaches):
            raise InvalidExchange("In a swap everyone teaches one person and learns from one.")
        seen, at = [], lessons[0].teacher.id
        while at not in seen:
            seen.append(at)
            at = teaches[at]
        if len(seen) != len(lessons):
            raise InvalidExchange("A swap goes round in one circle that includes everyone.")
    people: dict[int, User] = {}
    for lesson in lessons:
        people.setdefault(lesson.teacher.id, lesson.teacher)
        people.setdefault(lesson.learner.id, lesson.learner)
    if proposer.id not in people:
        raise CannotExchange("You can only propose an exchange you take part in.")
    return list(people.values())


# --- proposing ---------------------------------------------------------------------------------


def propose(
    proposer: User,
    lessons: Sequence[LessonInput],
    *,
    kind: str,
    minutes: int = DEFAULT_MINUTES,
    record_hours: bool = True,
    message: str = "",
) -> SkillExchange:
    """Propose an exchange: every participant is asked, the proposer has accepted already.

    Raises InvalidExchange (skills, hours, message, the shape), CannotExchange (oneself, a
    closed account, no shared or linked community, a block between any two of them) or
    AlreadyProposed (the same exchange is already waiting or under way).
    """
    if kind not in ("swap", "circle", "paid"):
        raise InvalidExchange("Please choose a swap or a paid lesson.")
    minutes = clean_minutes(minutes)
    message = clean_message(message)
    lessons = [LessonInput(ls.teacher, ls.learner, clean_skill(ls.skill)) for ls in lessons]
    people = _check_shape(kind, lessons, proposer)
    if kind != "paid":
        kind = "swap" if len(people) == 2 else "circle"
    for person in people:
        if person.id != proposer.id:
            _require_reachable(proposer, person)
    for i, a in enumerate(people):
        for b in people[i + 1 :]:
            if is_blocked_between(a, b):
                raise CannotExchange("Someone in this exchange can't take part with another.")
    for lesson in lessons:
        _require_reachable(lesson.teacher, lesson.learner)
    with write_transaction():
        # The same exchange has the same people: holding the first one's row lock while we
        # look and insert makes a second identical proposal wait, then find this one
        # (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers).
        db.session.execute(
            select(User.id)
            .where(User.id == min(person.id for person in people))
            .with_for_update(key_share=True)
        )
        if _same_exchange_is_live(kind, lessons):
            raise AlreadyProposed("This exchange is already proposed or under way.")
        now = now_utc()
        exchange = SkillExchange(
            kind=kind,
            state="proposed",
            proposed_by_id=proposer.id,
            message=message,
            minutes=minutes,
            record_hours=bool(record_hours),
            created_at=now,
        )
        exchange.lessons = [
            ExchangeLesson(
                position=n, teacher_id=ls.teacher.id, learner_id=ls.learner.id, skill=ls.skill
            )
            for n, ls in enumerate(lessons)
        ]
        exchange.participants = [
            ExchangeParticipant(
                user_id=person.id, accepted_at=now if person.id == proposer.id else None
            )
            for person in people
        ]
        db.session.add(exchange)
        db.session.flush()
        for person in people:
            if person.id != proposer.id:
                notify(
                    person,
                    "exchange",
                    f"{proposer.display_name} proposes a {KIND_WORDS[kind]}: "
                    f"{describe_for(person.id, exchange, people)}. Will you take part?",
                    link(exchange),
                )
    return exchange


def _same_exchange_is_live(kind: str, lessons: Sequence[LessonInput]) -> bool:
    """A proposal sent twice (a double click, two tabs) makes one exchange."""
    wanted = {(ls.teacher.id, ls.learner.id, ls.skill.lower()) for ls in lessons}
    teacher = lessons[0].teacher.id
    candidates = db.session.scalars(
        select(SkillExchange)
        .join(ExchangeLesson, ExchangeLesson.exchange_id == SkillExchange.id)
        .where(
            ExchangeLesson.teacher_id == teacher,
            SkillExchange.kind == kind,
            SkillExchange.state.in_(LIVE_STATES),
        )
        .options(selectinload(SkillExchange.lessons))
    )
    return any(
        {(ls.teacher_id, ls.learner_id, ls.skill.lower()) for ls in exchange.lessons} == wanted
        for exchange in candidates
    )


def propose_swap(
    proposer: User,
    other: User,
    *,
    i_teach: str,
    they_teach: str,
    minutes: int = DEFAULT_MINUTES,
    record_hours: bool = True,
    message: str = "",
) -> SkillExchange:
    """A direct swap: the proposer teaches `other` `i_teach`, and learns `they_teach`."""
    return propose(
        proposer,
        [LessonInput(proposer, other, i_teach), LessonInput(other, proposer, they_teach)],
        kind="swap",
        minutes=minutes,
        record_hours=record_hours,
        message=message,
    )


def propose_paid(
    proposer: User,
    other: User,
    *,
    i_teach: bool,
    skill: str,
    minutes: int,
    record_hours: bool = True,
    message: str = "",
) -> SkillExchange:
    """A lesson paid in hours: whoever learns pays the teacher `minutes` when it is done."""
    teacher, learner = (proposer, other) if i_teach else (other, proposer)
    return propose(
        proposer,
        [LessonInput(teacher, learner, skill)],
        kind="paid",
        minutes=minutes,
        record_hours=record_hours,
        message=message,
    )


def propose_circle(
    proposer: User,
    steps: Sequence[tuple[int, int, str]],
    *,
    minutes: int = DEFAULT_MINUTES,
    record_hours: bool = True,
) -> SkillExchange:
    """A swap or circle as matching suggested it: (teacher id, learner id, skill) per step.
    The same checks as any proposal: a suggestion sent back by a browser is only input."""
    ids = {i for teacher, learner, _ in steps for i in (teacher, learner) if is_possible_id(i)}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    lessons = []
    for teacher, learner, skill in steps:
        if teacher not in users or learner not in users:
            raise CannotExchange("Someone in this swap is no longer here.")
        lessons.append(LessonInput(users[teacher], users[learner], skill))
    kind = "swap" if len(lessons) == 2 else "circle"
    return propose(proposer, lessons, kind=kind, minutes=minutes, record_hours=record_hours)


# --- answering ---------------------------------------------------------------------------------


def link(exchange: SkillExchange) -> str:
    return f"/exchanges/{exchange.id}"


def _lock(exchange: SkillExchange) -> str:
    """Lock the exchange's row for the rest of the transaction and return its state now (see
    the module's docstring: the last answer must see every other)."""
    state = db.session.scalar(
        select(SkillExchange.state)
        .where(SkillExchange.id == exchange.id)
        .with_for_update(key_share=True)
    )
    if state is None:  # pragma: no cover - exchanges are never deleted
        raise ExchangeNotFound(exchange.id)
    return state


def _refused(state: str) -> StateChanged:
    return StateChanged(f"That can't be done now: this exchange {STATE_WORDS[state]}.")


def _move(exchange: SkillExchange, from_state: str, **values: Any) -> None:
    """`from_state` -> values["state"], only if it is still `from_state`; StateChanged if not."""
    result = db.session.execute(
        update(SkillExchange)
        .where(SkillExchange.id == exchange.id, SkillExchange.state == from_state)
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        now = db.session.scalar(select(SkillExchange.state).where(SkillExchange.id == exchange.id))
        raise _refused(now or from_state)


def _others(exchange: SkillExchange, actor: User) -> list[User]:
    return [part.user for part in exchange.participants if part.user_id != actor.id]


def _tell_others(exchange: SkillExchange, actor: User, text: str) -> None:
    for person in _others(exchange, actor):
        notify(person, "exchange", text, link(exchange))


def _count(exchange: SkillExchange, column: Any) -> int:
    return (
        db.session.scalar(
            select(func.count(ExchangeParticipant.id)).where(
                ExchangeParticipant.exchange_id == exchange.id, column.is_(None)
            )
        )
        or 0
    )


def _mark_last(
    exchange: SkillExchange, actor: User, column: str, now: datetime, already: str
) -> bool:
    """Set the actor's `accepted_at` or `done_at` (refused with `already` if it was set), and
    say whether they were the last participant to do so. Call with the exchange row locked."""
    result = db.session.execute(
        update(ExchangeParticipant)
        .where(
            ExchangeParticipant.exchange_id == exchange.id,
            ExchangeParticipant.user_id == actor.id,
            getattr(ExchangeParticipant, column).is_(None),
        )
        .values({column: now}),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise StateChanged(already)
    return _count(exchange, getattr(ExchangeParticipant, column)) == 0


def accept(actor: User, exchange: SkillExchange) -> bool:
    """The actor accepts; the exchange starts when they are the last to. True if it started.

    Raises NotAllowed (not a participant), StateChanged (no longer proposed, or already
    accepted) or CannotExchange (a block between the actor and someone in it).
    """
    permissions.require_participant(actor, exchange)
    for other in _others(exchange, actor):
        if is_blocked_between(actor, other):
            raise CannotExchange("You can't take part in an exchange with this member.")
    with write_transaction():
        state = _lock(exchange)
        if state != "proposed":
            raise _refused(state)
        now = now_utc()
        started = _mark_last(
            exchange, actor, "accepted_at", now, "You have already accepted this exchange."
        )
        if started:
            _move(exchange, "proposed", state="active", started_at=now)
            _tell_others(
                exchange,
                actor,
                f"{actor.display_name} accepted: your {KIND_WORDS[exchange.kind]} "
                f"({timebank.exchange_title(exchange)}) can start. Everyone is in.",
            )
        else:
            _tell_others(
                exchange,
                actor,
                f"{actor.display_name} accepted the {KIND_WORDS[exchange.kind]} "
                f"({timebank.exchange_title(exchange)}).",
            )
    _reload(exchange)
    return started


def decline(actor: User, exchange: SkillExchange) -> SkillExchange:
    """Any participant says no while it is proposed: declined for everyone.
    Raises NotAllowed or StateChanged."""
    permissions.require_participant(actor, exchange)
    with write_transaction():
        _move(exchange, "proposed", state="declined", ended_at=now_utc())
        _tell_others(
            exchange,
            actor,
            f"{actor.display_name} declined the {KIND_WORDS[exchange.kind]} "
            f"({timebank.exchange_title(exchange)}), so it won't go ahead.",
        )
    _reload(exchange)
    return exchange


def cancel(actor: User, exchange: SkillExchange) -> SkillExchange:
    """Any participant calls off a proposed or active exchange; no hours move.
    Raises NotAllowed or StateChanged."""
    permissions.require_participant(actor, exchange)
    with write_transaction():
        expected = _lock(exchange)
        if expected not in LIVE_STATES:
            raise _refused(expected)
        _move(exchange, expected, state="cancelled", ended_at=now_utc())
        _tell_others(
            exchange,
            actor,
            f"{actor.display_name} cancelled the {KIND_WORDS[exchange.kind]} "
            f"({timebank.exchange_title(exchange)}).",
        )
    _reload(exchange)
    return exchange


def legs_of(exchange: SkillExchange) -> list[timebank.Leg]:
    """What completing the exchange pays: every learner pays their teacher `minutes`."""
    return [
        timebank.Leg(
            payer=lesson.learner,
            payee=lesson.teacher,
            minutes=exchange.minutes,
            memo=f"Skill exchange: {lesson.skill}"[: timebank.MEMO_MAX],
        )
        for lesson in exchange.lessons
    ]


def mark_done(actor: User, exchange: SkillExchange) -> bool:
    """The actor says their part is done; when they are the last, the exchange is completed
    and, with `record_hours`, its hours are recorded in the same transaction. True if it
    completed.

    Raises NotAllowed, StateChanged (not active, or already marked) or CannotComplete (the
    hours can't be recorded: a learner's floor, a block, a closed account); then nothing is
    saved, not even the actor's mark.
    """
    permissions.require_participant(actor, exchange)
    try:
        with write_transaction():
            state = _lock(exchange)
            if state != "active":
                raise _refused(state)
            now = now_utc()
            completed = _mark_last(
                exchange, actor, "done_at", now, "You have already marked your part as done."
            )
            title = timebank.exchange_title(exchange)
            if completed:
                _move(exchange, "active", state="completed", ended_at=now)
                recorded = exchange.record_hours and exchange.minutes > 0
                if recorded:
                    timebank.settle_together(
                        legs_of(exchange), created_by=actor, exchange=exchange, actor_is=actor
                    )
                hours = " The hours are recorded in your time bank." if recorded else ""
                _tell_others(
                    exchange,
                    actor,
                    f"Your {KIND_WORDS[exchange.kind]} ({title}) is complete.{hours} "
                    "You can leave thanks.",
                )
            else:
                _tell_others(
                    exchange,
                    actor,
                    f"{actor.display_name} marked their part of the {KIND_WORDS[exchange.kind]} "
                    f"({title}) as done.",
                )
    except (timebank.InsufficientHours, timebank.CannotTransfer, timebank.InvalidInput) as exc:
        raise CannotComplete(
            f"This exchange can't be completed yet: its hours can't be recorded. {exc}"
        ) from None
    _reload(exchange)
    return completed


# --- thanks ------------------------------------------------------------------------------------


def thanked_person(giver: User, exchange: SkillExchange) -> User | None:
    """Whom the giver thanks: the person who taught them; in a paid lesson, the teacher thanks
    the learner who paid."""
    for lesson in exchange.lessons:
        if lesson.learner_id == giver.id:
            return lesson.teacher
    for lesson in exchange.lessons:
        if lesson.teacher_id == giver.id:
            return lesson.learner
    return None


def thanks_for(exchange: SkillExchange) -> list[Thanks]:
    return list(
        db.session.scalars(
            select(Thanks)
            .where(Thanks.exchange_id == exchange.id)
            .options(selectinload(Thanks.giver), selectinload(Thanks.receiver))
            .order_by(Thanks.id)
        )
    )


def has_thanked(member: User, exchange: SkillExchange) -> bool:
    found = db.session.scalar(
        select(Thanks.id).where(Thanks.exchange_id == exchange.id, Thanks.from_id == member.id)
    )
    return found is not None


def thank(giver: User, exchange: SkillExchange, note: str) -> Thanks:
    """Thank the person who taught you, once the exchange is complete; once per exchange.
    Raises NotAllowed, InvalidExchange (the note), StateChanged, CannotExchange (a block) or
    AlreadyThanked."""
    permissions.require_participant(giver, exchange)
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise InvalidExchange("Please write a few words of thanks.")
    if len(note) > THANKS_MAX:
        raise InvalidExchange(f"Please keep your thanks under {THANKS_MAX} characters.")
    if exchange.state != "completed":
        raise StateChanged("Thanks can be left once the exchange is complete.")
    receiver = thanked_person(giver, exchange)
    assert receiver is not None  # every participant teaches or learns
    if is_blocked_between(giver, receiver):
        raise CannotExchange("You can't send thanks to this member.")
    try:
        with write_transaction():
            if has_thanked(giver, exchange):
                raise AlreadyThanked()
            thanks = Thanks(exchange_id=exchange.id, from_id=giver.id, to_id=receiver.id, note=note)
            db.session.add(thanks)
            db.session.flush()
            notify(
                receiver,
                "exchange",
                f"{giver.display_name} thanked you for the {KIND_WORDS[exchange.kind]} "
                f"({timebank.exchange_title(exchange)}).",
                link(exchange),
            )
    except IntegrityError:  # the same thanks twice at once: the unique (exchange, from) held
        raise AlreadyThanked() from None
    return thanks


# --- reading -----------------------------------------------------------------------------------


def _reload(exchange: SkillExchange) -> None:
    """Read the exchange and its people's answers afresh after a conditional UPDATE."""
    db.session.refresh(exchange)
    for part in exchange.participants:
        db.session.refresh(part)


def _loaded() -> Any:
    return (
        selectinload(SkillExchange.participants).selectinload(ExchangeParticipant.user),
        selectinload(SkillExchange.lessons).selectinload(ExchangeLesson.teacher),
        selectinload(SkillExchange.lessons).selectinload(ExchangeLesson.learner),
    )


def get_exchange(viewer: User, exchange_id: int) -> SkillExchange:
    """The exchange if the viewer may see it; ExchangeNotFound otherwise (a stranger learns
    nothing, not even that it exists)."""
    if not is_possible_id(exchange_id):
        raise ExchangeNotFound(exchange_id)
    exchange = db.session.scalar(
        select(SkillExchange).where(SkillExchange.id == exchange_id).options(*_loaded())
    )
    if exchange is None or not permissions.can_view(viewer, exchange):
        raise ExchangeNotFound(exchange_id)
    return exchange


def describe_for(member_id: int, exchange: SkillExchange, people: Sequence[User]) -> str:
    """ "you teach Otto Guitar; Otto teaches you Bike repair": the member's part, in words."""
    names = {person.id: person.public_name for person in people}
    parts = []
    for lesson in exchange.lessons:
        if lesson.teacher_id == member_id:
            parts.append(f"you teach {names[lesson.learner_id]} {lesson.skill}")
        elif lesson.learner_id == member_id:
            parts.append(f"{names[lesson.teacher_id]} teaches you {lesson.skill}")
    return "; ".join(parts)


@dataclass(frozen=True)
class Hub:
    """A member's exchanges, grouped the way the hub shows them."""

    to_answer: list[SkillExchange]  # proposed, waiting for the member's answer
    waiting: list[SkillExchange]  # proposed, the member accepted, others not yet
    active: list[SkillExchange]
    past: list[SkillExchange]  # completed, declined or cancelled, newest first


def hub(member: User) -> Hub:
    """The member's exchanges (the newest HUB_LIMIT), in one query plus their people."""
    mine = select(ExchangeParticipant.exchange_id).where(ExchangeParticipant.user_id == member.id)
    exchanges = db.session.scalars(
        select(SkillExchange)
        .where(SkillExchange.id.in_(mine))
        .options(*_loaded())
        .order_by(SkillExchange.created_at.desc(), SkillExchange.id.desc())
        .limit(HUB_LIMIT)
    )
    found = Hub([], [], [], [])
    for exchange in exchanges:
        part = permissions.participant_of(member, exchange)
        assert part is not None
        if exchange.state == "proposed":
            (found.to_answer if part.accepted_at is None else found.waiting).append(exchange)
        elif exchange.state == "active":
            found.active.append(exchange)
        else:
            found.past.append(exchange)
    return found


def transfers_for(exchange: SkillExchange) -> list[HourTransfer]:
    """The hours recorded for the exchange (by completion or sent for it), oldest first."""
    return list(
        db.session.scalars(
            select(HourTransfer)
            .where(HourTransfer.exchange_id == exchange.id)
            .options(selectinload(HourTransfer.payer), selectinload(HourTransfer.payee))
            .order_by(HourTransfer.id)
        )
    )


# --- personal data -----------------------------------------------------------------------------


@exporter("skill_exchanges")
def _export_exchanges(user: User) -> list[dict[str, Any]]:
    mine = select(ExchangeParticipant.exchange_id).where(ExchangeParticipant.user_id == user.id)
    exchanges = db.session.scalars(
        select(SkillExchange)
        .where(or_(SkillExchange.id.in_(mine), SkillExchange.proposed_by_id == user.id))
        .options(*_loaded())
        .order_by(SkillExchange.id)
    )
    rows = []
    for exchange in exchanges:
        part = next((p for p in exchange.participants if p.user_id == user.id), None)
        rows.append(
            {
                "id": exchange.id,
                "kind": exchange.kind,
                "state": exchange.state,
                "proposed_by_me": exchange.proposed_by_id == user.id,
                "message": exchange.message,
                "hours_per_lesson": timebank.decimal_hours(exchange.minutes),
                "record_hours": exchange.record_hours,
                "lessons": [
                    {
                        "teacher": lesson.teacher.public_name,
                        "learner": lesson.learner.public_name,
                        "skill": lesson.skill,
                    }
                    for lesson in exchange.lessons
                ],
                "accepted_at": part.accepted_at.isoformat() if part and part.accepted_at else None,
                "done_at": part.done_at.isoformat() if part and part.done_at else None,
                "created_at": exchange.created_at.isoformat(),
                "started_at": exchange.started_at.isoformat() if exchange.started_at else None,
                "ended_at": exchange.ended_at.isoformat() if exchange.ended_at else None,
            }
        )
    return rows
