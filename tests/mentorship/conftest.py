"""Mentoring helpers: mentors made through the service, links that share mentors, rows read
afresh from the database, and the notifications a member got."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select

from commons.accounts.models import User
from commons.communities.models import Community, Membership
from commons.extensions import db
from commons.links import services as links
from commons.mentorship import services as mentoring
from commons.mentorship.models import MentorProfile, Mentorship
from commons.moderation.models import Block
from commons.notifications.models import Notification


def make_mentor(
    user: User,
    topics: Sequence[str] = ("guitar",),
    *,
    capacity: int = 2,
    in_person: bool = True,
    online: bool = True,
    levels: Sequence[str] = (),
    accepting: bool = True,
) -> MentorProfile:
    return mentoring.save_profile(
        user,
        mentoring.MentorInput(
            topics=list(topics),
            capacity=capacity,
            in_person=in_person,
            online=online,
            levels=list(levels),
            about=f"{user.display_name} teaches.",
            accepting=accepting,
        ),
    )


def fresh(model, id_: int):
    """The row as the database has it now (ends this test's read snapshot first)."""
    db.session.rollback()
    return db.session.get(model, id_)


def active_count(mentor: User) -> int:
    db.session.rollback()
    return mentoring.active_count_of(mentor.id)


def notes_for(user: User) -> list[Notification]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def block(blocker: User, blocked: User) -> None:
    db.session.add(Block(blocker_id=blocker.id, blocked_id=blocked.id))
    db.session.commit()


def suspend(user: User, community: Community) -> None:
    membership = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.community_id == community.id
        )
    )
    assert membership is not None
    membership.status = "suspended"
    db.session.commit()


def link(world, scopes: Sequence[str] = ("mentors",)):
    """An active link between Northside and Southside sharing `scopes`."""
    proposal = links.propose(world.coordinator, world.home, world.away, scopes=scopes)
    return links.accept(world.away_coordinator, world.away, proposal)


def ask(learner: User, mentor: User, topic: str = "guitar", message: str = "Hello!") -> Mentorship:
    profile = mentoring.get_profile(mentor)
    assert profile is not None
    return mentoring.ask(learner, profile, topic, message)


@pytest.fixture
def guitar(world) -> MentorProfile:
    """Otto mentors guitar in Northside, two places."""
    return make_mentor(world.other_member, ("guitar", "ukulele"), capacity=2)
