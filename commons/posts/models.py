"""Offers and needs: what residents can give and what they are looking for."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import now_utc
from ..extensions import db

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..communities.models import Community, Neighbourhood

CATEGORIES: dict[str, str] = {
    "tools": "Tools & equipment",
    "food": "Food",
    "transport": "Transport",
    "childcare": "Childcare",
    "tutoring": "Tutoring",
    "languages": "Languages",
    "tech": "Tech help",
    "repairs": "Repairs",
    "gardening": "Gardening",
    "pets": "Pets",
    "care": "Care & companionship",
    "moving": "Moving & lifting",
    "household": "Clothing & household",
    "health": "Health support",
    "arts": "Arts & music",
    "other": "Other",
}
KINDS = ("offer", "need")
VISIBILITIES = ("community", "linked", "public")
STATUSES = ("open", "fulfilled", "closed", "expired")
DEFAULT_LIFETIME_DAYS = 30
# The full-text index differs by database (an FTS5 table on SQLite, a GIN index on PostgreSQL),
# so the migration makes it and the models do not describe it.
SEARCH_INDEX_PREFIXES = ("posts_fts", "ix_posts_search")


def described_by_models(name: str | None) -> bool:
    """False for the search index's own objects, which Alembic must neither drop nor compare."""
    return not (name or "").startswith(SEARCH_INDEX_PREFIXES)


def _in(column: str, values: tuple[str, ...] | list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind_valid"),
        CheckConstraint(_in("visibility", VISIBILITIES), name="visibility_valid"),
        CheckConstraint(_in("status", STATUSES), name="status_valid"),
        CheckConstraint(_in("category", list(CATEGORIES)), name="category_valid"),
        CheckConstraint("capacity BETWEEN 1 AND 100", name="capacity_valid"),
        CheckConstraint("kind = 'offer' OR capacity = 1", name="need_capacity_one"),
        # Rule 1, held by the database: never more accepted claims than places.
        CheckConstraint(
            "accepted_count >= 0 AND accepted_count <= capacity", name="accepted_within_capacity"
        ),
        CheckConstraint("is_standing OR expires_at IS NOT NULL", name="expiry_or_standing"),
        UniqueConstraint("author_id", "request_key"),
        # Browse walks these in order and stops after a page: no sort of the whole table.
        Index("ix_posts_browse", "community_id", "status", "created_at"),
        Index("ix_posts_newest", "status", "created_at", "id"),
        Index("ix_posts_expiry", "status", "expires_at"),
        Index("ix_posts_place", "status", "lat", "lon"),
        # The newest change to any post, in one index step: cached browse results check it.
        Index("ix_posts_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(16), index=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # "Posted by X for Y": a coordinator posting for a neighbour with no account.
    on_behalf_of: Mapped[str | None] = mapped_column(String(80))
    capacity: Mapped[int] = mapped_column(default=1)
    accepted_count: Mapped[int] = mapped_column(default=0)
    visibility: Mapped[str] = mapped_column(String(16), default="community")
    status: Mapped[str] = mapped_column(String(16), default="open")
    is_standing: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None]
    hidden_at: Mapped[datetime | None]
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL")
    )
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # Title, description and tags in one column: what the full-text index covers
    # (FTS5 on SQLite, a GIN tsvector index on PostgreSQL; both made by the migration).
    search_text: Mapped[str] = mapped_column(Text, default="")
    # A random key the form carries, so a double-submitted form makes one post.
    request_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)
    closed_at: Mapped[datetime | None]
    # When the author was told the post ends within three days (told once per expiry date).
    expiry_warned_at: Mapped[datetime | None]

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    community: Mapped[Community] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    tags: Mapped[list[PostTag]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="PostTag.tag"
    )
    slots: Mapped[list[PostSlot]] = relationship(
        cascade="all, delete-orphan", order_by="(PostSlot.weekday, PostSlot.start_minute)"
    )

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def when_keys(self) -> list[str]:
        """The post's times as the form's keys ("mon-evening")."""
        return [slot.key for slot in self.slots]

    @property
    def places_left(self) -> int:
        return self.capacity - self.accepted_count

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.kind} {self.title!r}>"


class PostTag(db.Model):
    __tablename__ = "post_tags"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

    post: Mapped[Post] = relationship(back_populates="tags")


class PostFollow(db.Model):
    """A member who wants to hear when a post is fulfilled."""

    __tablename__ = "post_follows"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


# The parts of a day a post's times are chosen in: plain words, big checkboxes, no clock maths.
DAY_PARTS = {
    "morning": (8 * 60, 12 * 60),
    "afternoon": (12 * 60, 17 * 60),
    "evening": (17 * 60, 21 * 60),
}
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PostSlot(db.Model):
    """A part of a week when the post's author can give or receive: "Tuesday evening"."""

    __tablename__ = "post_slots"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_valid"),
        CheckConstraint(
            "start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440",
            name="time_valid",
        ),
    )

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    weekday: Mapped[int] = mapped_column(primary_key=True)
    start_minute: Mapped[int] = mapped_column(primary_key=True)
    end_minute: Mapped[int]

    @property
    def key(self) -> str:
        part = next(
            (name for name, (start, _) in DAY_PARTS.items() if start == self.start_minute), "any"
        )
        return f"{WEEKDAY_KEYS[self.weekday]}-{part}"

    @property
    def label(self) -> str:
        return self.key.replace("-", " ").replace(
            WEEKDAY_KEYS[self.weekday], WEEKDAY_NAMES[self.weekday], 1
        )


def slot_for(key: str) -> tuple[int, int, int]:
    """("mon-evening") -> (weekday, start minute, end minute); ValueError for anything else."""
    day, _, part = key.partition("-")
    if day not in WEEKDAY_KEYS or part not in DAY_PARTS:
        raise ValueError(f"not a time of the week: {key!r}")
    return (WEEKDAY_KEYS.index(day), *DAY_PARTS[part])
