"""Profile rules: what a member may set about themselves, and who may see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..communities.models import Membership, Neighbourhood
from ..communities.permissions import Viewer, shares_a_community
from ..database import write_transaction
from ..extensions import db
from .models import AvailabilitySlot, MemberSkill


class ProfileError(Exception):
    """A profile rule refused the change; the message is for the member."""


@dataclass(frozen=True)
class ProfileChanges:
    bio: str
    languages: list[str]
    skills_share: list[str]
    skills_learn: list[str]
    neighbourhood_id: int | None
    timezone: str


def neighbourhood_choices(user: User) -> list[Neighbourhood]:
    """The neighbourhoods a member may live in: those of communities they are active in."""
    return list(
        db.session.scalars(
            select(Neighbourhood)
            .join(Membership, Membership.community_id == Neighbourhood.community_id)
            .where(Membership.user_id == user.id, Membership.status == "active")
            .order_by(Neighbourhood.name)
        )
    )


def update_profile(user: User, changes: ProfileChanges) -> None:
    allowed = {n.id for n in neighbourhood_choices(user)}
    if changes.neighbourhood_id is not None and changes.neighbourhood_id not in allowed:
        raise ProfileError("Please choose a neighbourhood of one of your communities.")
    with write_transaction():
        user.bio = changes.bio
        user.languages = ", ".join(changes.languages)
        user.neighbourhood_id = changes.neighbourhood_id
        user.timezone = changes.timezone
        wanted = {("share", n) for n in changes.skills_share} | {
            ("learn", n) for n in changes.skills_learn
        }
        for skill in list(user.skills):
            if (skill.kind, skill.name) not in wanted:
                user.skills.remove(skill)
        have = {(s.kind, s.name) for s in user.skills}
        for kind, name in sorted(wanted - have):
            user.skills.append(MemberSkill(kind=kind, name=name))


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def add_slot(user: User, weekday: int, start: time, end: time) -> AvailabilitySlot:
    """Add a weekly window; refuses one that overlaps a window already on that day."""
    start_minute, end_minute = _minutes(start), _minutes(end)
    if end_minute <= start_minute:
        raise ProfileError("The end time must be after the start time.")
    for slot in user.slots:
        if (
            slot.weekday == weekday
            and slot.start_minute < end_minute
            and start_minute < slot.end_minute
        ):
            raise ProfileError(f"That overlaps a time you already gave: {slot.label}.")
    try:
        with write_transaction():
            slot = AvailabilitySlot(
                user=user, weekday=weekday, start_minute=start_minute, end_minute=end_minute
            )
            db.session.add(slot)
    except IntegrityError as exc:
        raise ProfileError("You already gave that time.") from exc
    return slot


def remove_slot(user: User, slot_id: int) -> None:
    """Remove one of the member's own windows; someone else's is reported as not found."""
    slot = db.session.get(AvailabilitySlot, slot_id)
    if slot is None or slot.user_id != user.id:
        raise LookupError("slot not found")
    with write_transaction():
        db.session.delete(slot)


def update_notifications(
    user: User, *, email: str, claims: bool, messages: bool, community: bool
) -> None:
    with write_transaction():
        user.notify_email = email
        user.notify_claims = claims
        user.notify_messages = messages
        user.notify_community = community


def can_view_profile(viewer: Viewer, member: User) -> bool:
    """Neighbours who share a community see a profile; visitors and strangers see nothing."""
    return member.deleted_at is None and shares_a_community(viewer, member)
