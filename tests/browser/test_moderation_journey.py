"""Moderation in headless Chromium: a member reports a post, the coordinator opens the queue
from her notification, hides the post in place, the post is gone from browse, and the log
says who did it and why."""

from __future__ import annotations

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
    post_id: int


@pytest.fixture
def street(schema: str, live_server: str) -> Street:
    """Nia coordinates Elm Street; Omar offers "cheap watches" there; Pia lives there too."""
    app = _make_app(schema)
    with app.app_context():
        nia = accounts.register("nia@example.org", "Nia Coordinator", PASSWORD)
        omar = accounts.register("omar@example.org", "Omar Seller", PASSWORD)
        pia = accounts.register("pia@example.org", "Pia Neighbour", PASSWORD)
        community = start_elm_street(nia, omar, pia)
        spam = create_post(
            omar,
            PostInput(
                kind="offer",
                title="Cheap watches",
                description="Send your bank details to get one.",
                category="other",
                community_id=community.id,
            ),
        )
        found = Street(community.slug, spam.id)
        db.session.remove()
        db.engine.dispose()
    return found


def test_report_hide_and_read_the_log(new_page: NewPage, street: Street) -> None:
    # Pia reports the post from its page.
    pia = new_page()
    log_in(pia, "pia@example.org")
    pia.goto("/posts")
    pia.get_by_role("link", name="Cheap watches").click()
    pia.get_by_role("link", name="Report this post to the coordinators").click()
    pia.get_by_label("What is wrong?").fill("Asks for bank details: a scam.")
    pia.get_by_role("button", name="Send the report").click()
    expect(
        pia.get_by_text("The coordinators of Elm Street will look at your report.")
    ).to_be_visible()

    # Nia opens the queue from her notification and sees the report with the post.
    nia = new_page()
    log_in(nia, "nia@example.org")
    nia.get_by_role("link", name="Notifications 1 unread").click()
    nia.get_by_role("button", name="New report in Elm Street: the post “Cheap watches”.").click()
    expect(nia.get_by_role("heading", name="Moderation in Elm Street")).to_be_visible()
    report = nia.get_by_role("article").filter(has_text="Asks for bank details: a scam.")
    expect(report).to_contain_text("Send your bank details to get one.")
    expect(report).to_contain_text("Reported by Pia Neighbour")

    # She hides the post with a note, in place (htmx), and the report moves to "handled".
    nia.evaluate("window.__sameDocument = true")
    report.get_by_label("Note").fill("Scam: asks for bank details.")
    report.get_by_role("button", name="Hide the post").click()
    expect(nia.get_by_role("status")).to_contain_text("The post is hidden.")
    expect(nia.get_by_text("No open reports.")).to_be_visible()
    handled = nia.get_by_role("region", name="Recently handled")
    expect(handled).to_contain_text("post hidden by Nia Coordinator")
    assert nia.evaluate("window.__sameDocument === true"), "the page was reloaded"

    # The post is gone from browse and search, for Pia and for Nia.
    for page in (pia, nia):
        page.goto("/posts")
        expect(page.get_by_role("heading", name="Offers and needs")).to_be_visible()
        expect(page.get_by_role("link", name="Cheap watches")).to_have_count(0)
        page.goto("/posts?q=watches")
        expect(page.get_by_role("link", name="Cheap watches")).to_have_count(0)

    # The log says who hid what, and why.
    nia.goto(f"/communities/{street.slug}/moderation")
    nia.get_by_role("link", name="the moderation log").click()
    expect(nia.get_by_role("heading", name="Moderation log of Elm Street")).to_be_visible()
    row = nia.get_by_role("row").filter(has_text="Post hidden")
    expect(row).to_contain_text("Nia Coordinator")
    expect(row).to_contain_text("the post “Cheap watches”")
    expect(row).to_contain_text("Scam: asks for bank details.")

    for page in (pia, nia):
        page.problems.assert_clean()
