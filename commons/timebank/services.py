"""The time bank: sending hours, asking for them, settling requests, reversing mistakes, and
reading balances and statements.

Who may do what (the checks live in `permissions.py`):
- the payer: `send_hours` (counts at once); `confirm` or `refuse` a request made of them;
- the payee: `request_hours` (counts once the payer confirms); `reverse` hours they received
  by mistake, which sends them back as a new transfer. An admin may reverse for a payee.
Hours move only between two current members who share an active community, never to
oneself, never between two people when one has blocked the other (the same for confirming).
A reversal gives hours back to whoever sent them, whatever has changed since.

The ledger. `hour_transfers` is append-only: a transfer is never edited except a request
being settled (`recorded` -> `confirmed` | `refused`, by a conditional UPDATE), and never
deleted. A balance is the SUM of the member's direct and confirmed transfers, in minus out;
nothing stores it. Each transfer adds to one account what it takes from another, so the sum
of all balances is zero by construction (rule 3), and deleting an account keeps its rows.

The floor. Each community sets how far below zero its members may go
(`communities.hour_floor_minutes`, default -10 h). A member has one account whichever
communities they trade in, so their floor is the most generous (lowest) floor among their
active communities: each community they belong to vouches for them up to its own floor, and
a community with a stricter floor cannot take away credit another one grants. A member with no
active community has a floor of 0. The floor is checked whenever hours leave an account
(sending, confirming, reversing); hours can always come in. If a coordinator raises a floor,
or a member leaves their most generous community, a balance already below the new floor stays
as it is and can only go up from there.

What hours pay for. A transfer may name one claim, mentorship session or skill exchange, and
only one between its two people (a session's mentor and learner; two of an exchange's
participants). Hours for a session or exchange may cross an active link between the two
people's communities, as the session or exchange itself could; other hours need a community in
common. `settle_together` records the legs of a completed skill exchange as one: the floor is
checked on each member's net change, so a swap circle (everyone pays and is paid the same)
completes even for members at their floor.

The floor under concurrency (rule 3). "Sum, compare, insert" is only safe if nobody else takes
hours from the same account between the sum and the insert. Every transaction that takes hours
from an account first locks that member's `users` row (`SELECT ... FOR NO KEY UPDATE` on
PostgreSQL: it queues writers to the same account but, unlike FOR UPDATE, not the foreign-key
checks of transfers *to* that member, so two members paying each other at once cannot
deadlock); on SQLite `write_transaction()` begins with BEGIN IMMEDIATE, which serialises every
writer. Under READ COMMITTED, the SUM that follows the lock sees whatever the previous holder
committed. Each transaction locks one account only, so they cannot deadlock among themselves.
`tests/timebank/test_concurrency.py` races transfers on both databases.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..accounts.export import eraser, exporter
from ..accounts.models import User
from ..claims.models import Claim
from ..communities.models import Community, Membership
from ..communities.permissions import require_coordinator
from ..database import is_possible_id, now_utc, write_transaction
from ..exchanges.models import ExchangeParticipant, SkillExchange
from ..extensions import db
from ..mentorship.models import Mentorship, MentorshipSession
from ..moderation.services import blocked_ids
from ..notifications.services import notify
from ..posts.models import Post
from . import permissions
from .models import COUNTED_STATES, QUARTER, HourTransfer

MEMO_MAX = 200
MAX_MINUTES = 100 * 60  # one transfer moves at most 100 hours
FLOOR_MAX_MINUTES = 500 * 60  # a community's floor is at most 500 hours below zero
DEFAULT_FLOOR_MINUTES = -600
FLOOR_TOO_LOW = f"A floor can be at most {FLOOR_MAX_MINUTES // 60} hours below zero."
PER_PAGE = 25
PARTNERS_MAX = 500  # the neighbours offered in the send and request forms
CLAIMS_MAX = 50
# What hours may pay for, in the forms' lists: sessions that took place or are agreed, skill
# exchanges under way or done.
PAYABLE_SESSION_STATES = ("confirmed", "done")
PAYABLE_EXCHANGE_STATES = ("active", "completed")


class TimebankError(Exception):
    """A time-bank rule refused the request; the message is for the member."""


class InvalidInput(TimebankError):
    """An amount or memo a form should have caught (not a quarter hour, too long): 422."""


class CannotTransfer(TimebankError):
    """Hours can't move between these two people (not neighbours, blocked, oneself): 422."""


class WrongExchange(InvalidInput):
    """The claim, session or skill exchange the hours are said to pay for is not between the
    two of them (or more than one was chosen): 422."""


class InsufficientHours(TimebankError):
    """The payer's balance would go below their floor: 409."""

    def __init__(self, balance: int, floor: int, minutes: int, who: str = "Your") -> None:
        super().__init__(
            f"{who} balance is {format_hours(balance)} and can go down to "
            f"{format_hours(floor)}, so {format_hours(minutes)} can't leave it now."
        )
        self.balance, self.floor, self.minutes = balance, floor, minutes


class StateChanged(TimebankError):
    """The transfer is no longer in a state where this can happen (someone acted first): 409."""


class AlreadyReversed(StateChanged):
    def __init__(self) -> None:
        super().__init__("These hours have already been given back.")


class TransferNotFound(LookupError):
    """No such transfer for this member (someone else's answers the same): 404."""


STATE_WORDS = {
    "direct": "sent",
    "recorded": "waiting for confirmation",
    "confirmed": "confirmed",
    "refused": "refused",
}


# --- hours in words and numbers ----------------------------------------------------------------

_FRACTIONS = {0: "", 15: "¼", 30: "½", 45: "¾"}
_FRACTION_MINUTES = {"¼": 15, "½": 30, "¾": 45}
MINUS = "\u2212"


def format_hours(minutes: int, signed: bool = False) -> str:
    """ "2¼ h", "−1½ h", "¾ h", "0 h"; with `signed`, "+2¼ h" for hours coming in."""
    sign = MINUS if minutes < 0 else ("+" if signed and minutes > 0 else "")
    whole, rest = divmod(abs(minutes), 60)
    fraction = _FRACTIONS.get(rest)
    if fraction is None:  # never for a transfer, which moves quarter hours
        return f"{sign}{whole} h {rest} min"
    number = (str(whole) if whole or not fraction else "") + fraction
    return f"{sign}{number} h"


def decimal_hours(minutes: int) -> str:
    """ "2.25", "-1.5", "0": hours as a number a spreadsheet reads."""
    value = (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()
    return f"{value:f}"


_HOURS = re.compile(
    r"^(?P<whole>[0-9]{1,7})?(?:(?P<fraction>[¼½¾])|[.,](?P<decimals>[0-9]{1,7}))?$"
)
_CLOCK = re.compile(r"^(?P<hours>[0-9]{1,7}):(?P<minutes>[0-5][0-9])$")
_UNIT = re.compile(r"\s*(h|hr|hrs|hour|hours)\.?$")
_QUARTERS = "Hours go in quarter hours: 0.25, 0.5, 0.75, 1, 1.25 and so on."


def parse_hours(
    text: str, *, allow_zero: bool = False, most: int = MAX_MINUTES, too_much: str | None = None
) -> int:
    """Minutes from what a member typed: "2", "1.5", "1,75", "0.25", "1:30", "2½", "3 h".
    Raises InvalidInput, with a message saying what is wanted."""
    cleaned = _UNIT.sub("", (text or "").strip().lower()).strip()
    if not cleaned:
        raise InvalidInput("Please give a number of hours, like 1.5.")
    if cleaned[0] in "-−":
        raise InvalidInput("Please give a positive number of hours.")
    if clock := _CLOCK.match(cleaned):
        minutes = int(clock["hours"]) * 60 + int(clock["minutes"])
    elif (match := _HOURS.match(cleaned)) and (
        match["whole"] or match["fraction"] or match["decimals"]
    ):
        minutes = int(match["whole"] or 0) * 60
        if match["fraction"]:
            minutes += _FRACTION_MINUTES[match["fraction"]]
        elif match["decimals"]:
            part = Decimal("0." + match["decimals"]) * 60
            if part != part.to_integral_value():
                raise InvalidInput(_QUARTERS)
            minutes += int(part)
    else:
        raise InvalidInput("Please give a number of hours, like 1.5 or 2¼.")
    return clean_minutes(minutes, allow_zero=allow_zero, most=most, too_much=too_much)


def clean_minutes(
    minutes: Any, *, allow_zero: bool = False, most: int = MAX_MINUTES, too_much: str | None = None
) -> int:
    """A whole, positive number of quarter hours, at most `most` minutes; or InvalidInput."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise InvalidInput("Please give a number of hours, like 1.5.")
    if minutes < 0 or (minutes == 0 and not allow_zero):
        raise InvalidInput("Please give at least a quarter of an hour.")
    if minutes > most:
        raise InvalidInput(too_much or f"At most {format_hours(most)} can move at a time.")
    if minutes % QUARTER:
        raise InvalidInput(_QUARTERS)
    return minutes


def clean_memo(memo: str | None, *, required: bool = True) -> str:
    memo = (memo or "").replace("\x00", "").strip()
    if required and not memo:
        raise InvalidInput("Please say what the hours are for.")
    if len(memo) > MEMO_MAX:
        raise InvalidInput(f"Please keep this under {MEMO_MAX} characters.")
    return memo


# --- balances and floors -----------------------------------------------------------------------


def _counted() -> ColumnElement[bool]:
    return HourTransfer.state.in_(COUNTED_STATES)


def balance(member: User | int) -> int:
    """The member's balance in minutes: what came in minus what went out, counting direct and
    confirmed transfers. Two sums over the payer and payee indexes; nothing is stored."""
    member_id = member if isinstance(member, int) else member.id
    came_in = (
        select(func.coalesce(func.sum(HourTransfer.minutes), 0))
        .where(HourTransfer.payee_id == member_id, _counted())
        .scalar_subquery()
    )
    went_out = (
        select(func.coalesce(func.sum(HourTransfer.minutes), 0))
        .where(HourTransfer.payer_id == member_id, _counted())
        .scalar_subquery()
    )
    return int(db.session.scalar(select(came_in - went_out)) or 0)


def floor_of(member: User | int) -> int:
    """The lowest balance the member may reach, in minutes (<= 0): the most generous floor
    among their active communities, or 0 with none (see the module's docstring)."""
    return floor_and_source(member)[0]


def floor_and_source(member: User | int) -> tuple[int, Community | None]:
    """The member's floor and the community that sets it (None: no active community)."""
    member_id = member if isinstance(member, int) else member.id
    community = db.session.scalar(
        select(Community)
        .join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == member_id, Membership.status == "active")
        .order_by(Community.hour_floor_minutes, Community.name)
        .limit(1)
    )
    if community is None:
        return 0, None
    return community.hour_floor_minutes, community


@dataclass(frozen=True)
class Account:
    balance: int
    floor: int
    floor_set_by: Community | None

    @property
    def available(self) -> int:
        """How much the member may still send: down to the floor (0 if already below it)."""
        return max(0, self.balance - self.floor)


def account(member: User) -> Account:
    floor, source = floor_and_source(member)
    return Account(balance(member), floor, source)


def _lock_account(member_id: int) -> None:
    """Take the member's row lock for the rest of the transaction (PostgreSQL; SQLite's
    BEGIN IMMEDIATE already holds the database's write lock). FOR NO KEY UPDATE: see the
    module's docstring."""
    db.session.execute(select(User.id).where(User.id == member_id).with_for_update(key_share=True))


def _ensure_within_floor(payer: User, minutes: int, who: str = "Your") -> None:
    """Raise InsufficientHours unless `minutes` may leave the payer's account. Call it only
    with the payer's row locked, inside the transaction that then writes."""
    floor = floor_of(payer)
    now = balance(payer)
    if now - minutes < floor:
        raise InsufficientHours(now, floor, minutes, who)


# --- who can trade with whom -------------------------------------------------------------------


def partners(member: User, limit: int = PARTNERS_MAX) -> list[User]:
    """The people the member can trade hours with: current members sharing an active
    community with them, minus anyone with a block between them, by name."""
    mine = select(Membership.community_id).where(
        Membership.user_id == member.id, Membership.status == "active"
    )
    neighbours = select(Membership.user_id).where(
        Membership.community_id.in_(mine), Membership.status == "active"
    )
    exclude = blocked_ids(member) | {member.id}
    return list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(neighbours), User.id.not_in(exclude), User.deleted_at.is_(None))
            .order_by(func.lower(User.display_name), User.id)
            .limit(limit)
        )
    )


def _require_may_transfer(payer: User, payee: User, *, across_links: bool = False) -> None:
    reason = permissions.reason_not_to_transfer(payer, payee, across_links=across_links)
    if reason is not None:
        raise CannotTransfer(reason)


def claims_between(member: User, limit: int = CLAIMS_MAX) -> list[tuple[Claim, User]]:
    """Exchanges hours may pay for: the member's accepted and completed claims (either side),
    newest first, each with the other person."""
    rows = db.session.scalars(
        select(Claim)
        .join(Post, Post.id == Claim.post_id)
        .where(
            or_(Claim.claimant_id == member.id, Post.author_id == member.id),
            Claim.status.in_(("accepted", "completed")),
        )
        .options(selectinload(Claim.post).selectinload(Post.author), selectinload(Claim.claimant))
        .order_by(Claim.updated_at.desc(), Claim.id.desc())
        .limit(limit)
    )
    return [
        (claim, claim.post.author if claim.claimant_id == member.id else claim.claimant)
        for claim in rows
    ]


def sessions_between(member: User, limit: int = CLAIMS_MAX) -> list[tuple[MentorshipSession, User]]:
    """Mentorship sessions hours may pay for: the member's confirmed and done sessions (as
    mentor or learner), newest first, each with the other person."""
    rows = db.session.scalars(
        select(MentorshipSession)
        .join(Mentorship, Mentorship.id == MentorshipSession.mentorship_id)
        .where(
            or_(Mentorship.mentor_id == member.id, Mentorship.learner_id == member.id),
            MentorshipSession.state.in_(PAYABLE_SESSION_STATES),
        )
        .options(
            selectinload(MentorshipSession.mentorship).selectinload(Mentorship.mentor),
            selectinload(MentorshipSession.mentorship).selectinload(Mentorship.learner),
        )
        .order_by(MentorshipSession.starts_at.desc(), MentorshipSession.id.desc())
        .limit(limit)
    )
    return [
        (
            session,
            session.mentorship.learner
            if session.mentorship.mentor_id == member.id
            else session.mentorship.mentor,
        )
        for session in rows
    ]


def exchanges_between(member: User, limit: int = CLAIMS_MAX) -> list[tuple[SkillExchange, User]]:
    """Skill exchanges hours may pay for: the member's active and completed exchanges, newest
    first, once for each other participant (a circle of three gives two lines)."""
    mine = select(ExchangeParticipant.exchange_id).where(ExchangeParticipant.user_id == member.id)
    exchanges = db.session.scalars(
        select(SkillExchange)
        .where(SkillExchange.id.in_(mine), SkillExchange.state.in_(PAYABLE_EXCHANGE_STATES))
        .options(
            selectinload(SkillExchange.participants).selectinload(ExchangeParticipant.user),
            selectinload(SkillExchange.lessons),
        )
        .order_by(SkillExchange.created_at.desc(), SkillExchange.id.desc())
        .limit(limit)
    )
    return [
        (exchange, part.user)
        for exchange in exchanges
        for part in sorted(exchange.participants, key=lambda p: p.user_id)
        if part.user_id != member.id
    ]


def exchange_title(exchange: SkillExchange) -> str:
    """ "Guitar, Bike repair": the skills of an exchange, as its name in lists."""
    title = ", ".join(lesson.skill for lesson in exchange.lessons)
    return title if len(title) <= 60 else title[:59] + "…"


@dataclass(frozen=True)
class PaysFor:
    """What a transfer pays for, in words, with the address of its page."""

    kind: str  # claim | session | exchange
    id: int
    label: str

    @property
    def href(self) -> str:
        return f"/{'claims' if self.kind == 'claim' else self.kind + 's'}/{self.id}"


def pays_for(transfer: HourTransfer) -> PaysFor | None:
    """The claim, mentorship session or skill exchange the transfer pays for, if any."""
    if transfer.claim_id is not None and transfer.claim is not None:
        return PaysFor("claim", transfer.claim_id, f"“{transfer.claim.post.title}”")
    if transfer.session_id is not None:
        session = db.session.get(MentorshipSession, transfer.session_id)
        if session is not None:
            return PaysFor(
                "session",
                session.id,
                f"A mentorship session on “{session.mentorship.topic}”, "
                f"{session.starts_at:%d %b %Y}",
            )
    if transfer.exchange_id is not None:
        exchange = db.session.get(SkillExchange, transfer.exchange_id)
        if exchange is not None:
            return PaysFor("exchange", exchange.id, f"A skill exchange: {exchange_title(exchange)}")
    return None


def _check_claim(claim: Claim | None, a: User, b: User) -> None:
    if claim is None:
        return
    people = {claim.claimant_id, claim.post.author_id}
    if people != {a.id, b.id}:
        raise WrongExchange("That exchange is not between the two of you.")


def _check_pays_for(
    claim: Claim | None,
    session: MentorshipSession | None,
    exchange: SkillExchange | None,
    a: User,
    b: User,
) -> None:
    """The thing the hours pay for is between the two of them; and it is one thing at most."""
    if sum(thing is not None for thing in (claim, session, exchange)) > 1:
        raise WrongExchange("Please choose one thing the hours pay for.")
    _check_claim(claim, a, b)
    if session is not None:
        mentorship = session.mentorship
        if {mentorship.mentor_id, mentorship.learner_id} != {a.id, b.id}:
            raise WrongExchange("That session is not between the two of you.")
        if session.state not in PAYABLE_SESSION_STATES:
            raise WrongExchange("Only a session that was agreed can be paid for.")
    if exchange is not None:
        people = {part.user_id for part in exchange.participants}
        if a.id not in people or b.id not in people:
            raise WrongExchange("That skill exchange is not between the two of you.")
        if exchange.state in ("proposed", "declined"):
            raise WrongExchange("That skill exchange has not started.")


def _get(model: Any, row_id: int | None) -> Any:
    """The row with this id from a form, or None (a form may carry any number)."""
    if row_id is None or not is_possible_id(row_id):
        return None
    return db.session.get(model, row_id)


def find_member(member_id: int | None) -> User:
    """The member chosen in a form; CannotTransfer if there is no such member."""
    member = _get(User, member_id)
    if member is None:
        raise CannotTransfer("Please choose a neighbour from the list.")
    return member


def find_session(session_id: int | None) -> MentorshipSession | None:
    """The session chosen in a form (None for none); WrongExchange if there is no such one."""
    if session_id is None:
        return None
    session = _get(MentorshipSession, session_id)
    if session is None:
        raise WrongExchange("Please choose one of your sessions from the list.")
    return session


def find_exchange(exchange_id: int | None) -> SkillExchange | None:
    """The skill exchange chosen in a form (None for none); WrongExchange if there is none."""
    if exchange_id is None:
        return None
    exchange = _get(SkillExchange, exchange_id)
    if exchange is None:
        raise WrongExchange("Please choose one of your skill exchanges from the list.")
    return exchange


def find_claim(claim_id: int | None) -> Claim | None:
    """The exchange chosen in a form (None for none); WrongExchange if there is no such one."""
    if claim_id is None:
        return None
    claim = _get(Claim, claim_id)
    if claim is None:
        raise WrongExchange("Please choose one of your exchanges from the list.")
    return claim


# --- moving hours ------------------------------------------------------------------------------


def _link(transfer: HourTransfer) -> str:
    return f"/timebank/transfers/{transfer.id}"


def _quoted(memo: str) -> str:
    memo = memo if len(memo) <= 60 else memo[:59] + "…"
    return f"“{memo}”"


def send_hours(
    payer: User,
    payee: User,
    minutes: int,
    memo: str,
    claim: Claim | None = None,
    *,
    session: MentorshipSession | None = None,
    exchange: SkillExchange | None = None,
) -> HourTransfer:
    """The payer sends hours to the payee directly; they count at once. They may pay for one
    claim, mentorship session or skill exchange between the two (which may cross an active
    link between their communities; other hours need a community in common).

    Raises InvalidInput (amount, memo, a claim, session or exchange not between them),
    CannotTransfer (oneself, not neighbours, a block, a closed account) or InsufficientHours
    (below the payer's floor).
    """
    minutes = clean_minutes(minutes)
    memo = clean_memo(memo)
    _check_pays_for(claim, session, exchange, payer, payee)
    with write_transaction():
        _lock_account(payer.id)
        _require_may_transfer(payer, payee, across_links=bool(session or exchange))
        _ensure_within_floor(payer, minutes)
        now = now_utc()
        transfer = HourTransfer(
            payer_id=payer.id,
            payee_id=payee.id,
            minutes=minutes,
            memo=memo,
            state="direct",
            claim_id=claim.id if claim else None,
            session_id=session.id if session else None,
            exchange_id=exchange.id if exchange else None,
            created_by_id=payer.id,
            created_at=now,
            decided_at=now,
        )
        db.session.add(transfer)
        db.session.flush()
        notify(
            payee,
            "timebank",
            f"{payer.display_name} sent you {format_hours(minutes)} for {_quoted(memo)}.",
            _link(transfer),
        )
    return transfer


def request_hours(
    payee: User,
    payer: User,
    minutes: int,
    memo: str,
    claim: Claim | None = None,
    *,
    session: MentorshipSession | None = None,
    exchange: SkillExchange | None = None,
) -> HourTransfer:
    """The payee records hours the payer owes them; nothing moves until the payer confirms.

    Raises InvalidInput or CannotTransfer, as `send_hours`. The floor is checked when the
    payer confirms, against their balance then.
    """
    minutes = clean_minutes(minutes)
    memo = clean_memo(memo)
    _check_pays_for(claim, session, exchange, payer, payee)
    with write_transaction():
        _require_may_transfer(payer, payee, across_links=bool(session or exchange))
        transfer = HourTransfer(
            payer_id=payer.id,
            payee_id=payee.id,
            minutes=minutes,
            memo=memo,
            state="recorded",
            claim_id=claim.id if claim else None,
            session_id=session.id if session else None,
            exchange_id=exchange.id if exchange else None,
            created_by_id=payee.id,
        )
        db.session.add(transfer)
        db.session.flush()
        notify(
            payer,
            "timebank",
            f"{payee.display_name} asks you to confirm {format_hours(minutes)} for "
            f"{_quoted(memo)}.",
            _link(transfer),
        )
    return transfer


def _across_links(transfer: HourTransfer) -> bool:
    return transfer.session_id is not None or transfer.exchange_id is not None


def _settle(transfer: HourTransfer, to_state: str) -> None:
    """recorded -> `to_state`, only if it is still recorded (someone else may have settled it)."""
    result = db.session.execute(
        update(HourTransfer)
        .where(HourTransfer.id == transfer.id, HourTransfer.state == "recorded")
        .values(state=to_state, decided_at=now_utc()),
        execution_options={"synchronize_session": False},
    )
    db.session.refresh(transfer)
    if result.rowcount != 1:
        raise StateChanged(f"This request has already been {STATE_WORDS[transfer.state]}.")


def confirm(payer: User, transfer: HourTransfer) -> HourTransfer:
    """The payer confirms a request: the hours count from now.

    Raises NotAllowed (not the payer), StateChanged (already settled), CannotTransfer (the two
    no longer share a community, or one blocked the other) or InsufficientHours.
    """
    permissions.require_may(payer, transfer, "confirm")
    with write_transaction():
        _lock_account(payer.id)
        db.session.refresh(transfer)
        if transfer.state != "recorded":
            raise StateChanged(f"This request has already been {STATE_WORDS[transfer.state]}.")
        _require_may_transfer(payer, transfer.payee, across_links=_across_links(transfer))
        _ensure_within_floor(payer, transfer.minutes)
        _settle(transfer, "confirmed")
        notify(
            transfer.payee,
            "timebank",
            f"{payer.display_name} confirmed {format_hours(transfer.minutes)} for "
            f"{_quoted(transfer.memo)}.",
            _link(transfer),
        )
    return transfer


def refuse(payer: User, transfer: HourTransfer) -> HourTransfer:
    """The payer refuses a request; nothing moves. Raises NotAllowed or StateChanged."""
    permissions.require_may(payer, transfer, "refuse")
    with write_transaction():
        _settle(transfer, "refused")
        notify(
            transfer.payee,
            "timebank",
            f"{payer.display_name} did not confirm {format_hours(transfer.minutes)} for "
            f"{_quoted(transfer.memo)}.",
            _link(transfer),
        )
    return transfer


def reversal_of(transfer: HourTransfer) -> HourTransfer | None:
    return db.session.scalar(select(HourTransfer).where(HourTransfer.reverses_id == transfer.id))


def reverse(actor: User, transfer: HourTransfer, memo: str = "") -> HourTransfer:
    """Give hours back: a new direct transfer from the payee to the payer of `transfer`, by the
    payee or an admin. It is subject to the payee's floor like any payment, and a transfer is
    reversed at most once (the database's unique `reverses_id` holds it).

    Raises NotAllowed, StateChanged (a request, a reversal), AlreadyReversed,
    InsufficientHours or InvalidInput (memo).
    """
    permissions.require_may(actor, transfer, "reverse")
    memo = clean_memo(memo, required=False) or f"Giving back {_quoted(transfer.memo)}"[:MEMO_MAX]
    if transfer.state not in COUNTED_STATES:
        raise StateChanged("Only hours that moved can be given back.")
    if transfer.reverses_id is not None:
        raise StateChanged("This already gave hours back; send them again instead.")
    payee, payer = transfer.payee, transfer.payer
    try:
        with write_transaction():
            _lock_account(payee.id)
            if reversal_of(transfer) is not None:
                raise AlreadyReversed()
            who = "Your" if actor.id == payee.id else f"{payee.public_name}'s"
            _ensure_within_floor(payee, transfer.minutes, who)
            now = now_utc()
            reversal = HourTransfer(
                payer_id=payee.id,
                payee_id=payer.id,
                minutes=transfer.minutes,
                memo=memo,
                state="direct",
                claim_id=transfer.claim_id,
                session_id=transfer.session_id,
                exchange_id=transfer.exchange_id,
                reverses_id=transfer.id,
                created_by_id=actor.id,
                created_at=now,
                decided_at=now,
            )
            db.session.add(reversal)
            db.session.flush()
            text = (
                f"{payee.public_name} gave back the {format_hours(transfer.minutes)} "
                f"you sent for {_quoted(transfer.memo)}."
            )
            notify(payer, "timebank", text, _link(reversal))
            if actor.id != payee.id:
                notify(
                    payee,
                    "timebank",
                    f"An admin gave back the {format_hours(transfer.minutes)} "
                    f"{payer.public_name} sent you for {_quoted(transfer.memo)}.",
                    _link(reversal),
                )
    except IntegrityError:  # the same reversal twice at once: the unique reverses_id held
        if reversal_of(transfer) is None:
            raise
        raise AlreadyReversed() from None
    return reversal


@dataclass(frozen=True)
class Leg:
    """One payment of several settled together: `payer` pays `payee` `minutes`."""

    payer: User
    payee: User
    minutes: int
    memo: str


def settle_together(
    legs: list[Leg],
    *,
    created_by: User,
    exchange: SkillExchange | None = None,
    session: MentorshipSession | None = None,
    actor_is: User | None = None,
) -> list[HourTransfer]:
    """Record several payments as one: each leg becomes a direct transfer (paying for
    `exchange` or `session`, when given), and the floor is checked on each member's NET
    change, not leg by leg. In a swap circle A pays B, B pays C and C pays A the same hours,
    so everyone nets to zero and the circle completes even for a member at their floor; a
    paid lesson has one leg, and the learner's floor holds as for any payment.

    Runs inside the CALLER's `write_transaction()` (the legs go in with the state change that
    earns them, or not at all), and takes the row lock of every member whose balance goes
    down, in id order (so two settlements cannot deadlock). The pairs may be in linked
    communities (exchanges and sessions can cross an active link), never blocked or closed.
    `actor_is`: the member acting, so a refusal can say "Your balance" to them.

    Raises InvalidInput, CannotTransfer or InsufficientHours; the caller's transaction then
    rolls back whole.
    """
    assert db.session().in_transaction(), "settle_together runs inside write_transaction()"
    net: dict[int, int] = {}
    people: dict[int, User] = {}
    for leg in legs:
        clean_minutes(leg.minutes)
        clean_memo(leg.memo)
        _require_may_transfer(leg.payer, leg.payee, across_links=True)
        net[leg.payer.id] = net.get(leg.payer.id, 0) - leg.minutes
        net[leg.payee.id] = net.get(leg.payee.id, 0) + leg.minutes
        people[leg.payer.id], people[leg.payee.id] = leg.payer, leg.payee
    for member_id in sorted(m for m, change in net.items() if change < 0):
        _lock_account(member_id)
    for member_id in sorted(m for m, change in net.items() if change < 0):
        member = people[member_id]
        who = (
            "Your"
            if actor_is is not None and actor_is.id == member_id
            else (f"{member.public_name}'s")
        )
        _ensure_within_floor(member, -net[member_id], who)
    now = now_utc()
    transfers = [
        HourTransfer(
            payer_id=leg.payer.id,
            payee_id=leg.payee.id,
            minutes=leg.minutes,
            memo=leg.memo,
            state="direct",
            exchange_id=exchange.id if exchange else None,
            session_id=session.id if session else None,
            created_by_id=created_by.id,
            created_at=now,
            decided_at=now,
        )
        for leg in legs
    ]
    db.session.add_all(transfers)
    db.session.flush()
    return transfers


# --- reading -----------------------------------------------------------------------------------


def get_transfer(viewer: User, transfer_id: int) -> HourTransfer:
    """The transfer if the viewer may see it; TransferNotFound otherwise (a stranger learns
    nothing, not even that it exists)."""
    if not is_possible_id(transfer_id):
        raise TransferNotFound(transfer_id)
    transfer = db.session.get(HourTransfer, transfer_id)
    if transfer is None or not permissions.can_view(viewer, transfer):
        raise TransferNotFound(transfer_id)
    return transfer


def requests_to_confirm(member: User) -> list[HourTransfer]:
    """Requests waiting for the member to confirm or refuse, oldest first."""
    return list(
        db.session.scalars(
            select(HourTransfer)
            .where(HourTransfer.payer_id == member.id, HourTransfer.state == "recorded")
            .options(selectinload(HourTransfer.payee))
            .order_by(HourTransfer.created_at, HourTransfer.id)
        )
    )


def my_requests(member: User, refused_for: timedelta = timedelta(days=30)) -> list[HourTransfer]:
    """The member's own requests still waiting, and those refused lately, newest first."""
    since = now_utc() - refused_for
    return list(
        db.session.scalars(
            select(HourTransfer)
            .where(
                HourTransfer.payee_id == member.id,
                or_(
                    HourTransfer.state == "recorded",
                    (HourTransfer.state == "refused") & (HourTransfer.decided_at >= since),
                ),
            )
            .options(selectinload(HourTransfer.payer))
            .order_by(HourTransfer.created_at.desc(), HourTransfer.id.desc())
            .limit(50)
        )
    )


@dataclass(frozen=True)
class StatementLine:
    transfer: HourTransfer
    change: int  # minutes in (+) or out (-)
    balance: int  # the balance after this line
    other: User
    reversed_by: HourTransfer | None

    @property
    def when(self) -> datetime:
        assert self.transfer.decided_at is not None  # counted transfers are decided
        return self.transfer.decided_at


@dataclass(frozen=True)
class Statement:
    lines: list[StatementLine]  # newest first
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _lines(member: User, newest_first: bool, limit: int | None, offset: int) -> list[StatementLine]:
    """Counted transfers with the balance after each: a running SUM over the member's history
    in the order the hours counted (when decided, then id), in one query."""
    change = case(
        (HourTransfer.payee_id == member.id, HourTransfer.minutes), else_=-HourTransfer.minutes
    )
    running = func.sum(change).over(order_by=(HourTransfer.decided_at, HourTransfer.id))
    history = (
        select(
            HourTransfer.id.label("id"),
            HourTransfer.decided_at.label("decided_at"),
            change.label("change"),
            running.label("after"),
        )
        .where(
            or_(HourTransfer.payer_id == member.id, HourTransfer.payee_id == member.id),
            _counted(),
        )
        .subquery()
    )
    order = (
        (history.c.decided_at.desc(), history.c.id.desc())
        if newest_first
        else (history.c.decided_at, history.c.id)
    )
    rows = db.session.execute(
        select(history.c.id, history.c.change, history.c.after)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    ).all()
    ids = [row.id for row in rows]
    transfers = {
        t.id: t
        for t in db.session.scalars(
            select(HourTransfer)
            .where(HourTransfer.id.in_(ids))
            .options(selectinload(HourTransfer.payer), selectinload(HourTransfer.payee))
        )
    }
    reversals = {
        t.reverses_id: t
        for t in db.session.scalars(select(HourTransfer).where(HourTransfer.reverses_id.in_(ids)))
    }
    lines = []
    for row in rows:
        transfer = transfers[row.id]
        other = transfer.payer if transfer.payee_id == member.id else transfer.payee
        lines.append(
            StatementLine(transfer, int(row.change), int(row.after), other, reversals.get(row.id))
        )
    return lines


def statement(member: User, page: int = 1, per_page: int = PER_PAGE) -> Statement:
    """One page of the member's statement, newest first, each line with the balance after it.
    A page past the end shows the last one."""
    total = (
        db.session.scalar(
            select(func.count(HourTransfer.id)).where(
                or_(HourTransfer.payer_id == member.id, HourTransfer.payee_id == member.id),
                _counted(),
            )
        )
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    lines = _lines(member, newest_first=True, limit=per_page, offset=(page - 1) * per_page)
    return Statement(lines, page, per_page, total)


# --- the CSV statement -------------------------------------------------------------------------

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and
# carriage return, as the start of one): "=HYPERLINK(...)" in a memo must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = [
    "Date (UTC)",
    "Transfer",
    "With",
    "What for",
    "In (hours)",
    "Out (hours)",
    "Balance (hours)",
    "Note",
    "Pays for",
]


def spreadsheet_safe(value: str) -> str:
    """Text a spreadsheet shows as text: a leading ' before = + - @ (and tab, CR)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _pays_for_cell(t: HourTransfer) -> str:
    """ "claim 12", "session 4", "exchange 7": what the line pays for, by number."""
    for kind, value in (
        ("claim", t.claim_id),
        ("session", t.session_id),
        ("exchange", t.exchange_id),
    ):
        if value is not None:
            return f"{kind} {value}"
    return ""


def _csv_rows(member: User) -> Iterator[list[str]]:
    yield CSV_HEADER
    batch, offset = 500, 0
    while True:
        lines = _lines(member, newest_first=False, limit=batch, offset=offset)
        for line in lines:
            t = line.transfer
            note = []
            if t.reverses_id:
                note.append(f"gives back transfer {t.reverses_id}")
            if line.reversed_by is not None:
                note.append(f"given back by transfer {line.reversed_by.id}")
            if t.state == "confirmed":
                note.append("request confirmed")
            # Text a member wrote (names, memos) is made spreadsheet-safe; the numbers are the
            # bank's own and stay numbers, so a spreadsheet can add them up.
            yield [
                line.when.strftime("%Y-%m-%d %H:%M"),
                str(t.id),
                spreadsheet_safe(line.other.public_name),
                spreadsheet_safe(t.memo),
                decimal_hours(line.change) if line.change > 0 else "",
                decimal_hours(-line.change) if line.change < 0 else "",
                decimal_hours(line.balance),
                "; ".join(note),
                _pays_for_cell(t),
            ]
        if len(lines) < batch:
            return
        offset += batch


def csv_statement(member: User) -> str:
    """The member's whole statement as CSV, oldest first, with the balance after each line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(_csv_rows(member))
    return out.getvalue()


# --- floors ------------------------------------------------------------------------------------


def set_floor(actor: User, community: Community, floor_minutes: int) -> Community:
    """A coordinator (or admin) sets how far below zero the community's members may go:
    0 or a negative number of quarter hours, at most FLOOR_MAX_MINUTES below zero.
    Raises NotAllowed or InvalidInput."""
    require_coordinator(actor, community)
    if isinstance(floor_minutes, bool) or not isinstance(floor_minutes, int) or floor_minutes > 0:
        raise InvalidInput("The floor is zero or below.")
    clean_minutes(-floor_minutes, allow_zero=True, most=FLOOR_MAX_MINUTES, too_much=FLOOR_TOO_LOW)
    with write_transaction():
        db.session.execute(
            update(Community)
            .where(Community.id == community.id)
            .values(hour_floor_minutes=floor_minutes),
            execution_options={"synchronize_session": False},
        )
    db.session.refresh(community)
    return community


def coordinated_communities(member: User) -> list[Community]:
    """The communities whose floor the member may set (as a coordinator)."""
    return list(
        db.session.scalars(
            select(Community)
            .join(Membership, Membership.community_id == Community.id)
            .where(
                Membership.user_id == member.id,
                Membership.role == "coordinator",
                Membership.status == "active",
            )
            .order_by(Community.name)
        )
    )


# --- the dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    balance: int
    to_confirm: int


def summary(member: User) -> Summary:
    """The member's balance and how many requests wait for them: the dashboard's line."""
    waiting = db.session.scalar(
        select(func.count(HourTransfer.id)).where(
            HourTransfer.payer_id == member.id, HourTransfer.state == "recorded"
        )
    )
    return Summary(balance(member), waiting or 0)


# --- personal data -----------------------------------------------------------------------------


def _export_row(member: User, t: HourTransfer) -> dict[str, Any]:
    out = t.payer_id == member.id
    return {
        "id": t.id,
        "direction": "out" if out else "in",
        "with": (t.payee if out else t.payer).public_name,
        "hours": decimal_hours(t.minutes),
        "memo": t.memo,
        "state": t.state,
        "counts": t.counts,
        "reverses": t.reverses_id,
        "claim": t.claim_id,
        "session": t.session_id,
        "exchange": t.exchange_id,
        "created_at": t.created_at.isoformat(),
        "decided_at": t.decided_at.isoformat() if t.decided_at else None,
    }


@exporter("hour_transfers")
def _export_transfers(user: User) -> dict[str, Any]:
    transfers: Iterable[HourTransfer] = db.session.scalars(
        select(HourTransfer)
        .where(or_(HourTransfer.payer_id == user.id, HourTransfer.payee_id == user.id))
        .options(selectinload(HourTransfer.payer), selectinload(HourTransfer.payee))
        .order_by(HourTransfer.id)
    )
    return {
        "balance_hours": decimal_hours(balance(user)),
        "transfers": [_export_row(user, t) for t in transfers],
    }


@eraser
def _close_waiting_requests(user: User) -> None:
    """A deleted account's transfers stay (every balance must still sum to zero; the member
    shows as "Former member"), but requests still waiting to or from them are refused: nobody
    is left to confirm them, or to be paid."""
    db.session.execute(
        update(HourTransfer)
        .where(
            or_(HourTransfer.payer_id == user.id, HourTransfer.payee_id == user.id),
            HourTransfer.state == "recorded",
        )
        .values(state="refused", decided_at=now_utc()),
        execution_options={"synchronize_session": False},
    )
