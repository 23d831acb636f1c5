"""Links between communities: proposing, answering, changing what flows, revoking; the nearby
communities a coordinator might link with; the picture of a community's network.

States (anything else is refused with `StateChanged`, answered 409):
    proposed -> active     accept, by a coordinator of the community that was asked
    proposed -> declined   decline, likewise
    proposed -> withdrawn  withdraw, by a coordinator of the proposing community
    active   -> revoked    revoke, by a coordinator of either community
    active   -> active     change_scope, likewise
Every move is one conditional `UPDATE ... WHERE id = :id AND state = :expected`; a rowcount of
0 means someone else moved the link first. At most one proposed or active link joins two
communities (a unique partial index), so two coordinators proposing to each other at the same
instant get one link and one `LinkExists`.

What a link lets across (posts marked `linked`, by kind) is decided in `posts/visibility.py`;
`linked_pairs` is what matching asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from math import cos, radians

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..communities import services as communities
from ..communities.models import Community
from ..database import now_utc, write_transaction
from ..extensions import db
from ..geo import distance_km
from ..notifications.services import notify
from .models import LIVE_STATES, SCOPES, CommunityLink
from .permissions import NotAllowed, may_manage_links, require_may

MESSAGE_MAX = 1000
NEARBY_LIMIT = 10
PAST_LIMIT = 20

STATE_WORDS = {
    "proposed": "is waiting for an answer",
    "active": "is already active",
    "declined": "was declined",
    "withdrawn": "was withdrawn",
    "revoked": "was ended",
}
SCOPE_WORDS = {"offers": "offers", "needs": "needs", "mentors": "mentors"}


class LinkError(Exception):
    """A link rule refused the request; the message is for the coordinator."""


class InvalidLink(LinkError):
    """Input a form should have caught (nothing flows, a link to itself, a long message): 422."""


class LinkExists(LinkError):
    """The two communities already have a proposed or active link: 409."""


class StateChanged(LinkError):
    """The link is no longer in a state where this can happen (someone acted first): 409."""

    def __init__(self, link: CommunityLink) -> None:
        super().__init__(
            f"That can't be done now: the link between {link.community_low.name} and "
            f"{link.community_high.name} {STATE_WORDS[link.state]}."
        )
        self.state = link.state


class LinkNotFound(LookupError):
    """No such link for this community (another community's answers the same): 404."""


def describe_scopes(scopes: Iterable[str]) -> str:
    """ "offers and needs", "offers, needs and mentors", for sentences."""
    words = [SCOPE_WORDS[s] for s in SCOPES if s in set(scopes)]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _clean_scopes(scopes: Iterable[str]) -> dict[str, bool]:
    chosen = set(scopes)
    unknown = chosen - set(SCOPES)
    if unknown:
        raise InvalidLink(f"Unknown scope: {', '.join(sorted(unknown))}.")
    if not chosen:
        raise InvalidLink("Choose at least one thing to share: offers, needs or mentors.")
    return {f"shares_{name}": name in chosen for name in SCOPES}


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _tell_coordinators(community: Community, actor: User, text: str) -> None:
    """Notify `community`'s coordinators (not the actor, should they coordinate both sides)."""
    link = f"/communities/{community.slug}/links"
    for person in communities.coordinators(community):
        if person.id != actor.id:
            notify(person, "community", text, link)


# --- reading ---------------------------------------------------------------------------------


def live_link_between(a: Community, b: Community) -> CommunityLink | None:
    low, high = _pair(a.id, b.id)
    return db.session.scalar(
        select(CommunityLink).where(
            CommunityLink.community_low_id == low,
            CommunityLink.community_high_id == high,
            CommunityLink.state.in_(LIVE_STATES),
        )
    )


def get_link(community: Community, link_id: int) -> CommunityLink:
    """The link if `community` is one of its sides; raises LinkNotFound otherwise."""
    link = db.session.get(CommunityLink, link_id)
    if link is None or not link.has_side(community.id):
        raise LinkNotFound(link_id)
    return link


def _of(community_id: int) -> ColumnElement[bool]:
    return or_(
        CommunityLink.community_low_id == community_id,
        CommunityLink.community_high_id == community_id,
    )


@dataclass(frozen=True)
class LinkBoard:
    """A community's links, as its coordinators' page lists them."""

    incoming: list[CommunityLink]  # proposed to this community: accept or decline
    outgoing: list[CommunityLink]  # proposed by this community: withdraw
    active: list[CommunityLink]
    past: list[CommunityLink]  # declined, withdrawn, revoked; the latest first


def board(community: Community) -> LinkBoard:
    """Every live link of `community`, and the latest past ones; both sides load with them."""
    base = (
        select(CommunityLink)
        .where(_of(community.id))
        .options(
            selectinload(CommunityLink.community_low),
            selectinload(CommunityLink.community_high),
        )
    )
    live = list(
        db.session.scalars(
            base.where(CommunityLink.state.in_(LIVE_STATES)).order_by(CommunityLink.proposed_at)
        )
    )
    past = list(
        db.session.scalars(
            base.where(CommunityLink.state.not_in(LIVE_STATES))
            .order_by(
                func.coalesce(
                    CommunityLink.revoked_at, CommunityLink.decided_at, CommunityLink.proposed_at
                ).desc(),
                CommunityLink.id.desc(),
            )
            .limit(PAST_LIMIT)
        )
    )
    proposed = [link for link in live if link.state == "proposed"]
    return LinkBoard(
        incoming=[link for link in proposed if link.target_id == community.id],
        outgoing=[link for link in proposed if link.proposer_id == community.id],
        active=[link for link in live if link.state == "active"],
        past=past,
    )


@dataclass(frozen=True)
class Candidate:
    community: Community
    distance_km: float


def nearby(community: Community, limit: int = NEARBY_LIMIT) -> list[Candidate]:
    """The communities nearest to `community`'s centre that it has no proposed or active link
    with, nearest first. SQL narrows by an approximate (flat) distance; the exact great-circle
    distance orders what it returns."""
    scale = cos(radians(community.centre_lat))
    d_lat = Community.centre_lat - community.centre_lat
    d_lon = (Community.centre_lon - community.centre_lon) * scale
    live = select(CommunityLink.community_low_id, CommunityLink.community_high_id).where(
        _of(community.id), CommunityLink.state.in_(LIVE_STATES)
    )
    taken = {community.id} | {n for pair in db.session.execute(live) for n in pair}
    rows = db.session.scalars(
        select(Community)
        .where(Community.id.not_in(taken))
        .order_by(d_lat * d_lat + d_lon * d_lon, Community.id)
        .limit(limit * 2)
    )
    candidates = [
        Candidate(
            other,
            distance_km(
                community.centre_lat, community.centre_lon, other.centre_lat, other.centre_lon
            ),
        )
        for other in rows
    ]
    candidates.sort(key=lambda c: (c.distance_km, c.community.name))
    return candidates[:limit]


def linked_pairs(scope: str | None = None) -> set[frozenset[int]]:
    """The pairs of community ids joined by an active link, optionally only those whose scope
    includes `scope` ("offers", "needs" or "mentors"). For matching: it never suggests across
    a pair that is not here."""
    statement = select(CommunityLink.community_low_id, CommunityLink.community_high_id).where(
        CommunityLink.state == "active"
    )
    if scope is not None:
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")
        statement = statement.where(getattr(CommunityLink, f"shares_{scope}").is_(True))
    return {frozenset(pair) for pair in db.session.execute(statement)}


# --- the network picture ----------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    community: Community
    x: float
    y: float
    is_centre: bool
    distance_km: float


@dataclass(frozen=True)
class Edge:
    link: CommunityLink
    a: Node
    b: Node

    @property
    def distance_km(self) -> float:
        a, b = self.a.community, self.b.community
        return distance_km(a.centre_lat, a.centre_lon, b.centre_lat, b.centre_lon)


@dataclass(frozen=True)
class Network:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]


def network(community: Community, width: int = 640, height: int = 420, margin: int = 70) -> Network:
    """`community` and every community it has a proposed or active link with, placed by their
    centres (north up, an equirectangular projection: exact enough across a city), scaled to
    fit `width` x `height`; and the live links among them (neighbours' own links included)."""
    mine = board(community)
    neighbours = {
        link.other_side(community.id).id: link.other_side(community.id)
        for link in mine.active + mine.incoming + mine.outgoing
    }
    places = [community, *sorted(neighbours.values(), key=lambda c: c.name)]
    ids = [c.id for c in places]
    links = list(
        db.session.scalars(
            select(CommunityLink)
            .where(
                CommunityLink.state.in_(LIVE_STATES),
                CommunityLink.community_low_id.in_(ids),
                CommunityLink.community_high_id.in_(ids),
            )
            .order_by(CommunityLink.id)
        )
    )
    scale = cos(radians(community.centre_lat))
    xs = [(c.centre_lon - community.centre_lon) * scale for c in places]
    ys = [c.centre_lat - community.centre_lat for c in places]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    unit = min(width - 2 * margin, height - 2 * margin) / span
    # Centre the drawing in the frame.
    offset_x = (width - (max(xs) - min(xs)) * unit) / 2 - min(xs) * unit
    offset_y = (height - (max(ys) - min(ys)) * unit) / 2 + max(ys) * unit
    nodes = {
        place.id: Node(
            place,
            round(offset_x + x * unit, 1),
            round(offset_y - y * unit, 1),  # north is up: SVG's y grows downwards
            place.id == community.id,
            distance_km(
                community.centre_lat, community.centre_lon, place.centre_lat, place.centre_lon
            ),
        )
        for place, x, y in zip(places, xs, ys, strict=True)
    }
    edges = [
        Edge(link, nodes[link.community_low_id], nodes[link.community_high_id]) for link in links
    ]
    return Network(width, height, list(nodes.values()), edges)


# --- changing -------------------------------------------------------------------------------


def propose(
    actor: User,
    community: Community,
    target: Community,
    *,
    scopes: Iterable[str],
    message: str = "",
) -> CommunityLink:
    """A coordinator of `community` proposes a link to `target`; its coordinators are told.

    Raises NotAllowed, InvalidLink (nothing flows, itself, message too long) or LinkExists
    (a proposed or active link already joins them, whichever side proposed it)."""
    if not may_manage_links(actor, community):
        raise NotAllowed()
    flags = _clean_scopes(scopes)
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise InvalidLink(f"Please keep the message under {MESSAGE_MAX} characters.")
    if target.id == community.id:
        raise InvalidLink("A community can't link to itself.")
    existing = live_link_between(community, target)
    if existing is not None:
        raise _exists(existing, community)
    low, high = _pair(community.id, target.id)
    link = CommunityLink(
        community_low_id=low,
        community_high_id=high,
        proposer_id=community.id,
        state="proposed",
        message=message,
        proposed_by_id=actor.id,
        **flags,
    )
    try:
        with write_transaction():
            db.session.add(link)
            db.session.flush()
            what = describe_scopes(link.scopes)
            _tell_coordinators(
                target,
                actor,
                f"{community.name} proposes a link with {target.name}: {what} would flow "
                "between you. Accept or decline it on your links page.",
            )
    except IntegrityError as exc:
        # Both sides proposed at the same instant: the other proposal got in first.
        existing = live_link_between(community, target)
        if existing is None:
            raise
        raise _exists(existing, community) from exc
    return link


def _exists(link: CommunityLink, community: Community) -> LinkExists:
    other = link.other_side(community.id)
    if link.state == "active":
        return LinkExists(f"{community.name} and {other.name} are already linked.")
    if link.proposer_id == community.id:
        return LinkExists(
            f"{community.name} has already proposed a link to {other.name}; "
            "it is waiting for their answer."
        )
    return LinkExists(
        f"{other.name} has already proposed a link to {community.name}: you can accept it."
    )


def _move(link: CommunityLink, from_state: str, **values: object) -> None:
    """Move `link` out of `from_state` unless someone else moved it first (StateChanged)."""
    moved = db.session.execute(
        update(CommunityLink)
        .where(CommunityLink.id == link.id, CommunityLink.state == from_state)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(link)
    if moved != 1:
        raise StateChanged(link)


def _decide(
    actor: User, community: Community, link: CommunityLink, action: str, to_state: str
) -> CommunityLink:
    require_may(actor, community, link, action)
    with write_transaction():
        _move(link, "proposed", state=to_state, decided_at=now_utc(), decided_by_id=actor.id)
        other = link.other_side(community.id)
        if to_state == "active":
            text = (
                f"{community.name} accepted the link with {other.name}: "
                f"{describe_scopes(link.scopes)} now flow between you."
            )
        elif to_state == "declined":
            text = f"{community.name} declined {other.name}'s proposal to link."
        else:
            text = f"{community.name} withdrew its proposal to link with {other.name}."
        _tell_coordinators(other, actor, text)
    return link


def accept(actor: User, community: Community, link: CommunityLink) -> CommunityLink:
    """A coordinator of the community that was asked accepts: posts marked `linked` flow at
    once, as far as the scope says. Raises NotAllowed or StateChanged."""
    return _decide(actor, community, link, "accept", "active")


def decline(actor: User, community: Community, link: CommunityLink) -> CommunityLink:
    """A coordinator of the community that was asked declines. Raises NotAllowed or
    StateChanged."""
    return _decide(actor, community, link, "decline", "declined")


def withdraw(actor: User, community: Community, link: CommunityLink) -> CommunityLink:
    """A coordinator of the proposing community takes the proposal back before it is
    answered. Raises NotAllowed or StateChanged."""
    return _decide(actor, community, link, "withdraw", "withdrawn")


def revoke(actor: User, community: Community, link: CommunityLink) -> CommunityLink:
    """Either side ends an active link. Linked posts stop crossing at once (visibility reads
    the link's state on every request); claims already made carry on. Raises NotAllowed or
    StateChanged."""
    require_may(actor, community, link, "revoke")
    with write_transaction():
        _move(link, "active", state="revoked", revoked_at=now_utc(), revoked_by_id=actor.id)
        other = link.other_side(community.id)
        _tell_coordinators(
            other,
            actor,
            f"{community.name} ended its link with {other.name}: posts no longer flow between "
            "you (answers already given carry on).",
        )
    return link


def change_scope(
    actor: User, community: Community, link: CommunityLink, scopes: Iterable[str]
) -> CommunityLink:
    """Either side changes what flows across an active link; the other side is told. Raises
    NotAllowed, InvalidLink (nothing flows) or StateChanged."""
    require_may(actor, community, link, "scope")
    flags = _clean_scopes(scopes)
    with write_transaction():
        _move(link, "active", **flags)
        other = link.other_side(community.id)
        _tell_coordinators(
            other,
            actor,
            f"{community.name} changed its link with {other.name}: now "
            f"{describe_scopes(link.scopes)} flow between you.",
        )
    return link


def when(link: CommunityLink) -> datetime:
    """When the link last changed state, for the page."""
    return link.revoked_at or link.decided_at or link.proposed_at
