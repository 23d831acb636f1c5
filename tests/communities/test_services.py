"""Community rules, called directly: joining, leaving, and coordinators' powers."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from commons.communities import services
from commons.communities.models import Membership
from commons.communities.permissions import NotAllowed, is_coordinator, shares_a_community
from commons.extensions import db


def _membership(community, user):
    return db.session.scalar(
        select(Membership).where(
            Membership.community_id == community.id, Membership.user_id == user.id
        )
    )


def test_creator_becomes_the_first_coordinator(make_user, make_community):
    creator = make_user("Founder")
    community = make_community(creator, "Hill Top")
    assert community.slug == "hill-top"
    assert services.coordinators(community) == [creator]
    assert [n.name for n in community.neighbourhoods] == ["Hill Top Centre", "Hill Top Edge"]


def test_names_are_unique_whatever_the_case(make_user, make_community):
    make_community(make_user(), "Hill Top")
    with pytest.raises(services.NameTaken):
        make_community(make_user(), "hill top")


def test_slugs_stay_unique_when_names_differ_only_in_punctuation(make_user, make_community):
    first = make_community(make_user(), "Hill Top")
    second = make_community(make_user(), "Hill-Top!")
    assert (first.slug, second.slug) == ("hill-top", "hill-top-2")


def test_a_community_without_neighbourhoods_gets_one_at_its_centre(make_user):
    community = services.create_community(
        make_user(),
        name="Dale",
        description="",
        join_policy="open",
        centre_lat=51.0,
        centre_lon=-1.0,
        radius_km=1,
        neighbourhoods=[],
    )
    assert [(n.name, n.lat, n.lon) for n in community.neighbourhoods] == [("Dale", 51.0, -1.0)]


def test_joining_an_open_community_is_immediate(world):
    membership = services.join(world.stranger, world.away)
    assert membership.status == "active"
    assert shares_a_community(world.stranger, world.away_coordinator)


def test_joining_an_approval_community_waits_for_a_coordinator(world):
    membership = services.join(world.stranger, world.home)
    assert membership.status == "pending"
    assert not shares_a_community(world.stranger, world.member)
    services.decide_request(world.coordinator, world.home, world.stranger.id, approve=True)
    assert _membership(world.home, world.stranger).status == "active"


def test_declining_removes_the_request_so_the_person_may_ask_again(world):
    services.decide_request(world.coordinator, world.home, world.applicant.id, approve=False)
    assert _membership(world.home, world.applicant) is None
    assert services.join(world.applicant, world.home).status == "pending"


def test_nobody_joins_twice(world):
    with pytest.raises(services.AlreadyMember):
        services.join(world.member, world.home)
    with pytest.raises(services.AlreadyMember):
        services.join(world.applicant, world.home)


def test_the_database_refuses_a_second_membership_row(world):
    db.session.add(Membership(community=world.home, user=world.member))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_a_pending_coordinator(world):
    _membership(world.home, world.applicant).role = "coordinator"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_last_coordinator_cannot_leave_without_a_successor(world):
    with pytest.raises(services.LastCoordinator):
        services.leave(world.coordinator, world.home)
    assert is_coordinator(world.coordinator, world.home)


def test_the_last_coordinator_leaves_by_naming_a_successor(world):
    services.leave(world.coordinator, world.home, successor_id=world.member.id)
    assert _membership(world.home, world.coordinator) is None
    assert services.coordinators(world.home) == [world.member]


def test_a_pending_applicant_cannot_be_named_successor(world):
    with pytest.raises(services.LastCoordinator):
        services.leave(world.coordinator, world.home, successor_id=world.applicant.id)


def test_a_sole_member_may_leave_their_community(make_user, make_community):
    founder = make_user()
    community = make_community(founder, "Lonely Lane")
    services.leave(founder, community)
    assert services.member_count(community) == 0


def test_leaving_clears_a_home_neighbourhood_in_that_community(world):
    world.member.neighbourhood = world.home.neighbourhoods[0]
    db.session.commit()
    services.leave(world.member, world.home)
    assert world.member.neighbourhood_id is None


@pytest.mark.parametrize("action", ["approve", "promote", "remove"])
def test_a_coordinator_of_another_community_has_no_powers_here(world, action):
    calls = {
        "approve": lambda: services.decide_request(
            world.away_coordinator, world.home, world.applicant.id, approve=True
        ),
        "promote": lambda: services.promote(world.away_coordinator, world.home, world.member.id),
        "remove": lambda: services.remove_member(
            world.away_coordinator, world.home, world.member.id
        ),
    }
    with pytest.raises(NotAllowed):
        calls[action]()
    assert _membership(world.home, world.applicant).status == "pending"
    assert _membership(world.home, world.member).role == "member"


def test_a_member_cannot_act_as_coordinator(world):
    with pytest.raises(NotAllowed):
        services.remove_member(world.member, world.home, world.other_member.id)
    assert _membership(world.home, world.other_member) is not None


def test_an_admin_may_act_in_any_community(world):
    services.decide_request(world.admin, world.home, world.applicant.id, approve=True)
    assert _membership(world.home, world.applicant).status == "active"


def test_coordinators_step_down_themselves_rather_than_being_removed(world):
    services.promote(world.coordinator, world.home, world.member.id)
    with pytest.raises(NotAllowed):
        services.remove_member(world.coordinator, world.home, world.member.id)


def test_answering_a_request_twice_is_refused(world):
    services.decide_request(world.coordinator, world.home, world.applicant.id, approve=True)
    with pytest.raises(services.CommunityError):
        services.decide_request(world.coordinator, world.home, world.applicant.id, approve=False)
    assert _membership(world.home, world.applicant).status == "active"


def test_directory_searches_names_and_descriptions(world):
    assert [e.community.name for e in services.directory("north")] == ["Northside"]
    assert [e.community.name for e in services.directory("southside community")] == ["Southside"]
    assert services.directory("nowhere at all") == []


def test_directory_orders_nearest_first_and_counts_active_members(world):
    near_south = world.away.neighbourhoods[0]
    entries = services.directory(near=near_south)
    assert [e.community.name for e in entries] == ["Southside", "Northside"]
    assert entries[0].distance_km == pytest.approx(0.0, abs=0.01)
    assert entries[1].distance_km == pytest.approx(7.8, abs=0.2)
    counts = {e.community.name: e.member_count for e in entries}
    assert counts == {"Northside": 3, "Southside": 2}  # the pending applicant is not counted


def test_the_last_coordinator_cannot_delete_their_account_while_others_remain(world):
    with pytest.raises(services.LastCoordinator):
        services.ensure_can_leave_all(world.coordinator)
    services.ensure_can_leave_all(world.member)


def test_even_an_admin_cannot_remove_the_last_coordinator(world):
    with pytest.raises(services.LastCoordinator):
        services.remove_member(world.admin, world.home, world.coordinator.id)
    assert services.coordinators(world.home) == [world.coordinator]


def test_an_admin_may_remove_one_of_two_coordinators(world):
    services.promote(world.coordinator, world.home, world.member.id)
    services.remove_member(world.admin, world.home, world.member.id)
    assert services.coordinators(world.home) == [world.coordinator]
