"""The mentoring pages as each role meets them: every route for a visitor, the member, the
other member, coordinators of this and another community, an applicant, a stranger and an
admin; then the behaviour a member notices: filters in the address, suggestions with reasons,
forms kept on a mistake (422), refusals said plainly (409), htmx partials."""

from __future__ import annotations

import json

import pytest
from markupsafe import escape

from commons.communities import services as communities
from commons.extensions import db
from commons.mentorship import services as mentoring
from commons.mentorship.models import LearningGoal, MentorProfile, Mentorship
from tests.conftest import HX, ROLES, act_as, assert_status, log_in, post, text
from tests.mentorship.conftest import active_count, ask, fresh, link, make_mentor, notes_for


def expect(default, **by_role):
    return {role: by_role.get(role, default) for role in ROLES} | {"visitor": "login"}


@pytest.fixture
def scene(world, guitar):
    """Otto mentors guitar; Mia has a goal and a request waiting for Otto's answer."""
    goal = mentoring.create_goal(world.member, mentoring.GoalInput("guitar"))
    request = ask(world.member, world.other_member, "guitar", "Hi Otto, I'm Mia.")
    return goal, request


@pytest.fixture
def tess(world, make_user) -> MentorProfile:
    """Tess mentors welsh in Northside; nobody has asked her yet."""
    person = make_user("Tess Teacher")
    communities.join(person, world.home)
    communities.decide_request(world.coordinator, world.home, person.id, approve=True)
    return make_mentor(person, ["welsh"], capacity=3)


# --- every route, every role -------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_hub_is_every_members_own(client, world, scene, role):
    act_as(client, world, role)
    response = client.get("/mentorship")
    assert_status(response, expect(200)[role])
    if role == "visitor":
        return
    page = text(response)
    assert "Find a mentor" in page
    # Otto's card: for Northside's active members (and admins), never for himself.
    sees_otto = role in ("member", "coordinator", "admin")
    assert ('id="mentor-' + str(world.other_member.id) + '"' in page) == sees_otto
    assert ("Waiting for your answer (1)" in page) == (role == "other_member")
    assert ('href="/mentorships/' in page) == (role in ("member", "other_member"))


@pytest.mark.parametrize("role", ROLES)
def test_anyone_logged_in_may_become_a_mentor(client, world, role):
    me = act_as(client, world, role)
    assert_status(client.get("/mentorship/mentor"), expect(200)[role])
    data = {
        "topics": "bread baking, sourdough",
        "capacity": "2",
        "in_person": "y",
        "accepting": "y",
    }
    response = post(client, "/mentorship/mentor", data)
    assert_status(response, expect(303)[role])
    if me is not None:
        profile = mentoring.get_profile(me.id)
        assert profile is not None and [t.name for t in profile.topics] == [
            "bread baking",
            "sourdough",
        ]
        assert response.headers["Location"] == f"/mentorship/mentors/{me.id}"


@pytest.mark.parametrize("role", ROLES)
def test_anyone_logged_in_may_post_a_goal(client, world, role):
    me = act_as(client, world, role)
    assert_status(client.get("/mentorship/goals/new"), expect(200)[role])
    data = {"topic": "Welsh", "level": "beginner", "format": ""}
    response = post(client, "/mentorship/goals/new", data)
    assert_status(response, expect(303)[role])
    if me is not None:
        assert db.session.query(LearningGoal).filter_by(learner_id=me.id).count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_a_goal_is_its_learners_and_admins(client, world, scene, role):
    goal, _ = scene
    act_as(client, world, role)
    allowed = expect(404, member=200, admin=200)[role]
    assert_status(client.get(f"/mentorship/goals/{goal.id}"), allowed)
    if role == "visitor":
        assert_status(post(client, f"/mentorship/goals/{goal.id}/close"), "login")
        return
    edit = post(
        client, f"/mentorship/goals/{goal.id}", {"topic": "Bass guitar", "level": "advanced"}
    )
    assert_status(edit, 303 if allowed == 200 else 404)
    assert (fresh(LearningGoal, goal.id).topic == "Bass guitar") == (allowed == 200)
    close = post(client, f"/mentorship/goals/{goal.id}/close")
    assert_status(close, 303 if allowed == 200 else 404)
    assert fresh(LearningGoal, goal.id).status == ("closed" if allowed == 200 else "open")


@pytest.mark.parametrize("role", ROLES)
def test_a_mentors_page_is_for_those_who_may_find_them(client, world, scene, role):
    act_as(client, world, role)
    response = client.get(f"/mentorship/mentors/{world.other_member.id}")
    assert_status(
        response, expect(404, member=200, other_member=200, coordinator=200, admin=200)[role]
    )
    if response.status_code == 200:
        page = text(response)
        assert "guitar, ukulele" in page
        assert ("Ask to be mentored" in page) == (role in ("coordinator", "admin"))
        assert ("You already have a request" in page) == (role == "member")


@pytest.mark.parametrize("role", ROLES)
def test_who_may_ask_a_mentor(client, world, tess, role):
    act_as(client, world, role)
    url = f"/mentorship/mentors/{tess.user_id}/requests"
    data = {"topic": "welsh", "message": "Shwmae!"}
    response = post(client, url, data)
    allowed = expect(404, member=303, other_member=303, coordinator=303, admin=303)[role]
    assert_status(response, allowed)
    made = db.session.query(Mentorship).all()
    assert len(made) == (1 if allowed == 303 else 0)
    if made:
        assert response.headers["Location"] == f"/mentorships/{made[0].id}"


def test_a_link_sharing_mentors_opens_the_page_across(client, world, scene):
    link(world)
    log_in(client, world.away_member)
    assert_status(client.get(f"/mentorship/mentors/{world.other_member.id}"), 200)


@pytest.mark.parametrize("role", ROLES)
def test_a_mentorship_is_seen_by_its_two_people_and_admins(client, world, scene, role):
    _, request = scene
    act_as(client, world, role)
    response = client.get(f"/mentorships/{request.id}")
    assert_status(response, expect(404, member=200, other_member=200, admin=200)[role])
    if response.status_code == 200:
        assert "Hi Otto, I&#39;m Mia." in text(response) or "Hi Otto, I'm Mia." in text(response)


PENDING_ACTIONS = {
    "accept": expect(404, member=403, other_member=303, admin=403),
    "decline": expect(404, member=403, other_member=303, admin=403),
    "withdraw": expect(404, member=303, other_member=403, admin=403),
}
ACTIVE_ACTIONS = {
    "end": expect(404, member=303, other_member=303, admin=303),
    "complete": expect(404, member=303, other_member=303, admin=403),
}


@pytest.mark.parametrize("action", PENDING_ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_who_answers_a_request(client, world, scene, role, action):
    _, request = scene
    act_as(client, world, role)
    url = f"/mentorships/{request.id}/{action}"
    response = post(client, url)
    expected = PENDING_ACTIONS[action][role]
    assert_status(response, expected)
    state = {"accept": "active", "decline": "declined", "withdraw": "withdrawn"}[action]
    assert fresh(Mentorship, request.id).status == (state if expected == 303 else "pending")


@pytest.mark.parametrize("action", ACTIVE_ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_who_ends_or_completes_a_mentorship(client, world, scene, role, action):
    _, request = scene
    mentoring.accept(world.other_member, request)
    act_as(client, world, role)
    url = f"/mentorships/{request.id}/{action}"
    response = post(client, url)
    expected = ACTIVE_ACTIONS[action][role]
    assert_status(response, expected)
    state = {"end": "ended", "complete": "completed"}[action]
    assert fresh(Mentorship, request.id).status == (state if expected == 303 else "active")
    assert active_count(world.other_member) == (0 if expected == 303 else 1)


def test_unknown_addresses_are_404(client, world, scene):
    log_in(client, world.admin)
    for url in ("/mentorships/999", "/mentorship/goals/999", "/mentorship/mentors/999"):
        assert_status(client.get(url), 404)
    assert_status(client.get(f"/mentorship/mentors/{world.member.id}"), 404)  # not a mentor
    assert_status(post(client, "/mentorships/999/accept"), 404)
    assert_status(post(client, "/mentorships/1/explode"), 404)


# --- finding mentors ---------------------------------------------------------------------------


def test_filters_live_in_the_address_and_htmx_gets_only_the_results(client, world, scene, tess):
    log_in(client, world.member)
    page = text(client.get("/mentorship?topic=wel"))
    assert 'hx-push-url="true"' in page and 'value="wel"' in page
    assert (
        "Tess Teacher" in page
        and "Otto Other" not in page.split('id="mentor-results"')[1].split("</div>")[0]
    )
    partial = client.get(
        "/mentorship?topic=guitar&format=online", headers={**HX, "HX-Target": "mentor-results"}
    )
    body = text(partial)
    assert body.lstrip().startswith('<div id="mentor-results"')
    assert "Otto Other" in body and "Tess Teacher" not in body
    assert "<html" not in body


@pytest.mark.parametrize(
    "query",
    [
        "format=carrier&free=yes&near=2",
        "page=abc",
        "page=-4",
        "topic=%00%00",
        "language=" + "x" * 500,
    ],
)
def test_odd_filters_are_ignored_not_500(client, world, scene, query):
    log_in(client, world.member)
    assert_status(client.get(f"/mentorship?{query}"), 200)


def test_near_me_without_a_neighbourhood_says_how_to_set_one(client, world, scene):
    log_in(client, world.member)
    page = text(client.get("/mentorship?near=1"))
    assert "choose your neighbourhood on your profile" in page


def test_requests_waiting_for_my_answer_come_first_and_can_be_accepted_there(client, world, scene):
    _, request = scene
    log_in(client, world.other_member)
    page = text(client.get("/mentorship"))
    assert page.index("Waiting for your answer") < page.index("Find a mentor")
    response = post(client, f"/mentorships/{request.id}/accept", {"from": "hub"})
    assert response.headers["Location"] == "/mentorship"
    assert fresh(Mentorship, request.id).status == "active"
    page = text(client.get("/mentorship"))
    assert "Accepted. Mia Member has been told" in page
    assert "Waiting for your answer" not in page


# --- suggestions -------------------------------------------------------------------------------


def test_a_goal_shows_its_suggestions_and_taking_one_up_asks_that_mentor(client, world, tess):
    goal = mentoring.create_goal(world.member, mentoring.GoalInput("Welsh", level="beginner"))
    log_in(client, world.member)
    page = text(client.get(f"/mentorship/goals/{goal.id}"))
    assert "Tess Teacher" in page and "Teaches welsh" in page  # the engine's reasons
    assert "Ask Tess Teacher to mentor you" in page
    response = post(
        client,
        f"/mentorship/mentors/{tess.user_id}/requests",
        {"topic": "Welsh", "goal": str(goal.id), "source": "suggestion"},
    )
    assert_status(response, 303)
    made = db.session.query(Mentorship).one()
    assert (made.source, made.goal_id, made.status) == ("suggestion", goal.id, "pending")
    assert "asks you to mentor them" in notes_for(tess.user)[-1].text
    assert (
        "Tess Teacher"
        not in text(client.get(f"/mentorship/goals/{goal.id}"))
        .split("Suggested mentors")[1]
        .split("Change this goal")[0]
    )


def test_the_hub_lists_each_goal_with_its_suggestions(client, world, tess):
    mentoring.create_goal(world.member, mentoring.GoalInput("welsh"))
    log_in(client, world.member)
    page = text(client.get("/mentorship"))
    assert "Mentors who could help, best first" in page
    assert "has room for 3 more learners" in page.lower()


def test_the_mentor_page_prefills_the_topic_from_my_goal(client, world, tess):
    goal = mentoring.create_goal(world.member, mentoring.GoalInput("Welsh poetry"))
    log_in(client, world.member)
    page = text(client.get(f"/mentorship/mentors/{tess.user_id}?goal={goal.id}&source=suggestion"))
    assert 'value="Welsh poetry"' in page and 'value="suggestion"' in page
    other = mentoring.create_goal(world.coordinator, mentoring.GoalInput("Secret goal"))
    page = text(client.get(f"/mentorship/mentors/{tess.user_id}?goal={other.id}"))
    assert "Secret goal" not in page


def test_asking_with_someone_elses_goal_is_422(client, world, tess):
    other = mentoring.create_goal(world.coordinator, mentoring.GoalInput("welsh"))
    log_in(client, world.member)
    response = post(
        client,
        f"/mentorship/mentors/{tess.user_id}/requests",
        {"topic": "welsh", "goal": str(other.id)},
    )
    assert_status(response, 422)
    assert db.session.query(Mentorship).count() == 0


# --- forms and refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"topics": "", "capacity": "1", "online": "y"}, "at least one thing"),
        ({"topics": "a,b,c,d,e,f,g,h,i,j,k", "capacity": "1", "online": "y"}, "at most 10"),
        ({"topics": "guitar", "capacity": "0", "online": "y"}, "between 1 and 20"),
        ({"topics": "guitar", "capacity": "many", "online": "y"}, "between 1 and 20"),
        ({"topics": "guitar", "capacity": "2"}, "in person, online, or both"),
    ],
)
def test_a_bad_mentor_profile_is_shown_again_with_422(client, world, data, message):
    log_in(client, world.member)
    response = post(client, "/mentorship/mentor", data, headers=HX)
    assert_status(response, 422)
    body = text(response)
    assert message in body and body.lstrip().startswith('<section id="mentor-form"')
    if data["topics"]:
        assert f'value="{data["topics"]}"' in body
    assert mentoring.get_profile(world.member.id) is None


def test_lowering_capacity_below_ones_learners_is_422(client, world, scene):
    _, request = scene
    mentoring.accept(world.other_member, request)
    mentoring.accept(world.other_member, ask(world.coordinator, world.other_member))
    log_in(client, world.other_member)
    response = post(
        client, "/mentorship/mentor", {"topics": "guitar", "capacity": "1", "online": "y"}
    )
    assert_status(response, 422)
    assert "mentoring 2 learners now" in text(response)


def test_the_mentor_form_shows_my_profile(client, world, guitar):
    log_in(client, world.other_member)
    page = text(client.get("/mentorship/mentor"))
    assert 'value="guitar, ukulele"' in page and 'value="2"' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [({"topic": ""}, "Please say what you want to learn"), ({"topic": "x" * 81}, "under 80")],
)
def test_a_bad_goal_is_shown_again_with_422(client, world, data, message):
    log_in(client, world.member)
    response = post(client, "/mentorship/goals/new", {"level": "beginner", **data})
    assert_status(response, 422)
    assert message in text(response)


def test_asking_without_a_topic_is_422_and_keeps_the_message(client, world, tess):
    log_in(client, world.member)
    response = post(
        client,
        f"/mentorship/mentors/{tess.user_id}/requests",
        {"topic": "", "message": "Keep me"},
        headers=HX,
    )
    assert_status(response, 422)
    assert "Keep me" in text(response) and text(response).lstrip().startswith('<section id="ask"')


def test_asking_twice_is_409_and_says_why(client, world, scene):
    log_in(client, world.member)
    response = post(
        client, f"/mentorship/mentors/{world.other_member.id}/requests", {"topic": "guitar"}
    )
    assert_status(response, 409)
    assert "already have a request or a mentorship with Otto Other" in text(response)


def test_asking_oneself_is_422(client, world, guitar):
    log_in(client, world.other_member)
    response = post(
        client, f"/mentorship/mentors/{world.other_member.id}/requests", {"topic": "guitar"}
    )
    assert_status(response, 422)
    assert "your own mentor" in text(response)


def test_accepting_when_full_is_409_and_says_so(client, world, scene):
    _, request = scene
    make_mentor(world.other_member, ["guitar"], capacity=1)
    mentoring.accept(world.other_member, ask(world.coordinator, world.other_member))
    log_in(client, world.other_member)
    response = post(client, f"/mentorships/{request.id}/accept", headers=HX)
    assert_status(response, 409)
    assert "Otto Other has no free places right now" in text(response)
    assert fresh(Mentorship, request.id).status == "pending"


def test_answering_twice_is_409(client, world, scene):
    _, request = scene
    mentoring.decline(world.other_member, request)
    log_in(client, world.other_member)
    response = post(client, f"/mentorships/{request.id}/accept")
    assert_status(response, 409)
    assert "already been declined" in text(response)


def test_an_htmx_action_reloads_the_page(client, world, scene):
    _, request = scene
    log_in(client, world.other_member)
    response = post(client, f"/mentorships/{request.id}/accept", headers=HX)
    assert response.headers["HX-Redirect"] == f"/mentorships/{request.id}"
    page = text(client.get(f"/mentorships/{request.id}"))
    assert '<span id="mentorship-status">active</span>' in page
    assert "Mark as completed" in page and "End the mentorship" in page


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", "<b onmouseover=x>hi</b>"])
def test_what_members_write_is_shown_as_text(client, world, guitar, payload):
    mentoring.create_goal(world.member, mentoring.GoalInput(payload[:80]))
    request = ask(world.member, world.other_member, payload[:80], payload)
    log_in(client, world.other_member)
    page = text(client.get(f"/mentorships/{request.id}"))
    assert payload not in page and str(escape(payload)) in page


def test_a_nul_in_the_message_is_dropped_not_a_500(client, world, tess):
    log_in(client, world.member)
    response = post(
        client,
        f"/mentorship/mentors/{tess.user_id}/requests",
        {"topic": "we\x00lsh", "message": "a\x00b"},
    )
    assert_status(response, 303)
    made = db.session.query(Mentorship).one()
    assert (made.topic, made.message) == ("welsh", "ab")


def test_notifications_lead_to_the_mentorship(client, world, scene):
    _, request = scene
    log_in(client, world.other_member)
    post(client, f"/mentorships/{request.id}/decline")
    [note] = notes_for(world.member)
    assert note.link == f"/mentorships/{request.id}"


def test_export_my_data_includes_my_mentoring(client, world, scene):
    log_in(client, world.member)
    response = client.get("/settings/account/export")
    assert_status(response, 200)
    data = json.loads(text(response))
    assert data["mentorship"]["learning_goals"][0]["topic"] == "guitar"


# --- ids no database holds ---------------------------------------------------------------------

HUGE_IDS = ["2147483648", "9223372036854775808", "99999999999999999999"]


@pytest.mark.parametrize("huge", HUGE_IDS)
@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/mentorship/goals/{}"),
        ("post", "/mentorship/goals/{}"),
        ("post", "/mentorship/goals/{}/close"),
        ("get", "/mentorship/mentors/{}"),
        ("post", "/mentorship/mentors/{}/requests"),
        ("get", "/mentorships/{}"),
        ("post", "/mentorships/{}/accept"),
        ("post", "/mentorships/{}/end"),
    ],
)
def test_an_id_beyond_any_row_is_not_found_not_a_500(client, world, method, url, huge):
    log_in(client, world.admin)
    if method == "get":
        response = client.get(url.format(huge))
    else:
        response = post(client, url.format(huge), {"topic": "guitar"})
    assert_status(response, 404)


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_a_goal_beyond_any_row_is_no_goal(client, world, tess, huge):
    log_in(client, world.member)
    page = client.get(f"/mentorship/mentors/{tess.user_id}?goal={huge}")
    assert_status(page, 200)
    response = post(
        client, f"/mentorship/mentors/{tess.user_id}/requests", {"topic": "welsh", "goal": huge}
    )
    assert_status(response, 422)  # as for any goal that is not one of hers
    assert "not one of your open learning goals" in text(response)
    assert db.session.query(Mentorship).count() == 0
