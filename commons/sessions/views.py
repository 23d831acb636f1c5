"""Mentorship sessions: proposing a time, a session's page and its moves, and the calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from flask_login import current_user, login_required

from ..claims.forms import ThanksForm
from ..errors import render_error
from ..extensions import htmx
from ..limits import member_limit
from ..mentorship.models import Mentorship, MentorshipSession
from ..timezones import local, zone_of
from ..web import form_error_status, redirect_to, render_page_or_partial
from . import calendar, permissions, services
from .forms import (
    OTHER_TIME,
    PICK_FORMAT,
    ActionForm,
    CancelForm,
    NoteForm,
    SessionTimeForm,
    duration_words,
)

bp = Blueprint("sessions", __name__)

DONE = {
    "confirm": "Confirmed. It's in both your calendars now.",
    "done": "Marked as done. You can leave thanks below.",
}


@bp.errorhandler(permissions.NotAllowed)
def _not_allowed(error: permissions.NotAllowed):
    return render_error(403, detail=str(error))


@bp.errorhandler(services.SessionNotFound)
def _not_found(error: services.SessionNotFound):
    return render_error(404)


@bp.errorhandler(services.NotActive)
def _not_active(error: services.NotActive):
    return render_error(409, "This mentorship isn't active", str(error))


@bp.app_template_filter("sessions_local")
def _sessions_local(moment: datetime, user: Any = None) -> datetime:
    """A UTC instant on the viewer's clock: `{{ s.starts_at|sessions_local }}`."""
    return local(moment, user if user is not None else current_user)


@bp.app_template_global()
def sessions_panel(mentorship: Mentorship) -> services.Panel:
    """What `sessions/_for_mentorship.html` needs; the mentorship page includes it."""
    return services.panel(current_user, mentorship)


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"SESSION_STATE_WORDS": services.STATE_WORDS}


# Globals rather than context: the macros in sessions/_macros.html are imported without context.
@bp.app_template_global()
def session_zone(user: Any = None) -> str:
    """The name of the viewer's time zone ("Europe/London"), said beside every time."""
    return zone_of(user if user is not None else current_user).key


@bp.app_template_global()
def session_ends(session: MentorshipSession) -> datetime:
    return session.starts_at + timedelta(minutes=session.duration_minutes)


bp.add_app_template_global(duration_words, "duration_words")


# --- proposing ---------------------------------------------------------------------------------


def _apply_error(form: SessionTimeForm | CancelForm | NoteForm | ThanksForm, exc: Exception):
    """Put a service's InvalidInput on the field it is about (the first field otherwise)."""
    name = getattr(exc, "field", "") or ""
    if name == "day" and isinstance(form, SessionTimeForm) and form.picked() is not None:
        name = "when"
    target = form._fields.get(name) or next(
        f for f in form if f.type not in ("CSRFTokenField", "HiddenField")
    )
    target.errors = [*target.errors, str(exc)]


def _propose_page(mentorship: Mentorship, form: SessionTimeForm, status: int = 200):
    duration = form.duration.data if isinstance(form.duration.data, int) else 60
    suggestions = services.suggest_starts(mentorship, duration)
    picks = [
        (local(s, current_user).strftime(PICK_FORMAT), local(s, current_user)) for s in suggestions
    ]
    return render_page_or_partial(
        "sessions/new.html",
        "sessions/_propose_form.html",
        status,
        mentorship=mentorship,
        other=services.other_person(mentorship, current_user),
        form=form,
        windows=services.shared_windows(mentorship),
        picks=picks,
        action=url_for("sessions.propose", mentorship_id=mentorship.id),
    )


@bp.route("/mentorships/<int:mentorship_id>/sessions/new", methods=["GET", "POST"])
@login_required
@member_limit("CLAIM_LIMIT")
def propose(mentorship_id: int):
    mentorship = services.get_mentorship(current_user, mentorship_id)
    permissions.require_side(current_user, mentorship)
    if mentorship.status != "active":
        raise services.NotActive()
    if request.method == "GET":
        form = SessionTimeForm(formdata=None)
        suggestions = services.suggest_starts(mentorship, 60)
        if suggestions:
            form.when.data = local(suggestions[0], current_user).strftime(PICK_FORMAT)
        else:
            form.when.data = OTHER_TIME
        return _propose_page(mentorship, form)
    form = SessionTimeForm()
    if form.validate_on_submit():
        try:
            session = services.propose(
                current_user,
                mentorship,
                form.wall_time(),
                form.duration.data,
                form.place.data,
                form.video_url.data,
            )
        except services.InvalidInput as exc:
            _apply_error(form, exc)
        else:
            flash(
                "Proposed. They have been told and can confirm it or propose another time.",
                "success",
            )
            return redirect_to(url_for("sessions.show", session_id=session.id))
    return _propose_page(mentorship, form, form_error_status(form))


# --- one session -------------------------------------------------------------------------------


def _counter_form(session: MentorshipSession) -> SessionTimeForm:
    start = local(session.starts_at, current_user)
    return SessionTimeForm(
        formdata=None,
        prefix="counter",
        data={
            "when": OTHER_TIME,
            "day": start.date(),
            "at": start.time().replace(tzinfo=None),
            "duration": session.duration_minutes,
            "place": session.place,
            "video_url": session.video_url,
            "sequence": session.sequence,
        },
    )


def _session_page(
    session: MentorshipSession,
    status: int = 200,
    partial: str = "sessions/_session.html",
    **forms: Any,
):
    view = services.view_of(current_user, session)
    context: dict[str, Any] = {
        "v": view,
        "session": session,
        "mentorship": session.mentorship,
        "counter_form": _counter_form(session),
        "cancel_form": CancelForm(formdata=None),
        "note_form": NoteForm(formdata=None, data={"body": view.note.body if view.note else ""}),
        "thanks_form": ThanksForm(formdata=None),
    }
    context.update(forms)
    return render_page_or_partial("sessions/show.html", partial, status, **context)


def _after(session: MentorshipSession, status: int = 200, **forms: Any):
    """A move worked: back to the page (a redirect) or its partial for htmx; or the partial
    again with what went wrong."""
    if status == 200 and not htmx:
        return redirect_to(url_for("sessions.show", session_id=session.id))
    return _session_page(session, status, **forms)


@bp.get("/sessions/<int:session_id>")
@login_required
def show(session_id: int):
    return _session_page(services.get_session(current_user, session_id))


@bp.post("/sessions/<int:session_id>/<any(confirm, done):action>")
@login_required
def transition(session_id: int, action: str):
    session = services.get_session(current_user, session_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if action == "confirm":
            services.confirm(current_user, session, form.sequence.data)
        else:
            services.mark_done(current_user, session)
    except services.SessionError as exc:
        flash(str(exc), "error")
        return _after(session, 409)
    flash(DONE[action], "success")
    return _after(session)


def _submit(session: MentorshipSession, form: Any, form_key: str, move, done: str):
    """A form that moves the session: the service runs only on valid input; its refusal of
    the input comes back on the form (422, input kept), someone acting first is a 409."""
    if form.validate_on_submit():
        try:
            move()
        except services.InvalidInput as exc:
            _apply_error(form, exc)
        except services.SessionError as exc:
            flash(str(exc), "error")
            return _after(session, 409)
        else:
            flash(done, "success")
            return _after(session)
    return _session_page(session, form_error_status(form), **{form_key: form})


@bp.post("/sessions/<int:session_id>/counter")
@login_required
@member_limit("CLAIM_LIMIT")
def counter(session_id: int):
    session = services.get_session(current_user, session_id)
    form = SessionTimeForm(prefix="counter")

    def propose_another() -> None:
        services.counter(
            current_user,
            session,
            form.wall_time(),
            form.duration.data,
            form.place.data,
            form.video_url.data,
            form.sequence.data,
        )

    return _submit(
        session, form, "counter_form", propose_another, "New time proposed. They have been told."
    )


@bp.post("/sessions/<int:session_id>/cancel")
@login_required
def cancel(session_id: int):
    session = services.get_session(current_user, session_id)
    form = CancelForm()
    return _submit(
        session,
        form,
        "cancel_form",
        lambda: services.cancel(current_user, session, form.reason.data),
        "Cancelled. They have been told.",
    )


@bp.post("/sessions/<int:session_id>/note")
@login_required
def note(session_id: int):
    session = services.get_session(current_user, session_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            services.save_note(current_user, session, form.body.data)
        except services.InvalidInput as exc:
            _apply_error(form, exc)
        else:
            flash("Note saved. Only you can see it.", "success")
            if not htmx:
                return redirect_to(
                    url_for("sessions.show", session_id=session.id, _anchor="my-note")
                )
            return _session_page(session, 200, "sessions/_note.html", note_form=form)
    return _session_page(session, form_error_status(form), "sessions/_note.html", note_form=form)


@bp.post("/sessions/<int:session_id>/thanks")
@login_required
def thank(session_id: int):
    session = services.get_session(current_user, session_id)
    form = ThanksForm()
    return _submit(
        session,
        form,
        "thanks_form",
        lambda: services.thank(current_user, session, form.note.data),
        "Thank you: they have been told.",
    )


# --- the calendar ------------------------------------------------------------------------------


def _feed_urls(token: str) -> tuple[str, str]:
    site = current_app.config["SITE_URL"].rstrip("/")
    https = site + url_for("sessions.feed", token=token)
    scheme, _, rest = https.partition("://")
    return https, f"webcal://{rest}"


@bp.get("/calendar")
@login_required
def calendar_page():
    feed = services.calendar_feed(current_user)
    url, webcal = _feed_urls(feed.token)
    response = render_page_or_partial(
        "sessions/calendar.html",
        "sessions/_calendar_link.html",
        feed_url=url,
        webcal_url=webcal,
        upcoming=services.upcoming_for(current_user),
    )
    return response[0], response[1], {"Cache-Control": "private, no-store"}


@bp.post("/calendar/new-link")
@login_required
def new_calendar_link():
    services.renew_calendar_link(current_user)
    flash(
        "Made a new link. The old one has stopped working: subscribe again with this one.",
        "success",
    )
    return redirect_to(url_for("sessions.calendar_page"))


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    member = services.owner_of_token(token)
    if member is None:
        abort(404)
    body = calendar.feed_for(member, current_app.config["SITE_URL"])
    return Response(
        body,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="commons-sessions.ics"',
            "X-Robots-Tag": "noindex",
        },
    )
