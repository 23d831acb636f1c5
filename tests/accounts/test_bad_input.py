"""Input a person can get wrong: each gets a clear answer, never a 500, and the form comes back
with what they typed (except passwords)."""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from commons.accounts.models import User
from commons.communities.models import Community
from commons.extensions import db
from commons.profiles.models import AvailabilitySlot
from tests.conftest import PASSWORD, log_in, post

GOOD_NAME = "Nora Neighbour"
GOOD_EMAIL = "nora@example.org"


def count(model) -> int:
    db.session.rollback()  # see what the requests committed, not this test's last read
    return db.session.scalar(select(func.count()).select_from(model))


def page_of(response, status: int = 422) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return html.unescape(response.get_data(as_text=True))


def input_value(response, name: str) -> str | None:
    """The value the form shows in its <input name=...>, as the browser would read it."""
    body = response.get_data(as_text=True)
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', body)
    assert tag, f"no input named {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else None


def textarea_value(response, name: str) -> str:
    body = response.get_data(as_text=True)
    match = re.search(rf'<textarea[^>]*\bname="{name}"[^>]*>(.*?)</textarea>', body, re.S)
    assert match, f"no textarea named {name}"
    return html.unescape(match.group(1)).lstrip("\r\n")


def register(client: FlaskClient, **fields: str):
    data = {
        "email": GOOD_EMAIL,
        "display_name": GOOD_NAME,
        "password": PASSWORD,
        "confirm": PASSWORD,
        **fields,
    }
    return post(client, "/register", data)


def assert_password_not_echoed(response, *passwords: str) -> None:
    body = response.get_data(as_text=True)
    for password in passwords:
        assert password not in body
    assert input_value(response, "password") in (None, "")


# --- Registering --------------------------------------------------------------------------


def test_register_with_empty_fields(client):
    response = register(client, email="", display_name="", password="", confirm="")
    page = page_of(response)
    assert "Please enter your email address." in page
    assert "Please tell us what to call you." in page
    assert "Please choose a password." in page
    assert "Please type the password again." in page
    assert count(User) == 0


def test_register_with_too_long_name(client):
    name = "N" * 81
    response = register(client, display_name=name)
    assert "A name can be at most 80 characters." in page_of(response)
    assert input_value(response, "display_name") == name
    assert input_value(response, "email") == GOOD_EMAIL
    assert_password_not_echoed(response, PASSWORD)
    assert count(User) == 0


def test_register_with_too_long_email(client):
    email = "p" * 60 + "@" + ".".join(["d" * 60] * 3) + ".example.org"
    email = email[: 255 - len(".org")].rstrip(".") + ".org"
    assert len(email) > 254
    response = register(client, email=email)
    assert "An email address can be at most 254 characters." in page_of(response)
    assert input_value(response, "email") == email
    assert input_value(response, "display_name") == GOOD_NAME
    assert count(User) == 0


def test_register_with_nine_character_password(client):
    response = register(client, password="ninechars", confirm="ninechars")
    assert "A password needs at least 10 characters" in page_of(response)
    assert input_value(response, "email") == GOOD_EMAIL
    assert input_value(response, "display_name") == GOOD_NAME
    assert_password_not_echoed(response, "ninechars")
    assert count(User) == 0


def test_register_with_mismatched_confirmation(client):
    response = register(client, confirm="correct horse battery staple")
    assert "The two passwords differ." in page_of(response)
    assert input_value(response, "email") == GOOD_EMAIL
    assert input_value(response, "display_name") == GOOD_NAME
    assert_password_not_echoed(response, PASSWORD)
    assert count(User) == 0


def test_register_with_an_email_already_taken_in_other_case(client, make_user):
    make_user(email="taken@example.org")
    response = register(client, email="  Taken@Example.ORG ")
    assert response.status_code in (409, 422)
    assert "An account with that email already exists." in page_of(response, response.status_code)
    assert input_value(response, "email") == "taken@example.org"
    assert input_value(response, "display_name") == GOOD_NAME
    assert_password_not_echoed(response, PASSWORD)
    assert count(User) == 1


def test_login_with_wrong_password(client, make_user):
    user = make_user(email="mia@example.org")
    response = post(client, "/login", {"email": "Mia@example.org", "password": "wrong password"})
    assert "That email and password don't match an account." in page_of(response)
    assert input_value(response, "email") == user.email
    assert_password_not_echoed(response, "wrong password")
    assert client.get("/settings/account").status_code == 302  # still logged out


# --- Creating a community -----------------------------------------------------------------


def community_form(**fields: str) -> dict[str, str]:
    return {
        "name": "Riverside Commons",
        "description": "Neighbours by the river.",
        "join_policy": "open",
        "centre_lat": "51.50",
        "centre_lon": "-0.12",
        "radius_km": "2",
        "neighbourhoods": "",
        **fields,
    }


@pytest.fixture
def founder(client, make_user) -> User:
    user = make_user("Fay Founder")
    log_in(client, user)
    return user


def test_community_with_a_latitude_that_is_not_a_number(client, founder):
    response = post(client, "/communities/new", community_form(centre_lat="north-ish"))
    page = page_of(response)
    assert "Not a valid float value." in page or "A latitude is between -90 and 90." in page
    assert input_value(response, "centre_lat") == "north-ish"
    assert input_value(response, "name") == "Riverside Commons"
    assert count(Community) == 0


def test_community_with_out_of_range_values(client, founder):
    response = post(
        client,
        "/communities/new",
        community_form(centre_lat="91", centre_lon="-180.5", radius_km="0"),
    )
    page = page_of(response)
    assert "A latitude is between -90 and 90." in page
    assert "A longitude is between -180 and 180." in page
    assert "The radius must be between 0.1 and 200 km." in page
    assert input_value(response, "centre_lat") == "91"
    assert input_value(response, "centre_lon") == "-180.5"
    assert input_value(response, "radius_km") == "0"
    assert input_value(response, "name") == "Riverside Commons"
    assert count(Community) == 0


def test_community_with_a_bad_neighbourhood_line(client, founder):
    typed = "Old Town, 51.50, -0.12\nRiverside 51.51 -0.13"
    response = post(client, "/communities/new", community_form(neighbourhoods=typed))
    assert "Line 2 should read like: Riverside, 51.5010, -0.1200" in page_of(response)
    assert textarea_value(response, "neighbourhoods").replace("\r\n", "\n") == typed
    assert input_value(response, "name") == "Riverside Commons"
    assert count(Community) == 0


def test_community_with_a_name_already_taken(client, founder, make_community, make_user):
    make_community(make_user("Olga Other"), "Riverside Commons")
    response = post(client, "/communities/new", community_form(name="riverside commons"))
    assert response.status_code in (409, 422)
    assert "A community with that name already exists." in page_of(response, response.status_code)
    assert input_value(response, "name") == "riverside commons"
    assert count(Community) == 1


# --- Profile ------------------------------------------------------------------------------


def test_slot_ending_before_it_starts(client, make_user):
    log_in(client, make_user())
    response = post(
        client, "/settings/profile/slots", {"weekday": "2", "start": "18:00", "end": "17:30"}
    )
    assert "The end time must be after the start time." in page_of(response)
    assert input_value(response, "start") == "18:00"
    assert input_value(response, "end") == "17:30"
    assert re.search(r'<option selected value="2">|<option value="2" selected>', response.text)
    assert count(AvailabilitySlot) == 0
