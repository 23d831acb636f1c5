"""A number in a URL that no row can have is a 404 like any unknown id, never a 500
(PostgreSQL refuses an integer beyond its column with an error)."""

from __future__ import annotations

import pytest

from tests.conftest import log_in, post

HUGE = "99999999999"  # beyond PostgreSQL's integer


@pytest.mark.parametrize(
    "url",
    [
        f"/posts/{HUGE}",
        f"/claims/{HUGE}",
        f"/members/{HUGE}",
        f"/members/{HUGE}/report",
        f"/posts/{HUGE}/suggestions",
        f"/proposals/{HUGE}",
        f"/mentorships/{HUGE}",
        f"/sessions/{HUGE}",
        f"/exchanges/{HUGE}",
        f"/timebank/transfers/{HUGE}",
        "/posts/0",
    ],
)
def test_a_page_for_an_impossible_id_is_not_found(client, world, url):
    log_in(client, world.member)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/claims/{HUGE}/accept",
        f"/posts/{HUGE}/close",
        f"/members/{HUGE}/block",
        f"/notifications/{HUGE}/read",
        f"/mentorships/{HUGE}/accept",
        f"/exchanges/{HUGE}/accept",
    ],
)
def test_an_action_on_an_impossible_id_is_not_found(client, world, url):
    log_in(client, world.member)
    assert post(client, url).status_code == 404
