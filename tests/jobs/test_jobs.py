"""The job queue: a job runs after its transaction commits and never after a rollback, with
each backend (inline in tests, a thread in development, Redis in production); a failing job is
retried and then set aside; mistakes in enqueueing fail at once."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from sqlalchemy import select

from commons import jobs
from commons.accounts.models import User
from commons.database import write_transaction
from commons.extensions import db
from tests.jobs.conftest import JOURNAL, calls

WAIT = 10  # seconds, at most, for another thread; the test goes on as soon as it is done


def rename(user: User, name: str) -> None:
    user.display_name = name


# --- enqueueing --------------------------------------------------------------------------------


def test_an_unknown_job_is_refused_when_enqueued(app):
    with pytest.raises(ValueError, match="no job called 'tests.recrod'"):
        jobs.enqueue("tests.recrod", token="x")


def test_arguments_must_be_json(app, token):
    with pytest.raises(ValueError, match="must be JSON"):
        jobs.enqueue("tests.record", token=token, when=object())
    with write_transaction():
        jobs.enqueue("tests.record", token=token, pair=(1, 2))
    # What the job receives is what a worker in another process would: JSON.
    assert calls(token) == [("record", {"token": token, "pair": [1, 2]})]


def test_two_jobs_cannot_share_a_name(app):
    def other(token: str) -> None: ...

    with pytest.raises(ValueError, match="Two jobs are called 'tests.record'"):
        jobs.job("tests.record")(other)


# --- inline (tests) ----------------------------------------------------------------------------


def test_inline_runs_right_after_the_commit_and_sees_it(app, world, token):
    with write_transaction():
        rename(world.member, "Mia Renamed")
        jobs.enqueue("tests.read_name", token=token, user_id=world.member.id)
        assert calls(token) == []  # not while the change is unsaved
    assert calls(token) == [("read_name", {"token": token, "name": "Mia Renamed"})]


def test_inline_never_runs_after_a_rollback(app, world, token):
    with pytest.raises(RuntimeError), write_transaction():
        rename(world.member, "Mia Renamed")
        jobs.enqueue("tests.record", token=token)
        raise RuntimeError("the change is refused")
    assert calls(token) == []
    # The next transaction that commits does not pick it up either.
    with write_transaction():
        rename(world.member, "Mia Again")
    assert calls(token) == []
    db.session.rollback()
    assert db.session.get(User, world.member.id).display_name == "Mia Again"


def test_a_transaction_closed_without_commit_drops_its_jobs_loudly(app, world, token, caplog):
    db.session.scalar(select(User.id))  # a read transaction, as a view has
    jobs.enqueue("tests.record", token=token)
    with caplog.at_level(logging.WARNING, "commons.jobs"):
        db.session.close()  # the end of a request
    assert "jobs dropped" in caplog.text and "tests.record" in caplog.text
    with write_transaction():
        rename(world.member, "Mia Renamed")
    assert calls(token) == []


def test_a_rollback_drops_its_jobs_quietly(app, token, caplog):
    with (
        caplog.at_level(logging.WARNING, "commons.jobs"),
        pytest.raises(RuntimeError),
        write_transaction(),
    ):
        jobs.enqueue("tests.record", token=token)
        raise RuntimeError("refused")
    assert "jobs dropped" not in caplog.text


def test_outside_a_transaction_a_job_is_queued_at_once(app, token):
    db.session.commit()
    assert not db.session().in_transaction()
    jobs.enqueue("tests.record", token=token, n=1)
    assert calls(token) == [("record", {"token": token, "n": 1})]


def test_each_job_enqueued_runs_once_in_order(app, token):
    with write_transaction():
        for n in range(3):
            jobs.enqueue("tests.record", token=token, n=n)
    assert [kwargs["n"] for _, kwargs in calls(token)] == [0, 1, 2]


def test_inline_a_failing_job_raises_in_the_caller_and_the_change_stays(app, world, token):
    with pytest.raises(RuntimeError, match="broken on purpose"), write_transaction():
        rename(world.member, "Mia Renamed")
        jobs.enqueue("tests.fail", token=token)
    assert len(calls(token)) == 1
    db.session.rollback()
    assert db.session.get(User, world.member.id).display_name == "Mia Renamed"


# --- thread (development) ----------------------------------------------------------------------


def test_thread_runs_the_job_in_the_background(app, token):
    app.config["JOBS_BACKEND"] = "thread"
    with write_transaction():
        jobs.enqueue("tests.record", token=token)
    assert JOURNAL.events[token].wait(WAIT), "the worker thread did not run the job"
    assert calls(token) == [("record", {"token": token})]


def test_thread_never_runs_after_a_rollback(app, token):
    app.config["JOBS_BACKEND"] = "thread"
    with pytest.raises(RuntimeError), write_transaction():
        jobs.enqueue("tests.record", token=token)
        raise RuntimeError("refused")
    witness = f"{token}-witness"
    with write_transaction():
        jobs.enqueue("tests.record", token=witness)
    # One worker, in order: once the job queued after it has run, the dropped one never will.
    assert JOURNAL.events[witness].wait(WAIT)
    assert calls(token) == []


def test_thread_retries_a_failing_job(app, token, caplog):
    app.config["JOBS_BACKEND"] = "thread"
    JOURNAL.failures_left[token] = 2
    with caplog.at_level(logging.ERROR, "commons.jobs"), write_transaction():
        jobs.enqueue("tests.flaky", token=token)
    assert JOURNAL.events[token].wait(WAIT), "the job was not retried until it worked"
    assert len(calls(token)) == 3


# --- redis (production) ------------------------------------------------------------------------


def queued(app) -> list[dict]:
    client = jobs._redis(app)
    return [json.loads(raw) for raw in client.lrange(jobs.queue_key(app), 0, -1)]


def failed(app) -> list[dict]:
    client = jobs._redis(app)
    return [json.loads(raw) for raw in client.lrange(jobs.failed_key(app), 0, -1)]


def test_redis_queues_after_the_commit_and_work_once_runs_it(redis_app, runner, world, token):
    with write_transaction():
        rename(world.member, "Mia Renamed")
        jobs.enqueue("tests.read_name", token=token, user_id=world.member.id)
        assert queued(redis_app) == []
    [message] = queued(redis_app)
    assert message["name"] == "tests.read_name"
    assert message["kwargs"] == {"token": token, "user_id": world.member.id}
    assert message["attempts"] == 0 and message["enqueued_at"]
    assert calls(token) == []  # queued, not run: that is the worker's

    result = runner.invoke(args=["jobs", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "Ran 1 job; 0 failed." in result.output
    assert calls(token) == [("read_name", {"token": token, "name": "Mia Renamed"})]
    assert queued(redis_app) == [] and failed(redis_app) == []


def test_redis_queues_nothing_after_a_rollback(redis_app, token):
    with pytest.raises(RuntimeError), write_transaction():
        jobs.enqueue("tests.record", token=token)
        raise RuntimeError("refused")
    assert queued(redis_app) == []


def test_redis_retries_a_failing_job_then_sets_it_aside(redis_app, runner, token, caplog):
    with write_transaction():
        jobs.enqueue("tests.fail", token=token)
    with caplog.at_level(logging.ERROR, "commons.jobs"):
        result = runner.invoke(args=["jobs", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert len(calls(token)) == 1 + 3  # the first try and three retries
    assert "Ran 0 jobs; 4 failed." in result.output
    assert queued(redis_app) == []
    [gave_up] = failed(redis_app)
    assert gave_up["name"] == "tests.fail" and gave_up["kwargs"] == {"token": token}
    assert gave_up["attempts"] == 3
    assert "broken on purpose" in gave_up["error"]
    failures = [r for r in caplog.records if r.name == "commons.jobs"]
    assert len(failures) == 4
    assert all("job tests.fail failed" in r.getMessage() for r in failures)
    assert "giving up" in failures[-1].getMessage()

    # A person can send the failed ones round again, counted afresh.
    result = runner.invoke(args=["jobs", "retry-failed"])
    assert "Queued 1 failed job again." in result.output
    [again] = queued(redis_app)
    assert again["attempts"] == 0 and failed(redis_app) == []


def test_redis_a_job_that_fails_once_is_retried_and_works(redis_app, runner, token):
    JOURNAL.failures_left[token] = 1
    with write_transaction():
        jobs.enqueue("tests.flaky", token=token)
    result = runner.invoke(args=["jobs", "work", "--once"])
    assert "Ran 1 job; 1 failed." in result.output
    assert len(calls(token)) == 2 and JOURNAL.events[token].is_set()
    assert failed(redis_app) == []


def test_redis_a_message_of_no_known_job_is_set_aside(redis_app, runner):
    client = jobs._redis(redis_app)
    client.rpush(jobs.queue_key(redis_app), json.dumps({"name": "gone.job", "kwargs": {}}))
    client.rpush(jobs.queue_key(redis_app), b"not json")
    result = runner.invoke(args=["jobs", "work", "--once"])
    assert "Ran 0 jobs; 2 failed." in result.output
    assert len(client.lrange(jobs.failed_key(redis_app), 0, -1)) == 2


def test_redis_the_worker_waits_for_jobs_until_stopped(redis_app, token):
    stop = threading.Event()
    results: list[tuple[int, int]] = []
    worker = threading.Thread(
        target=lambda: results.append(jobs.work(redis_app, poll_seconds=1, stop=stop))
    )
    worker.start()
    try:
        with write_transaction():
            jobs.enqueue("tests.record", token=token)
        assert JOURNAL.events[token].wait(WAIT), "the worker did not take the job"
    finally:
        stop.set()
        worker.join(WAIT)
    assert not worker.is_alive()
    assert results == [(1, 0)]
