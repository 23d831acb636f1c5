"""Notifications and moderation in headless Chromium: the badge follows what is read, a block
asks first and swaps in place, and a report reaches the coordinator's list."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from commons.accounts import services as accounts
from commons.database import write_transaction
from commons.extensions import db
from commons.notifications.services import notify
from tests.browser.conftest import log_in, start_elm_street
from tests.conftest import PASSWORD, _make_app

from .conftest import NewPage

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class People:
    slug: str
    coordinator_id: int
    pia_id: int


@pytest.fixture
def people(schema: str, live_server: str) -> People:
    """Nia coordinates Elm Street; Omar and Pia live there. Omar has two notifications."""
    app = _make_app(schema)
    with app.app_context():
        nia = accounts.register("nia@example.org", "Nia Coordinator", PASSWORD)
        omar = accounts.register("omar@example.org", "Omar Member", PASSWORD)
        pia = accounts.register("pia@example.org", "Pia Neighbour", PASSWORD)
        community = start_elm_street(nia, omar, pia)
        with write_transaction():
            notify(omar, "claim", "Pia would like your ladder", "/")
            notify(omar, "message", "Pia wrote to you", "/")
        found = People(community.slug, nia.id, pia.id)
        db.session.remove()
        db.engine.dispose()
    return found


def test_reading_notifications_updates_the_badge_in_place(page: Page, people: People) -> None:
    log_in(page, "omar@example.org")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Notifications 2 unread").click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    page.evaluate("window.__sameDocument = true")

    listing = page.get_by_role("region", name="Your notifications")
    listing.get_by_role("button", name="Mark as read").first.click()
    expect(listing.get_by_text("1 unread", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Notifications 1 unread")).to_be_visible()

    listing.get_by_role("button", name="Mark all as read").click()
    expect(listing.get_by_text("You have read everything.")).to_be_visible()
    expect(nav.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Mark as read")).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    page.problems.assert_clean()


def test_block_and_report_from_a_profile(new_page: NewPage, people: People) -> None:
    omar = new_page()
    log_in(omar, "omar@example.org")
    omar.goto(f"/members/{people.pia_id}")
    omar.once("dialog", lambda dialog: dialog.accept())
    omar.get_by_role("button", name="Block Pia Neighbour").click()
    expect(omar.get_by_text("You have blocked Pia Neighbour:")).to_be_visible()
    expect(omar.get_by_role("status")).to_contain_text("You have blocked Pia Neighbour.")
    expect(omar.get_by_role("button", name="Unblock Pia Neighbour")).to_be_visible()

    omar.get_by_role("link", name="Report Pia Neighbour").click()
    expect(omar.get_by_role("heading", name="Report Pia Neighbour")).to_be_visible()
    omar.get_by_role("button", name="Send the report").click()
    reason = omar.get_by_label("What is wrong?")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(omar.get_by_text("Please say what is wrong.")).to_be_visible()
    reason.fill("Keeps knocking late at night.")
    omar.get_by_role("button", name="Send the report").click()
    expect(
        omar.get_by_text("The coordinators of Elm Street will look at your report.")
    ).to_be_visible()
    omar.problems.assert_clean(allow_expected_statuses=True)

    nia = new_page()
    log_in(nia, "nia@example.org")
    nia.get_by_role("link", name="Notifications 1 unread").click()
    nia.get_by_role("button", name="New report in Elm Street: the member Pia Neighbour.").click()
    expect(nia.get_by_role("heading", name="Moderation in Elm Street")).to_be_visible()
    expect(nia.get_by_text("Keeps knocking late at night.")).to_be_visible()
    expect(nia.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    nia.problems.assert_clean()
