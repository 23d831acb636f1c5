"""Mentors, learning goals, mentorships, their sessions and each member's calendar feed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import now_utc
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User

LEVELS = ("beginner", "intermediate", "advanced")
FORMATS = ("in_person", "online")
GOAL_STATES = ("open", "closed")
# pending -> active -> completed; pending -> declined | withdrawn; active -> ended.
MENTORSHIP_STATES = ("pending", "active", "completed", "declined", "withdrawn", "ended")
LIVE_MENTORSHIP_STATES = ("pending", "active")
# proposed -> confirmed -> done; proposed | confirmed -> cancelled.
SESSION_STATES = ("proposed", "confirmed", "done", "cancelled")


class MentorProfile(db.Model):
    """A member's offer to mentor.

    `active_count` is the number of the mentor's mentorships in state `active`; it moves only by
    conditional updates in the same transaction as the state change (as `posts.accepted_count`
    does), so the CHECK below makes "never more learners than capacity" hold under concurrent
    accepts. Availability is the member's own weekly slots (`availability_slots`).
    """

    __tablename__ = "mentor_profiles"
    __table_args__ = (
        CheckConstraint("capacity BETWEEN 1 AND 20", name="capacity_range"),
        CheckConstraint("active_count >= 0 AND active_count <= capacity", name="within_capacity"),
        CheckConstraint("in_person OR online", name="some_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    about: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(default=1)
    active_count: Mapped[int] = mapped_column(default=0)
    in_person: Mapped[bool] = mapped_column(default=True)
    online: Mapped[bool] = mapped_column(default=True)
    # Space-separated level names taught; empty means any level.
    levels: Mapped[str] = mapped_column(String(40), default="")
    # A mentor can pause without losing their profile: paused mentors are not found or suggested.
    accepting: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    user: Mapped[User] = relationship()
    topics: Mapped[list[MentorTopic]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="MentorTopic.name"
    )

    @property
    def free_places(self) -> int:
        return max(0, self.capacity - self.active_count)

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(f for f, on in (("in_person", self.in_person), ("online", self.online)) if on)


class MentorTopic(db.Model):
    """One thing a mentor teaches, as they wrote it ("guitar", "CV writing")."""

    __tablename__ = "mentor_topics"
    __table_args__ = (UniqueConstraint("profile_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("mentor_profiles.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(60), index=True)

    profile: Mapped[MentorProfile] = relationship(back_populates="topics")


class LearningGoal(db.Model):
    """Something a member wants to learn. `format` NULL means either format suits them."""

    __tablename__ = "learning_goals"
    __table_args__ = (
        CheckConstraint("level IN ('beginner', 'intermediate', 'advanced')", name="level_valid"),
        CheckConstraint("format IS NULL OR format IN ('in_person', 'online')", name="format_valid"),
        CheckConstraint("status IN ('open', 'closed')", name="status_valid"),
        Index("ix_learning_goals_learner", "learner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(String(16), default="beginner")
    format: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    learner: Mapped[User] = relationship()


class Mentorship(db.Model):
    """A learner and a mentor working together on a topic, from request to completion."""

    __tablename__ = "mentorships"
    __table_args__ = (
        CheckConstraint("mentor_id <> learner_id", name="not_self"),
        CheckConstraint(
            "status IN ('pending', 'active', 'completed', 'declined', 'withdrawn', 'ended')",
            name="status_valid",
        ),
        CheckConstraint("source IN ('request', 'suggestion')", name="source_valid"),
        # One live mentorship per pair: asking twice, or while already working together, is refused
        # by the database even when two requests race.
        Index(
            "uq_mentorships_live_pair",
            "mentor_id",
            "learner_id",
            unique=True,
            sqlite_where=text("status IN ('pending', 'active')"),
            postgresql_where=text("status IN ('pending', 'active')"),
        ),
        Index("ix_mentorships_mentor", "mentor_id", "status"),
        Index("ix_mentorships_learner", "learner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    goal_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_goals.id", ondelete="SET NULL"), index=True
    )
    topic: Mapped[str] = mapped_column(String(80))
    message: Mapped[str] = mapped_column(Text, default="")
    # How the learner came to ask: by finding the mentor, or from a suggestion.
    source: Mapped[str] = mapped_column(String(12), default="request")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    decided_at: Mapped[datetime | None]  # accepted or declined
    ended_at: Mapped[datetime | None]  # completed, ended or withdrawn
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    goal: Mapped[LearningGoal | None] = relationship()
    sessions: Mapped[list[MentorshipSession]] = relationship(
        back_populates="mentorship",
        cascade="all, delete-orphan",
        order_by="MentorshipSession.starts_at",
    )

    def other_side(self, member_id: int) -> int:
        return self.learner_id if member_id == self.mentor_id else self.mentor_id


class MentorshipSession(db.Model):
    """A meeting within a mentorship. Times are stored in UTC and shown in each member's zone.

    Whoever proposed the current time is `proposed_by`; the other side confirms it or proposes
    another (which makes them the proposer). Either side may mark a confirmed session done
    once it has started.
    """

    __tablename__ = "mentorship_sessions"
    __table_args__ = (
        CheckConstraint(
            "state IN ('proposed', 'confirmed', 'done', 'cancelled')", name="state_valid"
        ),
        CheckConstraint("duration_minutes BETWEEN 15 AND 480", name="duration_range"),
        CheckConstraint(
            "state <> 'cancelled' OR cancelled_at IS NOT NULL", name="cancelled_has_time"
        ),
        Index("ix_mentorship_sessions_due", "state", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorships.id", ondelete="CASCADE"), index=True
    )
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=60)
    place: Mapped[str] = mapped_column(String(200), default="")
    video_url: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(12), default="proposed")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    confirmed_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    # Set when the 24-hour reminder went out, so the reminder job sends each one once.
    reminded_at: Mapped[datetime | None]
    # Bumped on every change: calendar apps need SEQUENCE to replace an event they hold.
    sequence: Mapped[int] = mapped_column(default=0)

    mentorship: Mapped[Mentorship] = relationship(back_populates="sessions")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])


class SessionNote(db.Model):
    """A member's private note on a session: only its writer ever sees it."""

    __tablename__ = "session_notes"
    __table_args__ = (UniqueConstraint("session_id", "author_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship_sessions.id", ondelete="CASCADE")
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)


class CalendarFeed(db.Model):
    """The secret in a member's calendar URL. Revoking replaces it, so old URLs stop working."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
