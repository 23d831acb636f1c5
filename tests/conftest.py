"""Shared fixtures: an app on a real database (SQLite file, or PostgreSQL when
TEST_DATABASE_URL names a server), clients, and members in every role."""

from __future__ import annotations

import contextvars
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url

import config
from commons import create_app
from commons.accounts import services as accounts
from commons.accounts.models import User
from commons.communities import services as communities
from commons.communities.models import Community
from commons.extensions import db, limiter

PASSWORD = "correct horse battery"
HX = {"HX-Request": "true"}


class IsolatedClient(FlaskClient):
    """Each request runs in an app context of its own, as in production.

    The `app` fixture keeps one app context open for the whole test, and Flask reuses a pushed
    context for requests: without this, every request would share its `g` (Flask-Login's cached
    user, the CSRF token) and its database session with the test and with other clients, so a
    visitor could be served as a member logged in by another client, and a change a view forgot
    to commit would look saved.
    """

    def open(self, *args, **kwargs):
        in_test_context = has_app_context()
        if in_test_context:
            db.session.commit()  # the request sees what the test set up
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if in_test_context:
            db.session.commit()  # end the test's read transaction: see what the request saved
        return response


def _postgres_database(server_url: str) -> Iterator[str]:
    """A database of this run's own on the server, dropped afterwards."""
    admin_url = make_url(server_url).set(database="postgres")
    name = f"commons_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sql(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("TEST_DATABASE_URL")
    if server:
        yield from _postgres_database(server)
    else:
        path: Path = tmp_path_factory.mktemp("db") / "commons.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """Argon2 with its cheapest parameters: the same algorithm and code path, ~100x faster."""
    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    accounts._hasher = original


class TestConfig(config.TestingConfig):
    pass


@pytest.fixture(scope="session")
def schema(database_url: str) -> str:
    """Build the schema once per run with the migrations, as production does (they also make
    the full-text index the models cannot describe); each test empties the tables after itself."""
    app = _make_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _make_app(database_url: str, **overrides: object) -> Flask:
    settings = TestConfig()
    settings.SQLALCHEMY_DATABASE_URI = database_url
    for key, value in overrides.items():
        setattr(settings, key, value)
    return create_app(settings)


@pytest.fixture
def app(schema: str) -> Iterator[Flask]:
    app = _make_app(schema)
    app.test_client_class = IsolatedClient
    with app.app_context():
        limiter.reset()
        yield app
        limiter.reset()
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, page: str = "/login") -> str:
    """The CSRF token of this client's session, read from a page as a browser would."""
    response = client.get(page)
    match = CSRF_PATTERN.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def post(client: FlaskClient, url: str, data: dict | None = None, **kwargs):
    """POST a form with this session's CSRF token, like the page's own form would."""
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


def text(response) -> str:
    return response.get_data(as_text=True)


def assert_status(response, expected: int | str) -> None:
    """`expected` is a status code, or "login" for a redirect to the login page."""
    if expected == "login":
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/login"
    else:
        assert response.status_code == expected, text(response)[:300]


def act_as(client: FlaskClient, world: World, role: str) -> User | None:
    """Log `client` in as the world's person in `role`; a visitor stays anonymous."""
    if role == "visitor":
        return None
    user = getattr(world, role)
    log_in(client, user)
    return user


def log_in(client: FlaskClient, user: User, password: str = PASSWORD, remember: bool = False):
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    response = post(client, "/login", data)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def make_user(app: Flask):
    counter = iter(range(1, 10_000))

    def make(
        name: str | None = None,
        *,
        email: str | None = None,
        password: str = PASSWORD,
        admin: bool = False,
    ) -> User:
        n = next(counter)
        user = accounts.register(email or f"person{n}@example.org", name or f"Person {n}", password)
        if admin:
            user.is_admin = True
            db.session.commit()
        return user

    return make


@pytest.fixture
def make_community(app: Flask):
    def make(
        coordinator: User,
        name: str,
        *,
        join_policy: str = "open",
        lat: float = 51.47,
        lon: float = -2.59,
    ) -> Community:
        return communities.create_community(
            coordinator,
            name=name,
            description=f"The {name} community.",
            join_policy=join_policy,
            centre_lat=lat,
            centre_lon=lon,
            radius_km=2,
            neighbourhoods=[
                communities.NeighbourhoodInput(f"{name} Centre", lat, lon),
                communities.NeighbourhoodInput(f"{name} Edge", lat + 0.01, lon),
            ],
        )

    return make


@dataclass
class World:
    """Two communities and a person in every role the permission tests ask about."""

    home: Community
    away: Community
    coordinator: User
    member: User
    other_member: User
    away_coordinator: User
    away_member: User
    admin: User
    applicant: User
    stranger: User


# Every role of `World`, for permission tests that walk them all (`act_as` logs each in).
ROLES = [
    "visitor",
    "member",
    "other_member",
    "applicant",
    "away_member",
    "away_coordinator",
    "stranger",
    "coordinator",
    "admin",
]


@pytest.fixture
def world(make_user, make_community) -> World:
    coordinator = make_user("Cora Coordinator")
    away_coordinator = make_user("Axel Away")
    home = make_community(coordinator, "Northside", join_policy="approval")
    away = make_community(away_coordinator, "Southside", lat=51.40, lon=-2.60)
    member, other_member, applicant = (
        make_user("Mia Member"),
        make_user("Otto Other"),
        make_user("Ada Applicant"),
    )
    away_member, stranger, admin = (
        make_user("Wes Away"),
        make_user("Sid Stranger"),
        make_user("Root Admin", admin=True),
    )
    for person in (member, other_member):
        communities.join(person, home)
        communities.decide_request(coordinator, home, person.id, approve=True)
    communities.join(applicant, home)  # stays pending
    communities.join(away_member, away)
    return World(
        home,
        away,
        coordinator,
        member,
        other_member,
        away_coordinator,
        away_member,
        admin,
        applicant,
        stranger,
    )
