"""A member's sessions as an iCalendar feed (RFC 5545) that calendar apps subscribe to.

Each confirmed or done session is one VEVENT whose UID stays the same for the session's whole
life (`session-<id>@<host>`), so a subscribed app updates its copy rather than adding another;
SEQUENCE, bumped on every change, tells it which copy is newer. Times are written in UTC
("...Z"): every calendar app shows them on its own clock, and nothing depends on the feed and
the app agreeing on time-zone rules across a clock change. A cancelled session leaves the feed,
and apps drop what a published feed no longer holds.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from ..accounts.models import User
from ..database import now_utc
from ..mentorship.models import MentorshipSession
from .services import calendar_sessions, other_person

PRODID = "-//Commons//Mentoring sessions//EN"
REFRESH = timedelta(hours=1)


def host_of(site_url: str) -> str:
    return urlsplit(site_url).hostname or "commons.invalid"


def event_for(session: MentorshipSession, member: User, site_url: str) -> Event:
    mentorship = session.mentorship
    other = other_person(mentorship, member)
    page = f"{site_url.rstrip('/')}/sessions/{session.id}"
    event = Event()
    event.add("uid", f"session-{session.id}@{host_of(site_url)}")
    event.add("dtstamp", now_utc())
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.starts_at + timedelta(minutes=session.duration_minutes))
    event.add("summary", f"Mentoring: {mentorship.topic} with {other.public_name}")
    where = session.place or session.video_url
    if session.place and session.video_url:
        where = f"{session.place} ({session.video_url})"
    event.add("location", where)
    description = [f"On Commons: {page}"]
    if session.video_url:
        description.insert(0, f"Video link: {session.video_url}")
    event.add("description", "\n".join(description))
    event.add("url", session.video_url or page)
    event.add("sequence", session.sequence)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def feed_for(member: User, site_url: str) -> bytes:
    """The member's own confirmed and done sessions, and nobody else's."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Commons: mentoring sessions")
    calendar.add("x-wr-caldesc", f"{member.display_name}'s confirmed mentoring sessions on Commons")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for session in calendar_sessions(member):
        calendar.add_component(event_for(session, member, site_url))
    return calendar.to_ical()
