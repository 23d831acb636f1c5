"""Community rules: creating, joining and leaving, and what coordinators do to memberships."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from ..accounts.export import exporter
from ..accounts.models import User
from ..database import now_utc, write_transaction
from ..extensions import db
from ..geo import distance_km
from .models import Community, Membership, Neighbourhood
from .permissions import NotAllowed, membership_of, require_coordinator


class CommunityError(Exception):
    """A community rule refused the request; the message is for the member."""


class NameTaken(CommunityError):
    def __init__(self) -> None:
        super().__init__("A community with that name already exists. Please choose another.")


class AlreadyMember(CommunityError):
    def __init__(self, pending: bool, suspended: bool = False) -> None:
        if suspended:
            message = "Your membership of this community is suspended by its coordinators."
        elif pending:
            message = "You have already asked to join; a coordinator will answer soon."
        else:
            message = "You are already a member of this community."
        super().__init__(message)


class Suspended(CommunityError):
    """A suspended member can't leave (and join again, to shed the suspension)."""

    def __init__(self, community: Community) -> None:
        super().__init__(
            f"Your membership of {community.name} is suspended by its coordinators. You can "
            "leave once they lift it."
        )


class NotAMember(CommunityError):
    def __init__(self) -> None:
        super().__init__("You are not a member of this community.")


class LastCoordinator(CommunityError):
    def __init__(self, community: Community) -> None:
        super().__init__(
            f"You are the last coordinator of {community.name}. Name another member as "
            "coordinator before you leave."
        )


@dataclass(frozen=True)
class NeighbourhoodInput:
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class DirectoryEntry:
    community: Community
    member_count: int
    distance_km: float | None


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "community"


def _free_slug(name: str) -> str:
    base = slugify(name)
    taken = set(
        db.session.scalars(
            select(Community.slug).where(
                or_(Community.slug == base, Community.slug.like(f"{base}-%"))
            )
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_community(
    creator: User,
    *,
    name: str,
    description: str,
    join_policy: str,
    centre_lat: float,
    centre_lon: float,
    radius_km: float,
    neighbourhoods: list[NeighbourhoodInput],
) -> Community:
    """Create a community whose creator is its first coordinator. Raises NameTaken."""
    name = name.strip()
    try:
        with write_transaction():
            if db.session.scalar(
                select(Community.id).where(func.lower(Community.name) == name.lower())
            ):
                raise NameTaken()
            community = Community(
                name=name,
                slug=_free_slug(name),
                description=description.strip(),
                join_policy=join_policy,
                centre_lat=centre_lat,
                centre_lon=centre_lon,
                radius_km=radius_km,
            )
            places = neighbourhoods or [NeighbourhoodInput(name, centre_lat, centre_lon)]
            community.neighbourhoods = [
                Neighbourhood(name=p.name, lat=p.lat, lon=p.lon) for p in places
            ]
            community.memberships = [
                Membership(user=creator, role="coordinator", status="active", joined_at=now_utc())
            ]
            db.session.add(community)
    except IntegrityError as exc:
        raise NameTaken() from exc
    return community


def add_neighbourhood(
    actor: User, community: Community, place: NeighbourhoodInput
) -> Neighbourhood:
    require_coordinator(actor, community)
    try:
        with write_transaction():
            neighbourhood = Neighbourhood(
                community=community, name=place.name, lat=place.lat, lon=place.lon
            )
            db.session.add(neighbourhood)
    except IntegrityError as exc:
        raise CommunityError("This community already has a neighbourhood with that name.") from exc
    return neighbourhood


def get_by_slug(slug: str) -> Community | None:
    return db.session.scalar(select(Community).where(Community.slug == slug))


def member_count(community: Community) -> int:
    return (
        db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.community_id == community.id, Membership.status == "active"
            )
        )
        or 0
    )


def coordinators(community: Community) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership)
            .where(Membership.community_id == community.id, Membership.role == "coordinator")
            .order_by(User.display_name)
        )
    )


def directory(
    query: str = "", near: Neighbourhood | None = None, limit: int = 100
) -> list[DirectoryEntry]:
    """Communities matching `query`, nearest to `near` first when given, else by name."""
    counts = (
        select(Membership.community_id, func.count(Membership.id).label("n"))
        .where(Membership.status == "active")
        .group_by(Membership.community_id)
        .subquery()
    )
    statement = select(Community, func.coalesce(counts.c.n, 0)).outerjoin(
        counts, counts.c.community_id == Community.id
    )
    if query.strip():
        pattern = f"%{query.strip().lower()}%"
        statement = statement.where(
            or_(
                func.lower(Community.name).like(pattern),
                func.lower(Community.description).like(pattern),
            )
        )
    rows = db.session.execute(
        statement.order_by(Community.name).limit(limit if near is None else None)
    ).all()
    entries = [
        DirectoryEntry(
            community,
            count,
            distance_km(near.lat, near.lon, community.centre_lat, community.centre_lon)
            if near
            else None,
        )
        for community, count in rows
    ]
    if near is not None:
        entries.sort(key=lambda entry: entry.distance_km or 0.0)
    return entries[:limit]


def join(user: User, community: Community) -> Membership:
    """Join at once when the community is open; otherwise ask, and wait for a coordinator."""
    existing = membership_of(user, community)
    if existing is not None:
        raise AlreadyMember(
            pending=existing.status == "pending", suspended=existing.status == "suspended"
        )
    try:
        with write_transaction():
            is_open = community.join_policy == "open"
            membership = Membership(
                community=community,
                user=user,
                status="active" if is_open else "pending",
                joined_at=now_utc() if is_open else None,
            )
            db.session.add(membership)
    except IntegrityError as exc:
        raise AlreadyMember(pending=community.join_policy != "open") from exc
    return membership


def _has_other_active_members(community: Community, user: User, role: str | None = None) -> bool:
    statement = select(Membership.id).where(
        Membership.community_id == community.id,
        Membership.user_id != user.id,
        Membership.status == "active",
    )
    if role:
        statement = statement.where(Membership.role == role)
    return db.session.scalar(statement.limit(1)) is not None


def _is_last_coordinator(membership: Membership) -> bool:
    return membership.is_coordinator and not _has_other_active_members(
        membership.community, membership.user, role="coordinator"
    )


def leave(user: User, community: Community, successor_id: int | None = None) -> None:
    """Leave a community (or withdraw a request to join).

    The last coordinator must name a successor among the active members, who is promoted in
    the same transaction; raises LastCoordinator otherwise. A suspended member stays
    (Suspended): leaving and joining again would shed the suspension.
    """
    membership = membership_of(user, community)
    if membership is None:
        raise NotAMember()
    if membership.status == "suspended":
        raise Suspended(community)
    with write_transaction():
        if _is_last_coordinator(membership) and _has_other_active_members(community, user):
            successor = db.session.scalar(
                select(Membership).where(
                    Membership.community_id == community.id,
                    Membership.user_id == successor_id,
                    Membership.user_id != user.id,
                    Membership.status == "active",
                )
            )
            if successor is None:
                raise LastCoordinator(community)
            successor.role = "coordinator"
        _end_membership(membership)


def _end_membership(membership: Membership) -> None:
    """Delete the membership; a home neighbourhood in that community goes with it."""
    user = membership.user
    if user.neighbourhood and user.neighbourhood.community_id == membership.community_id:
        user.neighbourhood_id = None
    db.session.delete(membership)


def ensure_can_leave_all(user: User) -> None:
    """Raise LastCoordinator if leaving every community would leave one without a coordinator."""
    for membership in user.memberships:
        if _is_last_coordinator(membership) and _has_other_active_members(
            membership.community, user
        ):
            raise LastCoordinator(membership.community)


def _membership_in(community: Community, user_id: int) -> Membership:
    membership = db.session.scalar(
        select(Membership).where(
            Membership.community_id == community.id, Membership.user_id == user_id
        )
    )
    if membership is None:
        raise NotAMember()
    return membership


def decide_request(actor: User, community: Community, user_id: int, approve: bool) -> Membership:
    """A coordinator approves or declines a pending request to join."""
    require_coordinator(actor, community)
    membership = _membership_in(community, user_id)
    if membership.status != "pending":
        raise CommunityError("That request has already been answered.")
    with write_transaction():
        if approve:
            membership.status = "active"
            membership.joined_at = now_utc()
        else:
            db.session.delete(membership)
    return membership


def promote(actor: User, community: Community, user_id: int) -> Membership:
    require_coordinator(actor, community)
    membership = _membership_in(community, user_id)
    if membership.status != "active":
        raise CommunityError("Only active members can become coordinators.")
    with write_transaction():
        membership.role = "coordinator"
    return membership


def remove_member(actor: User, community: Community, user_id: int) -> None:
    require_coordinator(actor, community)
    membership = _membership_in(community, user_id)
    if membership.role == "coordinator" and not actor.is_admin:
        raise NotAllowed("Coordinators step down by leaving the community themselves.")
    if membership.user_id == actor.id:
        raise CommunityError("To leave the community yourself, use Leave on its page.")
    if _is_last_coordinator(membership):
        raise LastCoordinator(community)
    with write_transaction():
        _end_membership(membership)


@dataclass(frozen=True)
class MemberPage:
    pending: list[Membership]
    active: list[Membership]
    active_total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.active_total // self.per_page))


def members_for_coordinators(
    community: Community, query: str = "", page: int = 1, per_page: int = 50
) -> MemberPage:
    """Requests to join (oldest first, all of them), and one page of active members,
    coordinators first then by name, optionally narrowed to names containing `query`."""
    base = (
        select(Membership)
        .join(User)
        .where(Membership.community_id == community.id)
        .options(contains_eager(Membership.user))
    )
    pending = list(
        db.session.scalars(
            base.where(Membership.status == "pending").order_by(Membership.created_at)
        )
    )
    active = base.where(Membership.status == "active")
    if query.strip():
        active = active.where(func.lower(User.display_name).like(f"%{query.strip().lower()}%"))
    total = db.session.scalar(select(func.count()).select_from(active.subquery())) or 0
    page = max(1, page)
    rows = db.session.scalars(
        active.order_by(
            (Membership.role != "coordinator"), func.lower(User.display_name), Membership.id
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return MemberPage(pending, list(rows), total, page, per_page)


def successor_choices(user: User, community: Community) -> list[User]:
    """Whom the last coordinator may name when leaving (nobody needed otherwise)."""
    membership = membership_of(user, community)
    if membership is None or not _is_last_coordinator(membership):
        return []
    return list(
        db.session.scalars(
            select(User)
            .join(Membership)
            .where(
                Membership.community_id == community.id,
                Membership.status == "active",
                User.id != user.id,
            )
            .order_by(func.lower(User.display_name))
        )
    )


def communities_of(user: User, status: str = "active") -> list[Community]:
    return list(
        db.session.scalars(
            select(Community)
            .join(Membership)
            .where(Membership.user_id == user.id, Membership.status == status)
            .order_by(Community.name)
        )
    )


@exporter("memberships")
def _export_memberships(user: User) -> list[dict[str, Any]]:
    return [
        {
            "community": m.community.name,
            "role": m.role,
            "status": m.status,
            "since": (m.joined_at or m.created_at).isoformat(),
        }
        for m in user.memberships
    ]
