"""Links between communities: what flows across from one to the other, and its history."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import now_utc
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..communities.models import Community

# proposed -> active | declined | withdrawn (by the proposer); active -> revoked (either side).
LINK_STATES = ("proposed", "active", "declined", "withdrawn", "revoked")
LIVE_STATES = ("proposed", "active")
_LIVE_SQL = "state IN ('proposed', 'active')"
# What can flow across a link, and which post kind each covers.
SCOPES = ("offers", "needs", "mentors")
KIND_SCOPE = {"offer": "offers", "need": "needs"}


class CommunityLink(db.Model):
    """A link between two communities, stored as an ordered pair (`community_low_id` <
    `community_high_id`) so the database can hold "one live link per pair, whichever side
    proposed" with a plain unique index; `proposer_id` says which side asked."""

    __tablename__ = "community_links"
    __table_args__ = (
        CheckConstraint(
            "state IN ('proposed', 'active', 'declined', 'withdrawn', 'revoked')",
            name="state_valid",
        ),
        # Ordered, hence never a community linked to itself.
        CheckConstraint("community_low_id < community_high_id", name="distinct_ordered_pair"),
        CheckConstraint(
            "proposer_id = community_low_id OR proposer_id = community_high_id",
            name="proposer_is_a_side",
        ),
        CheckConstraint("shares_offers OR shares_needs OR shares_mentors", name="something_flows"),
        # At most one proposed or active link between two communities, even when both sides
        # propose at the same instant.
        Index(
            "uq_community_links_one_live_per_pair",
            "community_low_id",
            "community_high_id",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
        Index("ix_community_links_low_state", "community_low_id", "state"),
        Index("ix_community_links_high_state", "community_high_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_low_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    community_high_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    proposer_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="proposed")
    message: Mapped[str] = mapped_column(Text, default="")
    shares_offers: Mapped[bool] = mapped_column(default=False)
    shares_needs: Mapped[bool] = mapped_column(default=False)
    shares_mentors: Mapped[bool] = mapped_column(default=False)
    # Who did what; accounts are never deleted outright, but if one were the history stays.
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime] = mapped_column(default=now_utc)
    # Accepted, declined or withdrawn.
    decided_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    community_low: Mapped[Community] = relationship(foreign_keys=[community_low_id])
    community_high: Mapped[Community] = relationship(foreign_keys=[community_high_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def target_id(self) -> int:
        """The community that was asked."""
        return (
            self.community_high_id
            if self.proposer_id == self.community_low_id
            else self.community_low_id
        )

    @property
    def proposer(self) -> Community:
        return self.other_side(self.target_id)

    @property
    def target(self) -> Community:
        return self.other_side(self.proposer_id)

    def other_side(self, community_id: int) -> Community:
        return self.community_high if community_id == self.community_low_id else self.community_low

    def has_side(self, community_id: int) -> bool:
        return community_id in (self.community_low_id, self.community_high_id)

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(name for name in SCOPES if getattr(self, f"shares_{name}"))

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    def __repr__(self) -> str:
        return f"<CommunityLink {self.community_low_id}-{self.community_high_id} {self.state}>"
