"""Rule 3 with real threads: transfers taking hours from one account at the same instant never
together take it below its floor, and a transfer is given back once.

Why the services lock the payer's row. The obvious code

    if balance(payer) - minutes >= floor_of(payer):   # A sums: 0; B sums: 0
        db.session.add(HourTransfer(...))             # both insert, both commit

lets two transfers of 6 h each through from an account at 0 with a floor of -10 h: on
PostgreSQL (READ COMMITTED) each transaction sums before the other commits, and nothing in the
table is violated (a balance is not a column a CHECK could guard). So every transaction that
takes hours out first runs `SELECT ... FOR NO KEY UPDATE` on the payer's `users` row: the
second waits for the first to commit, and its SUM, a new statement, then sees the first
transfer. On SQLite, `write_transaction()` begins with BEGIN IMMEDIATE, so writers queue for
the database's one write lock. (Without `_lock_account`, the PostgreSQL runs below let both
transfers through.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from commons.accounts.models import User
from commons.communities import services as communities
from commons.extensions import db
from commons.timebank import services as timebank
from commons.timebank.models import HourTransfer
from tests.conftest import csrf_token, log_in
from tests.timebank.conftest import all_balances

HOUR = 60


def run_together(app: Flask, jobs: list[Callable[[], Any]]) -> list[Any]:
    """Each job in a thread of its own, with its own app context (its own session and
    connection); all wait at a barrier, then act at once."""
    start = Barrier(len(jobs), timeout=60)

    def work(job: Callable[[], Any]) -> Any:
        with app.app_context():
            prepared = job()  # loads what it needs before the race
            start.wait()
            return prepared()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(work, jobs))


def outcome(action: Callable[[], Any]) -> str:
    try:
        action()
    except timebank.InsufficientHours:
        return "floor"
    except timebank.AlreadyReversed:
        return "already"
    return "ok"


def user(user_id: int) -> User:
    person = db.session.get(User, user_id)
    assert person is not None
    return person


def send_job(payer_id: int, payee_id: int, minutes: int) -> Callable[[], Callable[[], str]]:
    def prepare() -> Callable[[], str]:
        payer, payee = user(payer_id), user(payee_id)
        db.session.commit()  # end the read transaction: the race starts clean
        return lambda: outcome(lambda: timebank.send_hours(payer, payee, minutes, "Race"))

    return prepare


def confirm_job(payer_id: int, transfer_id: int) -> Callable[[], Callable[[], str]]:
    def prepare() -> Callable[[], str]:
        payer, transfer = user(payer_id), db.session.get(HourTransfer, transfer_id)
        db.session.commit()
        return lambda: outcome(lambda: timebank.confirm(payer, transfer))

    return prepare


def reverse_job(actor_id: int, transfer_id: int) -> Callable[[], Callable[[], str]]:
    def prepare() -> Callable[[], str]:
        actor, transfer = user(actor_id), db.session.get(HourTransfer, transfer_id)
        _ = (transfer.payer, transfer.payee)
        db.session.commit()
        return lambda: outcome(lambda: timebank.reverse(actor, transfer, "Back"))

    return prepare


def settled(member: User) -> int:
    db.session.rollback()  # see what the threads committed
    return timebank.balance(member)


@pytest.fixture
def neighbours(world, make_user) -> list[User]:
    people = []
    for n in range(8):
        person = make_user(f"Neighbour {n}")
        communities.join(person, world.home)
        communities.decide_request(world.coordinator, world.home, person.id, approve=True)
        people.append(person)
    return people


def test_two_transfers_from_one_account_at_the_same_instant_keep_the_floor(app, world):
    """Mia is at 0 with a floor of -10 h; she sends 6 h to Otto and 6 h to Cora at once."""
    mia = world.member.id
    results = run_together(
        app,
        [
            send_job(mia, world.other_member.id, 6 * HOUR),
            send_job(mia, world.coordinator.id, 6 * HOUR),
        ],
    )
    assert sorted(results) == ["floor", "ok"]
    assert settled(world.member) == -6 * HOUR
    assert sum(all_balances().values()) == 0


def test_ten_transfers_at_once_stop_exactly_at_the_floor(app, world, neighbours):
    """Ten 2-hour payments from an account at 0 with a floor of -10 h: exactly five go."""
    mia = world.member.id
    payees = [world.other_member.id, world.coordinator.id, *(p.id for p in neighbours)]
    results = run_together(app, [send_job(mia, payee, 2 * HOUR) for payee in payees])
    assert Counter(results) == {"ok": 5, "floor": 5}
    assert settled(world.member) == -10 * HOUR
    assert sum(all_balances().values()) == 0


def test_confirmations_and_a_send_at_once_keep_the_floor(app, world, neighbours):
    """Mia is at -4 h: two neighbours' requests for 4 h each and her own 4-hour payment, all
    at once. Only one of the three fits above -10 h."""
    mia = world.member
    timebank.send_hours(mia, world.coordinator, 4 * HOUR, "Earlier")
    asks = [timebank.request_hours(p, mia, 4 * HOUR, "Ask") for p in neighbours[:2]]
    results = run_together(
        app,
        [confirm_job(mia.id, t.id) for t in asks]
        + [send_job(mia.id, world.other_member.id, 4 * HOUR)],
    )
    assert Counter(results) == {"ok": 1, "floor": 2}
    assert settled(mia) == -8 * HOUR
    assert sum(all_balances().values()) == 0


def test_two_members_paying_each_other_at_once_both_go_through(app, world):
    """Locks are per payer, and foreign-key checks don't wait on them: no deadlock."""
    results = run_together(
        app,
        [
            send_job(world.member.id, world.other_member.id, HOUR),
            send_job(world.other_member.id, world.member.id, 2 * HOUR),
        ],
    )
    assert results == ["ok", "ok"]
    assert settled(world.member) == HOUR
    assert settled(world.other_member) == -HOUR


def test_a_transfer_given_back_twice_at_once_is_given_back_once(app, world):
    sent = timebank.send_hours(world.member, world.other_member, 3 * HOUR, "Oops")
    results = run_together(
        app,
        [reverse_job(world.other_member.id, sent.id), reverse_job(world.admin.id, sent.id)],
    )
    assert sorted(results) == ["already", "ok"]
    db.session.rollback()
    reversals = db.session.scalars(
        select(HourTransfer).where(HourTransfer.reverses_id == sent.id)
    ).all()
    assert len(reversals) == 1
    assert settled(world.member) == 0 == settled(world.other_member)


def test_two_send_requests_at_once_answer_303_and_409(app, world):
    """The same race through the web: two tabs sending 6 h at once."""
    clients = []
    for _ in range(2):
        client = app.test_client()
        log_in(client, world.member)
        clients.append(client)
    db.session.commit()

    def job(client, payee_id: int) -> Callable[[], Callable[[], int]]:
        def prepare() -> Callable[[], int]:
            token = csrf_token(client, "/timebank")
            data = {
                "csrf_token": token,
                "send-member": payee_id,
                "send-hours": "6",
                "send-memo": "Race",
            }
            return lambda: client.post("/timebank/transfers", data=data).status_code

        return prepare

    results = run_together(
        app, [job(clients[0], world.other_member.id), job(clients[1], world.coordinator.id)]
    )
    assert sorted(results) == [303, 409]
    assert settled(world.member) == -6 * HOUR
