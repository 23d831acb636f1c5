"""Time-bank helpers: balances read afresh from the database, hours given to set a balance up,
and the ledger's own totals."""

from __future__ import annotations

from sqlalchemy import func, select

from commons.accounts.models import User
from commons.extensions import db
from commons.moderation.models import Block
from commons.notifications.models import Notification
from commons.timebank import services as timebank
from commons.timebank.models import HourTransfer


def fresh(model, id_: int):
    """The row as the database has it now (ends this test's read snapshot first)."""
    db.session.rollback()
    return db.session.get(model, id_)


def balance_of(user: User) -> int:
    db.session.rollback()
    return timebank.balance(user)


def all_balances() -> dict[int, int]:
    """Every account's balance, computed independently of the service: per member, counted
    transfers in minus counted transfers out."""
    db.session.rollback()
    rows = db.session.execute(
        select(HourTransfer.payer_id, HourTransfer.payee_id, HourTransfer.minutes).where(
            HourTransfer.state.in_(("direct", "confirmed"))
        )
    ).all()
    totals: dict[int, int] = dict.fromkeys(db.session.scalars(select(User.id)), 0)
    for payer, payee, minutes in rows:
        totals[payer] -= minutes
        totals[payee] += minutes
    return totals


def transfer_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(HourTransfer)) or 0


def notes_for(user: User) -> list[Notification]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def block(blocker: User, blocked: User) -> None:
    db.session.add(Block(blocker_id=blocker.id, blocked_id=blocked.id))
    db.session.commit()


def set_floor(community, minutes: int) -> None:
    community.hour_floor_minutes = minutes
    db.session.commit()
