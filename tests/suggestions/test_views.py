"""Suggestions, matching rounds and proposals as each role meets them: who gets each page and
action, who is refused (and that a refused request changes nothing), 404 for what does not
exist or belongs to another community, htmx partials, CSRF, and alerts from the post form."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from commons.claims.models import Claim
from commons.extensions import db
from commons.posts.models import Post
from commons.suggestions import services
from commons.suggestions.models import MatchingRound, Proposal
from tests.conftest import HX, ROLES, act_as, assert_status, log_in, post, text
from tests.suggestions.conftest import all_rounds, fresh, notes_for, proposal_states

# Northside's coordinator pages: its coordinators and admins; a visitor is sent to log in.
COORDINATOR_PAGE = {role: 403 for role in ROLES} | {
    "visitor": "login",
    "coordinator": 200,
    "admin": 200,
}
MATCHING = "/communities/northside/matching"
NOT_ALLOWED = "Only this community&#39;s coordinators can do that."


def become(client, world, bob, role: str):
    """Log in as a role of the world, or as Bob (who wrote the offers) for "offerer"."""
    if role == "offerer":
        log_in(client, bob)
        return bob
    return act_as(client, world, role)


def is_partial(response, root: str) -> bool:
    """Only the fragment htmx asked for: it starts with its root element, without the page."""
    body = text(response).lstrip()
    return body.startswith(root) and "<html" not in body and "<nav" not in body


def claim_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Claim))


@pytest.fixture
def need_and_offer(world, make_post, bob, carl):
    """Mia's bike to mend (seen only in Northside), Bob's mending, Carl's piano lessons."""
    need = make_post("bike need")
    offer = make_post("bike offer", author=bob)
    make_post("piano offer", author=carl)
    return need, offer


# --- suggestions for one post ------------------------------------------------------------------

FOR_POST = {
    "visitor": "login",
    "member": 200,  # Mia, the author
    "other_member": 200,
    "coordinator": 200,
    "admin": 200,
    "applicant": 404,  # not yet a member: the post is not theirs to see
    "away_member": 404,
    "away_coordinator": 404,
    "stranger": 404,
}


@pytest.mark.parametrize("role", ROLES)
def test_who_gets_a_posts_suggestions(client, world, need_and_offer, role):
    need, _ = need_and_offer
    act_as(client, world, role)
    response = client.get(f"/posts/{need.id}/suggestions")
    assert_status(response, FOR_POST[role])
    if response.status_code == 200:
        page = text(response)
        assert "Offers that may fit" in page
        # Only the author is shown what fits their post.
        assert ("I can fix bikes" in page) is (role == "member")
        assert "Piano lessons" not in page


def test_the_author_sees_the_fit_the_reasons_and_a_one_click_answer(
    client, world, need_and_offer, bob
):
    need, offer = need_and_offer
    log_in(client, world.member)
    page = text(client.get(f"/posts/{need.id}/suggestions"))
    assert f'href="/posts/{offer.id}"' in page
    assert "Bob Bikes" in page and "Northside" in page
    assert re.search(r"(Very good|Good) fit <span class=\"muted\">\(\d+%\)</span>", page)
    reasons = re.search(r'<ul class="reasons">(.*?)</ul>', page, re.S)
    assert reasons and re.search(r"bike|bicycle|repair", reasons.group(1), re.I)

    # "Ask for this" opens a claim on Bob's offer, with a message saying why.
    form = re.search(
        rf'<form method="post" action="(/posts/{offer.id}/claims)".*?'
        r'name="message" value="([^"]*)".*?<button type="submit">Ask for this</button>',
        page,
        re.S,
    )
    assert form, page
    response = post(client, form.group(1), {"message": html.unescape(form.group(2))})
    assert response.status_code == 303
    claim = db.session.scalar(select(Claim))
    assert (claim.post_id, claim.claimant_id, claim.status) == (
        offer.id,
        world.member.id,
        "pending",
    )
    assert claim.message == "Suggested for my need “Bicycle repair needed”."
    assert response.headers["Location"].endswith(f"/claims/{claim.id}")
    assert notes_for(bob, kind="claim")


def test_an_offers_author_is_offered_to_help(client, world, need_and_offer, bob):
    need, offer = need_and_offer
    log_in(client, bob)
    page = text(client.get(f"/posts/{offer.id}/suggestions"))
    assert "Needs your offer may fit" in page
    assert "Bicycle repair needed" in page
    assert f'action="/posts/{need.id}/claims"' in page
    assert "Offer this</button>" in page


def test_nothing_that_fits_says_so(client, world, make_post, carl):
    need = make_post("bike need")
    make_post("piano offer", author=carl)
    log_in(client, world.member)
    page = text(client.get(f"/posts/{need.id}/suggestions"))
    assert "Nothing fits well yet." in page
    assert "Piano lessons" not in page


def test_the_suggestions_partial_for_htmx(client, world, need_and_offer):
    need, _ = need_and_offer
    log_in(client, world.member)
    response = client.get(f"/posts/{need.id}/suggestions", headers=HX)
    assert response.status_code == 200
    assert is_partial(response, '<section id="suggestions"')
    assert "I can fix bikes" in text(response)
    full = client.get(f"/posts/{need.id}/suggestions")
    assert "<html" in text(full) and f'href="/posts/{need.id}"' in text(full)


def test_unknown_and_hidden_posts_have_no_suggestions_page(client, world, need_and_offer):
    need, _ = need_and_offer
    log_in(client, world.other_member)
    assert_status(client.get("/posts/999999/suggestions"), 404)
    need.hidden_at = need.created_at
    db.session.commit()
    assert_status(client.get(f"/posts/{need.id}/suggestions"), 404)


@pytest.mark.parametrize("role, lazy", [("member", True), ("other_member", False)])
def test_the_post_page_loads_suggestions_lazily_for_its_author_only(
    client, world, need_and_offer, role, lazy
):
    need, _ = need_and_offer
    act_as(client, world, role)
    page = text(client.get(f"/posts/{need.id}"))
    assert (f'hx-get="/posts/{need.id}/suggestions"' in page) is lazy
    assert (f'<a href="/posts/{need.id}/suggestions">' in page) is lazy  # without JavaScript
    assert "I can fix bikes" not in page  # not computed with the page itself


# --- the member's own suggestions --------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_who_gets_suggestions_for_their_posts(client, world, need_and_offer, role):
    act_as(client, world, role)
    response = client.get("/suggestions")
    assert_status(response, "login" if role == "visitor" else 200)
    if role == "member":
        page = text(response)
        assert "Bicycle repair needed" in page and "I can fix bikes" in page
        assert "Ask for this</button>" in page
    elif role != "visitor":
        page = text(response)
        assert "No suggestions right now." in page
        assert "I can fix bikes" not in page and "Bicycle repair needed" not in page


def test_the_dashboard_loads_suggestions_lazily_once_the_member_has_posts(
    client, world, need_and_offer
):
    log_in(client, world.member)
    page = text(client.get("/"))
    assert 'hx-get="/suggestions"' in page
    assert "I can fix bikes" not in page
    response = client.get("/suggestions", headers=HX)
    assert is_partial(response, '<section id="my-suggestions"')
    assert "I can fix bikes" in text(response)
    log_in(client, world.other_member)  # nothing posted: nothing to suggest for
    assert 'hx-get="/suggestions"' not in text(client.get("/"))


# --- a coordinator's rounds --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_who_gets_the_matching_page(client, world, three_pairs, role):
    act_as(client, world, role)
    response = client.get("/communities/northside/matching")
    assert_status(response, COORDINATOR_PAGE[role])
    page = text(response)
    if response.status_code == 200:
        assert "Matching rounds in Northside" in page
        assert "Run a matching round</button>" in page
        assert "Not sent yet: 3 pairs" in page and "Cora Coordinator" in page
        assert "3 needs, 4 offers" in page
    elif response.status_code == 403:
        assert NOT_ALLOWED in page


@pytest.mark.parametrize("role", ROLES)
def test_who_may_run_a_round(client, world, need_and_offer, role):
    act_as(client, world, role)
    response = post(client, "/communities/northside/matching")
    expected = COORDINATOR_PAGE[role]
    assert_status(response, 303 if expected == 200 else expected)
    rounds = all_rounds()
    if response.status_code == 303:
        (matching_round,) = rounds
        assert (
            response.headers["Location"] == f"/communities/northside/matching/{matching_round.id}"
        )
        page = text(client.get(response.headers["Location"]))
        assert "The round found 1 pair. Nothing is sent until you send it." in page
        assert "Bicycle repair needed" in page and "I can fix bikes" in page
    else:
        assert rounds == []


def test_a_round_with_nothing_to_pair_says_so(client, world, make_post, carl):
    make_post("bike need")
    make_post("piano offer", author=carl)
    log_in(client, world.coordinator)
    response = post(client, "/communities/northside/matching")
    page = text(client.get(response.headers["Location"]))
    assert "The round found no good pairs right now." in page
    assert "No pairs in this round." in page


def test_running_a_round_from_htmx_navigates_to_its_review(client, world, need_and_offer):
    log_in(client, world.coordinator)
    response = post(client, "/communities/northside/matching", headers=HX)
    (matching_round,) = all_rounds()
    assert response.headers["HX-Redirect"] == (
        f"/communities/northside/matching/{matching_round.id}"
    )


@pytest.mark.parametrize("role", ROLES)
def test_who_gets_a_rounds_review(client, world, three_pairs, role):
    matching_round, proposal = three_pairs
    act_as(client, world, role)
    response = client.get(f"/communities/northside/matching/{matching_round.id}")
    assert_status(response, COORDINATOR_PAGE[role])
    if response.status_code == 200:
        page = text(response)
        assert "Matching round in Northside" in page
        assert "3 open needs and 4 offers were weighed" in page
        for p in proposal.values():
            row = re.search(rf'<tr id="proposal-{p.id}">(.*?)</tr>', page, re.S)
            assert row, p
            assert p.need.title in row.group(1) and p.offer.title in row.group(1)
            assert f"{round(p.score * 100)}%" in row.group(1)
            assert 'class="reasons"' in row.group(1)
            assert "Remove</button>" in row.group(1)
        assert "Send 3 proposals</button>" in page


def test_the_review_is_a_partial_for_htmx(client, world, three_pairs):
    matching_round, _ = three_pairs
    log_in(client, world.coordinator)
    response = client.get(f"/communities/northside/matching/{matching_round.id}", headers=HX)
    assert is_partial(response, '<div id="review"')
    response = client.get("/communities/northside/matching", headers=HX)
    assert is_partial(response, '<div id="rounds"')


@pytest.mark.parametrize("role", ROLES)
def test_who_may_remove_a_pair(client, world, three_pairs, role):
    matching_round, proposal = three_pairs
    bike = proposal["bike"]
    url = f"/communities/northside/matching/{matching_round.id}/proposals/{bike.id}/remove"
    act_as(client, world, role)
    response = post(client, url, headers=HX if role != "visitor" else {})
    assert_status(response, COORDINATOR_PAGE[role])
    state = proposal_states(matching_round.id)[(bike.need_id, bike.offer_id)]
    if response.status_code == 200:
        assert state == "removed"
        assert is_partial(response, '<div id="review"')
        assert f'id="proposal-{bike.id}"' not in text(response)
        assert "Send 2 proposals</button>" in text(response)
    else:
        assert state == "draft"


@pytest.mark.parametrize("role", ROLES)
def test_who_may_send_a_round(client, world, three_pairs, role):
    matching_round, _ = three_pairs
    url = f"/communities/northside/matching/{matching_round.id}/send"
    act_as(client, world, role)
    response = post(client, url)
    expected = COORDINATOR_PAGE[role]
    assert_status(response, 303 if expected == 200 else expected)
    if response.status_code == 303:
        assert (
            response.headers["Location"] == f"/communities/northside/matching/{matching_round.id}"
        )
        page = text(client.get(response.headers["Location"]))
        assert "Sent 3 proposals: both sides have been told." in page
        assert "0 taken up, 0 dismissed, 3 waiting for an answer" in page
        assert page.count("<td>Waiting</td>") == 3
        assert len(notes_for(world.member)) == 1
    else:
        assert fresh(MatchingRound, matching_round.id).state == "draft"
        assert notes_for(world.member) == []


def test_a_removed_pair_is_not_sent(client, world, three_pairs, bob):
    matching_round, proposal = three_pairs
    base = f"/communities/northside/matching/{matching_round.id}"
    log_in(client, world.coordinator)
    post(client, f"{base}/proposals/{proposal['ladder'].id}/remove")
    response = post(client, f"{base}/send")
    assert "Sent 2 proposals" in text(client.get(response.headers["Location"]))
    assert [n.link for n in notes_for(bob)] == [f"/proposals/{proposal['bike'].id}"]


def test_sending_twice_is_refused(client, world, three_pairs):
    matching_round, _ = three_pairs
    log_in(client, world.coordinator)
    url = f"/communities/northside/matching/{matching_round.id}/send"
    assert post(client, url).status_code == 303
    again = post(client, url)
    assert_status(again, 409)
    assert "This round was already sent." in text(again)
    assert len(notes_for(world.member)) == 1


def test_removing_after_sending_is_refused_in_place(client, world, three_pairs):
    matching_round, proposal = three_pairs
    base = f"/communities/northside/matching/{matching_round.id}"
    log_in(client, world.coordinator)
    post(client, f"{base}/send")
    response = post(client, f"{base}/proposals/{proposal['bike'].id}/remove", headers=HX)
    assert_status(response, 409)
    # htmx swaps a 409 into the review: it must be the review, not a whole page inside it.
    assert is_partial(response, '<div id="review"')
    assert "its proposals can no longer be removed" in text(response)
    assert fresh(Proposal, proposal["bike"].id).state == "sent"


@pytest.mark.parametrize(
    "url",
    [
        "/communities/nowhere/matching",
        "/communities/northside/matching/999999",
    ],
)
def test_unknown_communities_and_rounds_are_not_found(client, world, url):
    log_in(client, world.admin)
    assert_status(client.get(url), 404)


@pytest.mark.parametrize("who", ["coordinator", "admin"])
def test_a_round_of_another_community_is_not_found_here(client, world, three_pairs, make_post, who):
    """Southside's round, asked for under Northside's address, is not found: not even an
    admin reaches it through the wrong community, and nothing in it changes."""
    make_post("dog need", author=world.away_member, community=world.away)
    make_post("dog offer", author=world.away_coordinator, community=world.away)
    away_round = services.run_round(world.away_coordinator, world.away)
    (away_proposal,) = fresh(MatchingRound, away_round.id).proposals
    act_as(client, world, who)
    base = f"/communities/northside/matching/{away_round.id}"
    assert_status(client.get(base), 404)
    assert_status(post(client, f"{base}/send"), 404)
    assert_status(post(client, f"{base}/proposals/{away_proposal.id}/remove"), 404)
    assert fresh(MatchingRound, away_round.id).state == "draft"
    assert fresh(Proposal, away_proposal.id).state == "draft"


def test_a_proposal_of_another_round_is_not_found_under_this_one(client, world, three_pairs):
    first, proposal = three_pairs
    second = services.run_round(world.coordinator, world.home)
    log_in(client, world.coordinator)
    url = f"/communities/northside/matching/{second.id}/proposals/{proposal['bike'].id}/remove"
    assert_status(post(client, url), 404)
    assert_status(
        post(client, f"/communities/northside/matching/{first.id}/proposals/999999/remove"), 404
    )
    assert fresh(Proposal, proposal["bike"].id).state == "draft"


# --- a proposal, for the two people it is for -------------------------------------------------

PROPOSAL_PAGE = {
    "visitor": "login",
    "member": 200,  # Mia: the need's side
    "offerer": 200,  # Bob: the offer's side
    "coordinator": 200,
    "admin": 200,
    "other_member": 404,  # in other pairs of the round, not this one
    "applicant": 404,
    "away_member": 404,
    "away_coordinator": 404,
    "stranger": 404,
}


@pytest.mark.parametrize("role", list(PROPOSAL_PAGE))
def test_who_sees_a_sent_proposal(client, world, sent, bob, role):
    bike = sent["bike"]
    become(client, world, bob, role)
    response = client.get(f"/proposals/{bike.id}")
    assert_status(response, PROPOSAL_PAGE[role])
    if response.status_code == 200:
        page = text(response)
        assert "Northside's coordinators suggest that" in page
        assert "I can fix bikes" in page and "Bicycle repair needed" in page
        assert 'class="reasons"' in page
        assert ("Ask for this offer</button>" in page) is (role == "member")
        assert ("Offer my help</button>" in page) is (role == "offerer")
        assert ("No, thanks</button>" in page) is (role in ("member", "offerer"))


@pytest.mark.parametrize("role", ["member", "offerer"])
def test_a_draft_or_removed_proposal_is_not_shown_to_its_two_people(
    client, world, three_pairs, bob, role
):
    matching_round, proposal = three_pairs
    services.remove_proposal(world.coordinator, proposal["bike"])
    become(client, world, bob, role)
    assert_status(client.get(f"/proposals/{proposal['bike'].id}"), 404)  # removed
    if role == "offerer":
        assert_status(client.get(f"/proposals/{proposal['ladder'].id}"), 404)  # still a draft
    log_in(client, world.coordinator)
    assert_status(client.get(f"/proposals/{proposal['bike'].id}"), 200)


def test_the_proposal_is_a_partial_for_htmx(client, world, sent):
    log_in(client, world.member)
    response = client.get(f"/proposals/{sent['bike'].id}", headers=HX)
    assert is_partial(response, '<div id="proposal"')


ANSWER = {
    "visitor": "login",
    "member": 303,
    "offerer": 303,
    "coordinator": 403,  # may look, but the answer is the two people's own
    "admin": 403,
    "other_member": 404,
    "applicant": 404,
    "away_member": 404,
    "away_coordinator": 404,
    "stranger": 404,
}


@pytest.mark.parametrize("role", list(ANSWER))
def test_who_may_take_a_proposal_up(client, world, sent, bob, role):
    bike = sent["bike"]
    url = f"/proposals/{bike.id}/accept"
    become(client, world, bob, role)
    response = post(client, url)
    assert_status(response, ANSWER[role])
    saved = fresh(Proposal, bike.id)
    if response.status_code == 303:
        claim = fresh(Claim, saved.claim_id)
        assert response.headers["Location"] == f"/claims/{claim.id}"
        assert saved.state == "accepted"
        assert claim.post_id == (bike.offer_id if role == "member" else bike.need_id)
        page = text(client.get(response.headers["Location"]))
        assert "Done: your answer is sent. Talk it through here." in page
        # The proposal now points at the conversation.
        assert f'href="/claims/{claim.id}"' in text(client.get(f"/proposals/{bike.id}"))
    else:
        assert saved.state == "sent"
        assert claim_count() == 0


@pytest.mark.parametrize("role", list(ANSWER))
def test_who_may_dismiss_a_proposal(client, world, sent, bob, role):
    bike = sent["bike"]
    url = f"/proposals/{bike.id}/dismiss"
    become(client, world, bob, role)
    response = post(client, url)
    assert_status(response, ANSWER[role])
    saved = fresh(Proposal, bike.id)
    if response.status_code == 303:
        assert response.headers["Location"] == "/"
        assert saved.state == "dismissed"
        assert "Dismissed. Nobody else is told." in text(client.get("/"))
        assert "Dismissed." in text(client.get(f"/proposals/{bike.id}"))
    else:
        assert saved.state == "sent"
    assert claim_count() == 0


def test_taking_a_proposal_up_from_htmx_navigates_to_the_claim(client, world, sent):
    log_in(client, world.member)
    response = post(client, f"/proposals/{sent['bike'].id}/accept", headers=HX)
    claim = db.session.scalar(select(Claim))
    assert response.headers["HX-Redirect"] == f"/claims/{claim.id}"


@pytest.mark.parametrize("first", ["accept", "dismiss"])
@pytest.mark.parametrize("second", ["accept", "dismiss"])
def test_a_proposal_is_answered_once(client, world, sent, bob, first, second):
    bike = sent["bike"]
    log_in(client, world.member)
    assert post(client, f"/proposals/{bike.id}/{first}").status_code == 303
    log_in(client, bob)
    again = post(client, f"/proposals/{bike.id}/{second}")
    assert_status(again, 409)
    assert "This proposal has already been answered." in text(again)
    assert claim_count() == (1 if first == "accept" else 0)


def test_a_proposal_whose_offer_has_closed_is_refused_clearly(client, world, sent, bob):
    from commons.posts import services as posts

    posts.close_post(bob, fresh(Post, sent["bike"].offer_id))
    log_in(client, world.member)
    response = post(client, f"/proposals/{sent['bike'].id}/accept")
    assert_status(response, 409)
    assert "That can&#39;t be done now" in text(response)
    assert fresh(Proposal, sent["bike"].id).state == "sent"


@pytest.mark.parametrize(
    "url", ["/proposals/999999", "/proposals/999999/accept", "/proposals/999999/dismiss"]
)
def test_unknown_proposals_are_not_found(client, world, url):
    log_in(client, world.admin)
    response = client.get(url) if url.count("/") == 2 else post(client, url)
    assert_status(response, 404)


# --- CSRF --------------------------------------------------------------------------------------


def test_every_action_needs_the_forms_csrf_token(client, world, sent, bob):
    bike = sent["bike"]
    matching_round = fresh(MatchingRound, bike.round_id)
    log_in(client, world.coordinator)
    for url in (
        "/communities/northside/matching",
        f"/communities/northside/matching/{matching_round.id}/send",
        f"/communities/northside/matching/{matching_round.id}/proposals/{bike.id}/remove",
    ):
        response = client.post(url)
        assert_status(response, 400)
        assert "Nothing was saved" in text(response)
    assert len(all_rounds()) == 1
    log_in(client, world.member)
    for url in (f"/proposals/{bike.id}/accept", f"/proposals/{bike.id}/dismiss"):
        assert_status(client.post(url), 400)
        assert_status(client.post(url, headers=HX), 400)
    assert fresh(Proposal, bike.id).state == "sent"
    assert claim_count() == 0


# --- alerts from the post form -----------------------------------------------------------------


def offer_form(world, **changes: str) -> dict[str, str]:
    data = {
        "kind": "offer",
        "title": "I can fix bikes",
        "description": "Punctures, brakes, gears: bring your bicycle round and I will mend it.",
        "category": "repairs",
        "tags": "",
        "community": str(world.home.id),
        "capacity": "1",
        "visibility": "community",
        "lifetime_days": "30",
        "on_behalf_of": "",
        "request_key": "bike-form-1",
    }
    data.update(changes)
    return data


def test_publishing_a_post_that_fits_alerts_the_other_side_once(client, world, make_post, bob):
    make_post("bike need")
    log_in(client, bob)
    first = post(client, "/posts/new", offer_form(world))
    second = post(client, "/posts/new", offer_form(world))  # the same form, sent twice
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    [note] = notes_for(world.member)
    assert note.link == first.headers["Location"]
    assert "“I can fix bikes”" in note.text
    # Mia follows the alert to the new offer.
    log_in(client, world.member)
    assert "I can fix bikes" in text(client.get(note.link))


def test_publishing_a_post_that_fits_nothing_alerts_nobody(client, world, make_post, carl):
    make_post("bike need")
    log_in(client, carl)
    response = post(
        client,
        "/posts/new",
        offer_form(
            world,
            title="Piano lessons for beginners",
            description="Learn to read music and play simple songs on my upright piano.",
            category="arts",
        ),
    )
    assert response.status_code == 303
    assert notes_for(world.member) == []
