"""The browse page and a post's page cost a fixed number of SQL statements, however many posts,
authors, tags and communities they show (no N+1 queries)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import cycle

import pytest
from sqlalchemy import event

from commons.communities import services as communities
from commons.extensions import db
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


def statements_for(client, url: str, *, shows: int | None = None) -> int:
    """Statements for rendering `url` afresh (browse results are otherwise served from cache)."""
    client.application.extensions["posts.rendered_results"].clear()
    with counted_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, text(response)[:300]
    if shows is not None:
        assert text(response).count('class="post-card"') == shows
    return len(statements)


@pytest.fixture
def neighbours(world, make_user):
    """Six more authors, three in each community, each living in one of its neighbourhoods."""
    people = []
    for n, community in enumerate([world.home, world.away] * 3):
        person = make_user(f"Neighbour {n}")
        communities.join(person, community)
        if community.join_policy == "approval":
            communities.decide_request(world.coordinator, community, person.id, approve=True)
        person.neighbourhood_id = community.neighbourhoods[n % 2].id
        people.append((person, community))
    db.session.commit()
    return people


def publish(make_post, neighbours, start: int, stop: int) -> list:
    posts = []
    authors = cycle(neighbours)
    for _ in range(start):
        next(authors)
    for n in range(start, stop):
        person, community = next(authors)
        posts.append(
            make_post(
                by=person,
                community_id=community.id,
                kind="offer" if n % 3 else "need",
                title=f"Post number {n}",
                category=["tools", "food", "repairs"][n % 3],
                tags=[f"tag{n}", f"shared{n % 4}", "common"],
                capacity=1 + n % 3,
                visibility="public",
            )
        )
    return posts


@pytest.mark.parametrize("role", ["member", "visitor"])
@pytest.mark.parametrize(
    "query",
    ["", "?sort=nearest&within_km=50", "?q=number&status=all", "?tag=common&sort=ending"],
)
def test_browse_costs_the_same_for_2_or_20_posts(client, world, make_post, neighbours, role, query):
    world.member.neighbourhood_id = world.home.neighbourhoods[0].id
    db.session.commit()
    if role == "member":
        log_in(client, world.member)
    publish(make_post, neighbours, 0, 2)
    statements_for(client, "/posts" + query)  # warm up: the first request may load extra
    with_two = statements_for(client, "/posts" + query, shows=2)
    publish(make_post, neighbours, 2, 20)
    with_twenty = statements_for(client, "/posts" + query, shows=20)
    assert with_twenty == with_two


@pytest.mark.parametrize("role", ["member", "author", "visitor"])
def test_a_post_page_costs_the_same_whatever_else_is_posted(
    client, world, make_post, neighbours, role
):
    first, _ = publish(make_post, neighbours, 0, 2)
    if role == "member":
        log_in(client, world.member)
    elif role == "author":
        log_in(client, first.author)
    url = f"/posts/{first.id}"
    statements_for(client, url)
    with_two = statements_for(client, url)
    publish(make_post, neighbours, 2, 20)
    assert statements_for(client, url) == with_two
