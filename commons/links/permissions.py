"""Who may do what with a community's links.

A coordinator acts for one community at a time (the one whose links page they are on), and
only with their own membership there: being linked gives a coordinator of A no power in B.
Admins pass every coordinator check. The rest is the link's state and which side is acting.
"""

from __future__ import annotations

from ..communities.models import Community
from ..communities.permissions import NotAllowed, Viewer, is_coordinator, require_coordinator
from .models import CommunityLink

__all__ = ["NotAllowed", "allowed_actions", "may_manage_links", "require_may"]


def may_manage_links(viewer: Viewer, community: Community) -> bool:
    """The links page and every action on it: the community's coordinators and admins."""
    return is_coordinator(viewer, community)


def _side_actions(community: Community, link: CommunityLink) -> list[str]:
    """What a coordinator of `community` may do to `link` in its present state."""
    if not link.has_side(community.id):
        return []
    if link.state == "proposed":
        return ["withdraw"] if link.proposer_id == community.id else ["accept", "decline"]
    if link.state == "active":
        return ["scope", "revoke"]
    return []


def allowed_actions(viewer: Viewer, community: Community, link: CommunityLink) -> list[str]:
    """The buttons to show `viewer` for `link` on `community`'s links page."""
    if not may_manage_links(viewer, community):
        return []
    return _side_actions(community, link)


ACTION_SIDES = {
    "accept": "target",
    "decline": "target",
    "withdraw": "proposer",
    "scope": "either",
    "revoke": "either",
}


def require_may(actor: Viewer, community: Community, link: CommunityLink, action: str) -> None:
    """Raise NotAllowed unless `actor` may do `action` to `link` for `community`: a
    coordinator of `community` (or an admin), on the side of the link the action belongs to.
    Whether the link's state still allows it is the service's question (a 409, not a 403)."""
    require_coordinator(actor, community)
    if not link.has_side(community.id):
        raise NotAllowed(f"This link is not one of {community.name}'s.")
    side = ACTION_SIDES[action]
    if side == "target" and link.target_id != community.id:
        raise NotAllowed(f"Only {link.target.name}'s coordinators can answer this proposal.")
    if side == "proposer" and link.proposer_id != community.id:
        raise NotAllowed(f"Only {link.proposer.name}'s coordinators can withdraw this proposal.")
