"""Never more active learners than places, with real threads, on SQLite and PostgreSQL.

A mentor with 3 places and 8 pending requests presses "accept" on all 8 at the same instant
(8 threads, each with its own app context, session and connection). Accepting never reads
`active_count` and writes it back: it runs `UPDATE mentor_profiles SET active_count =
active_count + 1 WHERE ... AND active_count < capacity` in the same transaction as the
mentorship's `pending -> active`, and a rowcount of 0 rolls both back. PostgreSQL re-checks
the WHERE on the newest row after waiting for the other accepts' row lock; SQLite queues
writers (BEGIN IMMEDIATE). Either way exactly 3 go through.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from flask import Flask
from sqlalchemy import func, select

from commons.accounts.models import User
from commons.communities import services as communities
from commons.extensions import db
from commons.mentorship import services as mentoring
from commons.mentorship.models import Mentorship
from tests.mentorship.conftest import active_count, ask, make_mentor

CAPACITY, LEARNERS = 3, 8


def run_together(app: Flask, jobs: list[Callable[[], Callable[[], str]]]) -> list[str]:
    """Each job in a thread of its own with its own app context; all wait at a barrier after
    loading what they need, then act at once."""
    start = Barrier(len(jobs), timeout=60)

    def work(job: Callable[[], Callable[[], str]]) -> str:
        with app.app_context():
            try:
                act = job()
                start.wait()
                return act()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(work, jobs))


def accept_job(mentor_id: int, mentorship_id: int) -> Callable[[], Callable[[], str]]:
    def prepare() -> Callable[[], str]:
        mentor = db.session.get(User, mentor_id)
        mentorship = db.session.get(Mentorship, mentorship_id)
        assert mentor is not None and mentorship is not None
        _ = (mentorship.learner, mentorship.mentor)
        db.session.commit()  # end the read transaction: the race starts clean

        def act() -> str:
            try:
                mentoring.accept(mentor, mentorship)
            except mentoring.MentorFull:
                return "full"
            return "ok"

        return act

    return prepare


@pytest.fixture
def learners(world, make_user) -> list[User]:
    people = []
    for n in range(LEARNERS):
        person = make_user(f"Learner {n}")
        communities.join(person, world.home)
        communities.decide_request(world.coordinator, world.home, person.id, approve=True)
        people.append(person)
    return people


def test_capacity_plus_five_accepted_at_once_leave_exactly_capacity_active(
    app: Flask, world, learners: list[User]
) -> None:
    mentor = world.other_member
    make_mentor(mentor, ["guitar"], capacity=CAPACITY)
    requests = [ask(learner, mentor) for learner in learners]
    assert len(requests) == CAPACITY + 5

    results = run_together(app, [accept_job(mentor.id, m.id) for m in requests])

    assert Counter(results) == {"ok": CAPACITY, "full": LEARNERS - CAPACITY}
    assert active_count(mentor) == CAPACITY
    states = Counter(
        db.session.scalars(select(Mentorship.status).where(Mentorship.mentor_id == mentor.id))
    )
    assert states == {"active": CAPACITY, "pending": LEARNERS - CAPACITY}
    counted = db.session.scalar(
        select(func.count(Mentorship.id)).where(
            Mentorship.mentor_id == mentor.id, Mentorship.status == "active"
        )
    )
    assert counted == active_count(mentor) == CAPACITY


def test_places_freed_at_the_same_instant_as_accepts_are_never_overbooked(
    app: Flask, world, learners: list[User]
) -> None:
    """Two active learners finish while the mentor accepts six more at once: whatever the
    order, the count stays the number of active mentorships and never passes capacity."""
    mentor = world.other_member
    make_mentor(mentor, ["guitar"], capacity=CAPACITY)
    first, second, *rest = [ask(learner, mentor) for learner in learners]
    for m in (first, second):
        mentoring.accept(mentor, m)

    def complete_job(learner_id: int, mentorship_id: int) -> Callable[[], Callable[[], str]]:
        def prepare() -> Callable[[], str]:
            learner = db.session.get(User, learner_id)
            mentorship = db.session.get(Mentorship, mentorship_id)
            _ = (mentorship.learner, mentorship.mentor)
            db.session.commit()
            return lambda: (mentoring.complete(learner, mentorship), "done")[1]

        return prepare

    jobs = [complete_job(m.learner_id, m.id) for m in (first, second)]
    jobs += [accept_job(mentor.id, m.id) for m in rest]
    results = run_together(app, jobs)

    db.session.rollback()
    active = db.session.scalar(
        select(func.count(Mentorship.id)).where(
            Mentorship.mentor_id == mentor.id, Mentorship.status == "active"
        )
    )
    assert results.count("done") == 2
    assert active == active_count(mentor) <= CAPACITY
    assert results.count("ok") == active
