"""Journeys through the real pages in headless Chromium, under the app's strict CSP.

Locators go by label and role, as a screen reader would: a field without a label, or a
button without a name, makes these tests fail.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import NewPage

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


def register(page: Page, name: str, email: str) -> None:
    """Create an account through the register form; the person ends up logged in."""
    page.goto("/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Your name, as neighbours will see it").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome, {name}!")
    expect(page.get_by_role("heading", name="Communities", level=1)).to_be_visible()


def mark_document(page: Page) -> None:
    """Leave a mark on this document: a full page load would wipe it, an htmx swap does not."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def test_newcomer_starts_a_community_and_approves_a_neighbour(new_page: NewPage) -> None:
    coordinator = new_page()
    register(coordinator, "Nia Newcomer", "nia@example.org")

    coordinator.get_by_role("button", name="Start a community").click()
    expect(coordinator.get_by_role("heading", name="Start a community")).to_be_visible()
    coordinator.get_by_label("Name", exact=True).fill("Elm Street")
    coordinator.get_by_label("Description").fill("Neighbours around Elm Street sharing tools.")
    coordinator.get_by_role("group", name="Who can join").get_by_label(
        "A coordinator approves each new member"
    ).check()
    coordinator.get_by_label("Centre latitude").fill("51.4545")
    coordinator.get_by_label("Centre longitude").fill("-2.5879")
    coordinator.get_by_label("Radius in kilometres").fill("1.5")
    coordinator.get_by_role("button", name="Create the community").click()

    expect(coordinator.get_by_role("heading", name="Elm Street", level=1)).to_be_visible()
    expect(coordinator.get_by_role("status")).to_contain_text("Elm Street is ready.")
    expect(coordinator.get_by_text("Coordinators approve new members")).to_be_visible()
    expect(coordinator.get_by_text("You are a coordinator of Elm Street.")).to_be_visible()
    community_url = coordinator.url
    assert re.search(r"/communities/[\w-]+$", community_url), community_url

    neighbour = new_page()
    register(neighbour, "Omar Neighbour", "omar@example.org")
    neighbour.goto(community_url)
    neighbour.get_by_role("button", name="Ask to join").click()
    expect(neighbour.get_by_text("You have asked to join.")).to_be_visible()
    expect(neighbour.get_by_role("status")).to_contain_text("Your request is sent.")
    expect(neighbour.get_by_role("button", name="Withdraw my request")).to_be_visible()

    coordinator.get_by_role("button", name="Members and requests").click()
    expect(coordinator.get_by_role("heading", name="Asking to join (1)")).to_be_visible()
    mark_document(coordinator)
    request_row = coordinator.get_by_role("row").filter(has_text="Omar Neighbour")
    request_row.get_by_role("button", name="Approve").click()
    expect(coordinator.get_by_role("heading", name="Asking to join (0)")).to_be_visible()
    expect(coordinator.get_by_role("heading", name="Members (2)")).to_be_visible()
    member_row = coordinator.get_by_role("row").filter(has_text="Omar Neighbour")
    expect(member_row.get_by_role("cell", name="Member", exact=True)).to_be_visible()
    expect(member_row.get_by_role("link", name="Omar Neighbour")).to_be_visible()
    assert_same_document(coordinator)

    neighbour.reload()
    expect(neighbour.get_by_text("You are a member of Elm Street.")).to_be_visible()
    expect(neighbour.get_by_role("button", name="Leave this community")).to_be_visible()

    coordinator.problems.assert_clean()
    neighbour.problems.assert_clean()


def test_availability_slots_are_added_and_removed_in_place(page: Page) -> None:
    register(page, "Sam Slots", "sam@example.org")
    page.get_by_role("link", name="My profile").click()
    expect(page.get_by_role("heading", name="When I'm usually free")).to_be_visible()
    slots = page.locator("#slots")
    expect(slots.get_by_text("No times yet.")).to_be_visible()
    mark_document(page)

    slots.get_by_label("Day").select_option(label="Wednesday")
    slots.get_by_label("From").fill("18:00")
    slots.get_by_label("Until").fill("20:00")
    slots.get_by_role("button", name="Add this time").click()
    expect(slots.get_by_role("listitem").filter(has_text="wed 18:00-20:00")).to_be_visible()
    expect(slots.get_by_text("No times yet.")).to_be_hidden()

    slots.get_by_role("button", name="Remove wed 18:00-20:00").click()
    expect(slots.get_by_text("No times yet.")).to_be_visible()
    expect(slots.get_by_role("listitem")).to_have_count(0)

    slots.get_by_label("Day").select_option(label="Friday")
    slots.get_by_label("From").fill("20:00")
    slots.get_by_label("Until").fill("18:00")
    slots.get_by_role("button", name="Add this time").click()
    until = slots.get_by_label("Until")
    expect(until).to_have_attribute("aria-invalid", "true")
    expect(until).to_have_accessible_description(
        re.compile("The end time must be after the start time.")
    )
    expect(slots.get_by_text("The end time must be after the start time.")).to_be_visible()
    expect(slots.get_by_label("From")).to_have_value("20:00")
    expect(slots.get_by_text("No times yet.")).to_be_visible()

    assert_same_document(page)
    page.problems.assert_clean(allow_expected_statuses=True)


def test_a_wrong_password_is_answered_inline_and_keeps_the_email(page: Page) -> None:
    page.goto("/login")
    mark_document(page)
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill("not the right password")
    page.get_by_role("button", name="Log in").click()

    password = page.get_by_label("Password")
    expect(password).to_have_accessible_description(re.compile("don't match an account"))
    expect(page.get_by_text("That email and password don't match an account.")).to_be_visible()
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Email")).to_have_value("nobody@example.org")
    expect(page).to_have_url(re.compile(r"/login$"))
    assert_same_document(page)
    page.problems.assert_clean(allow_expected_statuses=True)
