"""What a member shares about themselves: skills, wishes and weekly availability."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SKILL_KINDS = ("share", "learn")


class AvailabilitySlot(db.Model):
    """A weekly window such as "mon 18:00-20:00", in the member's own time zone."""

    __tablename__ = "availability_slots"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_valid"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name="window_valid",
        ),
        UniqueConstraint("user_id", "weekday", "start_minute", "end_minute"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    start_minute: Mapped[int]
    end_minute: Mapped[int]

    user: Mapped[User] = relationship(back_populates="slots")

    @property
    def label(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {_hhmm(self.start_minute)}-{_hhmm(self.end_minute)}"


class MemberSkill(db.Model):
    """A skill a member can share, or a thing they want to learn."""

    __tablename__ = "member_skills"
    __table_args__ = (
        CheckConstraint("kind IN ('share', 'learn')", name="kind_valid"),
        UniqueConstraint("user_id", "kind", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(60), index=True)

    user: Mapped[User] = relationship(back_populates="skills")


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
