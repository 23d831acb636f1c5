"""Suggested matches (on a post's page and the dashboard, loaded lazily), a coordinator's
matching rounds, and the proposals a round sends."""

from __future__ import annotations

from flask import Blueprint, abort, flash, url_for
from flask_login import current_user, login_required

from ..claims.services import ClaimError
from ..communities import services as communities
from ..communities.models import Community
from ..communities.permissions import NotAllowed, require_coordinator
from ..errors import render_error
from ..extensions import db
from ..posts.models import Post
from ..posts.visibility import can_see
from ..web import redirect_to, render_page_or_partial
from . import services
from .models import MatchingRound, Proposal

bp = Blueprint("suggestions", __name__)


@bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed):
    return render_error(403, detail=str(error))


@bp.errorhandler(services.RoundError)
def _refused(error: services.RoundError):
    return render_error(409, title="Already done", detail=str(error))


@bp.errorhandler(ClaimError)
def _claim_refused(error: ClaimError):
    return render_error(409, title="That can't be done now", detail=str(error))


# --- suggestions -------------------------------------------------------------------------------


@bp.get("/posts/<int:post_id>/suggestions")
@login_required
def for_post(post_id: int):
    post = db.session.get(Post, post_id)
    if post is None or not can_see(current_user, post):
        abort(404)
    return render_page_or_partial(
        "suggestions/for_post.html",
        "suggestions/_for_post.html",
        flashes=False,
        post=post,
        suggestions=services.suggestions_for(current_user, post),
    )


@bp.get("/suggestions")
@login_required
def mine():
    return render_page_or_partial(
        "suggestions/mine.html",
        "suggestions/_mine.html",
        flashes=False,
        suggested=services.my_suggestions(current_user),
    )


# --- matching rounds ---------------------------------------------------------------------------


def _community(slug: str) -> Community:
    community = communities.get_by_slug(slug)
    if community is None:
        abort(404)
    require_coordinator(current_user, community)
    return community


def _round(community: Community, round_id: int) -> MatchingRound:
    matching_round = db.session.get(MatchingRound, round_id)
    if matching_round is None or matching_round.community_id != community.id:
        abort(404)
    return matching_round


@bp.get("/communities/<slug>/matching")
@login_required
def rounds(slug: str):
    community = _community(slug)
    return render_page_or_partial(
        "suggestions/rounds.html",
        "suggestions/_rounds.html",
        community=community,
        rounds=services.rounds_of(community),
        outcome=services.outcome,
    )


@bp.post("/communities/<slug>/matching")
@login_required
def run(slug: str):
    community = _community(slug)
    matching_round = services.run_round(current_user, community)
    count = len(matching_round.proposals)
    flash(
        f"The round found {count} pair{'s' if count != 1 else ''}. Nothing is sent until you "
        "send it."
        if count
        else "The round found no good pairs right now.",
        "success" if count else "info",
    )
    return redirect_to(url_for(".review", slug=slug, round_id=matching_round.id))


@bp.get("/communities/<slug>/matching/<int:round_id>")
@login_required
def review(slug: str, round_id: int):
    community = _community(slug)
    return _review_page(community, _round(community, round_id))


def _review_page(community: Community, matching_round: MatchingRound, status: int = 200):
    return render_page_or_partial(
        "suggestions/review.html",
        "suggestions/_review.html",
        status,
        community=community,
        round=matching_round,
        counts=services.outcome(matching_round),
    )


@bp.post("/communities/<slug>/matching/<int:round_id>/proposals/<int:proposal_id>/remove")
@login_required
def remove(slug: str, round_id: int, proposal_id: int):
    community = _community(slug)
    matching_round = _round(community, round_id)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.round_id != matching_round.id:
        abort(404)
    try:
        services.remove_proposal(current_user, proposal)
    except services.RoundError as exc:
        # htmx swaps a 409 into the review: answer with the review and why, not an error page.
        flash(str(exc), "error")
        return _review_page(community, matching_round, 409)
    return _review_page(community, matching_round)


@bp.post("/communities/<slug>/matching/<int:round_id>/send")
@login_required
def send(slug: str, round_id: int):
    community = _community(slug)
    sent = services.send_round(current_user, _round(community, round_id))
    flash(f"Sent {sent} proposal{'s' if sent != 1 else ''}: both sides have been told.", "success")
    return redirect_to(url_for(".review", slug=slug, round_id=round_id))


# --- a proposal, for the two people it is for --------------------------------------------------


def _proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not services.can_view_proposal(current_user, proposal):
        abort(404)
    return proposal


@bp.get("/proposals/<int:proposal_id>")
@login_required
def proposal(proposal_id: int):
    found = _proposal(proposal_id)
    return render_page_or_partial(
        "suggestions/proposal.html",
        "suggestions/_proposal.html",
        proposal=found,
        side=services.side_of(current_user, found),
    )


@bp.post("/proposals/<int:proposal_id>/accept")
@login_required
def accept(proposal_id: int):
    claim = services.accept_proposal(current_user, _proposal(proposal_id))
    flash("Done: your answer is sent. Talk it through here.", "success")
    return redirect_to(url_for("claims.show", claim_id=claim.id))


@bp.post("/proposals/<int:proposal_id>/dismiss")
@login_required
def dismiss(proposal_id: int):
    found = _proposal(proposal_id)
    services.dismiss_proposal(current_user, found)
    flash("Dismissed. Nobody else is told.", "info")
    return redirect_to(url_for("main.index"))
