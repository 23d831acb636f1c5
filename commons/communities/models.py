"""Communities, their named neighbourhoods, and who belongs to them in which role."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import now_utc
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User

JOIN_POLICIES = ("open", "approval")
ROLES = ("member", "coordinator")
# A suspended member (a coordinators' decision, `moderation.queue`) is not active: every check
# that asks for an active membership (seeing community posts, posting, profiles, counts)
# leaves them out, and `permissions.require_not_suspended` refuses them posting, claims and
# messages there.
MEMBERSHIP_STATES = ("pending", "active", "suspended")


class Community(db.Model):
    __tablename__ = "communities"
    __table_args__ = (
        CheckConstraint("join_policy IN ('open', 'approval')", name="join_policy_valid"),
        CheckConstraint("radius_km > 0 AND radius_km <= 200", name="radius_valid"),
        CheckConstraint("centre_lat BETWEEN -90 AND 90", name="lat_valid"),
        CheckConstraint("centre_lon BETWEEN -180 AND 180", name="lon_valid"),
        CheckConstraint("hour_floor_minutes <= 0", name="hour_floor_not_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    join_policy: Mapped[str] = mapped_column(String(16), default="open")
    centre_lat: Mapped[float] = mapped_column(Float)
    centre_lon: Mapped[float] = mapped_column(Float)
    radius_km: Mapped[float] = mapped_column(Float, default=2.0)
    # How far below zero its members' hour accounts may go, in minutes (the time bank's
    # overdraft floor; `timebank.services.floor_of` says how a member's floor is chosen).
    hour_floor_minutes: Mapped[int] = mapped_column(default=-600, server_default="-600")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        back_populates="community", cascade="all, delete-orphan", order_by="Neighbourhood.name"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="community", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Community {self.slug}>"


class Neighbourhood(db.Model):
    """A named area of a community, stored as one point: the most precise location we show."""

    __tablename__ = "neighbourhoods"
    __table_args__ = (
        UniqueConstraint("community_id", "name"),
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_valid"),
        CheckConstraint("lon BETWEEN -180 AND 180", name="lon_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)

    community: Mapped[Community] = relationship(back_populates="neighbourhoods")

    @property
    def label(self) -> str:
        return f"{self.name} ({self.community.name})"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("community_id", "user_id"),
        CheckConstraint("role IN ('member', 'coordinator')", name="role_valid"),
        CheckConstraint("status IN ('pending', 'active', 'suspended')", name="status_valid"),
        CheckConstraint("role = 'member' OR status = 'active'", name="coordinator_is_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    joined_at: Mapped[datetime | None]

    community: Mapped[Community] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")

    @property
    def is_coordinator(self) -> bool:
        return self.role == "coordinator" and self.status == "active"
