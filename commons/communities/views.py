"""The community directory, a community's page, joining and leaving, and coordinators' pages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user, login_required

from ..errors import render_error
from ..web import form_error_status, query_arg, redirect_to, render_page_or_partial
from . import permissions, services
from .forms import CommunityForm, LeaveForm, NeighbourhoodForm, parse_neighbourhoods

bp = Blueprint("communities", __name__, url_prefix="/communities")


def _community_or_404(slug: str):
    community = services.get_by_slug(slug)
    if community is None:
        abort(404)
    return community


@bp.errorhandler(permissions.NotAllowed)
def _not_allowed(error: permissions.NotAllowed):
    return render_error(403, detail=str(error))


@bp.get("")
def directory():
    query = query_arg("q", 100)
    sort = request.args.get("sort", "name")
    near = None
    if sort == "nearest" and current_user.is_authenticated:
        near = current_user.neighbourhood
    entries = services.directory(query, near=near)
    return render_page_or_partial(
        "communities/directory.html",
        "communities/_results.html",
        entries=entries,
        query=query,
        sort=sort if near else "name",
        can_sort_nearest=current_user.is_authenticated and current_user.neighbourhood is not None,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    form = CommunityForm()
    if form.validate_on_submit():
        try:
            community = services.create_community(
                current_user,
                name=form.name.data,
                description=form.description.data or "",
                join_policy=form.join_policy.data,
                centre_lat=form.centre_lat.data,
                centre_lon=form.centre_lon.data,
                radius_km=form.radius_km.data,
                neighbourhoods=parse_neighbourhoods(form.neighbourhoods.data),
            )
        except services.NameTaken as exc:
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            flash(f"{community.name} is ready. You are its coordinator.", "success")
            return redirect_to(url_for("communities.show", slug=community.slug))
    status = form_error_status(form) if request.method == "POST" else 200
    return render_page_or_partial(
        "communities/new.html", "communities/_community_form.html", status, form=form
    )


def _show(community, status: int = 200, leave_form: LeaveForm | None = None):
    membership = permissions.membership_of(current_user, community)
    leave_form = leave_form or LeaveForm(formdata=None)
    if membership is not None:
        leave_form.successor.choices = [
            (str(person.id), person.display_name)
            for person in services.successor_choices(current_user, community)
        ]
    return render_page_or_partial(
        "communities/show.html",
        "communities/_membership.html",
        status,
        community=community,
        membership=membership,
        member_count=services.member_count(community),
        coordinators=services.coordinators(community),
        is_coordinator=permissions.is_coordinator(current_user, community),
        leave_form=leave_form,
        neighbourhood_form=NeighbourhoodForm(formdata=None),
    )


@bp.get("/<slug>")
def show(slug: str):
    return _show(_community_or_404(slug))


@bp.post("/<slug>/join")
@login_required
def join(slug: str):
    community = _community_or_404(slug)
    try:
        membership = services.join(current_user, community)
    except services.AlreadyMember as exc:
        flash(str(exc), "info")
        return _show(community, 409)
    if membership.status == "active":
        flash(f"Welcome to {community.name}!", "success")
    else:
        flash("Your request is sent. A coordinator will answer soon.", "info")
    return _show(community)


@bp.post("/<slug>/leave")
@login_required
def leave(slug: str):
    community = _community_or_404(slug)
    form = LeaveForm()
    form.successor.choices = []
    if not form.validate_on_submit():
        abort(400)
    successor = form.successor.data or ""  # absent unless the last coordinator names one
    try:
        services.leave(current_user, community, int(successor) if successor.isdigit() else None)
    except services.LastCoordinator as exc:
        flash(str(exc), "error")
        return _show(community, 409)
    except (services.NotAMember, services.Suspended) as exc:
        flash(str(exc), "info")
        return _show(community, 409)
    flash(f"You have left {community.name}.", "info")
    return _show(community)


@bp.post("/<slug>/neighbourhoods")
@login_required
def add_neighbourhood(slug: str):
    community = _community_or_404(slug)
    permissions.require_coordinator(current_user, community)
    form = NeighbourhoodForm()
    if form.validate_on_submit():
        try:
            services.add_neighbourhood(
                current_user,
                community,
                services.NeighbourhoodInput(form.name.data, form.lat.data, form.lon.data),
            )
        except services.CommunityError as exc:
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            flash(f"{form.name.data} is added.", "success")
            return redirect_to(url_for("communities.show", slug=slug))
    flash(
        "The neighbourhood could not be added: "
        + "; ".join(error for errors in form.errors.values() for error in errors),
        "error",
    )
    return _show(community, form_error_status(form))


def _members_page(community, status: int = 200):
    query = query_arg("q", 80)
    page = request.args.get("page", 1, type=int) or 1
    return render_page_or_partial(
        "communities/members.html",
        "communities/_members.html",
        status,
        community=community,
        members=services.members_for_coordinators(community, query=query, page=page),
        query=query,
    )


@bp.get("/<slug>/members")
@login_required
def members(slug: str):
    community = _community_or_404(slug)
    permissions.require_coordinator(current_user, community)
    return _members_page(community)


MEMBER_ACTIONS = {
    "approve": lambda actor, c, uid: services.decide_request(actor, c, uid, approve=True),
    "decline": lambda actor, c, uid: services.decide_request(actor, c, uid, approve=False),
    "promote": services.promote,
    "remove": services.remove_member,
}


@bp.post("/<slug>/members/<int:user_id>/<any(approve, decline, promote, remove):action>")
@login_required
def member_action(slug: str, user_id: int, action: str):
    community = _community_or_404(slug)
    permissions.require_coordinator(current_user, community)
    try:
        MEMBER_ACTIONS[action](current_user, community, user_id)
    except services.NotAMember:
        abort(404)
    except services.CommunityError as exc:
        flash(str(exc), "error")
        return _members_page(community, 409)
    return _members_page(community)
