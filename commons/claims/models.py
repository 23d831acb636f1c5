"""Claims on posts, the private thread of each, and thanks after a completed exchange."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import now_utc
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..posts.models import Post

CLAIM_STATES = (
    "pending",
    "waitlisted",
    "accepted",
    "declined",
    "withdrawn",
    "cancelled",
    "completed",
)
ACTIVE_STATES = ("pending", "waitlisted", "accepted")
_ACTIVE_SQL = "status IN ('pending', 'waitlisted', 'accepted')"


class Claim(db.Model):
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'waitlisted', 'accepted', 'declined', 'withdrawn', "
            "'cancelled', 'completed')",
            name="status_valid",
        ),
        # Nobody holds two live claims on one post, even when a form is sent twice at once; a
        # coordinator may hold one for each neighbour they answer for.
        Index(
            "uq_claims_one_active_per_claimant",
            "post_id",
            "claimant_id",
            "beneficiary_key",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        Index("ix_claims_post_status", "post_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    claimant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    on_behalf_of: Mapped[str | None] = mapped_column(String(80))
    # `on_behalf_of` folded to lower case, '' for oneself: the one-live-claim rule's key, so
    # "Mrs Patel" and "mrs patel" are one neighbour, and NULLs cannot slip past the index.
    beneficiary_key: Mapped[str] = mapped_column(String(80), default="", server_default="")
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)
    answered_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    post: Mapped[Post] = relationship()
    claimant: Mapped[User] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="Message.id"
    )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATES


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_claim", "claim_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    hidden_at: Mapped[datetime | None]

    claim: Mapped[Claim] = relationship(back_populates="messages")
    author: Mapped[User] = relationship()


THANKS_MAX = 500  # characters in a note of thanks, for claims, sessions and exchanges alike


class Thanks(db.Model):
    """A short note of thanks for one completed claim, mentorship session or skill exchange.

    Exactly one of `claim_id`, `session_id` and `exchange_id` says what it is for, and each
    person thanks once per thing, so profiles can count thanks from every kind of help.
    """

    __tablename__ = "thanks"
    __table_args__ = (
        UniqueConstraint("claim_id", "from_id"),
        UniqueConstraint("session_id", "from_id"),
        UniqueConstraint("exchange_id", "from_id"),
        CheckConstraint("from_id <> to_id", name="not_to_self"),
        CheckConstraint(
            "(CASE WHEN claim_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN session_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN exchange_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="for_one_thing",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorship_sessions.id", ondelete="CASCADE")
    )
    exchange_id: Mapped[int | None] = mapped_column(
        ForeignKey("skill_exchanges.id", ondelete="CASCADE")
    )
    from_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str] = mapped_column(String(THANKS_MAX))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    claim: Mapped[Claim | None] = relationship()
    giver: Mapped[User] = relationship(foreign_keys=[from_id])
    receiver: Mapped[User] = relationship(foreign_keys=[to_id])
