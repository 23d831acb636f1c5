"""The claim rules: who may answer what, every transition allowed and refused, the waiting list,
blocked pairs, the private thread and thanks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from commons.accounts.export import export_member_data
from commons.claims import services as claims
from commons.claims.models import Claim, Message, Thanks
from commons.communities.permissions import NotAllowed
from commons.database import now_utc
from commons.extensions import db
from commons.notifications.models import Notification
from commons.posts import services as posts
from commons.posts.models import Post, PostFollow
from commons.posts.services import PostInput
from tests.claims.conftest import (
    accepted_claim,
    block,
    claim_status,
    expire,
    fresh,
    notes_for,
    post_counts,
)


def claim_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Claim))


# --- answering a post ------------------------------------------------------------------------


def test_a_claim_on_an_open_offer_is_pending_and_the_author_is_told(world, offer):
    claim = claims.make_claim(world.other_member, offer, "  Could I borrow it on Saturday?  ")
    saved = fresh(Claim, claim.id)
    assert (saved.status, saved.message, saved.claimant_id) == (
        "pending",
        "Could I borrow it on Saturday?",
        world.other_member.id,
    )
    [note] = notes_for(world.member)
    assert note.kind == "claim"
    assert note.link == f"/claims/{claim.id}"
    assert "Otto Other would like “Ladder to lend”" in note.text
    assert notes_for(world.other_member) == []


def test_i_can_help_on_a_need(world, make_post):
    need = make_post(kind="need", title="Help moving a sofa")
    claim = claims.make_claim(world.other_member, need, "I have an hour on Sunday.")
    assert claim_status(claim.id) == "pending"
    assert "Otto Other can help with “Help moving a sofa”" in notes_for(world.member)[0].text


def test_nobody_claims_their_own_post(world, offer):
    with pytest.raises(NotAllowed, match="your own post"):
        claims.make_claim(world.member, offer, "Mine")
    assert claim_count() == 0


@pytest.mark.parametrize("person", ["away_member", "away_coordinator", "applicant", "stranger"])
def test_a_post_you_cannot_see_cannot_be_claimed(world, offer, person):
    with pytest.raises(NotAllowed, match="can't see"):
        claims.make_claim(getattr(world, person), offer, "Hello")
    assert claim_count() == 0


def test_a_public_post_can_be_claimed_from_another_community(world, make_post):
    public = make_post(visibility="public")
    claim = claims.make_claim(world.away_member, public, "Hello from Southside")
    assert claim_status(claim.id) == "pending"


@pytest.mark.parametrize("change", ["closed", "expired"])
def test_a_closed_or_expired_post_takes_no_claims(world, offer, change):
    if change == "closed":
        posts.close_post(world.member, offer)
    else:
        expire(offer)  # past its date, before `flask posts expire` has marked it
    with pytest.raises(claims.PostNotOpen, match=change):
        claims.make_claim(world.other_member, offer, "Hello")
    assert claim_count() == 0


def test_a_hidden_post_is_out_of_sight_and_closed_to_claims(world, offer):
    offer.hidden_at = now_utc()
    db.session.commit()
    with pytest.raises(NotAllowed):  # members no longer see it at all
        claims.make_claim(world.other_member, offer, "Hello")
    with pytest.raises(claims.PostNotOpen, match="hidden"):  # coordinators still see it
        claims.make_claim(world.coordinator, offer, "Hello")
    assert claim_count() == 0


@pytest.mark.parametrize("direction", ["author blocked claimant", "claimant blocked author"])
def test_a_blocked_pair_cannot_claim(world, offer, direction):
    if direction == "author blocked claimant":
        block(world.member, world.other_member)
    else:
        block(world.other_member, world.member)
    with pytest.raises(NotAllowed):
        claims.make_claim(world.other_member, offer, "Hello")
    assert claim_count() == 0


def test_one_live_claim_per_member_and_post(world, offer):
    first = claims.make_claim(world.other_member, offer, "Hello")
    with pytest.raises(claims.AlreadyClaimed, match="already answered") as refused:
        claims.make_claim(world.other_member, offer, "Hello again")
    assert refused.value.claim.id == first.id
    assert claim_count() == 1
    # Once it has ended, the member may answer again.
    claims.withdraw(world.other_member, first)
    second = claims.make_claim(world.other_member, offer, "Changed my mind back")
    assert claim_status(second.id) == "pending"
    assert claim_count() == 2


def test_the_database_itself_refuses_a_second_live_claim(world, offer):
    claims.make_claim(world.other_member, offer, "Hello")
    db.session.add(Claim(post_id=offer.id, claimant_id=world.other_member.id, status="waitlisted"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Ended claims do not count: the index covers live ones only.
    db.session.add(Claim(post_id=offer.id, claimant_id=world.other_member.id, status="declined"))
    db.session.commit()
    assert claim_count() == 2


def test_a_claim_on_a_full_offer_joins_the_waiting_list(world, offer, make_neighbour):
    accepted_claim(world, offer)
    late = claims.make_claim(make_neighbour("Lee Late"), offer, "Any chance?")
    assert claim_status(late.id) == "waitlisted"
    assert claims.waitlist_position(fresh(Claim, late.id)) == 1
    assert "on the waiting list" in notes_for(world.member)[-1].text


def test_a_need_that_has_its_helper_takes_no_more_offers(world, make_post, make_neighbour):
    need = make_post(kind="need", title="Help moving a sofa")
    accepted_claim(world, need)
    assert post_counts(need.id) == (1, "fulfilled")
    with pytest.raises(claims.PostNotOpen, match="already has the help"):
        claims.make_claim(make_neighbour(), need, "Me too")


def test_coordinators_may_answer_on_behalf_of_a_neighbour(world, offer):
    claim = claims.make_claim(world.coordinator, offer, "For Mrs Patel", on_behalf_of=" Mrs Patel ")
    assert fresh(Claim, claim.id).on_behalf_of == "Mrs Patel"
    assert "Cora Coordinator (for Mrs Patel)" in notes_for(world.member)[0].text
    with pytest.raises(NotAllowed, match="coordinators"):
        claims.make_claim(world.other_member, offer, "x", on_behalf_of="My aunt")


def test_a_coordinator_answers_once_for_each_neighbour(world, make_post):
    offer = make_post(capacity=3)
    for_patel = claims.make_claim(world.coordinator, offer, "x", on_behalf_of="Mrs Patel")
    for_okafor = claims.make_claim(world.coordinator, offer, "x", on_behalf_of="Mr Okafor")
    for_self = claims.make_claim(world.coordinator, offer, "For me")
    assert len({for_patel.id, for_okafor.id, for_self.id}) == 3 and claim_count() == 3
    with pytest.raises(claims.AlreadyClaimed) as refused:
        claims.make_claim(world.coordinator, offer, "again", on_behalf_of=" mrs patel ")
    assert refused.value.claim.id == for_patel.id
    with pytest.raises(claims.AlreadyClaimed):
        claims.make_claim(world.coordinator, offer, "again")
    assert claim_count() == 3


def test_the_database_holds_one_live_claim_per_neighbour(world, offer):
    claims.make_claim(world.coordinator, offer, "x", on_behalf_of="Mrs Patel")
    db.session.add(
        Claim(
            post_id=offer.id,
            claimant_id=world.coordinator.id,
            on_behalf_of="MRS PATEL",
            beneficiary_key="mrs patel",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert claim_count() == 1


def test_a_too_long_claim_message_is_refused(world, offer):
    with pytest.raises(claims.InvalidInput):
        claims.make_claim(world.other_member, offer, "x" * (claims.MESSAGE_MAX + 1))
    assert claim_count() == 0


# --- accepting ---------------------------------------------------------------------------------


def test_accepting_takes_a_place_and_fills_the_post(world, offer, make_neighbour):
    follower = make_neighbour("Fay Follower")
    db.session.add(PostFollow(post_id=offer.id, user_id=follower.id))
    db.session.commit()
    claim = claims.make_claim(world.other_member, offer, "Hello")
    claims.accept(world.member, claim)
    assert claim_status(claim.id) == "accepted"
    assert fresh(Claim, claim.id).answered_at is not None
    assert post_counts(offer.id) == (1, "fulfilled")
    assert "Mia Member accepted your answer" in notes_for(world.other_member)[-1].text
    [told] = notes_for(follower)
    assert "“Ladder to lend” is fulfilled" in told.text
    # The author, who just accepted, is not told what they did.
    assert all("fulfilled" not in n.text for n in notes_for(world.member))


def test_an_offer_for_three_fills_on_the_third(world, make_post, make_neighbour):
    offer = make_post(capacity=3)
    for n in range(3):
        assert post_counts(offer.id) == (n, "open")
        accepted_claim(world, offer, make_neighbour())
    assert post_counts(offer.id) == (3, "fulfilled")


@pytest.mark.parametrize(
    "person", ["other_member", "coordinator", "admin", "away_coordinator", "stranger"]
)
def test_only_the_author_accepts(world, offer, person):
    claim = claims.make_claim(world.other_member, offer, "Hello")
    with pytest.raises(NotAllowed):
        claims.accept(getattr(world, person), claim)
    assert claim_status(claim.id) == "pending"
    assert post_counts(offer.id) == (0, "open")


def test_accepting_when_every_place_is_taken_is_refused(world, offer, make_neighbour):
    accepted_claim(world, offer)
    waiting = claims.make_claim(make_neighbour(), offer, "Hello")
    with pytest.raises(claims.CapacityReached):
        claims.accept(world.member, waiting)
    assert claim_status(waiting.id) == "waitlisted"
    assert post_counts(offer.id) == (1, "fulfilled")


def test_a_pending_claim_cannot_be_accepted_once_the_offer_is_full(world, offer, make_neighbour):
    early = claims.make_claim(world.other_member, offer, "First")
    second = claims.make_claim(make_neighbour(), offer, "Second")
    claims.accept(world.member, early)
    with pytest.raises(claims.CapacityReached):
        claims.accept(world.member, second)
    assert claim_status(second.id) == "pending"


@pytest.mark.parametrize("state", ["declined", "withdrawn", "cancelled", "accepted", "completed"])
def test_only_a_pending_or_waitlisted_claim_can_be_accepted(world, make_post, state):
    offer = make_post(capacity=2)
    claim = claims.make_claim(world.other_member, offer, "Hello")
    if state == "declined":
        claims.decline(world.member, claim)
    elif state == "withdrawn":
        claims.withdraw(world.other_member, claim)
    elif state == "cancelled":
        claims.cancel(world.member, claim)
    else:
        claims.accept(world.member, claim)
        if state == "completed":
            claims.complete(world.member, claim)
    count_before = post_counts(offer.id)
    with pytest.raises(claims.InvalidTransition, match=claims.STATE_WORDS[state]):
        claims.accept(world.member, fresh(Claim, claim.id))
    assert claim_status(claim.id) == state
    assert post_counts(offer.id) == count_before


@pytest.mark.parametrize("change", ["closed", "expired", "hidden"])
def test_nothing_is_accepted_on_a_post_that_is_no_longer_open(world, offer, change):
    claim = claims.make_claim(world.other_member, offer, "Hello")
    if change == "closed":
        posts.close_post(world.member, offer)
    elif change == "expired":
        expire(offer)
    else:
        offer.hidden_at = now_utc()
        db.session.commit()
    with pytest.raises(claims.ClaimError):  # PostNotOpen, or the closed post's answer ended
        claims.accept(world.member, fresh(Claim, claim.id))
    # Closing declines the answers still waiting; expiry and hiding leave them as they were.
    assert claim_status(claim.id) == ("declined" if change == "closed" else "pending")
    assert fresh(Post, offer.id).accepted_count == 0


def test_a_place_the_author_adds_goes_to_the_waiting_list(world, offer, make_neighbour):
    accepted_claim(world, offer)
    waiting = claims.make_claim(make_neighbour(), offer, "Hello")
    # The author makes room for one more: the first in line gets it at once.
    posts.update_post(
        world.member,
        fresh(Post, offer.id),
        PostInput(
            kind="offer",
            title="Ladder to lend",
            description="Two ladders now.",
            category="tools",
            community_id=world.home.id,
            capacity=2,
        ),
    )
    assert claim_status(waiting.id) == "accepted"
    assert post_counts(offer.id) == (2, "fulfilled")


def test_accepting_a_blocked_claimant_is_refused(world, offer):
    claim = claims.make_claim(world.other_member, offer, "Hello")
    block(world.other_member, world.member)
    with pytest.raises(NotAllowed, match="blocked"):
        claims.accept(world.member, claim)
    assert claim_status(claim.id) == "pending"


# --- declining, cancelling, withdrawing, completing --------------------------------------------


@pytest.mark.parametrize("waitlisted", [False, True])
def test_the_author_declines_a_pending_or_waitlisted_claim(
    world, offer, make_neighbour, waitlisted
):
    claimant = world.other_member
    if waitlisted:
        accepted_claim(world, offer, make_neighbour())
    claim = claims.make_claim(claimant, offer, "Hello")
    claims.decline(world.member, claim)
    assert claim_status(claim.id) == "declined"
    assert "can't take up your answer" in notes_for(claimant)[-1].text


def test_an_accepted_claim_cannot_be_declined(world, offer):
    claim = accepted_claim(world, offer)
    with pytest.raises(claims.InvalidTransition):
        claims.decline(world.member, claim)
    assert claim_status(claim.id) == "accepted"


@pytest.mark.parametrize("action", ["decline", "cancel"])
@pytest.mark.parametrize("person", ["other_member", "coordinator", "admin"])
def test_only_the_author_declines_or_cancels(world, offer, action, person):
    claim = claims.make_claim(world.other_member, offer, "Hello")
    with pytest.raises(NotAllowed):
        getattr(claims, action)(getattr(world, person), claim)
    assert claim_status(claim.id) == "pending"


@pytest.mark.parametrize("person", ["member", "coordinator", "admin"])
def test_only_the_claimant_withdraws(world, offer, person):
    claim = claims.make_claim(world.other_member, offer, "Hello")
    with pytest.raises(NotAllowed):
        claims.withdraw(getattr(world, person), claim)
    assert claim_status(claim.id) == "pending"


@pytest.mark.parametrize("state", ["pending", "waitlisted", "accepted"])
@pytest.mark.parametrize("action, result", [("withdraw", "withdrawn"), ("cancel", "cancelled")])
def test_a_live_claim_can_be_withdrawn_or_cancelled(
    world, offer, make_neighbour, state, action, result
):
    if state == "waitlisted":
        accepted_claim(world, offer, make_neighbour())
    claim = claims.make_claim(world.other_member, offer, "Hello")
    if state == "accepted":
        claims.accept(world.member, claim)
    assert claim_status(claim.id) == state
    actor = world.other_member if action == "withdraw" else world.member
    getattr(claims, action)(actor, fresh(Claim, claim.id))
    assert claim_status(claim.id) == result
    told = world.member if action == "withdraw" else world.other_member
    assert notes_for(told)[-1].link == f"/claims/{claim.id}"


@pytest.mark.parametrize("state", ["declined", "withdrawn", "completed"])
@pytest.mark.parametrize("action", ["withdraw", "cancel"])
def test_an_ended_claim_cannot_be_withdrawn_or_cancelled(world, offer, state, action):
    claim = claims.make_claim(world.other_member, offer, "Hello")
    if state == "declined":
        claims.decline(world.member, claim)
    elif state == "withdrawn":
        claims.withdraw(world.other_member, claim)
    else:
        claims.accept(world.member, claim)
        claims.complete(world.member, claim)
    count_before = post_counts(offer.id)
    actor = world.other_member if action == "withdraw" else world.member
    with pytest.raises(claims.InvalidTransition):
        getattr(claims, action)(actor, fresh(Claim, claim.id))
    assert claim_status(claim.id) == state
    assert post_counts(offer.id) == count_before


@pytest.mark.parametrize("action", ["withdraw", "cancel"])
def test_ending_an_accepted_claim_gives_the_place_back(world, offer, action):
    claim = accepted_claim(world, offer)
    assert post_counts(offer.id) == (1, "fulfilled")
    actor = world.other_member if action == "withdraw" else world.member
    getattr(claims, action)(actor, claim)
    assert post_counts(offer.id) == (0, "open")


@pytest.mark.parametrize("who", ["member", "other_member"])
def test_either_side_marks_an_accepted_claim_done(world, offer, who):
    claim = accepted_claim(world, offer)
    claims.complete(getattr(world, who), claim)
    saved = fresh(Claim, claim.id)
    assert saved.status == "completed" and saved.completed_at is not None
    # A completed claim keeps its place: the offer served that person.
    assert post_counts(offer.id) == (1, "fulfilled")
    other = world.other_member if who == "member" else world.member
    assert "as done" in notes_for(other)[-1].text


@pytest.mark.parametrize("state", ["pending", "waitlisted", "declined"])
def test_only_an_accepted_claim_can_be_completed(world, offer, make_neighbour, state):
    if state == "waitlisted":
        accepted_claim(world, offer, make_neighbour())
    claim = claims.make_claim(world.other_member, offer, "Hello")
    if state == "declined":
        claims.decline(world.member, claim)
    with pytest.raises(claims.InvalidTransition):
        claims.complete(world.member, fresh(Claim, claim.id))
    assert claim_status(claim.id) == state


@pytest.mark.parametrize("person", ["coordinator", "admin", "stranger"])
def test_nobody_else_completes(world, offer, person):
    claim = accepted_claim(world, offer)
    with pytest.raises(NotAllowed):
        claims.complete(getattr(world, person), claim)
    assert claim_status(claim.id) == "accepted"


def test_allowed_actions_follow_role_and_state(world, offer):
    claim = claims.make_claim(world.other_member, offer, "Hello")
    assert claims.allowed_actions(world.member, claim) == ["accept", "decline", "cancel"]
    assert claims.allowed_actions(world.other_member, claim) == ["withdraw"]
    assert claims.allowed_actions(world.coordinator, claim) == []
    claims.accept(world.member, claim)
    claim = fresh(Claim, claim.id)
    assert claims.allowed_actions(world.member, claim) == ["complete", "cancel"]
    assert claims.allowed_actions(world.other_member, claim) == ["complete", "withdraw"]
    claims.complete(world.other_member, claim)
    assert claims.allowed_actions(world.member, fresh(Claim, claim.id)) == []


# --- the waiting list --------------------------------------------------------------------------


def test_the_waiting_list_is_served_in_order(world, offer, make_neighbour):
    first = accepted_claim(world, offer)
    ann, ben, cat = make_neighbour("Ann"), make_neighbour("Ben"), make_neighbour("Cat")
    queue = [claims.make_claim(person, offer, "Me please") for person in (ann, ben, cat)]
    assert [claims.waitlist_position(fresh(Claim, c.id)) for c in queue] == [1, 2, 3]

    claims.withdraw(world.other_member, first)
    # The place went to Ann, first in line, in the same transaction: the post is full again.
    assert [claim_status(c.id) for c in queue] == ["accepted", "waitlisted", "waitlisted"]
    assert post_counts(offer.id) == (1, "fulfilled")
    assert "A place opened for you" in notes_for(ann)[-1].text
    assert notes_for(ann)[-1].link == f"/claims/{queue[0].id}"
    assert "Ann, first on the waiting list, has the place" in notes_for(world.member)[-1].text
    assert [claims.waitlist_position(fresh(Claim, c.id)) for c in queue[1:]] == [1, 2]

    # Ben leaves the queue: nothing moves. Then the author cancels Ann: Cat is next.
    claims.withdraw(ben, fresh(Claim, queue[1].id))
    assert post_counts(offer.id) == (1, "fulfilled")
    claims.cancel(world.member, fresh(Claim, queue[0].id))
    assert [claim_status(c.id) for c in queue] == ["cancelled", "withdrawn", "accepted"]
    assert post_counts(offer.id) == (1, "fulfilled")

    # The last place given back with nobody waiting: the offer is open again.
    claims.withdraw(cat, fresh(Claim, queue[2].id))
    assert post_counts(offer.id) == (0, "open")


def test_pending_claims_wait_for_the_author_not_in_the_queue(world, offer, make_neighbour):
    pending = claims.make_claim(make_neighbour("Pat Pending"), offer, "Hello")
    accepted = accepted_claim(world, offer)
    waiting = claims.make_claim(make_neighbour("Wyn Waiting"), offer, "Hello")
    claims.withdraw(world.other_member, accepted)
    assert claim_status(waiting.id) == "accepted"  # the queue, not the undecided claim
    assert claim_status(pending.id) == "pending"


def test_promotion_passes_over_a_blocked_pair(world, offer, make_neighbour):
    first = accepted_claim(world, offer)
    blocked, next_one = make_neighbour("Bo Blocked"), make_neighbour("Nel Next")
    skipped = claims.make_claim(blocked, offer, "Hello")
    promoted = claims.make_claim(next_one, offer, "Hello")
    block(world.member, blocked)
    claims.withdraw(world.other_member, first)
    assert claim_status(skipped.id) == "waitlisted"
    assert claim_status(promoted.id) == "accepted"


def test_no_promotion_on_a_closed_post(world, offer, make_neighbour):
    first = accepted_claim(world, offer)
    waiting = claims.make_claim(make_neighbour(), offer, "Hello")
    posts.close_post(world.member, fresh(Post, offer.id))
    claims.withdraw(world.other_member, fresh(Claim, first.id))
    assert post_counts(offer.id) == (0, "closed")
    assert claim_status(waiting.id) == "declined"  # closing ended the wait


def test_a_failure_halfway_leaves_the_old_state(world, offer, make_neighbour, monkeypatch):
    """Rule 6: the place, the claim and the promotion are one transaction."""
    first = accepted_claim(world, offer)
    waiting = claims.make_claim(make_neighbour(), offer, "Hello")

    def broken_notify(*args, **kwargs):
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(claims, "notify", broken_notify)
    with pytest.raises(RuntimeError):
        claims.withdraw(world.other_member, fresh(Claim, first.id))
    assert claim_status(first.id) == "accepted"
    assert claim_status(waiting.id) == "waitlisted"
    assert post_counts(offer.id) == (1, "fulfilled")


# --- the thread --------------------------------------------------------------------------------


def test_the_two_people_write_to_each_other(world, offer):
    claim = claims.make_claim(world.other_member, offer, "Hello")
    first = claims.send_message(world.other_member, claim, "  When suits you?  ")
    second = claims.send_message(world.member, claim, "Six o'clock.")
    assert [(m.author_id, m.body) for m in claims.thread(claim, world.member)] == [
        (world.other_member.id, "When suits you?"),
        (world.member.id, "Six o'clock."),
    ]
    assert claims.thread(claim, world.other_member, after=first.id)[0].id == second.id
    assert claims.thread(claim, world.other_member, after=second.id) == []
    [note] = [n for n in notes_for(world.member) if n.kind == "message"]
    assert note.link == f"/claims/{claim.id}#thread"


@pytest.mark.parametrize("person", ["coordinator", "admin", "away_coordinator", "stranger"])
def test_the_thread_is_private_to_the_two(world, offer, person):
    claim = claims.make_claim(world.other_member, offer, "Hello")
    claims.send_message(world.member, claim, "Secret")
    with pytest.raises(NotAllowed):
        claims.send_message(getattr(world, person), claim, "Let me in")
    with pytest.raises(NotAllowed):
        claims.thread(claim, getattr(world, person))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_no_messages_between_a_blocked_pair(world, offer):
    claim = claims.make_claim(world.other_member, offer, "Hello")
    block(world.member, world.other_member)
    for person in (world.member, world.other_member):
        with pytest.raises(NotAllowed, match="blocked"):
            claims.send_message(person, claim, "Hello?")


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 2001])
def test_an_empty_or_too_long_message_is_refused(world, offer, body):
    claim = claims.make_claim(world.other_member, offer, "Hello")
    with pytest.raises(claims.InvalidInput):
        claims.send_message(world.other_member, claim, body)
    assert claims.thread(claim, world.member) == []


# --- thanks ------------------------------------------------------------------------------------


def test_each_side_thanks_once_after_completion(world, offer):
    claim = accepted_claim(world, offer)
    with pytest.raises(claims.ClaimError, match="marked as done"):
        claims.thank(world.other_member, claim, "Thank you!")
    claims.complete(world.member, claim)
    claims.thank(world.other_member, claim, "  The ladder was perfect.  ")
    claims.thank(world.member, claim, "A pleasure.")
    with pytest.raises(claims.AlreadyThanked):
        claims.thank(world.member, claim, "Again!")
    given = [(t.from_id, t.to_id, t.note) for t in claims.thanks_for(claim)]
    assert given == [
        (world.other_member.id, world.member.id, "The ladder was perfect."),
        (world.member.id, world.other_member.id, "A pleasure."),
    ]
    assert "thanked you" in notes_for(world.member)[-1].text


def test_the_database_keeps_thanks_to_one_per_side(world, offer):
    claim = accepted_claim(world, offer)
    claims.complete(world.member, claim)
    claims.thank(world.member, claim, "Thanks")
    db.session.add(Thanks(claim_id=claim.id, from_id=world.member.id, to_id=world.other_member.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("person", ["coordinator", "admin", "stranger"])
def test_only_the_two_give_thanks(world, offer, person):
    claim = accepted_claim(world, offer)
    claims.complete(world.member, claim)
    with pytest.raises(NotAllowed):
        claims.thank(getattr(world, person), claim, "Well done")
    assert claims.thanks_for(claim) == []


@pytest.mark.parametrize("note", ["", "x" * 501])
def test_thanks_need_a_few_words(world, offer, note):
    claim = accepted_claim(world, offer)
    claims.complete(world.member, claim)
    with pytest.raises(claims.InvalidInput):
        claims.thank(world.member, claim, note)


# --- dashboard and export ----------------------------------------------------------------------


def test_the_dashboard_groups_my_claims_and_what_waits_for_me(world, make_post, make_neighbour):
    ladder, drill = make_post(title="Ladder"), make_post(title="Drill", capacity=2)
    mine = claims.make_claim(world.other_member, ladder, "Ladder please")
    accepted = accepted_claim(world, drill)
    other = claims.make_claim(make_neighbour("Nia"), drill, "Drill please")
    otto = claims.claims_for_dashboard(world.other_member)
    assert {state: [c.id for c in cs] for state, cs in otto.mine.items()} == {
        "pending": [mine.id],
        "accepted": [accepted.id],
    }
    assert otto.waiting == []
    mia = claims.claims_for_dashboard(world.member)
    assert mia.mine == {}
    assert [c.id for c in mia.waiting] == [mine.id, other.id]
    assert claims.claims_for_dashboard(world.stranger).is_empty


def test_export_holds_what_the_member_wrote(world, offer):
    claim = claims.make_claim(world.other_member, offer, "Could I borrow it?")
    claims.send_message(world.other_member, claim, "Saturday?")
    claims.send_message(world.member, claim, "Yes")
    data = export_member_data(world.other_member)
    assert data["claims"] == [
        {
            "post": "Ladder to lend",
            "status": "pending",
            "message": "Could I borrow it?",
            "on_behalf_of": None,
            "created_at": data["claims"][0]["created_at"],
            "completed_at": None,
        }
    ]
    assert [m["body"] for m in data["messages"]] == ["Saturday?"]
    assert [m["body"] for m in export_member_data(world.member)["messages"]] == ["Yes"]


def test_a_profile_counts_completed_exchanges_thanks_and_usual_answer_time(world):
    need = posts.create_post(
        world.member,
        PostInput(
            kind="need",
            title="Lift",
            description="",
            category="transport",
            community_id=world.home.id,
        ),
    )
    claim = claims.make_claim(world.other_member, need, "I can drive you.")
    claims.accept(world.member, claim)
    claims.complete(world.member, claim)
    claims.thank(world.other_member, claim, "Thanks for trusting me.")
    claims.thank(world.member, claim, "You were wonderful.")

    mine, theirs = claims.trust_of(world.member), claims.trust_of(world.other_member)
    assert (mine.completed, theirs.completed) == (1, 1)
    assert [t.note for t in theirs.recent_thanks] == ["You were wonderful."]
    assert mine.thanks_count == 1
    assert claims.describe_wait(mine.usual_response) == "within an hour"
    assert claims.describe_wait(theirs.usual_response) == "not known yet"
    assert claims.describe_wait(timedelta(days=3, hours=2)) == "in about 3 days"


def test_closing_a_post_declines_the_answers_still_waiting_and_tells_them(
    world, offer, make_neighbour
):
    first, second, third = (
        make_neighbour("First"),
        make_neighbour("Second"),
        make_neighbour("Third"),
    )
    taken = claims.make_claim(first, offer, "Me please")
    claims.accept(world.member, taken)
    waiting = claims.make_claim(second, offer, "Me too")  # the one place is taken
    assert waiting.status == "waitlisted"
    asked = claims.make_claim(third, offer, "And me")
    posts.close_post(world.member, offer)
    assert claim_status(taken.id) == "accepted"  # an agreed exchange goes on
    assert claim_status(waiting.id) == "declined"
    assert claim_status(asked.id) == "declined"
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.text.contains("closed"))
    )
    assert set(told) == {second.id, third.id}


def test_raising_an_offers_capacity_gives_the_new_places_to_the_waiting_list_in_order(
    world, offer, make_neighbour
):
    people = [make_neighbour(f"Person {n}") for n in range(4)]
    claims.accept(world.member, claims.make_claim(people[0], offer, "hi"))
    waiting = [claims.make_claim(person, offer, "hi") for person in people[1:]]
    assert [c.status for c in waiting] == ["waitlisted"] * 3
    posts.update_post(
        world.member,
        offer,
        PostInput(
            kind="offer",
            title=offer.title,
            description="",
            category="tools",
            community_id=world.home.id,
            capacity=3,
        ),
    )
    assert [claim_status(c.id) for c in waiting] == ["accepted", "accepted", "waitlisted"]
    assert post_counts(offer.id) == (3, "fulfilled")


def test_expiring_posts_declines_the_answers_still_waiting(world, offer, make_neighbour):
    taken = claims.make_claim(make_neighbour("First"), offer, "Me please")
    claims.accept(world.member, taken)
    waiting = claims.make_claim(make_neighbour("Second"), offer, "Me too")
    later = now_utc() + timedelta(days=31)
    assert posts.expire_posts(now=later) == 1
    assert post_counts(offer.id) == (1, "expired")
    assert claim_status(taken.id) == "accepted"
    assert claim_status(waiting.id) == "declined"
    assert [n.text for n in notes_for(waiting.claimant)][-1].endswith("closed too.")
