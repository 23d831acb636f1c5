"""Claims: answering a post, the author's decisions, the waiting list, the private thread of
each claim, and thanks after a completed exchange.

Who may do what (anyone else gets `NotAllowed`):
- the claimant: `make_claim`, `withdraw` (pending, waitlisted or accepted);
- the post's author: `accept` (pending, or waitlisted once a place is free), `decline`
  (pending or waitlisted), `cancel` (pending, waitlisted or accepted);
- either of the two: `complete` (accepted -> completed), `send_message`, `thank`.
  Either side may mark an exchange done, because both know when it happened; if only the
  author could, a quiet author would leave the claimant unable to leave thanks. The other side
  is told, and a completed claim can still be talked about in its thread.

Places. `posts.accepted_count` counts the claims holding a place: accepted ones and completed
ones (an offer for three people has served three once three are done), so completing a claim
does not free its place; withdrawing or cancelling an accepted claim does.

Rule 1 under concurrency. Accepting never reads the count and writes it back (two authors'
tabs, or one author double-clicking, would both read "one place left" and both accept). It
runs, inside one `write_transaction()`:
    UPDATE posts SET accepted_count = accepted_count + 1, status = <fulfilled when now full>
    WHERE id = :id AND accepted_count < capacity AND status = 'open' AND <not hidden, expired>
and a rowcount of 0 means the place went to someone else (`CapacityReached`, answered 409).
The claim moves with `UPDATE claims ... WHERE id = :id AND status IN (...)`, checked the same
way, so two people acting on one claim at once cannot both succeed. The database's CHECK
(accepted_count <= capacity) is the last line behind both. Transactions that touch a post
take its row first (the UPDATE above, or SELECT ... FOR UPDATE on PostgreSQL; SQLite's
BEGIN IMMEDIATE serialises writers anyway), so they queue in one order and cannot deadlock.

The waiting list. A claim on a full offer (every place taken) is `waitlisted`; claims on a
need that already has its helper are refused. When an accepted claim is withdrawn or
cancelled, the place is given back and, in the same transaction, offered to the earliest
waitlisted claim (by when it was made): it becomes `accepted` through the same conditional
updates and its claimant is told "A place opened for you". Claims still `pending` when the
offer filled up stay pending: they wait for the author's answer, not in the queue, and the
author may accept them once a place is free. A waitlisted claim whose two people have since
blocked each other is passed over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..accounts.export import exporter
from ..accounts.models import User
from ..communities.permissions import NotAllowed, Viewer, is_coordinator, require_not_suspended
from ..database import now_utc, write_transaction
from ..extensions import db
from ..moderation.services import is_blocked_between
from ..notifications.services import notify
from ..posts.models import Post, PostFollow
from ..posts.visibility import can_see
from .models import ACTIVE_STATES, CLAIM_STATES, THANKS_MAX, Claim, Message, Thanks

MESSAGE_MAX = 2000
ON_BEHALF_MAX = 80

STATE_WORDS = {
    "pending": "waiting for an answer",
    "waitlisted": "on the waiting list",
    "accepted": "accepted",
    "declined": "declined",
    "withdrawn": "withdrawn",
    "cancelled": "cancelled",
    "completed": "completed",
}


class ClaimError(Exception):
    """A claim rule refused the request; the message is for the member (answered 409)."""


class CapacityReached(ClaimError):
    def __init__(self) -> None:
        super().__init__("Every place on this post is taken, so nobody more can be accepted.")


class AlreadyClaimed(ClaimError):
    """The member already holds a live claim on this post (`claim` is that one)."""

    def __init__(self, claim: Claim) -> None:
        super().__init__("You have already answered this post.")
        self.claim = claim


class InvalidTransition(ClaimError):
    """The claim is no longer in a state where this can happen (someone acted first)."""

    def __init__(self, status: str) -> None:
        super().__init__(f"That can't be done now: this claim is {STATE_WORDS[status]}.")
        self.status = status


class PostNotOpen(ClaimError):
    """Closed, expired, hidden, or a need that already has its helper."""


class AlreadyThanked(ClaimError):
    def __init__(self) -> None:
        super().__init__("You have already said thanks for this exchange.")


class InvalidInput(ClaimError):
    """Text a form should have caught (empty, too long); views answer 422."""


# --- who is who ------------------------------------------------------------------------------


def role_of(viewer: Viewer, claim: Claim) -> str | None:
    """The viewer's part in the claim: "claimant", "author", "staff" (a coordinator of the
    post's community, or an admin), or None for everyone else, who is not told it exists."""
    if not viewer.is_authenticated:
        return None
    if viewer.id == claim.claimant_id:
        return "claimant"
    if viewer.id == claim.post.author_id:
        return "author"
    if is_coordinator(viewer, claim.post.community):
        return "staff"
    return None


def other_party(claim: Claim, person: User) -> User:
    return claim.post.author if person.id == claim.claimant_id else claim.claimant


def _require_party(actor: User, claim: Claim) -> None:
    if role_of(actor, claim) not in ("claimant", "author"):
        raise NotAllowed("Only the two people in this exchange can do that.")


def _require_author(actor: User, claim: Claim) -> None:
    if actor.id != claim.post.author_id:
        raise NotAllowed("Only the person who posted this can do that.")


def _require_claimant(actor: User, claim: Claim) -> None:
    if actor.id != claim.claimant_id:
        raise NotAllowed("Only the person who made this claim can do that.")


def _refuse_blocked(claim: Claim) -> None:
    if is_blocked_between(claim.claimant_id, claim.post.author_id):
        raise NotAllowed("You can't do that: one of you has blocked the other.")


def _link(claim: Claim) -> str:
    return f"/claims/{claim.id}"


def _title(post: Post) -> str:
    title = post.title if len(post.title) <= 60 else post.title[:59] + "…"
    return f"“{title}”"


# --- answering a post ------------------------------------------------------------------------


def _is_expired(post: Post, now: datetime) -> bool:
    return post.status == "expired" or (post.expires_at is not None and post.expires_at <= now)


def _refuse_unless_open(post: Post, now: datetime) -> None:
    if post.hidden_at is not None:
        raise PostNotOpen("This post is hidden by the community's coordinators.")
    if post.status == "closed":
        raise PostNotOpen("This post is closed, so it can't take new answers.")
    if _is_expired(post, now):
        raise PostNotOpen("This post has expired, so it can't take new answers.")


def beneficiary_key(on_behalf_of: str | None) -> str:
    return (on_behalf_of or "").strip().lower()


def active_claim(claimant: Viewer, post: Post, on_behalf_of: str | None = None) -> Claim | None:
    """The member's live (pending, waitlisted or accepted) claim on this post, for themselves
    or for the neighbour named, if any."""
    if not claimant.is_authenticated:
        return None
    return db.session.scalar(
        select(Claim).where(
            Claim.post_id == post.id,
            Claim.claimant_id == claimant.id,
            Claim.beneficiary_key == beneficiary_key(on_behalf_of),
            Claim.status.in_(ACTIVE_STATES),
        )
    )


def make_claim(claimant: User, post: Post, message: str, on_behalf_of: str | None = None) -> Claim:
    """Answer a post: "I'd like this" on an offer, "I can help" on a need.

    The claim is `pending`, or `waitlisted` when the offer is full. Raises NotAllowed (own
    post, a post the member cannot see, a blocked pair, on behalf of without being one of the
    community's coordinators, a member suspended from the post's community), PostNotOpen
    (closed, expired, hidden, a need already helped), AlreadyClaimed (a live claim exists:
    also held by the database's unique index when the same form arrives twice at once) and
    InvalidInput.
    """
    message = (message or "").strip()
    on_behalf_of = (on_behalf_of or "").strip() or None
    if len(message) > MESSAGE_MAX:
        raise InvalidInput(f"Please keep your message under {MESSAGE_MAX} characters.")
    if on_behalf_of is not None and len(on_behalf_of) > ON_BEHALF_MAX:
        raise InvalidInput(f"A name needs at most {ON_BEHALF_MAX} characters.")
    if claimant.id == post.author_id:
        raise NotAllowed("This is your own post.")
    if not can_see(claimant, post):
        raise NotAllowed("You can't see this post.")
    require_not_suspended(claimant, post.community)
    if on_behalf_of and not is_coordinator(claimant, post.community):
        raise NotAllowed("Only this community's coordinators can answer for a neighbour.")
    if is_blocked_between(claimant.id, post.author_id):
        raise NotAllowed("You can't answer this post.")
    try:
        with write_transaction():
            # Lock the post's row (PostgreSQL; SQLite's writers are serialised already) so an
            # accept or a withdrawal cannot change whether it is full while we decide.
            locked = _lock_post(post.id)
            now = now_utc()
            _refuse_unless_open(locked, now)
            existing = active_claim(claimant, locked, on_behalf_of)
            if existing is not None:
                raise AlreadyClaimed(existing)
            full = locked.status == "fulfilled" or locked.accepted_count >= locked.capacity
            if full and locked.kind == "need":
                raise PostNotOpen("This need already has the help it asked for.")
            claim = Claim(
                post_id=locked.id,
                claimant_id=claimant.id,
                message=message,
                on_behalf_of=on_behalf_of,
                beneficiary_key=beneficiary_key(on_behalf_of),
                status="waitlisted" if full else "pending",
            )
            db.session.add(claim)
            db.session.flush()
            who = claimant.display_name + (f" (for {on_behalf_of})" if on_behalf_of else "")
            verb = "would like" if locked.kind == "offer" else "can help with"
            queued = " and is on the waiting list" if full else ""
            notify(locked.author, "claim", f"{who} {verb} {_title(locked)}{queued}.", _link(claim))
    except IntegrityError:
        # The unique index on live claims: the same form sent twice, both passing the check
        # above before either committed. The first one won; point at it.
        existing = active_claim(claimant, post, on_behalf_of)
        if existing is None:
            raise
        raise AlreadyClaimed(existing) from None
    return claim


# --- the author's and the claimant's decisions -------------------------------------------------


def _lock_post(post_id: int) -> Post:
    """The post read afresh inside the transaction, its row locked on PostgreSQL."""
    post = db.session.scalar(
        select(Post)
        .where(Post.id == post_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert post is not None  # claims cascade with their post
    return post


def _move(claim: Claim, from_states: Sequence[str], to_state: str, **values: Any) -> None:
    """Move the claim to `to_state` only if it is still in one of `from_states`."""
    now = now_utc()
    result = db.session.execute(
        update(Claim)
        .where(Claim.id == claim.id, Claim.status.in_(from_states))
        .values(status=to_state, updated_at=now, **values),
        execution_options={"synchronize_session": False},
    )
    db.session.refresh(claim)
    if result.rowcount != 1:
        raise InvalidTransition(claim.status)


def _take_place(post: Post) -> None:
    """Give one place of `post` to a claim, or raise CapacityReached / PostNotOpen.

    One conditional UPDATE: the database checks and writes in one step, so two simultaneous
    accepts cannot both see a free place. The post is marked fulfilled when it becomes full.
    """
    now = now_utc()
    result = db.session.execute(
        update(Post)
        .where(
            Post.id == post.id,
            Post.accepted_count < Post.capacity,
            Post.status == "open",
            Post.hidden_at.is_(None),
            or_(Post.expires_at.is_(None), Post.expires_at > now),
        )
        .values(
            accepted_count=Post.accepted_count + 1,
            status=case((Post.accepted_count + 1 >= Post.capacity, "fulfilled"), else_="open"),
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.refresh(post)
    if result.rowcount != 1:
        _refuse_unless_open(post, now)
        raise CapacityReached()


def _give_back_place(post: Post) -> None:
    """An accepted claim ended: one place is free again, and a full post is open again."""
    db.session.execute(
        update(Post)
        .where(Post.id == post.id, Post.accepted_count > 0)
        .values(
            accepted_count=Post.accepted_count - 1,
            status=case((Post.status == "fulfilled", "open"), else_=Post.status),
            updated_at=now_utc(),
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.refresh(post)


def _tell_followers(post: Post, *skip: int) -> None:
    followers = db.session.scalars(
        select(User)
        .join(PostFollow, PostFollow.user_id == User.id)
        .where(PostFollow.post_id == post.id, User.id.not_in(skip))
    )
    for person in followers:
        text = f"{_title(post)} is fulfilled: every place is taken."
        notify(person, "claim", text, f"/posts/{post.id}")


def _promote_next(post: Post) -> Claim | None:
    """Offer a freed place to the earliest waitlisted claim; returns it, or None."""
    if post.status != "open" or _is_expired(post, now_utc()) or post.hidden_at is not None:
        return None
    waiting = db.session.scalars(
        select(Claim)
        .where(Claim.post_id == post.id, Claim.status == "waitlisted")
        .order_by(Claim.created_at, Claim.id)
    ).all()
    for candidate in waiting:
        if is_blocked_between(candidate.claimant_id, post.author_id):
            continue
        _take_place(post)
        _move(candidate, ("waitlisted",), "accepted", answered_at=now_utc())
        notify(
            candidate.claimant,
            "claim",
            f"A place opened for you: {_title(post)} is yours. Say hello in the thread.",
            _link(candidate),
        )
        return candidate
    return None


def fill_from_waitlist(post: Post) -> list[Claim]:
    """Give every free place of `post` to the waiting list in order (after the author raised
    its capacity). Runs inside the caller's transaction; returns the claims that got a place."""
    promoted = []
    while post.places_left > 0:
        claim = _promote_next(post)
        if claim is None:
            break
        promoted.append(claim)
    return promoted


def settle_closed_post(post: Post) -> int:
    """The post was closed or expired: answers still waiting (pending or waitlisted) are
    declined, and their people told, so nobody waits for a post that is gone. Accepted
    exchanges go on.
    Runs inside the caller's transaction; returns how many were declined."""
    waiting = db.session.scalars(
        select(Claim)
        .where(Claim.post_id == post.id, Claim.status.in_(("pending", "waitlisted")))
        .options(selectinload(Claim.claimant))
    ).all()
    for claim in waiting:
        _move(claim, ("pending", "waitlisted"), "declined", answered_at=now_utc())
        notify(
            claim.claimant,
            "claim",
            f"{_title(post)} has {'expired' if post.status == 'expired' else 'been closed'}, "
            "so your answer is closed too.",
            _link(claim),
        )
    return len(waiting)


def accept(actor: User, claim: Claim) -> Claim:
    """The author accepts a pending claim, or a waitlisted one once a place is free.

    Raises NotAllowed, InvalidTransition, CapacityReached (every place taken) or PostNotOpen.
    """
    _require_author(actor, claim)
    _refuse_blocked(claim)
    with write_transaction():
        db.session.refresh(claim)
        if claim.status not in ("pending", "waitlisted"):  # a clearer message than "full"
            raise InvalidTransition(claim.status)
        post = claim.post
        _take_place(post)  # the guard for rule 1; takes the post's row lock first
        _move(claim, ("pending", "waitlisted"), "accepted", answered_at=now_utc())
        notify(
            claim.claimant,
            "claim",
            f"{actor.display_name} accepted your answer to {_title(post)}.",
            _link(claim),
        )
        if post.status == "fulfilled":  # it was open a moment ago: this accept filled it
            _tell_followers(post, actor.id, claim.claimant_id)
    return claim


def decline(actor: User, claim: Claim) -> Claim:
    """The author says no to a pending or waitlisted claim."""
    _require_author(actor, claim)
    with write_transaction():
        _move(claim, ("pending", "waitlisted"), "declined", answered_at=now_utc())
        notify(
            claim.claimant,
            "claim",
            f"{actor.display_name} can't take up your answer to {_title(claim.post)} this time.",
            _link(claim),
        )
    return claim


def _end(claim: Claim, to_state: str, from_states: Sequence[str]) -> Claim | None:
    """End a claim; if it held a place, give the place back and offer it to the waiting list.
    Returns the promoted claim, if any."""
    post = _lock_post(claim.post_id)
    db.session.refresh(claim, with_for_update=True)  # its state now that we hold the post
    current = claim.status
    if current not in from_states:
        raise InvalidTransition(current)
    _move(claim, (current,), to_state)
    if current != "accepted":
        return None
    was_full = post.status == "fulfilled"
    _give_back_place(post)
    promoted = _promote_next(post)
    if promoted is not None and post.status == "fulfilled" and not was_full:
        _tell_followers(post, post.author_id, promoted.claimant_id)
    return promoted


def withdraw(actor: User, claim: Claim) -> Claim:
    """The claimant steps back from a pending, waitlisted or accepted claim."""
    _require_claimant(actor, claim)
    with write_transaction():
        promoted = _end(claim, "withdrawn", ("pending", "waitlisted", "accepted"))
        post = claim.post
        text = f"{actor.display_name} withdrew from {_title(post)}."
        if promoted is not None:
            text += f" {promoted.claimant.display_name}, first on the waiting list, has the place."
        notify(post.author, "claim", text, _link(claim))
    return claim


def cancel(actor: User, claim: Claim) -> Claim:
    """The author calls off a pending, waitlisted or accepted claim."""
    _require_author(actor, claim)
    with write_transaction():
        _end(claim, "cancelled", ("pending", "waitlisted", "accepted"))
        notify(
            claim.claimant,
            "claim",
            f"{actor.display_name} cancelled your claim on {_title(claim.post)}.",
            _link(claim),
        )
    return claim


def complete(actor: User, claim: Claim) -> Claim:
    """Either side marks an accepted claim as done; thanks are possible from then on."""
    _require_party(actor, claim)
    with write_transaction():
        now = now_utc()
        _move(claim, ("accepted",), "completed", completed_at=now)
        notify(
            other_party(claim, actor),
            "claim",
            f"{actor.display_name} marked {_title(claim.post)} as done. You can say thanks.",
            _link(claim),
        )
    return claim


def allowed_actions(viewer: Viewer, claim: Claim) -> list[str]:
    """The buttons to show this viewer: the transitions they may make from the claim's state."""
    role = role_of(viewer, claim)
    status = claim.status
    actions: list[str] = []
    if role == "author":
        if status == "pending" or (status == "waitlisted" and claim.post.places_left > 0):
            actions.append("accept")
        if status in ("pending", "waitlisted"):
            actions.append("decline")
        if status in ("pending", "waitlisted", "accepted"):
            actions.append("cancel")
    if role == "claimant" and status in ACTIVE_STATES:
        actions.append("withdraw")
    if role in ("author", "claimant") and status == "accepted":
        actions.insert(0, "complete")
    return actions


_LIST_ORDER = {state: n for n, state in enumerate(("pending", "accepted", "waitlisted"))}


def claims_on_post(viewer: Viewer, post: Post) -> list[Claim] | None:
    """Every claim on the post for its author and the community's coordinators (live ones
    first, then in the order they came); None for anyone else."""
    if not viewer.is_authenticated or not (
        viewer.id == post.author_id or is_coordinator(viewer, post.community)
    ):
        return None
    claims = db.session.scalars(
        select(Claim)
        .where(Claim.post_id == post.id)
        .options(selectinload(Claim.claimant))
        .order_by(Claim.created_at, Claim.id)
    )
    return sorted(claims, key=lambda c: _LIST_ORDER.get(c.status, len(_LIST_ORDER)))


def waitlist_position(claim: Claim) -> int | None:
    """1 for the first in line; None unless the claim is waitlisted."""
    if claim.status != "waitlisted":
        return None
    ahead = db.session.scalar(
        select(func.count(Claim.id)).where(
            Claim.post_id == claim.post_id,
            Claim.status == "waitlisted",
            or_(
                Claim.created_at < claim.created_at,
                and_(Claim.created_at == claim.created_at, Claim.id < claim.id),
            ),
        )
    )
    return (ahead or 0) + 1


# --- the private thread ------------------------------------------------------------------------


def send_message(author: User, claim: Claim, body: str) -> Message:
    """Add to the claim's thread. Only the two people, not when one blocked the other, and not
    by someone suspended from the post's community."""
    _require_party(author, claim)
    require_not_suspended(author, claim.post.community)
    body = (body or "").strip()
    if not body:
        raise InvalidInput("Please write a message.")
    if len(body) > MESSAGE_MAX:
        raise InvalidInput(f"Please keep a message under {MESSAGE_MAX} characters.")
    _refuse_blocked(claim)
    with write_transaction():
        message = Message(claim_id=claim.id, author_id=author.id, body=body)
        db.session.add(message)
        db.session.flush()
        notify(
            other_party(claim, author),
            "message",
            f"{author.display_name} wrote about {_title(claim.post)}.",
            _link(claim) + "#thread",
        )
    return message


def thread(claim: Claim, viewer: Viewer, after: int | None = None) -> list[Message]:
    """The thread, oldest first (only messages after the id `after` when given). Private to
    the two people: coordinators and admins are refused (NotAllowed)."""
    if role_of(viewer, claim) not in ("claimant", "author"):
        raise NotAllowed("Only the two people in this exchange can read its messages.")
    statement = (
        select(Message)
        .where(Message.claim_id == claim.id)
        .options(selectinload(Message.author))
        .order_by(Message.id)
    )
    if after is not None:
        statement = statement.where(Message.id > after)
    return list(db.session.scalars(statement))


# --- thanks ------------------------------------------------------------------------------------


def thanks_for(claim: Claim) -> list[Thanks]:
    return list(
        db.session.scalars(select(Thanks).where(Thanks.claim_id == claim.id).order_by(Thanks.id))
    )


def thank(giver: User, claim: Claim, note: str) -> Thanks:
    """Thank the other side of a completed claim; each side once (AlreadyThanked)."""
    _require_party(giver, claim)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Please write a few words of thanks.")
    if len(note) > THANKS_MAX:
        raise InvalidInput(f"Please keep your thanks under {THANKS_MAX} characters.")
    if claim.status != "completed":
        raise ClaimError("Thanks can be left once the exchange is marked as done.")
    _refuse_blocked(claim)
    receiver = other_party(claim, giver)
    try:
        with write_transaction():
            exists = db.session.scalar(
                select(Thanks.id).where(Thanks.claim_id == claim.id, Thanks.from_id == giver.id)
            )
            if exists is not None:
                raise AlreadyThanked()
            thanks = Thanks(claim_id=claim.id, from_id=giver.id, to_id=receiver.id, note=note)
            db.session.add(thanks)
            db.session.flush()
            notify(
                receiver,
                "claim",
                f"{giver.display_name} thanked you for {_title(claim.post)}.",
                _link(claim),
            )
    except IntegrityError:  # the same thanks sent twice at once: the unique constraint held
        raise AlreadyThanked() from None
    return thanks


# --- the dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimsDashboard:
    mine: dict[str, list[Claim]] = field(default_factory=dict)  # by state, in CLAIM_STATES order
    waiting: list[Claim] = field(default_factory=list)  # answers to my posts awaiting me

    @property
    def is_empty(self) -> bool:
        return not self.mine and not self.waiting


def claims_for_dashboard(user: User) -> ClaimsDashboard:
    """A member's own claims grouped by state (newest first), and the pending or waitlisted
    claims on their posts that wait for their answer (oldest first)."""
    mine = db.session.scalars(
        select(Claim)
        .where(Claim.claimant_id == user.id)
        .options(selectinload(Claim.post))
        .order_by(Claim.updated_at.desc(), Claim.id.desc())
        .limit(200)
    )
    grouped: dict[str, list[Claim]] = {state: [] for state in CLAIM_STATES}
    for claim in mine:
        grouped[claim.status].append(claim)
    waiting = db.session.scalars(
        select(Claim)
        .join(Post, Post.id == Claim.post_id)
        .where(Post.author_id == user.id, Claim.status.in_(("pending", "waitlisted")))
        .options(selectinload(Claim.post), selectinload(Claim.claimant))
        .order_by(Claim.created_at, Claim.id)
        .limit(200)
    )
    return ClaimsDashboard(
        mine={state: claims for state, claims in grouped.items() if claims},
        waiting=list(waiting),
    )


# --- export my data ----------------------------------------------------------------------------


@exporter("claims")
def _export_claims(user: User) -> list[dict[str, Any]]:
    claims = db.session.scalars(
        select(Claim)
        .where(Claim.claimant_id == user.id)
        .options(selectinload(Claim.post))
        .order_by(Claim.id)
    )
    return [
        {
            "post": claim.post.title,
            "status": claim.status,
            "message": claim.message,
            "on_behalf_of": claim.on_behalf_of,
            "created_at": claim.created_at.isoformat(),
            "completed_at": claim.completed_at.isoformat() if claim.completed_at else None,
        }
        for claim in claims
    ]


@exporter("messages")
def _export_messages(user: User) -> list[dict[str, Any]]:
    messages = db.session.scalars(
        select(Message)
        .where(Message.author_id == user.id)
        .options(selectinload(Message.claim).selectinload(Claim.post))
        .order_by(Message.id)
    )
    return [
        {
            "claim": message.claim_id,
            "post": message.claim.post.title,
            "body": message.body,
            "created_at": message.created_at.isoformat(),
        }
        for message in messages
    ]


@exporter("thanks_given")
def _export_thanks(user: User) -> list[dict[str, Any]]:
    given = db.session.scalars(
        select(Thanks).where(Thanks.from_id == user.id).options(selectinload(Thanks.receiver))
    )
    return [
        {
            "to": thanks.receiver.public_name,
            "note": thanks.note,
            "created_at": thanks.created_at.isoformat(),
        }
        for thanks in given
    ]


@dataclass(frozen=True)
class Trust:
    """What a profile shows instead of star ratings: reciprocity and responsiveness."""

    completed: int
    thanks_count: int
    recent_thanks: list[Thanks]
    usual_response: timedelta | None  # median time to answer a claim on their posts


def trust_of(member: User, recent: int = 5) -> Trust:
    completed = db.session.scalar(
        select(func.count(Claim.id))
        .join(Post, Post.id == Claim.post_id)
        .where(
            Claim.status == "completed",
            or_(Claim.claimant_id == member.id, Post.author_id == member.id),
        )
    )
    thanks_count = db.session.scalar(select(func.count(Thanks.id)).where(Thanks.to_id == member.id))
    recent_thanks = list(
        db.session.scalars(
            select(Thanks)
            .where(Thanks.to_id == member.id)
            .options(selectinload(Thanks.giver))
            .order_by(Thanks.id.desc())
            .limit(recent)
        )
    )
    answered = db.session.execute(
        select(Claim.created_at, Claim.answered_at)
        .join(Post, Post.id == Claim.post_id)
        .where(Post.author_id == member.id, Claim.answered_at.is_not(None))
        .order_by(Claim.id.desc())
        .limit(50)
    ).all()
    waits = sorted(answered_at - created_at for created_at, answered_at in answered)
    usual = waits[len(waits) // 2] if waits else None
    return Trust(completed or 0, thanks_count or 0, recent_thanks, usual)


def describe_wait(wait: timedelta | None) -> str:
    """ "within an hour", "within a day", "in about 3 days": plain words, not a stopwatch."""
    if wait is None:
        return "not known yet"
    if wait <= timedelta(hours=1):
        return "within an hour"
    if wait <= timedelta(days=1):
        return "within a day"
    return f"in about {round(wait / timedelta(days=1))} days"
