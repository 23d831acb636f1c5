"""The time bank in headless Chromium: Mia sends Otto hours for a bike repair and both balances
show it; Otto asks Mia to confirm hours for cat sitting, and she confirms in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from commons.accounts import services as accounts
from commons.extensions import db
from tests.browser.conftest import log_in, start_elm_street
from tests.conftest import PASSWORD, _make_app

from .conftest import NewPage

pytestmark = pytest.mark.browser


@pytest.fixture
def elm_street(schema: str, live_server: str) -> None:
    """Mia and Otto are neighbours in Elm Street; neither has traded hours yet."""
    app = _make_app(schema)
    with app.app_context():
        mia = accounts.register("mia@example.org", "Mia Member", PASSWORD)
        otto = accounts.register("otto@example.org", "Otto Other", PASSWORD)
        start_elm_street(mia, otto)
        db.session.remove()
        db.engine.dispose()


def test_send_hours_and_confirm_a_request(new_page: NewPage, elm_street: None) -> None:
    # Mia finds the time bank in the menu and sends Otto an hour and a half.
    mia = new_page()
    log_in(mia, "mia@example.org")
    mia.get_by_role("navigation", name="Main").get_by_role("link", name="Time bank").click()
    expect(mia.get_by_role("heading", name="Time bank", level=1)).to_be_visible()
    expect(mia.locator("#my-balance")).to_have_text("0 h")
    sending = mia.get_by_role("region", name="Send hours")
    sending.get_by_label("Send to").select_option(label="Otto Other")
    sending.get_by_label("Hours", exact=True).fill("1.5")
    sending.get_by_label("What for").fill("Fixed my bike brakes")
    sending.get_by_role("button", name="Send hours").click()
    expect(mia.get_by_role("status")).to_contain_text("Sent 1½ h to Otto Other.")
    expect(mia.locator("#my-balance")).to_have_text("−1½ h")
    statement = mia.get_by_role("table")
    expect(statement).to_contain_text("Fixed my bike brakes")
    expect(statement).to_contain_text("−1½ h")

    # Otto is told, and his dashboard and time bank show the hours.
    otto = new_page()
    log_in(otto, "otto@example.org")
    expect(otto.get_by_role("region", name="Time bank")).to_contain_text("Your balance: 1½ h.")
    otto.get_by_role("link", name="Notifications 1 unread").click()
    expect(otto.get_by_text("Mia Member sent you 1½ h for “Fixed my bike brakes”.")).to_be_visible()
    otto.goto("/timebank")
    expect(otto.locator("#my-balance")).to_have_text("1½ h")

    # Otto fed Mia's cat: he asks her to confirm three quarters of an hour. A mistake first.
    asking = otto.get_by_role("region", name="Ask for hours")
    asking.get_by_label("Who owes you the hours").select_option(label="Mia Member")
    asking.get_by_label("Hours", exact=True).fill("0.8")
    asking.get_by_label("What for").fill("Fed your cat twice")
    asking.get_by_role("button", name="Ask for hours").click()
    expect(asking.get_by_text("Hours go in quarter hours")).to_be_visible()
    expect(asking.get_by_label("What for")).to_have_value("Fed your cat twice")
    asking.get_by_label("Hours", exact=True).fill("0.75")
    asking.get_by_role("button", name="Ask for hours").click()
    expect(otto.get_by_role("status")).to_contain_text("Asked Mia Member to confirm ¾ h.")
    expect(otto.locator("#my-balance")).to_have_text("1½ h")  # nothing moves yet

    # Mia confirms on her page, in place.
    mia.reload()
    waiting = mia.get_by_role("region", name="Waiting for you to confirm (1)")
    expect(waiting).to_contain_text("Otto Other asks you to confirm ¾ h for “Fed your cat twice”")
    mia.evaluate("window.__sameDocument = true")
    waiting.get_by_role("button", name="Confirm ¾ h to Otto Other").click()
    expect(mia.get_by_role("status")).to_contain_text("Confirmed: ¾ h went to Otto Other.")
    expect(mia.locator("#my-balance")).to_have_text("−2¼ h")
    expect(mia.get_by_role("region", name="Waiting for you to confirm (0)")).to_be_visible()
    assert mia.evaluate("window.__sameDocument === true"), "the page was reloaded"

    otto.reload()
    expect(otto.locator("#my-balance")).to_have_text("2¼ h")
    expect(otto.get_by_role("table")).to_contain_text("Fed your cat twice")

    mia.problems.assert_clean()  # type: ignore[attr-defined]
    otto.problems.assert_clean(allow_expected_statuses=True)  # type: ignore[attr-defined]
