"""Announcements: a coordinator's notice to every active member of their community.

Each member gets an in-app notification (kind "announcement", governed by the "news from my
communities' coordinators" switch for email) and an email as they prefer: at once after the
commit, in the daily digest, or none. A community may have tens of thousands of members, so
the notifications are written by one `INSERT ... SELECT` over the memberships, not one ORM
object per member: the statements a notice costs do not grow with the community, and the
announcement and all its notifications are one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, insert, literal, null, select

from ..accounts.export import exporter
from ..accounts.models import User
from ..communities.models import Community, Membership
from ..communities.permissions import NotAllowed, Viewer, is_coordinator, is_member
from ..database import write_transaction
from ..extensions import db
from ..mail import send_after_commit
from ..notifications.models import Notification
from ..notifications.services import KIND_PREFERENCE, absolute
from .models import BODY_MAX, TITLE_MAX, Announcement

KIND = "announcement"
PER_PAGE = 20
LATEST_SHOWN = 3


class InvalidAnnouncement(ValueError):
    """A title or body a form should have caught (empty, too long): 422."""


# --- who may ---------------------------------------------------------------------------------


def may_read(viewer: Viewer, community: Community) -> bool:
    """Active members, the coordinators and admins. (A suspended member is not active.)"""
    return is_member(viewer, community) or is_coordinator(viewer, community)


def may_announce(viewer: Viewer, community: Community) -> bool:
    return is_coordinator(viewer, community)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnouncementPage:
    items: list[Announcement]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _of(community: Community):
    return (
        select(Announcement)
        .where(Announcement.community_id == community.id)
        .order_by(Announcement.created_at.desc(), Announcement.id.desc())
    )


def announcements_of(
    viewer: Viewer, community: Community, page: int = 1, per_page: int | None = None
) -> AnnouncementPage:
    """One page of the community's announcements, newest first. Raises NotAllowed."""
    if not may_read(viewer, community):
        raise NotAllowed("Announcements are for this community's members.")
    page, per_page = max(1, page), per_page or PER_PAGE
    total = (
        db.session.scalar(
            select(func.count())
            .select_from(Announcement)
            .where(Announcement.community_id == community.id)
        )
        or 0
    )
    items = db.session.scalars(_of(community).limit(per_page).offset((page - 1) * per_page))
    return AnnouncementPage(list(items), total, page, per_page)


def latest(viewer: Viewer, community: Community, limit: int = LATEST_SHOWN) -> list[Announcement]:
    """The newest few, for the community's page; nothing for those who may not read them."""
    if not may_read(viewer, community):
        return []
    return list(db.session.scalars(_of(community).limit(limit)))


# --- announcing ------------------------------------------------------------------------------


def _clean(title: str, body: str) -> tuple[str, str]:
    # One line for the title: it becomes an email subject, where a line break is refused.
    title = " ".join((title or "").split())
    body = (body or "").strip()
    if not title:
        raise InvalidAnnouncement("Please give the announcement a title.")
    if len(title) > TITLE_MAX:
        raise InvalidAnnouncement(f"Please keep the title under {TITLE_MAX} characters.")
    if not body:
        raise InvalidAnnouncement("Please write the announcement.")
    if len(body) > BODY_MAX:
        raise InvalidAnnouncement(f"Please keep the announcement under {BODY_MAX} characters.")
    return title, body


def announce(author: User, community: Community, title: str, body: str) -> Announcement:
    """Post a notice to every active member of `community` but its author: an in-app
    notification each, and email by each member's preference (immediate: sent when this
    commits; digest: in their next daily summary; off: none). Raises NotAllowed or
    InvalidAnnouncement."""
    if not may_announce(author, community):
        raise NotAllowed("Only this community's coordinators can post announcements.")
    title, body = _clean(title, body)
    # Read before the transaction begins (its first step ends the request's read transaction,
    # which would send these to the database again).
    community_id, name, slug = community.id, community.name, community.slug
    author_id, author_name = author.id, author.display_name
    with write_transaction():
        announcement = Announcement(
            community_id=community_id, author_id=author_id, title=title, body=body
        )
        db.session.add(announcement)
        db.session.flush()
        now = announcement.created_at
        text = f"Announcement from {name}: {title}"[:300]
        link = f"/communities/{slug}/announcements#announcement-{announcement.id}"
        recipients = and_(
            Membership.community_id == community_id,
            Membership.status == "active",
            Membership.user_id != author_id,
            User.deleted_at.is_(None),
        )
        # Members who asked for email at once, for news from their coordinators: theirs is
        # sent after the commit, so their notification is marked emailed now (the digest
        # skips it). The rest wait for the digest, or for nothing, as each chose.
        emails_now = and_(
            User.notify_email == "immediate",
            getattr(User, KIND_PREFERENCE[KIND]).is_(True),
        )
        when = Notification.created_at.type
        db.session.execute(
            insert(Notification).from_select(
                ["user_id", "kind", "text", "link", "created_at", "emailed_at"],
                select(
                    Membership.user_id,
                    literal(KIND),
                    literal(text),
                    literal(link),
                    literal(now, when),
                    case((emails_now, literal(now, when)), else_=null()),
                )
                .join(User, User.id == Membership.user_id)
                .where(recipients),
            )
        )
        addresses = db.session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(recipients, emails_now)
        )
        subject = f"Commons: {name}: {title}"
        message = (
            f"{title}\n\n{body}\n\n"
            f"From {author_name}, for the coordinators of {name}.\n"
            f"See it on Commons: {absolute(link)}\n"
        )
        for address in addresses:
            send_after_commit(address, subject, message)
    return announcement


@exporter("announcements")
def _export_announcements(user: User) -> list[dict[str, str]]:
    """The notices the member wrote as a coordinator."""
    rows = db.session.scalars(
        select(Announcement).where(Announcement.author_id == user.id).order_by(Announcement.id)
    )
    return [
        {
            "community": a.community.name,
            "title": a.title,
            "body": a.body,
            "at": a.created_at.isoformat(),
        }
        for a in rows
    ]
