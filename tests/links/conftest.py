"""Links fixtures: Northside (the world's home) and Southside (away), and a way to bring the
link between them to any state through the services, as coordinators would."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from commons.extensions import db
from commons.links import services
from commons.links.models import CommunityLink
from tests.conftest import World

MakeLink = Callable[..., CommunityLink | None]


def bring_link(
    world: World, state: str, scopes: tuple[str, ...] = ("offers", "needs")
) -> CommunityLink | None:
    """The link Northside proposed to Southside, moved to `state` ("none" for no link)."""
    if state == "none":
        return None
    link = services.propose(
        world.coordinator, world.home, world.away, scopes=scopes, message="Shall we link?"
    )
    if state in ("active", "revoked"):
        services.accept(world.away_coordinator, world.away, link)
    if state == "revoked":
        services.revoke(world.away_coordinator, world.away, link)
    elif state == "declined":
        services.decline(world.away_coordinator, world.away, link)
    elif state == "withdrawn":
        services.withdraw(world.coordinator, world.home, link)
    return fresh_link(link.id)


def fresh_link(link_id: int) -> CommunityLink:
    """The link as the database holds it now (not as this test's session remembers it)."""
    db.session.rollback()
    link = db.session.get(CommunityLink, link_id)
    assert link is not None
    return link


def all_links() -> list[tuple]:
    db.session.rollback()
    return list(
        db.session.execute(
            select(
                CommunityLink.id,
                CommunityLink.state,
                CommunityLink.shares_offers,
                CommunityLink.shares_needs,
                CommunityLink.shares_mentors,
            ).order_by(CommunityLink.id)
        ).all()
    )


@pytest.fixture
def make_link(world: World) -> MakeLink:
    def make(state: str = "active", scopes: tuple[str, ...] = ("offers", "needs")):
        return bring_link(world, state, scopes)

    return make
