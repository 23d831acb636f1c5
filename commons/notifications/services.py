"""Telling members what happened: in-app always, by email as each member prefers."""

from __future__ import annotations

from ..accounts.models import User
from ..database import now_utc
from ..extensions import db
from ..mail import send_email
from .models import Notification

# Which preference switch governs each kind of notification.
KIND_PREFERENCE = {
    "claim": "notify_claims",
    "message": "notify_messages",
    "community": "notify_community",
}


def notify(user: User, kind: str, text: str, link: str = "/") -> Notification | None:
    """Record a notification for `user` inside the caller's transaction; email it at once when
    the member asked for immediate email for this kind. Former members get nothing.

    `kind` is "claim", "message" or "community" (see KIND_PREFERENCE)."""
    if user.deleted_at is not None:
        return None
    notification = Notification(user_id=user.id, kind=kind, text=text[:300], link=link)
    db.session.add(notification)
    wants_kind = getattr(user, KIND_PREFERENCE.get(kind, "notify_claims"), True)
    if user.notify_email == "immediate" and wants_kind:
        send_email(user.email, f"Commons: {text[:80]}", f"{text}\n\nSee it on Commons: {link}\n")
        notification.emailed_at = now_utc()
    return notification
