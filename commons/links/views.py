"""A community's links, for its coordinators: proposing, answering, changing, revoking, and
the picture of its network."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, url_for
from flask_login import current_user, login_required

from ..communities import services as communities
from ..communities.models import Community
from ..errors import render_error
from ..extensions import htmx
from ..geo import distance_km
from ..web import form_error_status, redirect_to, render_page_or_partial
from . import permissions, services
from .forms import ProposeForm, ScopeForm, propose_prefix, scope_prefix

bp = Blueprint("links", __name__, url_prefix="/communities/<slug>/links")

DONE = {
    "accept": "Accepted: {other} and {community} are linked.",
    "decline": "Declined. {other}'s coordinators have been told.",
    "withdraw": "Your proposal to {other} is withdrawn.",
    "revoke": "The link with {other} has ended. Their posts no longer show here.",
}
TRANSITIONS = {
    "accept": services.accept,
    "decline": services.decline,
    "withdraw": services.withdraw,
    "revoke": services.revoke,
}


@bp.errorhandler(permissions.NotAllowed)
def _not_allowed(error: permissions.NotAllowed):
    return render_error(403, detail=str(error))


@bp.errorhandler(services.LinkNotFound)
def _not_found(error: services.LinkNotFound):
    return render_error(404)


def _community(slug: str) -> Community:
    """The community whose links these are; only its coordinators (and admins) get further."""
    community = communities.get_by_slug(slug)
    if community is None:
        abort(404)
    if not permissions.may_manage_links(current_user, community):
        raise permissions.NotAllowed()
    return community


def _board(community: Community, status: int = 200, **forms: Any):
    """The links page, or its `#links` partial for htmx. `forms` carries a submitted form
    (with the member's input and its errors) in place of the blank one: `propose` is
    (community id, form), `scope` is (link id, form)."""
    board = services.board(community)
    candidates = services.nearby(community)
    propose_forms = {
        c.community.id: ProposeForm(prefix=propose_prefix(c.community.id), formdata=None)
        for c in candidates
    }
    scope_forms = {
        link.id: ScopeForm(
            prefix=scope_prefix(link.id),
            formdata=None,
            data={name: name in link.scopes for name in ("offers", "needs", "mentors")},
        )
        for link in board.active
    }
    if "propose" in forms:
        target_id, form = forms["propose"]
        propose_forms[target_id] = form
    if "scope" in forms:
        link_id, form = forms["scope"]
        scope_forms[link_id] = form
    return render_page_or_partial(
        "links/index.html",
        "links/_links.html",
        status,
        community=community,
        board=board,
        candidates=candidates,
        propose_forms=propose_forms,
        scope_forms=scope_forms,
        describe_scopes=services.describe_scopes,
        changed_at=services.when,
        distance_to=lambda other: distance_km(
            community.centre_lat, community.centre_lon, other.centre_lat, other.centre_lon
        ),
    )


def _done(community: Community):
    """After a change: the updated partial for htmx, otherwise back to the page (303)."""
    if htmx:
        return _board(community)
    return redirect_to(url_for("links.index", slug=community.slug))


@bp.get("")
@login_required
def index(slug: str):
    return _board(_community(slug))


@bp.post("/propose/<target_slug>")
@login_required
def propose(slug: str, target_slug: str):
    community = _community(slug)
    target = communities.get_by_slug(target_slug)
    if target is None:
        abort(404)
    form = ProposeForm(prefix=propose_prefix(target.id))
    if form.validate_on_submit():
        try:
            services.propose(
                current_user,
                community,
                target,
                scopes=form.scopes,
                message=form.message.data or "",
            )
        except services.LinkExists as exc:
            flash(str(exc), "error")
            return _board(community, 409)
        except services.InvalidLink as exc:
            form.message.errors = [*form.message.errors, str(exc)]
        else:
            flash(f"Your proposal is sent. {target.name}'s coordinators have been told.", "success")
            return _done(community)
    problems = " ".join(error for errors in form.errors.values() for error in errors)
    flash(f"The proposal to {target.name} was not sent. {problems}", "error")
    return _board(community, form_error_status(form), propose=(target.id, form))


@bp.post("/<int:link_id>/<any(accept, decline, withdraw, revoke):action>")
@login_required
def transition(slug: str, link_id: int, action: str):
    community = _community(slug)
    link = services.get_link(community, link_id)
    other = link.other_side(community.id)
    try:
        TRANSITIONS[action](current_user, community, link)
    except services.StateChanged as exc:
        flash(str(exc), "error")
        return _board(community, 409)
    flash(DONE[action].format(other=other.name, community=community.name), "success")
    return _done(community)


@bp.post("/<int:link_id>/scope")
@login_required
def scope(slug: str, link_id: int):
    community = _community(slug)
    link = services.get_link(community, link_id)
    other = link.other_side(community.id)
    form = ScopeForm(prefix=scope_prefix(link.id))
    if form.validate_on_submit():
        try:
            services.change_scope(current_user, community, link, form.scopes)
        except services.StateChanged as exc:
            flash(str(exc), "error")
            return _board(community, 409)
        flash(
            f"Saved: {services.describe_scopes(form.scopes)} now flow between "
            f"{community.name} and {other.name}.",
            "success",
        )
        return _done(community)
    return _board(community, form_error_status(form), scope=(link.id, form))


@bp.get("/network")
@login_required
def network(slug: str):
    community = _community(slug)
    return render_page_or_partial(
        "links/network.html",
        "links/_network.html",
        community=community,
        picture=services.network(community),
        describe_scopes=services.describe_scopes,
    )
