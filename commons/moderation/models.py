"""Reports to a community's coordinators, what the coordinators did about them (the audit log),
and members blocking each other."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import now_utc
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User

# What a coordinator can do in the moderation queue (`moderation.queue`), as the audit log names
# it. All but lifting a suspension answer a report; dismissing resolves it as "dismissed", the
# others as "actioned".
ACTIONS = ("dismiss", "hide_post", "hide_message", "warn", "suspend", "lift_suspension")
REPORT_OUTCOMES = ("dismiss", "hide_post", "hide_message", "warn", "suspend")
TARGETS = ("post", "message", "member")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("target IN ('post', 'message', 'member')", name="target_valid"),
        CheckConstraint("status IN ('open', 'dismissed', 'actioned')", name="status_valid"),
        # An open report has no outcome; a handled one says what was done, by whom and when.
        CheckConstraint(
            "(status = 'open' AND outcome IS NULL AND resolved_at IS NULL)"
            " OR (status = 'dismissed' AND outcome = 'dismiss' AND resolved_at IS NOT NULL)"
            " OR (status = 'actioned' AND outcome IN ('hide_post', 'hide_message', 'warn',"
            " 'suspend') AND resolved_at IS NOT NULL)",
            name="outcome_matches_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    target: Mapped[str] = mapped_column(String(16))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    # Set together when a coordinator handles the report (one of REPORT_OUTCOMES).
    outcome: Mapped[str | None] = mapped_column(String(16))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


class ModerationAction(db.Model):
    """One line of a community's audit log: who did what to which post, message or member, in
    answer to which report. Append-only: the app never changes or deletes a line, and the
    migration adds a trigger that makes the database refuse any UPDATE of one."""

    __tablename__ = "moderation_actions"
    __table_args__ = (
        CheckConstraint(_in("action", ACTIONS), name="action_valid"),
        CheckConstraint(_in("target_type", TARGETS), name="target_type_valid"),
        # Lifting a suspension answers no report; every other action answers one.
        CheckConstraint(
            "(action = 'lift_suspension') = (report_id IS NULL)", name="report_unless_lifting"
        ),
        # The log page: a community's actions, newest first.
        Index("ix_moderation_actions_log", "community_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int]
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    actor: Mapped[User] = relationship()


class Block(db.Model):
    """No claims, messages or suggestions between these two, in either direction."""

    __tablename__ = "blocks"
    __table_args__ = (CheckConstraint("blocker_id <> blocked_id", name="not_self"),)

    blocker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
