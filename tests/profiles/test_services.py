"""Profile rules, called directly: neighbourhoods, skills, availability, visibility."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy.exc import IntegrityError

from commons.extensions import db
from commons.profiles import services
from commons.profiles.forms import split_list
from commons.profiles.models import AvailabilitySlot


def _changes(**overrides):
    values = {
        "bio": "Hello",
        "languages": ["english"],
        "skills_share": ["guitar"],
        "skills_learn": ["welsh"],
        "neighbourhood_id": None,
        "timezone": "Europe/London",
    }
    values.update(overrides)
    return services.ProfileChanges(**values)


def test_a_member_lives_in_a_neighbourhood_of_their_own_communities(world):
    home_place, away_place = world.home.neighbourhoods[0], world.away.neighbourhoods[0]
    assert home_place in services.neighbourhood_choices(world.member)
    assert away_place not in services.neighbourhood_choices(world.member)
    services.update_profile(world.member, _changes(neighbourhood_id=home_place.id))
    assert world.member.neighbourhood == home_place
    with pytest.raises(services.ProfileError):
        services.update_profile(world.member, _changes(neighbourhood_id=away_place.id))
    assert world.member.neighbourhood == home_place


def test_a_pending_applicant_cannot_pick_that_communitys_neighbourhood(world):
    assert services.neighbourhood_choices(world.applicant) == []


def test_skills_are_replaced_not_duplicated(world):
    services.update_profile(world.member, _changes(skills_share=["guitar", "baking"]))
    services.update_profile(world.member, _changes(skills_share=["baking", "sewing"]))
    assert world.member.skill_names("share") == ["baking", "sewing"]
    assert world.member.skill_names("learn") == ["welsh"]


def test_split_list_trims_lowercases_and_removes_repeats():
    assert split_list(" Guitar, bike   repair,,guitar ,") == ["guitar", "bike repair"]
    assert split_list(None) == []


def test_slots_are_added_in_order_and_overlaps_refused(world):
    services.add_slot(world.member, 2, time(18), time(20))
    services.add_slot(world.member, 0, time(9), time(10, 30))
    assert [s.label for s in world.member.slots] == ["mon 09:00-10:30", "wed 18:00-20:00"]
    with pytest.raises(services.ProfileError, match="overlaps"):
        services.add_slot(world.member, 2, time(19), time(21))
    with pytest.raises(services.ProfileError, match="after"):
        services.add_slot(world.member, 3, time(12), time(11))


def test_the_database_refuses_an_inverted_window(world):
    db.session.add(AvailabilitySlot(user=world.member, weekday=1, start_minute=600, end_minute=500))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_member_removes_only_their_own_slots(world):
    slot = services.add_slot(world.member, 4, time(8), time(9))
    with pytest.raises(LookupError):
        services.remove_slot(world.other_member, slot.id)
    services.remove_slot(world.member, slot.id)
    assert world.member.slots == []


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        ("member", True),
        ("other_member", True),
        ("coordinator", True),
        ("admin", True),
        ("applicant", False),
        ("away_member", False),
        ("away_coordinator", False),
        ("stranger", False),
    ],
)
def test_profiles_are_for_neighbours_sharing_a_community(world, viewer, visible):
    assert services.can_view_profile(getattr(world, viewer), world.member) is visible
