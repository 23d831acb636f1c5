"""Matching fed from the database: suggestions for one post, a coordinator's round and the
proposals it sends, and alerts when something new fits. Every hard rule (rule 4 and the
issue's "in the app" list) is checked on real rows, through the same services the pages use."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from commons.accounts.models import User
from commons.claims import services as claims
from commons.claims.models import Claim
from commons.communities import services as communities
from commons.communities.permissions import NotAllowed
from commons.database import now_utc
from commons.extensions import db
from commons.links import services as links
from commons.posts import services as posts
from commons.posts.models import Post
from commons.suggestions import services
from commons.suggestions.models import MatchingRound, Proposal
from tests.claims.test_concurrency import run_together
from tests.suggestions.conftest import (
    all_rounds,
    available,
    block,
    fresh,
    link,
    notes_for,
    proposal_states,
    revoke,
)

# --- helpers -----------------------------------------------------------------------------------


def suggested(viewer, post: Post) -> list[Post]:
    return [s.post for s in services.suggestions_for(viewer, post)]


def hide(post: Post) -> None:
    post.hidden_at = now_utc()
    db.session.commit()


def expire_unnoticed(post: Post) -> None:
    """Past its expiry, before the daily job has marked it: still `open` in the table."""
    post.expires_at = now_utc() - timedelta(minutes=1)
    db.session.commit()


def close(post: Post) -> None:
    posts.close_post(post.author, post)


def fulfil(post: Post, helper) -> None:
    claims.accept(post.author, claims.make_claim(helper, post, "Happy to."))


def claim_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Claim))


# --- suggestions for one post ------------------------------------------------------------------


def test_the_author_gets_the_best_offer_first_with_reasons_a_person_can_read(
    world, make_post, bob, carl
):
    need = make_post("bike need")
    piano = make_post("piano offer", author=carl)
    dogs = make_post("dog offer", author=carl)
    bikes = make_post("bike offer", author=bob)

    found = services.suggestions_for(world.member, need)

    assert found, "a clear match must be suggested"
    best = found[0]
    assert best.post == bikes
    assert 0.5 <= best.score <= 1
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert best.reasons, "a suggestion says why"
    for reason in best.reasons:
        assert isinstance(reason, str) and reason.strip() == reason and len(reason) > 3
        assert "None" not in reason and "{" not in reason  # words, not internals
    assert any(re.search(r"bike|bicycle|repair", reason, re.I) for reason in best.reasons)
    # What does not fit is either absent or clearly ranked as a poor fit.
    for other in found[1:]:
        assert other.post in (piano, dogs) and other.score < 0.5


def test_an_offers_author_gets_the_needs_it_could_serve(world, make_post, bob):
    make_post("dog need")
    need = make_post("bike need")
    offer = make_post("bike offer", author=bob)
    found = services.suggestions_for(bob, offer)
    assert found[0].post == need
    assert found[0].score >= 0.5


@pytest.mark.parametrize(
    "role", ["visitor", "other_member", "coordinator", "admin", "away_member", "stranger"]
)
def test_only_the_author_gets_suggestions(world, make_post, bob, role):
    need = make_post("bike need")
    make_post("bike offer", author=bob)
    viewer = AnonymousUserMixin() if role == "visitor" else getattr(world, role)
    assert services.suggestions_for(viewer, need) == []
    assert suggested(world.member, need) != []  # while the author does get them


def test_never_the_members_own_posts(world, make_post, bob):
    need = make_post("bike need")
    own = make_post("bike offer")  # Mia mends bikes too, as it happens
    bobs = make_post("bike offer", author=bob)
    found = suggested(world.member, need)
    assert bobs in found
    assert own not in found


@pytest.mark.parametrize("who_blocks", ["asker", "offerer"])
def test_never_a_blocked_members_posts(world, make_post, bob, carl, who_blocks):
    need = make_post("bike need")
    bobs = make_post("bike offer", author=bob)
    carls = make_post("bike offer", author=carl, title="Bike mending")
    if who_blocks == "asker":
        block(world.member, bob)
    else:
        block(bob, world.member)
    assert bobs not in suggested(world.member, need)
    assert carls in suggested(world.member, need)  # the block is about Bob, not about bikes
    assert need not in suggested(bob, bobs)


@pytest.mark.parametrize(
    "change", ["hidden", "closed", "expired, not yet marked", "expired", "fulfilled"]
)
def test_never_a_post_that_is_no_longer_open(world, make_post, bob, carl, change):
    need = make_post("bike need")
    offer = make_post("bike offer", author=bob)
    assert suggested(world.member, need) == [offer]
    if change == "hidden":
        hide(offer)
    elif change == "closed":
        close(offer)
    elif change == "expired, not yet marked":
        expire_unnoticed(offer)
    elif change == "expired":
        expire_unnoticed(offer)
        posts.expire_posts()
    else:
        fulfil(offer, carl)
    assert suggested(world.member, fresh(Post, need.id)) == []


@pytest.mark.parametrize("change", ["hidden", "closed", "expired, not yet marked"])
def test_a_post_that_is_no_longer_open_gets_no_suggestions(world, make_post, bob, change):
    need = make_post("bike need")
    make_post("bike offer", author=bob)
    if change == "hidden":
        hide(need)
    elif change == "closed":
        close(need)
    else:
        expire_unnoticed(need)
    assert suggested(world.member, fresh(Post, need.id)) == []


@pytest.mark.parametrize("visibility", ["community", "linked", "public"])
def test_never_a_community_post_of_another_community(world, make_post, visibility):
    """Mia belongs to both Northside and Southside and can see Southside's `community` posts,
    but her Northside need is not matched with them: they are not shared with Northside."""
    communities.join(world.member, world.away)
    need = make_post("bike need", visibility=visibility)
    theirs = make_post("bike offer", author=world.away_member, community=world.away)
    assert theirs.visibility == "community"
    assert theirs not in suggested(world.member, need)
    assert need not in suggested(world.away_member, theirs)


@pytest.mark.parametrize(
    "link_state, scopes, visibility, crosses",
    [
        ("none", (), "linked", False),
        ("none", (), "public", False),  # public, but the communities are not linked
        ("proposed", ("offers", "needs"), "linked", False),
        ("active", ("offers", "needs"), "linked", True),
        ("active", ("offers", "needs"), "public", True),
        ("active", ("offers", "needs"), "community", False),
        ("active", ("needs",), "linked", False),  # offers do not flow across this link
        ("revoked", ("offers", "needs"), "linked", False),
    ],
)
def test_across_a_link_only_shared_posts_of_a_kind_in_its_scope(
    world, make_post, link_state, scopes, visibility, crosses
):
    need = make_post("bike need", visibility="linked")
    offer = make_post(
        "bike offer", author=world.away_member, community=world.away, visibility=visibility
    )
    if link_state == "proposed":
        links.propose(world.coordinator, world.home, world.away, scopes=scopes)
    elif link_state in ("active", "revoked"):
        active = link(world, scopes)
        if link_state == "revoked":
            assert offer in suggested(world.member, need)  # while the link lasted
            revoke(world, active)
    assert (offer in suggested(world.member, need)) is crosses
    assert (need in suggested(world.away_member, offer)) is crosses


def test_a_link_that_carries_only_offers_never_shows_needs_across(world, make_post):
    """Wes in Southside offers bike repairs; Northside's need is marked `linked`, but the
    link carries offers only, so Wes cannot see it and is never pointed at it."""
    need = make_post("bike need", visibility="linked")
    offer = make_post(
        "bike offer", author=world.away_member, community=world.away, visibility="linked"
    )
    link(world, ("offers",))
    assert need not in suggested(world.away_member, offer)


def test_revoking_the_link_stops_suggestions_at_once(world, make_post):
    need = make_post("bike need", visibility="linked")
    offer = make_post(
        "bike offer", author=world.away_member, community=world.away, visibility="linked"
    )
    active = link(world)
    assert suggested(world.member, need) == [offer]
    revoke(world, active)
    assert suggested(world.member, need) == []


def test_a_need_with_no_good_offer_gets_only_low_scores(world, make_post, bob, carl):
    need = make_post("bike need")
    make_post("piano offer", author=carl)
    make_post("dog offer", author=bob)
    make_post("ladder offer", author=bob)
    make_post("bike rack offer", author=carl)  # "bikes", but nothing to do with mending
    found = services.suggestions_for(world.member, need)
    assert all(s.score < 0.5 for s in found), [(s.post.title, s.score) for s in found]


def test_the_dashboard_lists_the_members_open_posts_with_their_suggestions(world, make_post, bob):
    need = make_post("bike need")
    dog_need = make_post("dog need")
    closed = make_post("ladder need")
    close(closed)
    bikes = make_post("bike offer", author=bob)
    make_post("ladder offer", author=bob)
    found = services.my_suggestions(fresh(User, world.member.id))
    by_post = {post.id: [s.post.id for s in suggestions] for post, suggestions in found}
    assert by_post == {need.id: [bikes.id]}  # the dog need has nothing; the closed one is gone
    assert dog_need.id not in by_post


# --- a coordinator's matching round ------------------------------------------------------------


def pairs_of(matching_round: MatchingRound) -> set[tuple[int, int]]:
    return set(proposal_states(matching_round.id))


def run(world) -> MatchingRound:
    return services.run_round(world.coordinator, world.home)


def test_a_round_pairs_each_need_with_the_offer_that_fits_and_tells_nobody_yet(
    world, make_post, bob, carl
):
    bike_need = make_post("bike need")
    dog_need = make_post("dog need", author=world.other_member)
    ladder_need = make_post("ladder need", author=world.other_member)
    bikes = make_post("bike offer", author=bob)
    dogs = make_post("dog offer", author=carl)
    ladder = make_post("ladder offer", author=bob)
    make_post("piano offer", author=carl)

    matching_round = run(world)

    saved = fresh(MatchingRound, matching_round.id)
    assert (saved.state, saved.community_id, saved.run_by_id) == (
        "draft",
        world.home.id,
        world.coordinator.id,
    )
    assert (saved.needs_considered, saved.offers_considered) == (3, 4)
    assert pairs_of(saved) == {
        (bike_need.id, bikes.id),
        (dog_need.id, dogs.id),
        (ladder_need.id, ladder.id),
    }
    for proposal in saved.proposals:
        assert proposal.state == "draft"
        assert 0.5 <= proposal.score <= 1
        assert proposal.reason_list and all(isinstance(r, str) for r in proposal.reason_list)
    assert [p.score for p in saved.proposals] == sorted(
        (p.score for p in saved.proposals), reverse=True
    )
    for person in (world.member, world.other_member, bob, carl):
        assert notes_for(person) == []


@pytest.mark.parametrize("role", ["member", "away_coordinator", "stranger"])
def test_only_the_communitys_coordinators_and_admins_run_rounds(world, make_post, bob, role):
    make_post("bike need")
    make_post("bike offer", author=bob)
    with pytest.raises(NotAllowed):
        services.run_round(getattr(world, role), world.home)
    assert all_rounds() == []
    assert services.run_round(world.admin, world.home).proposals


def test_a_round_never_pairs_hidden_closed_or_expired_posts(world, make_post, bob, carl):
    needs = {
        "hidden": make_post("bike need", title="Bike repair (hidden)"),
        "closed": make_post("dog need", title="Dog walk (closed)"),
        "expired": make_post("ladder need", title="Ladder (expired)"),
    }
    make_post("bike offer", author=bob)
    make_post("dog offer", author=carl)
    ladder = make_post("ladder offer", author=bob)
    fine = make_post("ladder need", author=world.other_member, title="Ladder (fine)")
    hide(needs["hidden"])
    close(needs["closed"])
    expire_unnoticed(needs["expired"])

    matching_round = run(world)

    assert pairs_of(matching_round) == {(fine.id, ladder.id)}
    assert fresh(MatchingRound, matching_round.id).needs_considered == 1


@pytest.mark.parametrize("change", ["hidden", "closed", "expired, not yet marked", "fulfilled"])
def test_a_round_never_offers_what_is_no_longer_open(world, make_post, bob, carl, change):
    need = make_post("bike need")
    offer = make_post("bike offer", author=bob)
    {
        "hidden": hide,
        "closed": close,
        "expired, not yet marked": expire_unnoticed,
        "fulfilled": lambda post: fulfil(post, carl),
    }[change](offer)
    assert pairs_of(run(world)) == set()
    assert fresh(Post, need.id).status == "open"  # it just has nothing to be paired with


@pytest.mark.parametrize("who_blocks", ["asker", "offerer"])
def test_a_round_never_pairs_people_with_a_block_between_them(
    world, make_post, bob, carl, who_blocks
):
    need = make_post("bike need")
    bobs = make_post("bike offer", author=bob)
    carls = make_post("bike offer", author=carl, title="Bike mending, slower")
    assert pairs_of(run(world)) in ({(need.id, bobs.id)}, {(need.id, carls.id)})
    if who_blocks == "asker":
        block(world.member, bob)
    else:
        block(bob, world.member)
    assert pairs_of(run(world)) == {(need.id, carls.id)}


@pytest.mark.parametrize(
    "need_slots, offer_slots, paired",
    [
        ([(0, 18, 20)], [(1, 10, 12)], False),  # Monday evening, Tuesday morning: never
        ([(0, 18, 20)], [(0, 10, 12)], False),  # the same day, hours apart
        ([(0, 18, 20)], [(1, 10, 12), (0, 19, 21)], True),  # Monday 19:00-20:00 in common
        ([(0, 18, 20)], [], True),  # Bob gave no times: nothing rules it out
        ([], [(1, 10, 12)], True),
    ],
)
def test_a_round_never_pairs_people_whose_weekly_times_never_meet(
    world, make_post, bob, need_slots, offer_slots, paired
):
    for slot in need_slots:
        available(world.member, *slot)
    for slot in offer_slots:
        available(bob, *slot)
    need = make_post("bike need")
    offer = make_post("bike offer", author=bob)
    assert pairs_of(run(world)) == ({(need.id, offer.id)} if paired else set())


@pytest.mark.parametrize(
    "need_when, offer_when, paired",
    [
        (("mon-evening",), ("tue-morning",), False),
        (("mon-evening", "sat-morning"), ("sat-morning",), True),
        # A post's own times stand for it: Bob's profile says Tuesday mornings, but this
        # offer is for Monday evenings, when Mia is free.
        ((), ("mon-evening",), True),
    ],
)
def test_a_posts_own_times_of_the_week_count_in_a_round(
    world, make_post, bob, need_when, offer_when, paired
):
    available(world.member, 0, 18, 20)
    available(bob, 1, 10, 12)
    need = make_post("bike need", when=need_when)
    offer = make_post("bike offer", author=bob, when=offer_when)
    assert pairs_of(run(world)) == ({(need.id, offer.id)} if paired else set())


def test_times_that_never_meet_give_way_to_an_offer_whose_times_do(world, make_post, bob, carl):
    available(world.member, 0, 18, 20)
    available(bob, 1, 10, 12)
    available(carl, 0, 17, 19)
    need = make_post("bike need")
    make_post("bike offer", author=bob)
    carls = make_post("bike offer", author=carl, title="Bike mending on Mondays")
    assert pairs_of(run(world)) == {(need.id, carls.id)}


def test_each_need_gets_at_most_one_offer(world, make_post, bob, carl):
    need = make_post("bike need")
    make_post("bike offer", author=bob)
    make_post("bike offer", author=carl, title="Bike mending")
    proposals = fresh(MatchingRound, run(world).id).proposals
    assert [p.need_id for p in proposals] == [need.id]


@pytest.mark.parametrize("capacity, already_accepted, served", [(1, 0, 1), (2, 0, 2), (3, 1, 2)])
def test_no_offer_serves_more_needs_than_its_free_places(
    world, make_post, make_neighbour, bob, capacity, already_accepted, served
):
    offer = make_post("bike offer", author=bob, capacity=capacity)
    for n in range(already_accepted):
        fulfil_one = claims.make_claim(make_neighbour(f"Earlier {n}"), offer, "Me, please")
        claims.accept(bob, fulfil_one)
    askers = [world.member, world.other_member, make_neighbour("Nell"), make_neighbour("Pat")]
    for person in askers:
        make_post("bike need", author=person)
    proposals = fresh(MatchingRound, run(world).id).proposals
    assert len(proposals) == served
    assert {p.offer_id for p in proposals} == {offer.id}
    assert len({p.need_id for p in proposals}) == served


@pytest.mark.parametrize(
    "need_visibility, offer_visibility, link_state, paired",
    [
        ("linked", "linked", "active", True),
        ("linked", "public", "active", True),
        ("public", "linked", "active", True),
        ("linked", "community", "active", False),  # Wes's offer stays in Southside
        ("community", "linked", "active", False),  # Wes could not see, nor answer, Mia's need
        ("linked", "linked", "none", False),
        ("public", "public", "none", False),  # public, but the communities are not linked
        ("linked", "linked", "revoked", False),
    ],
)
def test_a_round_crosses_only_an_active_link_and_only_with_shared_posts(
    world, make_post, need_visibility, offer_visibility, link_state, paired
):
    need = make_post("bike need", visibility=need_visibility)
    offer = make_post(
        "bike offer", author=world.away_member, community=world.away, visibility=offer_visibility
    )
    if link_state != "none":
        active = link(world)
        if link_state == "revoked":
            revoke(world, active)
    assert pairs_of(run(world)) == ({(need.id, offer.id)} if paired else set())


def test_a_round_only_pairs_across_a_link_in_its_scope(world, make_post):
    make_post("bike need", visibility="linked")
    make_post("bike offer", author=world.away_member, community=world.away, visibility="linked")
    link(world, ("needs",))  # Northside's needs reach Southside; Southside's offers stay home
    matching_round = run(world)
    assert pairs_of(matching_round) == set()
    # The coordinator is told what was weighed: Southside's offer was not.
    saved = fresh(MatchingRound, matching_round.id)
    assert (saved.needs_considered, saved.offers_considered) == (1, 0)


def test_every_pair_of_a_round_involves_one_of_the_communitys_own_posts(world, make_post, bob):
    """Southside's shared need and shared offer fit each other, but that is Southside's
    round to propose, not Northside's."""
    link(world)
    make_post("dog need", author=world.away_member, community=world.away, visibility="linked")
    make_post("dog offer", author=world.away_coordinator, community=world.away, visibility="linked")
    need = make_post("bike need", visibility="linked")
    offer = make_post("bike offer", author=bob, visibility="linked")
    matching_round = run(world)
    assert pairs_of(matching_round) == {(need.id, offer.id)}
    away_round = services.run_round(world.away_coordinator, world.away)
    assert len(pairs_of(away_round)) == 1  # Southside's own dog pair
    (pair,) = pairs_of(away_round)
    assert fresh(Post, pair[0]).community_id == world.away.id


def test_a_round_with_nothing_to_pair_is_recorded_empty(world, make_post, carl):
    make_post("bike need")
    make_post("piano offer", author=carl)
    matching_round = run(world)
    saved = fresh(MatchingRound, matching_round.id)
    assert saved.proposals == [] and saved.state == "draft"
    assert services.outcome(saved) == dict.fromkeys(
        ("draft", "removed", "sent", "accepted", "dismissed"), 0
    )


# --- reviewing and sending a round -------------------------------------------------------------


def test_removing_a_pair_and_sending_the_rest_tells_both_sides_of_each_sent_pair(
    world, three_pairs, bob, carl
):
    matching_round, proposal = three_pairs
    services.remove_proposal(world.coordinator, proposal["ladder"])
    sent = services.send_round(world.coordinator, fresh(MatchingRound, matching_round.id))

    assert sent == 2
    saved = fresh(MatchingRound, matching_round.id)
    assert saved.state == "sent" and saved.sent_at is not None
    assert services.outcome(saved) == {
        "draft": 0,
        "removed": 1,
        "sent": 2,
        "accepted": 0,
        "dismissed": 0,
    }
    bike, dog = proposal["bike"], proposal["dog"]
    [mia_note] = notes_for(world.member)
    assert mia_note.link == f"/proposals/{bike.id}"
    assert mia_note.text == (
        "Northside suggests “I can fix bikes” for your need “Bicycle repair needed”."
    )
    [carl_note] = notes_for(carl)
    assert carl_note.link == f"/proposals/{dog.id}"
    assert "your offer “Dog walking in the park”" in carl_note.text
    # Bob is told of the bike pair only: his ladder was taken out of the round.
    assert [n.link for n in notes_for(bob)] == [f"/proposals/{bike.id}"]
    # Otto is told of his dog need, not of his ladder need.
    assert [n.link for n in notes_for(world.other_member)] == [f"/proposals/{dog.id}"]


def test_a_round_is_sent_once(world, three_pairs):
    matching_round, _ = three_pairs
    services.send_round(world.coordinator, fresh(MatchingRound, matching_round.id))
    with pytest.raises(services.RoundError, match="already sent"):
        services.send_round(world.coordinator, fresh(MatchingRound, matching_round.id))
    assert len(notes_for(world.member)) == 1


def test_after_sending_nothing_can_be_removed(world, three_pairs):
    matching_round, proposal = three_pairs
    services.send_round(world.coordinator, fresh(MatchingRound, matching_round.id))
    with pytest.raises(services.RoundError):
        services.remove_proposal(world.coordinator, fresh(Proposal, proposal["bike"].id))
    assert fresh(Proposal, proposal["bike"].id).state == "sent"


def test_a_removed_pair_cannot_be_removed_again(world, three_pairs):
    _, proposal = three_pairs
    services.remove_proposal(world.coordinator, proposal["bike"])
    with pytest.raises(services.RoundError, match="already removed"):
        services.remove_proposal(world.coordinator, fresh(Proposal, proposal["bike"].id))


@pytest.mark.parametrize("role", ["member", "other_member", "away_coordinator"])
def test_only_coordinators_remove_and_send(world, three_pairs, role):
    matching_round, proposal = three_pairs
    person = getattr(world, role)
    with pytest.raises(NotAllowed):
        services.remove_proposal(person, proposal["bike"])
    with pytest.raises(NotAllowed):
        services.send_round(person, fresh(MatchingRound, matching_round.id))
    assert set(proposal_states(matching_round.id).values()) == {"draft"}
    assert fresh(MatchingRound, matching_round.id).state == "draft"


def test_the_two_people_see_a_proposal_only_once_it_is_sent(world, three_pairs, bob, carl):
    matching_round, proposal = three_pairs
    bike = proposal["bike"]
    services.remove_proposal(world.coordinator, proposal["ladder"])
    for person in (world.member, bob):
        assert not services.can_view_proposal(person, fresh(Proposal, bike.id))
    services.send_round(world.coordinator, fresh(MatchingRound, matching_round.id))
    bike = fresh(Proposal, bike.id)
    assert services.can_view_proposal(world.member, bike)
    assert services.can_view_proposal(bob, bike)
    assert services.side_of(world.member, bike) == "need"
    assert services.side_of(bob, bike) == "offer"
    assert not services.can_view_proposal(carl, bike)
    assert not services.can_view_proposal(world.away_coordinator, bike)
    assert services.can_view_proposal(world.coordinator, bike)
    assert services.can_view_proposal(world.admin, bike)
    # A removed pair was never sent: its two people never learn of it.
    ladder = fresh(Proposal, proposal["ladder"].id)
    assert not services.can_view_proposal(world.other_member, ladder)
    assert not services.can_view_proposal(bob, ladder)


# --- answering a proposal ----------------------------------------------------------------------


def test_accepting_as_the_needs_author_asks_for_the_offer(world, sent, bob):
    proposal = sent["bike"]
    claim = services.accept_proposal(world.member, proposal)

    saved = fresh(Claim, claim.id)
    assert (saved.post_id, saved.claimant_id, saved.status) == (
        proposal.offer_id,
        world.member.id,
        "pending",
    )
    assert "Bicycle repair needed" in saved.message
    taken = fresh(Proposal, proposal.id)
    assert (taken.state, taken.claim_id, taken.decided_by_id) == (
        "accepted",
        claim.id,
        world.member.id,
    )
    [told] = notes_for(bob, kind="claim")
    assert told.link == f"/claims/{claim.id}"


def test_accepting_as_the_offers_author_offers_help_with_the_need(world, sent, bob):
    proposal = sent["bike"]
    claim = services.accept_proposal(bob, proposal)
    saved = fresh(Claim, claim.id)
    assert (saved.post_id, saved.claimant_id, saved.status) == (
        proposal.need_id,
        bob.id,
        "pending",
    )
    assert fresh(Proposal, proposal.id).claim_id == claim.id
    assert notes_for(world.member, kind="claim")[0].link == f"/claims/{claim.id}"


def test_accepting_when_an_answer_was_already_sent_points_at_it(world, sent):
    proposal = sent["bike"]
    earlier = claims.make_claim(world.member, proposal.offer, "Could you look at my bike?")
    claim = services.accept_proposal(world.member, proposal)
    assert claim.id == earlier.id
    assert claim_count() == 1
    assert fresh(Proposal, proposal.id).claim_id == earlier.id


def test_dismissing_tells_nobody_and_opens_no_claim(world, sent, bob):
    before = len(notes_for(bob, kind="claim")) + len(notes_for(bob))
    services.dismiss_proposal(world.member, sent["bike"])
    dismissed = fresh(Proposal, sent["bike"].id)
    assert (dismissed.state, dismissed.claim_id, dismissed.decided_by_id) == (
        "dismissed",
        None,
        world.member.id,
    )
    assert claim_count() == 0
    assert len(notes_for(bob, kind="claim")) + len(notes_for(bob)) == before


@pytest.mark.parametrize(
    "first, second",
    [("accept", "accept"), ("accept", "dismiss"), ("dismiss", "accept"), ("dismiss", "dismiss")],
)
@pytest.mark.parametrize("second_side", ["need", "offer"])
def test_a_proposal_is_answered_once(world, sent, bob, first, second, second_side):
    act = {"accept": services.accept_proposal, "dismiss": services.dismiss_proposal}
    act[first](world.member, sent["bike"])
    claims_before = claim_count()
    person = world.member if second_side == "need" else bob
    with pytest.raises(services.RoundError, match="already been answered"):
        act[second](person, fresh(Proposal, sent["bike"].id))
    assert claim_count() == claims_before
    assert fresh(Proposal, sent["bike"].id).state == (
        "accepted" if first == "accept" else "dismissed"
    )


@pytest.mark.parametrize("role", ["other_member", "coordinator", "admin", "away_member"])
def test_nobody_else_can_answer_a_proposal(world, sent, role):
    person = getattr(world, role)
    with pytest.raises(NotAllowed):
        services.accept_proposal(person, sent["bike"])
    with pytest.raises(NotAllowed):
        services.dismiss_proposal(person, sent["bike"])
    assert fresh(Proposal, sent["bike"].id).state == "sent"
    assert claim_count() == 0


def test_a_draft_or_removed_proposal_cannot_be_answered(world, three_pairs):
    _, proposal = three_pairs
    services.remove_proposal(world.coordinator, proposal["ladder"])
    for name in ("bike", "ladder"):
        with pytest.raises(services.RoundError):
            services.accept_proposal(
                fresh(Proposal, proposal[name].id).need.author, fresh(Proposal, proposal[name].id)
            )
    assert claim_count() == 0


def test_the_rounds_outcome_counts_what_people_did(world, sent, carl):
    services.accept_proposal(world.member, sent["bike"])
    services.dismiss_proposal(carl, sent["dog"])
    matching_round = fresh(MatchingRound, sent["bike"].round_id)
    assert services.outcome(matching_round) == {
        "draft": 0,
        "removed": 0,
        "sent": 1,
        "accepted": 1,
        "dismissed": 1,
    }
    assert services.rounds_of(world.home) == [matching_round]
    assert services.rounds_of(world.away) == []


# --- alerts when something new fits ------------------------------------------------------------


def alert(post: Post) -> int:
    return services.alert_matches(fresh(Post, post.id))


def test_a_new_offer_that_fits_tells_the_needs_author_why(world, make_post, bob):
    make_post("bike need")
    make_post("dog need", author=world.other_member)
    offer = make_post("bike offer", author=bob)

    assert alert(offer) == 1

    [note] = notes_for(world.member)
    assert note.link == f"/posts/{offer.id}"
    assert note.text.startswith("A new offer may fit “Bicycle repair needed”: “I can fix bikes” (")
    why = re.fullmatch(r".*\((.+)\)\.", note.text)
    assert why and re.search(r"bike|bicycle|repair|fix", why.group(1), re.I)
    assert notes_for(world.other_member) == []  # a dog walk is not a bike repair
    assert notes_for(bob) == []  # nobody is alerted about their own post


def test_a_new_need_that_fits_tells_the_offers_author(world, make_post, bob):
    make_post("ladder offer", author=bob)
    need = make_post("ladder need")
    assert alert(need) == 1
    [note] = notes_for(bob)
    assert note.text.startswith("A new request may fit “Tall ladder to lend”")
    assert note.link == f"/posts/{need.id}"


def test_no_alert_for_a_poor_fit(world, make_post, carl):
    need = make_post("bike need")
    make_post("dog need", author=world.other_member)
    assert alert(make_post("piano offer", author=carl)) == 0
    rack = make_post("bike rack offer", author=carl)
    assert alert(rack) == 0
    assert notes_for(world.member) == notes_for(world.other_member) == []
    # The rack may be listed on the need's page as a weak fit; that is no reason to alert.
    for suggestion in services.suggestions_for(world.member, need):
        assert suggestion.score < services.ALERT_SCORE


def test_alerts_respect_blocks_and_community_boundaries(world, make_post, bob):
    make_post("bike need")
    block(world.member, bob)
    assert alert(make_post("bike offer", author=bob)) == 0
    public_elsewhere = make_post(
        "bike offer", author=world.away_member, community=world.away, visibility="public"
    )
    assert alert(public_elsewhere) == 0  # Southside is not linked with Northside
    assert notes_for(world.member) == []


def test_alerting_twice_for_one_post_tells_people_once(world, make_post, bob):
    make_post("bike need")
    offer = make_post("bike offer", author=bob)
    assert alert(offer) == 1
    assert alert(offer) == 0
    assert len(notes_for(world.member)) == 1


def test_alerts_are_capped_per_member_per_day_and_resume_the_next_day(
    world, make_post, make_neighbour
):
    make_post("bike need")
    menders = [make_neighbour(f"Mender {n}") for n in range(6)]
    first = [make_post("bike offer", author=menders[n]) for n in range(3)]
    assert [alert(offer) for offer in first] == [1, 1, 1]
    assert services.ALERTS_PER_DAY == 3

    # A fourth that fits as well: Mia has had her three today.
    fourth = make_post("bike offer", author=menders[3])
    assert alert(fourth) == 0
    assert len(notes_for(world.member)) == 3

    # The cap is per member: Otto, with a need of his own, is still told.
    make_post("bike need", author=world.other_member)
    assert alert(make_post("bike offer", author=menders[4])) == 1
    assert [n.text.split(":")[0] for n in notes_for(world.other_member)] == [
        "A new offer may fit “Bicycle repair needed”"
    ]
    assert len(notes_for(world.member)) == 3

    # A day later Mia hears of new offers again.
    with time_machine.travel(now_utc() + timedelta(days=1, minutes=1), tick=False):
        later = make_post("bike offer", author=menders[5])
        assert alert(later) == 2  # Mia and Otto
    assert [n.link for n in notes_for(world.member)][-1] == f"/posts/{later.id}"
    assert len(notes_for(world.member)) == 4


def test_a_hidden_or_closed_new_post_alerts_nobody(world, make_post, bob):
    make_post("bike need")
    offer = make_post("bike offer", author=bob)
    hide(offer)
    assert alert(offer) == 0
    other = make_post("bike offer", author=bob, title="Bike mending")
    close(other)
    assert alert(other) == 0
    assert notes_for(world.member) == []


# --- the same click twice at the same instant ---------------------------------------------------


def _send(round_id: int, coordinator_id: int) -> str:
    try:
        services.send_round(
            db.session.get(User, coordinator_id), db.session.get(MatchingRound, round_id)
        )
    except services.RoundError:
        return "refused"
    return "sent"


def test_a_round_sent_twice_at_the_same_instant_tells_each_person_once(
    app, world, three_pairs, bob
):
    matching_round, _ = three_pairs
    round_id, coordinator_id = matching_round.id, world.coordinator.id
    results = run_together(
        app, list(range(4)), lambda n: n, lambda n: _send(round_id, coordinator_id)
    )
    assert sorted(results) == ["refused", "refused", "refused", "sent"]
    assert len(notes_for(world.member)) == 1
    assert len(notes_for(bob)) == 2  # the bike pair and the ladder pair, once each


def _alert(post_id: int) -> int:
    return services.alert_matches(db.session.get(Post, post_id))


def test_one_post_published_twice_at_the_same_instant_alerts_once(app, world, make_post, bob):
    """A double click on "Publish": both requests get the same post (its request key), and
    both go on to alert; the people it fits hear of it once."""
    make_post("bike need")
    offer_id = make_post("bike offer", author=bob).id
    results = run_together(app, [offer_id] * 4, lambda post_id: post_id, _alert)
    assert sorted(results) == [0, 0, 0, 1]
    assert len(notes_for(world.member)) == 1
