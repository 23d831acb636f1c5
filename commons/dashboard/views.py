"""A community's dashboard, for its coordinators (and admins): the page, its partial for htmx
when the window changes, and the CSV of the figures."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask_login import current_user, login_required

from ..communities import services as communities
from ..communities.models import Community
from ..communities.permissions import NotAllowed, require_coordinator
from ..database import now_utc
from ..errors import render_error
from ..web import render_page_or_partial
from . import charts, export, services

bp = Blueprint("dashboard", __name__, url_prefix="/communities/<slug>")


@bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed):
    return render_error(403, detail=str(error))


@bp.errorhandler(services.UnknownWindow)
def _unknown_window(error: services.UnknownWindow):
    return render_error(400, "There is no such period", str(error))


def _community(slug: str) -> Community:
    """The community whose dashboard this is; only its coordinators (and admins) get further."""
    community = communities.get_by_slug(slug)
    if community is None:
        abort(404)
    require_coordinator(current_user, community)
    return community


@bp.get("/dashboard")
@login_required
def show(slug: str):
    community = _community(slug)
    board = services.dashboard(community, services.window_weeks(request.args.get("weeks")))
    return render_page_or_partial(
        "dashboard/show.html",
        "dashboard/_dashboard.html",
        community=community,
        board=board,
        windows=services.WINDOWS,
        bars=charts.category_bars(board.open_by_category),
        lines=charts.weekly_lines(board.window.weekly),
        plural=services.plural,
    )


@bp.get("/dashboard.csv")
@login_required
def download(slug: str):
    community = _community(slug)
    now = now_utc()
    return Response(
        export.dashboard_csv(community, now),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename(community, now)}"'
        },
    )
