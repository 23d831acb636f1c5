"""The mentoring hub costs a fixed number of SQL statements however many mentors it finds,
mentorships it lists on either side, and goals it suggests mentors for (no N+1 queries)."""

from __future__ import annotations

from commons.communities import services as communities
from commons.mentorship import services as mentoring
from tests.conftest import log_in, text
from tests.mentorship.conftest import ask, make_mentor
from tests.posts.test_queries import counted_statements


def grow(world, make_user, start: int, stop: int) -> None:
    """Neighbours `start`..`stop` in Northside: each mentors guitar and something of their own,
    and Mia asks each (half of them accept); each asks Mia for Welsh in turn (half accepted);
    Mia posts a goal for each."""
    if mentoring.get_profile(world.member) is None:
        make_mentor(world.member, ("welsh",), capacity=20)
    for n in range(start, stop):
        person = make_user(f"Neighbour {n}")
        communities.join(person, world.home)
        communities.decide_request(world.coordinator, world.home, person.id, approve=True)
        make_mentor(person, ("guitar", f"topic {n}"), capacity=3, levels=("beginner",))
        theirs = ask(world.member, person, "guitar")
        mine = ask(person, world.member, "welsh")
        if n % 2:
            mentoring.accept(person, theirs)
            mentoring.accept(world.member, mine)
        mentoring.create_goal(world.member, mentoring.GoalInput(f"topic {n}"))


def statements_for(client, url: str) -> int:
    with counted_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, text(response)[:300]
    return len(statements)


def test_the_hub_costs_the_same_for_two_mentors_or_ten(client, world, make_user):
    log_in(client, world.member)
    grow(world, make_user, 0, 2)
    few = {url: statements_for(client, url) for url in ("/mentorship", "/mentorship?topic=guitar")}
    grow(world, make_user, 2, 10)
    page = text(client.get("/mentorship?topic=guitar"))
    assert "Neighbour 9" in page and "Neighbour 0" in page
    many = {url: statements_for(client, url) for url in few}
    assert many == few


def test_suggestions_cost_the_same_for_two_candidate_mentors_or_ten(client, world, make_user):
    """Mia's goals have mentors to suggest (none asked yet): the candidates, their topics,
    slots, exchanges and communities, and the profiles shown are each one statement."""
    log_in(client, world.member)
    for topic in ("guitar", "jazz guitar lessons", "welsh"):
        mentoring.create_goal(world.member, mentoring.GoalInput(topic))

    def neighbours(start: int, stop: int) -> None:
        for n in range(start, stop):
            person = make_user(f"Neighbour {n}")
            communities.join(person, world.home)
            communities.decide_request(world.coordinator, world.home, person.id, approve=True)
            make_mentor(person, ("guitar", f"topic {n}"), capacity=3, levels=("beginner",))

    neighbours(0, 2)
    few = statements_for(client, "/mentorship")
    neighbours(2, 10)
    page = text(client.get("/mentorship"))
    assert "Mentors who could help" in page and "Neighbour 9" in page
    assert statements_for(client, "/mentorship") == few
