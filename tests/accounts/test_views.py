"""Registering, logging in and out, account settings, export and deletion, through the pages.

CSRF, rate limits, reset links and `next` redirects are covered in test_security.py."""

from __future__ import annotations

import json
from datetime import time
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from commons.accounts import services as accounts
from commons.accounts.models import FORMER_MEMBER, User
from commons.communities import services as communities
from commons.extensions import db
from commons.profiles import services as profiles
from tests.conftest import HX, PASSWORD, act_as, log_in, post, text

NEW_PASSWORD = "a longer new passphrase"


def assert_sent_to_login(response) -> None:
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def is_logged_in(client: FlaskClient) -> bool:
    return client.get("/settings/account").status_code == 200


def can_log_in(app, email: str, password: str) -> bool:
    """Try the credentials from a fresh browser, through the login form."""
    response = post(app.test_client(), "/login", {"email": email, "password": password})
    assert response.status_code in (303, 422)
    return response.status_code == 303


def users_with_email(email: str) -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.email == email))


# --- registering -------------------------------------------------------------------------

REGISTRATION = {
    "email": "Newt@Example.org",
    "display_name": "Newt Neighbour",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def test_register_page(client):
    response = client.get("/register")
    assert response.status_code == 200
    assert 'id="register-form"' in text(response)


def test_registering_creates_the_account_and_logs_in(client, app):
    response = post(client, "/register", REGISTRATION)
    assert response.status_code == 303
    assert response.headers["Location"] == "/communities"

    user = accounts.find_by_email("newt@example.org")
    assert user is not None
    assert (user.email, user.display_name) == ("newt@example.org", "Newt Neighbour")
    assert communities.communities_of(user) == []

    page = text(client.get("/communities"))
    assert "Welcome, Newt Neighbour! Find a community to join." in page
    assert "Log out" in page
    assert is_logged_in(client)
    assert can_log_in(app, "newt@example.org", PASSWORD)


def test_registering_a_taken_email_is_refused_in_place(client, world):
    taken = world.member.email.upper()
    response = post(client, "/register", {**REGISTRATION, "email": taken})
    assert response.status_code == 422
    page = text(response)
    assert "An account with that email already exists" in page
    assert 'value="Newt Neighbour"' in page
    assert users_with_email(world.member.email) == 1
    assert world.member.display_name == "Mia Member"
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"confirm": "something else entirely"}, "The two passwords differ."),
        ({"password": "short", "confirm": "short"}, "A password needs at least 10 characters"),
        ({"email": "not-an-email"}, "That doesn&#39;t look like an email address."),
        ({"display_name": "   "}, "Please tell us what to call you."),
    ],
)
def test_invalid_registration_is_shown_again_with_422(client, change, message):
    data = {**REGISTRATION, **change}
    response = post(client, "/register", data)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert f'value="{data["email"].lower()}"' in page  # what they typed is kept
    if "display_name" not in change:
        assert 'value="Newt Neighbour"' in page
    assert PASSWORD not in page  # passwords are never sent back
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert not is_logged_in(client)


def test_registering_over_htmx(client):
    invalid = post(client, "/register", {**REGISTRATION, "confirm": "nope nope nope"}, headers=HX)
    assert invalid.status_code == 422
    body = text(invalid)
    assert "<html" not in body
    assert body.lstrip().startswith('<form id="register-form"')
    assert 'value="Newt Neighbour"' in body

    done = post(client, "/register", REGISTRATION, headers=HX)
    assert done.status_code == 200
    assert done.headers["HX-Redirect"] == "/communities"
    assert accounts.find_by_email("newt@example.org") is not None


def test_a_boosted_request_gets_the_whole_page(client):
    response = client.get("/register", headers={**HX, "HX-Boosted": "true"})
    assert "<html" in text(response)


# --- logging in and out ------------------------------------------------------------------


def test_login_page(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'id="login-form"' in text(response)


def test_logging_in_opens_my_dashboard(client, world):
    response = post(client, "/login", {"email": world.member.email, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Hello, Mia Member" in text(client.get("/"))


@pytest.mark.parametrize(
    "email, password",
    [("{member}", "not my password at all"), ("nobody@example.org", PASSWORD)],
)
def test_wrong_credentials_are_refused_in_place(client, world, email, password):
    email = email.format(member=world.member.email)
    response = post(client, "/login", {"email": email, "password": password})
    assert response.status_code == 422
    page = text(response)
    assert "That email and password don&#39;t match an account." in page
    assert f'value="{email}"' in page
    assert not is_logged_in(client)


def test_login_over_htmx(client, world):
    form = text(client.get("/login", headers=HX))
    assert "<html" not in form and form.lstrip().startswith('<form id="login-form"')

    refused = post(client, "/login", {"email": world.member.email, "password": "x"}, headers=HX)
    assert refused.status_code == 422
    assert "<html" not in text(refused) and world.member.email in text(refused)

    done = post(client, "/login", {"email": world.member.email, "password": PASSWORD}, headers=HX)
    assert done.status_code == 200
    assert done.headers["HX-Redirect"] == "/"
    assert is_logged_in(client)


def test_logging_out(client, world):
    log_in(client, world.member)
    response = post(client, "/logout")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert not is_logged_in(client)
    page = text(client.get("/"))
    assert "You have logged out." in page
    assert "Share what you have" in page  # the visitor's front page again


# --- account settings --------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["member", "coordinator", "away_member", "applicant", "stranger", "admin"]
)
def test_settings_page_shows_my_own_account(client, world, role):
    user = act_as(client, world, role)
    response = client.get("/settings/account")
    assert response.status_code == 200
    page = text(response)
    assert f"Logged in as {user.email}." in page
    others = {world.member.email, world.coordinator.email, world.stranger.email} - {user.email}
    assert not any(email in page for email in others)


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/settings/account"),
        ("get", "/settings/account/export"),
        ("post", "/settings/account/password"),
        ("post", "/settings/account/delete"),
    ],
)
def test_visitor_is_sent_to_log_in(client, world, method, url):
    response = client.get(url) if method == "get" else post(client, url, {"password": PASSWORD})
    assert_sent_to_login(response)


# --- changing the password ---------------------------------------------------------------


def change_password(client, current: str = PASSWORD, new: str = NEW_PASSWORD, confirm=None):
    data = {"current": current, "password": new, "confirm": confirm or new}
    return post(client, "/settings/account/password", data)


def test_changing_my_password(client, app, world):
    log_in(client, world.member)
    response = change_password(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/account"
    assert "Your password is changed." in text(client.get("/settings/account"))
    assert is_logged_in(client)  # this device stays logged in
    assert can_log_in(app, world.member.email, NEW_PASSWORD)
    assert not can_log_in(app, world.member.email, PASSWORD)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"current": "not my password at all"}, "That isn&#39;t your current password."),
        ({"confirm": "a different passphrase"}, "The two passwords differ."),
        ({"new": "short"}, "A password needs at least 10 characters"),
        ({"current": ""}, "Please enter your current password."),
    ],
)
def test_a_refused_password_change_keeps_the_old_password(client, app, world, kwargs, message):
    log_in(client, world.member)
    response = change_password(client, **kwargs)
    assert response.status_code == 422
    assert message in text(response)
    assert is_logged_in(client)
    assert can_log_in(app, world.member.email, PASSWORD)


# --- exporting my data -------------------------------------------------------------------


def test_export_downloads_my_profile_and_memberships(client, world):
    communities.join(world.member, world.away)
    centre = next(n for n in world.home.neighbourhoods if n.name == "Northside Centre")
    profiles.update_profile(
        world.member,
        profiles.ProfileChanges(
            bio="Ask me about sourdough.",
            languages=["english"],
            skills_share=["baking"],
            skills_learn=["welsh"],
            neighbourhood_id=centre.id,
            timezone="Europe/London",
        ),
    )
    log_in(client, world.member)
    response = client.get("/settings/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"

    data = json.loads(text(response))
    account = data["account"]
    assert account["email"] == world.member.email
    assert account["display_name"] == "Mia Member"
    assert account["bio"] == "Ask me about sourdough."
    assert account["neighbourhood"] == "Northside Centre (Northside)"
    assert (account["skills_to_share"], account["wants_to_learn"]) == (["baking"], ["welsh"])
    assert sorted((m["community"], m["role"], m["status"]) for m in data["memberships"]) == [
        ("Northside", "member", "active"),
        ("Southside", "member", "active"),
    ]


@pytest.mark.parametrize(
    "role, memberships",
    [
        ("coordinator", [("Northside", "coordinator", "active")]),
        ("applicant", [("Northside", "member", "pending")]),
        ("stranger", []),
    ],
)
def test_export_holds_my_data_and_no_one_elses(client, world, role, memberships):
    user = act_as(client, world, role)
    body = text(client.get("/settings/account/export"))
    data = json.loads(body)
    assert data["account"]["email"] == user.email
    assert [(m["community"], m["role"], m["status"]) for m in data["memberships"]] == memberships
    people = [world.member, world.other_member, world.coordinator, world.applicant, world.admin]
    for other in (person for person in people if person.id != user.id):
        assert other.email not in body
        assert other.display_name not in body


# --- deleting my account -----------------------------------------------------------------


def test_deleting_my_account_removes_my_personal_data(client, app, world):
    email = world.member.email
    profiles.add_slot(world.member, 1, time(18), time(19))
    log_in(client, world.member)
    response = post(client, "/settings/account/delete", {"password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Your account is deleted." in text(client.get("/"))
    assert not is_logged_in(client)

    former = db.session.get(User, world.member.id)
    assert former.public_name == FORMER_MEMBER
    assert former.display_name == FORMER_MEMBER
    assert former.email != email and accounts.find_by_email(email) is None
    assert former.memberships == [] and former.slots == [] and former.skills == []
    assert communities.member_count(world.home) == 2
    assert not can_log_in(app, email, PASSWORD)

    # The address is free again, for a new account.
    assert post(app.test_client(), "/register", {**REGISTRATION, "email": email}).status_code == 303


@pytest.mark.parametrize(
    "password, status, message",
    [
        ("not my password at all", 422, "That isn&#39;t your current password."),
        ("", 422, "Please enter your password."),
    ],
)
def test_a_wrong_password_deletes_nothing(client, world, password, status, message):
    log_in(client, world.member)
    response = post(client, "/settings/account/delete", {"password": password})
    assert response.status_code == status
    assert message in text(response)
    assert is_logged_in(client)
    assert world.member.display_name == "Mia Member"
    assert communities.communities_of(world.member) == [world.home]


def test_the_last_coordinator_cannot_delete_their_account(client, app, world):
    log_in(client, world.coordinator)
    response = post(client, "/settings/account/delete", {"password": PASSWORD})
    assert response.status_code == 409
    assert "You are the last coordinator of Northside" in text(response)
    assert is_logged_in(client)
    coordinator = db.session.get(User, world.coordinator.id)
    assert coordinator.deleted_at is None
    assert coordinator.display_name == "Cora Coordinator"
    assert [u.id for u in communities.coordinators(world.home)] == [coordinator.id]
    assert communities.member_count(world.home) == 3
    assert can_log_in(app, coordinator.email, PASSWORD)


def test_a_coordinator_with_no_one_to_leave_behind_can_delete(client, world, make_community):
    lonely = make_community(world.stranger, "Lonely Lane")
    log_in(client, world.stranger)
    response = post(client, "/settings/account/delete", {"password": PASSWORD})
    assert response.status_code == 303
    assert world.stranger.deleted_at is not None
    assert communities.member_count(lonely) == 0


def test_deleting_over_htmx_redirects_the_whole_page(client, world):
    log_in(client, world.other_member)
    response = post(client, "/settings/account/delete", {"password": PASSWORD}, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/"
    assert world.other_member.public_name == FORMER_MEMBER
