"""Times are stored in UTC and shown on each member's clock, across a clock change: a member in
London proposes 18:00 before and after the October change; the database holds 17:00Z and
18:00Z, the page says 18:00 both times, the calendar feed carries the same instants, and a
member in New York sees the same sessions on their own clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import select

from commons.extensions import db
from commons.mentorship.models import MentorshipSession
from commons.sessions import services as sessions
from tests.conftest import log_in, post, text

NOW = datetime(2030, 10, 1, 9, tzinfo=UTC)
BEFORE, AFTER = "2030-10-21", "2030-11-04"  # London leaves summer time on 27 October 2030


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def test_stored_in_utc_shown_on_the_members_clock_across_the_change(clock, client, world, pair):
    pair.mentor.timezone = "Europe/London"
    pair.learner.timezone = "America/New_York"
    db.session.commit()
    log_in(client, world.member)
    for day in (BEFORE, AFTER):
        response = post(
            client,
            f"/mentorships/{pair.mentorship.id}/sessions/new",
            {"when": "other", "day": day, "at": "18:00", "duration": "60", "place": "Hall"},
        )
        assert response.status_code == 303, text(response)[:500]
    before, after = db.session.scalars(
        select(MentorshipSession).order_by(MentorshipSession.starts_at)
    )
    assert before.starts_at == datetime(2030, 10, 21, 17, tzinfo=UTC)  # BST: 18:00 is 17:00Z
    assert after.starts_at == datetime(2030, 11, 4, 18, tzinfo=UTC)  # GMT: 18:00 is 18:00Z

    for session in (before, after):
        page = text(client.get(f"/sessions/{session.id}"))
        assert ", 18:00</time>–19:00" in page
        assert "(Europe/London time)" in page

    # New York leaves summer time on 3 November: 13:00 EDT, then 13:00 EST.
    log_in(client, world.other_member)
    shown = [text(client.get(f"/sessions/{s.id}")) for s in (before, after)]
    assert "Mon 21 Oct 2030, 13:00</time>–14:00" in shown[0]
    assert "Mon 04 Nov 2030, 13:00</time>–14:00" in shown[1]
    assert all("(America/New_York time)" in page for page in shown)

    for session in (before, after):
        sessions.confirm(pair.learner, db.session.get(MentorshipSession, session.id))
    token = sessions.calendar_feed(pair.learner).token
    calendar = Calendar.from_ical(client.get(f"/calendar/{token}.ics").data)
    starts = sorted(event.decoded("DTSTART") for event in calendar.walk("VEVENT"))
    assert starts == [before.starts_at, after.starts_at]
    assert [s.utcoffset().total_seconds() for s in starts] == [0, 0]


def test_a_counter_proposal_is_read_on_the_counter_proposers_clock(clock, client, world, pair):
    pair.learner.timezone = "America/New_York"
    db.session.commit()
    session = sessions.propose(pair.mentor, pair.mentorship, datetime(2030, 10, 28, 18), 60, "Hall")
    assert session.starts_at == datetime(2030, 10, 28, 18, tzinfo=UTC)  # London on GMT again
    log_in(client, world.other_member)
    response = post(
        client,
        f"/sessions/{session.id}/counter",
        {
            "counter-when": "other",
            "counter-day": "2030-10-28",
            "counter-at": "15:00",
            "counter-duration": "60",
            "counter-place": "Hall",
        },
    )
    assert response.status_code == 303
    db.session.rollback()
    moved = db.session.get(MentorshipSession, session.id)
    assert moved.starts_at == datetime(2030, 10, 28, 19, tzinfo=UTC)  # 15:00 EDT
    log_in(client, world.member)
    assert "Mon 28 Oct 2030, 19:00</time>–20:00" in text(client.get(f"/sessions/{session.id}"))


def test_the_counter_form_starts_from_the_current_time_on_the_viewers_clock(
    clock, client, world, pair
):
    pair.learner.timezone = "Asia/Kolkata"
    db.session.commit()
    session = sessions.propose(pair.mentor, pair.mentorship, datetime(2030, 10, 28, 18), 60, "Hall")
    log_in(client, world.other_member)
    page = text(client.get(f"/sessions/{session.id}"))
    assert 'name="counter-day" type="date" value="2030-10-28"' in page
    assert 'name="counter-at" type="time" value="23:30"' in page
