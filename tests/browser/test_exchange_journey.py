"""A whole exchange in headless Chromium, two people in two browser contexts: a resident asks
for help, a neighbour finds the need by searching and answers it, they talk in the claim's
private thread (each side's page fetching the other's messages by itself), the resident
accepts and marks it done, they thank each other, and the notification badges follow along.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from commons.accounts import services as accounts
from commons.extensions import db
from commons.posts.services import PostInput, create_post
from tests.browser.conftest import log_in, start_elm_street
from tests.conftest import PASSWORD, _make_app

from .conftest import NewPage

pytestmark = pytest.mark.browser

RESIDENT = "Rita Resident"
NEIGHBOUR = "Noah Neighbour"
NEED = "Help carrying a sofa upstairs"
# The thread asks for new messages every 5 seconds: one poll, with room to spare.
POLL_MS = 10_000


@pytest.fixture
def elm_street(schema: str, live_server: str) -> None:
    """Rita and Noah both live in Elm Street, where Noah already offers garden chairs."""
    app = _make_app(schema)
    with app.app_context():
        rita = accounts.register("rita@example.org", RESIDENT, PASSWORD)
        noah = accounts.register("noah@example.org", NEIGHBOUR, PASSWORD)
        community = start_elm_street(rita, noah)
        create_post(
            noah,
            PostInput(
                kind="offer",
                title="Garden chairs to lend",
                description="Four folding chairs.",
                category="household",
                community_id=community.id,
            ),
        )
        db.session.remove()
        db.engine.dispose()


def badge(page: Page) -> Locator:
    """The notifications link in the main navigation, with its unread count."""
    main_nav = page.get_by_role("navigation", name="Main")
    return main_nav.get_by_role("link", name=re.compile(r"^Notifications"))


def expect_message(thread: Locator, index: int, author: str, body: str) -> None:
    """The thread's message at `index` is `body`, shown as written by `author`."""
    message = thread.get_by_role("listitem").nth(index)
    expect(message.get_by_text(author, exact=True)).to_be_visible()
    expect(message.get_by_text(body, exact=True)).to_be_visible()


def mark_document(page: Page) -> None:
    """Leave a mark on this document: a full page load would wipe it, an htmx swap does not."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def test_a_need_is_found_answered_talked_over_done_and_thanked(
    new_page: NewPage, elm_street: None
) -> None:
    # Rita asks for help through the form.
    rita = new_page()
    log_in(rita, "rita@example.org")
    expect(badge(rita)).to_have_text("Notifications")
    rita.goto("/posts/new")
    expect(rita.get_by_role("heading", name="Offer or ask", level=1)).to_be_visible()
    rita.get_by_role("group", name="What is it?").get_by_label("I need this").check()
    rita.get_by_label("Title", exact=True).fill(NEED)
    rita.get_by_label("Description").fill("A two-seater, to the second floor, on Saturday.")
    rita.get_by_label("Category", exact=True).select_option(label="Moving & lifting")
    rita.get_by_label("Community", exact=True).select_option(label="Elm Street")
    rita.get_by_role("button", name="Publish").click()
    expect(rita.get_by_role("heading", name=NEED, level=1)).to_be_visible()
    expect(rita.get_by_role("status")).to_contain_text("Your post is up.")
    expect(rita.get_by_role("heading", name="Answers (0)")).to_be_visible()

    # Noah finds it by searching, among the posts of Elm Street.
    noah = new_page()
    log_in(noah, "noah@example.org")
    noah.goto("/posts")
    results = noah.locator("#post-results")
    expect(results.get_by_role("link", name="Garden chairs to lend")).to_be_visible()
    noah.get_by_role("searchbox", name="Search").fill("sofa")
    expect(noah).to_have_url(re.compile(r"[?&]q=sofa"))
    expect(results.get_by_role("link", name="Garden chairs to lend")).to_be_hidden()
    results.get_by_role("link", name=NEED).click()
    expect(noah.get_by_role("heading", name=NEED, level=1)).to_be_visible()

    answer = noah.get_by_role("region", name="I can help")
    answer.get_by_label("Your message").fill("I'm free on Saturday morning, and strong.")
    answer.get_by_role("button", name="I can help").click()
    expect(noah.get_by_role("status")).to_contain_text(f"Sent. {RESIDENT} has been told.")
    expect(noah.get_by_text(f"Waiting for {RESIDENT}'s answer.")).to_be_visible()
    claim_url = noah.url
    assert re.search(r"/claims/\d+$", claim_url), claim_url
    mark_document(noah)

    # Rita's badge counts Noah's answer; she opens the claim from her post's answers.
    rita.reload()
    expect(badge(rita)).to_have_text("Notifications 1 unread")
    expect(rita.get_by_role("heading", name="Answers (1)")).to_be_visible()
    rita.get_by_role("row").filter(has_text=NEIGHBOUR).get_by_role("link", name=NEIGHBOUR).click()
    expect(rita).to_have_url(claim_url)
    expect(rita.get_by_text("I'm free on Saturday morning, and strong.")).to_be_visible()
    expect(rita.get_by_text(f"{NEIGHBOUR} is waiting for your answer.")).to_be_visible()
    mark_document(rita)

    # Two messages, each arriving on the other's open page by the thread's polling.
    rita_thread = rita.get_by_role("region", name="Messages")
    noah_thread = noah.get_by_role("region", name="Messages")
    rita_thread.get_by_label("Message").fill("Wonderful! Could you come at ten?")
    rita_thread.get_by_role("button", name="Send").click()
    expect(rita_thread.get_by_role("listitem")).to_have_count(1)
    expect(rita_thread.get_by_label("Message")).to_have_value("")
    expect(noah_thread.get_by_role("listitem")).to_have_count(1, timeout=POLL_MS)
    expect_message(noah_thread, 0, RESIDENT, "Wonderful! Could you come at ten?")

    noah_thread.get_by_label("Message").fill("Ten is fine. See you then.")
    noah_thread.get_by_role("button", name="Send").click()
    expect(noah_thread.get_by_role("listitem")).to_have_count(2)
    expect_message(noah_thread, 1, "You", "Ten is fine. See you then.")
    expect(rita_thread.get_by_role("listitem")).to_have_count(2, timeout=POLL_MS)
    expect_message(rita_thread, 0, "You", "Wonderful! Could you come at ten?")
    expect_message(rita_thread, 1, NEIGHBOUR, "Ten is fine. See you then.")
    assert_same_document(rita)
    assert_same_document(noah)

    # Rita accepts, then marks it done, in place.
    standing = rita.get_by_role("region", name="Where this stands")
    standing.get_by_role("button", name="Accept").click()
    expect(rita.get_by_role("status")).to_contain_text("Accepted. Say hello")
    standing.get_by_role("button", name="Mark as done").click()
    expect(rita.get_by_role("status")).to_contain_text("Marked as done. You can now say thanks.")
    expect(standing.get_by_text("No thanks yet.")).to_be_visible()

    # Rita thanks Noah.
    standing.get_by_label("Your thanks").fill("Thank you Noah, the sofa is finally upstairs!")
    standing.get_by_role("button", name="Say thanks").click()
    expect(rita.get_by_role("status")).to_contain_text("Thank you. They have been told.")
    rita_thanks = standing.get_by_role("blockquote")
    expect(rita_thanks).to_have_count(1)
    expect(rita_thanks).to_contain_text("Thank you Noah, the sofa is finally upstairs!")
    expect(rita_thanks).to_contain_text(RESIDENT)
    expect(standing.get_by_role("button", name="Say thanks")).to_have_count(0)
    assert_same_document(rita)

    # Noah sees it done, with Rita's thanks, and thanks her back.
    noah.reload()
    noah_standing = noah.get_by_role("region", name="Where this stands")
    expect(noah_standing).to_contain_text("Done on")
    expect(noah_standing.get_by_role("blockquote")).to_contain_text(
        "Thank you Noah, the sofa is finally upstairs!"
    )
    noah_standing.get_by_label("Your thanks").fill("A pleasure, Rita. Enjoy the sofa.")
    noah_standing.get_by_role("button", name="Say thanks").click()
    expect(noah.get_by_role("status")).to_contain_text("Thank you. They have been told.")
    expect(noah_standing.get_by_role("blockquote")).to_have_count(2)
    expect(noah_standing.get_by_role("blockquote").nth(1)).to_contain_text(
        "A pleasure, Rita. Enjoy the sofa."
    )
    expect(noah_standing.get_by_role("blockquote").nth(1)).to_contain_text(NEIGHBOUR)

    # Rita sees both thanks; her badge: the answer, Noah's message and his thanks.
    rita.reload()
    rita_quotes = rita.get_by_role("region", name="Where this stands").get_by_role("blockquote")
    expect(rita_quotes).to_have_count(2)
    expect(rita_quotes.nth(1)).to_contain_text("A pleasure, Rita. Enjoy the sofa.")
    expect(rita.get_by_role("button", name="Say thanks")).to_have_count(0)
    expect(badge(rita)).to_have_text("Notifications 3 unread")

    # Noah's badge: Rita's message, the accept, the completion and her thanks.
    expect(badge(noah)).to_have_text("Notifications 4 unread")
    badge(noah).click()
    expect(noah.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    listing = noah.get_by_role("region", name="Your notifications")
    expect(listing.get_by_text("4 unread", exact=True)).to_be_visible()
    expect(listing.get_by_role("listitem")).to_have_count(4)
    for text in (
        f"{RESIDENT} wrote about “{NEED}”.",
        f"{RESIDENT} accepted your answer to “{NEED}”.",
        f"{RESIDENT} marked “{NEED}” as done. You can say thanks.",
        f"{RESIDENT} thanked you for “{NEED}”.",
    ):
        expect(listing.get_by_role("button", name=text)).to_be_visible()
    mark_document(noah)
    listing.get_by_role("button", name="Mark all as read").click()
    expect(listing.get_by_text("You have read everything.")).to_be_visible()
    expect(badge(noah)).to_have_text("Notifications")
    expect(listing.get_by_role("button", name="Mark as read")).to_have_count(0)
    assert_same_document(noah)

    rita.problems.assert_clean()
    noah.problems.assert_clean()
