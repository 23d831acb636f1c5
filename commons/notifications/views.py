"""The notifications list, marking as read, and the unread badge in the navigation."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import htmx
from ..web import render_page_or_partial, safe_next_url
from . import services

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

# Sent with every change so the badge in the navigation refreshes at once.
CHANGED_EVENT = "notifications-changed"


def _unread_for_badge() -> int | None:
    """The member's unread count, queried at most once per request and only when a template
    shows the badge. None when it can't be had (an error page while the database is down)."""
    if not current_user.is_authenticated:
        return None
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = services.unread_count(current_user)
        except SQLAlchemyError:
            g.unread_notifications = None
    return g.unread_notifications


@bp.app_context_processor
def _badge_context() -> dict[str, object]:
    return {"unread_notifications": _unread_for_badge}


def _page_number() -> int:
    return max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))


def _list():
    return render_page_or_partial(
        "notifications/index.html",
        "notifications/_list.html",
        notifications=services.recent(current_user, _page_number()),
    )


def _after_change():
    """The list again for htmx (and the badge told to refresh); otherwise back to the list, or
    on to what the notification is about when it was opened from the list."""
    if htmx:
        response = make_response(_list())
        response.headers["HX-Trigger"] = CHANGED_EVENT
        return response
    if request.form.get("next"):
        return redirect(safe_next_url(request.form["next"], "notifications.index"), code=303)
    page = _page_number()
    return redirect(url_for("notifications.index", page=page if page > 1 else None), code=303)


@bp.get("")
@login_required
def index():
    return _list()


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    try:
        services.mark_read(current_user, notification_id)
    except services.NotificationNotFound:
        abort(404)
    return _after_change()


@bp.post("/read-all")
@login_required
def read_all():
    services.mark_all_read(current_user)
    return _after_change()


@bp.get("/badge")
def badge():
    if not current_user.is_authenticated:
        if htmx:
            # 286 tells htmx to stop polling; the empty answer removes the badge.
            return "", 286
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    return render_template("notifications/_badge.html")
