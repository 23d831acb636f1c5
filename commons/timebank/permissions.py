"""Who may move hours, see a transfer, settle a request, reverse a transfer or set a floor.

Every time-bank check goes through here. Hours are private: a transfer is seen by its two
people (and site admins, who may reverse one for a member); a coordinator's powers over the
time bank stop at setting their own community's floor.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..accounts.models import User
from ..communities.models import Community, Membership
from ..communities.permissions import NotAllowed, Viewer, is_coordinator
from ..extensions import db
from ..links.models import CommunityLink
from ..moderation.services import is_blocked_between
from .models import COUNTED_STATES, HourTransfer

__all__ = [
    "NotAllowed",
    "allowed_actions",
    "can_view",
    "in_linked_communities",
    "may_set_floor",
    "reason_not_to_transfer",
    "require_may",
    "share_an_active_community",
]


def share_an_active_community(a: User | int, b: User | int) -> bool:
    """Both are active members of at least one same community (admins are not special)."""
    a_id = a if isinstance(a, int) else a.id
    b_id = b if isinstance(b, int) else b.id
    mine, theirs = aliased(Membership), aliased(Membership)
    found = db.session.scalar(
        select(mine.id)
        .join(theirs, theirs.community_id == mine.community_id)
        .where(
            mine.user_id == a_id,
            mine.status == "active",
            theirs.user_id == b_id,
            theirs.status == "active",
        )
        .limit(1)
    )
    return found is not None


def in_linked_communities(a: User | int, b: User | int) -> bool:
    """One is an active member of a community that has an ACTIVE link (any scope) with a
    community the other is an active member of. Mentorships and skill exchanges may cross
    such a link; a proposed, declined or revoked link lets nobody across."""
    a_id = a if isinstance(a, int) else a.id
    b_id = b if isinstance(b, int) else b.id

    def active_of(member_id: int):
        return select(Membership.community_id).where(
            Membership.user_id == member_id, Membership.status == "active"
        )

    found = db.session.scalar(
        select(CommunityLink.id)
        .where(
            CommunityLink.state == "active",
            (
                CommunityLink.community_low_id.in_(active_of(a_id))
                & CommunityLink.community_high_id.in_(active_of(b_id))
            )
            | (
                CommunityLink.community_low_id.in_(active_of(b_id))
                & CommunityLink.community_high_id.in_(active_of(a_id))
            ),
        )
        .limit(1)
    )
    return found is not None


def reason_not_to_transfer(payer: User, payee: User, *, across_links: bool = False) -> str | None:
    """Why hours can't move between these two (in words for the member), or None if they can:
    two different, current members who share an active community, neither having blocked the
    other. The same holds for sending, asking and confirming.

    `across_links`: the hours pay for a mentorship session or skill exchange between the two,
    which may cross an active link between their communities; then such a link is enough."""
    if payer.id == payee.id:
        return "You can't trade hours with yourself."
    if payer.deleted_at is not None or payee.deleted_at is not None:
        return "That account is closed."
    if not share_an_active_community(payer, payee) and not (
        across_links and in_linked_communities(payer, payee)
    ):
        if across_links:
            return (
                "You can only trade hours with someone who shares a community with you, or "
                "belongs to one linked with yours."
            )
        return "You can only trade hours with someone who shares a community with you."
    if is_blocked_between(payer, payee):
        return "You can't trade hours with this member."
    return None


def can_view(viewer: Viewer, transfer: HourTransfer) -> bool:
    """A transfer is private to its two people; admins may look, to put a mistake right."""
    if not viewer.is_authenticated:
        return False
    return viewer.id in (transfer.payer_id, transfer.payee_id) or bool(viewer.is_admin)


def allowed_actions(viewer: Viewer, transfer: HourTransfer, reversed_: bool) -> list[str]:
    """The buttons to show: confirm and refuse for the payer of a waiting request; reverse for
    the payee (or an admin) of hours that moved and were not reversed, unless it is itself a
    reversal. Whether the state still allows it when pressed is the service's question."""
    if not viewer.is_authenticated:
        return []
    actions: list[str] = []
    if transfer.state == "recorded" and viewer.id == transfer.payer_id:
        actions += ["confirm", "refuse"]
    if (
        transfer.state in COUNTED_STATES
        and transfer.reverses_id is None
        and not reversed_
        and (viewer.id == transfer.payee_id or viewer.is_admin)
    ):
        actions.append("reverse")
    return actions


def require_may(actor: User, transfer: HourTransfer, action: str) -> None:
    """Raise NotAllowed unless `actor` has the part in `transfer` that `action` needs."""
    if action in ("confirm", "refuse"):
        if actor.id != transfer.payer_id:
            raise NotAllowed("Only the person asked to pay can confirm or refuse these hours.")
    elif action == "reverse":
        if actor.id != transfer.payee_id and not actor.is_admin:
            raise NotAllowed("Only the person who received these hours can give them back.")
    else:  # pragma: no cover - a programming error, not a member's
        raise ValueError(action)


def may_set_floor(viewer: Viewer, community: Community) -> bool:
    """A community's overdraft floor: its coordinators and admins."""
    return is_coordinator(viewer, community)
