"""A post in Northside by Mia, claimed by Otto, with a message from each of them; a report on
it; a second coordinator; and ways to read what the database holds now."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from commons.accounts.models import User
from commons.claims.models import Claim, Message
from commons.communities import services as communities
from commons.communities.models import Membership
from commons.extensions import db
from commons.moderation import services as moderation
from commons.moderation.models import ModerationAction, Report
from commons.posts.models import Post
from commons.posts.services import PostInput, create_post


@dataclass
class Thread:
    post: Post
    claim: Claim
    from_author: Message  # Mia, who posted
    from_claimant: Message  # Otto, who claimed


@pytest.fixture
def ladder(world) -> Post:
    return create_post(
        world.member,
        PostInput(
            kind="offer",
            title="Ladder to lend",
            description="A tall aluminium ladder.",
            category="tools",
            community_id=world.home.id,
        ),
    )


@pytest.fixture
def thread(world, ladder) -> Thread:
    # Built directly: the claims service is written separately.
    claim = Claim(post_id=ladder.id, claimant_id=world.other_member.id, message="I'd like it")
    db.session.add(claim)
    db.session.flush()
    from_author = Message(claim_id=claim.id, author_id=world.member.id, body="Come by at six.")
    from_claimant = Message(claim_id=claim.id, author_id=world.other_member.id, body="You fool.")
    db.session.add_all([from_author, from_claimant])
    db.session.commit()
    return Thread(ladder, claim, from_author, from_claimant)


def fresh(model, id_: int):
    """The row as the database has it now (ends this test's read snapshot first)."""
    db.session.rollback()
    return db.session.get(model, id_)


def audit_lines() -> list[ModerationAction]:
    db.session.rollback()
    return list(db.session.scalars(select(ModerationAction).order_by(ModerationAction.id)))


def membership_status(community, user) -> str | None:
    db.session.rollback()
    return db.session.scalar(
        select(Membership.status).where(
            Membership.community_id == community.id, Membership.user_id == user.id
        )
    )


@pytest.fixture
def post_report(world, ladder) -> Report:
    """Otto reports Mia's ladder."""
    return moderation.report_post(world.other_member, ladder, "It is not a ladder.")


@pytest.fixture
def second_coordinator(world, make_user) -> User:
    """Cole, a second coordinator of Northside."""
    cole = make_user("Cole Second")
    communities.join(cole, world.home)
    communities.decide_request(world.coordinator, world.home, cole.id, approve=True)
    communities.promote(world.coordinator, world.home, cole.id)
    return cole
