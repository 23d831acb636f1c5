"""Claim pages and actions as each role meets them, and what a refused request leaves behind
(nothing); double submissions, escaping, the thread's polling, rate limits."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select

from commons.accounts.models import User
from commons.claims import services as claims
from commons.claims.models import Claim, Message, Thanks
from commons.database import now_utc
from commons.extensions import db
from commons.posts import services as posts
from commons.posts.models import Post
from tests.claims.conftest import accepted_claim, expire, fresh
from tests.conftest import HX, assert_status, log_in, post, text

ROLES = (
    "visitor",
    "claimant",
    "author",
    "other_member",
    "coordinator",
    "away_coordinator",
    "admin",
)


@pytest.fixture
def cast(world, make_neighbour) -> dict[str, User | None]:
    """Mia posts, Otto claims; Nia is another Northside member; Cora coordinates Northside,
    Axel coordinates Southside."""
    return {
        "visitor": None,
        "claimant": world.other_member,
        "author": world.member,
        "other_member": make_neighbour("Nia Neighbour"),
        "coordinator": world.coordinator,
        "away_coordinator": world.away_coordinator,
        "admin": world.admin,
    }


def login_as(client: FlaskClient, cast: dict[str, User | None], role: str) -> User | None:
    user = cast[role]
    if user is not None:
        log_in(client, user)
    return user


def claim_in(world, post: Post, state: str) -> Claim:
    """Otto's claim on `post`, brought to `state` through the services."""
    claim = claims.make_claim(world.other_member, post, "Could I borrow it?")
    if state in ("accepted", "completed"):
        claims.accept(world.member, claim)
    if state == "completed":
        claims.complete(world.member, claim)
    claims.send_message(world.member, claim, "Come by at six.")
    return fresh(Claim, claim.id)


def snapshot(post_id: int) -> tuple:
    """Everything a claim request could change."""
    db.session.rollback()
    return (
        tuple(db.session.execute(select(Claim.id, Claim.status).order_by(Claim.id)).all()),
        db.session.scalar(select(func.count()).select_from(Message)),
        db.session.scalar(select(func.count()).select_from(Thanks)),
        db.session.get(Post, post_id).accepted_count,
    )


# --- every route, every role ---------------------------------------------------------------

SEE = {"visitor": "login", "claimant": 200, "author": 200, "other_member": 404,
       "coordinator": 200, "away_coordinator": 404, "admin": 200}  # fmt: skip
AUTHOR = {"visitor": "login", "claimant": 403, "author": 200, "other_member": 404,
          "coordinator": 403, "away_coordinator": 404, "admin": 403}  # fmt: skip
CLAIMANT = {**AUTHOR, "claimant": 200, "author": 403}
PARTIES = {**AUTHOR, "claimant": 200, "author": 200}
ANSWER = {"visitor": "login", "claimant": 303, "author": 403, "other_member": 303,
          "coordinator": 303, "away_coordinator": 404, "admin": 303}  # fmt: skip

# (method, path, the claim's state beforehand, form data, expected status by role)
ROUTES = [
    ("GET", "/claims/{claim}", "pending", None, SEE),
    ("POST", "/claims/{claim}/accept", "pending", {}, AUTHOR),
    ("POST", "/claims/{claim}/decline", "pending", {}, AUTHOR),
    ("POST", "/claims/{claim}/cancel", "accepted", {}, AUTHOR),
    ("POST", "/claims/{claim}/withdraw", "accepted", {}, CLAIMANT),
    ("POST", "/claims/{claim}/complete", "accepted", {}, PARTIES),
    ("POST", "/claims/{claim}/messages", "pending", {"body": "Hello there"}, PARTIES),
    ("GET", "/claims/{claim}/messages", "pending", None, PARTIES),
    ("POST", "/claims/{claim}/thanks", "completed", {"note": "Thank you!"}, PARTIES),
    ("POST", "/posts/{post}/claims", None, {"message": "Me please"}, ANSWER),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "method, path, state, data, expected", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES]
)
def test_every_route_for_every_role(
    client, world, cast, make_post, method, path, state, data, expected, role
):
    offer = make_post(capacity=2)
    claim = claim_in(world, offer, state) if state else None
    url = path.format(claim=claim.id if claim else 0, post=offer.id)
    login_as(client, cast, role)
    before = snapshot(offer.id)
    if method == "GET":
        response = client.get(url, headers=HX if url.endswith("/messages") else {})
    else:
        response = post(client, url, data, headers=HX if claim else {})
    assert_status(response, expected[role])
    page = text(response)
    if expected[role] in (403, 404, "login"):
        assert snapshot(offer.id) == before  # a refused request changes nothing
        assert "Come by at six." not in page
    elif method == "POST":
        assert snapshot(offer.id) != before
    for person in cast.values():  # nobody's email address, whatever the page
        if person is not None:
            assert person.email not in page


def test_the_thread_is_shown_to_the_two_and_not_to_coordinators(client, world, cast, offer):
    claim = claim_in(world, offer, "pending")
    for role, sees_thread in [("claimant", True), ("author", True), ("coordinator", False)]:
        login_as(client, cast, role)
        page = text(client.get(f"/claims/{claim.id}"))
        assert ("Come by at six." in page) is sees_thread
        assert ('hx-trigger="every 5s"' in page) is sees_thread
        assert "Could I borrow it?" in page  # the claim's own message is part of the claim
        if not sees_thread:
            assert "private to them" in page
        client.post("/logout", data={"csrf_token": _token(client)})


def _token(client: FlaskClient) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/")


def test_a_claim_that_does_not_exist_is_404(client, world):
    log_in(client, world.member)
    assert_status(client.get("/claims/999999"), 404)
    assert_status(post(client, "/claims/999999/accept", headers=HX), 404)


# --- answering a post ------------------------------------------------------------------------


def test_the_post_page_carries_the_answer_box(client, world, cast, make_post):
    offer = make_post()
    log_in(client, world.other_member)
    page = text(client.get(f"/posts/{offer.id}"))
    assert 'id="claim-box"' in page
    assert '<label for="message">Your message</label>' in page
    assert "I&#39;d like this</button>" in page
    assert "On behalf of" not in page  # only coordinators answer for a neighbour
    post(client, f"/posts/{offer.id}/claims", {"message": "Me please"})
    page = text(client.get(f"/posts/{offer.id}"))
    assert "You have answered this post" in page and "</form>" in page


def test_a_visitor_is_asked_to_log_in_to_answer_a_public_post(client, world, make_post):
    offer = make_post(visibility="public")
    page = text(client.get(f"/posts/{offer.id}"))
    assert 'id="claim-box"' in page and "to answer this post" in page
    assert "Your message" not in page and "Answers (" not in page


def test_the_author_sees_the_answers_on_the_post_page(client, world, make_post):
    offer = make_post()
    claims.make_claim(world.other_member, offer, "Me please")
    log_in(client, world.member)
    page = text(client.get(f"/posts/{offer.id}"))
    assert "Answers (1)" in page
    assert "Otto Other" in page
    assert "I&#39;d like this</button>" not in page


def test_answering_leads_to_the_claim_page(client, world, make_post):
    offer = make_post()
    log_in(client, world.other_member)
    response = post(client, f"/posts/{offer.id}/claims", {"message": "Saturday morning?"})
    assert response.status_code == 303
    [claim] = db.session.scalars(select(Claim))
    assert response.headers["Location"] == f"/claims/{claim.id}"
    page = text(client.get(response.headers["Location"]))
    assert "Saturday morning?" in page
    assert "Waiting for Mia Member's answer." in page
    assert "Mia Member has been told." in page


def test_answering_with_htmx_redirects_the_whole_page(client, world, make_post):
    offer = make_post()
    log_in(client, world.other_member)
    response = post(client, f"/posts/{offer.id}/claims", {"message": "Hi"}, headers=HX)
    assert response.status_code == 200
    assert re.fullmatch(r"/claims/\d+", response.headers["HX-Redirect"])


def test_a_double_submitted_answer_makes_one_claim(client, world, make_post):
    offer = make_post()
    log_in(client, world.other_member)
    first = post(client, f"/posts/{offer.id}/claims", {"message": "Me please"})
    second = post(client, f"/posts/{offer.id}/claims", {"message": "Me please"})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 1
    assert "You have already answered this post." in text(client.get(second.headers["Location"]))


def test_an_answer_to_a_full_offer_joins_the_waiting_list(client, world, make_post, make_neighbour):
    offer = make_post()
    accepted_claim(world, offer, make_neighbour())
    log_in(client, world.other_member)
    response = post(client, f"/posts/{offer.id}/claims", {"message": "Me please"})
    page = text(client.get(response.headers["Location"]))
    assert "you are on the waiting list" in page
    assert "You are number 1 on the waiting list." in page


@pytest.mark.parametrize("change, words", [("closed", "closed"), ("expired", "expired")])
def test_a_post_no_longer_open_answers_409(client, world, make_post, change, words):
    offer = make_post()
    if change == "closed":
        posts.close_post(world.member, offer)
    else:
        expire(offer)
    log_in(client, world.other_member)
    response = post(client, f"/posts/{offer.id}/claims", {"message": "Me please"}, headers=HX)
    assert response.status_code == 409
    assert f"This post {'is' if change == 'closed' else 'has'} {words}" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 0


def test_a_hidden_post_is_404_to_members(client, world, make_post):
    offer = make_post()
    offer.hidden_at = now_utc()
    db.session.commit()
    log_in(client, world.other_member)
    assert_status(post(client, f"/posts/{offer.id}/claims", {"message": "Me"}), 404)


def test_an_overlong_answer_is_shown_again_with_422(client, world, make_post):
    offer = make_post()
    log_in(client, world.other_member)
    typed = "word " * 401  # 2005 characters
    response = post(client, f"/posts/{offer.id}/claims", {"message": typed}, headers=HX)
    assert response.status_code == 422
    page = text(response)
    assert page.lstrip().startswith('<section id="claim-box"')
    assert "Please keep this under 2000 characters." in page
    assert typed.strip() in page  # what they typed is still there


def test_a_coordinator_answers_for_a_neighbour(client, world, make_post):
    offer = make_post()
    log_in(client, world.coordinator)
    assert "On behalf of (optional)" in text(client.get(f"/posts/{offer.id}"))
    response = post(
        client, f"/posts/{offer.id}/claims", {"message": "For her", "on_behalf_of": "Mrs Patel"}
    )
    assert "(for Mrs Patel)" in text(client.get(response.headers["Location"]))


# --- the two people's decisions ------------------------------------------------------------------


def test_an_htmx_action_swaps_the_action_box(client, world, offer):
    claim = claim_in(world, offer, "pending")
    log_in(client, world.member)
    response = post(client, f"/claims/{claim.id}/accept", headers=HX)
    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith('<section id="claim-actions"')
    assert "<html" not in page
    assert 'hx-swap-oob="true"' in page and "Accepted. Say hello" in page  # the flash
    assert "Mark as done" in page and "Cancel their place" in page
    assert fresh(Claim, claim.id).status == "accepted"


def test_a_plain_form_action_redirects_to_the_claim(client, world, offer):
    claim = claim_in(world, offer, "pending")
    log_in(client, world.other_member)
    response = post(client, f"/claims/{claim.id}/withdraw")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/claims/{claim.id}"
    assert "You withdrew." in text(client.get(response.headers["Location"]))


def test_accepting_past_capacity_answers_409_and_says_why(client, world, offer, make_neighbour):
    accepted_claim(world, offer, make_neighbour())
    claim = claims.make_claim(world.other_member, offer, "Me too")  # waitlisted
    log_in(client, world.member)
    response = post(client, f"/claims/{claim.id}/accept", headers=HX)
    assert response.status_code == 409
    assert "Every place on this post is taken" in text(response)
    assert fresh(Claim, claim.id).status == "waitlisted"
    assert fresh(Post, offer.id).accepted_count == 1


def test_acting_twice_answers_409(client, world, offer):
    claim = claim_in(world, offer, "pending")
    log_in(client, world.other_member)
    assert post(client, f"/claims/{claim.id}/withdraw", headers=HX).status_code == 200
    again = post(client, f"/claims/{claim.id}/withdraw", headers=HX)
    assert again.status_code == 409
    assert "this claim is withdrawn" in text(again)


def test_thanks_after_completion_once_each(client, world, offer):
    claim = claim_in(world, offer, "accepted")
    log_in(client, world.other_member)
    early = post(client, f"/claims/{claim.id}/thanks", {"note": "Thanks!"}, headers=HX)
    assert early.status_code == 409
    post(client, f"/claims/{claim.id}/complete", headers=HX)
    page = text(client.get(f"/claims/{claim.id}"))
    assert '<label for="note">Your thanks</label>' in page
    empty = post(client, f"/claims/{claim.id}/thanks", {"note": "  "}, headers=HX)
    assert empty.status_code == 422
    assert "Please write a few words of thanks." in text(empty)
    done = post(client, f"/claims/{claim.id}/thanks", {"note": "Great ladder"}, headers=HX)
    assert done.status_code == 200
    assert "Great ladder" in text(done)
    assert 'for="note"' not in text(done)  # no second form
    again = post(client, f"/claims/{claim.id}/thanks", {"note": "Again"}, headers=HX)
    assert again.status_code == 409


# --- the thread ----------------------------------------------------------------------------------


def test_sending_a_message_appends_it_and_empties_the_form(client, world, offer):
    claim = claim_in(world, offer, "pending")  # holds Mia's "Come by at six."
    first_id = claims.thread(claim, world.member)[0].id
    log_in(client, world.other_member)
    response = post(
        client,
        f"/claims/{claim.id}/messages",
        {"body": "See you then", "after": str(first_id)},
        headers=HX,
    )
    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith('<form id="message-form"')
    assert 'hx-swap-oob="beforeend:#messages"' in page
    assert "See you then" in page and "Come by at six." not in page  # only what is new
    [new] = [m for m in claims.thread(claim, world.member) if m.body == "See you then"]
    assert f'name="after" value="{new.id}"' in page  # the poller moves on
    assert re.search(r"<textarea[^>]*>\s*</textarea>", page)  # an empty form for the next one


def test_a_plain_message_form_redirects_to_the_thread(client, world, offer):
    claim = claim_in(world, offer, "pending")
    log_in(client, world.other_member)
    response = post(client, f"/claims/{claim.id}/messages", {"body": "Hi"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/claims/{claim.id}#thread"


@pytest.mark.parametrize(
    "body, error",
    [("", "Please write a message."), ("x" * 2001, "Please keep a message under 2000")],
)
def test_an_empty_or_overlong_message_is_422_and_keeps_the_input(client, world, offer, body, error):
    claim = claim_in(world, offer, "pending")
    log_in(client, world.other_member)
    response = post(client, f"/claims/{claim.id}/messages", {"body": body}, headers=HX)
    assert response.status_code == 422
    page = text(response)
    assert page.lstrip().startswith('<form id="message-form"')
    assert error in page
    assert re.search(rf">\s*{body}</textarea>", page)  # what they typed is still there
    assert len(claims.thread(claim, world.member)) == 1


def test_polling_returns_only_new_messages(client, world, offer):
    claim = claim_in(world, offer, "pending")
    [seen] = claims.thread(claim, world.member)
    log_in(client, world.other_member)
    url = f"/claims/{claim.id}/messages"
    nothing = client.get(url, query_string={"after": seen.id}, headers=HX)
    assert nothing.status_code == 204 and text(nothing) == ""

    claims.send_message(world.member, claim, "Are you still coming?")
    news = client.get(url, query_string={"after": seen.id}, headers=HX)
    assert news.status_code == 200
    page = text(news)
    assert "Are you still coming?" in page and "Come by at six." not in page
    assert page.lstrip().startswith('<div id="thread-poll"')
    assert 'hx-trigger="every 5s"' in page
    [newest] = claims.thread(claim, world.member, after=seen.id)
    assert f"after={newest.id}" in page

    # Without htmx the address leads to the thread on the claim's page.
    assert client.get(url).headers["Location"] == f"/claims/{claim.id}#thread"


XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
]


@pytest.mark.parametrize("payload", XSS)
def test_what_members_write_is_shown_escaped(client, world, make_post, payload):
    offer = make_post()
    claim = claims.make_claim(world.coordinator, offer, payload, on_behalf_of=payload[:80])
    claims.accept(world.member, claim)
    claims.send_message(world.coordinator, claim, payload)
    claims.complete(world.member, claim)
    claims.thank(world.coordinator, claim, payload)
    log_in(client, world.member)
    pages = [
        text(client.get(f"/claims/{claim.id}")),
        text(client.get(f"/claims/{claim.id}/messages", headers=HX)),
        text(post(client, f"/claims/{claim.id}/messages", {"body": payload}, headers=HX)),
        text(client.get(f"/posts/{offer.id}")),
        text(client.get("/")),
    ]
    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page and "<svg onload" not in page
    shown = str(escape(payload))
    assert pages[0].count(shown) >= 3  # the claim's message, the thread, the thanks
    assert shown in pages[1] and shown in pages[2]


# --- rate limits ---------------------------------------------------------------------------------


def test_answering_too_often_is_429(app, client, world, make_post):
    app.config["CLAIM_LIMIT"] = "2 per hour"
    offers = [make_post(title=f"Thing {n}") for n in range(3)]
    log_in(client, world.other_member)
    # A form sent back to be corrected does not count.
    assert post(client, f"/posts/{offers[0].id}/claims", {"message": "x" * 2001}).status_code == 422
    codes = [post(client, f"/posts/{o.id}/claims", {"message": "Me"}).status_code for o in offers]
    assert codes == [303, 303, 429]
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 2


def test_the_limit_is_per_member(app, client, world, make_post):
    app.config["CLAIM_LIMIT"] = "1 per hour"
    first, second = make_post(title="One"), make_post(title="Two")
    log_in(client, world.other_member)
    assert post(client, f"/posts/{first.id}/claims", {"message": "Me"}).status_code == 303
    other = client.application.test_client()
    log_in(other, world.coordinator)
    assert post(other, f"/posts/{second.id}/claims", {"message": "Me"}).status_code == 303


def test_writing_too_often_is_429(app, client, world, offer):
    app.config["MESSAGE_LIMIT"] = "3 per 10 minutes"
    claim = claim_in(world, offer, "pending")
    log_in(client, world.other_member)
    url = f"/claims/{claim.id}/messages"
    assert post(client, url, {"body": ""}, headers=HX).status_code == 422  # not counted
    codes = [post(client, url, {"body": f"Note {n}"}, headers=HX).status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]
    assert len(claims.thread(claim, world.member)) == 1 + 3


# --- the dashboard and the export --------------------------------------------------------------


def test_the_dashboard_shows_claims_both_ways(client, world, make_post):
    offer = make_post(title="Ladder to lend")
    claims.make_claim(world.other_member, offer, "Me please")
    log_in(client, world.member)
    page = text(client.get("/"))
    assert "Waiting for your answer" in page
    assert "Otto Other on “Ladder to lend”" in page
    other = client.application.test_client()
    log_in(other, world.other_member)
    page = text(other.get("/"))
    assert "Waiting for an answer" in page and "“Ladder to lend”" in page


def test_export_my_data_includes_claims_and_messages(client, world, offer):
    claim_in(world, offer, "pending")
    log_in(client, world.member)
    data = client.get("/settings/account/export").get_json(force=True)
    assert data["claims"] == []
    assert [m["body"] for m in data["messages"]] == ["Come by at six."]
