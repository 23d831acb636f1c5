"""When both are free: weekly slots on each member's own clock, made real on actual dates
through UTC, so two zones that change their clocks on different days still line up."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from commons.extensions import db
from commons.sessions import services as sessions
from tests.sessions.conftest import available

MON = 0


def zones(pair, mentor: str, learner: str) -> None:
    pair.mentor.timezone, pair.learner.timezone = mentor, learner
    db.session.commit()


def z(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@time_machine.travel(z(2030, 1, 9, 12), tick=False)  # a Wednesday in winter
def test_windows_meet_across_zones_and_suggest_the_next_three(pair):
    zones(pair, "Europe/London", "America/New_York")
    available(pair.mentor, MON, "18:00", "20:00")  # 18:00-20:00Z in January
    available(pair.learner, MON, "13:00", "14:30")  # 18:00-19:30Z in January
    windows = sessions.shared_windows(pair.mentorship)
    assert [(w.starts_at, w.ends_at) for w in windows] == [
        (z(2030, 1, 14, 18), z(2030, 1, 14, 19, 30))
    ]
    assert sessions.suggest_starts(pair.mentorship, 60) == [
        z(2030, 1, 14, 18),
        z(2030, 1, 21, 18),
        z(2030, 1, 28, 18),
    ]
    assert sessions.suggest_starts(pair.mentorship, 120) == []  # never two hours together


@time_machine.travel(z(2030, 10, 16, 12), tick=False)
def test_windows_follow_each_zones_own_clock_change(pair):
    # London leaves summer time on 27 October 2030, New York on 3 November.
    zones(pair, "Europe/London", "America/New_York")
    available(pair.mentor, MON, "18:00", "20:00")
    available(pair.learner, MON, "13:00", "15:00")
    assert sessions.suggest_starts(pair.mentorship, 60) == [
        z(2030, 10, 21, 17),  # both on summer time: 17:00-19:00Z for both
        z(2030, 10, 28, 18),  # London 18-20Z, New York still 17-19Z: 18-19Z
        z(2030, 11, 4, 18),  # both on winter time: 18-20Z
    ]


@time_machine.travel(z(2030, 1, 9, 12), tick=False)
def test_suggestions_leave_out_sessions_already_arranged_and_give_notice(pair, world):
    available(pair.mentor, MON, "18:00", "21:00")
    available(pair.learner, MON, "18:00", "21:00")
    sessions.propose(pair.learner, pair.mentorship, z(2030, 1, 14, 18), 60, "Hall")
    assert sessions.suggest_starts(pair.mentorship, 60)[0] == z(2030, 1, 14, 19)
    # Wed 9 Jan 12:00Z: a window starting within two hours is suggested from 14:00, on the quarter.
    available(pair.mentor, 2, "11:00", "16:00")
    available(pair.learner, 2, "12:07", "16:00")
    assert sessions.suggest_starts(pair.mentorship, 60)[0] == z(2030, 1, 9, 14)


@time_machine.travel(z(2030, 1, 9, 12, 5), tick=False)
def test_a_window_ending_at_midnight_runs_on_into_the_next_day(pair):
    available(pair.mentor, 2, "22:00", "24:00")
    available(pair.mentor, 3, "00:00", "01:00")
    available(pair.learner, 2, "23:30", "24:00")
    available(pair.learner, 3, "00:00", "00:45")
    windows = sessions.shared_windows(pair.mentorship)
    assert [(w.starts_at, w.ends_at) for w in windows][0] == (
        z(2030, 1, 9, 23, 30),
        z(2030, 1, 10, 0, 45),
    )
    assert sessions.suggest_starts(pair.mentorship, 60)[0] == z(2030, 1, 9, 23, 30)


def test_no_slots_no_windows(pair):
    assert sessions.shared_windows(pair.mentorship) == []
    assert sessions.suggest_starts(pair.mentorship) == []
    assert sessions.shared_windows(pair.mentorship, days=1) == []
