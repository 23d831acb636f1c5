"""Security properties of accounts and forms: CSRF, methods, sessions, password resets,
redirects, login throttling, mass assignment, error pages and cookies."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

import config
from commons import create_app
from commons.accounts.models import User
from commons.communities.models import Membership
from commons.extensions import db
from commons.mail import outbox
from tests.conftest import PASSWORD, IsolatedClient, _make_app, csrf_token, log_in, post

NEW_PASSWORD = "a brand new passphrase"
SITE_NAV = '<nav aria-label="Main">'


def new_client(app: Flask) -> FlaskClient:
    """Another browser: its own cookies."""
    return app.test_client()


def committed(statement):
    """What the database holds now, not what this test's own session last read."""
    db.session.rollback()
    return db.session.scalar(statement)


def membership(user: User, community) -> Membership | None:
    return committed(
        select(Membership).where(
            Membership.user_id == user.id, Membership.community_id == community.id
        )
    )


def is_logged_in(client: FlaskClient) -> bool:
    status = client.get("/settings/account").status_code
    assert status in (200, 302), status
    return status == 200


def with_cookie(app: Flask, name: str, value: str) -> FlaskClient:
    """A fresh browser that has only this one cookie, as if it had been copied off a device."""
    other = new_client(app)
    other.set_cookie(name, value)
    return other


def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def password_works(app: Flask, email: str, password: str) -> bool:
    """Whether logging in with this password succeeds, tried from a browser of its own."""
    return (
        post(new_client(app), "/login", {"email": email, "password": password}).status_code == 303
    )


def login_attempt(client: FlaskClient, email: str, password: str, **kwargs):
    data = {"csrf_token": csrf_token(client), "email": email, "password": password}
    return client.post("/login", data=data, **kwargs)


def exhaust_login_limit(client: FlaskClient, email: str) -> None:
    for attempt in range(5):
        response = login_attempt(client, email, "not the password")
        assert response.status_code == 422, attempt


# --- CSRF ---------------------------------------------------------------------------------


@pytest.fixture(params=["no token", "another session's token"])
def forged(request, app: Flask) -> dict[str, str]:
    """Form data that a cross-site page could send: no CSRF token, or one of its own."""
    if request.param == "no token":
        return {}
    return {"csrf_token": csrf_token(new_client(app))}


def assert_csrf_refusal(response) -> None:
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form had expired" in page
    assert "Nothing was saved" in page


def logged_in_with_own_token(client: FlaskClient, user: User) -> None:
    log_in(client, user)
    client.get("/settings/account")  # this session now holds a CSRF token of its own


def test_join_without_valid_csrf_token_is_refused(client, world, forged):
    logged_in_with_own_token(client, world.stranger)
    response = client.post(f"/communities/{world.away.slug}/join", data=forged)
    assert_csrf_refusal(response)
    assert membership(world.stranger, world.away) is None


def test_password_change_without_valid_csrf_token_is_refused(app, client, world, forged):
    logged_in_with_own_token(client, world.member)
    email = world.member.email
    data = {**forged, "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = client.post("/settings/account/password", data=data)
    assert_csrf_refusal(response)
    assert is_logged_in(client)
    assert password_works(app, email, PASSWORD)
    assert not password_works(app, email, NEW_PASSWORD)


def test_logout_without_valid_csrf_token_is_refused(client, world, forged):
    logged_in_with_own_token(client, world.member)
    response = client.post("/logout", data=forged)
    assert_csrf_refusal(response)
    assert is_logged_in(client)


def test_account_deletion_without_valid_csrf_token_is_refused(client, world, forged):
    logged_in_with_own_token(client, world.stranger)
    response = client.post("/settings/account/delete", data={**forged, "password": PASSWORD})
    assert_csrf_refusal(response)
    user = committed(select(User).where(User.id == world.stranger.id))
    assert user.deleted_at is None
    assert user.display_name == "Sid Stranger"
    assert is_logged_in(client)


# --- GET never changes anything -------------------------------------------------------------


def assert_method_refusal(response) -> None:
    assert response.status_code == 405
    page = response.get_data(as_text=True)
    assert "That doesn&#39;t work here" in page or "That doesn't work here" in page


def test_get_logout_is_refused(client, world):
    log_in(client, world.member)
    assert_method_refusal(client.get("/logout"))
    assert is_logged_in(client)


def test_get_join_is_refused(client, world):
    log_in(client, world.stranger)
    assert_method_refusal(client.get(f"/communities/{world.away.slug}/join"))
    assert membership(world.stranger, world.away) is None


def test_get_account_delete_is_refused(client, world):
    log_in(client, world.stranger)
    assert_method_refusal(client.get("/settings/account/delete"))
    assert committed(select(User.deleted_at).where(User.id == world.stranger.id)) is None
    assert is_logged_in(client)


def test_get_approve_member_is_refused(client, world):
    log_in(client, world.coordinator)
    url = f"/communities/{world.home.slug}/members/{world.applicant.id}/approve"
    assert_method_refusal(client.get(url))
    assert membership(world.applicant, world.home).status == "pending"


# --- Sessions -----------------------------------------------------------------------------


def test_logging_in_starts_a_new_session(client, make_user):
    user = make_user()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone who handed you this cookie"
    before = client.get_cookie("session").value

    log_in(client, user)

    assert client.get_cookie("session").value != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].split(":")[0] == str(user.id)


def test_session_cookie_from_before_logout_no_longer_works(app, client, make_user):
    log_in(client, make_user())
    copied = client.get_cookie("session").value
    assert is_logged_in(with_cookie(app, "session", copied))  # the copy works until logout

    assert post(client, "/logout").status_code == 303

    assert not is_logged_in(client)
    assert not is_logged_in(with_cookie(app, "session", copied))


def test_remember_me_cookie_from_before_logout_no_longer_works(app, client, make_user):
    log_in(client, make_user(), remember=True)
    copied = client.get_cookie("remember_token").value
    assert is_logged_in(with_cookie(app, "remember_token", copied))

    assert post(client, "/logout").status_code == 303

    assert not is_logged_in(with_cookie(app, "remember_token", copied))


def test_password_change_logs_other_sessions_out(app, client, make_user):
    user = make_user()
    laptop, phone = client, new_client(app)
    log_in(laptop, user)
    log_in(phone, user, remember=True)
    remembered = phone.get_cookie("remember_token").value
    assert is_logged_in(phone)

    response = post(
        laptop,
        "/settings/account/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 303
    assert is_logged_in(laptop)
    assert not is_logged_in(phone)
    assert not is_logged_in(with_cookie(app, "remember_token", remembered))


# --- Password reset -----------------------------------------------------------------------

RESET_LINK = re.compile(r"http://localhost(/password/reset/\S+)")


def request_reset_link(client: FlaskClient, email: str) -> str:
    response = post(client, "/password/forgot", {"email": email})
    assert response.status_code == 200
    (message,) = [m for m in outbox() if m.to == email]
    match = RESET_LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def reset_with(client: FlaskClient, link: str, password: str):
    return client.post(
        link,
        data={"csrf_token": csrf_token(client), "password": password, "confirm": password},
    )


def test_password_reset_link_works_once(app, client, make_user):
    user = make_user()
    email = user.email
    link = request_reset_link(client, email)

    response = reset_with(client, link, NEW_PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert password_works(app, email, NEW_PASSWORD)
    assert not password_works(app, email, PASSWORD)

    again = client.get(link)
    assert again.status_code == 400
    assert "not valid or was already used" in again.get_data(as_text=True)
    replay = client.post(
        link,
        data={"csrf_token": csrf_token(client), "password": "x" * 12, "confirm": "x" * 12},
    )
    assert replay.status_code == 400
    assert password_works(app, email, NEW_PASSWORD)


def test_password_reset_link_expires_after_an_hour(app, client, make_user):
    user = make_user()
    email = user.email
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        link = request_reset_link(client, email)
        traveller.shift(timedelta(minutes=59))
        assert client.get(link).status_code == 200

        traveller.shift(timedelta(minutes=1, seconds=1))
        response = client.get(link)
        assert response.status_code == 400
        assert "This reset link has expired" in response.get_data(as_text=True)
        assert reset_with(client, link, NEW_PASSWORD).status_code == 400

    assert password_works(app, email, PASSWORD)
    assert not password_works(app, email, NEW_PASSWORD)


def _without_tokens(page: str) -> str:
    return re.sub(r"X-CSRFToken&#34;: &#34;[^&]*&#34;|X-CSRFToken\": \"[^\"]*\"", "TOKEN", page)


def test_forgotten_password_page_answers_alike_for_known_and_unknown_emails(client, make_user):
    make_user(email="known@example.org")
    known = post(client, "/password/forgot", {"email": "known@example.org"})
    unknown = post(client, "/password/forgot", {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 200
    known_page = _without_tokens(known.get_data(as_text=True))
    unknown_page = _without_tokens(unknown.get_data(as_text=True))
    assert "known@example.org" in known_page
    assert "nobody@example.org" in unknown_page
    assert known_page.replace("known@example.org", "EMAIL") == unknown_page.replace(
        "nobody@example.org", "EMAIL"
    )
    assert [message.to for message in outbox()] == ["known@example.org"]


# --- Redirects after login ----------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "///evil.example", "https://evil.example", "/\\evil.example"]
    + ["javascript:alert(1)"],
)
def test_login_never_redirects_off_site(client, make_user, target):
    user = make_user()
    response = login_attempt(client, user.email, PASSWORD, query_string={"next": target})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == "/"
    resolved = urlsplit(urljoin("http://localhost/login", location))
    assert (resolved.scheme, resolved.netloc) == ("http", "localhost")


def test_login_follows_a_next_path_on_this_site(client, make_user):
    user = make_user()
    response = login_attempt(client, user.email, PASSWORD, query_string={"next": "/communities"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/communities"


# --- Login throttling ---------------------------------------------------------------------


def test_repeated_failed_logins_for_one_account_get_429(client, make_user):
    user, neighbour = make_user(), make_user()
    exhaust_login_limit(client, user.email)

    response = login_attempt(client, user.email, PASSWORD)  # even the right password now waits
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many tries" in page
    assert SITE_NAV in page
    assert not is_logged_in(client)
    # The limit is per account: someone else logging in from the same address is not held up.
    assert (
        login_attempt(new_client(client.application), neighbour.email, PASSWORD).status_code == 303
    )


def test_login_works_again_after_the_window(client, make_user):
    user = make_user()
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        exhaust_login_limit(client, user.email)
        traveller.shift(timedelta(minutes=14, seconds=50))
        assert login_attempt(client, user.email, PASSWORD).status_code == 429

        traveller.shift(timedelta(seconds=11))
        assert login_attempt(client, user.email, PASSWORD).status_code == 303
        assert is_logged_in(client)  # inside: a cookie signed "in the future" would not load


def test_successful_login_is_not_counted_as_a_failure(client, make_user):
    user = make_user()
    for _ in range(4):
        assert login_attempt(client, user.email, "not the password").status_code == 422
    for _ in range(2):
        assert login_attempt(client, user.email, PASSWORD).status_code == 303

    assert login_attempt(client, user.email, "not the password").status_code == 422
    assert login_attempt(client, user.email, PASSWORD).status_code == 429


# --- Mass assignment ----------------------------------------------------------------------


def test_register_ignores_extra_fields(client):
    response = post(
        client,
        "/register",
        {
            "email": "new@example.org",
            "display_name": "New Person",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "is_admin": "1",
            "role": "coordinator",
            "session_token": "chosen-by-attacker",
            "id": "999",
        },
    )
    assert response.status_code == 303
    user = committed(select(User).where(User.email == "new@example.org"))
    assert user.is_admin is False
    assert user.session_token != "chosen-by-attacker"
    assert user.id != 999
    assert committed(select(func.count(Membership.id)).where(Membership.user_id == user.id)) == 0


def test_profile_form_ignores_extra_fields(client, world):
    member_id, email = world.member.id, world.member.email
    log_in(client, world.member)
    response = post(
        client,
        "/settings/profile",
        {
            "bio": "I fix bikes.",
            "languages": "English",
            "skills_share": "bike repair",
            "skills_learn": "",
            "neighbourhood": "",
            "timezone": "Europe/London",
            "is_admin": "1",
            "role": "coordinator",
            "email": "hijack@example.org",
            "display_name": "Someone Else",
        },
    )
    assert response.status_code == 303
    user = committed(select(User).where(User.id == member_id))
    assert user.bio == "I fix bikes."  # the real fields were saved...
    assert user.is_admin is False  # ...and nothing else
    assert (user.email, user.display_name) == (email, "Mia Member")
    assert membership(user, world.home).role == "member"


# --- Error pages --------------------------------------------------------------------------


@pytest.fixture
def live_app(schema: str) -> Iterator[Flask]:
    """The app as it runs for real: not in testing mode, debug off."""
    app = _make_app(schema, TESTING=False, DEBUG=False)
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        db.engine.dispose()


def test_unexpected_error_shows_plain_500_page_and_logs_its_request_id(live_app, caplog):
    def explode():
        raise RuntimeError("internal detail: hunter2")

    live_app.add_url_rule("/test-only/explode", "explode", explode)
    assert not live_app.debug

    with caplog.at_level(logging.ERROR, logger="commons.errors"):
        response = live_app.test_client().get("/test-only/explode")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page
    assert SITE_NAV in page
    for leak in ("Traceback", "RuntimeError", "hunter2", "explode"):
        assert leak not in page
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) >= 8
    assert f"mention code {request_id}" in page
    (record,) = [r for r in caplog.records if r.name == "commons.errors"]
    assert record.levelno == logging.ERROR
    assert record.fields["request_id"] == request_id
    assert record.fields["path"] == "/test-only/explode"
    assert record.exc_info and record.exc_info[0] is RuntimeError


def assert_error_page(response, status: int, title: str) -> str:
    assert response.status_code == status
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert SITE_NAV in page
    assert 'href="/communities"' in page
    assert f"<h1>{title}</h1>" in page
    return page


def test_403_page_is_in_the_site_style(client, world):
    log_in(client, world.member)
    page = assert_error_page(
        client.get(f"/communities/{world.home.slug}/members"), 403, "You can't do that here"
    )
    assert "Only this community's coordinators can do that." in page


def test_404_page_is_in_the_site_style(client):
    page = assert_error_page(client.get("/no-such-page"), 404, "We couldn't find that page")
    assert "It may have been moved or removed." in page


def test_405_page_is_in_the_site_style(client):
    page = assert_error_page(client.get("/logout"), 405, "That doesn't work here")
    assert "This address can't be used that way." in page


def test_429_page_is_in_the_site_style(client, make_user):
    user = make_user()
    exhaust_login_limit(client, user.email)
    page = assert_error_page(login_attempt(client, user.email, PASSWORD), 429, "Too many tries")
    assert "Please wait a few minutes and try again." in page


# --- Cookies and production settings ------------------------------------------------------


def test_login_cookies_are_httponly_and_samesite_lax(client, make_user):
    cookies = set_cookies(log_in(client, make_user(), remember=True))
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name], cookies[name]
        assert "SameSite=Lax" in cookies[name], cookies[name]


def test_production_cookies_are_secure(schema, make_user, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "production-like-secret")
    monkeypatch.setenv("DATABASE_URL", schema)
    settings = config.ProductionConfig()
    settings.RATELIMIT_STORAGE_URI = "memory://"  # no Redis here; the limiter is not under test
    production = create_app(settings)
    production.test_client_class = IsolatedClient
    try:
        assert production.config["SECRET_KEY"] == "production-like-secret"
        user = make_user()
        browser = production.test_client()
        response = log_in(browser, user, remember=True)
        cookies = set_cookies(response)
        for name in ("session", "remember_token"):
            assert "Secure" in cookies[name], cookies[name]
            assert "HttpOnly" in cookies[name], cookies[name]
            assert "SameSite=Lax" in cookies[name], cookies[name]
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        with production.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_production_config_refuses_to_start_without_settings(monkeypatch, missing):
    monkeypatch.setenv("SECRET_KEY", "production-like-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db.invalid/commons")
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        config.ProductionConfig()
