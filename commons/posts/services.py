"""Post rules: who may post where, editing, closing, renewing, expiry, and finding posts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import cos, radians

from sqlalchemy import ColumnElement, Select, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import User
from ..claims import services as claims
from ..claims.models import Claim
from ..communities.models import Community, Membership, Neighbourhood
from ..communities.permissions import (
    NotAllowed,
    Viewer,
    is_coordinator,
    require_not_suspended,
)
from ..database import now_utc, write_transaction
from ..extensions import db
from ..geo import distance_km
from ..notifications.services import notify
from .models import (
    CATEGORIES,
    DEFAULT_LIFETIME_DAYS,
    Post,
    PostFollow,
    PostSlot,
    PostTag,
    slot_for,
)
from .visibility import can_see, visible_to

PAGE_SIZE = 20
SORTS = ("newest", "nearest", "ending")
KM_PER_DEGREE = 111.32


class PostError(Exception):
    """A post rule refused the request; the message is for the member."""


@dataclass(frozen=True)
class PostInput:
    kind: str
    title: str
    description: str
    category: str
    community_id: int
    tags: list[str] = field(default_factory=list)
    capacity: int = 1
    visibility: str = "community"
    is_standing: bool = False
    lifetime_days: int = DEFAULT_LIFETIME_DAYS
    on_behalf_of: str | None = None
    request_key: str | None = None
    when: list[str] = field(default_factory=list)  # keys such as "tue-evening"


def postable_communities(user: User) -> list[Community]:
    """Where a member may post: the communities they are an active member of."""
    return list(
        db.session.scalars(
            select(Community)
            .join(Membership)
            .where(Membership.user_id == user.id, Membership.status == "active")
            .order_by(Community.name)
        )
    )


def _search_text(title: str, description: str, tags: list[str]) -> str:
    return "\n".join([title, description, " ".join(tags)])


def check_may_post(author: User, data: PostInput) -> Community:
    """The rules for posting into a community, shared by the form and spreadsheet imports."""
    community = db.session.get(Community, data.community_id)
    if community is not None:
        require_not_suspended(author, community)
    if community is None or community not in postable_communities(author):
        raise NotAllowed("You can post only in communities you are a member of.")
    if data.on_behalf_of and not is_coordinator(author, community):
        raise NotAllowed("Only coordinators can post on behalf of a neighbour.")
    if data.category not in CATEGORIES:
        raise PostError("Please choose a category from the list.")
    return community


def apply_input(post: Post, data: PostInput) -> None:
    """Copy checked input onto a post, with its tags and search text: posting, editing and
    imports all go through here, so search finds an imported post like any other."""
    post.title = data.title.strip()
    post.description = data.description.strip()
    post.category = data.category
    post.capacity = data.capacity if post.kind == "offer" else 1  # an edit can't change kind
    post.visibility = data.visibility
    post.is_standing = data.is_standing
    post.on_behalf_of = (data.on_behalf_of or "").strip() or None
    post.tags = [PostTag(tag=tag) for tag in dict.fromkeys(data.tags)]
    post.slots = [
        PostSlot(weekday=day, start_minute=start, end_minute=end)
        for day, start, end in sorted({slot_for(key) for key in data.when})
    ]
    post.search_text = _search_text(post.title, post.description, list(dict.fromkeys(data.tags)))


def create_post(author: User, data: PostInput) -> Post:
    """Publish an offer or need. The same form sent twice (same request key) makes one post."""
    community = check_may_post(author, data)
    if data.request_key:
        existing = db.session.scalar(
            select(Post).where(Post.author_id == author.id, Post.request_key == data.request_key)
        )
        if existing is not None:
            return existing
    place = author.neighbourhood if author.neighbourhood in community.neighbourhoods else None
    post = Post(
        kind=data.kind,
        community_id=community.id,
        author_id=author.id,
        neighbourhood=place,
        lat=place.lat if place else community.centre_lat,
        lon=place.lon if place else community.centre_lon,
        request_key=data.request_key,
        expires_at=None if data.is_standing else now_utc() + timedelta(days=data.lifetime_days),
    )
    apply_input(post, data)
    try:
        with write_transaction():
            db.session.add(post)
            db.session.flush()
            db.session.add(PostFollow(post_id=post.id, user_id=author.id))
    except IntegrityError:
        existing = db.session.scalar(
            select(Post).where(Post.author_id == author.id, Post.request_key == data.request_key)
        )
        if existing is None:
            raise
        return existing
    return post


def can_manage(actor: Viewer, post: Post) -> bool:
    """The author, the community's coordinators, and admins may edit, close and renew."""
    return actor.is_authenticated and (
        actor.id == post.author_id or is_coordinator(actor, post.community)
    )


def require_manage(actor: Viewer, post: Post) -> None:
    if not can_manage(actor, post):
        raise NotAllowed("Only the person who posted this, or a coordinator, can change it.")


def update_post(actor: User, post: Post, data: PostInput) -> Post:
    require_manage(actor, post)
    require_not_suspended(actor, post.community)
    if (data.on_behalf_of or "").strip() != (post.on_behalf_of or "") and not is_coordinator(
        actor, post.community
    ):
        raise NotAllowed("Only coordinators can post on behalf of a neighbour.")
    if post.kind == "offer" and data.capacity < post.accepted_count:
        raise PostError(
            f"{post.accepted_count} people already have a place; the capacity can't be lower."
        )
    # No flush until every field is set: a half-applied edit (no longer standing, no expiry
    # yet) breaks the table's checks.
    with write_transaction(), db.session.no_autoflush:
        apply_input(post, data)
        if post.status == "fulfilled" and post.places_left > 0:
            post.status = "open"
        elif post.status == "open" and post.places_left == 0 and post.kind == "offer":
            post.status = "fulfilled"
        if post.is_standing:
            post.expires_at = None
        elif post.expires_at is None:
            post.expires_at = now_utc() + timedelta(days=data.lifetime_days)
        db.session.flush()
        claims.fill_from_waitlist(post)
    return post


def close_post(actor: User, post: Post) -> None:
    require_manage(actor, post)
    if post.status == "closed":
        raise PostError("This post is already closed.")
    with write_transaction():
        post.status = "closed"
        post.closed_at = now_utc()
        db.session.flush()
        claims.settle_closed_post(post)


def renew_post(actor: User, post: Post, days: int = DEFAULT_LIFETIME_DAYS) -> None:
    """Open an expired or closed post again for another `days`."""
    require_manage(actor, post)
    require_not_suspended(actor, post.community)
    with write_transaction():
        post.expires_at = None if post.is_standing else now_utc() + timedelta(days=days)
        post.expiry_warned_at = None
        post.closed_at = None
        post.status = "fulfilled" if post.kind == "offer" and post.places_left == 0 else "open"


def display_status(post: Post, now: datetime | None = None) -> str:
    """What a reader should be told: an open post past its expiry reads as expired even before
    `flask posts expire` has run."""
    now = now or now_utc()
    if post.status == "open" and post.expires_at is not None and post.expires_at <= now:
        return "expired"
    return post.status


def expire_posts(now: datetime | None = None) -> int:
    """Mark every open or fulfilled post past its expiry as expired, and decline the answers
    still waiting on them (as closing does); returns how many posts expired."""
    now = now or now_utc()
    with write_transaction():
        due = list(
            db.session.scalars(
                select(Post).where(
                    Post.status.in_(("open", "fulfilled")),
                    Post.expires_at.is_not(None),
                    Post.expires_at <= now,
                )
            )
        )
        for post in due:
            post.status = "expired"
            post.updated_at = now
        db.session.flush()
        for post in due:
            claims.settle_closed_post(post)
    return len(due)


EXPIRY_WARNING = timedelta(days=3)


def warn_expiring(now: datetime | None = None) -> int:
    """Tell each author whose open post ends within three days, once per expiry date (renewing
    clears the mark). Returns how many were told."""
    now = now or now_utc()
    with write_transaction():
        due = list(
            db.session.scalars(
                select(Post)
                .where(
                    Post.status == "open",
                    Post.expires_at > now,
                    Post.expires_at <= now + EXPIRY_WARNING,
                    Post.expiry_warned_at.is_(None),
                )
                .options(selectinload(Post.author))
            )
        )
        for post in due:
            notify(
                post.author,
                "claim",
                f"Your post \u201c{post.title}\u201d ends on {post.expires_at:%d %b}. "
                "Renew it if you still need it.",
                f"/posts/{post.id}",
            )
            post.expiry_warned_at = now
    return len(due)


def follow(user: User, post: Post) -> None:
    if not can_see(user, post):
        raise NotAllowed("You can't see this post.")
    with write_transaction():
        if db.session.get(PostFollow, (post.id, user.id)) is None:
            db.session.add(PostFollow(post_id=post.id, user_id=user.id))


def get_visible(viewer: Viewer, post_id: int) -> Post | None:
    """The post if it exists and the viewer may see it; None answers as 404 either way."""
    post = db.session.get(Post, post_id)
    if post is None:
        return None
    if not can_see(viewer, post, involved=_is_party_to_a_claim(viewer, post)):
        return None
    return post


def _is_party_to_a_claim(viewer: Viewer, post: Post) -> bool:
    if not viewer.is_authenticated or post.hidden_at is None:
        return False
    return (
        db.session.scalar(
            select(Claim.id).where(Claim.post_id == post.id, Claim.claimant_id == viewer.id)
        )
        is not None
    )


# --- Browse and search ---------------------------------------------------------------------


@dataclass(frozen=True)
class BrowseFilters:
    kind: str = ""
    category: str = ""
    tag: str = ""
    community: str = ""  # a slug
    within_km: float | None = None
    status: str = "open"  # open | all
    q: str = ""
    sort: str = "newest"
    page: int = 1


@dataclass(frozen=True)
class BrowsePage:
    posts: list[Post]
    page: int
    has_next: bool
    distances: dict[int, float]


def _fts_condition(query: str) -> ColumnElement[bool] | None:
    """Full-text match through the database's own index, whatever the dialect."""
    words = re.findall(r"\w+", query.lower())[:10]
    if not words:
        return None
    if db.engine.dialect.name == "sqlite":
        match = " ".join(f'"{word}"' for word in words)  # quoted: input is never FTS syntax
        ids = text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH :match").bindparams(
            match=match
        )
        return Post.id.in_(ids.columns(rowid=db.Integer))
    tsquery = func.plainto_tsquery("english", " ".join(words))
    return func.to_tsvector("english", Post.search_text).op("@@")(tsquery)


def _squared_degrees(lat: float, lon: float) -> ColumnElement[float]:
    """Squared distance in degrees of latitude (an equirectangular approximation, exact enough
    within a city) so SQL can filter and sort by distance without trigonometry."""
    scale = cos(radians(lat))
    return (Post.lat - lat) * (Post.lat - lat) + ((Post.lon - lon) * scale) * (
        (Post.lon - lon) * scale
    )


def browse(viewer: Viewer, filters: BrowseFilters, per_page: int = PAGE_SIZE) -> BrowsePage:
    """One page of posts the viewer may see, filtered and sorted as asked.

    Fetches one row more than the page to know whether a next page exists, so no COUNT over
    the whole result; tags, authors and communities load in one query each (no N+1).
    """
    now = now_utc()
    statement = select(Post).where(visible_to(viewer))
    if filters.kind in ("offer", "need"):
        statement = statement.where(Post.kind == filters.kind)
    if filters.category in CATEGORIES:
        statement = statement.where(Post.category == filters.category)
    if filters.tag:
        statement = statement.where(
            Post.id.in_(select(PostTag.post_id).where(PostTag.tag == filters.tag.lower()))
        )
    if filters.community:
        statement = statement.join(Community, Community.id == Post.community_id).where(
            Community.slug == filters.community
        )
    if filters.status != "all":
        statement = statement.where(
            Post.status == "open", or_(Post.expires_at.is_(None), Post.expires_at > now)
        )
    if filters.q.strip():
        condition = _fts_condition(filters.q)
        if condition is not None:
            statement = statement.where(condition)

    home = viewer.neighbourhood if viewer.is_authenticated else None
    if home is not None and filters.within_km:
        statement = statement.where(*_within(home, filters.within_km))
    page = max(1, filters.page)
    if filters.sort == "nearest" and home is not None:
        rows = _nearest_first(statement, home, filters.within_km, page, per_page)
        return _browse_page(rows, page, per_page, home)
    if filters.sort == "ending":
        # Standing posts never end, so "ending soon" lists the posts that do, soonest first.
        statement = statement.where(Post.expires_at.is_not(None)).order_by(
            Post.expires_at.asc(), Post.id.asc()
        )
    else:
        statement = statement.order_by(Post.created_at.desc(), Post.id.desc())

    rows = _page_of(statement, page, per_page)
    return _browse_page(rows, page, per_page, home)


def _page_of(statement: Select, page: int, per_page: int) -> list[Post]:
    """One row more than the page, so no COUNT is needed to know whether a next page exists."""
    return list(
        db.session.scalars(
            statement.options(
                # Many-to-one rows come in the same query; tags in one more.
                joinedload(Post.author).load_only(User.id, User.display_name, User.deleted_at),
                joinedload(Post.community).load_only(Community.id, Community.name, Community.slug),
                joinedload(Post.neighbourhood),
                selectinload(Post.tags),
            )
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
        )
    )


# Rings searched outwards for "nearest first", in km; the last ring is everything.
NEAREST_RINGS_KM = (0.5, 2.0, 8.0, 32.0)


def _nearest_first(
    statement: Select, home: Neighbourhood, within_km: float | None, page: int, per_page: int
) -> list[Post]:
    """Nearest posts first, without measuring the distance to every post.

    Searches a small box around home first (the (status, lat, lon) index finds its rows) and
    widens it only when the box holds too few posts to fill the page. Exact, not approximate:
    once a circle of radius r holds enough posts for the page, every post outside it is
    farther than all of them.
    """
    ordered = statement.order_by(_squared_degrees(home.lat, home.lon), Post.id.desc())
    for ring_km in NEAREST_RINGS_KM:
        if within_km is not None and ring_km >= within_km:
            break
        rows = _page_of(ordered.where(*_within(home, ring_km)), page, per_page)
        if len(rows) > per_page:
            return rows
    return _page_of(ordered, page, per_page)


def _within(home: Neighbourhood, km: float) -> tuple[ColumnElement[bool], ...]:
    """Posts within `km` of home: a box the (status, lat, lon) index can narrow to, and the
    exact circle inside it."""
    limit_degrees = km / KM_PER_DEGREE
    lon_degrees = limit_degrees / max(cos(radians(home.lat)), 0.01)
    return (
        Post.lat.between(home.lat - limit_degrees, home.lat + limit_degrees),
        Post.lon.between(home.lon - lon_degrees, home.lon + lon_degrees),
        _squared_degrees(home.lat, home.lon) <= limit_degrees**2,
    )


def _browse_page(
    rows: list[Post], page: int, per_page: int, home: Neighbourhood | None
) -> BrowsePage:
    posts = rows[:per_page]
    distances = {p.id: distance_km(home.lat, home.lon, p.lat, p.lon) for p in posts} if home else {}
    return BrowsePage(posts, page, len(rows) > per_page, distances)


def first_expiry(page: BrowsePage, after: datetime) -> datetime | None:
    """The first moment after `after` when a post on this page passes its expiry (and so
    reads differently), if any does."""
    ends = [p.expires_at for p in page.posts if p.expires_at is not None and p.expires_at > after]
    return min(ends, default=None)


def posts_changed_at() -> datetime | None:
    """When any post last changed (posted, edited, claimed, closed, hidden): rendered results
    older than this may be out of date. An index on `updated_at` makes it one index step."""
    return db.session.scalar(select(func.max(Post.updated_at)))


def posts_of(author: User, limit: int = 50) -> list[Post]:
    """The member's own posts that are still live (open or fulfilled), newest first."""
    return list(
        db.session.scalars(
            select(Post)
            .where(Post.author_id == author.id, Post.status.in_(("open", "fulfilled")))
            .options(selectinload(Post.community))
            .order_by(Post.created_at.desc(), Post.id.desc())
            .limit(limit)
        )
    )
