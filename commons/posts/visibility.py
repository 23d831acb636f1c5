"""Who sees which post: the one place that decides it, for browse, search, a post's page,
claims and matching alike."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select

from ..communities.models import Membership
from ..communities.permissions import Viewer, is_coordinator
from ..extensions import db
from .models import Post


def my_community_ids(viewer: Viewer):
    """Communities whose `community` and `linked` posts the viewer sees: their own (active).

    When links between communities arrive, a community's linked neighbours join this set for
    posts marked `linked`; the rest of the app already asks only this module.
    """
    return select(Membership.community_id).where(
        Membership.user_id == viewer.id, Membership.status == "active"
    )


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """A WHERE clause: the posts `viewer` may find in browse and search (hidden ones never)."""
    if not viewer.is_authenticated:
        return and_(Post.visibility == "public", Post.hidden_at.is_(None))
    if viewer.is_admin:
        return Post.hidden_at.is_(None)
    return and_(
        Post.hidden_at.is_(None),
        or_(
            Post.visibility == "public",
            Post.community_id.in_(my_community_ids(viewer)),
            Post.author_id == viewer.id,
        ),
    )


def can_see(viewer: Viewer, post: Post, *, involved: bool = False) -> bool:
    """Whether `viewer` may open this post's page. `involved` (a party to one of its claims)
    keeps access to a hidden post, so the people in an exchange can still read their thread."""
    if post.hidden_at is not None and not (involved or _is_author_or_staff(viewer, post)):
        return False
    if post.visibility == "public":
        return True
    if not viewer.is_authenticated:
        return False
    if _is_author_or_staff(viewer, post) or involved:
        return True
    statement = select(Membership.id).where(
        Membership.community_id == post.community_id,
        Membership.user_id == viewer.id,
        Membership.status == "active",
    )
    return db.session.scalar(statement) is not None


def _is_author_or_staff(viewer: Viewer, post: Post) -> bool:
    if not viewer.is_authenticated:
        return False
    if viewer.is_admin or viewer.id == post.author_id:
        return True
    return is_coordinator(viewer, post.community)
