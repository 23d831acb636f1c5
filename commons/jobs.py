"""Background jobs: work that should not hold up a request (emailing a whole community,
importing a spreadsheet), run after the change that asked for it is saved.

    from commons import jobs

    @jobs.job("announcements.email")
    def email_announcement(announcement_id: int) -> None: ...

    jobs.enqueue("announcements.email", announcement_id=7)

A job is a function registered under a name, called with JSON-able keyword arguments inside an
app context of its own (so a database session of its own). `enqueue` inside a transaction
queues the job when that transaction commits and drops it if it rolls back, like
`mail.send_after_commit`: a change that did not happen must not set work going. Outside a
transaction the job is queued at once. An unknown name, or arguments JSON cannot carry, are
refused with ValueError when enqueued, so a typo fails in the tests rather than in the worker.

`JOBS_BACKEND` says where jobs run:
- `inline` (tests): in the same process, right after the commit, before `commit()` returns, so a
  test sees the job's effect with no waiting; a failing job raises in the caller.
- `thread` (development): one daemon worker thread per process, fed by a `queue.Queue`.
- `redis` (production): a JSON message `{name, kwargs, enqueued_at, attempts}` is RPUSHed to the
  list `<JOBS_REDIS_PREFIX>:queue` at `JOBS_REDIS_URL` (the `REDIS_URL` environment variable);
  `flask jobs work` takes them off with BLPOP and runs them; `--once` runs what is queued and
  exits (tests, cron).

A failing job is logged with its name and tried again, up to `JOBS_MAX_RETRIES` more times
(thread and redis); then it is given up, and on Redis kept in `<prefix>:failed` for a person to
look at (`flask jobs retry-failed` queues those again).

Jobs may run more than once: a retry after a failure half-way, a worker stopped mid-job, the
same job enqueued twice. Write every job so that running it again does no harm: record what
was done (a notification's `emailed_at`, an import row's state) and skip what is done already.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import AppGroup
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from .extensions import db

logger = logging.getLogger("commons.jobs")

JobFunction = Callable[..., None]
Message = dict[str, Any]

_REGISTRY: dict[str, JobFunction] = {}
_PENDING = "commons.jobs.pending"  # enqueued in the open transaction
_COMMITTED = "commons.jobs.committed"  # its transaction committed: dispatched as it ends
_ROLLED_BACK = "commons.jobs.rolled_back"  # its transaction rolled back: dropped quietly
BACKENDS = ("inline", "thread", "redis")


# --- registering and enqueueing --------------------------------------------------------------


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register the decorated function as the job `name` (unique: "feature.what")."""

    def register(function: JobFunction) -> JobFunction:
        known = _REGISTRY.get(name)
        if known is not None and _qualified(known) != _qualified(function):
            raise ValueError(f"Two jobs are called {name!r}: {_qualified(known)} and the new one.")
        _REGISTRY[name] = function
        return function

    return register


def _qualified(function: JobFunction) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def registered() -> list[str]:
    return sorted(_REGISTRY)


def enqueue(name: str, **kwargs: Any) -> None:
    """Queue the job `name` with `kwargs` once the current transaction commits (never, if it
    rolls back); outside a transaction, at once. Raises ValueError for an unknown job or
    arguments that are not JSON."""
    if name not in _REGISTRY:
        raise ValueError(f"There is no job called {name!r}. Known jobs: {', '.join(registered())}.")
    try:
        # The round trip is what every backend's worker sees: a tuple arrives as a list.
        kwargs = json.loads(json.dumps(kwargs))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The arguments of job {name!r} must be JSON: {exc}") from exc
    message: Message = {
        "name": name,
        "kwargs": kwargs,
        "enqueued_at": datetime.now(UTC).isoformat(),
        "attempts": 0,
    }
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(_PENDING, []).append(message)
    else:
        _dispatch(current_app._get_current_object(), [message])  # type: ignore[attr-defined]


def _on_commit(session: Session) -> None:
    # A savepoint's release also calls this; only the outermost commit counts.
    if session.in_nested_transaction():
        return
    committed = session.info.pop(_PENDING, [])
    if committed:
        session.info.setdefault(_COMMITTED, []).extend(committed)


def _on_rollback(session: Session) -> None:
    session.info[_ROLLED_BACK] = True


def _on_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Dispatch what the transaction committed, once it is over and its connection released;
    drop what it enqueued but did not commit (a rollback, or a session closed first)."""
    if transaction.parent is not None:
        return
    dropped = session.info.pop(_PENDING, [])
    if dropped and not session.info.pop(_ROLLED_BACK, False):
        # Not a refused change: a read transaction closed (end of request) without a commit.
        # Enqueue inside `with write_transaction():`.
        logger.warning(
            "jobs dropped: enqueued in a transaction that ended without a commit: %s",
            [m["name"] for m in dropped],
        )
    session.info.pop(_ROLLED_BACK, None)
    committed = session.info.pop(_COMMITTED, [])
    if committed and not has_app_context():
        logger.error("jobs committed outside an app context, not queued: %s", committed)
    elif committed:
        _dispatch(current_app._get_current_object(), committed)  # type: ignore[attr-defined]


if not event.contains(db.session, "after_commit", _on_commit):
    event.listen(db.session, "after_commit", _on_commit)
    event.listen(db.session, "after_rollback", _on_rollback)
    event.listen(db.session, "after_transaction_end", _on_transaction_end)


def _dispatch(app: Flask, messages: list[Message]) -> None:
    backend = app.config.get("JOBS_BACKEND", "inline")
    if backend == "inline":
        for message in messages:
            run(app, message)  # a failure raises in the caller: tests see it
    elif backend == "thread":
        for message in messages:
            _thread_queue().put((app, message))
    elif backend == "redis":
        try:
            client = _redis(app)
            client.rpush(_key(app, "queue"), *(json.dumps(m) for m in messages))
        except Exception:
            # The change is saved; Redis being down must not turn it into an error page.
            for message in messages:
                logger.exception(
                    "could not queue job %s",
                    message["name"],
                    extra={"fields": {"job": message["name"], "kwargs": message["kwargs"]}},
                )
    else:
        raise ValueError(f"JOBS_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}.")


# --- running ---------------------------------------------------------------------------------


def run(app: Flask, message: Message) -> None:
    """Run one job in an app context (and so a database session) of its own."""
    function = _REGISTRY.get(message["name"])
    if function is None:
        raise LookupError(f"There is no job called {message['name']!r} in this process.")
    with app.app_context():
        function(**message["kwargs"])


def _log_failure(message: Message, gives_up: bool) -> None:
    logger.exception(
        "job %s failed (attempt %d)%s",
        message["name"],
        message["attempts"] + 1,
        "; giving up" if gives_up else "; it will be tried again",
        extra={"fields": {"job": message["name"], "kwargs": message["kwargs"]}},
    )


def _max_retries(app: Flask) -> int:
    return int(app.config.get("JOBS_MAX_RETRIES", 3))


# thread: one worker per process, started on first use (after a fork, a new one).
_thread_lock = threading.Lock()
_thread_state: dict[str, Any] = {"pid": None, "queue": None}


def _thread_queue() -> queue.Queue[tuple[Flask, Message]]:
    with _thread_lock:
        if _thread_state["pid"] != os.getpid():
            work_queue: queue.Queue[tuple[Flask, Message]] = queue.Queue()
            worker = threading.Thread(
                target=_thread_worker, args=(work_queue,), name="commons-jobs", daemon=True
            )
            worker.start()
            _thread_state.update(pid=os.getpid(), queue=work_queue)
            # A command that enqueues and exits (flask seed-demo) would otherwise lose its
            # jobs with the daemon thread.
            atexit.register(wait_for_thread_jobs, 30)
        return _thread_state["queue"]


def wait_for_thread_jobs(timeout: float) -> bool:
    """Wait until this process's worker thread has run every job queued so far (retries
    included); False if `timeout` seconds pass first. Nothing queued: True at once."""
    work_queue = _thread_state["queue"] if _thread_state["pid"] == os.getpid() else None
    if work_queue is None:
        return True
    done = threading.Event()
    threading.Thread(target=lambda: (work_queue.join(), done.set()), daemon=True).start()
    return done.wait(timeout)


def _thread_worker(work_queue: queue.Queue[tuple[Flask, Message]]) -> None:
    while True:
        app, message = work_queue.get()
        try:
            run(app, message)
        except Exception:
            gives_up = message["attempts"] >= _max_retries(app)
            _log_failure(message, gives_up)
            if not gives_up:
                work_queue.put((app, {**message, "attempts": message["attempts"] + 1}))
        finally:
            work_queue.task_done()


# redis: a list per prefix, and a worker process (`flask jobs work`).


def _redis(app: Flask):  # type: ignore[no-untyped-def]
    import redis

    url = app.config.get("JOBS_REDIS_URL", "redis://127.0.0.1:6379/0")
    clients = app.extensions.setdefault("commons.jobs.redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url)
    return clients[url]


def _key(app: Flask, name: str) -> str:
    return f"{app.config.get('JOBS_REDIS_PREFIX', 'commons:jobs')}:{name}"


def queue_key(app: Flask) -> str:
    return _key(app, "queue")


def failed_key(app: Flask) -> str:
    return _key(app, "failed")


def process(app: Flask, raw: bytes | str) -> bool:
    """Run one message taken off the Redis queue; a failure is queued again with attempts + 1,
    or, after the last retry, kept in the failed list. True if the job succeeded."""
    client = _redis(app)
    try:
        message = json.loads(raw)
        message.setdefault("attempts", 0)
        if not isinstance(message.get("name"), str) or not isinstance(message.get("kwargs"), dict):
            raise ValueError("a job message needs a name and kwargs")
    except (ValueError, TypeError, AttributeError):
        logger.error("malformed job message: %r", raw)
        client.rpush(failed_key(app), raw)
        return False
    try:
        run(app, message)
    except Exception as exc:
        gives_up = message["attempts"] >= _max_retries(app) or isinstance(exc, LookupError)
        _log_failure(message, gives_up)
        if gives_up:
            failed = {
                **message,
                "failed_at": datetime.now(UTC).isoformat(),
                "error": f"{type(exc).__name__}: {exc}"[:1000],
            }
            client.rpush(failed_key(app), json.dumps(failed))
        else:
            retry = {**message, "attempts": message["attempts"] + 1}
            client.rpush(queue_key(app), json.dumps(retry))
        return False
    return True


def work(
    app: Flask,
    *,
    once: bool = False,
    poll_seconds: int = 5,
    stop: threading.Event | None = None,
) -> tuple[int, int]:
    """The worker loop: take jobs off the Redis queue and run them, until SIGTERM or SIGINT
    (the job under way is finished first) or `stop` is set; with `once`, until the queue is
    empty. Returns how many jobs succeeded and failed."""
    client = _redis(app)
    stopping = stop or threading.Event()
    if not once and threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
    done = failed = 0
    while not stopping.is_set():
        if once:
            raw = client.lpop(queue_key(app))
            if raw is None:
                break
        else:
            item = client.blpop([queue_key(app)], timeout=poll_seconds)
            if item is None:
                continue
            raw = item[1]
        if process(app, raw):
            done += 1
        else:
            failed += 1
    return done, failed


# --- flask jobs ... --------------------------------------------------------------------------

jobs_cli = AppGroup("jobs", help="Background jobs (JOBS_BACKEND=redis).")


@jobs_cli.command("work")
@click.option("--once", is_flag=True, help="Run what is queued now, then exit.")
def work_command(once: bool) -> None:
    """Run queued jobs until stopped. Keep one or more of these running beside the web
    servers when JOBS_BACKEND is redis."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("JOBS_BACKEND") != "redis":
        click.echo(f"Note: JOBS_BACKEND is {app.config.get('JOBS_BACKEND')!r}, not 'redis'.")
    if not once:
        click.echo(f"Working on {queue_key(app)} (jobs: {', '.join(registered())}).")
    done, failed = work(app, once=once)
    click.echo(f"Ran {done} job{'' if done == 1 else 's'}; {failed} failed.")


@jobs_cli.command("retry-failed")
def retry_failed_command() -> None:
    """Queue every job in the failed list again, with its attempts counted afresh."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    client = _redis(app)
    moved = 0
    while (raw := client.lpop(failed_key(app))) is not None:
        try:
            message = json.loads(raw)
            again = {key: message[key] for key in ("name", "kwargs", "enqueued_at")}
        except (ValueError, TypeError, KeyError):
            client.rpush(failed_key(app) + ":malformed", raw)
            continue
        client.rpush(queue_key(app), json.dumps({**again, "attempts": 0}))
        moved += 1
    click.echo(f"Queued {moved} failed job{'' if moved == 1 else 's'} again.")
