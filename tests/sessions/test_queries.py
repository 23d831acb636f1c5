"""The calendar page and a mentorship's sessions panel cost a fixed number of SQL statements
however many sessions (and people) they show (no N+1 queries)."""

from __future__ import annotations

from commons.communities import services as communities
from commons.mentorship import services as mentoring
from commons.mentorship.models import Mentorship
from commons.sessions import services as sessions
from tests.conftest import log_in, text
from tests.posts.test_queries import counted_statements
from tests.sessions.conftest import make_mentorship, soon


def grow(world, make_user, start: int, stop: int) -> None:
    """Mia learns from a new mentor for each n, with a session agreed n days ahead, and a
    second session proposed with Otto, her own learner."""
    otto = otto_with(world)
    for n in range(start, stop):
        mentor = make_user(f"Mentor {n}")
        communities.join(mentor, world.home)
        communities.decide_request(world.coordinator, world.home, mentor.id, approve=True)
        mentorship = make_mentorship(mentor, world.member, topic=f"topic {n}")
        session = sessions.propose(mentor, mentorship, soon(days=1 + n), 60, "The library")
        sessions.confirm(world.member, session)
        sessions.propose(world.member, otto, soon(days=1 + n, hour=10), 60, "The park")


def otto_with(world) -> Mentorship:
    """Mia mentors Otto (one live mentorship a pair)."""
    found = mentoring.live_mentorship_between(world.member.id, world.other_member.id)
    return found or make_mentorship(world.member, world.other_member, topic="welsh")


def statements_for(client, url: str) -> int:
    with counted_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, text(response)[:300]
    return len(statements)


def test_the_calendar_page_costs_the_same_for_one_session_or_many(client, world, make_user):
    log_in(client, world.member)
    grow(world, make_user, 0, 1)
    client.get("/calendar")  # the calendar link is made on the first visit
    few = statements_for(client, "/calendar")
    grow(world, make_user, 1, 5)
    page = text(client.get("/calendar"))
    assert "with Mentor 4" in page and "with Otto Other" in page
    assert statements_for(client, "/calendar") == few


def test_a_mentorships_sessions_cost_the_same_for_one_or_many(client, world, make_user):
    log_in(client, world.member)
    grow(world, make_user, 0, 1)
    otto = otto_with(world)
    few = statements_for(client, f"/mentorships/{otto.id}")
    for n in range(3, 9):
        sessions.propose(world.member, otto, soon(days=n), 60, "The park")
    assert statements_for(client, f"/mentorships/{otto.id}") == few
