"""The notifications page, marking as read, and the unread badge, as each role meets them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from commons.accounts.models import User
from commons.database import write_transaction
from commons.extensions import db
from commons.notifications import services as notifications
from commons.notifications.models import Notification
from tests.conftest import HX, act_as, assert_status, log_in, post, text

ROLES = ["visitor", "member", "other_member", "coordinator", "away_coordinator", "admin"]


def notify(user: User, text: str = "Something happened", link: str = "/") -> Notification:
    with write_transaction():
        notification = notifications.notify(user, "claim", text, link)
    return notification


def is_read(notification: Notification) -> bool:
    db.session.refresh(notification)
    return notification.read_at is not None


@pytest.fixture
def mine(world) -> Notification:
    """An unread notification of world.member's."""
    return notify(world.member, "Otto would like your ladder", "/posts/1")


# --- who may do what ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_list_is_for_members_and_shows_only_their_own(client, world, mine, role):
    user = act_as(client, world, role)
    response = client.get("/notifications")
    if user is None:
        return assert_status(response, "login")
    assert_status(response, 200)
    page = text(response)
    assert ("Otto would like your ladder" in page) is (user.id == world.member.id)


@pytest.mark.parametrize(
    "role, expected", [("visitor", "login"), ("member", 303)] + [(r, 404) for r in ROLES[2:]]
)
def test_only_the_owner_marks_a_notification_read(client, world, mine, role, expected):
    act_as(client, world, role)
    response = post(client, f"/notifications/{mine.id}/read")
    assert_status(response, expected)
    assert is_read(mine) is (expected == 303)


@pytest.mark.parametrize("role", ROLES)
def test_read_all_marks_only_my_own(client, world, mine, role):
    theirs = notify(world.other_member, "For Otto")
    user = act_as(client, world, role)
    response = post(client, "/notifications/read-all")
    if user is None:
        assert_status(response, "login")
    else:
        assert_status(response, 303)
        assert response.headers["Location"] == "/notifications"
    assert is_read(mine) is (role == "member")
    assert is_read(theirs) is (role == "other_member")


@pytest.mark.parametrize("role", ROLES)
def test_the_badge_shows_my_unread_count(client, world, mine, role):
    notify(world.member, "A second one")
    user = act_as(client, world, role)
    response = client.get("/notifications/badge")
    if user is None:
        return assert_status(response, "login")
    assert_status(response, 200)
    body = text(response)
    assert body.lstrip().startswith('<a id="notification-badge"')
    assert ('2<span class="sr-only"> unread</span>' in body) is (role == "member")


def test_an_unknown_notification_is_not_found(client, world):
    log_in(client, world.member)
    assert_status(post(client, "/notifications/999999/read"), 404)


def test_marking_read_needs_the_csrf_token(client, world, mine):
    log_in(client, world.member)
    assert_status(client.post(f"/notifications/{mine.id}/read"), 400)
    assert_status(client.post("/notifications/read-all"), 400)
    assert not is_read(mine)


# --- the page ----------------------------------------------------------------------------


def test_the_list_is_newest_first_and_paged(client, world):
    for n in range(25):
        notify(world.member, f"Number {n:02d}")
    log_in(client, world.member)
    first = text(client.get("/notifications"))
    assert first.index("Number 24") < first.index("Number 05")
    assert "Number 04" not in first
    assert "25 unread" in first and "Page 1 of 2" in first

    second = text(client.get("/notifications", query_string={"page": 2}))
    assert "Number 04" in second and "Number 05" not in second
    assert text(client.get("/notifications", query_string={"page": "x"})).count("Number") == 20


def test_an_empty_list_says_so(client, world):
    log_in(client, world.member)
    page = text(client.get("/notifications"))
    assert "Nothing yet" in page
    assert "Mark all as read" not in page


def test_marking_read_with_htmx_swaps_the_list_and_refreshes_the_badge(client, world, mine):
    other = notify(world.member, "Another")
    log_in(client, world.member)
    response = post(client, f"/notifications/{mine.id}/read", headers=HX)
    assert_status(response, 200)
    assert response.headers["HX-Trigger"] == "notifications-changed"
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<section id="notifications"')
    assert "1 unread" in body
    assert is_read(mine) and not is_read(other)

    response = post(client, "/notifications/read-all", headers=HX)
    assert response.headers["HX-Trigger"] == "notifications-changed"
    assert "You have read everything." in text(response)
    assert is_read(other)


def test_marking_read_on_a_later_page_comes_back_to_that_page(client, world):
    items = [notify(world.member, f"Number {n:02d}") for n in range(25)]
    log_in(client, world.member)
    response = post(client, f"/notifications/{items[0].id}/read?page=2")
    assert response.headers["Location"] == "/notifications?page=2"
    swapped = text(post(client, f"/notifications/{items[1].id}/read?page=2", headers=HX))
    assert "Page 2 of 2" in swapped


def test_opening_an_unread_notification_marks_it_read_and_goes_to_it(client, world, mine):
    log_in(client, world.member)
    page = text(client.get("/notifications"))
    assert 'name="next" value="/posts/1"' in page
    response = post(client, f"/notifications/{mine.id}/read", {"next": "/posts/1"})
    assert response.headers["Location"] == "/posts/1"
    assert is_read(mine)
    page = text(client.get("/notifications"))
    assert '<a href="/posts/1">Otto would like your ladder</a>' in page


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_opening_a_notification_never_leaves_the_site(client, world, mine, elsewhere):
    log_in(client, world.member)
    response = post(client, f"/notifications/{mine.id}/read", {"next": elsewhere})
    assert response.headers["Location"] == "/notifications"


# --- the badge in the navigation ---------------------------------------------------------


def test_the_navigation_badge_counts_unread_and_polls(client, world, mine):
    notify(world.member, "Two")
    notify(world.member, "Three")
    log_in(client, world.member)
    page = text(client.get("/communities"))
    badge = re.search(r'<a id="notification-badge".*?</a>', page, re.S)
    assert badge, page[:2000]
    badge_html = badge.group(0)
    assert 'href="/notifications"' in badge_html
    assert 'hx-get="/notifications/badge"' in badge_html
    assert "every 30s" in badge_html
    assert "Notifications" in badge_html
    assert '3<span class="sr-only"> unread</span>' in badge_html

    notifications.mark_all_read(world.member)
    page = text(client.get("/communities"))
    assert 'id="notification-badge"' in page and "unread</span>" not in page


def test_visitors_have_no_badge(client, world):
    assert 'id="notification-badge"' not in text(client.get("/communities"))


def test_a_logged_out_badge_stops_polling(client, world):
    response = client.get("/notifications/badge", headers=HX)
    assert response.status_code == 286  # htmx stops polling and removes the badge
    assert text(response) == ""


def test_the_badge_costs_one_count_query(client, world, mine):
    log_in(client, world.member)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "notifications" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get("/communities")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 1
    assert "count(" in statements[0].lower() and "read_at IS NULL" in statements[0]


def test_partials_rendered_for_htmx_do_not_count(client, world, mine):
    log_in(client, world.member)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "notifications" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get("/communities", query_string={"q": "north"}, headers=HX)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements == []
