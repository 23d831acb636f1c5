"""Configuration classes. This is the only module that reads the environment."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'commons.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead: a tab left open overnight still works
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_ADDRESS = "20 per 15 minutes"
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    POST_LIMIT = "20 per hour"  # new offers and needs, per member
    CLAIM_LIMIT = "30 per hour"  # answers to posts, per member
    MESSAGE_LIMIT = "60 per 10 minutes"  # messages in claim threads, per member
    ANNOUNCEMENT_LIMIT = "5 per day"  # coordinators' notices to a whole community, per member
    PASSWORD_RESET_MAX_AGE = 60 * 60
    MAIL_BACKEND = "log"  # log | memory | smtp
    # Spreadsheet imports: stored under random names here, never served back.
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads"))
    IMPORT_MAX_BYTES = 5 * 1024 * 1024  # the import form only; every other form keeps 2 MB
    IMPORT_INLINE_ROWS = 500  # larger files are checked and imported by a background job
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000")  # for links in emails
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Commons <no-reply@commons.local>")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # Background jobs (commons/jobs.py): inline | thread | redis.
    JOBS_BACKEND = "thread"  # one worker thread per process: `make run` needs no server
    JOBS_REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    JOBS_REDIS_PREFIX = os.environ.get("JOBS_REDIS_PREFIX", "commons:jobs")
    JOBS_MAX_RETRIES = 3  # a failing job runs at most 1 + 3 times, then is set aside


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MAIL_BACKEND = "memory"
    LOG_LEVEL = "WARNING"
    JOBS_BACKEND = "inline"  # right after the commit, in the test's own process


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "redis")  # run `flask jobs work` beside the web

    def __init__(self) -> None:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(f"Refusing to start in production without {', '.join(missing)} set.")
        self.SECRET_KEY = os.environ["SECRET_KEY"]
        self.SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
        self.RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load(name: str | None = None) -> Config:
    """Pick the configuration named by the argument or by COMMONS_ENV (default development)."""
    name = name or os.environ.get("COMMONS_ENV", "development")
    return CONFIGS[name]()
