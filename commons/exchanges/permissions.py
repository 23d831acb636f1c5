"""Who may propose a skill exchange with whom, see one, and act on it.

Every exchange check goes through here. An exchange is private to its participants (and site
admins, who may look); anyone else gets a 404, so a stranger learns nothing, not even that it
exists. Coordinators have no powers over exchanges: they are agreements between members.
"""

from __future__ import annotations

from ..accounts.models import User
from ..communities.permissions import NotAllowed, Viewer
from ..moderation.services import is_blocked_between
from ..timebank.permissions import in_linked_communities, share_an_active_community
from .models import ExchangeParticipant, SkillExchange

__all__ = [
    "NotAllowed",
    "allowed_actions",
    "can_view",
    "participant_of",
    "reason_not_to_exchange",
    "require_participant",
]


def reason_not_to_exchange(proposer: User, other: User) -> str | None:
    """Why these two can't be in an exchange together (in words for the member), or None:
    two different, current members who share an active community or belong to communities
    joined by an active link, neither having blocked the other."""
    if proposer.id == other.id:
        return "You can't set up an exchange with yourself."
    if proposer.deleted_at is not None or other.deleted_at is not None:
        return "That account is closed."
    if is_blocked_between(proposer, other):
        return "You can't set up an exchange with this member."
    if not share_an_active_community(proposer, other) and not in_linked_communities(
        proposer, other
    ):
        return (
            "You can only set up an exchange with members of your communities, or of "
            "communities linked with yours."
        )
    return None


def participant_of(viewer: Viewer, exchange: SkillExchange) -> ExchangeParticipant | None:
    if not viewer.is_authenticated:
        return None
    for part in exchange.participants:
        if part.user_id == viewer.id:
            return part
    return None


def can_view(viewer: Viewer, exchange: SkillExchange) -> bool:
    """Its participants; admins may look, to help put something right."""
    if not viewer.is_authenticated:
        return False
    return participant_of(viewer, exchange) is not None or bool(viewer.is_admin)


def require_participant(actor: User, exchange: SkillExchange) -> ExchangeParticipant:
    """The actor's part in the exchange; NotAllowed for anyone else (admins included: an
    agreement is only ever answered by the people in it)."""
    part = participant_of(actor, exchange)
    if part is None:
        raise NotAllowed("Only the people in this exchange can answer it.")
    return part


def allowed_actions(viewer: Viewer, exchange: SkillExchange, thanked: bool) -> list[str]:
    """The buttons to show the viewer: accept and decline while it waits for their answer;
    cancel while proposed or active; done while active and they haven't said so; thank once
    it is completed. Whether the state still allows it when pressed is the service's question."""
    part = participant_of(viewer, exchange)
    if part is None:
        return []
    actions: list[str] = []
    if exchange.state == "proposed" and part.accepted_at is None:
        actions += ["accept", "decline"]
    if exchange.state == "active" and part.done_at is None:
        actions.append("done")
    if exchange.state in ("proposed", "active"):
        actions.append("cancel")
    if exchange.state == "completed" and not thanked:
        actions.append("thank")
    return actions
