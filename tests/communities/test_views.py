"""Community pages and actions, as each role meets them: who gets the page, who is refused,
and that a refused action leaves the database as it was."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from commons.accounts.models import User
from commons.communities import services as communities
from commons.communities.models import Community, Membership, Neighbourhood
from commons.extensions import db
from tests.conftest import HX, act_as, assert_status, log_in, post, text


def membership(community: Community, user: User) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(
            Membership.community_id == community.id, Membership.user_id == user.id
        )
    )


def state(community: Community, user: User) -> tuple[str, str] | None:
    """(status, role) of `user` in `community`, read from the database; None if no membership."""
    found = membership(community, user)
    return None if found is None else (found.status, found.role)


def community_named(name: str) -> Community | None:
    return db.session.scalar(select(Community).where(Community.name == name))


def neighbourhood_names(community: Community) -> list[str]:
    return sorted(
        db.session.scalars(
            select(Neighbourhood.name).where(Neighbourhood.community_id == community.id)
        )
    )


# --- the directory -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["visitor", "member", "away_member", "coordinator", "applicant", "stranger", "admin"]
)
def test_directory_lists_every_community_to_everyone(client, world, role):
    act_as(client, world, role)
    response = client.get("/communities")
    assert response.status_code == 200
    page = text(response)
    assert "Northside" in page and "Southside" in page
    assert "Coordinators approve new members" in page  # Northside's policy is shown


def test_directory_search_matches_name_or_description(client, world, make_user):
    communities.create_community(
        make_user("Bea Bikes"),
        name="Riverside",
        description="We fix bicycles together on Saturdays.",
        join_policy="open",
        centre_lat=51.45,
        centre_lon=-2.58,
        radius_km=1,
        neighbourhoods=[],
    )
    by_name = text(client.get("/communities", query_string={"q": "NORTH"}))
    assert "Northside" in by_name
    assert "Southside" not in by_name and "Riverside" not in by_name

    by_description = text(client.get("/communities", query_string={"q": "bicycles"}))
    assert "Riverside" in by_description
    assert "Northside" not in by_description

    nothing = text(client.get("/communities", query_string={"q": "zzz-no-such-place"}))
    assert "No community matches that" in nothing
    assert 'value="zzz-no-such-place"' in nothing  # the search box keeps what was typed


def _order(page: str, names: list[str]) -> list[str]:
    return sorted(names, key=page.index)


@pytest.fixture
def far_community(world, make_community, make_user) -> Community:
    # First by name, last by distance from Northside: the two orders differ.
    return make_community(make_user("Fay Far"), "Abbey Far", lat=52.50, lon=-2.59)


def test_nearest_first_for_a_member_with_a_neighbourhood(client, world, far_community):
    centre = next(n for n in world.home.neighbourhoods if n.name == "Northside Centre")
    world.member.neighbourhood_id = centre.id
    log_in(client, world.member)
    names = ["Abbey Far", "Northside", "Southside"]

    by_name = text(client.get("/communities"))
    assert _order(by_name, names) == ["Abbey Far", "Northside", "Southside"]
    assert 'id="sort"' in by_name  # the member is offered the choice

    nearest = text(client.get("/communities", query_string={"sort": "nearest"}))
    assert _order(nearest, names) == ["Northside", "Southside", "Abbey Far"]
    assert "0.0 km away" in nearest
    assert '<option value="nearest" selected>' in nearest


@pytest.mark.parametrize("role", ["visitor", "member"])
def test_nearest_falls_back_to_names_without_a_neighbourhood(client, world, far_community, role):
    act_as(client, world, role)
    page = text(client.get("/communities", query_string={"sort": "nearest"}))
    assert _order(page, ["Abbey Far", "Northside", "Southside"]) == [
        "Abbey Far",
        "Northside",
        "Southside",
    ]
    assert "km away" not in page
    assert 'id="sort"' not in page


def test_directory_answers_htmx_with_the_results_only(client, world):
    partial = client.get("/communities", query_string={"q": "south"}, headers=HX)
    assert partial.status_code == 200
    body = text(partial)
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="community-results">')
    assert "Southside" in body and "Northside" not in body

    full = text(client.get("/communities", query_string={"q": "south"}))
    assert "<html" in full and 'id="community-results"' in full


# --- a community's page ------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, sees, coordinator_tools",
    [
        ("visitor", "register</a> to join", False),
        ("member", "You are a member of Northside", False),
        ("other_member", "You are a member of Northside", False),
        ("away_member", "Ask to join", False),
        ("coordinator", "You are a coordinator of Northside", True),
        ("away_coordinator", "Ask to join", False),
        ("admin", "Ask to join", True),
        ("applicant", "You have asked to join", False),
        ("stranger", "Ask to join", False),
    ],
)
def test_community_page_for_each_role(client, world, role, sees, coordinator_tools):
    act_as(client, world, role)
    response = client.get("/communities/northside")
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Northside</h1>" in page
    assert "3 members" in page  # coordinator, member, other member; not the applicant
    assert sees in page
    assert ("Members and requests" in page) is coordinator_tools
    assert ("Add a neighbourhood" in page) is coordinator_tools


def test_coordinator_names_link_to_profiles_only_for_members(client, world):
    profile_link = f'href="/members/{world.coordinator.id}"'
    assert profile_link not in text(client.get("/communities/northside"))
    log_in(client, world.member)
    assert profile_link in text(client.get("/communities/northside"))


def test_unknown_community_is_not_found(client, world):
    assert client.get("/communities/nowhere").status_code == 404


def test_community_page_answers_htmx_with_the_membership_box(client, world):
    log_in(client, world.member)
    body = text(client.get("/communities/northside", headers=HX))
    assert "<html" not in body
    assert '<section id="membership"' in body
    assert "You are a member of Northside" in body


# --- starting a community ----------------------------------------------------------------

NEW_COMMUNITY = {
    "name": "Riverside",
    "description": "Along the river.",
    "join_policy": "approval",
    "centre_lat": "51.45",
    "centre_lon": "-2.58",
    "radius_km": "1.5",
    "neighbourhoods": "Quay, 51.451, -2.581\nMill Lane, 51.449, -2.579",
}


@pytest.mark.parametrize("role, expected", [("visitor", "login"), ("stranger", 200)])
def test_new_community_form(client, world, role, expected):
    act_as(client, world, role)
    response = client.get("/communities/new")
    assert_status(response, expected)
    if expected == 200:
        assert 'id="community-form"' in text(response)


def test_creator_becomes_the_coordinator(client, world):
    log_in(client, world.stranger)
    response = post(client, "/communities/new", NEW_COMMUNITY)
    assert response.status_code == 303
    assert response.headers["Location"] == "/communities/riverside"

    created = community_named("Riverside")
    assert created is not None
    assert created.join_policy == "approval"
    assert (created.centre_lat, created.centre_lon, created.radius_km) == (51.45, -2.58, 1.5)
    assert neighbourhood_names(created) == ["Mill Lane", "Quay"]
    assert state(created, world.stranger) == ("active", "coordinator")

    page = text(client.get("/communities/riverside"))
    assert "Riverside is ready. You are its coordinator." in page
    assert "You are a coordinator of Riverside" in page


def test_visitor_cannot_create_a_community(client, world):
    response = post(client, "/communities/new", NEW_COMMUNITY)
    assert_status(response, "login")
    assert community_named("Riverside") is None


def test_a_taken_name_is_refused_in_place(client, world):
    log_in(client, world.stranger)
    response = post(client, "/communities/new", {**NEW_COMMUNITY, "name": "northSIDE"})
    assert response.status_code == 422
    assert "A community with that name already exists" in text(response)
    assert 'value="northSIDE"' in text(response)
    assert db.session.scalar(select(func.count(Community.id))) == 2
    assert communities.communities_of(world.stranger) == []


@pytest.mark.parametrize(
    "change, message",
    [
        ({"centre_lat": "95"}, "A latitude is between -90 and 90."),
        ({"radius_km": "0"}, "The radius must be between 0.1 and 200 km."),
        ({"neighbourhoods": "Quay 51.4 -2.5"}, "Line 1 should read like"),
        ({"name": "ab"}, "A name needs 3 to 80 characters."),
    ],
)
def test_invalid_community_input_is_shown_again_with_422(client, world, change, message):
    log_in(client, world.stranger)
    response = post(client, "/communities/new", {**NEW_COMMUNITY, **change})
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert "Along the river." in page  # what the user typed is still in the form
    assert db.session.scalar(select(func.count(Community.id))) == 2


def test_creating_over_htmx_redirects_the_whole_page(client, world):
    log_in(client, world.stranger)
    response = post(client, "/communities/new", NEW_COMMUNITY, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/communities/riverside"
    assert community_named("Riverside") is not None


def test_invalid_form_over_htmx_returns_the_form_only(client, world):
    log_in(client, world.stranger)
    response = post(client, "/communities/new", {**NEW_COMMUNITY, "centre_lon": "x"}, headers=HX)
    assert response.status_code == 422
    body = text(response)
    assert "<html" not in body
    assert '<form id="community-form"' in body
    assert 'value="Riverside"' in body


# --- joining -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, expected, afterwards",
    [
        ("visitor", "login", None),
        ("member", 409, ("active", "member")),
        ("coordinator", 409, ("active", "coordinator")),
        ("applicant", 409, ("pending", "member")),
        ("away_member", 200, ("pending", "member")),
        ("away_coordinator", 200, ("pending", "member")),
        ("admin", 200, ("pending", "member")),
        ("stranger", 200, ("pending", "member")),
    ],
)
def test_joining_an_approval_community_asks_a_coordinator(
    client, world, role, expected, afterwards
):
    user = act_as(client, world, role)
    response = post(client, "/communities/northside/join")
    assert_status(response, expected)
    if user is not None:
        assert state(world.home, user) == afterwards
    assert communities.member_count(world.home) == 3


def test_joining_an_open_community_is_immediate(client, world):
    log_in(client, world.member)
    response = post(client, "/communities/southside/join")
    assert response.status_code == 200
    assert "Welcome to Southside!" in text(response)
    assert "You are a member of Southside" in text(response)
    assert state(world.away, world.member) == ("active", "member")
    assert communities.member_count(world.away) == 3


def test_asking_to_join_says_a_coordinator_will_answer(client, world):
    log_in(client, world.stranger)
    response = post(client, "/communities/northside/join")
    assert "Your request is sent" in text(response)
    assert "You have asked to join" in text(response)


def test_joining_twice_says_so(client, world):
    log_in(client, world.applicant)
    response = post(client, "/communities/northside/join")
    assert response.status_code == 409
    assert "You have already asked to join" in text(response)


def test_joining_over_htmx_swaps_the_membership_box(client, world):
    log_in(client, world.member)
    response = post(client, "/communities/southside/join", headers=HX)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert '<section id="membership"' in body
    assert 'id="flashes"' in body and "Welcome to Southside!" in body


def test_joining_an_unknown_community_is_not_found(client, world):
    log_in(client, world.stranger)
    assert post(client, "/communities/nowhere/join").status_code == 404


# --- leaving -----------------------------------------------------------------------------


def test_member_leaves_and_loses_the_neighbourhood_there(client, world):
    centre = next(n for n in world.home.neighbourhoods if n.name == "Northside Centre")
    world.member.neighbourhood_id = centre.id
    log_in(client, world.member)
    response = post(client, "/communities/northside/leave")
    assert response.status_code == 200
    assert "You have left Northside." in text(response)
    assert "Ask to join" in text(response)
    assert membership(world.home, world.member) is None
    assert world.member.neighbourhood_id is None


def test_applicant_withdraws_a_request(client, world):
    log_in(client, world.applicant)
    response = post(client, "/communities/northside/leave")
    assert response.status_code == 200
    assert membership(world.home, world.applicant) is None


def test_leaving_a_community_you_are_not_in_is_refused(client, world):
    log_in(client, world.stranger)
    response = post(client, "/communities/northside/leave")
    assert response.status_code == 409
    assert "You are not a member of this community." in text(response)


def test_visitor_is_sent_to_log_in_to_leave(client, world):
    assert_status(post(client, "/communities/northside/leave"), "login")
    assert communities.member_count(world.home) == 3


def test_last_coordinator_is_offered_a_successor_among_active_members(client, world):
    log_in(client, world.coordinator)
    page = text(client.get("/communities/northside"))
    select_box = re.search(r'<select id="successor".*?</select>', page, re.S)
    assert select_box, "the last coordinator should be asked to name a successor"
    assert "Mia Member" in select_box.group(0) and "Otto Other" in select_box.group(0)
    assert "Ada Applicant" not in select_box.group(0)


@pytest.mark.parametrize("successor", [None, "applicant", "away_member", "coordinator"])
def test_last_coordinator_cannot_leave_without_an_active_successor(client, world, successor):
    log_in(client, world.coordinator)
    data = {"successor": str(getattr(world, successor).id)} if successor else {}
    response = post(client, "/communities/northside/leave", data)
    assert response.status_code == 409
    assert "You are the last coordinator of Northside" in text(response)
    assert state(world.home, world.coordinator) == ("active", "coordinator")
    assert state(world.home, world.applicant) == ("pending", "member")
    assert state(world.home, world.member) == ("active", "member")
    assert communities.member_count(world.home) == 3


def test_last_coordinator_leaves_by_naming_a_successor(client, world):
    log_in(client, world.coordinator)
    response = post(
        client, "/communities/northside/leave", {"successor": str(world.other_member.id)}
    )
    assert response.status_code == 200
    assert membership(world.home, world.coordinator) is None
    assert state(world.home, world.other_member) == ("active", "coordinator")
    assert state(world.home, world.member) == ("active", "member")
    assert [u.display_name for u in communities.coordinators(world.home)] == ["Otto Other"]


def test_a_coordinator_alone_can_leave(client, world, make_community):
    make_community(world.stranger, "Lonely Lane")
    log_in(client, world.stranger)
    response = post(client, "/communities/lonely-lane/leave")
    assert response.status_code == 200
    assert communities.communities_of(world.stranger) == []


def test_one_of_two_coordinators_leaves_without_naming_anyone(client, world):
    communities.promote(world.coordinator, world.home, world.member.id)
    log_in(client, world.coordinator)
    response = post(client, "/communities/northside/leave")
    assert response.status_code == 200
    assert membership(world.home, world.coordinator) is None
    assert state(world.home, world.member) == ("active", "coordinator")


# --- the members page, for coordinators --------------------------------------------------

COORDINATORS_ONLY = [
    ("visitor", "login"),
    ("member", 403),
    ("other_member", 403),
    ("away_member", 403),
    ("coordinator", 200),
    ("away_coordinator", 403),
    ("admin", 200),
    ("applicant", 403),
    ("stranger", 403),
]


@pytest.mark.parametrize("role, expected", COORDINATORS_ONLY)
def test_members_page_is_for_coordinators_and_admins(client, world, role, expected):
    act_as(client, world, role)
    response = client.get("/communities/northside/members")
    assert_status(response, expected)
    page = text(response)
    if expected == 200:
        assert "Asking to join (1)" in page and "Ada Applicant" in page
        assert "Members (3)" in page and "Otto Other" in page
    else:
        assert "Ada Applicant" not in page
    if expected == 403:
        assert "Only this community&#39;s coordinators can do that." in page


def test_members_page_answers_htmx_with_the_lists_only(client, world):
    log_in(client, world.coordinator)
    body = text(client.get("/communities/northside/members", headers=HX))
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="members">')


# --- approve, decline, promote, remove ---------------------------------------------------

# action -> (whom it is done to, their (status, role) before, and after it is done)
ACTIONS = {
    "approve": ("applicant", ("pending", "member"), ("active", "member")),
    "decline": ("applicant", ("pending", "member"), None),
    "promote": ("member", ("active", "member"), ("active", "coordinator")),
    "remove": ("member", ("active", "member"), None),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role, expected", COORDINATORS_ONLY)
def test_member_actions_by_role(client, world, action, role, expected):
    target_role, before, after = ACTIONS[action]
    target = getattr(world, target_role)
    act_as(client, world, role)
    response = post(client, f"/communities/northside/members/{target.id}/{action}")
    assert_status(response, expected)
    assert state(world.home, target) == (after if expected == 200 else before)
    assert state(world.home, world.coordinator) == ("active", "coordinator")


@pytest.mark.parametrize("action", ACTIONS)
def test_a_southside_coordinator_cannot_reach_northside_through_southside(client, world, action):
    target_role, before, _ = ACTIONS[action]
    target = getattr(world, target_role)
    log_in(client, world.away_coordinator)
    response = post(client, f"/communities/southside/members/{target.id}/{action}")
    assert response.status_code == 404
    assert state(world.home, target) == before
    assert state(world.away, target) is None


def test_approving_someone_who_did_not_ask_is_not_found(client, world):
    log_in(client, world.coordinator)
    response = post(client, f"/communities/northside/members/{world.away_member.id}/approve")
    assert response.status_code == 404
    assert state(world.home, world.away_member) is None
    assert state(world.away, world.away_member) == ("active", "member")


def test_approved_applicant_becomes_a_member(client, world):
    log_in(client, world.coordinator)
    response = post(client, f"/communities/northside/members/{world.applicant.id}/approve")
    assert response.status_code == 200
    assert "Asking to join (0)" in text(response)
    assert "Members (4)" in text(response)
    assert world.home in communities.communities_of(world.applicant)


def test_answering_a_request_twice_is_a_conflict(client, world):
    log_in(client, world.coordinator)
    response = post(client, f"/communities/northside/members/{world.member.id}/approve")
    assert response.status_code == 409
    assert "That request has already been answered." in text(response)
    assert state(world.home, world.member) == ("active", "member")


def test_only_active_members_can_be_promoted(client, world):
    log_in(client, world.coordinator)
    response = post(client, f"/communities/northside/members/{world.applicant.id}/promote")
    assert response.status_code == 409
    assert "Only active members can become coordinators." in text(response)
    assert state(world.home, world.applicant) == ("pending", "member")


@pytest.mark.parametrize("whom", ["coordinator", "member"])
def test_a_coordinator_cannot_remove_a_coordinator(client, world, whom):
    communities.promote(world.coordinator, world.home, world.member.id)
    log_in(client, world.coordinator)
    target = getattr(world, whom)
    response = post(client, f"/communities/northside/members/{target.id}/remove")
    assert response.status_code == 403
    assert "Coordinators step down by leaving" in text(response)
    assert state(world.home, target) == ("active", "coordinator")


def test_an_admin_can_remove_a_coordinator(client, world):
    communities.promote(world.coordinator, world.home, world.member.id)
    log_in(client, world.admin)
    response = post(client, f"/communities/northside/members/{world.member.id}/remove")
    assert response.status_code == 200
    assert membership(world.home, world.member) is None
    assert state(world.home, world.coordinator) == ("active", "coordinator")


def test_removed_member_loses_the_neighbourhood_there(client, world):
    centre = next(n for n in world.home.neighbourhoods if n.name == "Northside Centre")
    world.member.neighbourhood_id = centre.id
    log_in(client, world.coordinator)
    post(client, f"/communities/northside/members/{world.member.id}/remove")
    assert world.member.neighbourhood_id is None


@pytest.mark.parametrize(
    "url",
    [
        "/communities/northside/members/{member}/ban",
        "/communities/northside/members/999999/remove",
        "/communities/nowhere/members/{member}/remove",
    ],
)
def test_member_actions_on_nothing_are_not_found(client, world, url):
    log_in(client, world.coordinator)
    response = post(client, url.format(member=world.member.id))
    assert response.status_code == 404
    assert state(world.home, world.member) == ("active", "member")


def test_member_action_over_htmx_returns_the_lists_only(client, world):
    log_in(client, world.coordinator)
    response = post(
        client, f"/communities/northside/members/{world.applicant.id}/decline", headers=HX
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="members">')
    assert "Asking to join (0)" in body


# --- neighbourhoods ----------------------------------------------------------------------

NEW_PLACE = {"name": "Harbourside", "lat": "51.48", "lon": "-2.60"}


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 403),
        ("other_member", 403),
        ("away_member", 403),
        ("coordinator", 303),  # back to the community page, which lists it
        ("away_coordinator", 403),
        ("admin", 303),
        ("applicant", 403),
        ("stranger", 403),
    ],
)
def test_adding_a_neighbourhood_by_role(client, world, role, expected):
    act_as(client, world, role)
    response = post(client, "/communities/northside/neighbourhoods", NEW_PLACE)
    if expected == 303:
        assert response.status_code == 303
        assert response.headers["Location"] == "/communities/northside"
        assert neighbourhood_names(world.home) == [
            "Harbourside",
            "Northside Centre",
            "Northside Edge",
        ]
        assert "Harbourside is added." in text(client.get("/communities/northside"))
    else:
        assert_status(response, expected)
        assert neighbourhood_names(world.home) == ["Northside Centre", "Northside Edge"]
    assert neighbourhood_names(world.away) == ["Southside Centre", "Southside Edge"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"name": "Northside Edge"}, "already has a neighbourhood with that name"),
        ({"lat": "100"}, "The neighbourhood could not be added"),
        ({"name": ""}, "Please give a name."),
    ],
)
def test_an_invalid_neighbourhood_is_refused_with_422(client, world, change, message):
    log_in(client, world.coordinator)
    response = post(client, "/communities/northside/neighbourhoods", {**NEW_PLACE, **change})
    assert response.status_code == 422
    assert message in text(response)
    assert neighbourhood_names(world.home) == ["Northside Centre", "Northside Edge"]
