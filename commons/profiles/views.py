"""A member's own profile settings, and profiles as neighbours see them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user, login_required

from ..accounts.models import User
from ..claims import services as claims
from ..extensions import db
from ..web import form_error_status, redirect_to, render_page_or_partial
from . import services
from .forms import NotificationsForm, ProfileForm, SlotForm, split_list

bp = Blueprint("profiles", __name__)


def _profile_form() -> ProfileForm:
    user = current_user
    saved = {
        "bio": user.bio,
        "languages": user.languages,
        "timezone": user.timezone,
        "skills_share": ", ".join(user.skill_names("share")),
        "skills_learn": ", ".join(user.skill_names("learn")),
        "neighbourhood": str(user.neighbourhood_id or ""),
    }
    form = ProfileForm(data=saved if request.method == "GET" else None)
    form.neighbourhood.choices = [("", "Not set")] + [
        (str(n.id), n.label) for n in services.neighbourhood_choices(user)
    ]
    return form


def _profile_page(form: ProfileForm, status: int = 200):
    return render_page_or_partial(
        "profiles/settings.html",
        "profiles/_profile_form.html",
        status,
        form=form,
        slot_form=SlotForm(),
    )


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def settings():
    form = _profile_form()
    if form.validate_on_submit():
        changes = services.ProfileChanges(
            bio=form.bio.data or "",
            languages=split_list(form.languages.data, max_items=10, max_length=30),
            skills_share=split_list(form.skills_share.data),
            skills_learn=split_list(form.skills_learn.data),
            neighbourhood_id=int(form.neighbourhood.data) if form.neighbourhood.data else None,
            timezone=form.timezone.data,
        )
        try:
            services.update_profile(current_user, changes)
        except services.ProfileError as exc:
            form.neighbourhood.errors = [*form.neighbourhood.errors, str(exc)]
        else:
            flash("Your profile is saved.", "success")
            return redirect_to(url_for("profiles.settings"))
    status = form_error_status(form) if request.method == "POST" else 200
    return _profile_page(form, status)


def _slots_partial(slot_form: SlotForm, status: int = 200):
    return render_page_or_partial(
        "profiles/slots_page.html", "profiles/_slots.html", status, slot_form=slot_form
    )


@bp.post("/settings/profile/slots")
@login_required
def add_slot():
    form = SlotForm()
    if form.validate_on_submit():
        try:
            services.add_slot(current_user, int(form.weekday.data), form.start.data, form.end.data)
        except services.ProfileError as exc:
            form.end.errors = [*form.end.errors, str(exc)]
        else:
            return _slots_partial(SlotForm(formdata=None))
    return _slots_partial(form, form_error_status(form))


@bp.post("/settings/profile/slots/<int:slot_id>/delete")
@login_required
def remove_slot(slot_id: int):
    try:
        services.remove_slot(current_user, slot_id)
    except LookupError:
        abort(404)
    return _slots_partial(SlotForm(formdata=None))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    form = NotificationsForm(obj=current_user if request.method == "GET" else None)
    if form.validate_on_submit():
        services.update_notifications(
            current_user,
            email=form.notify_email.data,
            claims=form.notify_claims.data,
            messages=form.notify_messages.data,
            community=form.notify_community.data,
        )
        flash("Your notification choices are saved.", "success")
        return redirect_to(url_for("profiles.notifications"))
    status = form_error_status(form) if request.method == "POST" else 200
    return render_page_or_partial(
        "profiles/notifications.html", "profiles/_notifications_form.html", status, form=form
    )


@bp.get("/members/<int:member_id>")
@login_required
def show(member_id: int):
    member = db.session.get(User, member_id)
    # A stranger's profile answers as if it did not exist: no one learns who lives where.
    if member is None or not services.can_view_profile(current_user, member):
        abort(404)
    return render_page_or_partial(
        "profiles/show.html", "profiles/_profile.html", **profile_context(member)
    )


def profile_context(member: User) -> dict:
    """What `profiles/show.html` needs, for every view that shows a profile page."""
    trust = claims.trust_of(member)
    return {
        "member": member,
        "trust": trust,
        "usual_response": claims.describe_wait(trust.usual_response),
    }
