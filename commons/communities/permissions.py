"""Who may do what in a community. Every community check in the app goes through here."""

from __future__ import annotations

from flask_login import AnonymousUserMixin
from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from .models import Community, Membership

Viewer = User | AnonymousUserMixin


class NotAllowed(Exception):
    """The viewer may not do this here; answered with 403."""

    def __init__(self, message: str = "Only this community's coordinators can do that.") -> None:
        super().__init__(message)


def membership_of(user: Viewer, community: Community) -> Membership | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Membership).where(
            Membership.community_id == community.id, Membership.user_id == user.id
        )
    )


def is_member(user: Viewer, community: Community) -> bool:
    membership = membership_of(user, community)
    return membership is not None and membership.status == "active"


def is_suspended(user: Viewer, community: Community) -> bool:
    """Whether the coordinators suspended the member's membership of this community."""
    if not user.is_authenticated:
        return False
    found = db.session.scalar(
        select(Membership.id).where(
            Membership.community_id == community.id,
            Membership.user_id == user.id,
            Membership.status == "suspended",
        )
    )
    return found is not None


def require_not_suspended(user: Viewer, community: Community) -> None:
    """A suspended member takes no part in the community: no posting, claiming or writing in
    it, even on a public post or in a claim made before. (Seeing its posts needs an active
    membership, so the suspension takes those away by itself.)"""
    if is_suspended(user, community):
        raise NotAllowed(
            f"Your membership of {community.name} is suspended by its coordinators, so you "
            "can't post, answer or write there until they lift it."
        )


def is_coordinator(user: Viewer, community: Community) -> bool:
    """Coordinators of this community, and site admins; nobody else, even if linked."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    membership = membership_of(user, community)
    return membership is not None and membership.is_coordinator


def require_coordinator(user: Viewer, community: Community) -> None:
    if not is_coordinator(user, community):
        raise NotAllowed()


def shares_a_community(viewer: Viewer, member: User) -> bool:
    """Profiles are for neighbours: members with at least one active community in common."""
    if not viewer.is_authenticated:
        return False
    if viewer.id == member.id or viewer.is_admin:
        return True
    mine = select(Membership.community_id).where(
        Membership.user_id == viewer.id, Membership.status == "active"
    )
    shared = db.session.scalar(
        select(Membership.id)
        .where(
            Membership.user_id == member.id,
            Membership.status == "active",
            Membership.community_id.in_(mine),
        )
        .limit(1)
    )
    return shared is not None
