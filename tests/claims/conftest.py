"""Posts to answer and the people around a claim: Mia posts in Northside, Otto answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from commons.accounts.models import User
from commons.claims import services as claims
from commons.claims.models import Claim
from commons.communities import services as communities
from commons.database import now_utc
from commons.extensions import db
from commons.moderation.models import Block
from commons.notifications.models import Notification
from commons.posts.models import Post
from commons.posts.services import PostInput, create_post

MakePost = Callable[..., Post]


@pytest.fixture
def make_post(world) -> MakePost:
    """An open post in Northside, by Mia (world.member) unless told otherwise."""

    def make(
        *,
        author: User | None = None,
        kind: str = "offer",
        capacity: int = 1,
        visibility: str = "community",
        title: str = "Ladder to lend",
        community=None,
    ) -> Post:
        return create_post(
            author or world.member,
            PostInput(
                kind=kind,
                title=title,
                description="A tall aluminium ladder.",
                category="tools",
                community_id=(community or world.home).id,
                capacity=capacity,
                visibility=visibility,
            ),
        )

    return make


@pytest.fixture
def offer(make_post) -> Post:
    return make_post()


@pytest.fixture
def make_neighbour(world, make_user) -> Callable[..., User]:
    """An active member of Northside."""

    def make(name: str | None = None) -> User:
        person = make_user(name)
        communities.join(person, world.home)
        communities.decide_request(world.coordinator, world.home, person.id, approve=True)
        return person

    return make


def block(blocker: User, blocked: User) -> None:
    db.session.add(Block(blocker_id=blocker.id, blocked_id=blocked.id))
    db.session.commit()


def fresh(model, id_: int):
    """The row as the database has it now (ends this test's read snapshot first)."""
    db.session.rollback()
    return db.session.get(model, id_)


def claim_status(claim_id: int) -> str:
    return fresh(Claim, claim_id).status


def post_counts(post_id: int) -> tuple[int, str]:
    post = fresh(Post, post_id)
    return post.accepted_count, post.status


def notes_for(user: User) -> list[Notification]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def expire(post: Post) -> None:
    post.expires_at = now_utc() - timedelta(minutes=1)
    db.session.commit()


def accepted_claim(world, post: Post, claimant: User | None = None) -> Claim:
    claim = claims.make_claim(claimant or world.other_member, post, "Could I borrow it?")
    return claims.accept(post.author, claim)
