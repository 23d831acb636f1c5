"""The moderation queue and its log as each role meets them: who gets the pages and the actions
(and that a refused request changes nothing), 409 when a report was handled first, 422 with
the note kept, htmx partials, and what was reported shown as text."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from commons.extensions import db
from commons.moderation import queue
from commons.moderation import services as moderation
from commons.moderation.models import ModerationAction, Report
from commons.posts.models import Post
from tests.conftest import HX, ROLES, act_as, assert_status, log_in, post, text
from tests.links.conftest import bring_link
from tests.moderation.conftest import audit_lines, fresh, membership_status

# Northside's moderation pages and actions: its coordinators and admins, nobody else.
REFUSED = {role: 403 for role in ROLES} | {"visitor": "login"}
PAGES = REFUSED | {"coordinator": 200, "admin": 200}
ACTIONS = REFUSED | {"coordinator": 303, "admin": 303}


def action_url(report, action: str, slug: str = "northside") -> str:
    return f"/communities/{slug}/moderation/reports/{report.id}/{action}"


def note(report, words: str) -> dict[str, str]:
    return {f"report-{report.id}-note": words}


def audit_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ModerationAction))


# --- who gets what -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page", ["/communities/northside/moderation", "/communities/northside/moderation/log"]
)
@pytest.mark.parametrize("role", ROLES)
def test_who_gets_the_moderation_pages(client, world, post_report, role, page):
    bring_link(world, "active")  # linked: Southside's coordinator still gets nothing here
    queue.act(world.admin, world.home, post_report, "dismiss", "Checked: a real ladder.")
    act_as(client, world, role)
    response = client.get(page)
    assert_status(response, PAGES[role])
    body = text(response)
    if response.status_code == 200:
        assert "It is not a ladder." in body or "Checked: a real ladder." in body
    else:
        assert "It is not a ladder." not in body and "Checked: a real ladder." not in body
    if response.status_code == 403:
        assert "Only this community&#39;s coordinators can do that." in body


@pytest.mark.parametrize("action", ["dismiss", "hide-post", "warn", "suspend"])
@pytest.mark.parametrize("role", ROLES)
def test_who_may_act_on_a_report(client, world, ladder, post_report, role, action):
    bring_link(world, "active")
    act_as(client, world, role)
    response = post(client, action_url(post_report, action), note(post_report, "Be kind."))
    assert_status(response, ACTIONS[role])
    report = fresh(Report, post_report.id)
    if response.status_code == 303:
        assert response.headers["Location"] == "/communities/northside/moderation"
        assert report.status != "open"
        assert [line.action for line in audit_lines()] == [action.replace("-", "_")]
    else:
        # Refused: nothing changed anywhere.
        assert report.status == "open"
        assert audit_lines() == []
        assert fresh(Post, ladder.id).hidden_at is None
        assert membership_status(world.home, world.member) == "active"


@pytest.mark.parametrize("role", ROLES)
def test_who_may_lift_a_suspension(client, world, post_report, role):
    bring_link(world, "active")
    queue.act(world.coordinator, world.home, post_report, "suspend")
    act_as(client, world, role)
    response = post(client, f"/communities/northside/moderation/members/{world.member.id}/lift")
    assert_status(response, ACTIONS[role])
    expected = "active" if response.status_code == 303 else "suspended"
    assert membership_status(world.home, world.member) == expected


def test_a_coordinator_of_a_linked_community_cannot_act_through_their_own_queue(
    client, world, ladder, post_report
):
    bring_link(world, "active")
    log_in(client, world.away_coordinator)
    response = post(client, action_url(post_report, "hide-post", slug="southside"))
    assert_status(response, 404)  # a report of Northside's is not Southside's to handle
    response = post(client, f"/communities/southside/moderation/members/{world.member.id}/lift", {})
    assert_status(response, 409)  # Mia is nothing in Southside to lift
    assert fresh(Post, ladder.id).hidden_at is None
    assert fresh(Report, post_report.id).status == "open"


@pytest.mark.parametrize(
    "url",
    [
        "/communities/nowhere/moderation",
        "/communities/nowhere/moderation/log",
        "/communities/northside/moderation/reports/999999/dismiss",
        "/communities/northside/moderation/reports/1/shred",
    ],
)
def test_unknown_things_are_not_found(client, world, url):
    log_in(client, world.admin)
    response = post(client, url) if "/reports/" in url else client.get(url)
    assert_status(response, 404)


# --- acting ------------------------------------------------------------------------------------


def test_hiding_a_post_from_the_queue(client, world, ladder, post_report):
    log_in(client, world.coordinator)
    response = post(client, action_url(post_report, "hide-post"), note(post_report, "Spam"))
    assert_status(response, 303)
    page = text(client.get(response.headers["Location"]))
    assert "The post is hidden. The people in its claims can still read their messages." in page
    assert "No open reports." in page
    handled = section(page, "handled")
    assert "A post: Post hidden" in handled and "post hidden by Cora Coordinator" in handled
    log = text(client.get("/communities/northside/moderation/log"))
    assert "Post hidden" in log and "Cora Coordinator" in log and "Spam" in log
    assert f'<a href="/posts/{ladder.id}">the post “Ladder to lend”</a>' in log


def test_the_second_of_two_coordinators_gets_409(app, client, world, ladder, post_report):
    log_in(client, world.coordinator)
    admin = app.test_client()
    log_in(admin, world.admin)
    assert_status(post(client, action_url(post_report, "hide-post")), 303)
    response = post(admin, action_url(post_report, "dismiss"), headers=HX)
    assert_status(response, 409)
    assert "This report was already handled by Cora Coordinator: post hidden." in text(response)
    assert fresh(Report, post_report.id).outcome == "hide_post"
    assert audit_count() == 1


def test_a_warning_without_words_is_sent_back_with_the_form(client, world, post_report):
    log_in(client, world.coordinator)
    response = post(client, action_url(post_report, "warn"), note(post_report, "   "))
    assert_status(response, 422)
    body = text(response)
    assert "Please write the words the member will receive as a warning." in body
    assert 'aria-invalid="true"' in body
    assert fresh(Report, post_report.id).status == "open"


def test_a_huge_note_is_refused_with_a_clear_message_and_kept(client, world, post_report):
    log_in(client, world.coordinator)
    words = "Please stop. " * 1000
    response = post(client, action_url(post_report, "dismiss"), note(post_report, words))
    assert_status(response, 422)
    body = text(response)
    assert "Please keep the note under 500 characters." in body
    assert words.strip()[:200] in body  # what was typed is still in the form
    assert fresh(Report, post_report.id).status == "open"
    assert audit_count() == 0


def test_a_warning_over_the_notification_length_is_refused(client, world, post_report):
    log_in(client, world.coordinator)
    response = post(client, action_url(post_report, "warn"), note(post_report, "w" * 181))
    assert_status(response, 422)
    assert "Please keep a warning under 180 characters" in text(response)


def test_a_request_bigger_than_the_site_takes_is_refused(client, world, post_report):
    log_in(client, world.coordinator)
    response = post(client, action_url(post_report, "dismiss"), note(post_report, "x" * 3_000_000))
    assert_status(response, 413)
    assert fresh(Report, post_report.id).status == "open"


def test_an_action_that_does_not_fit_is_refused_with_409(client, world, post_report):
    log_in(client, world.coordinator)
    response = post(client, action_url(post_report, "hide-message"))
    assert_status(response, 409)
    assert "This report is not about a message" in text(response)
    assert fresh(Report, post_report.id).status == "open"


def test_over_htmx_the_queue_comes_back_as_its_partial(client, world, post_report):
    log_in(client, world.coordinator)
    response = post(client, action_url(post_report, "dismiss"), headers=HX)
    assert_status(response, 200)
    body = text(response)
    assert body.lstrip().startswith('<div id="moderation">')
    assert "<html" not in body
    assert "The report is dismissed." in body  # the flash, out of band
    assert "No open reports." in body


def test_lifting_from_the_queue(client, world, post_report):
    queue.act(world.coordinator, world.home, post_report, "suspend")
    log_in(client, world.coordinator)
    page = text(client.get("/communities/northside/moderation"))
    assert "Suspended members (1)" in page
    assert "Lift the suspension of Mia Member" in page
    response = post(
        client,
        f"/communities/northside/moderation/members/{world.member.id}/lift",
        {f"lift-{world.member.id}-note": "Talked it over."},
    )
    assert_status(response, 303)
    assert membership_status(world.home, world.member) == "active"
    again = post(client, f"/communities/northside/moderation/members/{world.member.id}/lift")
    assert_status(again, 409)
    assert "Mia Member is not suspended in Northside." in text(again)
    log = text(client.get("/communities/northside/moderation/log"))
    assert "Suspension lifted" in log and "Talked it over." in log


# --- what the queue shows --------------------------------------------------------------------


def section(page: str, element_id: str) -> str:
    match = re.search(rf'<section id="{element_id}"[^>]*>(.*?)</section>', page, re.S)
    assert match, element_id
    return match.group(1)


def test_the_queue_shows_each_report_with_its_buttons(client, world, thread):
    moderation.report_post(world.other_member, thread.post, "Not a ladder at all")
    moderation.report_message(world.member, thread.from_claimant, "Calls me names")
    log_in(client, world.coordinator)
    page = section(text(client.get("/communities/northside/moderation")), "reports")
    assert "Open reports (2)" in page
    assert "Reported by Otto Other" in page and "Reported by Mia Member" in page
    for label in ("Hide the post", "Hide the message", "Warn Mia Member", "Suspend Otto Other"):
        assert label in page
    assert page.count("Dismiss the report") == 2


def test_reported_words_are_shown_as_text(client, world, make_user):
    from commons.posts.services import PostInput, create_post

    sneaky = create_post(
        world.member,
        PostInput(
            kind="offer",
            title="<img src=x onerror=alert(1)>",
            description="<script>alert('post')</script>",
            category="tools",
            community_id=world.home.id,
        ),
    )
    report = moderation.report_post(world.other_member, sneaky, "<b>bold</b><script>x()</script>")
    queue.act(world.coordinator, world.home, report, "dismiss", "<script>note()</script>")
    moderation.report_post(world.other_member, sneaky, "<iframe src=evil>")
    log_in(client, world.coordinator)
    for url in ("/communities/northside/moderation", "/communities/northside/moderation/log"):
        body = text(client.get(url))
        for raw in ("<script>", "<img src=x", "<iframe", "<b>bold"):
            assert raw not in body, (url, raw)
    body = text(client.get("/communities/northside/moderation"))
    assert "&lt;iframe src=evil&gt;" in body
    assert "&lt;script&gt;alert(&#39;post&#39;)&lt;/script&gt;" in body
    log = text(client.get("/communities/northside/moderation/log"))
    assert "&lt;script&gt;note()&lt;/script&gt;" in log


def test_a_report_about_oneself_has_no_buttons(client, world):
    moderation.report_member(world.member, world.coordinator, world.home, "Bossy")
    log_in(client, world.coordinator)
    page = text(client.get("/communities/northside/moderation"))
    assert "This report is about you: another coordinator or an admin handles it." in page
    assert "Dismiss the report" not in page


def test_the_log_pages_newest_first(client, world, thread, monkeypatch):
    monkeypatch.setattr(queue, "LOG_PER_PAGE", 1)
    first = moderation.report_post(world.other_member, thread.post, "Spam")
    second = moderation.report_member(world.member, world.other_member, world.home, "Rude")
    queue.act(world.coordinator, world.home, first, "dismiss", "older")
    queue.act(world.coordinator, world.home, second, "warn", "newer")
    log_in(client, world.coordinator)
    one = text(client.get("/communities/northside/moderation/log"))
    two = text(client.get("/communities/northside/moderation/log?page=2"))
    assert "newer" in one and "older" not in one and "Page 1 of 2" in one
    assert "older" in two and "newer" not in two


def test_the_community_page_links_coordinators_to_the_queue(client, world):
    log_in(client, world.coordinator)
    page = text(client.get("/communities/northside"))
    assert 'href="/communities/northside/moderation"' in page
    log_in(client, world.member)
    assert 'href="/communities/northside/moderation"' not in text(
        client.get("/communities/northside")
    )
