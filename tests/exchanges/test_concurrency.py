"""The last accept, and the last "done", with real threads on SQLite and PostgreSQL.

Each participant's answer is a row of its own, so two people answering at the same instant
update different rows; without a lock each would count the other's answer as still missing
(PostgreSQL, READ COMMITTED: neither sees the other's uncommitted row), and an exchange
everyone accepted would never start. `accept` and `mark_done` first lock the exchange's row,
so the second answer waits and then sees the first: the exchange starts exactly once, and a
completed circle records its hours exactly once. (With the lock taken out of `_lock`, the
PostgreSQL runs of the two "exactly once" tests fail: the exchange stays proposed, or active.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from commons.accounts.models import User
from commons.exchanges import services as exchanges
from commons.exchanges.models import SkillExchange
from commons.extensions import db
from commons.notifications.models import Notification
from tests.exchanges.conftest import circle, fresh_exchange, started, transfers_of
from tests.timebank.conftest import all_balances
from tests.timebank.test_concurrency import run_together


def answer_job(
    action: Callable[[User, SkillExchange], Any], user_id: int, exchange_id: int
) -> Callable[[], Callable[[], str]]:
    def prepare() -> Callable[[], str]:
        person = db.session.get(User, user_id)
        exchange = db.session.get(SkillExchange, exchange_id)
        assert person is not None and exchange is not None
        _ = [(part.user, part.accepted_at) for part in exchange.participants]
        _ = [(lesson.teacher, lesson.learner) for lesson in exchange.lessons]
        db.session.commit()  # end the read transaction: the race starts clean

        def go() -> str:
            try:
                return "finished" if action(person, exchange) else "ok"
            except exchanges.ExchangeError as exc:
                return type(exc).__name__

        return go

    return prepare


def started_notes() -> int:
    db.session.rollback()
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.text.contains("can start"))
        )
        or 0
    )


def test_two_last_accepts_at_the_same_moment_start_it_exactly_once(app, world, third):
    exchange = circle(world, third)  # Mia accepted by proposing; Otto and Tess answer at once
    results = run_together(
        app,
        [
            answer_job(exchanges.accept, world.other_member.id, exchange.id),
            answer_job(exchanges.accept, third.id, exchange.id),
        ],
    )
    assert sorted(results) == ["finished", "ok"]  # one of them started it
    now = fresh_exchange(exchange.id)
    assert now.state == "active" and now.started_at is not None
    assert all(part.accepted_at is not None for part in now.participants)
    assert started_notes() == 2  # "it can start", told once to each of the other two


def test_the_same_member_accepting_twice_at_once_counts_once(app, world):
    exchange = exchanges.propose_swap(
        world.member, world.other_member, i_teach="Guitar", they_teach="Welsh"
    )
    results = run_together(
        app,
        [
            answer_job(exchanges.accept, world.other_member.id, exchange.id),
            answer_job(exchanges.accept, world.other_member.id, exchange.id),
        ],
    )
    assert sorted(results) == ["StateChanged", "finished"]
    assert fresh_exchange(exchange.id).state == "active"


def test_two_last_dones_at_the_same_moment_record_the_hours_once(app, world, third):
    exchange = started(circle(world, third, minutes=60), world.other_member, third)
    exchanges.mark_done(world.member, exchange)
    results = run_together(
        app,
        [
            answer_job(exchanges.mark_done, world.other_member.id, exchange.id),
            answer_job(exchanges.mark_done, third.id, exchange.id),
        ],
    )
    assert sorted(results) == ["finished", "ok"]
    assert fresh_exchange(exchange.id).state == "completed"
    assert len(transfers_of(exchange.id)) == 3
    balances = all_balances()
    assert sum(balances.values()) == 0
    assert balances[world.member.id] == balances[third.id] == 0


def test_an_accept_and_a_decline_at_once_leave_one_outcome(app, world, third):
    exchange = circle(world, third)
    results = run_together(
        app,
        [
            answer_job(exchanges.accept, world.other_member.id, exchange.id),
            answer_job(exchanges.decline, third.id, exchange.id),
        ],
    )
    state = fresh_exchange(exchange.id).state
    assert state == "declined"  # Tess's "no" holds whichever came first
    # Otto's accept went first ("ok") or found it declined; the decline always goes through.
    assert results[1] == "finished" and results[0] in ("ok", "StateChanged")


def propose_job(
    proposer_id: int, other_id: int, i_teach: str, they_teach: str
) -> Callable[[], Callable[[], str]]:
    def prepare() -> Callable[[], str]:
        proposer, other = db.session.get(User, proposer_id), db.session.get(User, other_id)
        assert proposer is not None and other is not None
        db.session.commit()

        def go() -> str:
            try:
                exchanges.propose_swap(proposer, other, i_teach=i_teach, they_teach=they_teach)
            except exchanges.ExchangeError as exc:
                return type(exc).__name__
            return "ok"

        return go

    return prepare


@pytest.mark.parametrize("both", [False, True], ids=["double-click", "both-sides"])
def test_the_same_swap_proposed_twice_at_once_is_one_exchange(app, world, both):
    """A double click, or both people proposing the same swap at the same moment: one is
    made, the other is told it is already proposed."""
    mia, otto = world.member.id, world.other_member.id
    second = (
        propose_job(otto, mia, "Welsh", "Guitar")
        if both
        else propose_job(mia, otto, "Guitar", "Welsh")
    )
    results = run_together(app, [propose_job(mia, otto, "Guitar", "Welsh"), second])
    assert sorted(results) == ["AlreadyProposed", "ok"]
    db.session.rollback()
    assert db.session.scalar(select(func.count(SkillExchange.id))) == 1
