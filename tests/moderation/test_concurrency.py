"""Two coordinators handling one report at the same instant, with real threads: one wins, the
other is told it was handled, and the log holds one line.

Why `_take` is a conditional UPDATE and not "read the status, check it is open, write". With
the read-check-write version both requests read `open` before either commits (PostgreSQL,
READ COMMITTED), both act and both write a line in the log: the post hidden and the report
dismissed at once, with two contradicting outcomes recorded. `UPDATE reports ... WHERE id =
:id AND status = 'open'` makes the second request wait for the first's row lock, re-check the
committed row and update nothing, which the service turns into AlreadyHandled.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from flask import Flask

from commons.accounts.models import User
from commons.communities.models import Community
from commons.extensions import db
from commons.moderation import queue
from commons.moderation.models import Report
from commons.posts.models import Post
from tests.moderation.conftest import audit_lines, fresh, membership_status


def race(app: Flask, attempts: list[tuple[int, str]], report_id: int, community_id: int):
    """Each (coordinator id, action) in a thread of its own, all released at once."""
    start = Barrier(len(attempts), timeout=60)

    def attempt(who_and_what: tuple[int, str]) -> str:
        actor_id, action = who_and_what
        with app.app_context():
            actor = db.session.get(User, actor_id)
            community = db.session.get(Community, community_id)
            report = db.session.get(Report, report_id)
            db.session.commit()  # end the read transaction: the race starts clean
            start.wait()
            try:
                queue.act(actor, community, report, action, f"{action} by {actor_id}")
            except queue.AlreadyHandled:
                return "already handled"
            finally:
                db.session.remove()
            return action

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(attempt, attempts))


@pytest.mark.parametrize(
    "first, second",
    [("hide_post", "dismiss"), ("suspend", "warn"), ("dismiss", "dismiss")],
)
def test_two_coordinators_acting_on_one_report_at_once(
    app, world, ladder, post_report, second_coordinator, first, second
):
    results = race(
        app,
        [(world.coordinator.id, first), (second_coordinator.id, second)],
        post_report.id,
        world.home.id,
    )
    assert Counter(result == "already handled" for result in results) == {True: 1, False: 1}
    [winner] = [result for result in results if result != "already handled"]

    report = fresh(Report, post_report.id)
    assert report.outcome == winner
    [line] = audit_lines()
    assert (line.action, line.report_id) == (winner, post_report.id)
    assert line.actor_id == report.resolved_by_id
    # Only the winner's action happened.
    assert (fresh(Post, ladder.id).hidden_at is not None) == (winner == "hide_post")
    expected = "suspended" if winner == "suspend" else "active"
    assert membership_status(world.home, world.member) == expected


def test_many_coordinators_at_once_still_make_one_decision(
    app, world, ladder, post_report, second_coordinator
):
    attempts = [(world.coordinator.id, "hide_post"), (second_coordinator.id, "dismiss")] * 3
    attempts += [(world.admin.id, "warn")] * 2
    results = race(app, attempts, post_report.id, world.home.id)
    assert Counter(result == "already handled" for result in results) == {True: 7, False: 1}
    assert len(audit_lines()) == 1
