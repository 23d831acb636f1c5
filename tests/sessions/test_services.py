"""Every move of a session and every refusal: who may, in which state, with what input; what
is stored (UTC, sequence, who proposed) and who is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from commons.claims.models import Thanks
from commons.communities.permissions import NotAllowed
from commons.database import now_utc
from commons.extensions import db
from commons.mentorship.models import MentorshipSession, SessionNote
from commons.moderation.models import Block
from commons.sessions import services as sessions
from tests.sessions.conftest import (
    confirmed,
    fresh,
    make_mentorship,
    notes_for,
    proposed,
    soon,
    started,
)

# --- proposing ---------------------------------------------------------------------------------


def test_either_side_proposes_and_the_other_is_told(pair):
    session = proposed(pair, by=pair.learner, starts_at=soon(4, 10), duration=90)
    row = fresh(MentorshipSession, session.id)
    assert (row.state, row.proposed_by_id, row.duration_minutes) == (
        "proposed",
        pair.learner.id,
        90,
    )
    assert row.starts_at == soon(4, 10)
    assert row.sequence == 0
    told = notes_for(pair.mentor)
    assert len(told) == 1 and told[0].link == f"/sessions/{session.id}"
    assert "proposed a session on guitar" in told[0].text
    assert notes_for(pair.learner) == []


def test_a_naive_time_is_on_the_proposers_own_clock(pair):
    pair.mentor.timezone = "America/New_York"
    db.session.commit()
    day = soon(10).date()
    session = sessions.propose(
        pair.mentor, pair.mentorship, datetime.combine(day, datetime.min.time()), 60, "Park"
    )
    local = session.starts_at.astimezone(sessions.zone_of(pair.mentor))
    assert (local.date(), local.hour, local.minute) == (day, 0, 0)
    assert session.starts_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("who", ["stranger", "admin", "coordinator"])
def test_only_the_two_people_can_propose(pair, world, who):
    with pytest.raises(NotAllowed):
        proposed(pair, by=getattr(world, who))
    assert db.session.scalar(select(MentorshipSession.id)) is None


@pytest.mark.parametrize("status", ["pending", "completed", "declined", "withdrawn", "ended"])
def test_sessions_only_within_an_active_mentorship(world, status):
    mentorship = make_mentorship(world.coordinator, world.member, status=status)
    with pytest.raises(sessions.NotActive):
        sessions.propose(world.member, mentorship, soon(), 60, "Library")


def test_not_between_blocked_people(pair):
    db.session.add(Block(blocker_id=pair.learner.id, blocked_id=pair.mentor.id))
    db.session.commit()
    with pytest.raises(NotAllowed, match="blocked"):
        proposed(pair)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_at": "past"}, "day"),
        ({"starts_at": "far"}, "day"),
        ({"place": "", "video_url": ""}, "place"),
        ({"place": "x" * 201}, "place"),
        ({"duration": 10}, "duration"),
        ({"duration": 500}, "duration"),
        ({"duration": 50}, "duration"),
        ({"duration": True}, "duration"),
        ({"duration": "60"}, "duration"),
        ({"place": "", "video_url": "javascript:alert(1)"}, "video_url"),
        ({"place": "", "video_url": "ftp://files.example.org/x"}, "video_url"),
        ({"place": "", "video_url": "meet.example.org/room"}, "video_url"),
        ({"place": "", "video_url": "https://"}, "video_url"),
        ({"place": "", "video_url": "https://meet.example.org/a room"}, "video_url"),
        ({"place": "", "video_url": "https://m.example.org/" + "a" * 500}, "video_url"),
    ],
)
def test_bad_proposals_are_refused_naming_the_field(pair, changes, field):
    when = {"past": now_utc() - timedelta(hours=1), "far": now_utc() + timedelta(days=400)}
    kwargs = {"starts_at": soon(), "duration": 60, "place": "Library", "video_url": ""}
    kwargs.update(changes)
    kwargs["starts_at"] = when.get(kwargs["starts_at"], kwargs["starts_at"])
    with pytest.raises(sessions.InvalidInput) as refused:
        sessions.propose(
            pair.mentor,
            pair.mentorship,
            kwargs["starts_at"],
            kwargs["duration"],
            kwargs["place"],
            kwargs["video_url"],
        )
    assert refused.value.field == field
    assert db.session.scalar(select(MentorshipSession.id)) is None


@pytest.mark.parametrize("url", ["https://meet.example.org/guitar", "http://10.0.0.2:8080/r?x=1"])
def test_a_web_link_is_enough(pair, url):
    session = proposed(pair, place="", video_url=url)
    assert fresh(MentorshipSession, session.id).video_url == url


@time_machine.travel(datetime(2030, 3, 1, 12, tzinfo=UTC), tick=False)
def test_a_time_the_clocks_skip_is_refused_and_a_doubled_one_is_the_first(pair):
    # London: 01:30 on 31 March 2030 never happens (01:00 -> 02:00); on 27 October it happens
    # twice, and people mean the first (BST, 00:30Z).
    with pytest.raises(sessions.InvalidInput, match="clocks change") as refused:
        sessions.propose(pair.mentor, pair.mentorship, datetime(2030, 3, 31, 1, 30), 60, "Hall")
    assert refused.value.field == "at"
    session = sessions.propose(
        pair.mentor, pair.mentorship, datetime(2030, 10, 27, 1, 30), 60, "Hall"
    )
    assert session.starts_at == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)


# --- confirming --------------------------------------------------------------------------------


def test_the_other_side_confirms_and_the_proposer_is_told(pair):
    session = proposed(pair)
    sessions.confirm(pair.learner, session, seen_sequence=0)
    row = fresh(MentorshipSession, session.id)
    assert row.state == "confirmed" and row.confirmed_at is not None and row.sequence == 1
    assert "confirmed your session on guitar" in notes_for(pair.mentor)[-1].text


def test_the_proposer_cannot_confirm_their_own_time(pair):
    session = proposed(pair)
    with pytest.raises(NotAllowed, match="other side confirms"):
        sessions.confirm(pair.mentor, session)
    assert fresh(MentorshipSession, session.id).state == "proposed"


@pytest.mark.parametrize("who", ["stranger", "admin"])
def test_nobody_else_confirms(pair, world, who):
    session = proposed(pair)
    with pytest.raises(NotAllowed):
        sessions.confirm(getattr(world, who), session)


def test_confirming_twice_is_a_conflict(pair):
    session = confirmed(pair)  # a second tab still shows the "Confirm" button
    with pytest.raises(sessions.StateChanged):
        sessions.confirm(pair.learner, fresh(MentorshipSession, session.id), seen_sequence=0)
    assert fresh(MentorshipSession, session.id).sequence == 1


def test_confirming_a_time_that_changed_since_the_page_was_shown_is_a_conflict(pair):
    session = proposed(pair)
    sessions.counter(pair.learner, session, soon(5), 60, "Cafe")
    sessions.counter(pair.mentor, fresh(MentorshipSession, session.id), soon(6), 60, "Cafe")
    with pytest.raises(sessions.StateChanged, match="changed meanwhile"):
        sessions.confirm(pair.learner, fresh(MentorshipSession, session.id), seen_sequence=1)
    assert fresh(MentorshipSession, session.id).state == "proposed"


def test_a_cancelled_session_cannot_be_confirmed(pair):
    session = proposed(pair)
    sessions.cancel(pair.mentor, session, "Ill")
    with pytest.raises(sessions.StateChanged, match="cancelled"):
        sessions.confirm(pair.learner, fresh(MentorshipSession, session.id))


def test_a_time_that_has_passed_cannot_be_confirmed(pair):
    session = proposed(pair)
    started(session)
    with pytest.raises(sessions.StateChanged, match="time has passed"):
        sessions.confirm(pair.learner, fresh(MentorshipSession, session.id))


def test_when_the_mentorship_ends_nothing_more_is_agreed(pair):
    session = proposed(pair)
    pair.mentorship.status = "ended"
    db.session.commit()
    with pytest.raises(sessions.NotActive):
        sessions.confirm(pair.learner, fresh(MentorshipSession, session.id))
    with pytest.raises(sessions.NotActive):
        sessions.counter(pair.learner, fresh(MentorshipSession, session.id), soon(5), 60, "Cafe")


# --- proposing another time --------------------------------------------------------------------


def test_another_time_goes_on_the_same_row_and_the_proposer_flips(pair):
    session = proposed(pair)
    sessions.counter(pair.learner, session, soon(5, 9), 30, "", "https://meet.example.org/x")
    row = fresh(MentorshipSession, session.id)
    assert db.session.scalar(select(db.func.count()).select_from(MentorshipSession)) == 1
    assert (row.state, row.proposed_by_id, row.sequence) == ("proposed", pair.learner.id, 1)
    assert (row.starts_at, row.duration_minutes) == (soon(5, 9), 30)
    assert (row.place, row.video_url) == ("", "https://meet.example.org/x")
    assert "proposed another time" in notes_for(pair.mentor)[-1].text
    with pytest.raises(NotAllowed):
        sessions.confirm(pair.learner, row)
    sessions.confirm(pair.mentor, row)
    assert fresh(MentorshipSession, session.id).state == "confirmed"


def test_moving_a_confirmed_session_needs_confirming_again(pair):
    session = confirmed(pair)
    session.reminded_at = now_utc()
    db.session.commit()
    sessions.counter(pair.mentor, fresh(MentorshipSession, session.id), soon(7), 60, "Hall")
    row = fresh(MentorshipSession, session.id)
    assert (row.state, row.proposed_by_id, row.confirmed_at, row.reminded_at) == (
        "proposed",
        pair.mentor.id,
        None,
        None,
    )
    assert row.sequence == 2


@pytest.mark.parametrize("state", ["cancelled", "done"])
def test_a_finished_session_gets_no_new_time(pair, state):
    session = confirmed(pair)
    if state == "cancelled":
        sessions.cancel(pair.learner, session, "Away")
    else:
        started(session)
        sessions.mark_done(pair.learner, fresh(MentorshipSession, session.id))
    with pytest.raises(sessions.StateChanged):
        sessions.counter(pair.learner, fresh(MentorshipSession, session.id), soon(5), 60, "Cafe")


def test_another_time_is_checked_like_the_first_and_only_by_the_two(pair, world):
    session = proposed(pair)
    with pytest.raises(sessions.InvalidInput):
        sessions.counter(pair.learner, session, soon(5), 60, "", "javascript:x")
    with pytest.raises(NotAllowed):
        sessions.counter(world.admin, session, soon(5), 60, "Cafe")
    # The proposer may change their own proposal: they stay the proposer.
    sessions.counter(pair.mentor, fresh(MentorshipSession, session.id), soon(5), 60, "Cafe")
    row = fresh(MentorshipSession, session.id)
    assert (row.starts_at, row.proposed_by_id, row.sequence) == (soon(5), pair.mentor.id, 1)


# --- cancelling --------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["proposed", "confirmed"])
@pytest.mark.parametrize("side", ["mentor", "learner"])
def test_either_side_cancels_with_a_reason(pair, state, side):
    session = proposed(pair) if state == "proposed" else confirmed(pair)
    actor = getattr(pair, side)
    other = pair.learner if side == "mentor" else pair.mentor
    sessions.cancel(actor, session, "  My bike broke  ")
    row = fresh(MentorshipSession, session.id)
    assert (row.state, row.cancelled_by_id, row.cancel_reason) == (
        "cancelled",
        actor.id,
        "My bike broke",
    )
    assert row.cancelled_at is not None
    assert "My bike broke" in notes_for(other)[-1].text


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_cancellation_needs_a_short_reason(pair, reason):
    session = proposed(pair)
    with pytest.raises(sessions.InvalidInput):
        sessions.cancel(pair.mentor, session, reason)
    assert fresh(MentorshipSession, session.id).state == "proposed"


def test_done_and_cancelled_sessions_cannot_be_cancelled(pair, world):
    session = confirmed(pair)
    started(session)
    sessions.mark_done(pair.mentor, fresh(MentorshipSession, session.id))
    with pytest.raises(sessions.StateChanged):
        sessions.cancel(pair.learner, fresh(MentorshipSession, session.id), "Oops")
    other = proposed(pair, starts_at=soon(9))
    sessions.cancel(pair.learner, other, "Away")
    with pytest.raises(sessions.StateChanged, match="cancelled"):
        sessions.cancel(pair.mentor, fresh(MentorshipSession, other.id), "Me too")
    with pytest.raises(NotAllowed):
        sessions.cancel(world.admin, fresh(MentorshipSession, other.id), "Admin")


# --- marking done ------------------------------------------------------------------------------


def test_done_only_once_a_confirmed_session_has_started(pair):
    session = confirmed(pair)
    with pytest.raises(sessions.StateChanged, match="once it has started"):
        sessions.mark_done(pair.mentor, session)
    started(session)
    sessions.mark_done(pair.learner, fresh(MentorshipSession, session.id))
    row = fresh(MentorshipSession, session.id)
    assert row.state == "done" and row.done_at is not None and row.sequence == 2
    assert "marked your session on guitar as done" in notes_for(pair.mentor)[-1].text
    with pytest.raises(sessions.StateChanged):
        sessions.mark_done(pair.mentor, row)


def test_an_unconfirmed_session_is_never_done(pair):
    session = proposed(pair)
    started(session)
    with pytest.raises(sessions.StateChanged):
        sessions.mark_done(pair.mentor, fresh(MentorshipSession, session.id))


# --- notes and thanks --------------------------------------------------------------------------


def test_a_note_is_private_to_its_writer(pair, world):
    session = proposed(pair)
    sessions.save_note(pair.mentor, session, "Practise the G chord")
    sessions.save_note(pair.learner, session, "Ask about strings")
    sessions.save_note(pair.mentor, session, "Practise G and C")
    assert sessions.note_of(pair.mentor, session).body == "Practise G and C"
    assert sessions.note_of(pair.learner, session).body == "Ask about strings"
    assert db.session.scalar(select(db.func.count()).select_from(SessionNote)) == 2
    for who in ("stranger", "admin"):
        with pytest.raises(NotAllowed):
            sessions.save_note(getattr(world, who), session, "Peek")
        assert sessions.note_of(getattr(world, who), session) is None
    with pytest.raises(sessions.InvalidInput):
        sessions.save_note(pair.mentor, session, "x" * 5001)
    assert notes_for(pair.learner)[-1].text.startswith("Mia Member proposed")  # notes tell nobody


def test_thanks_after_done_once_each(pair):
    session = confirmed(pair)
    with pytest.raises(sessions.StateChanged, match="once the session is marked as done"):
        sessions.thank(pair.learner, session, "Thanks!")
    started(session)
    session = sessions.mark_done(pair.mentor, fresh(MentorshipSession, session.id))
    with pytest.raises(sessions.InvalidInput):
        sessions.thank(pair.learner, session, "  ")
    sessions.thank(pair.learner, session, "You explained it so well")
    sessions.thank(pair.mentor, session, "Great progress")
    with pytest.raises(sessions.AlreadyThanked):
        sessions.thank(pair.learner, session, "Again")
    rows = db.session.scalars(select(Thanks).order_by(Thanks.id)).all()
    assert [(t.session_id, t.from_id, t.to_id) for t in rows] == [
        (session.id, pair.learner.id, pair.mentor.id),
        (session.id, pair.mentor.id, pair.learner.id),
    ]
    assert "thanked you" in notes_for(pair.mentor)[-1].text


# --- the mentorship page's panel ---------------------------------------------------------------


def test_the_panel_splits_upcoming_and_past_for_the_two_people_only(pair, world):
    later = proposed(pair, starts_at=soon(6))
    sooner = confirmed(pair, starts_at=soon(2))
    gone = proposed(pair, starts_at=soon(8))
    sessions.cancel(pair.mentor, gone, "Clash")
    over = confirmed(pair, starts_at=soon(9))
    started(over, timedelta(hours=2))
    panel = sessions.panel(pair.learner, pair.mentorship)
    assert panel.visible and panel.may_propose
    assert [s.id for s in panel.upcoming] == [sooner.id, later.id]
    assert {s.id for s in panel.past} == {gone.id, over.id}
    admin = sessions.panel(world.admin, pair.mentorship)
    assert admin.visible and not admin.may_propose
    for who in ("stranger", "coordinator"):
        hidden = sessions.panel(getattr(world, who), pair.mentorship)
        assert not hidden.visible and hidden.upcoming == [] and hidden.past == []
