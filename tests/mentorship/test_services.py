"""Mentoring rules: who finds whom, asking once, every transition (and the refused ones),
capacity, suggestions best first with reasons, and the member's data."""

from __future__ import annotations

from datetime import time

import pytest

from commons.accounts import services as accounts
from commons.accounts.export import export_member_data
from commons.communities import services as communities
from commons.communities.permissions import NotAllowed
from commons.extensions import db
from commons.links import services as links
from commons.links.models import CommunityLink
from commons.mentorship import permissions
from commons.mentorship import services as mentoring
from commons.mentorship.models import LearningGoal, MentorProfile, Mentorship
from commons.moderation.models import Block
from commons.profiles import services as profiles
from commons.profiles.models import AvailabilitySlot
from tests.conftest import PASSWORD
from tests.mentorship.conftest import (
    active_count,
    ask,
    block,
    fresh,
    link,
    make_mentor,
    notes_for,
    suspend,
)


def found(viewer, **filters) -> list[str]:
    results = mentoring.find_mentors(viewer, mentoring.MentorFilters(**filters))
    return [card.user.display_name for card in results.mentors]


def goal_for(learner, topic="guitar", **options) -> LearningGoal:
    return mentoring.create_goal(learner, mentoring.GoalInput(topic=topic, **options))


# --- mentor profiles ---------------------------------------------------------------------------


def test_becoming_a_mentor_and_changing_the_profile(world):
    profile = make_mentor(world.member, ["Guitar", " jazz  guitar ", "guitar"], capacity=3)
    assert [t.name for t in profile.topics] == ["guitar", "jazz guitar"]
    assert (profile.capacity, profile.active_count, profile.accepting) == (3, 0, True)
    again = make_mentor(world.member, ["Welsh"], capacity=1, online=False, levels=["beginner"])
    assert again.id == profile.id
    assert [t.name for t in again.topics] == ["welsh"]
    assert again.formats == ("in_person",) and again.levels == "beginner"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"topics": []}, "at least one thing"),
        ({"topics": [f"t{n}" for n in range(11)]}, "at most 10"),
        ({"topics": ["x" * 61]}, "under 60"),
        ({"capacity": 0}, "between 1 and 20"),
        ({"capacity": 21}, "between 1 and 20"),
        ({"in_person": False, "online": False}, "in person, online, or both"),
        ({"levels": ["expert"]}, "levels from the list"),
    ],
)
def test_a_mentor_profile_must_make_sense(world, options, message):
    with pytest.raises(mentoring.InvalidInput, match=message):
        make_mentor(world.member, **{"topics": ["guitar"], **options})
    assert mentoring.get_profile(world.member) is None


def test_capacity_cannot_go_below_the_learners_one_has(world, guitar, make_user):
    for learner in (world.member, world.coordinator):
        mentoring.accept(world.other_member, ask(learner, world.other_member))
    with pytest.raises(mentoring.InvalidInput, match="mentoring 2 learners now"):
        make_mentor(world.other_member, capacity=1)
    assert fresh(MentorProfile, guitar.id).capacity == 2
    make_mentor(world.other_member, capacity=2)  # equal is fine


# --- who finds whom ----------------------------------------------------------------------------


def test_a_learner_finds_mentors_of_their_communities_only(world, guitar):
    make_mentor(world.away_member, ["guitar"])
    assert found(world.member) == ["Otto Other"]
    assert found(world.coordinator) == ["Otto Other"]
    assert found(world.away_coordinator) == ["Wes Away"]
    assert found(world.applicant) == []  # a pending membership is not one
    assert found(world.stranger) == []
    assert found(world.other_member) == []  # never themselves
    assert found(world.admin) == ["Otto Other", "Wes Away"]


def test_a_link_that_shares_mentors_lets_them_across(world, guitar):
    make_mentor(world.away_member, ["guitar"])
    link(world, ["offers", "needs"])
    assert found(world.member) == ["Otto Other"]
    db.session.rollback()
    only = db.session.query(CommunityLink).one()
    links.change_scope(world.coordinator, world.home, only, ["offers", "mentors"])
    assert found(world.member) == ["Otto Other", "Wes Away"]
    assert found(world.away_member) == ["Otto Other"]
    links.revoke(world.coordinator, world.home, only)
    assert found(world.member) == ["Otto Other"]


def test_blocked_paused_suspended_and_former_mentors_are_not_found(world, guitar, make_user):
    block(world.member, world.other_member)
    assert found(world.member) == []
    assert found(world.coordinator) == ["Otto Other"]
    make_mentor(world.other_member, accepting=False)
    assert found(world.coordinator) == []
    make_mentor(world.other_member, accepting=True)
    suspend(world.other_member, world.home)
    assert found(world.coordinator) == []


def test_a_former_member_is_not_found(world, guitar):
    communities.leave(world.other_member, world.home)
    assert found(world.member) == []


def test_a_member_suspended_from_a_community_finds_nobody_through_it(world, guitar):
    make_mentor(world.away_member, ["guitar"])
    link(world)
    suspend(world.member, world.home)
    assert found(world.member) == []


def test_filters_topic_language_format_and_free_places(world, guitar, make_user):
    world.other_member.languages = "english, pl"
    make_mentor(world.coordinator, ["Python programming"], online=True, in_person=False, capacity=1)
    world.coordinator.languages = "english"
    db.session.commit()
    assert found(world.member, topic="GUIT") == ["Otto Other"]
    assert found(world.member, topic="python") == ["Cora Coordinator"]
    assert found(world.member, topic="100%_") == []
    assert found(world.member, language="Polish") == ["Otto Other"]
    assert found(world.member, language="English") == ["Cora Coordinator", "Otto Other"]
    assert found(world.member, language="en") == ["Cora Coordinator", "Otto Other"]
    assert found(world.member, format="in_person") == ["Otto Other"]
    assert found(world.member, format="online") == ["Cora Coordinator", "Otto Other"]
    mentoring.accept(world.coordinator, ask(world.other_member, world.coordinator, "python"))
    assert found(world.member, free=True) == ["Otto Other"]


def test_near_me_keeps_mentors_within_a_few_km_nearest_first(world, guitar, make_user):
    centre, edge = sorted(world.home.neighbourhoods, key=lambda n: n.name)
    far = make_user("Fay Far")
    communities.join(far, world.home)
    communities.decide_request(world.coordinator, world.home, far.id, approve=True)
    make_mentor(far, ["guitar"])
    make_mentor(world.coordinator, ["guitar"])
    profiles_by_name = {"Otto Other": edge, "Cora Coordinator": centre}
    for person in (world.other_member, world.coordinator, world.member):
        person.neighbourhood_id = profiles_by_name.get(person.display_name, centre).id
    db.session.commit()
    assert found(world.member) == ["Cora Coordinator", "Fay Far", "Otto Other"]
    assert found(world.member, near=True) == ["Cora Coordinator", "Otto Other"]
    results = mentoring.find_mentors(world.member, mentoring.MentorFilters(near=True))
    assert results.mentors[0].distance_km == pytest.approx(0.0)
    assert 1.0 < results.mentors[1].distance_km < 1.2  # 0.01 degrees of latitude
    world.member.neighbourhood_id = None
    db.session.commit()
    results = mentoring.find_mentors(world.member, mentoring.MentorFilters(near=True))
    assert results.near_unavailable and len(results.mentors) == 3


def test_results_come_a_page_at_a_time(world, make_user):
    for n in range(mentoring.PER_PAGE + 3):
        person = make_user(f"Mentor {n:02d}")
        communities.join(person, world.home)
        communities.decide_request(world.coordinator, world.home, person.id, approve=True)
        make_mentor(person, ["knitting"])
    first = mentoring.find_mentors(world.member, mentoring.MentorFilters())
    second = mentoring.find_mentors(world.member, mentoring.MentorFilters(page=2))
    assert len(first.mentors) == mentoring.PER_PAGE and first.has_next
    assert len(second.mentors) == 3 and not second.has_next


# --- asking ------------------------------------------------------------------------------------


def test_asking_makes_a_pending_request_and_tells_the_mentor(world, guitar):
    mentorship = ask(world.member, world.other_member, "Guitar  chords", "I have a guitar.")
    assert (mentorship.status, mentorship.topic, mentorship.source) == (
        "pending",
        "Guitar chords",
        "request",
    )
    [note] = notes_for(world.other_member)
    assert "Mia Member asks you to mentor them in “Guitar chords”" in note.text
    assert note.link == f"/mentorships/{mentorship.id}"


def test_a_second_live_request_to_the_same_mentor_is_refused(world, guitar):
    first = ask(world.member, world.other_member)
    with pytest.raises(mentoring.AlreadyAsked, match="already have a request or a mentorship"):
        ask(world.member, world.other_member, "ukulele")
    mentoring.accept(world.other_member, first)
    with pytest.raises(mentoring.AlreadyAsked):
        ask(world.member, world.other_member)
    mentoring.complete(world.member, first)
    assert ask(world.member, world.other_member).status == "pending"  # asking again later is fine


def test_the_database_refuses_a_second_live_request_even_past_the_check(world, guitar, monkeypatch):
    ask(world.member, world.other_member)
    monkeypatch.setattr(mentoring, "live_mentorship_between", lambda *_: None)  # as in a race
    with pytest.raises(mentoring.AlreadyAsked):
        ask(world.member, world.other_member)
    db.session.rollback()
    assert db.session.query(Mentorship).count() == 1


@pytest.mark.parametrize(
    ("setup", "error", "message"),
    [
        ("self", mentoring.CannotAsk, "your own mentor"),
        ("paused", mentoring.CannotAsk, "not taking new learners"),
        ("blocked", mentoring.CannotAsk, "can't ask this member"),
        ("stranger", mentoring.MentorNotFound, None),
    ],
)
def test_who_cannot_ask(world, guitar, setup, error, message):
    learner = world.member
    if setup == "self":
        learner = world.other_member
    elif setup == "paused":
        make_mentor(world.other_member, accepting=False)
    elif setup == "blocked":
        block(world.other_member, world.member)
    else:
        learner = world.stranger
    with pytest.raises(error, match=message):
        ask(learner, world.other_member)
    db.session.rollback()
    assert db.session.query(Mentorship).count() == 0


@pytest.mark.parametrize(
    ("topic", "message"), [("", "Please write a topic"), ("x" * 81, "under 80")]
)
def test_a_request_needs_a_topic(world, guitar, topic, message):
    with pytest.raises(mentoring.InvalidInput, match=message):
        ask(world.member, world.other_member, topic)


def test_a_request_may_name_only_ones_own_open_goal(world, guitar):
    mine = goal_for(world.member)
    theirs = goal_for(world.coordinator)
    with pytest.raises(mentoring.InvalidInput, match="not one of your open"):
        mentoring.ask(world.member, guitar, "guitar", goal=theirs)
    made = mentoring.ask(world.member, guitar, "guitar", goal=mine, source="suggestion")
    assert (made.goal_id, made.source) == (mine.id, "suggestion")


# --- transitions -------------------------------------------------------------------------------


def test_accept_takes_a_place_and_tells_the_learner(world, guitar):
    mentorship = mentoring.accept(world.other_member, ask(world.member, world.other_member))
    assert mentorship.status == "active" and mentorship.decided_at is not None
    assert active_count(world.other_member) == 1
    assert "Otto Other accepted your request" in notes_for(world.member)[-1].text


def test_accepting_when_full_is_refused_and_changes_nothing(world, guitar):
    make_mentor(world.other_member, capacity=1)
    mentoring.accept(world.other_member, ask(world.member, world.other_member))
    waiting = ask(world.coordinator, world.other_member)
    with pytest.raises(mentoring.MentorFull, match="Otto Other has no free places right now"):
        mentoring.accept(world.other_member, waiting)
    assert fresh(Mentorship, waiting.id).status == "pending"
    assert active_count(world.other_member) == 1


def test_decline_and_withdraw(world, guitar):
    declined = mentoring.decline(world.other_member, ask(world.member, world.other_member))
    assert declined.status == "declined" and declined.decided_at is not None
    assert "can't mentor you" in notes_for(world.member)[-1].text
    withdrawn = mentoring.withdraw(world.member, ask(world.member, world.other_member))
    assert withdrawn.status == "withdrawn" and withdrawn.ended_by_id == world.member.id
    assert "withdrew their request" in notes_for(world.other_member)[-1].text
    assert active_count(world.other_member) == 0


@pytest.mark.parametrize(("action", "state"), [("complete", "completed"), ("end", "ended")])
@pytest.mark.parametrize("by", ["mentor", "learner"])
def test_either_side_completes_or_ends_and_the_place_comes_back(world, guitar, action, state, by):
    mentorship = mentoring.accept(world.other_member, ask(world.member, world.other_member))
    actor, other = (
        (world.other_member, world.member) if by == "mentor" else (world.member, world.other_member)
    )
    done = mentoring.TRANSITIONS[action](actor, mentorship)
    assert done.status == state and done.ended_by_id == actor.id and done.ended_at is not None
    assert active_count(world.other_member) == 0
    assert notes_for(other)[-1].link == f"/mentorships/{mentorship.id}"
    with pytest.raises(mentoring.StateChanged, match="already"):
        mentoring.TRANSITIONS[action](actor, fresh(Mentorship, mentorship.id))
    assert active_count(world.other_member) == 0


@pytest.mark.parametrize(
    ("action", "who"),
    [
        ("accept", "member"),
        ("decline", "member"),
        ("withdraw", "other_member"),
        ("accept", "admin"),
        ("accept", "coordinator"),
        ("withdraw", "admin"),
    ],
)
def test_only_the_right_side_answers_a_request(world, guitar, action, who):
    mentorship = ask(world.member, world.other_member)
    with pytest.raises(NotAllowed):
        mentoring.TRANSITIONS[action](getattr(world, who), mentorship)
    assert fresh(Mentorship, mentorship.id).status == "pending"


def test_an_admin_may_end_but_not_complete_and_both_sides_are_told(world, guitar):
    mentorship = mentoring.accept(world.other_member, ask(world.member, world.other_member))
    with pytest.raises(NotAllowed):
        mentoring.complete(world.admin, mentorship)
    with pytest.raises(NotAllowed):
        mentoring.end(world.coordinator, mentorship)
    mentoring.end(world.admin, mentorship)
    assert "Root Admin ended" in notes_for(world.member)[-1].text
    assert "Root Admin ended" in notes_for(world.other_member)[-1].text


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("active", "accept"),
        ("active", "decline"),
        ("active", "withdraw"),
        ("pending", "end"),
        ("pending", "complete"),
        ("declined", "accept"),
        ("withdrawn", "accept"),
    ],
)
def test_a_move_from_the_wrong_state_is_refused(world, guitar, state, action):
    mentorship = ask(world.member, world.other_member)
    if state == "active":
        mentoring.accept(world.other_member, mentorship)
    elif state == "declined":
        mentoring.decline(world.other_member, mentorship)
    elif state == "withdrawn":
        mentoring.withdraw(world.member, mentorship)
    actor = world.member if action in ("withdraw", "end", "complete") else world.other_member
    with pytest.raises(mentoring.StateChanged):
        mentoring.TRANSITIONS[action](actor, fresh(Mentorship, mentorship.id))
    assert fresh(Mentorship, mentorship.id).status == state
    assert active_count(world.other_member) == (1 if state == "active" else 0)


def test_accepting_after_a_block_is_refused(world, guitar):
    mentorship = ask(world.member, world.other_member)
    block(world.member, world.other_member)
    with pytest.raises(mentoring.CannotAsk):
        mentoring.accept(world.other_member, mentorship)
    assert active_count(world.other_member) == 0


def test_allowed_actions_follow_the_state_and_the_side(world, guitar):
    mentorship = ask(world.member, world.other_member)
    assert permissions.allowed_actions(world.other_member, mentorship) == ["accept", "decline"]
    assert permissions.allowed_actions(world.member, mentorship) == ["withdraw"]
    assert permissions.allowed_actions(world.admin, mentorship) == []
    assert permissions.allowed_actions(world.coordinator, mentorship) == []
    mentoring.accept(world.other_member, mentorship)
    assert permissions.allowed_actions(world.member, mentorship) == ["end", "complete"]
    assert permissions.allowed_actions(world.admin, mentorship) == ["end"]


# --- goals -------------------------------------------------------------------------------------


def test_goals_are_posted_changed_and_closed_by_their_learner(world):
    goal = goal_for(
        world.member, "  Spanish   conversation ", level="intermediate", format="online"
    )
    assert (goal.topic, goal.level, goal.format, goal.status) == (
        "Spanish conversation",
        "intermediate",
        "online",
        "open",
    )
    with pytest.raises(NotAllowed):
        mentoring.update_goal(world.coordinator, goal, mentoring.GoalInput("knitting"))
    mentoring.update_goal(world.member, goal, mentoring.GoalInput("Spanish", format=None))
    assert fresh(LearningGoal, goal.id).format is None
    mentoring.close_goal(world.member, goal)
    with pytest.raises(mentoring.StateChanged, match="already closed"):
        mentoring.close_goal(world.member, goal)
    with pytest.raises(mentoring.StateChanged):
        mentoring.update_goal(world.member, goal, mentoring.GoalInput("Welsh"))
    with pytest.raises(mentoring.GoalNotFound):
        mentoring.get_goal(world.other_member, goal.id)
    assert mentoring.get_goal(world.admin, goal.id).id == goal.id


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"topic": " "}, "Please write a topic"),
        ({"topic": "x", "level": "expert"}, "level from the list"),
        ({"topic": "x", "format": "carrier pigeon"}, "in person, online, or either"),
        ({"topic": "x", "notes": "n" * 1001}, "under 1000"),
    ],
)
def test_a_goal_must_make_sense(world, data, message):
    with pytest.raises(mentoring.InvalidInput, match=message):
        mentoring.create_goal(world.member, mentoring.GoalInput(**data))


# --- suggestions -------------------------------------------------------------------------------


def test_suggestions_best_first_with_reasons_and_never_unlinked(world, guitar, make_user):
    link(world)
    make_mentor(world.coordinator, ["jazz guitar"], levels=["advanced"])
    make_mentor(world.away_member, ["guitar"], levels=["beginner"])
    make_mentor(world.away_coordinator, ["knitting"])
    world.member.languages = "english"
    world.away_member.languages = "English"
    db.session.commit()
    goal = goal_for(world.member, "guitar")
    [suggested] = mentoring.suggestions_for(world.member, [goal]).values()
    names = [s.user.display_name for s in suggested]
    assert names == ["Wes Away", "Otto Other", "Cora Coordinator"]
    assert [s.score for s in suggested] == sorted((s.score for s in suggested), reverse=True)
    wes = suggested[0]
    assert wes.reasons[0] == "teaches guitar"
    assert "works with beginners" in wes.reasons and "speaks English" in wes.reasons
    assert "from a linked community" in wes.reasons
    assert "in your community" in suggested[1].reasons


def test_suggestions_leave_out_full_blocked_asked_and_unlinked_mentors(world, guitar, make_user):
    make_mentor(world.away_member, ["guitar"])  # Southside, not linked
    make_mentor(world.coordinator, ["guitar"], capacity=1)
    make_mentor(world.applicant, ["guitar"])  # not an active member
    goal = goal_for(world.member)

    def names() -> set[str]:
        suggested = mentoring.suggestions_for(world.member, [goal])[goal.id]
        return {s.user.display_name for s in suggested}

    assert names() == {"Otto Other", "Cora Coordinator"}
    mentoring.accept(world.coordinator, ask(world.other_member, world.coordinator))
    assert names() == {"Otto Other"}  # Cora is full
    block(world.other_member, world.member)
    assert names() == set()
    db.session.query(Block).delete()
    db.session.commit()
    ask(world.member, world.other_member)
    assert names() == set()  # already asked Otto


def test_shared_time_and_in_person_distance_shape_the_reasons(world, guitar):
    for person in (world.member, world.other_member):
        profiles.add_slot(person, 0, time(18), time(20))
    goal = goal_for(world.member, "guitar", format="in_person")
    [s] = mentoring.suggestions_for(world.member, [goal])[goal.id]
    assert "free on Monday evenings" in s.reasons
    assert db.session.query(AvailabilitySlot).count() == 2


def test_closed_goals_get_no_suggestions(world, guitar):
    goal = goal_for(world.member)
    mentoring.close_goal(world.member, goal)
    assert mentoring.suggestions_for(world.member, [fresh(LearningGoal, goal.id)]) == {}


def test_the_hub_puts_requests_waiting_for_me_first(world, guitar):
    waiting = ask(world.member, world.other_member)
    make_mentor(world.coordinator, ["welsh"])
    mine = ask(world.other_member, world.coordinator, "welsh")
    hub = mentoring.hub(world.other_member)
    assert [m.id for m in hub.waiting] == [waiting.id]
    assert [m.id for m in hub.as_learner] == [mine.id]
    assert hub.as_mentor == []
    assert hub.profile is not None and hub.profile.user_id == world.other_member.id


# --- personal data -----------------------------------------------------------------------------


def test_export_my_data_has_my_mentoring(world, guitar):
    goal = goal_for(world.member)
    mentoring.ask(world.member, guitar, "guitar", "Private hello", goal=goal)
    mine = export_member_data(world.member)["mentorship"]
    assert mine["mentor_profile"] is None
    assert [g["topic"] for g in mine["learning_goals"]] == ["guitar"]
    assert mine["mentorships"][0]["role"] == "learner"
    assert mine["mentorships"][0]["message"] == "Private hello"
    theirs = export_member_data(world.other_member)["mentorship"]
    assert theirs["mentor_profile"]["topics"] == ["guitar", "ukulele"]
    assert theirs["mentorships"][0]["with"] == "Mia Member"


def test_deleting_an_account_stops_its_mentoring_and_frees_the_place(world, guitar):
    make_mentor(world.member, ["welsh"])
    goal_for(world.member)
    active = mentoring.accept(world.other_member, ask(world.member, world.other_member))
    waiting = ask(world.coordinator, world.member, "welsh")
    accounts.delete_account(world.member, PASSWORD)
    assert fresh(Mentorship, active.id).status == "ended"
    assert fresh(Mentorship, waiting.id).status == "declined"
    assert active_count(world.other_member) == 0
    assert mentoring.get_profile(world.member.id) is None
    assert db.session.query(LearningGoal).count() == 0
