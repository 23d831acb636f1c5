"""A post's times of the week: ticked on the form as day and part of day, shown on the post,
kept when editing, and given to matching in place of the author's usual availability."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from commons.extensions import db
from commons.posts import services
from commons.posts.models import Post, PostSlot
from tests.conftest import HX, log_in, post, text
from tests.posts.test_views import edit_form, form


def test_times_ticked_on_the_form_are_saved_and_shown(client, world):
    log_in(client, world.member)
    response = post(client, "/posts/new", form(world, when=["tue-evening", "sat-morning"]))
    assert response.status_code == 303
    created = db.session.scalar(select(Post))
    assert [(s.weekday, s.start_minute, s.end_minute) for s in created.slots] == [
        (1, 17 * 60, 21 * 60),
        (5, 8 * 60, 12 * 60),
    ]
    page = text(client.get(f"/posts/{created.id}"))
    assert "Usually free</dt><dd>Tuesday evening, Saturday morning" in page


def test_no_times_is_fine(client, world):
    log_in(client, world.member)
    assert post(client, "/posts/new", form(world)).status_code == 303
    created = db.session.scalar(select(Post))
    assert created.slots == []
    assert "Usually free" not in text(client.get(f"/posts/{created.id}"))


def test_the_form_offers_a_checkbox_for_each_part_of_each_day(client, world):
    log_in(client, world.member)
    page = text(client.get("/posts/new"))
    assert page.count('type="checkbox" name="when"') == 21
    assert '<span class="sr-only">Wednesday afternoon</span>' in page


@pytest.mark.parametrize("bad", ["mon-midnight", "someday-evening", "mon", "' OR 1=1 --"])
def test_a_time_not_in_the_table_is_refused_and_the_input_kept(client, world, bad):
    log_in(client, world.member)
    response = post(client, "/posts/new", form(world, when=["tue-evening", bad]), headers=HX)
    assert response.status_code == 422
    page = text(response)
    assert "Please tick times from the table." in page
    assert 'value="tue-evening" checked' in page and 'value="Ladder to lend"' in page
    assert db.session.scalar(select(Post)) is None


def test_editing_shows_the_saved_times_and_replaces_them(client, world, make_post, author):
    offer = make_post(when=["mon-morning", "mon-evening"])
    log_in(client, author)
    page = text(client.get(f"/posts/{offer.id}/edit"))
    assert 'value="mon-morning" checked' in page and 'value="mon-evening" checked' in page
    assert 'value="tue-morning" checked' not in page
    response = post(client, f"/posts/{offer.id}/edit", edit_form(offer, when=["sun-afternoon"]))
    assert response.status_code == 303
    db.session.expire_all()
    assert [s.label for s in db.session.get(Post, offer.id).slots] == ["Sunday afternoon"]


def test_the_database_refuses_an_impossible_time(make_post):
    offer = make_post()
    db.session.add(PostSlot(post_id=offer.id, weekday=7, start_minute=0, end_minute=60))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_service_input_with_an_unknown_time_is_refused(world, author):
    data = services.PostInput(
        kind="offer",
        title="Ladder",
        description="",
        category="tools",
        community_id=world.home.id,
        when=["noon-ish"],
    )
    with pytest.raises(ValueError):
        services.create_post(author, data)
    assert db.session.scalar(select(Post)) is None
