"""Rule 3 as a property: whatever members do (send, ask, confirm, refuse, give back), in any
order, hours are never created or lost (every balance sums to zero) and no account goes below
its floor.

It runs on the real database through the services. Beside the database it keeps a small model
of what each step should do (who can trade, each balance, each floor), and checks every step
against it: a service that refused everything would keep the sum at zero too, so the model
also says which steps must succeed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from commons.communities import services as communities
from commons.extensions import db
from commons.notifications.models import Notification
from commons.timebank import services as timebank
from commons.timebank.models import HourTransfer
from tests.timebank.conftest import all_balances, block

# The people: who belongs where. "Bea" is in both communities; "Sid" in none. Cora and Bea
# have blocked each other.
PEOPLE = ("mia", "otto", "cora", "wes", "bea", "sid")
MEMBER_OF = {
    "mia": {"home"},
    "otto": {"home"},
    "cora": {"home"},
    "wes": {"away"},
    "bea": {"home", "away"},
    "sid": set(),
}
BLOCKED = {frozenset({"cora", "bea"})}


@dataclass
class Bank:
    """The expected state: balances, the requests still waiting, every transfer made."""

    floors: dict[str, int]
    balances: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PEOPLE, 0))
    waiting: list[int] = field(default_factory=list)
    # id -> (payer, payee, minutes, counts, is_reversal, reversed)
    transfers: dict[int, list] = field(default_factory=dict)

    def floor(self, person: str) -> int:
        return min((self.floors[c] for c in MEMBER_OF[person]), default=0)

    def can_trade(self, a: str, b: str) -> bool:
        return a != b and bool(MEMBER_OF[a] & MEMBER_OF[b]) and frozenset({a, b}) not in BLOCKED

    def covers(self, payer: str, minutes: int) -> bool:
        return self.balances[payer] - minutes >= self.floor(payer)

    def move(self, payer: str, payee: str, minutes: int) -> None:
        self.balances[payer] -= minutes
        self.balances[payee] += minutes


person = st.sampled_from(PEOPLE)
quarters = st.integers(min_value=1, max_value=48)  # up to 12 hours
pick = st.integers(min_value=0, max_value=1000)  # which waiting request or transfer
steps = st.lists(
    st.one_of(
        st.tuples(st.just("send"), person, person, quarters),
        st.tuples(st.just("ask"), person, person, quarters),
        st.tuples(st.just("confirm"), pick),
        st.tuples(st.just("refuse"), pick),
        st.tuples(st.just("reverse"), pick, st.booleans()),
    ),
    max_size=25,
)
floors = st.fixed_dictionaries(
    {"home": st.sampled_from([0, -60, -600]), "away": st.sampled_from([0, -120, -1200])}
)


@pytest.fixture
def cast(world, make_user):
    bea = make_user("Bea Bridge")
    communities.join(bea, world.home)
    communities.decide_request(world.coordinator, world.home, bea.id, approve=True)
    communities.join(bea, world.away)
    block(world.coordinator, bea)
    people = {
        "mia": world.member,
        "otto": world.other_member,
        "cora": world.coordinator,
        "wes": world.away_member,
        "bea": bea,
        "sid": world.stranger,
    }
    return people, {"home": world.home, "away": world.away}, world.admin


def _outcome(service, *args) -> tuple[str, HourTransfer | None]:
    """What a service call did: "ok" (and the transfer), or which refusal it raised."""
    try:
        made = service(*args)
    except timebank.CannotTransfer:
        return "cannot", None
    except timebank.InsufficientHours:
        return "floor", None
    except timebank.AlreadyReversed:
        return "reversed", None
    except timebank.StateChanged:
        return "state", None
    return "ok", made


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps, floors=floors)
def test_hours_are_never_created_or_lost_and_no_account_breaks_its_floor(cast, steps, floors):
    people, places, admin = cast
    # A fresh ledger for each example; the people and communities stay.
    db.session.rollback()
    db.session.execute(delete(Notification))
    db.session.execute(delete(HourTransfer))
    for name, community in places.items():
        community.hour_floor_minutes = floors[name]
    db.session.commit()
    bank = Bank(floors)

    for step in steps:
        kind = step[0]
        if kind in ("send", "ask"):
            _, a, b, n = step
            minutes = n * 15
            if kind == "send":  # a pays b
                expected = (
                    "cannot"
                    if not bank.can_trade(a, b)
                    else ("ok" if bank.covers(a, minutes) else "floor")
                )
                got, made = _outcome(timebank.send_hours, people[a], people[b], minutes, "x")
                assert got == expected, step
                if made is not None:
                    bank.move(a, b, minutes)
                    bank.transfers[made.id] = [a, b, minutes, True, False, False]
            else:  # a asks b to pay
                expected = "ok" if bank.can_trade(a, b) else "cannot"
                got, made = _outcome(timebank.request_hours, people[a], people[b], minutes, "x")
                assert got == expected, step
                if made is not None:
                    bank.waiting.append(made.id)
                    bank.transfers[made.id] = [b, a, minutes, False, False, False]
        elif kind in ("confirm", "refuse"):
            if not bank.waiting:
                continue
            transfer_id = bank.waiting[step[1] % len(bank.waiting)]
            payer, payee, minutes, *_ = bank.transfers[transfer_id]
            transfer = db.session.get(HourTransfer, transfer_id)
            if kind == "confirm":
                expected = "ok" if bank.covers(payer, minutes) else "floor"
                got, _ = _outcome(timebank.confirm, people[payer], transfer)
            else:
                expected = "ok"
                got, _ = _outcome(timebank.refuse, people[payer], transfer)
            assert got == expected, step
            if got == "ok":
                bank.waiting.remove(transfer_id)
                if kind == "confirm":
                    bank.move(payer, payee, minutes)
                    bank.transfers[transfer_id][3] = True
        else:  # give back any transfer made so far, as its payee or as an admin
            if not bank.transfers:
                continue
            ids = sorted(bank.transfers)
            transfer_id = ids[step[1] % len(ids)]
            payer, payee, minutes, counts, is_reversal, reversed_ = bank.transfers[transfer_id]
            if not counts or is_reversal:
                expected = "state"
            elif reversed_:
                expected = "reversed"
            else:
                expected = "ok" if bank.covers(payee, minutes) else "floor"
            actor = admin if step[2] else people[payee]
            transfer = db.session.get(HourTransfer, transfer_id)
            got, made = _outcome(timebank.reverse, actor, transfer, "back")
            assert got == expected, step
            if made is not None:
                bank.move(payee, payer, minutes)
                bank.transfers[transfer_id][5] = True
                bank.transfers[made.id] = [payee, payer, minutes, True, True, False]

        # After every step: the database agrees with the model, sums to zero, and holds floors.
        ledger = all_balances()
        assert sum(ledger.values()) == 0
        for name, member in people.items():
            assert ledger[member.id] == bank.balances[name] == timebank.balance(member), step
            assert ledger[member.id] >= bank.floor(name) == timebank.floor_of(member)
