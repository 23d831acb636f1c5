"""Transactions and engine settings shared by every feature's services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

# The largest id an integer column holds on PostgreSQL (SQLite's are wider, not ours).
MAX_ID = 2**31 - 1


def is_possible_id(value: int) -> bool:
    """Whether `value` could be a row's id. A URL or form may carry any number, and the
    database refuses one beyond its integer (a 500); such an id is simply not found."""
    return 0 < value <= MAX_ID


def now_utc() -> datetime:
    """Timezone-aware now; used as a callable column default so it is evaluated per row."""
    return datetime.now(UTC)


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite safe under concurrent requests.

    WAL lets readers run beside a writer, the busy timeout makes writers queue instead of
    failing, and `BEGIN IMMEDIATE` on write transactions takes the write lock up front: a
    deferred transaction that later upgrades to a writer fails at once with "database is
    locked" when another writer committed in between, whatever the timeout.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run a state change as one transaction that holds the write lock from its first statement.

    Whatever read transaction the request had open is ended first (services own every write,
    so nothing is pending there), then a new one begins; it commits when the block ends and
    rolls back if anything in it raises, leaving the old state.
    """
    session = db.session()
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_immediate": True})
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
