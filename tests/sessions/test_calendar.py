"""The calendar feed: a valid iCalendar (parsed back with `icalendar`) that calendar apps can
subscribe to, with only the member's own confirmed and done sessions, at a secret address
that a new link revokes; and the member's sessions and notes in "export my data"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from commons.accounts import services as accounts
from commons.accounts.export import export_member_data
from commons.extensions import db
from commons.mentorship.models import CalendarFeed, MentorshipSession
from commons.sessions import services as sessions
from tests.conftest import PASSWORD, log_in
from tests.sessions.conftest import (
    confirmed,
    fresh,
    make_mentorship,
    notes_for,
    proposed,
    soon,
    started,
)


def feed_of(client, user):
    """The member's feed as a calendar app fetches it: no login, just the secret address."""
    token = sessions.calendar_feed(user).token
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200, response.status_code
    return response, Calendar.from_ical(response.data)


def events(calendar: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_is_a_calendar_apps_can_subscribe_to(app, client, pair):
    session = confirmed(pair, starts_at=soon(3, 18), duration=90, place="The library")
    response, calendar = feed_of(client, pair.mentor)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response.headers["Cache-Control"]
    assert response.data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in response.data.split(b"\r\n"))  # folded lines
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//Commons//")
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"])
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1H"
    host = app.config["SITE_URL"].split("://", 1)[1].split(":")[0].split("/")[0]
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"session-{session.id}@{host}"
    assert event.decoded("DTSTART") == soon(3, 18)
    assert event.decoded("DTEND") == soon(3, 18) + timedelta(minutes=90)
    assert event["DTSTART"].to_ical().endswith(b"Z")  # UTC, whatever the app's zone
    assert event.decoded("DTSTAMP").utcoffset() == timedelta(0)
    assert str(event["SUMMARY"]) == "Mentoring: guitar with Otto Other"
    assert str(event["LOCATION"]) == "The library"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 1
    _, learners = feed_of(client, pair.learner)
    assert str(learners.walk("VEVENT")[0]["SUMMARY"]) == "Mentoring: guitar with Mia Member"


def test_an_event_keeps_its_uid_and_its_sequence_grows(client, pair):
    session = confirmed(pair, place="", video_url="https://meet.example.org/g")
    _, before = feed_of(client, pair.mentor)
    sessions.counter(
        pair.learner,
        fresh(MentorshipSession, session.id),
        soon(5),
        60,
        "",
        "https://meet.example.org/g",
    )
    _, moved = feed_of(client, pair.mentor)
    assert events(moved) == {}  # waiting for confirmation again: not in the calendar
    sessions.confirm(pair.mentor, fresh(MentorshipSession, session.id))
    _, after = feed_of(client, pair.mentor)
    (uid,) = events(before)
    assert list(events(after)) == [uid]
    old, new = events(before)[uid], events(after)[uid]
    assert new.decoded("SEQUENCE") > old.decoded("SEQUENCE")
    assert new.decoded("DTSTART") == soon(5)
    assert str(new["LOCATION"]) == "https://meet.example.org/g"
    assert str(new["URL"]) == "https://meet.example.org/g"


def test_only_the_members_own_confirmed_and_done_sessions(client, world, pair):
    kept = confirmed(pair, starts_at=soon(2))
    done = confirmed(pair, starts_at=soon(3))
    started(done)
    sessions.mark_done(pair.mentor, fresh(MentorshipSession, done.id))
    proposed(pair, starts_at=soon(4))  # not agreed: not in the calendar
    gone = confirmed(pair, starts_at=soon(5))
    sessions.cancel(pair.mentor, gone, "Away")
    others = make_mentorship(world.coordinator, world.applicant, topic="Secret topic")
    theirs = sessions.propose(world.applicant, others, soon(2), 60, "Their place")
    sessions.confirm(world.coordinator, theirs)
    _, mine = feed_of(client, pair.mentor)
    assert {str(e["UID"]).split("@")[0] for e in mine.walk("VEVENT")} == {
        f"session-{kept.id}",
        f"session-{done.id}",
    }
    assert b"Secret topic" not in mine.to_ical() and b"Their place" not in mine.to_ical()
    _, cora = feed_of(client, world.coordinator)
    assert [str(e["SUMMARY"]) for e in cora.walk("VEVENT")] == [
        "Mentoring: Secret topic with Ada Applicant"
    ]
    _, empty = feed_of(client, world.stranger)
    assert empty.walk("VEVENT") == []


@pytest.mark.parametrize(
    "token", ["nope", "x" * 43, "x" * 100, "%00", "a%00" + "b" * 42, "..%2F..%2Fetc"]
)
def test_an_unknown_address_is_not_found(client, pair, token):
    confirmed(pair)
    sessions.calendar_feed(pair.mentor)
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_new_link_stops_the_old_one_at_once(client, pair):
    confirmed(pair)
    old = sessions.calendar_feed(pair.mentor).token
    new = sessions.renew_calendar_link(pair.mentor).token
    assert new != old and len(new) >= 43
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    assert db.session.get(CalendarFeed, pair.learner.id) is None  # made on first visit only


def test_a_logged_in_member_gets_only_what_the_address_holds(client, world, pair):
    confirmed(pair)
    log_in(client, world.stranger)
    response = client.get(f"/calendar/{sessions.calendar_feed(world.stranger).token}.ics")
    assert b"guitar" not in response.data


# --- personal data -----------------------------------------------------------------------------


def test_export_has_the_sessions_and_only_my_own_notes(pair):
    session = confirmed(pair, place="Hall")
    sessions.save_note(pair.mentor, session, "Mine")
    sessions.save_note(pair.learner, session, "Otto's")
    (row,) = export_member_data(pair.mentor)["mentoring_sessions"]
    assert row["topic"] == "guitar" and row["role"] == "mentor" and row["with"] == "Otto Other"
    assert row["starts_at"] == session.starts_at.isoformat() and row["state"] == "confirmed"
    assert row["my_note"] == "Mine"
    assert "Otto's" not in str(export_member_data(pair.mentor))
    assert export_member_data(pair.learner)["mentoring_sessions"][0]["role"] == "learner"


def test_closing_an_account_takes_its_link_and_notes_and_calls_off_its_sessions(client, pair):
    session = confirmed(pair)
    sessions.save_note(pair.learner, session, "Private")
    token = sessions.calendar_feed(pair.learner).token
    accounts.delete_account(pair.learner, PASSWORD)
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert sessions.note_of(pair.learner, session) is None
    row = fresh(MentorshipSession, session.id)
    assert row.state == "cancelled" and row.cancel_reason == "The account was closed."
    assert "account was closed" in notes_for(pair.mentor)[-1].text
