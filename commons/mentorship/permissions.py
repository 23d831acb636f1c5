"""Who finds which mentors, who sees a mentorship, and who may move it along.

Every mentorship check goes through here.

Finding a mentor. A learner finds the mentors who are active members of one of the learner's
own active communities, or of a community joined to one of them by an *active* link whose
scope includes mentors (`shares_mentors`), except a community that suspended the learner
(as `posts.visibility` does for linked posts). Never themselves, never someone either of them
blocked, never a paused mentor (`accepting` off), never a former member; a suspended
membership is not an active one, so it carries nobody either way. An admin passes the
community boundary (not the other rules), as for posts.

A mentorship is private to its two people (and admins, who may look and end one). The mentor
accepts or declines a pending request; the learner withdraws it; either side ends an active
mentorship or marks it completed.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    and_,
    exists,
    false,
    or_,
    select,
    union_all,
)

from ..accounts.models import User
from ..communities.models import Membership
from ..communities.permissions import NotAllowed, Viewer
from ..extensions import db
from ..links.models import CommunityLink
from ..moderation.models import Block
from .models import MentorProfile, Mentorship

__all__ = [
    "ACTIONS",
    "NotAllowed",
    "allowed_actions",
    "can_see_mentor",
    "can_view",
    "mentor_communities_for",
    "mentors_visible_to",
    "require_may",
]

# action -> (state it needs, who may do it)
ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "accept": ("pending", ("mentor",)),
    "decline": ("pending", ("mentor",)),
    "withdraw": ("pending", ("learner",)),
    "end": ("active", ("mentor", "learner", "admin")),
    "complete": ("active", ("mentor", "learner")),
}


def _my_communities(viewer: Viewer):
    return select(Membership.community_id).where(
        Membership.user_id == viewer.id, Membership.status == "active"
    )


def mentor_communities_for(viewer: Viewer) -> CompoundSelect:
    """Communities whose active members the viewer may find as mentors: their own active
    communities, and the other side of every active link of those that shares mentors, except
    a community that suspended the viewer. One flat UNION ALL (SQLite refuses nested ones)."""
    mine = _my_communities(viewer)
    suspended = select(Membership.community_id).where(
        Membership.user_id == viewer.id, Membership.status == "suspended"
    )
    live = and_(CommunityLink.state == "active", CommunityLink.shares_mentors.is_(True))
    return union_all(
        select(Membership.community_id.label("community_id")).where(
            Membership.user_id == viewer.id, Membership.status == "active"
        ),
        select(CommunityLink.community_high_id.label("community_id")).where(
            live,
            CommunityLink.community_low_id.in_(mine),
            CommunityLink.community_high_id.not_in(suspended),
        ),
        select(CommunityLink.community_low_id.label("community_id")).where(
            live,
            CommunityLink.community_high_id.in_(mine),
            CommunityLink.community_low_id.not_in(suspended),
        ),
    )


def mentors_visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """A WHERE clause on `MentorProfile` (joined to its `User`): the mentors `viewer` may find,
    ask, and be suggested. Nothing for a visitor."""
    if not viewer.is_authenticated:
        return false()
    blocked = exists().where(
        or_(
            and_(Block.blocker_id == viewer.id, Block.blocked_id == MentorProfile.user_id),
            and_(Block.blocked_id == viewer.id, Block.blocker_id == MentorProfile.user_id),
        )
    )
    rules = [
        MentorProfile.accepting.is_(True),
        MentorProfile.user_id != viewer.id,
        User.deleted_at.is_(None),
        ~blocked,
    ]
    if not viewer.is_admin:
        rules.append(
            MentorProfile.user_id.in_(
                select(Membership.user_id).where(
                    Membership.status == "active",
                    Membership.community_id.in_(mentor_communities_for(viewer)),
                )
            )
        )
    return and_(*rules)


def can_see_mentor(viewer: Viewer, profile: MentorProfile) -> bool:
    """Whether `viewer` may find (and ask) this mentor; one query."""
    found = db.session.scalar(
        select(MentorProfile.id)
        .join(User, User.id == MentorProfile.user_id)
        .where(MentorProfile.id == profile.id, mentors_visible_to(viewer))
    )
    return found is not None


def may_open_mentor_page(viewer: Viewer, profile: MentorProfile) -> bool:
    """A mentor's page: whoever may find them, the mentor themself, and admins."""
    if not viewer.is_authenticated:
        return False
    return viewer.id == profile.user_id or bool(viewer.is_admin) or can_see_mentor(viewer, profile)


def can_view(viewer: Viewer, mentorship: Mentorship) -> bool:
    """A mentorship is seen by its two people and admins."""
    if not viewer.is_authenticated:
        return False
    return viewer.id in (mentorship.mentor_id, mentorship.learner_id) or bool(viewer.is_admin)


def _roles(viewer: Viewer, mentorship: Mentorship) -> set[str]:
    roles: set[str] = set()
    if not viewer.is_authenticated:
        return roles
    if viewer.id == mentorship.mentor_id:
        roles.add("mentor")
    if viewer.id == mentorship.learner_id:
        roles.add("learner")
    if viewer.is_admin:
        roles.add("admin")
    return roles


def allowed_actions(viewer: Viewer, mentorship: Mentorship) -> list[str]:
    """The buttons to show for the mentorship's state now; the service checks again when one
    is pressed (someone may have acted first)."""
    roles = _roles(viewer, mentorship)
    return [
        action
        for action, (state, who) in ACTIONS.items()
        if mentorship.status == state and roles & set(who)
    ]


_REFUSALS = {
    "accept": "Only the mentor can accept a request.",
    "decline": "Only the mentor can decline a request.",
    "withdraw": "Only the learner who asked can withdraw a request.",
    "end": "Only the mentor or the learner can end a mentorship.",
    "complete": "Only the mentor or the learner can mark a mentorship completed.",
}


def require_may(actor: User, mentorship: Mentorship, action: str) -> None:
    """Raise NotAllowed unless `actor` has the part in `mentorship` that `action` needs
    (whatever its state: the state is the service's question)."""
    if action not in ACTIONS:  # pragma: no cover - a programming error, not a member's
        raise ValueError(action)
    if not _roles(actor, mentorship) & set(ACTIONS[action][1]):
        raise NotAllowed(_REFUSALS[action])


def may_edit_goal(viewer: Viewer, learner_id: int) -> bool:
    """A learning goal is its learner's own; admins may look (and tidy up)."""
    if not viewer.is_authenticated:
        return False
    return viewer.id == learner_id or bool(viewer.is_admin)
