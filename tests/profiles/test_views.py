"""Profile settings, availability, notifications, and profiles as neighbours see them."""

from __future__ import annotations

import re
from datetime import time

import pytest
from sqlalchemy import select

from commons.accounts import services as accounts
from commons.accounts.models import User
from commons.communities.models import Community, Neighbourhood
from commons.extensions import db
from commons.profiles import services as profiles
from commons.profiles.models import AvailabilitySlot
from tests.conftest import HX, PASSWORD, act_as, assert_status, log_in, post, text


def place(community: Community, name: str) -> Neighbourhood:
    return db.session.scalar(
        select(Neighbourhood).where(
            Neighbourhood.community_id == community.id, Neighbourhood.name == name
        )
    )


def slot_labels(user: User) -> list[str]:
    slots = db.session.scalars(
        select(AvailabilitySlot)
        .where(AvailabilitySlot.user_id == user.id)
        .order_by(AvailabilitySlot.weekday, AvailabilitySlot.start_minute)
    )
    return [slot.label for slot in slots]


def _times(start: str, end: str) -> tuple[time, time]:
    return time.fromisoformat(start), time.fromisoformat(end)


def profile_form(world, **changes: str) -> dict[str, str]:
    return {
        "bio": "I mend bikes and bake bread.",
        "skills_share": "Bike repair, baking, bike repair",
        "skills_learn": "Welsh",
        "languages": "English, Polish",
        "neighbourhood": str(place(world.home, "Northside Edge").id),
        "timezone": "Europe/London",
        **changes,
    }


# --- /settings/profile -------------------------------------------------------------------


def test_visitor_is_sent_to_log_in_for_profile_settings(client, world):
    assert_status(client.get("/settings/profile"), "login")
    assert_status(post(client, "/settings/profile", profile_form(world)), "login")


def test_profile_settings_offer_only_my_communities_neighbourhoods(client, world):
    log_in(client, world.member)
    response = client.get("/settings/profile")
    assert response.status_code == 200
    page = text(response)
    assert "Northside Centre (Northside)" in page and "Northside Edge (Northside)" in page
    assert "Southside" not in page


def test_an_applicant_is_offered_no_neighbourhood_yet(client, world):
    log_in(client, world.applicant)
    page = text(client.get("/settings/profile"))
    assert "Not set" in page
    assert "Northside Centre" not in page


def test_saving_my_profile(client, world):
    log_in(client, world.member)
    response = post(client, "/settings/profile", profile_form(world, timezone="Europe/Warsaw"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/profile"

    member = world.member
    assert member.bio == "I mend bikes and bake bread."
    assert member.languages == "english, polish"
    assert member.skill_names("share") == ["baking", "bike repair"]
    assert member.skill_names("learn") == ["welsh"]
    assert member.neighbourhood.name == "Northside Edge"
    assert member.timezone == "Europe/Warsaw"

    page = text(client.get("/settings/profile"))
    assert "Your profile is saved." in page
    assert "I mend bikes and bake bread." in page


@pytest.mark.parametrize(
    "role, community, name",
    [
        ("member", "away", "Southside Centre"),  # a community I am not in
        ("away_member", "home", "Northside Centre"),
        ("applicant", "home", "Northside Centre"),  # asked to join, not yet a member
    ],
)
def test_a_neighbourhood_outside_my_communities_is_refused(client, world, role, community, name):
    user = act_as(client, world, role)
    elsewhere = place(getattr(world, community), name)
    response = post(client, "/settings/profile", profile_form(world, neighbourhood=elsewhere.id))
    assert response.status_code == 422
    page = text(response)
    assert 'id="neighbourhood-error"' in page
    assert "I mend bikes and bake bread." in page  # the rest of what they typed is kept
    assert user.neighbourhood_id is None
    assert user.bio == ""
    assert user.skills == []


@pytest.mark.parametrize(
    "change, message",
    [
        ({"timezone": "Mars/Olympus_Mons"}, 'id="timezone-error"'),
        ({"bio": "x" * 1001}, "Please keep this under 1000 characters."),
    ],
)
def test_invalid_profile_input_is_shown_again_with_422(client, world, change, message):
    log_in(client, world.member)
    response = post(client, "/settings/profile", profile_form(world, **change))
    assert response.status_code == 422
    assert message in text(response)
    assert 'value="Bike repair, baking, bike repair"' in text(response)
    assert world.member.skills == [] and world.member.neighbourhood_id is None


def test_profile_settings_over_htmx(client, world):
    log_in(client, world.member)
    partial = text(client.get("/settings/profile", headers=HX))
    assert "<html" not in partial
    assert partial.lstrip().startswith('<form id="profile-form"')

    invalid = post(client, "/settings/profile", profile_form(world, bio="y" * 1001), headers=HX)
    assert invalid.status_code == 422
    assert "<html" not in text(invalid) and 'id="profile-form"' in text(invalid)
    assert 'value="English, Polish"' in text(invalid)

    saved = post(client, "/settings/profile", profile_form(world), headers=HX)
    assert saved.status_code == 200
    assert saved.headers["HX-Redirect"] == "/settings/profile"
    assert world.member.bio == "I mend bikes and bake bread."


# --- availability slots ------------------------------------------------------------------

EVENING = {"weekday": "0", "start": "18:00", "end": "20:00"}


def test_adding_a_time_i_am_free(client, world):
    log_in(client, world.member)
    response = post(client, "/settings/profile/slots", EVENING)
    assert response.status_code == 200
    assert "<html" in text(response)  # a full page without htmx
    assert "mon 18:00-20:00" in text(response)
    assert slot_labels(world.member) == ["mon 18:00-20:00"]


@pytest.mark.parametrize(
    "slot, message",
    [
        ({"start": "19:00", "end": "21:00"}, "That overlaps a time you already gave: mon 18:00"),
        ({"start": "21:00", "end": "20:30"}, "The end time must be after the start time."),
        ({"start": "", "end": "20:30"}, "Please give a start time."),
        ({"weekday": "9", "start": "21:00", "end": "22:00"}, 'id="weekday-error"'),
    ],
)
def test_a_time_that_does_not_fit_is_refused_with_422(client, world, slot, message):
    profiles.add_slot(world.member, 0, *_times("18:00", "20:00"))
    log_in(client, world.member)
    response = post(client, "/settings/profile/slots", {**EVENING, **slot})
    assert response.status_code == 422
    assert message in text(response)
    assert f'value="{slot["end"]}"' in text(response)  # the time typed is kept
    assert slot_labels(world.member) == ["mon 18:00-20:00"]


def test_removing_my_own_time(client, world):
    slot = profiles.add_slot(world.member, 2, *_times("09:00", "10:00"))
    profiles.add_slot(world.member, 3, *_times("09:00", "10:00"))
    log_in(client, world.member)
    response = post(client, f"/settings/profile/slots/{slot.id}/delete")
    assert response.status_code == 200
    assert "wed 09:00-10:00" not in text(response)
    assert slot_labels(world.member) == ["thu 09:00-10:00"]


@pytest.mark.parametrize("role, expected", [("visitor", "login"), ("other_member", 404)])
def test_someone_elses_time_cannot_be_removed(client, world, role, expected):
    slot = profiles.add_slot(world.member, 2, *_times("09:00", "10:00"))
    act_as(client, world, role)
    response = post(client, f"/settings/profile/slots/{slot.id}/delete")
    assert_status(response, expected)
    assert slot_labels(world.member) == ["wed 09:00-10:00"]


def test_removing_a_time_that_does_not_exist_is_not_found(client, world):
    log_in(client, world.member)
    assert post(client, "/settings/profile/slots/999999/delete").status_code == 404


def test_visitor_cannot_add_a_time(client, world):
    assert_status(post(client, "/settings/profile/slots", EVENING), "login")
    assert db.session.scalars(select(AvailabilitySlot)).all() == []


def test_slots_over_htmx_return_the_list_only(client, world):
    log_in(client, world.member)
    added = post(client, "/settings/profile/slots", EVENING, headers=HX)
    assert added.status_code == 200
    body = text(added)
    assert "<html" not in body
    assert body.lstrip().startswith('<section id="slots"')
    assert "mon 18:00-20:00" in body

    clash = post(client, "/settings/profile/slots", EVENING, headers=HX)
    assert clash.status_code == 422
    assert "<html" not in text(clash) and "That overlaps" in text(clash)
    assert slot_labels(world.member) == ["mon 18:00-20:00"]


# --- /settings/notifications -------------------------------------------------------------


def test_visitor_is_sent_to_log_in_for_notifications(client, world):
    assert_status(client.get("/settings/notifications"), "login")
    assert_status(post(client, "/settings/notifications", {"notify_email": "off"}), "login")


def checked(page: str) -> set[str]:
    """The ids of the ticked boxes and chosen radio buttons on a page."""
    return set(re.findall(r'<input checked id="([^"]+)"', page))


def test_notifications_show_my_current_choices(client, world):
    log_in(client, world.member)
    response = client.get("/settings/notifications")
    assert response.status_code == 200
    assert checked(text(response)) == {
        "notify_email-0",  # immediate
        "notify_claims",
        "notify_messages",
        "notify_community",
    }


def test_saving_notification_choices(client, world):
    log_in(client, world.member)
    response = post(
        client,
        "/settings/notifications",
        {"notify_email": "digest", "notify_messages": "y", "notify_community": "y"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/notifications"
    member = world.member
    assert member.notify_email == "digest"
    assert (member.notify_claims, member.notify_messages, member.notify_community) == (
        False,
        True,
        True,
    )
    page = text(client.get("/settings/notifications"))
    assert "Your notification choices are saved." in page
    assert checked(page) == {"notify_email-1", "notify_messages", "notify_community"}


@pytest.mark.parametrize("choice", ["hourly", ""])
def test_an_unknown_email_choice_is_refused_with_422(client, world, choice):
    log_in(client, world.member)
    response = post(client, "/settings/notifications", {"notify_email": choice})
    assert response.status_code == 422
    assert 'id="notify_email-error"' in text(response)
    assert world.member.notify_email == "immediate"
    assert world.member.notify_claims is True


def test_notifications_over_htmx_return_the_form_only(client, world):
    log_in(client, world.member)
    body = text(client.get("/settings/notifications", headers=HX))
    assert "<html" not in body
    assert body.lstrip().startswith('<form id="notifications-form"')


# --- /members/<id> -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 200),  # their own profile
        ("other_member", 200),
        ("away_member", 404),
        ("coordinator", 200),
        ("away_coordinator", 404),
        ("admin", 200),
        ("applicant", 404),
        ("stranger", 404),
    ],
)
def test_a_profile_is_for_neighbours_who_share_a_community(client, world, role, expected):
    act_as(client, world, role)
    response = client.get(f"/members/{world.member.id}")
    assert_status(response, expected)
    assert ("Mia Member" in text(response)) is (expected == 200)


@pytest.mark.parametrize("role", ["coordinator", "member"])
def test_a_pending_applicants_profile_is_not_shown(client, world, role):
    act_as(client, world, role)
    assert client.get(f"/members/{world.applicant.id}").status_code == 404


def test_a_profile_shows_the_neighbourhood_name_never_the_email(client, world):
    profiles.update_profile(
        world.member,
        profiles.ProfileChanges(
            bio="Ask me about sourdough.",
            languages=["english", "polish"],
            skills_share=["baking"],
            skills_learn=["welsh"],
            neighbourhood_id=place(world.home, "Northside Centre").id,
            timezone="Europe/London",
        ),
    )
    profiles.add_slot(world.member, 5, *_times("10:00", "12:00"))
    log_in(client, world.other_member)
    page = text(client.get(f"/members/{world.member.id}"))
    assert "Lives around Northside Centre" in page
    assert "Ask me about sourdough." in page
    assert "baking" in page and "welsh" in page and "english, polish" in page
    assert "sat 10:00-12:00" in page
    assert world.member.email not in page
    assert "51.47" not in page  # the neighbourhood's coordinates are not shown either


def test_a_former_members_profile_is_gone(client, world):
    accounts.delete_account(world.other_member, PASSWORD)
    log_in(client, world.member)
    assert client.get(f"/members/{world.other_member.id}").status_code == 404


def test_an_unknown_profile_is_not_found(client, world):
    log_in(client, world.member)
    assert client.get("/members/999999").status_code == 404


def test_a_profile_over_htmx_is_the_card_only(client, world):
    log_in(client, world.other_member)
    body = text(client.get(f"/members/{world.member.id}", headers=HX))
    assert "<html" not in body
    assert body.lstrip().startswith('<article id="profile">')
    assert "Mia Member" in body
