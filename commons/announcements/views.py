"""A community's announcements: the list for its members, and the form for its coordinators."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user, login_required

from ..communities import services as communities
from ..communities.models import Community
from ..communities.permissions import NotAllowed
from ..errors import render_error
from ..limits import member_limit
from ..web import form_error_status, redirect_to, render_page_or_partial
from . import services
from .forms import AnnouncementForm

bp = Blueprint("announcements", __name__, url_prefix="/communities/<slug>/announcements")


@bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed):
    return render_error(403, detail=str(error))


@bp.app_context_processor
def _latest() -> dict[str, object]:
    # The community's page (communities feature) shows the newest few to its members.
    def latest_announcements(community: Community):
        return services.latest(current_user, community)

    return {"latest_announcements": latest_announcements}


def _community(slug: str) -> Community:
    community = communities.get_by_slug(slug)
    if community is None:
        abort(404)
    return community


def _page(community: Community, form: AnnouncementForm | None = None, status: int = 200):
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    return render_page_or_partial(
        "announcements/index.html",
        "announcements/_announcements.html",
        status,
        community=community,
        announcements=services.announcements_of(current_user, community, page),
        may_announce=services.may_announce(current_user, community),
        form=form or AnnouncementForm(formdata=None),
    )


@bp.get("")
@login_required
def index(slug: str):
    return _page(_community(slug))


@bp.post("")
@login_required
@member_limit("ANNOUNCEMENT_LIMIT")
def create(slug: str):
    community = _community(slug)
    if not services.may_announce(current_user, community):
        raise NotAllowed("Only this community's coordinators can post announcements.")
    form = AnnouncementForm()
    if form.validate_on_submit():
        try:
            services.announce(current_user, community, form.title.data, form.body.data)
        except services.InvalidAnnouncement as exc:
            form.body.errors = [*form.body.errors, str(exc)]
        else:
            flash(f"Your announcement is sent to the members of {community.name}.", "success")
            return redirect_to(url_for("announcements.index", slug=community.slug))
    return _page(community, form, form_error_status(form))
