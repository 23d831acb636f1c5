"""The dashboard and its CSV cost a fixed number of SQL statements, whether the community has
5 posts or 50 (with their claims): every figure is an aggregate, not a loop over rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from commons.claims import services as claims
from commons.extensions import db
from commons.posts import services as posts
from commons.posts.models import CATEGORIES
from commons.timebank import services as timebank
from tests.conftest import log_in, text


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    db.session.commit()  # nothing of the test's own is pending or counted
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def publish(world, start: int, stop: int) -> None:
    """Posts `start`..`stop` in Northside, in turn offers and needs across the categories, by
    Mia and Otto, each answered by the other; some answers accepted, some completed and paid
    for in time-bank hours."""
    categories = list(CATEGORIES)
    for n in range(start, stop):
        author, helper = (world.member, world.other_member)[:: 1 if n % 2 else -1]
        post = posts.create_post(
            author,
            posts.PostInput(
                kind="offer" if n % 3 else "need",
                title=f"Post number {n}",
                description="",
                category=categories[n % len(categories)],
                community_id=world.home.id,
            ),
        )
        claim = claims.make_claim(helper, post, "Me, please.")
        if n % 4:
            claims.accept(author, claim)
        if n % 4 == 1:
            claims.complete(helper, claim)
            timebank.send_hours(author, helper, 30, "Thank you", claim=claim)


def statements_for(client, url: str) -> int:
    with counted_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, text(response)[:300]
    return len(statements)


@pytest.mark.parametrize(
    "url",
    [
        "/communities/northside/dashboard",
        "/communities/northside/dashboard?weeks=12",
        "/communities/northside/dashboard.csv",
    ],
)
def test_the_dashboard_costs_the_same_for_5_or_50_posts(client, world, url):
    log_in(client, world.coordinator)
    publish(world, 0, 5)
    statements_for(client, url)  # warm up: the first request may load extra
    with_five = statements_for(client, url)
    publish(world, 5, 50)
    with_fifty = statements_for(client, url)
    assert with_fifty == with_five
    # The member, the community and the coordinator's membership, then one statement per
    # figure: open posts, needs met, answer times, hours exchanged, active mentorships, the
    # weekly series (the CSV: open posts once and the others for both windows); the page also
    # reads the badge.
    assert with_five <= (15 if url.endswith(".csv") else 11)
