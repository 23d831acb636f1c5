"""The hour ledger: one row per transfer, never edited except to settle a request."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import now_utc
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..claims.models import Claim

# direct: the payer sent the hours. recorded: the payee asked the payer to confirm them; the
# payer then confirms (confirmed) or refuses (refused). Only direct and confirmed ones count.
TRANSFER_STATES = ("direct", "recorded", "confirmed", "refused")
COUNTED_STATES = ("direct", "confirmed")
QUARTER = 15  # minutes: hours move in quarter hours


class HourTransfer(db.Model):
    """Hours moving from `payer` to `payee`.

    A balance is the sum of a member's counted transfers (in minus out), never a stored
    counter. A mistake is put right by a reversal: a new direct transfer the other way whose
    `reverses_id` names the original, so the history stays whole and a transfer is reversed
    at most once (unique `reverses_id`). The only change a row ever sees is a request being
    settled: `recorded` -> `confirmed` | `refused`, with `decided_at`.
    """

    __tablename__ = "hour_transfers"
    __table_args__ = (
        CheckConstraint("minutes > 0 AND minutes % 15 = 0", name="positive_quarter_hours"),
        CheckConstraint("payer_id <> payee_id", name="not_to_self"),
        CheckConstraint(
            "state IN ('direct', 'recorded', 'confirmed', 'refused')", name="state_valid"
        ),
        # A request waits (no decision) until settled; everything else is decided.
        CheckConstraint(
            "(state = 'recorded' AND decided_at IS NULL) "
            "OR (state <> 'recorded' AND decided_at IS NOT NULL)",
            name="decided_unless_recorded",
        ),
        CheckConstraint("reverses_id IS NULL OR state = 'direct'", name="reversal_is_direct"),
        # Hours pay for one thing at most: a claim, a mentorship session or a skill exchange.
        CheckConstraint(
            "(CASE WHEN claim_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN session_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN exchange_id IS NULL THEN 0 ELSE 1 END) <= 1",
            name="pays_for_one_thing",
        ),
        Index("ix_hour_transfers_payer", "payer_id", "state", "decided_at"),
        Index("ix_hour_transfers_payee", "payee_id", "state", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Accounts are never deleted (a former member keeps their row), so the ledger always sums.
    payer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    payee_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    minutes: Mapped[int]
    memo: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16))
    # What the hours pay for, where it applies; the ledger outlives it.
    claim_id: Mapped[int | None] = mapped_column(
        ForeignKey("claims.id", ondelete="SET NULL"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorship_sessions.id", ondelete="SET NULL"), index=True
    )
    exchange_id: Mapped[int | None] = mapped_column(
        ForeignKey("skill_exchanges.id", ondelete="SET NULL"), index=True
    )
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("hour_transfers.id"), unique=True)
    # The payer (direct), the payee (a request), or an admin (a reversal made for a member).
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    # When it started to count (direct: at once) or was refused; None while a request waits.
    decided_at: Mapped[datetime | None]

    payer: Mapped[User] = relationship(foreign_keys=[payer_id])
    payee: Mapped[User] = relationship(foreign_keys=[payee_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    claim: Mapped[Claim | None] = relationship()
    reverses: Mapped[HourTransfer | None] = relationship(
        remote_side=[id], foreign_keys=[reverses_id]
    )

    @property
    def counts(self) -> bool:
        return self.state in COUNTED_STATES

    def __repr__(self) -> str:
        return (
            f"<HourTransfer {self.id} {self.payer_id}->{self.payee_id} {self.minutes}m "
            f"{self.state}>"
        )
