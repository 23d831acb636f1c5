"""Members' accounts: identity, credentials and the profile fields that live on the member."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import now_utc
from ..extensions import db

if TYPE_CHECKING:
    from ..communities.models import Membership, Neighbourhood
    from ..profiles.models import AvailabilitySlot, MemberSkill

NOTIFY_CHOICES = ("immediate", "digest", "off")
FORMER_MEMBER = "Former member"


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "notify_email IN ('immediate', 'digest', 'off')", name="notify_email_valid"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of the login cookie: rotating it on logout or a password change signs out every
    # copy of the old cookie, which Flask's signed cookie sessions cannot do by themselves.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    deleted_at: Mapped[datetime | None]

    bio: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL")
    )
    notify_email: Mapped[str] = mapped_column(String(16), default="immediate")
    notify_claims: Mapped[bool] = mapped_column(default=True)
    notify_messages: Mapped[bool] = mapped_column(default=True)
    notify_community: Mapped[bool] = mapped_column(default=True)

    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    slots: Mapped[list[AvailabilitySlot]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        order_by="(AvailabilitySlot.weekday, AvailabilitySlot.start_minute)",
    )
    skills: Mapped[list[MemberSkill]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="MemberSkill.name"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    @property
    def public_name(self) -> str:
        return FORMER_MEMBER if self.deleted_at else self.display_name

    def skill_names(self, kind: str) -> list[str]:
        return [skill.name for skill in self.skills if skill.kind == kind]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.display_name!r}>"
