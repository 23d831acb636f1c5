"""Production keeps login limits in Redis, shared by every worker. (Required settings and
Secure cookies are tested in tests/accounts/test_security.py.)"""

from __future__ import annotations

import pytest
import redis

import config
from commons import create_app
from commons.extensions import db, limiter
from tests.conftest import csrf_token

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def production_env(monkeypatch, schema):
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("DATABASE_URL", schema)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("MAIL_BACKEND", "log")


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_login_limits_are_shared_by_every_worker_through_redis(production_env, app, make_user):
    user = make_user()
    workers = [create_app("production"), create_app("production")]
    assert config.load("production").RATELIMIT_STORAGE_URI == REDIS_URL
    limiter.reset()
    try:
        statuses = []
        for attempt in range(6):
            client = workers[attempt % 2].test_client()
            token = csrf_token(client)
            response = client.post(
                "/login", data={"csrf_token": token, "email": user.email, "password": "wrong!!!!!!"}
            )
            statuses.append(response.status_code)
        assert statuses == [422] * 5 + [429]
        # The counts live in Redis, where every gunicorn worker (and host) reads them.
        assert redis.Redis.from_url(REDIS_URL).keys("LIMITS:*login-account*")
    finally:
        limiter.reset()
        for worker in workers:
            with worker.app_context():
                db.engine.dispose()
