"""The time-bank rules, one by one: who can trade with whom, amounts, the floor, requests and
their answers, reversals, the statement and its CSV, export and account deletion, and what the
database itself refuses."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from commons.accounts import services as accounts
from commons.accounts.export import export_member_data
from commons.communities import services as communities
from commons.communities.models import Community
from commons.communities.permissions import NotAllowed
from commons.database import now_utc
from commons.extensions import db
from commons.timebank import services as timebank
from commons.timebank.models import HourTransfer
from tests.conftest import PASSWORD
from tests.timebank.conftest import (
    all_balances,
    balance_of,
    block,
    fresh,
    notes_for,
    set_floor,
    transfer_count,
)

HOUR = 60


# --- sending -----------------------------------------------------------------------------------


def test_sent_hours_count_at_once_and_the_payee_is_told(world):
    transfer = timebank.send_hours(world.member, world.other_member, 90, "  Dog walking  ")
    saved = fresh(HourTransfer, transfer.id)
    assert (saved.payer_id, saved.payee_id, saved.minutes, saved.memo, saved.state) == (
        world.member.id,
        world.other_member.id,
        90,
        "Dog walking",
        "direct",
    )
    assert saved.created_by_id == world.member.id
    assert saved.decided_at == saved.created_at
    assert balance_of(world.member) == -90
    assert balance_of(world.other_member) == 90
    [note] = notes_for(world.other_member)
    assert (note.kind, note.link) == ("timebank", f"/timebank/transfers/{transfer.id}")
    assert note.text == "Mia Member sent you 1½ h for “Dog walking”."
    assert notes_for(world.member) == []


@pytest.mark.parametrize(
    "minutes, message",
    [
        (0, "at least a quarter"),
        (-15, "at least a quarter"),
        (10, "quarter hours"),
        (50, "quarter hours"),
        (100 * HOUR + 15, "At most 100 h"),
        (10**12, "At most 100 h"),
        (True, "number of hours"),
        (1.5, "number of hours"),
        ("60", "number of hours"),
        (None, "number of hours"),
    ],
)
def test_an_amount_that_is_not_positive_quarter_hours_is_refused(world, minutes, message):
    with pytest.raises(timebank.InvalidInput, match=message):
        timebank.send_hours(world.member, world.other_member, minutes, "Help")
    with pytest.raises(timebank.InvalidInput, match=message):
        timebank.request_hours(world.member, world.other_member, minutes, "Help")
    assert transfer_count() == 0


@pytest.mark.parametrize(
    "memo, message", [("", "what the hours are for"), ("   ", "what"), ("x" * 201, "under 200")]
)
def test_a_memo_is_needed_and_short(world, memo, message):
    with pytest.raises(timebank.InvalidInput, match=message):
        timebank.send_hours(world.member, world.other_member, 60, memo)
    assert transfer_count() == 0


def test_a_nul_in_a_memo_is_dropped(world):
    transfer = timebank.send_hours(world.member, world.other_member, 60, "Tea\x00 and cake")
    assert fresh(HourTransfer, transfer.id).memo == "Tea and cake"


# Who may trade with whom: two different, current members with an active community in common.
PAIRS = [
    ("member", "other_member", None),
    ("member", "coordinator", None),
    ("coordinator", "member", None),
    ("away_member", "away_coordinator", None),
    ("member", "member", "yourself"),
    ("member", "away_member", "shares a community"),
    ("member", "away_coordinator", "shares a community"),
    ("member", "applicant", "shares a community"),  # still waiting to join
    ("applicant", "member", "shares a community"),
    ("member", "stranger", "shares a community"),
    ("member", "admin", "shares a community"),  # admins get no special trading rights
    ("admin", "member", "shares a community"),
]


@pytest.mark.parametrize("payer, payee, refusal", PAIRS)
def test_who_can_send_hours_to_whom(world, payer, payee, refusal):
    payer, payee = getattr(world, payer), getattr(world, payee)
    if refusal is None:
        timebank.send_hours(payer, payee, 60, "Thanks")
        assert (balance_of(payer), balance_of(payee)) == (-60, 60)
        return
    with pytest.raises(timebank.CannotTransfer, match=refusal):
        timebank.send_hours(payer, payee, 60, "Thanks")
    with pytest.raises(timebank.CannotTransfer, match=refusal):
        timebank.request_hours(payee, payer, 60, "Thanks")
    assert transfer_count() == 0


@pytest.mark.parametrize("blocker", ["member", "other_member"])
def test_no_hours_move_between_two_people_when_one_blocked_the_other(world, blocker):
    other = "other_member" if blocker == "member" else "member"
    block(getattr(world, blocker), getattr(world, other))
    with pytest.raises(timebank.CannotTransfer, match="can't trade hours with this member"):
        timebank.send_hours(world.member, world.other_member, 60, "Thanks")
    with pytest.raises(timebank.CannotTransfer):
        timebank.request_hours(world.member, world.other_member, 60, "Thanks")
    assert transfer_count() == 0


def test_a_closed_account_neither_sends_nor_receives(world):
    accounts.delete_account(world.other_member, PASSWORD)
    with pytest.raises(timebank.CannotTransfer):
        timebank.send_hours(world.member, world.other_member, 60, "Thanks")
    with pytest.raises(timebank.CannotTransfer):
        timebank.send_hours(world.other_member, world.member, 60, "Thanks")
    assert transfer_count() == 0


def test_hours_for_an_exchange_must_be_between_its_two_people(world, make_community):
    from commons.claims import services as claims
    from commons.posts.services import PostInput, create_post

    post = create_post(
        world.member,
        PostInput(
            kind="offer",
            title="Ladder to lend",
            description="Tall.",
            category="tools",
            community_id=world.home.id,
        ),
    )
    claim = claims.accept(world.member, claims.make_claim(world.other_member, post, "Please"))
    paid = timebank.send_hours(world.other_member, world.member, 30, "Ladder", claim=claim)
    assert fresh(HourTransfer, paid.id).claim_id == claim.id
    assert timebank.claims_between(world.other_member)[0][0].id == claim.id
    with pytest.raises(timebank.WrongExchange):
        timebank.send_hours(world.coordinator, world.member, 30, "Ladder", claim=claim)
    assert transfer_count() == 1


# --- the floor ---------------------------------------------------------------------------------


def test_a_member_can_spend_down_to_the_floor_and_not_a_quarter_more(world):
    timebank.send_hours(world.member, world.other_member, 10 * HOUR, "A long day of moving")
    with pytest.raises(timebank.InsufficientHours) as refused:
        timebank.send_hours(world.member, world.other_member, 15, "One more quarter")
    assert str(refused.value) == (
        "Your balance is −10 h and can go down to −10 h, so ¼ h can't leave it now."
    )
    assert balance_of(world.member) == -10 * HOUR
    assert transfer_count() == 1


def test_hours_that_came_in_can_be_spent_on_top_of_the_floor(world):
    timebank.send_hours(world.other_member, world.member, 3 * HOUR, "Painting")
    timebank.send_hours(world.member, world.coordinator, 13 * HOUR, "Big help")
    assert balance_of(world.member) == -10 * HOUR
    with pytest.raises(timebank.InsufficientHours):
        timebank.send_hours(world.member, world.coordinator, 15, "More")


def test_a_floor_of_zero_means_no_spending_before_earning(world):
    set_floor(world.home, 0)
    with pytest.raises(timebank.InsufficientHours):
        timebank.send_hours(world.member, world.other_member, 15, "Thanks")
    assert transfer_count() == 0
    set_floor(world.home, -HOUR)
    timebank.send_hours(world.other_member, world.member, HOUR, "Earned")
    set_floor(world.home, 0)
    timebank.send_hours(world.member, world.other_member, HOUR, "Spent what I earned")
    assert balance_of(world.member) == 0


def test_the_floor_is_the_most_generous_of_the_members_active_communities(
    world, make_user, make_community
):
    generous = make_community(make_user("Gina Generous"), "Generous Green")
    pending_only = make_community(
        make_user("Paula Pending"), "Pending Park", join_policy="approval"
    )
    set_floor(generous, -20 * HOUR)
    set_floor(pending_only, -50 * HOUR)
    assert timebank.floor_and_source(world.member) == (-10 * HOUR, world.home)
    communities.join(world.member, generous)
    communities.join(world.member, pending_only)  # waits for approval: not counted
    floor, source = timebank.floor_and_source(world.member)
    assert (floor, source.name) == (-20 * HOUR, "Generous Green")
    # Only active communities count: a member who belongs nowhere has a floor of zero.
    assert timebank.floor_of(world.stranger) == 0
    assert timebank.floor_of(world.applicant) == 0


def test_a_raised_floor_leaves_a_lower_balance_as_it_is_and_stops_spending(world):
    timebank.send_hours(world.member, world.other_member, 8 * HOUR, "Moving")
    set_floor(world.home, -5 * HOUR)
    with pytest.raises(timebank.InsufficientHours):
        timebank.send_hours(world.member, world.other_member, 15, "More")
    timebank.send_hours(world.other_member, world.member, HOUR, "Coming back up")
    assert balance_of(world.member) == -7 * HOUR
    assert timebank.account(world.member).available == 0


# --- requests ----------------------------------------------------------------------------------


def test_a_request_counts_only_once_the_payer_confirms(world):
    request = timebank.request_hours(world.other_member, world.member, 45, "Cat feeding")
    saved = fresh(HourTransfer, request.id)
    assert (saved.state, saved.decided_at, saved.created_by_id) == (
        "recorded",
        None,
        world.other_member.id,
    )
    assert balance_of(world.member) == 0 == balance_of(world.other_member)
    [asked] = notes_for(world.member)
    assert asked.text == "Otto Other asks you to confirm ¾ h for “Cat feeding”."
    assert [t.id for t in timebank.requests_to_confirm(world.member)] == [request.id]
    assert timebank.summary(world.member) == timebank.Summary(0, 1)

    timebank.confirm(world.member, fresh(HourTransfer, request.id))
    saved = fresh(HourTransfer, request.id)
    assert saved.state == "confirmed" and saved.decided_at is not None
    assert (balance_of(world.member), balance_of(world.other_member)) == (-45, 45)
    assert notes_for(world.other_member)[-1].text == "Mia Member confirmed ¾ h for “Cat feeding”."
    assert timebank.requests_to_confirm(world.member) == []


def test_a_refused_request_moves_nothing_and_cannot_be_confirmed_after(world):
    request = timebank.request_hours(world.other_member, world.member, 60, "Lift")
    timebank.refuse(world.member, request)
    saved = fresh(HourTransfer, request.id)
    assert saved.state == "refused" and saved.decided_at is not None
    assert "did not confirm 1 h" in notes_for(world.other_member)[-1].text
    with pytest.raises(timebank.StateChanged, match="already been refused"):
        timebank.confirm(world.member, saved)
    with pytest.raises(timebank.StateChanged, match="already been refused"):
        timebank.refuse(world.member, saved)
    assert all_balances()[world.member.id] == 0
    assert [t.id for t in timebank.my_requests(world.other_member)] == [request.id]


def test_a_confirmed_request_cannot_be_confirmed_or_refused_again(world):
    request = timebank.request_hours(world.other_member, world.member, 60, "Lift")
    timebank.confirm(world.member, request)
    for act in (timebank.confirm, timebank.refuse):
        with pytest.raises(timebank.StateChanged, match="already been confirmed"):
            act(world.member, fresh(HourTransfer, request.id))
    assert balance_of(world.member) == -60


@pytest.mark.parametrize("person", ["other_member", "coordinator", "admin", "away_member"])
def test_only_the_payer_confirms_or_refuses(world, person):
    request = timebank.request_hours(world.other_member, world.member, 60, "Lift")
    for act in (timebank.confirm, timebank.refuse):
        with pytest.raises(NotAllowed, match="Only the person asked to pay"):
            act(getattr(world, person), request)
    assert fresh(HourTransfer, request.id).state == "recorded"


def test_the_floor_is_checked_when_a_request_is_confirmed(world):
    request = timebank.request_hours(world.other_member, world.member, 4 * HOUR, "Garden")
    timebank.send_hours(world.member, world.coordinator, 7 * HOUR, "Van")
    with pytest.raises(timebank.InsufficientHours):
        timebank.confirm(world.member, request)
    assert fresh(HourTransfer, request.id).state == "recorded"
    assert balance_of(world.member) == -7 * HOUR


def test_a_request_cannot_be_confirmed_once_the_two_no_longer_trade(world):
    request = timebank.request_hours(world.other_member, world.member, 60, "Lift")
    block(world.member, world.other_member)
    with pytest.raises(timebank.CannotTransfer):
        timebank.confirm(world.member, request)
    timebank.refuse(world.member, request)  # refusing always works
    assert fresh(HourTransfer, request.id).state == "refused"


# --- reversals ---------------------------------------------------------------------------------


def test_the_payee_gives_mistaken_hours_back_with_a_new_transfer(world):
    sent = timebank.send_hours(world.member, world.other_member, 2 * HOUR, "Meant for Cora")
    back = timebank.reverse(world.other_member, sent, "Not me!")
    saved = fresh(HourTransfer, back.id)
    assert (saved.payer_id, saved.payee_id, saved.minutes, saved.state) == (
        world.other_member.id,
        world.member.id,
        2 * HOUR,
        "direct",
    )
    assert (saved.reverses_id, saved.memo, saved.created_by_id) == (
        sent.id,
        "Not me!",
        world.other_member.id,
    )
    assert fresh(HourTransfer, sent.id).state == "direct"  # the original stays as it was
    assert balance_of(world.member) == 0 == balance_of(world.other_member)
    assert notes_for(world.member)[-1].text == (
        "Otto Other gave back the 2 h you sent for “Meant for Cora”."
    )
    assert timebank.reversal_of(fresh(HourTransfer, sent.id)).id == back.id


def test_a_reversal_without_a_memo_says_what_it_gives_back(world):
    sent = timebank.send_hours(world.member, world.other_member, HOUR, "Bike repair")
    back = timebank.reverse(world.other_member, sent, "   ")
    assert fresh(HourTransfer, back.id).memo == "Giving back “Bike repair”"


def test_an_admin_may_reverse_for_a_member_and_both_are_told(world):
    sent = timebank.send_hours(world.member, world.other_member, HOUR, "Oops")
    back = timebank.reverse(world.admin, sent, "Reported as a mistake")
    assert fresh(HourTransfer, back.id).created_by_id == world.admin.id
    assert balance_of(world.member) == 0
    assert "gave back" in notes_for(world.member)[-1].text
    assert (
        "An admin gave back the 1 h Mia Member sent you" in notes_for(world.other_member)[-1].text
    )


@pytest.mark.parametrize("person", ["member", "coordinator", "away_coordinator", "stranger"])
def test_nobody_else_reverses(world, person):
    sent = timebank.send_hours(world.member, world.other_member, HOUR, "Oops")
    with pytest.raises(NotAllowed, match="Only the person who received"):
        timebank.reverse(getattr(world, person), sent, "Mine")
    assert transfer_count() == 1


def test_a_transfer_is_reversed_once(world):
    sent = timebank.send_hours(world.member, world.other_member, HOUR, "Oops")
    timebank.reverse(world.other_member, sent, "Back")
    with pytest.raises(timebank.AlreadyReversed):
        timebank.reverse(world.other_member, fresh(HourTransfer, sent.id), "Again")
    with pytest.raises(timebank.AlreadyReversed):
        timebank.reverse(world.admin, fresh(HourTransfer, sent.id), "Again")
    assert transfer_count() == 2


def test_a_reversal_is_not_itself_reversed(world):
    sent = timebank.send_hours(world.member, world.other_member, HOUR, "Oops")
    back = timebank.reverse(world.other_member, sent, "Back")
    with pytest.raises(timebank.StateChanged, match="send them again"):
        timebank.reverse(world.member, back, "Undo the undo")


@pytest.mark.parametrize("answer", [None, "refuse"])
def test_hours_that_never_moved_cannot_be_given_back(world, answer):
    request = timebank.request_hours(world.other_member, world.member, HOUR, "Lift")
    if answer:
        timebank.refuse(world.member, request)
    with pytest.raises(timebank.StateChanged, match="Only hours that moved"):
        timebank.reverse(world.other_member, fresh(HourTransfer, request.id), "Back")
    assert transfer_count() == 1


def test_a_confirmed_request_can_be_given_back(world):
    request = timebank.request_hours(world.other_member, world.member, HOUR, "Lift")
    timebank.confirm(world.member, request)
    timebank.reverse(
        world.other_member, fresh(HourTransfer, request.id), "I asked the wrong person"
    )
    assert balance_of(world.member) == 0 == balance_of(world.other_member)


def test_giving_back_is_held_to_the_payees_floor(world):
    sent = timebank.send_hours(world.member, world.other_member, 4 * HOUR, "Oops")
    timebank.send_hours(world.other_member, world.coordinator, 11 * HOUR, "Spent it all")
    with pytest.raises(timebank.InsufficientHours, match="Your balance is −7 h"):
        timebank.reverse(world.other_member, sent, "Back")
    with pytest.raises(timebank.InsufficientHours, match="Otto Other's balance"):
        timebank.reverse(world.admin, sent, "Back")
    assert balance_of(world.other_member) == -7 * HOUR


def test_hours_can_be_given_back_after_a_block(world):
    sent = timebank.send_hours(world.member, world.other_member, HOUR, "Oops")
    block(world.other_member, world.member)
    timebank.reverse(world.other_member, sent, "Back")
    assert balance_of(world.member) == 0


# --- what the database refuses, whatever the code does -----------------------------------------


def _row(world, **values):
    row = {
        "payer_id": world.member.id,
        "payee_id": world.other_member.id,
        "minutes": 60,
        "memo": "Raw",
        "state": "direct",
        "created_by_id": world.member.id,
        "created_at": now_utc(),
        "decided_at": now_utc(),
    }
    return row | values


@pytest.mark.parametrize(
    "values",
    [
        {"minutes": 0},
        {"minutes": -60},
        {"minutes": 10},
        {"minutes": 61},
        {"state": "pending"},
        {"state": "recorded"},  # a waiting request has no decision yet
        {"state": "confirmed", "decided_at": None},
        {"payee_id": "self"},
        {"payee_id": 10**9},
    ],
    ids=str,
)
def test_the_database_refuses_impossible_transfers(world, values):
    if values.get("payee_id") == "self":
        values = {"payee_id": world.member.id}
    with pytest.raises(IntegrityError):
        db.session.execute(insert(HourTransfer).values(_row(world, **values)))
        db.session.commit()
    db.session.rollback()
    assert transfer_count() == 0


def test_the_database_reverses_a_transfer_once_and_only_directly(world):
    sent = timebank.send_hours(world.member, world.other_member, HOUR, "Oops")
    back = {"payer_id": world.other_member.id, "payee_id": world.member.id, "reverses_id": sent.id}
    db.session.execute(insert(HourTransfer).values(_row(world, **back)))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(insert(HourTransfer).values(_row(world, **back)))
        db.session.commit()
    db.session.rollback()
    recorded = back | {"reverses_id": None, "state": "recorded", "decided_at": None}
    db.session.execute(insert(HourTransfer).values(_row(world, **recorded)))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(HourTransfer).where(HourTransfer.state == "recorded").values(reverses_id=sent.id)
        )
        db.session.commit()
    db.session.rollback()


def test_the_database_keeps_floors_at_or_below_zero(world):
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(Community).where(Community.id == world.home.id).values(hour_floor_minutes=60)
        )
        db.session.commit()
    db.session.rollback()
    assert fresh(Community, world.home.id).hour_floor_minutes == -600  # the default


# --- setting a floor ---------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["coordinator", "admin"])
def test_a_coordinator_or_admin_sets_the_floor(world, person):
    timebank.set_floor(getattr(world, person), world.home, -4 * HOUR - 30)
    assert fresh(Community, world.home.id).hour_floor_minutes == -270


@pytest.mark.parametrize("person", ["member", "away_coordinator", "stranger"])
def test_nobody_else_sets_the_floor(world, person):
    with pytest.raises(NotAllowed):
        timebank.set_floor(getattr(world, person), world.home, 0)
    assert fresh(Community, world.home.id).hour_floor_minutes == -600


@pytest.mark.parametrize("minutes", [15, -10, -500 * HOUR - 15, True])
def test_a_floor_is_zero_or_below_in_quarter_hours(world, minutes):
    with pytest.raises(timebank.InvalidInput):
        timebank.set_floor(world.coordinator, world.home, minutes)
    assert fresh(Community, world.home.id).hour_floor_minutes == -600


# --- the statement -----------------------------------------------------------------------------


def _history(world) -> list[HourTransfer]:
    """Mia: +3 h from Otto, -1¼ h to Cora, a refused request, -½ h to Otto, a request from
    Cora confirmed later, so it counts after the others."""
    start = now_utc() - timedelta(days=3)
    made = []
    with time_machine.travel(start, tick=False):
        made.append(timebank.send_hours(world.other_member, world.member, 3 * HOUR, "Painting"))
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        made.append(timebank.send_hours(world.member, world.coordinator, 75, "Van"))
        asked = timebank.request_hours(world.coordinator, world.member, 15, "Tea")
        refused = timebank.request_hours(world.other_member, world.member, 30, "Nope")
        timebank.refuse(world.member, refused)
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        made.append(timebank.send_hours(world.member, world.other_member, 30, "=SUM(A1:A9)"))
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        made.append(timebank.confirm(world.member, fresh(HourTransfer, asked.id)))
    return made


def test_the_statement_shows_a_running_balance_newest_first(world):
    painting, van, formula, tea = _history(world)
    page = timebank.statement(fresh(type(world.member), world.member.id))
    assert page.total == 4 and page.pages == 1
    lines = [(line.transfer.id, line.change, line.balance, line.other.id) for line in page.lines]
    assert lines == [
        (tea.id, -15, 60, world.coordinator.id),  # asked before, counted last
        (formula.id, -30, 75, world.other_member.id),
        (van.id, -75, 105, world.coordinator.id),
        (painting.id, 180, 180, world.other_member.id),
    ]
    assert page.lines[0].balance == balance_of(world.member)


def test_the_statement_pages_keep_the_running_balance(world):
    _history(world)
    member = fresh(type(world.member), world.member.id)
    first = timebank.statement(member, page=1, per_page=3)
    second = timebank.statement(member, page=2, per_page=3)
    assert first.pages == 2
    assert [line.balance for line in first.lines] == [60, 75, 105]
    assert [line.balance for line in second.lines] == [180]
    assert timebank.statement(member, page=99, per_page=3).page == 2
    assert timebank.statement(member, page=-4, per_page=3).page == 1


def test_a_reversed_line_and_its_reversal_both_show(world):
    sent = timebank.send_hours(world.member, world.other_member, HOUR, "Oops")
    back = timebank.reverse(world.other_member, sent, "Back")
    lines = timebank.statement(fresh(type(world.member), world.member.id)).lines
    assert [(line.transfer.id, line.balance) for line in lines] == [(back.id, 0), (sent.id, -60)]
    assert lines[1].reversed_by.id == back.id


def test_an_empty_statement(world):
    page = timebank.statement(world.stranger)
    assert (page.lines, page.total, page.page, page.pages) == ([], 0, 1, 1)


# --- the CSV statement -------------------------------------------------------------------------


def test_the_csv_statement_lists_every_line_oldest_first(world):
    painting, van, formula, tea = _history(world)
    body = timebank.csv_statement(fresh(type(world.member), world.member.id))
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == timebank.CSV_HEADER
    assert [row[1:] for row in rows[1:]] == [
        [str(painting.id), "Otto Other", "Painting", "3", "", "3", "", ""],
        [str(van.id), "Cora Coordinator", "Van", "", "1.25", "1.75", "", ""],
        [str(formula.id), "Otto Other", "'=SUM(A1:A9)", "", "0.5", "1.25", "", ""],
        [str(tea.id), "Cora Coordinator", "Tea", "", "0.25", "1", "request confirmed", ""],
    ]
    assert rows[1][0].count("-") == 2 and len(rows[1][0]) == len("2026-01-01 10:00")


@pytest.mark.parametrize(
    "memo, cell",
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("Fine = fine", "Fine = fine"),
        ("'quoted", "'quoted"),
    ],
)
def test_csv_text_that_a_spreadsheet_would_run_is_quoted(world, memo, cell):
    timebank.send_hours(world.member, world.other_member, 15, memo)
    rows = list(csv.reader(io.StringIO(timebank.csv_statement(world.member))))
    assert rows[1][3] == cell
    # The bank's own numbers stay numbers, even negative ones.
    assert rows[1][5:7] == ["0.25", "-0.25"]


def test_csv_names_are_quoted_too(world, make_user):
    world.other_member.display_name = "=cmd|' /C calc'!A0"
    db.session.commit()
    timebank.send_hours(world.member, world.other_member, 15, "Tea")
    rows = list(csv.reader(io.StringIO(timebank.csv_statement(world.member))))
    assert rows[1][2] == "'=cmd|' /C calc'!A0"


def test_the_csv_of_another_member_holds_only_their_lines(world):
    timebank.send_hours(world.member, world.other_member, 15, "Mine")
    timebank.send_hours(world.away_member, world.away_coordinator, 30, "Theirs")
    body = timebank.csv_statement(world.member)
    assert "Mine" in body and "Theirs" not in body


# --- export and deletion -----------------------------------------------------------------------


def test_export_my_data_holds_my_transfers_both_ways(world):
    sent = timebank.send_hours(world.member, world.other_member, 90, "Dog walking")
    asked = timebank.request_hours(world.member, world.coordinator, 30, "Tea")
    timebank.send_hours(world.away_member, world.away_coordinator, 30, "Not mine")
    data = export_member_data(fresh(type(world.member), world.member.id))["hour_transfers"]
    assert data["balance_hours"] == "-1.5"
    assert [
        (t["id"], t["direction"], t["with"], t["hours"], t["state"]) for t in data["transfers"]
    ] == [
        (sent.id, "out", "Otto Other", "1.5", "direct"),
        (asked.id, "in", "Cora Coordinator", "0.5", "recorded"),
    ]


def test_a_deleted_account_keeps_its_transfers_as_a_former_member(world):
    timebank.send_hours(world.member, world.other_member, 2 * HOUR, "Moving")
    timebank.send_hours(world.other_member, world.coordinator, HOUR, "Tea")
    waiting = timebank.request_hours(world.other_member, world.member, 30, "Lift")
    asked_of = timebank.request_hours(world.coordinator, world.other_member, 15, "Bread")
    accounts.delete_account(world.other_member, PASSWORD)

    balances = all_balances()
    assert sum(balances.values()) == 0
    assert balances[world.other_member.id] == HOUR  # the ledger keeps their hours
    assert balance_of(world.member) == -2 * HOUR
    assert fresh(HourTransfer, waiting.id).state == "refused"
    assert fresh(HourTransfer, asked_of.id).state == "refused"
    line = timebank.statement(fresh(type(world.member), world.member.id)).lines[0]
    assert line.other.public_name == "Former member"
    assert "Former member" in timebank.csv_statement(world.member)
