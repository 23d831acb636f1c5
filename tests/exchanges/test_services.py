"""Skill exchanges through their services: proposing (and every refusal), each answer and the
states it is refused in, completion recording the hours (a circle nets to zero even at a floor
of 0; a paid lesson respects the learner's floor), thanks, and export."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commons.accounts import services as accounts
from commons.accounts.export import export_member_data
from commons.claims.models import Thanks
from commons.exchanges import services as exchanges
from commons.exchanges.permissions import NotAllowed
from commons.extensions import db
from commons.notifications.models import Notification
from commons.timebank import services as timebank
from tests.conftest import PASSWORD
from tests.exchanges.conftest import (
    HOUR,
    block,
    circle,
    exchange_count,
    fresh_exchange,
    started,
    swap,
    transfers_of,
)
from tests.timebank.conftest import all_balances, balance_of, set_floor


def notes(user) -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Notification.text)
            .where(Notification.user_id == user.id, Notification.kind == "exchange")
            .order_by(Notification.id)
        )
    )


# --- proposing ---------------------------------------------------------------------------------


def test_a_swap_is_proposed_with_the_proposer_already_in(world):
    exchange = fresh_exchange(swap(world, message="Tuesdays?").id)
    assert (exchange.kind, exchange.state, exchange.minutes, exchange.record_hours) == (
        "swap",
        "proposed",
        60,
        True,
    )
    assert [(ls.teacher_id, ls.learner_id, ls.skill) for ls in exchange.lessons] == [
        (world.member.id, world.other_member.id, "Guitar"),
        (world.other_member.id, world.member.id, "Bike repair"),
    ]
    answers = {p.user_id: p.accepted_at is not None for p in exchange.participants}
    assert answers == {world.member.id: True, world.other_member.id: False}
    [note] = notes(world.other_member)
    assert "Mia Member proposes a skill swap" in note
    assert "you teach Mia Member Bike repair" in note and "teaches you Guitar" in note
    assert notes(world.member) == []


def test_a_circle_of_three_from_a_suggestion(world, third):
    exchange = fresh_exchange(circle(world, third).id)
    assert exchange.kind == "circle"
    assert {p.user_id for p in exchange.participants} == {
        world.member.id,
        world.other_member.id,
        third.id,
    }
    assert len(notes(world.other_member)) == len(notes(third)) == 1


def test_a_paid_lesson_either_way(world):
    learn = exchanges.propose_paid(
        world.member, world.other_member, i_teach=False, skill="Sourdough", minutes=90
    )
    teach = exchanges.propose_paid(
        world.member, world.other_member, i_teach=True, skill="Knitting", minutes=30
    )
    assert [(ls.teacher_id, ls.learner_id) for ls in fresh_exchange(learn.id).lessons] == [
        (world.other_member.id, world.member.id)
    ]
    assert [(ls.teacher_id, ls.learner_id) for ls in fresh_exchange(teach.id).lessons] == [
        (world.member.id, world.other_member.id)
    ]
    assert fresh_exchange(learn.id).kind == "paid"


def test_members_of_linked_communities_may_exchange(world, linked):
    exchange = exchanges.propose_swap(
        world.member, world.away_member, i_teach="Guitar", they_teach="Welsh"
    )
    assert fresh_exchange(exchange.id).state == "proposed"


@pytest.mark.parametrize(
    "other, message",
    [
        ("member", "with yourself"),
        ("away_member", "communities linked with yours"),
        ("applicant", "communities linked with yours"),
        ("stranger", "communities linked with yours"),
    ],
)
def test_who_can_not_be_asked(world, other, message):
    with pytest.raises(exchanges.CannotExchange, match=message):
        exchanges.propose_swap(
            world.member, getattr(world, other), i_teach="Guitar", they_teach="Welsh"
        )
    assert exchange_count() == 0


def test_a_revoked_link_lets_nobody_across(world, linked):
    from commons.links import services as links

    links.revoke(world.coordinator, world.home, linked)
    with pytest.raises(exchanges.CannotExchange):
        exchanges.propose_swap(world.member, world.away_member, i_teach="A", they_teach="B")


@pytest.mark.parametrize("blocker", ["member", "other_member"])
def test_never_across_a_block(world, blocker):
    a, b = world.member, world.other_member
    block(*((a, b) if blocker == "member" else (b, a)))
    with pytest.raises(exchanges.CannotExchange, match="this member"):
        swap(world)


def test_a_circle_with_a_blocked_pair_in_it_is_refused(world, third):
    block(world.other_member, third)  # Mia has no quarrel with either
    with pytest.raises(exchanges.CannotExchange, match="can't take part"):
        circle(world, third)


def test_a_closed_account_can_not_be_asked(world):
    accounts.delete_account(world.other_member, PASSWORD)
    with pytest.raises(exchanges.CannotExchange, match="closed"):
        swap(world)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"i_teach": ""}, "what will be taught"),
        ({"i_teach": "   "}, "what will be taught"),
        ({"they_teach": "x" * 61}, "60 characters"),
        ({"minutes": 0}, "quarter of an hour"),
        ({"minutes": 20}, "quarter hours"),
        ({"minutes": 100 * 60 + 15}, "At most"),
        ({"message": "x" * 1001}, "under 1000"),
    ],
    ids=repr,
)
def test_bad_input_is_refused(world, kwargs, message):
    with pytest.raises(exchanges.InvalidExchange, match=message):
        swap(world, **kwargs)
    assert exchange_count() == 0


def test_a_sixty_character_skill_is_fine(world):
    exchange = swap(world, i_teach="x" * 60)
    assert fresh_exchange(exchange.id).lessons[0].skill == "x" * 60


@pytest.mark.parametrize(
    "steps, error, message",
    [
        # Otto teaches twice.
        ([("o", "m", "A"), ("o", "t", "B"), ("t", "m", "C")], exchanges.InvalidExchange, "one"),
        # Two rings of two are not one circle.
        (
            [("m", "o", "A"), ("o", "m", "B"), ("t", "c", "C"), ("c", "t", "D")],
            exchanges.InvalidExchange,
            "one circle",
        ),
        # Mia is not in it.
        ([("o", "t", "A"), ("t", "o", "B")], exchanges.CannotExchange, "take part in"),
        # Someone teaching themselves.
        ([("m", "m", "A"), ("o", "o", "B")], exchanges.CannotExchange, "yourself"),
        ([("o", "o", "A"), ("m", "t", "B")], exchanges.CannotExchange, "themselves"),
        ([("m", "o", "A")], exchanges.InvalidExchange, "between 2 and 6"),
    ],
    ids=["teaches twice", "two rings", "without me", "myself", "oneself", "one step"],
)
def test_a_circle_must_be_one_ring_with_the_proposer_in_it(world, third, steps, error, message):
    ids = {
        "m": world.member.id,
        "o": world.other_member.id,
        "t": third.id,
        "c": world.coordinator.id,
    }
    with pytest.raises(error, match=message):
        exchanges.propose_circle(world.member, [(ids[a], ids[b], s) for a, b, s in steps])
    assert exchange_count() == 0


def test_a_circle_naming_someone_who_does_not_exist_is_refused(world):
    with pytest.raises(exchanges.CannotExchange):
        exchanges.propose_circle(
            world.member, [(world.member.id, 999999, "A"), (999999, world.member.id, "B")]
        )


def test_the_same_proposal_twice_makes_one_exchange(world, third):
    swap(world)
    with pytest.raises(exchanges.AlreadyProposed):
        swap(world)
    circle(world, third)
    with pytest.raises(exchanges.AlreadyProposed):
        circle(world, third)
    assert exchange_count() == 2


def test_a_declined_swap_can_be_proposed_again(world):
    exchanges.decline(world.other_member, swap(world))
    swap(world)
    assert exchange_count() == 2


# --- accepting, declining, cancelling -----------------------------------------------------------


def test_the_last_accept_starts_the_exchange(world, third):
    exchange = circle(world, third)
    assert exchanges.accept(world.other_member, exchange) is False
    assert fresh_exchange(exchange.id).state == "proposed"
    assert exchanges.accept(third, fresh_exchange(exchange.id)) is True
    now = fresh_exchange(exchange.id)
    assert now.state == "active" and now.started_at is not None
    assert any("can start" in n for n in notes(world.member))
    assert any("Otto Other accepted" in n for n in notes(world.member))


def test_accepting_twice_or_too_late_is_refused(world):
    exchange = swap(world)
    with pytest.raises(exchanges.StateChanged, match="already accepted"):
        exchanges.accept(world.member, exchange)  # the proposer accepted by proposing
    exchanges.accept(world.other_member, exchange)
    with pytest.raises(exchanges.StateChanged, match="under way"):
        exchanges.accept(world.other_member, fresh_exchange(exchange.id))


@pytest.mark.parametrize("action", ["accept", "decline", "cancel", "done"])
@pytest.mark.parametrize("who", ["coordinator", "admin", "away_coordinator"])
def test_only_participants_answer(world, action, who):
    exchange = swap(world)
    act = {
        "accept": exchanges.accept,
        "decline": exchanges.decline,
        "cancel": exchanges.cancel,
        "done": exchanges.mark_done,
    }[action]
    with pytest.raises(NotAllowed):
        act(getattr(world, who), exchange)
    assert fresh_exchange(exchange.id).state == "proposed"


def test_accepting_after_a_block_is_refused(world):
    exchange = swap(world)
    block(world.member, world.other_member)
    with pytest.raises(exchanges.CannotExchange):
        exchanges.accept(world.other_member, exchange)
    assert fresh_exchange(exchange.id).state == "proposed"


def test_a_decline_ends_it_for_everyone(world, third):
    exchange = circle(world, third)
    exchanges.accept(world.other_member, exchange)
    exchanges.decline(third, fresh_exchange(exchange.id))
    now = fresh_exchange(exchange.id)
    assert now.state == "declined" and now.ended_at is not None
    assert "Tess Third declined" in notes(world.member)[-1]
    assert "Tess Third declined" in notes(world.other_member)[-1]
    with pytest.raises(exchanges.StateChanged, match="was declined"):
        exchanges.accept(world.other_member, now)
    with pytest.raises(exchanges.StateChanged):
        exchanges.cancel(world.member, now)


def test_an_active_exchange_can_not_be_declined_but_can_be_cancelled(world):
    exchange = started(swap(world), world.other_member)
    with pytest.raises(exchanges.StateChanged, match="under way"):
        exchanges.decline(world.other_member, exchange)
    exchanges.cancel(world.other_member, exchange)
    assert fresh_exchange(exchange.id).state == "cancelled"
    assert "Otto Other cancelled" in notes(world.member)[-1]
    with pytest.raises(exchanges.StateChanged, match="was cancelled"):
        exchanges.mark_done(world.member, fresh_exchange(exchange.id))


def test_a_proposal_can_be_cancelled_by_its_proposer(world):
    exchange = swap(world)
    exchanges.cancel(world.member, exchange)
    assert fresh_exchange(exchange.id).state == "cancelled"


def test_a_stale_page_answers_by_the_state_now(world):
    """The member's copy says proposed; someone else declined meanwhile."""
    exchange = swap(world)
    stale = fresh_exchange(exchange.id)
    exchanges.decline(world.other_member, fresh_exchange(exchange.id))
    with pytest.raises(exchanges.StateChanged, match="was declined"):
        exchanges.cancel(world.member, stale)


# --- completing and the hours -------------------------------------------------------------------


def test_marking_done_before_it_starts_or_twice_is_refused(world):
    exchange = swap(world)
    with pytest.raises(exchanges.StateChanged, match="waiting for answers"):
        exchanges.mark_done(world.member, exchange)
    exchange = started(exchange, world.other_member)
    assert exchanges.mark_done(world.member, exchange) is False
    with pytest.raises(exchanges.StateChanged, match="already marked"):
        exchanges.mark_done(world.member, fresh_exchange(exchange.id))
    assert "marked their part" in notes(world.other_member)[-1]


def test_a_circle_of_three_completes_and_everyone_nets_to_zero_even_at_a_floor_of_zero(
    world, third
):
    """With the floor at 0 and every balance at 0, paying leg by leg would refuse the first
    payment; the circle is settled together, so each member's net change (0) is what counts."""
    set_floor(world.home, 0)
    exchange = started(circle(world, third, minutes=90), world.other_member, third)
    assert exchanges.mark_done(world.member, exchange) is False
    assert exchanges.mark_done(third, fresh_exchange(exchange.id)) is False
    assert exchanges.mark_done(world.other_member, fresh_exchange(exchange.id)) is True
    now = fresh_exchange(exchange.id)
    assert now.state == "completed" and now.ended_at is not None
    legs = transfers_of(exchange.id)
    assert sorted((t.payer_id, t.payee_id, t.minutes, t.state) for t in legs) == sorted(
        [
            (world.other_member.id, world.member.id, 90, "direct"),
            (third.id, world.other_member.id, 90, "direct"),
            (world.member.id, third.id, 90, "direct"),
        ]
    )
    assert {t.memo for t in legs} == {
        "Skill exchange: Guitar",
        "Skill exchange: Bread",
        "Skill exchange: Welsh",
    }
    assert all(t.created_by_id == world.other_member.id for t in legs)
    for person in (world.member, world.other_member, third):
        assert balance_of(person) == 0
    assert sum(all_balances().values()) == 0
    assert "is complete" in notes(world.member)[-1] and "recorded" in notes(third)[-1]


def test_without_record_hours_nothing_moves(world):
    exchange = started(swap(world, record_hours=False), world.other_member)
    exchanges.mark_done(world.member, exchange)
    exchanges.mark_done(world.other_member, fresh_exchange(exchange.id))
    assert fresh_exchange(exchange.id).state == "completed"
    assert transfers_of(exchange.id) == []


def test_a_paid_lesson_moves_the_hours_to_the_teacher(world):
    exchange = exchanges.propose_paid(
        world.member, world.other_member, i_teach=False, skill="Sourdough", minutes=90
    )
    exchange = started(exchange, world.other_member)
    exchanges.mark_done(world.other_member, exchange)
    assert exchanges.mark_done(world.member, fresh_exchange(exchange.id)) is True
    [paid] = transfers_of(exchange.id)
    assert (paid.payer_id, paid.payee_id, paid.minutes) == (
        world.member.id,
        world.other_member.id,
        90,
    )
    assert balance_of(world.member) == -90 and balance_of(world.other_member) == 90


def test_a_paid_lesson_respects_the_learners_floor(world):
    """Mia learns (2 h) with 1 h to spend above her floor: completion is refused, nothing is
    saved (not even the teacher's mark), and it goes through once she has the hours."""
    set_floor(world.home, -HOUR)
    exchange = exchanges.propose_paid(
        world.other_member, world.member, i_teach=True, skill="Sourdough", minutes=2 * HOUR
    )
    exchange = started(exchange, world.member)
    exchanges.mark_done(world.member, exchange)
    with pytest.raises(exchanges.CannotComplete, match="Mia Member's balance is 0 h"):
        exchanges.mark_done(world.other_member, fresh_exchange(exchange.id))
    now = fresh_exchange(exchange.id)
    assert now.state == "active"
    assert {p.user_id: p.done_at is not None for p in now.participants} == {
        world.member.id: True,
        world.other_member.id: False,
    }
    assert transfers_of(exchange.id) == []
    timebank.send_hours(world.coordinator, world.member, HOUR, "Help with the fete")
    assert exchanges.mark_done(world.other_member, fresh_exchange(exchange.id)) is True
    assert balance_of(world.member) == -HOUR
    assert sum(all_balances().values()) == 0


def test_the_learner_completing_is_told_about_their_own_balance(world):
    set_floor(world.home, 0)
    exchange = exchanges.propose_paid(
        world.other_member, world.member, i_teach=True, skill="Sourdough", minutes=HOUR
    )
    exchange = started(exchange, world.member)
    exchanges.mark_done(world.other_member, exchange)
    with pytest.raises(exchanges.CannotComplete, match="Your balance is 0 h"):
        exchanges.mark_done(world.member, fresh_exchange(exchange.id))


def test_completion_is_refused_when_a_pair_can_no_longer_trade(world):
    exchange = started(swap(world), world.other_member)
    exchanges.mark_done(world.member, exchange)
    block(world.member, world.other_member)
    with pytest.raises(exchanges.CannotComplete, match="can't trade hours"):
        exchanges.mark_done(world.other_member, fresh_exchange(exchange.id))
    assert fresh_exchange(exchange.id).state == "active"


def test_hours_across_a_link_are_recorded(world, linked):
    exchange = exchanges.propose_swap(
        world.member, world.away_member, i_teach="Guitar", they_teach="Welsh"
    )
    exchange = started(exchange, world.away_member)
    exchanges.mark_done(world.member, exchange)
    exchanges.mark_done(world.away_member, fresh_exchange(exchange.id))
    assert len(transfers_of(exchange.id)) == 2


# --- thanks ------------------------------------------------------------------------------------


def _completed_circle(world, third, exchange=None):
    exchange = exchange or started(circle(world, third), world.other_member, third)
    for person in (world.member, world.other_member, third):
        exchanges.mark_done(person, fresh_exchange(exchange.id))
    return fresh_exchange(exchange.id)


def test_each_member_thanks_the_person_who_taught_them(world, third):
    exchange = _completed_circle(world, third)
    thanks = exchanges.thank(world.member, exchange, "Diolch!")  # Tess taught Mia Welsh
    assert (thanks.from_id, thanks.to_id, thanks.exchange_id) == (
        world.member.id,
        third.id,
        exchange.id,
    )
    assert "Mia Member thanked you" in notes(third)[-1]
    with pytest.raises(exchanges.AlreadyThanked):
        exchanges.thank(world.member, exchange, "Again")
    exchanges.thank(world.other_member, exchange, "Great guitar")
    db.session.rollback()
    assert db.session.scalar(
        select(Thanks.to_id).where(Thanks.from_id == world.other_member.id)
    ) == (world.member.id)


def test_thanks_wait_for_completion_and_need_words(world, third):
    exchange = started(circle(world, third), world.other_member, third)
    with pytest.raises(exchanges.StateChanged, match="complete"):
        exchanges.thank(world.member, exchange, "Thanks")
    exchange = _completed_circle(world, third, exchange)
    with pytest.raises(exchanges.InvalidExchange, match="few words"):
        exchanges.thank(world.member, exchange, "  ")
    with pytest.raises(exchanges.InvalidExchange, match="under 500"):
        exchanges.thank(world.member, exchange, "x" * 501)
    with pytest.raises(NotAllowed):
        exchanges.thank(world.coordinator, exchange, "Well done all")


def test_in_a_paid_lesson_the_teacher_thanks_the_learner(world):
    exchange = exchanges.propose_paid(
        world.member, world.other_member, i_teach=True, skill="Knitting", minutes=30
    )
    exchange = started(exchange, world.other_member)
    exchanges.mark_done(world.member, exchange)
    exchanges.mark_done(world.other_member, fresh_exchange(exchange.id))
    assert exchanges.thank(world.member, fresh_exchange(exchange.id), "Quick learner").to_id == (
        world.other_member.id
    )


# --- reading and export -------------------------------------------------------------------------


def test_the_hub_groups_my_exchanges(world, third):
    waiting_for_me = exchanges.propose_swap(
        world.other_member, world.member, i_teach="Bread", they_teach="Guitar"
    )
    waiting_for_them = swap(world)
    active = started(circle(world, third), world.other_member, third)
    gone = exchanges.propose_paid(world.member, third, i_teach=True, skill="Knitting", minutes=30)
    exchanges.decline(third, gone)
    hub = exchanges.hub(world.member)
    assert [e.id for e in hub.to_answer] == [waiting_for_me.id]
    assert [e.id for e in hub.waiting] == [waiting_for_them.id]
    assert [e.id for e in hub.active] == [active.id]
    assert [e.id for e in hub.past] == [gone.id]
    assert exchanges.hub(world.coordinator) == exchanges.Hub([], [], [], [])


def test_export_my_data_holds_my_exchanges(world, third):
    exchange = swap(world, message="Tuesdays?")
    circle(world, third)
    exchanges.propose_paid(world.other_member, third, i_teach=True, skill="Bread", minutes=30)
    data = export_member_data(fresh_exchange(exchange.id).participants[0].user)
    mine = export_member_data(world.member)["skill_exchanges"]
    assert [(row["id"], row["kind"], row["state"]) for row in mine][0] == (
        exchange.id,
        "swap",
        "proposed",
    )
    assert len(mine) == 2
    assert mine[0]["lessons"] == [
        {"teacher": "Mia Member", "learner": "Otto Other", "skill": "Guitar"},
        {"teacher": "Otto Other", "learner": "Mia Member", "skill": "Bike repair"},
    ]
    assert mine[0]["proposed_by_me"] is True and mine[0]["accepted_at"] is not None
    assert mine[0]["hours_per_lesson"] == "1" and mine[0]["message"] == "Tuesdays?"
    assert "skill_exchanges" in data
