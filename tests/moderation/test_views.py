"""Reporting, blocking and the coordinators' list of reports, as each role meets them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from commons.extensions import db
from commons.moderation import services as moderation
from commons.moderation.models import Block, Report
from tests.conftest import HX, act_as, assert_status, log_in, post, text

ROLES = ["visitor", "member", "other_member", "coordinator", "away_coordinator", "admin"]


def report_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Report))


def block_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Block))


# --- who may report what -----------------------------------------------------------------


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 409),  # Mia's own post
        ("other_member", 303),
        ("coordinator", 303),
        ("away_coordinator", 404),  # can't see a Northside post
        ("admin", 303),
    ],
)
def test_report_a_post(client, world, ladder, role, expected):
    act_as(client, world, role)
    response = post(client, f"/posts/{ladder.id}/report", {"reason": "Looks like spam"})
    assert_status(response, expected)
    assert report_count() == (1 if expected == 303 else 0)
    if expected == 303:
        assert response.headers["Location"] == f"/posts/{ladder.id}"


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 303),
        ("other_member", 409),  # Otto's own message
        ("coordinator", 404),  # only the two people in the claim
        ("away_coordinator", 404),
        ("admin", 404),
    ],
)
def test_report_a_message(client, world, thread, role, expected):
    act_as(client, world, role)
    url = f"/messages/{thread.from_claimant.id}/report"
    response = post(client, url, {"reason": "Rude"})
    assert_status(response, expected)
    assert report_count() == (1 if expected == 303 else 0)
    if expected == 303:
        assert response.headers["Location"] == f"/claims/{thread.claim.id}"


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 303),
        ("other_member", 409),  # reporting yourself
        ("coordinator", 303),
        ("away_coordinator", 404),  # shares no community with Otto
        ("admin", 303),
    ],
)
def test_report_a_member(client, world, role, expected):
    act_as(client, world, role)
    response = post(
        client,
        f"/members/{world.other_member.id}/report",
        {"community": str(world.home.id), "reason": "Shouts at people"},
    )
    assert_status(response, expected)
    assert report_count() == (1 if expected == 303 else 0)
    if expected == 303:
        assert response.headers["Location"] == f"/members/{world.other_member.id}"


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 200),
        ("other_member", 200),
        ("coordinator", 200),
        ("away_coordinator", 404),
        ("admin", 200),
    ],
)
def test_the_post_report_form(client, world, ladder, role, expected):
    act_as(client, world, role)
    response = client.get(f"/posts/{ladder.id}/report")
    assert_status(response, expected)
    if expected == 200:
        page = text(response)
        assert "Report the post “Ladder to lend”" in page
        assert "coordinators of Northside" in page
        assert '<label for="reason">What is wrong?</label>' in page


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 200),
        ("other_member", 200),
        ("coordinator", 404),
        ("away_coordinator", 404),
        ("admin", 404),
    ],
)
def test_the_message_report_form(client, world, thread, role, expected):
    act_as(client, world, role)
    response = client.get(f"/messages/{thread.from_author.id}/report")
    assert_status(response, expected)
    if expected == 200:
        assert "Come by at six." in text(response)


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 200),
        ("other_member", 200),
        ("coordinator", 200),
        ("away_coordinator", 404),
        ("admin", 200),
    ],
)
def test_the_member_report_form(client, world, role, expected):
    act_as(client, world, role)
    response = client.get(f"/members/{world.other_member.id}/report")
    assert_status(response, expected)
    if expected == 200:
        page = text(response)
        assert "Report Otto Other" in page
        assert f'<option value="{world.home.id}"' in page
        assert "Southside" not in page


def test_unknown_things_are_not_found(client, world):
    log_in(client, world.member)
    for url in ("/posts/999999/report", "/messages/999999/report", "/members/999999/report"):
        assert_status(client.get(url), 404)
        assert_status(post(client, url, {"reason": "x"}), 404)
    for url in ("/members/999999/block", "/members/999999/unblock"):
        assert_status(post(client, url), 404)


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason, message",
    [("", "Please say what is wrong."), ("x" * 1001, "under 1000 characters")],
)
def test_a_bad_reason_answers_422_keeping_the_input(client, world, ladder, reason, message):
    log_in(client, world.other_member)
    response = post(client, f"/posts/{ladder.id}/report", {"reason": reason})
    assert_status(response, 422)
    page = text(response)
    assert message in page
    assert 'aria-invalid="true"' in page
    assert re.search(rf">\s*{reason}</textarea>", page)
    assert "<html" in page
    assert report_count() == 0


def test_a_bad_reason_over_htmx_returns_the_form_only(client, world, ladder):
    log_in(client, world.other_member)
    response = post(client, f"/posts/{ladder.id}/report", {"reason": " "}, headers=HX)
    assert_status(response, 422)
    body = text(response)
    assert body.lstrip().startswith('<form id="report-form"')
    assert "<html" not in body and "Please say what is wrong." in body


def test_a_member_report_needs_a_community_we_share(client, world):
    log_in(client, world.member)
    response = post(
        client,
        f"/members/{world.other_member.id}/report",
        {"community": str(world.away.id), "reason": "Rude"},
    )
    assert_status(response, 422)
    assert re.search(r">\s*Rude</textarea>", text(response))
    assert report_count() == 0


def test_a_second_report_of_the_same_post_is_refused_kindly(client, world, ladder):
    log_in(client, world.other_member)
    post(client, f"/posts/{ladder.id}/report", {"reason": "Spam"})
    response = post(client, f"/posts/{ladder.id}/report", {"reason": "Spam!"})
    assert_status(response, 409)
    assert "already reported" in text(response)
    assert report_count() == 1


def test_a_report_over_htmx_says_thank_you_in_place(client, world, ladder):
    log_in(client, world.other_member)
    response = post(client, f"/posts/{ladder.id}/report", {"reason": "Spam"}, headers=HX)
    assert_status(response, 200)
    body = text(response)
    assert body.lstrip().startswith('<div id="report-form" role="status">')
    assert "The coordinators of Northside will look at your report." in body
    assert report_count() == 1


def test_after_a_report_the_reporter_is_thanked(client, world):
    log_in(client, world.member)
    response = post(
        client,
        f"/members/{world.other_member.id}/report",
        {"community": str(world.home.id), "reason": "Rude"},
        follow_redirects=True,
    )
    assert "The coordinators of Northside will look at your report." in text(response)


@pytest.mark.parametrize(
    "url",
    ["/posts/{post}/report", "/messages/{message}/report", "/members/{member}/report"],
)
def test_reporting_needs_the_csrf_token(client, world, thread, url):
    log_in(client, world.member)
    target = url.format(
        post=thread.post.id, message=thread.from_claimant.id, member=world.other_member.id
    )
    data = {"reason": "Rude", "community": str(world.home.id)}
    assert_status(client.post(target, data=data), 400)
    assert report_count() == 0


# --- blocking ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 303),
        ("other_member", 409),  # yourself
        ("coordinator", 303),
        ("away_coordinator", 404),
        ("admin", 303),
    ],
)
def test_block_a_member(client, world, role, expected):
    user = act_as(client, world, role)
    response = post(client, f"/members/{world.other_member.id}/block")
    assert_status(response, expected)
    assert block_count() == (1 if expected == 303 else 0)
    if expected == 303:
        assert moderation.is_blocked_between(user, world.other_member)
        assert response.headers["Location"] == f"/members/{world.other_member.id}"


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 303),
        ("other_member", 409),
        ("coordinator", 303),
        ("away_coordinator", 404),
        ("admin", 303),
    ],
)
def test_unblock_a_member(client, world, role, expected):
    moderation.block(world.member, world.other_member)
    act_as(client, world, role)
    response = post(client, f"/members/{world.other_member.id}/unblock")
    assert_status(response, expected)
    # Only Mia's own unblock lifts Mia's block.
    assert block_count() == (0 if role == "member" else 1)


def test_blocking_needs_the_csrf_token(client, world):
    log_in(client, world.member)
    assert_status(client.post(f"/members/{world.other_member.id}/block"), 400)
    assert block_count() == 0
    moderation.block(world.member, world.other_member)
    assert_status(client.post(f"/members/{world.other_member.id}/unblock"), 400)
    assert block_count() == 1


def test_the_profile_offers_report_and_block_but_not_on_my_own(client, world):
    log_in(client, world.member)
    page = text(client.get(f"/members/{world.other_member.id}"))
    assert 'id="member-safety"' in page
    assert f'action="/members/{world.other_member.id}/block"' in page
    assert f'href="/members/{world.other_member.id}/report"' in page
    assert "Block Otto Other" in page and "Report Otto Other" in page

    mine = text(client.get(f"/members/{world.member.id}"))
    assert 'id="member-safety"' not in mine and "/block" not in mine


def test_blocking_from_the_profile_with_htmx_swaps_the_buttons(client, world):
    log_in(client, world.member)
    response = post(client, f"/members/{world.other_member.id}/block", headers=HX)
    assert_status(response, 200)
    body = text(response)
    assert body.lstrip().startswith('<div id="member-safety">')
    assert "You have blocked Otto Other" in body
    assert f'action="/members/{world.other_member.id}/unblock"' in body

    page = text(client.get(f"/members/{world.other_member.id}"))
    assert "Unblock Otto Other" in page

    response = post(client, f"/members/{world.other_member.id}/unblock", headers=HX)
    assert "Block Otto Other" in text(response) and "Unblock" not in text(response)
    assert block_count() == 0


def test_blocking_yourself_is_refused_with_a_message(client, world):
    log_in(client, world.member)
    response = post(client, f"/members/{world.member.id}/block", headers=HX)
    assert_status(response, 409)
    assert "You can&#39;t block yourself." in text(response)
    assert block_count() == 0


# --- the moderation queue (once the list of reports) -----------------------------------


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 403),
        ("other_member", 403),
        ("coordinator", 200),
        ("away_coordinator", 403),  # a coordinator of another community
        ("admin", 200),
    ],
)
def test_the_moderation_queue_lists_open_reports(client, world, thread, role, expected):
    moderation.report_post(world.other_member, thread.post, "Not a ladder at all")
    moderation.report_message(world.member, thread.from_claimant, "Calls me names")
    moderation.report_member(world.member, world.other_member, world.home, "Shouts at people")
    act_as(client, world, role)
    response = client.get("/communities/northside/moderation")
    assert_status(response, expected)
    page = text(response)
    secrets = ["Not a ladder at all", "Calls me names", "You fool."]
    if expected == 200:
        assert "Open reports (3)" in page
        assert all(secret in page for secret in secrets)
        assert "Ladder to lend" in page and "A tall aluminium ladder." in page
        assert f'href="/members/{world.other_member.id}"' in page
    else:
        assert not any(secret in page for secret in secrets)


def test_the_reports_list_of_an_unknown_community_is_not_found(client, world):
    log_in(client, world.admin)
    assert_status(client.get("/communities/nowhere/moderation"), 404)


def test_the_reports_list_is_empty_until_someone_reports(client, world):
    log_in(client, world.coordinator)
    page = text(client.get("/communities/northside/moderation"))
    assert "No open reports." in page


def test_the_reports_list_over_htmx_is_the_list_only(client, world, ladder):
    moderation.report_post(world.other_member, ladder, "Spam")
    log_in(client, world.coordinator)
    body = text(client.get("/communities/northside/moderation", headers=HX))
    assert body.lstrip().startswith('<div id="moderation"')
    assert "<html" not in body


def test_a_coordinator_is_notified_and_the_link_opens_the_list(app, client, world, ladder):
    log_in(client, world.other_member)
    post(client, f"/posts/{ladder.id}/report", {"reason": "Spam"})
    coordinator = app.test_client()
    log_in(coordinator, world.coordinator)
    assert '1<span class="sr-only"> unread</span>' in text(coordinator.get("/communities"))
    page = text(coordinator.get("/notifications"))
    assert "New report in Northside: the post “Ladder to lend”." in page
    [notification_id] = re.findall(r'action="/notifications/(\d+)/read"', page)[:1]
    opened = post(
        coordinator,
        f"/notifications/{notification_id}/read",
        {"next": "/communities/northside/moderation"},
    )
    assert opened.headers["Location"] == "/communities/northside/moderation"
    assert "Spam" in text(coordinator.get(opened.headers["Location"]))


def test_the_old_address_of_the_list_leads_to_the_queue(client, world):
    response = client.get("/communities/northside/reports?page=2")
    assert response.status_code == 301
    assert response.headers["Location"] == "/communities/northside/moderation?page=2"
