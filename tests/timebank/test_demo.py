"""The demo neighbourhood comes with a time-bank history: payments, one given back, and a
request waiting for Dora (a demo login) to confirm; its ledger sums to zero."""

from __future__ import annotations

from sqlalchemy import select

from commons.accounts.models import User
from commons.extensions import db
from commons.timebank import services as timebank
from commons.timebank.models import HourTransfer
from tests.timebank.conftest import all_balances


def test_the_demo_has_a_time_bank_history(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    transfers = db.session.scalars(select(HourTransfer)).all()
    states = [t.state for t in transfers]
    assert states.count("direct") >= 4
    assert [t.reverses_id is not None for t in transfers].count(True) == 1
    dora = db.session.scalar(select(User).where(User.email == "dora@demo.commons"))
    [waiting] = timebank.requests_to_confirm(dora)
    assert waiting.payee.display_name.startswith("Jade")
    assert timebank.statement(dora).total >= 4
    balances = all_balances()
    assert sum(balances.values()) == 0
    assert any(balances.values())
    for user in db.session.scalars(select(User)):
        assert balances[user.id] >= timebank.floor_of(user)
