"""Skill exchanges: direct swaps, swap circles and lessons paid in hours."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import now_utc
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User

EXCHANGE_KINDS = ("swap", "circle", "paid")
# proposed -> active (everyone accepted) -> completed; proposed -> declined (anyone said no);
# proposed | active -> cancelled.
EXCHANGE_STATES = ("proposed", "active", "completed", "declined", "cancelled")


class SkillExchange(db.Model):
    """An agreement between members to teach each other.

    A swap has two lessons (A teaches B, B teaches A), a circle three or more (A->B->C->A), a
    paid lesson one, which the learner pays for with `minutes` hours. For swaps and circles
    `minutes` is the time each lesson is worth: on completion, with `record_hours`, every
    learner pays their teacher that much, so each person's balance nets to zero while the
    ledger keeps the history.
    """

    __tablename__ = "skill_exchanges"
    __table_args__ = (
        CheckConstraint("kind IN ('swap', 'circle', 'paid')", name="kind_valid"),
        CheckConstraint(
            "state IN ('proposed', 'active', 'completed', 'declined', 'cancelled')",
            name="state_valid",
        ),
        CheckConstraint(
            "minutes >= 0 AND minutes <= 6000 AND minutes % 15 = 0", name="minutes_valid"
        ),
        CheckConstraint("kind <> 'paid' OR minutes > 0", name="paid_has_hours"),
        Index("ix_skill_exchanges_state", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(12), default="proposed")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int] = mapped_column(default=60)
    record_hours: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    lessons: Mapped[list[ExchangeLesson]] = relationship(
        back_populates="exchange", cascade="all, delete-orphan", order_by="ExchangeLesson.position"
    )
    participants: Mapped[list[ExchangeParticipant]] = relationship(
        back_populates="exchange", cascade="all, delete-orphan"
    )


class ExchangeLesson(db.Model):
    """One direction of an exchange: `teacher` teaches `learner` `skill`."""

    __tablename__ = "exchange_lessons"
    __table_args__ = (
        CheckConstraint("teacher_id <> learner_id", name="not_self"),
        UniqueConstraint("exchange_id", "position"),
        UniqueConstraint("exchange_id", "teacher_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("skill_exchanges.id", ondelete="CASCADE"))
    position: Mapped[int]
    teacher_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    skill: Mapped[str] = mapped_column(String(60))

    exchange: Mapped[SkillExchange] = relationship(back_populates="lessons")
    teacher: Mapped[User] = relationship(foreign_keys=[teacher_id])
    learner: Mapped[User] = relationship(foreign_keys=[learner_id])


class ExchangeParticipant(db.Model):
    """A member's part in an exchange: when they accepted, and when they said it was done."""

    __tablename__ = "exchange_participants"
    __table_args__ = (UniqueConstraint("exchange_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("skill_exchanges.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    accepted_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]

    exchange: Mapped[SkillExchange] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()
