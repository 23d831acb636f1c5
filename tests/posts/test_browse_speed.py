"""What makes browsing fast must never make it wrong: cached results give way to any change a
reader would notice, and "nearest first" searching outwards finds exactly the nearest posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from markupsafe import Markup
from sqlalchemy import select

from commons.claims.models import Claim
from commons.communities import services as communities
from commons.extensions import db
from commons.posts import services
from commons.posts.results_cache import MAX_AGE, RenderedResults
from tests.conftest import log_in, post, text
from tests.posts.test_queries import counted_statements
from tests.posts.test_views import titles

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Renderer:
    """Counts renders, so a test can tell a cached answer from a fresh one."""

    def __init__(self, ends_at: datetime | None = None) -> None:
        self.calls = 0
        self.ends_at = ends_at

    def __call__(self) -> tuple[Markup, datetime | None]:
        self.calls += 1
        return Markup(f"<p>render {self.calls}</p>"), self.ends_at


# --- the cache on its own --------------------------------------------------------------------


def test_the_same_key_and_stamp_render_once():
    cache, render = RenderedResults(), Renderer()
    first = cache.get_or_render("k", T0, T0, render)
    again = cache.get_or_render("k", T0, T0 + timedelta(seconds=1), render)
    assert first == again == Markup("<p>render 1</p>") and render.calls == 1


def test_a_newer_stamp_renders_afresh():
    cache, render = RenderedResults(), Renderer()
    cache.get_or_render("k", T0, T0, render)
    assert cache.get_or_render("k", T0 + timedelta(microseconds=1), T0, render) == Markup(
        "<p>render 2</p>"
    )


def test_keys_do_not_share_entries():
    cache, render = RenderedResults(), Renderer()
    cache.get_or_render(("member", 1), T0, T0, render)
    cache.get_or_render(("member", 2), T0, T0, render)
    assert render.calls == 2


def test_entries_age_out():
    cache, render = RenderedResults(), Renderer()
    cache.get_or_render("k", T0, T0, render)
    cache.get_or_render("k", T0, T0 + MAX_AGE - timedelta(seconds=1), render)
    assert render.calls == 1
    cache.get_or_render("k", T0, T0 + MAX_AGE, render)
    assert render.calls == 2


def test_an_entry_ends_when_a_post_it_shows_expires():
    cache, render = RenderedResults(), Renderer(ends_at=T0 + timedelta(seconds=5))
    cache.get_or_render("k", T0, T0, render)
    cache.get_or_render("k", T0, T0 + timedelta(seconds=5), render)
    assert render.calls == 2


def test_a_clock_set_back_renders_afresh():
    cache, render = RenderedResults(), Renderer()
    cache.get_or_render("k", T0, T0, render)
    cache.get_or_render("k", T0, T0 - timedelta(seconds=1), render)
    assert render.calls == 2


def test_the_least_recently_used_entry_goes_first():
    cache, render = RenderedResults(max_entries=2), Renderer()
    cache.get_or_render("a", T0, T0, render)
    cache.get_or_render("b", T0, T0, render)
    cache.get_or_render("a", T0, T0, render)  # a is now the most recent
    cache.get_or_render("c", T0, T0, render)  # b leaves
    assert len(cache) == 2
    cache.get_or_render("a", T0, T0, render)
    assert render.calls == 3
    cache.get_or_render("b", T0, T0, render)
    assert render.calls == 4


# --- cached browse pages, as readers meet them ----------------------------------------------


def test_a_repeated_browse_is_served_without_loading_posts(client, world, make_post):
    make_post(title="Ladder to lend", visibility="public")
    log_in(client, world.member)
    client.get("/posts")
    with counted_statements() as fresh:
        client.application.extensions["posts.rendered_results"].clear()
        assert titles(client.get("/posts")) == ["Ladder to lend"]
    with counted_statements() as cached:
        assert titles(client.get("/posts")) == ["Ladder to lend"]
    assert len(cached) < len(fresh)
    assert not any("FROM posts JOIN" in s or "post_tags" in s for s in cached)


def test_a_new_post_shows_at_once(client, world, make_post):
    make_post(title="Ladder to lend")
    log_in(client, world.member)
    assert titles(client.get("/posts")) == ["Ladder to lend"]
    make_post(title="Drill to lend")
    assert titles(client.get("/posts")) == ["Drill to lend", "Ladder to lend"]


def test_a_claim_that_fills_an_offer_shows_at_once(app, world, make_post):
    offer = make_post(title="Ladder to lend", visibility="public")
    visitor, member, author = (app.test_client() for _ in range(3))
    assert "Fulfilled" not in text(visitor.get("/posts", query_string={"status": "all"}))
    log_in(member, world.member)
    post(member, f"/posts/{offer.id}/claims", {"message": "Could I borrow it on Saturday?"})
    claim = db.session.scalar(select(Claim).where(Claim.post_id == offer.id))
    log_in(author, offer.author)
    post(author, f"/claims/{claim.id}/accept")
    assert "Fulfilled" in text(visitor.get("/posts", query_string={"status": "all"}))


def test_joining_a_community_shows_its_posts_at_once(client, world, make_user, make_post):
    make_post(title="Ladder to lend")  # Northside only
    newcomer = make_user("Newcomer")
    communities.join(newcomer, world.away)
    log_in(client, newcomer)
    assert titles(client.get("/posts")) == []
    communities.join(newcomer, world.home)
    communities.decide_request(world.coordinator, world.home, newcomer.id, approve=True)
    assert titles(client.get("/posts")) == ["Ladder to lend"]


def test_members_with_different_communities_do_not_share_results(client, world, make_post):
    make_post(title="Ladder to lend")  # Northside only
    log_in(client, world.member)
    assert titles(client.get("/posts")) == ["Ladder to lend"]
    log_in(client, world.away_member)
    assert titles(client.get("/posts")) == []


def test_a_post_leaves_the_list_when_it_expires(client, world, make_post):
    with time_machine.travel(T0, tick=False):
        make_post(title="Ladder to lend", visibility="public", lifetime_days=1)
        assert titles(client.get("/posts")) == ["Ladder to lend"]
    with time_machine.travel(T0 + timedelta(days=1, seconds=1), tick=False):
        assert titles(client.get("/posts")) == []


# --- nearest first, searched outwards ----------------------------------------------------------


@pytest.fixture
def spread(world, author, make_post):
    """Ten posts at 0.1 to 60 km north of Mia's home, in shuffled order of posting."""
    home = world.home.neighbourhoods[0]
    world.member.neighbourhood_id = home.id
    db.session.commit()
    distances_km = [5, 0.1, 60, 1.5, 0.4, 30, 3, 12, 0.9, 45]
    for km in distances_km:
        offer = make_post(title=f"{km} km away", visibility="public")
        offer.lat, offer.lon = home.lat + km / services.KM_PER_DEGREE, home.lon
    db.session.commit()
    return [f"{km} km away" for km in sorted(distances_km)]


@pytest.mark.parametrize("per_page", [1, 3, 4, 10])
def test_nearest_first_is_exact_on_every_page(world, spread, per_page):
    shown, page = [], 1
    while True:
        result = services.browse(
            world.member, services.BrowseFilters(sort="nearest", page=page), per_page=per_page
        )
        shown += [p.title for p in result.posts]
        if not result.has_next:
            break
        page += 1
    assert shown == spread


def test_nearest_first_within_a_distance_stops_there(world, spread):
    result = services.browse(world.member, services.BrowseFilters(sort="nearest", within_km=4))
    assert [p.title for p in result.posts] == spread[:5]
