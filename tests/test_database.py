"""The database settings that keep concurrent requests from failing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select, text

from commons.communities import services as communities
from commons.communities.models import Membership
from commons.extensions import db
from tests.conftest import log_in, post


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_simultaneous_joins_all_succeed(app, make_user, make_community):
    """Ten people press Join at the same instant: every one is saved, none sees an error."""
    community = make_community(make_user(), "Busy Street")
    people = [make_user() for _ in range(10)]
    ids = [person.id for person in people]
    community_id = community.id
    start = Barrier(len(ids))

    def join(user_id: int) -> str:
        with app.app_context():
            from commons.accounts.models import User
            from commons.communities.models import Community

            user = db.session.get(User, user_id)
            target = db.session.get(Community, community_id)
            start.wait()
            return communities.join(user, target).status

    with ThreadPoolExecutor(max_workers=len(ids)) as pool:
        results = list(pool.map(join, ids))
    assert results == ["active"] * len(ids)
    db.session.rollback()  # end this test's own read snapshot to see the threads' commits
    count = db.session.scalar(
        select(func.count(Membership.id)).where(Membership.community_id == community_id)
    )
    assert count == len(ids) + 1


def test_nul_characters_never_reach_the_database(client, make_user):
    """PostgreSQL refuses NUL in text; every form and search drops it instead of failing."""

    user = make_user()

    log_in(client, user)
    assert client.get("/communities", query_string={"q": "north\x00"}).status_code == 200
    response = post(
        client,
        "/settings/profile",
        {"bio": "Hi\x00 there", "timezone": "Europe/London", "neighbourhood": ""},
    )
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.bio == "Hi there"
