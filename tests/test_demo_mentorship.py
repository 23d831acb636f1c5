"""The demo neighbourhood comes with mentoring and a skill swap to answer: Dora (a demo login)
learns guitar from Jade, with a session done, thanked and paid for, one agreed in a few days
and one waiting for her to confirm; Eli (the other demo login) has a request to answer; the
learning goals have mentors to suggest; a swap circle waits for Dora; the ledger sums to zero."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from commons import demo
from commons.accounts.models import User
from commons.database import now_utc
from commons.exchanges import services as exchanges
from commons.extensions import db
from commons.mentorship import permissions as mentoring_permissions
from commons.mentorship import services as mentoring
from commons.mentorship.models import LearningGoal, MentorshipSession
from commons.sessions import services as sessions
from commons.timebank import services as timebank
from commons.timebank.models import HourTransfer
from commons.timezones import local
from tests.conftest import log_in, text
from tests.timebank.conftest import all_balances


@pytest.fixture
def seeded(runner) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "dora@demo.commons" in result.output
    assert "eli@demo.commons" in result.output


def member(first: str) -> User:
    return db.session.scalars(select(User).where(User.email == f"{first}@demo.commons")).one()


def free_then(user: User, session: MentorshipSession) -> bool:
    """The whole session falls inside one of the member's weekly windows, on their clock."""
    start = local(session.starts_at, user)
    first = start.hour * 60 + start.minute
    last = first + session.duration_minutes
    return any(
        slot.weekday == start.weekday() and slot.start_minute <= first and last <= slot.end_minute
        for slot in user.slots
    )


def test_dora_learns_guitar_with_sessions_past_and_to_come(seeded) -> None:
    dora, jade = member("dora"), member("jade")
    [mentorship] = mentoring.hub(dora).as_learner
    assert (mentorship.status, mentorship.topic, mentorship.mentor_id) == (
        "active",
        "guitar",
        jade.id,
    )
    assert mentoring.active_count_of(jade.id) == 1
    now = now_utc()
    panel = sessions.panel(dora, mentorship)

    # Last week's session: confirmed, done, thanked both ways, an hour paid for it.
    [past] = panel.past
    assert past.state == "done"
    assert past.starts_at < now - timedelta(days=1)
    assert past.confirmed_at < past.starts_at < past.done_at
    thanks = sessions.thanks_for(past)
    assert {(t.from_id, t.to_id) for t in thanks} == {(dora.id, jade.id), (jade.id, dora.id)}
    [paid] = db.session.scalars(select(HourTransfer).where(HourTransfer.session_id == past.id))
    assert (paid.payer_id, paid.payee_id, paid.minutes, paid.state) == (
        dora.id,
        jade.id,
        60,
        "direct",
    )
    assert "pay" in sessions.view_of(dora, past).actions

    # One agreed in a few days, then one Jade proposed that waits for Dora; both at times
    # the two of them are free.
    agreed, waiting = panel.upcoming
    assert agreed.state == "confirmed" and agreed.confirmed_at is not None
    assert now + timedelta(days=1) < agreed.starts_at < now + timedelta(days=10)
    assert waiting.state == "proposed" and waiting.proposed_by_id == jade.id
    assert waiting.starts_at > agreed.starts_at
    assert "confirm" in sessions.view_of(dora, waiting).actions
    for session in (agreed, waiting):
        assert free_then(dora, session) and free_then(jade, session)
    assert [s.id for s in sessions.upcoming_for(dora)] == [agreed.id, waiting.id]


def test_eli_has_a_request_and_every_goal_a_mentor_to_suggest(seeded) -> None:
    eli, hana = member("eli"), member("hana")
    [request] = mentoring.hub(eli).waiting
    assert (request.status, request.learner_id, request.topic) == ("pending", hana.id, "polish")
    assert "accept" in mentoring_permissions.allowed_actions(eli, request)

    learners = db.session.scalars(
        select(User).join(LearningGoal, LearningGoal.learner_id == User.id).distinct()
    ).all()
    assert len(learners) >= 3
    for learner in learners:
        for view in mentoring.hub(learner).goals:
            assert view.suggestions, f"no mentor suggested for {learner.display_name}"
    mentors = mentoring.find_mentors(member("dora"), mentoring.MentorFilters())
    assert {card.user.display_name.split()[0] for card in mentors.mentors} >= {"George", "Jade"}


def test_a_swap_circle_waits_for_dora_and_the_ledger_balances(seeded, client) -> None:
    dora = member("dora")
    [circle] = exchanges.hub(dora).to_answer
    assert (circle.kind, circle.state, len(circle.lessons)) == ("circle", "proposed", 3)
    answered = {part.user_id: part.accepted_at is not None for part in circle.participants}
    assert answered.pop(dora.id) is False
    assert len(answered) == 2 and all(answered.values())

    balances = all_balances()
    assert sum(balances.values()) == 0
    for user in db.session.scalars(select(User)):
        assert balances[user.id] >= timebank.floor_of(user)

    # What Dora sees when she logs in with the demo password.
    log_in(client, dora, password=demo.DEMO_PASSWORD)
    assert "Jade K.: “guitar”" in text(client.get("/mentorship"))
    assert "Waiting for your answer (1)" in text(client.get("/exchanges"))
