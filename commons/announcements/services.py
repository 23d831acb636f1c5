"""Announcements: a coordinator's notice to every active member of their community.

Each member gets an in-app notification (kind "announcement", governed by the "news from my
communities' coordinators" switch for email) and an email as they prefer: at once (sent by the
background job `announcements.email` after the commit), in the daily digest, or none. A
community may have tens of thousands of members, so the notifications are written by one
`INSERT ... SELECT` over the memberships, not one ORM object per member: the statements a notice
costs the request do not grow with the community, and the announcement and all its
notifications are one transaction. The emails are the job's, a batch of members at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import ColumnElement, and_, func, insert, literal, select, update

from .. import jobs
from ..accounts.export import exporter
from ..accounts.models import User
from ..communities.models import Community, Membership
from ..communities.permissions import NotAllowed, Viewer, is_coordinator, is_member
from ..database import now_utc, write_transaction
from ..extensions import db
from ..mail import send_email
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
    notification each, written here, and email by each member's preference (immediate: sent by
    the job `announcements.email` once this commits; digest: in their next daily summary; off:
    none). Raises NotAllowed or InvalidAnnouncement."""
    if not may_announce(author, community):
        raise NotAllowed("Only this community's coordinators can post announcements.")
    title, body = _clean(title, body)
    # Read before the transaction begins (its first step ends the request's read transaction,
    # which would send these to the database again).
    community_id, name, slug = community.id, community.name, community.slug
    author_id = author.id
    with write_transaction():
        announcement = Announcement(
            community_id=community_id, author_id=author_id, title=title, body=body
        )
        db.session.add(announcement)
        db.session.flush()
        now = announcement.created_at
        when = Notification.created_at.type
        db.session.execute(
            insert(Notification).from_select(
                ["user_id", "kind", "text", "link", "created_at"],
                select(
                    Membership.user_id,
                    literal(KIND),
                    literal(_notification_text(name, title)),
                    literal(_link(slug, announcement.id)),
                    literal(now, when),
                )
                .join(User, User.id == Membership.user_id)
                .where(_recipients(community_id), Membership.user_id != author_id),
            )
        )
        # Thousands of emails are no work for a request: one job sends them after the commit.
        jobs.enqueue(EMAIL_JOB, announcement_id=announcement.id)
    return announcement


def _notification_text(community_name: str, title: str) -> str:
    return f"Announcement from {community_name}: {title}"[:300]


def _link(slug: str, announcement_id: int) -> str:
    return f"/communities/{slug}/announcements#announcement-{announcement_id}"


def _recipients(community_id: int) -> ColumnElement[bool]:
    """Who hears of a notice: the community's active members (not the suspended, not the
    pending) whose account is not deleted. Joins Membership to User."""
    return and_(
        Membership.community_id == community_id,
        Membership.status == "active",
        User.deleted_at.is_(None),
    )


# --- the email job ---------------------------------------------------------------------------

EMAIL_JOB = "announcements.email"
EMAIL_BATCH = 500


@jobs.job(EMAIL_JOB)
def email_announcement(announcement_id: int) -> None:
    """Email an announcement to every active member who asked for community news by email at
    once. Safe to run again: each member's notification is marked emailed (`emailed_at`) before
    their email goes, and only unmarked ones are sent, so a retry sends only what is left.

    Members are read a batch at a time, with their notification, in one query per batch. Each
    batch is claimed in a short transaction and sent after it, so a slow mail server never holds
    the database's write lock. If the mail server fails part-way, the unsent rest of the batch
    is given back (unmarked) and the job fails, to be tried again; a worker killed between
    claiming and sending loses those emails (the notifications stay in the app)."""
    announcement = db.session.get(Announcement, announcement_id)
    if announcement is None:  # its community was deleted since
        return
    community = announcement.community
    link = _link(community.slug, announcement.id)
    subject = f"Commons: {community.name}: {announcement.title}"
    body = _email_body(announcement, link)
    after_user_id = 0
    while True:
        batch = _claim_batch(community.id, link, after_user_id)
        for position, (_, address) in enumerate(batch.to_send):
            try:
                send_email(address, subject, body)
            except OSError:
                _give_back([notification_id for notification_id, _ in batch.to_send[position:]])
                raise
        if batch.last_user_id is None:
            return
        after_user_id = batch.last_user_id


@dataclass(frozen=True)
class _Batch:
    to_send: list[tuple[int, str]]  # (notification id, email address), claimed for this run
    last_user_id: int | None  # where the next batch starts; None: this was the last


def _claim_batch(community_id: int, link: str, after_user_id: int) -> _Batch:
    """The next members (by id) to email, with their notification, in one query; their
    notifications marked emailed in the same short transaction."""
    wants_news = getattr(User, KIND_PREFERENCE[KIND])
    with write_transaction():
        rows = db.session.execute(
            select(Notification.id, User.id, User.email)
            .select_from(Membership)
            .join(User, User.id == Membership.user_id)
            .join(Notification, Notification.user_id == User.id)
            .where(
                _recipients(community_id),
                Membership.user_id > after_user_id,
                User.notify_email == "immediate",
                wants_news.is_(True),
                Notification.kind == KIND,
                Notification.link == link,
                Notification.emailed_at.is_(None),
            )
            .order_by(Membership.user_id)
            .limit(EMAIL_BATCH)
        ).all()
        if not rows:
            return _Batch([], None)
        # A run of this job at the same moment finds these marked, and skips them.
        claimed = set(
            db.session.scalars(
                update(Notification)
                .where(
                    Notification.id.in_([row[0] for row in rows]),
                    Notification.emailed_at.is_(None),
                )
                .values(emailed_at=now_utc())
                .returning(Notification.id)
                .execution_options(synchronize_session=False)
            )
        )
    to_send = [(row[0], row[2]) for row in rows if row[0] in claimed]
    return _Batch(to_send, rows[-1][1] if len(rows) == EMAIL_BATCH else None)


def _give_back(notification_ids: list[int]) -> None:
    """Unmark notifications whose email was not sent, for the job's next try."""
    with write_transaction():
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(notification_ids))
            .values(emailed_at=None)
            .execution_options(synchronize_session=False)
        )


def _email_body(announcement: Announcement, link: str) -> str:
    """Plain text (the message has no HTML part, so nothing in it is ever read as markup)."""
    template = current_app.jinja_env.get_template("announcements/email.txt")
    return template.render(
        title=announcement.title,
        body=announcement.body,
        author=announcement.author.public_name,
        community=announcement.community.name,
        url=absolute(link),
        settings_url=absolute("/settings/notifications"),
    )


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
