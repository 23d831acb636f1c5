"""A matching round in headless Chromium: Elm Street's coordinator runs a round on the
community's matching page, takes one pair out, sends the rest; the need's author opens the
proposal from her notifications and takes it up, landing on the conversation with the offer's
author. Rows are made through the services, as in the other journeys."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from commons.accounts import services as accounts
from commons.extensions import db
from commons.posts.services import PostInput, create_post
from tests.browser.conftest import log_in, start_elm_street
from tests.conftest import PASSWORD, _make_app

from .conftest import NewPage

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Street:
    slug: str
    bike_offer_id: int


@pytest.fixture
def street(schema: str, live_server: str) -> Street:
    """Nia coordinates Elm Street. Mia's bike needs mending and Otto's gutters need a ladder;
    Bob mends bikes and lends a ladder. Nothing has been matched yet."""
    app = _make_app(schema)
    with app.app_context():
        nia = accounts.register("nia@example.org", "Nia Coordinator", PASSWORD)
        mia = accounts.register("mia@example.org", "Mia Member", PASSWORD)
        otto = accounts.register("otto@example.org", "Otto Other", PASSWORD)
        bob = accounts.register("bob@example.org", "Bob Bikes", PASSWORD)
        community = start_elm_street(nia, mia, otto, bob)

        def publish(author, kind: str, title: str, description: str, category: str) -> int:
            data = PostInput(kind, title, description, category, community.id)
            return create_post(author, data).id

        publish(
            mia,
            "need",
            "Bicycle repair needed",
            "My bike has a flat tyre and the brakes squeak.",
            "repairs",
        )
        publish(
            otto,
            "need",
            "Ladder to clear my gutters",
            "I need to borrow a tall ladder to clean out the gutters this weekend.",
            "tools",
        )
        bike_offer_id = publish(
            bob,
            "offer",
            "I can fix bikes",
            "Punctures, brakes, gears: bring your bicycle round and I will mend it.",
            "repairs",
        )
        publish(
            bob,
            "offer",
            "Tall ladder to lend",
            "An aluminium ladder, tall enough for gutters; borrow it for the weekend.",
            "tools",
        )
        found = Street(community.slug, bike_offer_id)
        db.session.remove()
        db.engine.dispose()
    return found


def test_a_round_is_reviewed_sent_and_taken_up(new_page: NewPage, street: Street) -> None:
    # Nia runs a round from Elm Street's page.
    nia = new_page()
    log_in(nia, "nia@example.org")
    nia.goto(f"/communities/{street.slug}")
    nia.get_by_role("button", name="Matching rounds").click()
    expect(nia.get_by_role("heading", name="Matching rounds in Elm Street")).to_be_visible()
    expect(nia.get_by_text("No rounds yet.")).to_be_visible()
    nia.get_by_role("button", name="Run a matching round").click()
    expect(nia.get_by_role("heading", name="Matching round in Elm Street")).to_be_visible()
    expect(nia.get_by_role("status")).to_contain_text("The round found 2 pairs.")
    review = nia.locator("#review")
    bike_row = review.get_by_role("row").filter(has_text="Bicycle repair needed")
    ladder_row = review.get_by_role("row").filter(has_text="Ladder to clear my gutters")
    expect(bike_row).to_contain_text("I can fix bikes")
    expect(ladder_row).to_contain_text("Tall ladder to lend")
    expect(bike_row.locator(".reasons li").first).to_be_visible()

    # She takes the ladder pair out, in place, and sends the rest.
    nia.evaluate("window.__sameDocument = true")
    ladder_row.get_by_role("button", name="Remove").click()
    expect(ladder_row).to_have_count(0)
    expect(bike_row).to_be_visible()
    assert nia.evaluate("window.__sameDocument === true"), "the page was reloaded"
    nia.get_by_role("button", name="Send 1 proposal").click()
    expect(nia.get_by_role("status")).to_contain_text("Sent 1 proposal: both sides have been told.")
    expect(bike_row).to_contain_text("Waiting")
    expect(nia.get_by_role("button", name=re.compile("^Send"))).to_have_count(0)
    expect(nia.get_by_role("button", name="Remove")).to_have_count(0)

    # Mia opens the proposal from her notifications and takes it up.
    mia = new_page()
    log_in(mia, "mia@example.org")
    mia.get_by_role("link", name="Notifications 1 unread").click()
    mia.get_by_role(
        "button",
        name="Elm Street suggests “I can fix bikes” for your need “Bicycle repair needed”.",
    ).click()
    expect(mia.get_by_role("heading", name="A suggested match")).to_be_visible()
    expect(mia.get_by_role("link", name="“I can fix bikes”")).to_be_visible()
    expect(mia.get_by_role("heading", name="Why")).to_be_visible()
    mia.get_by_role("button", name="Ask for this offer").click()

    expect(mia).to_have_url(re.compile(r"/claims/\d+$"))
    expect(mia.get_by_role("status")).to_contain_text(
        "Done: your answer is sent. Talk it through here."
    )
    expect(mia.get_by_text("Suggested for my need “Bicycle repair needed”.")).to_be_visible()
    expect(mia.get_by_role("link", name="I can fix bikes").first).to_have_attribute(
        "href", f"/posts/{street.bike_offer_id}"
    )

    # Otto's ladder pair was taken out: he was never told of it.
    otto = new_page()
    log_in(otto, "otto@example.org")
    expect(otto.get_by_role("link", name="Notifications", exact=True)).to_be_visible()

    for page in (nia, mia, otto):
        page.problems.assert_clean()
