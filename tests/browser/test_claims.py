"""A claim in headless Chromium: answering an offer, the author accepting in place, and the
private thread, where a message sent appears at once and the other side's arrives by polling."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from commons.accounts import services as accounts
from commons.extensions import db
from commons.posts.services import PostInput, create_post
from tests.browser.conftest import log_in, start_elm_street
from tests.conftest import PASSWORD, _make_app

from .conftest import NewPage

pytestmark = pytest.mark.browser


@pytest.fixture
def ladder_url(schema: str, live_server: str) -> str:
    """Mia offers a ladder in Elm Street; Otto lives there too."""
    app = _make_app(schema)
    with app.app_context():
        mia = accounts.register("mia@example.org", "Mia Member", PASSWORD)
        otto = accounts.register("otto@example.org", "Otto Other", PASSWORD)
        community = start_elm_street(mia, otto)
        post = create_post(
            mia,
            PostInput(
                kind="offer",
                title="Ladder to lend",
                description="A tall ladder.",
                category="tools",
                community_id=community.id,
            ),
        )
        url = f"/posts/{post.id}"
        db.session.remove()
        db.engine.dispose()
    return url


def test_answer_accept_and_talk(new_page: NewPage, ladder_url: str) -> None:
    otto = new_page()
    log_in(otto, "otto@example.org")
    otto.goto(ladder_url)
    otto.get_by_label("Your message").fill("Could I borrow it on Saturday?")
    otto.get_by_role("button", name="I'd like this").click()
    expect(otto.get_by_role("status")).to_contain_text("Sent. Mia Member has been told.")
    expect(otto.get_by_text("Waiting for Mia Member's answer.")).to_be_visible()
    claim_url = otto.url

    mia = new_page()
    log_in(mia, "mia@example.org")
    mia.goto(claim_url)
    expect(mia.get_by_text("Could I borrow it on Saturday?")).to_be_visible()
    mia.evaluate("window.__sameDocument = true")
    mia.get_by_role("button", name="Accept").click()
    expect(mia.get_by_role("status")).to_contain_text("Accepted. Say hello")
    expect(mia.get_by_role("button", name="Mark as done")).to_be_visible()

    # Mia writes: her message is added to her thread at once, and the form is empty again.
    thread = mia.get_by_role("region", name="Messages")
    thread.get_by_label("Message").fill("Come by at six.")
    thread.get_by_role("button", name="Send").click()
    expect(thread.get_by_role("listitem")).to_have_count(1)
    expect(thread.get_by_role("listitem")).to_contain_text("Come by at six.")
    expect(thread.get_by_label("Message")).to_have_value("")

    # Otto's page, open since before, fetches it by itself (it asks every 5 seconds).
    otto_thread = otto.get_by_role("region", name="Messages")
    expect(otto_thread.get_by_role("listitem")).to_contain_text("Come by at six.")
    otto_thread.get_by_label("Message").fill("See you then!")
    otto_thread.get_by_role("button", name="Send").click()
    expect(otto_thread.get_by_role("listitem")).to_have_count(2)

    expect(thread.get_by_role("listitem")).to_have_count(2)
    expect(thread.get_by_role("listitem").nth(1)).to_contain_text("See you then!")
    assert mia.evaluate("window.__sameDocument === true"), "the page was reloaded"

    # An empty message is answered in place with a clear message.
    thread.get_by_role("button", name="Send").click()
    expect(thread.get_by_text("Please write a message.")).to_be_visible()
    otto.problems.assert_clean()
    mia.problems.assert_clean(allow_expected_statuses=True)
