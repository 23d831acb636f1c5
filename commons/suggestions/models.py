"""Matching rounds and the proposals they make, kept so coordinators can see what was proposed,
what was taken up, and what was not."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import now_utc
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..claims.models import Claim
    from ..communities.models import Community
    from ..posts.models import Post

# draft -> sent. A draft is the coordinator's review; sending tells both sides of each pair.
ROUND_STATES = ("draft", "sent")
# draft -> removed (by the coordinator) | sent; sent -> accepted (a claim opened) | dismissed.
PROPOSAL_STATES = ("draft", "removed", "sent", "accepted", "dismissed")


class MatchingRound(db.Model):
    __tablename__ = "matching_rounds"
    __table_args__ = (CheckConstraint("state IN ('draft', 'sent')", name="state_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    run_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    # How many open needs and offers the round looked at: the context for its outcome.
    needs_considered: Mapped[int] = mapped_column(default=0)
    offers_considered: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    sent_at: Mapped[datetime | None]

    community: Mapped[Community] = relationship()
    run_by: Mapped[User] = relationship()
    proposals: Mapped[list[Proposal]] = relationship(
        back_populates="round",
        cascade="all, delete-orphan",
        order_by="(Proposal.score.desc(), Proposal.id)",
    )


class Proposal(db.Model):
    """One pair a round suggests: this offer for this need, with the score and the reasons."""

    __tablename__ = "match_proposals"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'removed', 'sent', 'accepted', 'dismissed')", name="state_valid"
        ),
        CheckConstraint("score >= 0 AND score <= 1", name="score_in_unit_range"),
        CheckConstraint("need_id <> offer_id", name="two_posts"),
        # A round gives a need at most one offer.
        UniqueConstraint("round_id", "need_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("matching_rounds.id", ondelete="CASCADE"), index=True
    )
    need_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    # One reason per line, as the engine gave them.
    reasons: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="draft")
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]

    round: Mapped[MatchingRound] = relationship(back_populates="proposals")
    need: Mapped[Post] = relationship(foreign_keys=[need_id])
    offer: Mapped[Post] = relationship(foreign_keys=[offer_id])
    claim: Mapped[Claim | None] = relationship()

    @property
    def reason_list(self) -> list[str]:
        return [line for line in self.reasons.splitlines() if line]
