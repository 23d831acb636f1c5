"""Telling members what happened: in-app always, by email as each member prefers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update

from ..accounts.export import eraser, exporter
from ..accounts.models import User
from ..database import now_utc, write_transaction
from ..extensions import db
from ..mail import send_after_commit, send_email
from .models import Notification

logger = logging.getLogger("commons.notifications")

PAGE_SIZE = 20
# A digest lists at most this many notifications; the rest are counted, and are on the site.
DIGEST_MAX_LINES = 50

# Which preference switch governs each kind of notification.
KIND_PREFERENCE = {
    "claim": "notify_claims",
    "message": "notify_messages",
    "community": "notify_community",
    # A coordinator's notice to the whole community (`announcements`), written in bulk.
    "announcement": "notify_community",
    # Hours sent, asked for, confirmed, refused or given back (`timebank`): like claims.
    "timebank": "notify_claims",
    # Mentorship requests and sessions, and skill exchanges: people arranging help, like claims.
    "mentorship": "notify_claims",
    "exchange": "notify_claims",
}


class NotificationNotFound(LookupError):
    """No such notification for this member (someone else's answers the same); a 404."""


def wants_email_for(user: User, kind: str) -> bool:
    """The member's switch for this kind; kinds without a switch of their own follow claims."""
    return bool(getattr(user, KIND_PREFERENCE.get(kind, "notify_claims"), True))


def absolute(link: str) -> str:
    """A link that works from an email: the site's address in front of the path."""
    return current_app.config["SITE_URL"].rstrip("/") + link


def notify(user: User, kind: str, text: str, link: str = "/") -> Notification | None:
    """Record a notification for `user` inside the caller's transaction; email it as soon as
    that commits when the member asked for immediate email for this kind. Former members get
    nothing.

    `kind` is "claim", "message", "community", "announcement" or "timebank" (see
    KIND_PREFERENCE)."""
    if user.deleted_at is not None:
        return None
    notification = Notification(user_id=user.id, kind=kind, text=text[:300], link=link)
    db.session.add(notification)
    if user.notify_email == "immediate" and wants_email_for(user, kind):
        send_after_commit(
            user.email, f"Commons: {text[:80]}", f"{text}\n\nSee it on Commons: {absolute(link)}\n"
        )
        notification.emailed_at = now_utc()
    return notification


# --- reading ---------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    """One COUNT over the (user_id, read_at) index: cheap enough for every page's badge."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


@dataclass(frozen=True)
class NotificationPage:
    items: list[Notification]
    total: int
    unread: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def recent(user: User, page: int = 1, per_page: int = PAGE_SIZE) -> NotificationPage:
    """One page of the member's notifications, newest first."""
    page = max(1, page)
    total = (
        db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id == user.id)
        )
        or 0
    )
    items = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return NotificationPage(list(items), total, unread_count(user), page, per_page)


# --- marking as read -------------------------------------------------------------------------


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the member's own notifications as read (again is fine).
    Raises NotificationNotFound for a missing one or someone else's."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotificationNotFound(notification_id)
    if notification.read_at is None:
        with write_transaction():
            notification.read_at = now_utc()
    return notification


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the member as read; returns how many there were."""
    with write_transaction():
        result = db.session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=now_utc())
        )
    return result.rowcount or 0


# --- the daily digest ------------------------------------------------------------------------


def _digest_body(user: User, items: list[Notification], more: int) -> str:
    lines = [
        f"Hello {user.display_name},",
        "",
        "Here is what happened on Commons since your last summary:",
        "",
    ]
    for item in items:
        lines += [f"- {item.text}", f"  {absolute(item.link)}"]
    if more:
        lines += ["", f"...and {more} more on Commons: /notifications"]
    lines += [
        "",
        "You get this summary once a day. To change that, go to /settings/notifications",
        "",
    ]
    return "\n".join(lines)


def _send_digest_to(user_id: int, now: datetime) -> bool:
    """One member's digest in one transaction: the rows are locked, emailed, then marked, so
    two runs at once never send the same notification twice. True if an email went out."""
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None or user.deleted_at is not None or user.notify_email != "digest":
            return False
        pending = db.session.scalars(
            select(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.emailed_at.is_(None),
                Notification.created_at <= now,
            )
            .order_by(Notification.created_at, Notification.id)
            .with_for_update()
        )
        wanted = [n for n in pending if wants_email_for(user, n.kind)]
        if not wanted:
            return False
        listed = wanted[-DIGEST_MAX_LINES:]  # the newest, if there are very many
        count = len(wanted)
        subject = (
            "Commons: 1 new notification" if count == 1 else f"Commons: {count} new notifications"
        )
        send_email(user.email, subject, _digest_body(user, listed, count - len(listed)))
        for notification in wanted:
            notification.emailed_at = now
    return True


def send_digest(now: datetime | None = None) -> int:
    """Email each member who chose the daily digest one message listing their notifications
    not yet emailed (only the kinds they asked for), and mark those emailed. Members who chose
    immediate email or none are left alone. Returns how many emails were sent.

    An email that fails to send leaves that member's notifications for the next run."""
    now = now or now_utc()
    member_ids = list(
        db.session.scalars(
            select(User.id)
            .where(
                User.notify_email == "digest",
                User.deleted_at.is_(None),
                select(Notification.id)
                .where(
                    Notification.user_id == User.id,
                    Notification.emailed_at.is_(None),
                    Notification.created_at <= now,
                )
                .exists(),
            )
            .order_by(User.id)
        )
    )
    sent = 0
    for member_id in member_ids:
        try:
            sent += _send_digest_to(member_id, now)
        except OSError:  # smtplib's errors are OSErrors: one bad address must not stop the rest
            logger.exception("digest email failed", extra={"fields": {"user_id": member_id}})
    return sent


@exporter("notifications")
def _export_notifications(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return [
        {"text": n.text, "link": n.link, "at": n.created_at.isoformat(), "read": bool(n.read_at)}
        for n in rows
    ]


@eraser
def _erase_notifications(user: User) -> None:
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
