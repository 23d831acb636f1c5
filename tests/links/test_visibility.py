"""Linked posts as members of the other community meet them: they appear with a "from
Northside" badge, the browse filter offers the linked community, and they vanish at once when
the link is revoked or its scope narrowed, while answers already given carry on.

(The full who-sees-what table, link states included, is tests/posts/test_visibility.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from commons.claims import services as claims
from commons.claims.models import Claim
from commons.communities import services as communities
from commons.extensions import db
from commons.links import services
from commons.posts import services as posts
from tests.conftest import log_in, post, text
from tests.links.conftest import bring_link


@pytest.fixture
def lift(world):
    """Mia (Northside) needs a lift, and shares it with linked communities."""
    return posts.create_post(
        world.member,
        posts.PostInput(
            kind="need",
            title="Lift to the clinic",
            description="Tuesday at 10:30.",
            category="transport",
            community_id=world.home.id,
            visibility="linked",
        ),
    )


def in_browse(client, post_id: int, **query: str) -> bool:
    response = client.get("/posts", query_string=query)
    assert response.status_code == 200
    return f'href="/posts/{post_id}"' in text(response)


def test_revoking_hides_linked_posts_from_the_other_side_at_once(client, world, lift):
    link = bring_link(world, "active")
    log_in(client, world.away_member)
    assert in_browse(client, lift.id) and in_browse(client, lift.id, q="clinic")
    assert client.get(f"/posts/{lift.id}").status_code == 200
    services.revoke(world.coordinator, world.home, link)
    # The very next requests, with nothing else changed (no post was edited).
    assert not in_browse(client, lift.id)
    assert not in_browse(client, lift.id, q="clinic")
    assert client.get(f"/posts/{lift.id}").status_code == 404
    # Northside's own members still see it.
    log_in(client, world.other_member)
    assert in_browse(client, lift.id)


def test_narrowing_the_scope_hides_the_kind_left_out_at_once(client, world, lift):
    link = bring_link(world, "active", scopes=("offers", "needs"))
    log_in(client, world.away_member)
    assert in_browse(client, lift.id)
    services.change_scope(world.away_coordinator, world.away, link, ["offers"])
    assert not in_browse(client, lift.id)
    assert client.get(f"/posts/{lift.id}").status_code == 404
    services.change_scope(world.away_coordinator, world.away, link, ["needs"])
    assert in_browse(client, lift.id)


def test_accepting_shows_linked_posts_at_once(client, world, lift):
    link = bring_link(world, "proposed")
    log_in(client, world.away_member)
    assert not in_browse(client, lift.id)
    services.accept(world.away_coordinator, world.away, link)
    assert in_browse(client, lift.id)


def test_an_answer_given_across_a_link_carries_on_after_it_is_revoked(
    client, world, lift, make_user
):
    link = bring_link(world, "active")
    log_in(client, world.away_member)
    response = post(client, f"/posts/{lift.id}/claims", {"message": "I drive past the clinic."})
    assert response.status_code == 303, text(response)[:300]
    claim = db.session.scalar(select(Claim).where(Claim.post_id == lift.id))
    services.revoke(world.away_coordinator, world.away, link)

    # Wes keeps the post and the claim, but the need no longer shows in his browse page.
    assert not in_browse(client, lift.id)
    assert client.get(f"/posts/{lift.id}").status_code == 200
    assert client.get(f"/claims/{claim.id}").status_code == 200
    # Mia can still accept, and the two can still talk.
    claims.accept(world.member, claim)
    response = post(client, f"/claims/{claim.id}/messages", {"body": "See you at ten."})
    assert response.status_code in (200, 303), text(response)[:300]
    db.session.rollback()
    assert db.session.get(Claim, claim.id).status == "accepted"

    # Another Southside member, who had not answered, sees nothing of it.
    newcomer = make_user("Nora New")
    communities.join(newcomer, world.away)
    log_in(client, newcomer)
    assert client.get(f"/posts/{lift.id}").status_code == 404
    assert not in_browse(client, lift.id)
    response = post(client, f"/posts/{lift.id}/claims", {"message": "Me too?"})
    assert response.status_code == 404


def test_a_withdrawn_answer_does_not_keep_the_post(client, world, lift):
    link = bring_link(world, "active")
    claim = claims.make_claim(world.away_member, lift, "I can help.")
    claims.withdraw(world.away_member, claim)
    services.revoke(world.coordinator, world.home, link)
    log_in(client, world.away_member)
    assert client.get(f"/posts/{lift.id}").status_code == 404


def badges(page: str) -> list[str]:
    return re.findall(r'<span class="badge badge-elsewhere">([^<]*)</span>', page)


def test_cards_from_another_community_carry_a_badge(client, world, lift, make_user):
    bring_link(world, "active")
    posts.create_post(
        world.away_member,
        posts.PostInput(
            kind="offer",
            title="Drill to lend",
            description="",
            category="tools",
            community_id=world.away.id,
            visibility="public",
        ),
    )
    log_in(client, world.away_member)
    page = text(client.get("/posts"))
    assert "Drill to lend" in page and badges(page) == ["from Northside"]
    log_in(client, world.member)
    page = text(client.get("/posts"))
    assert "Lift to the clinic" in page and badges(page) == ["from Southside"]
    assert post(client, "/logout").status_code == 303
    page = text(client.get("/posts"))
    assert "Drill to lend" in page and badges(page) == []  # no badges for visitors


def community_choices(page: str) -> list[str]:
    box = re.search(r'<select id="community" name="community">(.*?)</select>', page, re.S)
    return re.findall(r'<option value="([^"]*)"', box.group(1)) if box else []


@pytest.mark.parametrize(
    "state, scopes, offered",
    [
        ("none", ("offers",), ["", "southside"]),
        ("proposed", ("offers",), ["", "southside"]),
        ("active", ("needs",), ["", "northside", "southside"]),
        ("active", ("mentors",), ["", "southside"]),  # no posts flow
        ("revoked", ("offers",), ["", "southside"]),
    ],
)
def test_the_browse_filter_offers_own_and_linked_communities(client, world, state, scopes, offered):
    bring_link(world, state, scopes=scopes)
    log_in(client, world.away_member)
    assert community_choices(text(client.get("/posts"))) == offered


def test_filtering_by_a_linked_community(client, world, lift):
    bring_link(world, "active")
    own = posts.create_post(
        world.away_member,
        posts.PostInput(
            kind="need",
            title="Help with a form",
            description="",
            category="other",
            community_id=world.away.id,
        ),
    )
    log_in(client, world.away_member)
    assert in_browse(client, lift.id, community="northside")
    assert not in_browse(client, own.id, community="northside")
    assert in_browse(client, own.id, community="southside")
    assert not in_browse(client, lift.id, community="southside")


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_linked_posts_and_badges_cost_no_query_per_card(client, world, make_user):
    bring_link(world, "active")
    authors = []
    for n in range(4):
        person = make_user(f"Neighbour {n}")
        communities.join(person, world.home)
        communities.decide_request(world.coordinator, world.home, person.id, approve=True)
        authors.append(person)

    def publish(start: int, stop: int) -> None:
        for n in range(start, stop):
            posts.create_post(
                authors[n % 4],
                posts.PostInput(
                    kind="offer",
                    title=f"Thing number {n}",
                    description="",
                    category="tools",
                    community_id=world.home.id,
                    visibility="linked",
                ),
            )

    def statements_for_browse() -> tuple[int, str]:
        # Rendered afresh: browse results are otherwise served from the results cache.
        client.application.extensions["posts.rendered_results"].clear()
        with counted_statements() as statements:
            page = text(client.get("/posts"))
        return len(statements), page

    log_in(client, world.away_member)
    publish(0, 2)
    statements_for_browse()  # warm up
    with_two, page = statements_for_browse()
    assert len(badges(page)) == 2
    publish(2, 20)
    with_twenty, page = statements_for_browse()
    assert len(badges(page)) == 20
    assert with_twenty == with_two
