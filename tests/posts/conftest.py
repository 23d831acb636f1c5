"""Posts fixtures: an author who belongs to Northside, and a quick way to publish a post."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from commons.accounts.models import User
from commons.communities import services as communities
from commons.extensions import db
from commons.posts import services
from commons.posts.models import Post
from tests.conftest import World, act_as, log_in

MakePost = Callable[..., Post]


@pytest.fixture
def author(world: World, make_user) -> User:
    """A plain Northside member who writes the post under test (distinct from `member`)."""
    person = make_user("Avery Author")
    communities.join(person, world.home)
    communities.decide_request(world.coordinator, world.home, person.id, approve=True)
    return person


@pytest.fixture
def make_post(world: World, author: User) -> MakePost:
    """Publish through the service, as the form would; by default Avery's offer in Northside."""

    def make(by: User | None = None, **fields: object) -> Post:
        data = {
            "kind": "offer",
            "title": "Ladder to lend",
            "description": "A tall aluminium ladder, fine for gutters.",
            "category": "tools",
            "community_id": world.home.id,
        }
        data.update(fields)
        return services.create_post(by or author, services.PostInput(**data))

    return make


def become(client: FlaskClient, world: World, author: User, role: str) -> User | None:
    """Log in as `role` of the world, or as the post's author for "author"."""
    if role == "author":
        log_in(client, author)
        return author
    return act_as(client, world, role)


def post_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Post))
