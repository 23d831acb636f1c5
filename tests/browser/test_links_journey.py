"""Linking two communities in headless Chromium: Northside's coordinator proposes, Southside's
accepts, a Southside member answers a Northside need shared with linked communities; then
Northside ends the link and the need is gone from Southside's browse page (the answer stays)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from commons.accounts import services as accounts
from commons.communities import services as communities
from commons.extensions import db
from commons.posts.services import PostInput, create_post
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, _make_app

from .conftest import NewPage

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Neighbours:
    need_id: int


@pytest.fixture
def neighbours(schema: str, live_server: str) -> Neighbours:
    """Nia coordinates Northside, where Mia needs a lift (shared with linked communities);
    Axel coordinates Southside, where Wes lives. Nothing is linked yet."""
    app = _make_app(schema)
    with app.app_context():
        nia = accounts.register("nia@example.org", "Nia North", PASSWORD)
        mia = accounts.register("mia@example.org", "Mia Member", PASSWORD)
        axel = accounts.register("axel@example.org", "Axel South", PASSWORD)
        wes = accounts.register("wes@example.org", "Wes Away", PASSWORD)
        places = {"Northside": (51.47, -2.59), "Southside": (51.40, -2.60)}
        made = {}
        for (name, (lat, lon)), founder, member in zip(
            places.items(), (nia, axel), (mia, wes), strict=True
        ):
            made[name] = communities.create_community(
                founder,
                name=name,
                description="",
                join_policy="open",
                centre_lat=lat,
                centre_lon=lon,
                radius_km=2,
                neighbourhoods=[],
            )
            communities.join(member, made[name])
        need = create_post(
            mia,
            PostInput(
                kind="need",
                title="Lift to the clinic",
                description="Tuesday at 10:30, I can't manage the bus.",
                category="transport",
                community_id=made["Northside"].id,
                visibility="linked",
            ),
        )
        found = Neighbours(need.id)
        db.session.remove()
        db.engine.dispose()
    return found


def test_link_answer_across_and_revoke(new_page: NewPage, neighbours: Neighbours) -> None:
    # Wes cannot see Northside's need before the link.
    wes = new_page()
    log_in(wes, "wes@example.org")
    wes.goto("/posts")
    expect(wes.get_by_role("heading", name="Offers and needs")).to_be_visible()
    expect(wes.get_by_role("link", name="Lift to the clinic")).to_have_count(0)

    # Nia proposes a link with Southside from Northside's links page, in place.
    nia = new_page()
    log_in(nia, "nia@example.org")
    nia.goto("/communities/northside")
    nia.get_by_role("button", name="Links with other communities").click()
    expect(nia.get_by_role("heading", name="Links of Northside")).to_be_visible()
    nia.evaluate("window.__sameDocument = true")
    proposal = nia.locator("article", has=nia.get_by_role("heading", name="Southside"))
    proposal.get_by_text("Propose a link with Southside").click()
    expect(proposal.get_by_label("Offers")).to_be_checked()
    expect(proposal.get_by_label("Needs")).to_be_checked()
    proposal.get_by_label("Message to their coordinators").fill("Neighbours across the park!")
    proposal.get_by_role("button", name="Propose the link").click()
    expect(nia.get_by_role("status")).to_contain_text("Your proposal is sent.")
    expect(nia.get_by_role("button", name="Withdraw the proposal to Southside")).to_be_visible()
    assert nia.evaluate("window.__sameDocument === true"), "the page was reloaded"

    # Axel is told, and accepts.
    axel = new_page()
    log_in(axel, "axel@example.org")
    axel.get_by_role("link", name="Notifications 1 unread").click()
    expect(axel.get_by_text("Northside proposes a link with Southside")).to_be_visible()
    axel.goto("/communities/southside/links")
    expect(axel.get_by_text("Neighbours across the park!")).to_be_visible()
    axel.get_by_role("button", name="Accept the link with Northside").click()
    expect(axel.get_by_role("status")).to_contain_text(
        "Accepted: Northside and Southside are linked."
    )
    expect(axel.get_by_role("button", name="End the link with Northside")).to_be_visible()

    # Wes now finds the need, marked as coming from Northside, and offers a lift.
    wes.goto("/posts")
    card = wes.locator(f"#post-{neighbours.need_id}")
    expect(card).to_contain_text("from Northside")
    card.get_by_role("link", name="Lift to the clinic").click()
    wes.get_by_label("Your message").fill("I drive past the clinic on Tuesdays.")
    wes.get_by_role("button", name="I can help").click()
    expect(wes.get_by_role("status")).to_contain_text("Sent. Mia Member has been told.")
    claim_url = wes.url

    # Nia ends the link (after confirming); the need leaves Southside's browse page at once.
    nia.reload()
    expect(nia.get_by_text("Sharing offers and needs since")).to_be_visible()
    nia.once("dialog", lambda dialog: dialog.accept())
    nia.get_by_role("button", name="End the link with Southside").click()
    expect(nia.get_by_role("status")).to_contain_text("The link with Southside has ended.")
    expect(nia.get_by_text("Northside is not linked with any community yet.")).to_be_visible()

    wes.goto("/posts")
    expect(wes.get_by_role("heading", name="Offers and needs")).to_be_visible()
    expect(wes.get_by_role("link", name="Lift to the clinic")).to_have_count(0)
    # Wes's answer carries on: his claim and its thread are still his.
    wes.goto(claim_url)
    expect(wes.get_by_text("I drive past the clinic on Tuesdays.")).to_be_visible()

    for page in (wes, nia, axel):
        page.problems.assert_clean()
