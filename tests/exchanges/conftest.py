"""Skill-exchange helpers: a third neighbour for circles, linked communities, exchanges set up
in a given state, and what the database holds now."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commons.accounts.models import User
from commons.communities import services as communities
from commons.exchanges import services as exchanges
from commons.exchanges.models import SkillExchange
from commons.extensions import db
from commons.links import services as links
from commons.moderation.models import Block
from commons.timebank.models import HourTransfer

HOUR = 60


def add_third(world, make_user) -> User:
    """Tess, a third member of Northside, for circles of three."""
    tess = make_user("Tess Third")
    communities.join(tess, world.home)
    communities.decide_request(world.coordinator, world.home, tess.id, approve=True)
    return tess


def link_home_and_away(world):
    """An active link between Northside and Southside (mentors only: any scope will do)."""
    link = links.propose(world.coordinator, world.home, world.away, scopes=["mentors"])
    return links.accept(world.away_coordinator, world.away, link)


@pytest.fixture
def third(world, make_user) -> User:
    return add_third(world, make_user)


@pytest.fixture
def linked(world):
    return link_home_and_away(world)


def fresh_exchange(exchange_id: int) -> SkillExchange:
    db.session.rollback()  # end this test's read snapshot: see what was committed
    found = db.session.get(SkillExchange, exchange_id)
    assert found is not None
    db.session.refresh(found)
    for part in found.participants:
        db.session.refresh(part)
    return found


def transfers_of(exchange_id: int) -> list[HourTransfer]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(HourTransfer)
            .where(HourTransfer.exchange_id == exchange_id)
            .order_by(HourTransfer.id)
        )
    )


def exchange_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(SkillExchange)) or 0


def block(blocker: User, blocked: User) -> None:
    db.session.add(Block(blocker_id=blocker.id, blocked_id=blocked.id))
    db.session.commit()


def swap(world, **kwargs) -> SkillExchange:
    """Mia proposes to teach Otto guitar, and learn bike repair."""
    return exchanges.propose_swap(
        world.member,
        world.other_member,
        i_teach=kwargs.pop("i_teach", "Guitar"),
        they_teach=kwargs.pop("they_teach", "Bike repair"),
        **kwargs,
    )


def circle(world, third: User, **kwargs) -> SkillExchange:
    """Mia teaches Otto guitar, Otto teaches Tess bread, Tess teaches Mia Welsh."""
    return exchanges.propose_circle(
        world.member,
        [
            (world.member.id, world.other_member.id, "Guitar"),
            (world.other_member.id, third.id, "Bread"),
            (third.id, world.member.id, "Welsh"),
        ],
        **kwargs,
    )


def started(exchange: SkillExchange, *people: User) -> SkillExchange:
    """Everyone but the proposer accepts."""
    for person in people:
        exchanges.accept(person, exchange)
    return fresh_exchange(exchange.id)
