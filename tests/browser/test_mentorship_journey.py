"""Mentoring in headless Chromium, two people in two browser contexts: a learner finds a mentor
by topic and asks, the mentor sees the request and accepts, the learner proposes one of the
suggested times, the mentor confirms it, the time comes, the mentor marks the session done, the
learner pays an hour for it through the time bank, and both balances show it.

Waiting for the session's start is time travel (time-machine, with the clock ticking on): it
moves the clock of this whole process, so the live server's threads see the session begin.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from playwright.sync_api import Locator, Page, expect

from commons.accounts import services as accounts
from commons.extensions import db
from commons.mentorship import services as mentoring
from commons.profiles import services as profiles
from tests.browser.conftest import log_in, start_elm_street
from tests.conftest import PASSWORD, _make_app

from .conftest import NewPage

pytestmark = pytest.mark.browser

LEARNER = "Lea Learner"
MENTOR = "Max Mentor"
OTHER_MENTOR = "Pia Pianist"
PLACE = "Elm Street library, upstairs"


@pytest.fixture
def elm_street(schema: str, live_server: str) -> None:
    """Lea, Max and Pia live in Elm Street. Max mentors guitar, Pia piano. Lea and Max are
    both free every day from 8 in the morning to 9 at night, so there are times to suggest."""
    app = _make_app(schema)
    with app.app_context():
        lea = accounts.register("lea@example.org", LEARNER, PASSWORD)
        max_ = accounts.register("max@example.org", MENTOR, PASSWORD)
        pia = accounts.register("pia@example.org", OTHER_MENTOR, PASSWORD)
        start_elm_street(lea, max_, pia)
        for person, topic in ((max_, "guitar"), (pia, "piano")):
            mentoring.save_profile(
                person,
                mentoring.MentorInput(topics=[topic], capacity=2, in_person=True, online=True),
            )
        for person in (lea, max_):
            for weekday in range(7):
                profiles.add_slot(person, weekday, time(8), time(21))
        db.session.remove()
        db.engine.dispose()


def badge(page: Page) -> Locator:
    """The notifications link in the main navigation, with its unread count."""
    main_nav = page.get_by_role("navigation", name="Main")
    return main_nav.get_by_role("link", name=re.compile(r"^Notifications"))


def open_from_menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def test_find_ask_accept_agree_a_time_meet_and_pay(new_page: NewPage, elm_street: None) -> None:
    # Lea looks for a guitar teacher: the topic filter narrows the mentors as she types.
    lea = new_page()
    log_in(lea, "lea@example.org")
    open_from_menu(lea, "Mentoring")
    expect(lea.get_by_role("heading", name="Mentoring", level=1)).to_be_visible()
    results = lea.locator("#mentor-results")
    expect(results.get_by_role("link", name=MENTOR)).to_be_visible()
    expect(results.get_by_role("link", name=OTHER_MENTOR)).to_be_visible()
    lea.get_by_role("form", name="Filter mentors").get_by_label("Topic").fill("guitar")
    expect(lea).to_have_url(re.compile(r"[?&]topic=guitar"))
    expect(results.get_by_role("link", name=OTHER_MENTOR)).to_be_hidden()
    results.get_by_role("link", name=MENTOR).click()

    # On Max's page she asks, with a message.
    expect(lea.get_by_role("heading", name=f"{MENTOR}, mentor", level=1)).to_be_visible()
    asking = lea.get_by_role("region", name="Ask to be mentored")
    expect(asking.get_by_label("What you would like to learn")).to_have_value("guitar")
    asking.get_by_label("Your message").fill("Hi Max! I have a guitar and know two chords.")
    asking.get_by_role("button", name=f"Ask {MENTOR} to mentor me").click()
    expect(lea.get_by_role("status")).to_contain_text(f"Asked {MENTOR}.")
    expect(lea).to_have_url(re.compile(r"/mentorships/\d+$"))
    mentorship_url = lea.url
    expect(lea.get_by_role("heading", name="Status: waiting for an answer")).to_be_visible()

    # Max's badge tells him; the request waits for him on the mentoring page, and he accepts.
    max_ = new_page()
    log_in(max_, "max@example.org")
    expect(badge(max_)).to_have_text("Notifications 1 unread")
    open_from_menu(max_, "Mentoring")
    waiting = max_.get_by_role("region", name="Waiting for your answer (1)")
    expect(waiting).to_contain_text(f"{LEARNER} asks you to mentor them in “guitar”.")
    waiting.get_by_role("button", name=f"Accept {LEARNER}").click()
    expect(max_.get_by_role("status")).to_contain_text(f"Accepted. {LEARNER} has been told")
    learners = max_.get_by_role("region", name="You as a mentor")
    expect(learners.get_by_role("link", name=f"{LEARNER}: “guitar”")).to_be_visible()
    expect(learners).to_contain_text("1 of 2 places taken")

    # Lea is told, and proposes the first of the times they are both free.
    lea.reload()
    expect(badge(lea)).to_have_text("Notifications 1 unread")
    expect(lea.get_by_role("heading", name="Status: active")).to_be_visible()
    lea.get_by_role("region", name="Sessions").get_by_role("link", name="Propose a time").click()
    expect(lea.get_by_role("heading", name=f"Propose a session with {MENTOR}")).to_be_visible()
    picks = lea.get_by_role("group", name="When").get_by_role("radio")
    expect(picks).to_have_count(4)  # three suggested times and "Another time"
    picks.first.check()
    lea.get_by_label("Where you'll meet").fill(PLACE)
    lea.get_by_role("button", name="Propose this time").click()
    expect(lea.get_by_role("status")).to_contain_text("Proposed. They have been told")
    expect(lea).to_have_url(re.compile(r"/sessions/\d+$"))
    session_url = lea.url
    state = lea.locator("#session-state")
    expect(state).to_contain_text(f"waiting for {MENTOR} to confirm")
    starts_at = datetime.fromisoformat(
        lea.locator("#session-when time").get_attribute("datetime") or ""
    )

    # Max finds it on the mentorship's page, waiting for his answer, and confirms it.
    max_.goto(mentorship_url)
    sessions = max_.get_by_role("region", name="Sessions")
    expect(sessions.get_by_text("Your answer is needed.")).to_be_visible()
    sessions.get_by_role("list").first.get_by_role("link").first.click()
    expect(max_).to_have_url(session_url)
    expect(max_.get_by_text(PLACE)).to_be_visible()
    max_.get_by_role("button", name="Confirm this time").click()
    expect(max_.get_by_role("status")).to_contain_text("Confirmed.")
    expect(max_.locator("#session-state")).to_have_text("Confirmed.")
    expect(max_.get_by_role("button", name="Mark as done")).to_have_count(0)  # not started yet

    with time_machine.travel(starts_at + timedelta(minutes=10), tick=True):
        # The session has begun: Max marks it done.
        max_.reload()
        max_.get_by_role("button", name="Mark as done").click()
        expect(max_.get_by_role("status")).to_contain_text("Marked as done.")
        expect(max_.locator("#session-state")).to_have_text("Done.")

        # Lea pays an hour for it: the time bank opens with Max and the session chosen.
        lea.goto(session_url)
        expect(lea.locator("#session-state")).to_have_text("Done.")
        lea.get_by_role("link", name="Pay in hours").click()
        expect(lea.get_by_role("heading", name="Time bank", level=1)).to_be_visible()
        expect(lea.locator("#my-balance")).to_have_text("0 h")
        sending = lea.get_by_role("region", name="Send hours")
        expect(sending.get_by_label("Send to")).to_have_value(re.compile(r"^\d+$"))
        expect(sending.get_by_label("Send to").locator("option:checked")).to_have_text(MENTOR)
        paying_for = sending.get_by_label("Or pays for a mentorship session (optional)")
        expect(paying_for.locator("option:checked")).to_contain_text("“guitar” on")
        sending.get_by_label("Hours", exact=True).fill("1")
        sending.get_by_label("What for").fill("Our first guitar lesson")
        sending.get_by_role("button", name="Send hours").click()
        expect(lea.get_by_role("status")).to_contain_text(f"Sent 1 h to {MENTOR}.")
        expect(lea.locator("#my-balance")).to_have_text("−1 h")
        statement = lea.get_by_role("table")
        expect(statement).to_contain_text("Our first guitar lesson")
        expect(statement).to_contain_text("−1 h")

        # Max's time bank shows the hour come in.
        open_from_menu(max_, "Time bank")
        expect(max_.locator("#my-balance")).to_have_text("1 h")
        expect(max_.get_by_role("table")).to_contain_text("Our first guitar lesson")

    lea.problems.assert_clean()  # type: ignore[attr-defined]
    max_.problems.assert_clean()  # type: ignore[attr-defined]
