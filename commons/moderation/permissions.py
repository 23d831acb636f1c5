"""Who may moderate a community: its coordinators, with their own membership there, and admins.

Being linked to a community gives its neighbours' coordinators no power in it: a report
belongs to the community it was made to, and only that community's coordinators handle it.
Nobody handles a report about themselves (unless they are an admin): another coordinator does.
"""

from __future__ import annotations

from ..communities.models import Community
from ..communities.permissions import NotAllowed, Viewer, is_coordinator, require_coordinator

__all__ = ["NotAllowed", "handles_own_report", "may_moderate", "require_may_moderate"]


def may_moderate(viewer: Viewer, community: Community) -> bool:
    """The queue, its actions, the audit log: the community's coordinators and admins."""
    return is_coordinator(viewer, community)


def require_may_moderate(viewer: Viewer, community: Community) -> None:
    require_coordinator(viewer, community)


def handles_own_report(viewer: Viewer, person_id: int | None) -> bool:
    """Whether `viewer` would be judging a report about themselves (admins may)."""
    return viewer.is_authenticated and not viewer.is_admin and viewer.id == person_id
