"""The community dashboard in headless Chromium: Nia, who coordinates Elm Street, opens it from
the community's page, switches to the last 12 weeks in place, and downloads the CSV."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from commons.accounts import services as accounts
from commons.claims import services as claims
from commons.database import now_utc
from commons.extensions import db
from commons.posts.services import PostInput, create_post
from tests.browser.conftest import log_in, start_elm_street
from tests.conftest import PASSWORD, _make_app

from .conftest import NewPage

pytestmark = pytest.mark.browser


@pytest.fixture
def elm_street(schema: str, live_server: str) -> None:
    """Nia founds Elm Street; Mia needs a lift, which Nia gives (accepted), and offers soup."""
    app = _make_app(schema)
    with app.app_context():
        nia = accounts.register("nia@example.org", "Nia North", PASSWORD)
        mia = accounts.register("mia@example.org", "Mia Member", PASSWORD)
        community = start_elm_street(nia, mia)

        def publish(kind: str, title: str, category: str):
            return create_post(
                mia,
                PostInput(
                    kind=kind,
                    title=title,
                    description="",
                    category=category,
                    community_id=community.id,
                ),
            )

        lift = publish("need", "Lift to the clinic", "transport")
        claims.accept(mia, claims.make_claim(nia, lift, "I'll drive you."))
        publish("offer", "Soup on Sundays", "food")
        db.session.remove()
        db.engine.dispose()


def test_open_switch_and_download(new_page: NewPage, elm_street: None) -> None:
    nia = new_page()
    log_in(nia, "nia@example.org")
    nia.goto("/communities/elm-street")
    nia.get_by_role("button", name="Dashboard").click()

    expect(nia.get_by_role("heading", name="Dashboard of Elm Street")).to_be_visible()
    expect(nia.get_by_role("heading", name="In the last 4 weeks")).to_be_visible()
    expect(nia.locator("#needs-met")).to_have_text("100%")
    expect(nia.get_by_role("heading", name="Open now: 1 offer and 0 needs")).to_be_visible()
    expect(
        nia.get_by_role("img", name="Open offers and needs in Elm Street by category")
    ).to_be_visible()
    expect(nia.get_by_role("img", name="New posts, claims and new members")).to_be_visible()
    expect(nia.get_by_role("link", name="Last 4 weeks")).to_have_attribute("aria-current", "page")

    # The switch replaces the figures in place and keeps an address that can be shared.
    nia.evaluate("window.__sameDocument = true")
    nia.get_by_role("link", name="Last 12 weeks").click()
    expect(nia.get_by_role("heading", name="In the last 12 weeks")).to_be_visible()
    expect(nia.get_by_role("link", name="Last 12 weeks")).to_have_attribute("aria-current", "page")
    expect(nia).to_have_url(re.compile(r"/communities/elm-street/dashboard\?weeks=12$"))
    assert nia.evaluate("window.__sameDocument === true"), "the page was reloaded"
    rows = nia.get_by_role("table", name="New posts, claims and new members per week")
    expect(rows.locator("tbody tr")).to_have_count(12)

    with nia.expect_download() as info:
        nia.get_by_role("link", name="Download the figures (CSV)").click()
    download = info.value
    assert download.suggested_filename == f"elm-street-dashboard-{now_utc():%Y-%m-%d}.csv"
    with open(download.path(), encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file))
    assert table[0][:3] == ["community", "figure", "window"]
    shares = {row[2]: row[6] for row in table if row[1] == "share of needs met"}
    assert shares == {"last 4 weeks": "100", "last 12 weeks": "100"}

    nia.problems.assert_clean()
