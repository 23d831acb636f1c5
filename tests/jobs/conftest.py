"""Jobs the tests enqueue, what they did, and a Redis queue of this test's own."""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask

from commons import jobs
from commons.accounts.models import User
from commons.extensions import db


@dataclass
class Journal:
    """What the test jobs did: their calls, and an event per token to wait on."""

    calls: list[tuple[str, dict]] = field(default_factory=list)
    events: dict[str, threading.Event] = field(default_factory=lambda: defaultdict(threading.Event))
    failures_left: dict[str, int] = field(default_factory=dict)


JOURNAL = Journal()


@jobs.job("tests.record")
def record(token: str, **kwargs: object) -> None:
    JOURNAL.calls.append(("record", {"token": token, **kwargs}))
    JOURNAL.events[token].set()


@jobs.job("tests.read_name")
def read_name(token: str, user_id: int) -> None:
    """Reads the database from the job's own session: sees only what was committed."""
    user = db.session.get(User, user_id)
    JOURNAL.calls.append(("read_name", {"token": token, "name": user.display_name}))


@jobs.job("tests.fail")
def fail(token: str) -> None:
    JOURNAL.calls.append(("fail", {"token": token}))
    raise RuntimeError(f"broken on purpose ({token})")


@jobs.job("tests.flaky")
def flaky(token: str) -> None:
    """Fails as many times as `failures_left[token]` says, then works."""
    JOURNAL.calls.append(("flaky", {"token": token}))
    if JOURNAL.failures_left.get(token, 0) > 0:
        JOURNAL.failures_left[token] -= 1
        raise RuntimeError("not yet")
    JOURNAL.events[token].set()


def calls(token: str) -> list[tuple[str, dict]]:
    return [(name, kwargs) for name, kwargs in JOURNAL.calls if kwargs.get("token") == token]


@pytest.fixture
def token() -> str:
    """A name for this test's calls (the thread worker outlives a test)."""
    return uuid.uuid4().hex


@pytest.fixture
def redis_app(app: Flask) -> Iterator[Flask]:
    """The app queueing on the real Redis at 127.0.0.1:6379, under a key prefix of this test's
    own (removed afterwards)."""
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(
            f"Redis does not answer at 127.0.0.1:6379 ({exc}); the redis backend is untested"
        )
    prefix = f"commons-test:{uuid.uuid4().hex}"
    app.config.update(
        JOBS_BACKEND="redis",
        JOBS_REDIS_URL="redis://127.0.0.1:6379/0",
        JOBS_REDIS_PREFIX=prefix,
    )
    yield app
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()
