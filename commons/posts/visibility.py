"""Who sees which post: the one place that decides it, for browse, search, a post's page,
claims and matching alike.

- `public`: everyone, visitors included.
- `community`: active members of the post's community; never across a link.
- `linked`: those members, and active members of every community with an ACTIVE link to the
  post's community whose scope includes the post's kind (offers -> `shares_offers`, needs ->
  `shares_needs`). A proposed, declined, withdrawn or revoked link lets nothing across, and
  revoking one hides the posts on the next request.
- Always: the author, the community's coordinators, admins. Someone with a live or completed
  claim on the post keeps its page (not its place in browse), so an exchange under way carries
  on after a link is revoked or they leave the community.
- Hidden posts: only the author, coordinators, admins and the claim's people, by address.
- A member suspended from a community (a coordinators' decision) is not an active member of
  it, and its `linked` posts don't reach them across a link through another of their
  communities either: of its posts they see the public ones, and those they hold a claim on.
"""

from __future__ import annotations

from collections.abc import Hashable

from flask import g
from flask_login import current_user
from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, or_, select, union_all

from ..claims.models import ACTIVE_STATES, Claim
from ..communities.models import Community, Membership
from ..communities.permissions import Viewer, is_coordinator
from ..extensions import db
from ..links.models import KIND_SCOPE, CommunityLink
from .models import Post

# A party to one of these claims keeps the post (declined and withdrawn answers do not).
KEEPING_CLAIM_STATES = (*ACTIVE_STATES, "completed")


def my_community_ids(viewer: Viewer) -> Select:
    """Communities the viewer is an active member of: all their posts but public ones."""
    return select(Membership.community_id).where(
        Membership.user_id == viewer.id, Membership.status == "active"
    )


def suspended_community_ids(viewer: Viewer) -> Select:
    """Communities whose coordinators suspended the viewer: nothing of theirs crosses a link
    to the viewer."""
    return select(Membership.community_id).where(
        Membership.user_id == viewer.id, Membership.status == "suspended"
    )


def _scope_flag(kind: str) -> ColumnElement[bool]:
    return getattr(CommunityLink, f"shares_{KIND_SCOPE[kind]}").is_(True)


def linked_community_ids(viewer: Viewer, *kinds: str) -> CompoundSelect:
    """Communities whose `linked` posts of one of `kinds` reach the viewer: the other side of
    every active link of one of the viewer's communities whose scope includes the kind, except
    a community that suspended the viewer. An uncorrelated subquery, evaluated once per
    statement, not per post."""
    mine = my_community_ids(viewer)
    suspended = suspended_community_ids(viewer)
    live = and_(CommunityLink.state == "active", or_(*(_scope_flag(kind) for kind in kinds)))
    return union_all(
        select(CommunityLink.community_high_id).where(
            live,
            CommunityLink.community_low_id.in_(mine),
            CommunityLink.community_high_id.not_in(suspended),
        ),
        select(CommunityLink.community_low_id).where(
            live,
            CommunityLink.community_high_id.in_(mine),
            CommunityLink.community_low_id.not_in(suspended),
        ),
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
            and_(
                Post.visibility == "linked",
                or_(
                    *(
                        and_(
                            Post.kind == kind,
                            Post.community_id.in_(linked_community_ids(viewer, kind)),
                        )
                        for kind in KIND_SCOPE
                    )
                ),
            ),
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
    statement = select(Membership.status).where(
        Membership.community_id == post.community_id, Membership.user_id == viewer.id
    )
    status = db.session.scalar(statement)
    if status == "active":
        return True
    if status != "suspended" and post.visibility == "linked" and _reaches_by_link(viewer, post):
        return True
    return _holds_a_claim(viewer, post)


def _reaches_by_link(viewer: Viewer, post: Post) -> bool:
    if post.kind not in KIND_SCOPE:
        return False
    mine = my_community_ids(viewer)
    statement = select(CommunityLink.id).where(
        CommunityLink.state == "active",
        _scope_flag(post.kind),
        or_(
            and_(
                CommunityLink.community_low_id == post.community_id,
                CommunityLink.community_high_id.in_(mine),
            ),
            and_(
                CommunityLink.community_high_id == post.community_id,
                CommunityLink.community_low_id.in_(mine),
            ),
        ),
    )
    return db.session.scalar(statement.limit(1)) is not None


def _holds_a_claim(viewer: Viewer, post: Post) -> bool:
    """A claim made while the viewer could see the post (before a link was revoked, before
    they left) keeps the post open to them: existing exchanges carry on."""
    statement = select(Claim.id).where(
        Claim.post_id == post.id,
        Claim.claimant_id == viewer.id,
        Claim.status.in_(KEEPING_CLAIM_STATES),
    )
    return db.session.scalar(statement.limit(1)) is not None


def _is_author_or_staff(viewer: Viewer, post: Post) -> bool:
    if not viewer.is_authenticated:
        return False
    if viewer.is_admin or viewer.id == post.author_id:
        return True
    return is_coordinator(viewer, post.community)


def own_community_ids(viewer: Viewer) -> frozenset[int]:
    """The viewer's active communities, asked once per request (cards ask it per post)."""
    if not viewer.is_authenticated:
        return frozenset()
    cached = g.get("_own_community_ids")
    if cached is None or cached[0] != viewer.id:
        cached = (viewer.id, frozenset(db.session.scalars(my_community_ids(viewer))))
        g._own_community_ids = cached
    return cached[1]


def is_from_elsewhere(post: Post) -> bool:
    """For a card's "from Northside" badge: the logged-in viewer is not a member of the post's
    community (they meet it across a link, or because it is public)."""
    return current_user.is_authenticated and post.community_id not in own_community_ids(
        current_user
    )


def communities_in_view(viewer: Viewer) -> list[Community]:
    """The communities whose posts the viewer can browse by community: their own, and those
    linked to one of them for offers or needs, by name."""
    if not viewer.is_authenticated:
        return []
    linked = linked_community_ids(viewer, *KIND_SCOPE)
    return list(
        db.session.scalars(
            select(Community)
            .where(or_(Community.id.in_(my_community_ids(viewer)), Community.id.in_(linked)))
            .order_by(Community.name)
        )
    )


def visibility_key(viewer: Viewer) -> Hashable:
    """Viewers with equal keys see the same posts in browse and search, at the same distances
    and with the same "from ..." badges: so rendered results may be shared between them.

    A member's key holds their own communities and, per post kind, the communities whose
    `linked` posts reach them, so accepting, narrowing or revoking a link changes it at once
    (a post's `updated_at` does not move when a link does). Their id is in it because their
    own posts show wherever they posted them."""
    if not viewer.is_authenticated:
        return ("visitor",)
    if viewer.is_admin:
        return ("admin", viewer.id, viewer.neighbourhood_id, own_community_ids(viewer))
    own = own_community_ids(viewer)
    suspended = suspended_community_ids(viewer)
    rows = db.session.execute(
        select(
            CommunityLink.community_low_id,
            CommunityLink.community_high_id,
            CommunityLink.shares_offers,
            CommunityLink.shares_needs,
        ).where(
            CommunityLink.state == "active",
            or_(
                CommunityLink.community_low_id.in_(own),
                CommunityLink.community_high_id.in_(own),
            ),
            # One side is the viewer's own; the other reaches them unless it suspended them.
            CommunityLink.community_low_id.not_in(suspended),
            CommunityLink.community_high_id.not_in(suspended),
        )
    ).all()
    reached: dict[str, set[int]] = {"offer": set(), "need": set()}
    for low, high, offers, needs in rows:
        for kind, flows in (("offer", offers), ("need", needs)):
            if flows:
                reached[kind].update({low, high} - own)
    return (
        "member",
        viewer.id,
        viewer.neighbourhood_id,
        own,
        frozenset(reached["offer"]),
        frozenset(reached["need"]),
    )
