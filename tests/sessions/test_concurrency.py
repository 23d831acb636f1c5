"""Two people acting on one session at the same instant, with real threads: each move is a
conditional UPDATE, so exactly one wins and the other is told what happened (409)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

from flask import Flask

from commons.accounts.models import User
from commons.extensions import db
from commons.mentorship.models import MentorshipSession
from commons.sessions import services as sessions
from tests.sessions.conftest import fresh, proposed, soon


def race(app: Flask, session_id: int, moves: list[tuple[int, Callable[..., Any]]]) -> list[str]:
    """Each move in its own thread and app context, all released together."""
    start = Barrier(len(moves), timeout=60)

    def work(move: tuple[int, Callable[..., Any]]) -> str:
        actor_id, act = move
        with app.app_context():
            actor = db.session.get(User, actor_id)
            session = db.session.get(MentorshipSession, session_id)
            _ = (session.mentorship.mentor, session.mentorship.learner)
            db.session.commit()
            start.wait()
            try:
                act(actor, session)
            except sessions.StateChanged:
                return "409"
            return "ok"

    with ThreadPoolExecutor(max_workers=len(moves)) as pool:
        return list(pool.map(work, moves))


def test_confirm_and_cancel_at_once(app, pair):
    session = proposed(pair)
    results = race(
        app,
        session.id,
        [
            (pair.learner.id, lambda actor, s: sessions.confirm(actor, s, 0)),
            (pair.mentor.id, lambda actor, s: sessions.cancel(actor, s, "Can't make it")),
        ],
    )
    row = fresh(MentorshipSession, session.id)
    assert sorted(results) in (["409", "ok"], ["ok", "ok"])
    if results == ["ok", "ok"]:  # confirmed first, then cancelled: both legitimate, in order
        assert row.state == "cancelled" and row.sequence == 2
    else:
        assert row.state in ("confirmed", "cancelled") and row.sequence == 1


def test_confirm_and_a_new_time_at_once(app, pair):
    """Otto confirms the time he saw while Mia moves it: he never confirms a time he did not see."""
    session = proposed(pair)
    results = race(
        app,
        session.id,
        [
            (pair.learner.id, lambda actor, s: sessions.confirm(actor, s, 0)),
            (
                pair.mentor.id,
                lambda actor, s: sessions.counter(actor, s, soon(9), 60, "Hall", "", 0),
            ),
        ],
    )
    assert sorted(results) == ["409", "ok"]
    row = fresh(MentorshipSession, session.id)
    assert row.sequence == 1
    if row.state == "confirmed":
        assert row.starts_at == soon()
    else:
        assert (row.state, row.starts_at) == ("proposed", soon(9))


def test_both_mark_done_at_once(app, pair):
    session = proposed(pair)
    sessions.confirm(pair.learner, session)
    session = fresh(MentorshipSession, session.id)
    session.starts_at = soon(-1)
    db.session.commit()
    results = race(
        app,
        session.id,
        [(pair.learner.id, sessions.mark_done), (pair.mentor.id, sessions.mark_done)],
    )
    assert sorted(results) == ["409", "ok"]
    assert fresh(MentorshipSession, session.id).sequence == 2
