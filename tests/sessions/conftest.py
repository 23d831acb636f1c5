"""Sessions helpers: an active mentorship between two members of Northside (made directly, as
the mentorship pages would), sessions in each state, rows read afresh, availability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from commons.accounts.models import User
from commons.database import now_utc
from commons.extensions import db
from commons.mentorship.models import MentorProfile, Mentorship, MentorshipSession
from commons.notifications.models import Notification
from commons.profiles.models import AvailabilitySlot
from commons.sessions import services as sessions


@dataclass
class Pair:
    """Mia mentors Otto in guitar; both are members of Northside."""

    mentorship: Mentorship
    mentor: User
    learner: User


def make_mentorship(mentor: User, learner: User, topic: str = "guitar", status: str = "active"):
    if db.session.scalar(select(MentorProfile).where(MentorProfile.user_id == mentor.id)) is None:
        db.session.add(MentorProfile(user_id=mentor.id, capacity=3, active_count=0))
    mentorship = Mentorship(
        mentor_id=mentor.id,
        learner_id=learner.id,
        topic=topic,
        status=status,
        decided_at=now_utc(),
    )
    db.session.add(mentorship)
    db.session.flush()
    if status == "active":
        profile = db.session.scalar(select(MentorProfile).where(MentorProfile.user_id == mentor.id))
        profile.active_count += 1
    db.session.commit()
    return mentorship


@pytest.fixture
def pair(world) -> Pair:
    return Pair(make_mentorship(world.member, world.other_member), world.member, world.other_member)


def soon(days: int = 3, hour: int = 18) -> datetime:
    """A whole hour some days ahead, in UTC."""
    day = (now_utc() + timedelta(days=days)).date()
    return datetime.combine(day, time(hour), tzinfo=UTC)


def proposed(pair: Pair, by: User | None = None, starts_at: datetime | None = None, **kw):
    return sessions.propose(
        by or pair.mentor,
        pair.mentorship,
        starts_at or soon(),
        kw.pop("duration", 60),
        kw.pop("place", "The library"),
        kw.pop("video_url", ""),
    )


def confirmed(pair: Pair, **kw) -> MentorshipSession:
    session = proposed(pair, **kw)
    return sessions.confirm(pair.learner, session)


def started(session: MentorshipSession, ago: timedelta = timedelta(minutes=5)) -> None:
    """Move a session's start into the past, as if its time had come."""
    session.starts_at = now_utc() - ago
    db.session.commit()


def fresh(model, id_: int):
    db.session.rollback()
    return db.session.get(model, id_, populate_existing=True)


def notes_for(user: User) -> list[Notification]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def available(user: User, weekday: int, start: str, end: str) -> None:
    """A weekly window on the member's own clock, like "mon 18:00-20:00" (end may be 24:00)."""

    def minutes(text: str) -> int:
        hours, mins = map(int, text.split(":"))
        return hours * 60 + mins

    db.session.add(
        AvailabilitySlot(
            user_id=user.id, weekday=weekday, start_minute=minutes(start), end_minute=minutes(end)
        )
    )
    db.session.commit()
    db.session.refresh(user)
