"""The 24-hour reminder: both people of a confirmed session are told once, the day before,
whatever the runs of `flask sessions send-reminders` overlap. Time moves with time-machine."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import time_machine

from commons.extensions import db
from commons.mentorship.models import MentorshipSession
from commons.sessions import services as sessions
from tests.sessions.conftest import fresh, notes_for

START = datetime(2030, 1, 10, 18, tzinfo=UTC)


def reminders(user) -> list[str]:
    return [n.text for n in notes_for(user) if n.text.startswith("Reminder")]


def arranged(pair, starts_at=START, confirm=True) -> MentorshipSession:
    session = sessions.propose(pair.mentor, pair.mentorship, starts_at, 60, "The library")
    if confirm:
        sessions.confirm(pair.learner, session)
    return session


def test_both_are_reminded_once_within_the_last_day(pair):
    with time_machine.travel(START - timedelta(days=3), tick=False) as clock:
        session = arranged(pair)
        assert sessions.send_reminders() == 0  # three days ahead: not yet
        clock.move_to(START - timedelta(hours=24, minutes=1))
        assert sessions.send_reminders() == 0
        clock.move_to(START - timedelta(hours=23))
        assert sessions.send_reminders() == 1
        assert sessions.send_reminders() == 0  # already sent
        clock.move_to(START - timedelta(minutes=10))
        assert sessions.send_reminders() == 0
    assert fresh(MentorshipSession, session.id).reminded_at == START - timedelta(hours=23)
    for person, other in ((pair.mentor, "Otto Other"), (pair.learner, "Mia Member")):
        (text,) = reminders(person)
        assert f"guitar with {other}" in text
        assert "Thu 10 Jan 2030, 18:00 (Europe/London)" in text
        assert "The library" in text


def test_each_reminder_is_said_in_the_members_own_zone(pair):
    pair.learner.timezone = "Asia/Tokyo"
    db.session.commit()
    with time_machine.travel(START - timedelta(hours=2), tick=False):
        arranged(pair)
        sessions.send_reminders()
    assert "Fri 11 Jan 2030, 03:00 (Asia/Tokyo)" in reminders(pair.learner)[0]


def test_only_confirmed_sessions_still_ahead_are_reminded(pair):
    with time_machine.travel(START - timedelta(days=2), tick=False) as clock:
        arranged(pair, START, confirm=False)  # never confirmed
        cancelled = arranged(pair, START + timedelta(hours=1))
        sessions.cancel(pair.mentor, cancelled, "Ill")
        arranged(pair, START - timedelta(days=1, hours=1))  # will have started
        clock.move_to(START - timedelta(hours=2))
        assert sessions.send_reminders() == 0
    assert reminders(pair.mentor) == []


def test_a_new_time_brings_a_new_reminder(pair):
    with time_machine.travel(START - timedelta(hours=5), tick=False):
        session = arranged(pair)
        assert sessions.send_reminders() == 1
        sessions.counter(
            pair.learner,
            fresh(MentorshipSession, session.id),
            START + timedelta(hours=2),
            60,
            "Cafe",
        )
        sessions.confirm(pair.mentor, fresh(MentorshipSession, session.id))
        assert sessions.send_reminders() == 1
    assert len(reminders(pair.learner)) == 2


def test_two_runs_at_once_send_each_reminder_once(app, pair):
    with time_machine.travel(START - timedelta(days=3), tick=False):
        for hours in (1, 2, 3, 4, 5):
            arranged(pair, START + timedelta(hours=hours))
    db.session.commit()
    start = Barrier(3, timeout=60)

    def run() -> int:
        with app.app_context():  # a session and connection of its own
            start.wait()
            return sessions.send_reminders()

    # time-machine moves the clock for the whole process, so every thread is 12 hours before.
    with (
        time_machine.travel(START - timedelta(hours=12), tick=False),
        ThreadPoolExecutor(max_workers=3) as pool,
    ):
        counts = list(pool.map(lambda _: run(), range(3)))
    assert sum(counts) == 5
    assert len(reminders(pair.mentor)) == 5 and len(reminders(pair.learner)) == 5


def test_the_command(runner, pair):
    with time_machine.travel(START - timedelta(hours=3), tick=False):
        arranged(pair)
        result = runner.invoke(args=["sessions", "send-reminders"])
        assert result.exit_code == 0, result.output
        assert "Reminded 1 session." in result.output
        result = runner.invoke(args=["sessions", "send-reminders"])
        assert "Reminded 0 sessions." in result.output
