"""Answering a post, a claim's page with its private thread, the two people's decisions, thanks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..communities.permissions import NotAllowed, is_coordinator
from ..errors import render_error
from ..extensions import db, htmx
from ..limits import member_limit
from ..posts import services as posts
from ..posts.models import Post
from ..web import form_error_status, redirect_to, render_page_or_partial
from . import services
from .forms import ClaimForm, MessageForm, ThanksForm
from .models import Claim

bp = Blueprint("claims", __name__)

DONE = {
    "accept": "Accepted. Say hello in the messages below.",
    "decline": "Declined. They have been told.",
    "withdraw": "You have withdrawn. They have been told.",
    "cancel": "Cancelled. They have been told.",
    "complete": "Marked as done. You can now say thanks.",
}
TRANSITIONS = {
    "accept": services.accept,
    "decline": services.decline,
    "withdraw": services.withdraw,
    "cancel": services.cancel,
    "complete": services.complete,
}


@bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed):
    return render_error(403, detail=str(error))


def claim_box(post: Post, form: ClaimForm | None = None) -> dict[str, Any]:
    """What `claims/_claim_form.html` and `claims/_post_claims.html` need about a post."""
    return {
        "post": post,
        "post_status": posts.display_status(post),
        "is_author": current_user.is_authenticated and current_user.id == post.author_id,
        "claim_form": form or ClaimForm(formdata=None),
        "my_claim": services.active_claim(current_user, post),
        "may_answer_for_neighbour": is_coordinator(current_user, post.community),
        "claims_here": services.claims_on_post(current_user, post),
    }


@bp.app_context_processor
def _claim_helpers() -> dict[str, Any]:
    # The post's page (posts feature) includes claims/_post_claims.html, which asks this.
    return {"claim_box_for": claim_box, "CLAIM_STATE_WORDS": services.STATE_WORDS}


def _claim_or_404(claim_id: int) -> tuple[Claim, str]:
    """The claim and the viewer's role in it; people with no part in it get a 404."""
    claim = db.get_or_404(Claim, claim_id)
    role = services.role_of(current_user, claim)
    if role is None:
        abort(404)
    return claim, role


def _party_claim_or_404(claim_id: int) -> tuple[Claim, str]:
    claim, role = _claim_or_404(claim_id)
    if role == "staff":
        raise NotAllowed("The messages of a claim are private to the two people in it.")
    return claim, role


def _context(claim: Claim, role: str, **overrides: Any) -> dict[str, Any]:
    thanks = services.thanks_for(claim)
    context: dict[str, Any] = {
        "claim": claim,
        "post": claim.post,
        "role": role,
        "actions": services.allowed_actions(current_user, claim),
        "position": services.waitlist_position(claim),
        "thanks": thanks,
        "may_thank": (
            role in ("claimant", "author")
            and claim.status == "completed"
            and all(t.from_id != current_user.id for t in thanks)
        ),
        "thanks_form": ThanksForm(formdata=None),
        "message_form": MessageForm(formdata=None),
        "messages": [],
    }
    if role in ("claimant", "author"):
        context["messages"] = services.thread(claim, current_user)
        context["other"] = services.other_party(claim, current_user)
    context["last_id"] = context["messages"][-1].id if context["messages"] else 0
    context.update(overrides)
    return context


def _actions_box(claim: Claim, role: str, status: int = 200, **overrides: Any):
    return render_page_or_partial(
        "claims/show.html", "claims/_actions.html", status, **_context(claim, role, **overrides)
    )


def _claim_url(claim: Claim, anchor: str | None = None) -> str:
    return url_for("claims.show", claim_id=claim.id, _anchor=anchor)


@bp.post("/posts/<int:post_id>/claims")
@login_required
@member_limit("CLAIM_LIMIT")
def create(post_id: int):
    post = posts.get_visible(current_user, post_id)
    if post is None:
        abort(404)
    form = ClaimForm()
    status = 200
    if form.validate_on_submit():
        try:
            claim = services.make_claim(
                current_user, post, form.message.data or "", form.on_behalf_of.data
            )
        except services.AlreadyClaimed as exc:
            # A second click, or a second tab: one claim, and the member lands on it.
            flash(str(exc), "info")
            return redirect_to(_claim_url(exc.claim))
        except services.InvalidInput as exc:
            form.message.errors = [*form.message.errors, str(exc)]
        except services.ClaimError as exc:
            flash(str(exc), "error")
            status = 409
        else:
            if claim.status == "waitlisted":
                flash("Every place is taken for now: you are on the waiting list.", "info")
            else:
                flash(f"Sent. {post.author.public_name} has been told.", "success")
            return redirect_to(_claim_url(claim))
    if status == 200:
        status = form_error_status(form)
    return render_page_or_partial(
        "claims/new.html", "claims/_claim_form.html", status, **claim_box(post, form)
    )


@bp.get("/claims/<int:claim_id>")
@login_required
def show(claim_id: int):
    claim, role = _claim_or_404(claim_id)
    return render_template("claims/show.html", **_context(claim, role))


@bp.post("/claims/<int:claim_id>/<any(accept, decline, withdraw, cancel, complete):action>")
@login_required
def transition(claim_id: int, action: str):
    claim, role = _claim_or_404(claim_id)
    try:
        TRANSITIONS[action](current_user, claim)
    except services.ClaimError as exc:
        flash(str(exc), "error")
        return _actions_box(claim, role, 409)
    flash(DONE[action], "success")
    if not htmx:
        return redirect(_claim_url(claim), code=303)
    return _actions_box(claim, role)


@bp.post("/claims/<int:claim_id>/messages")
@login_required
@member_limit("MESSAGE_LIMIT")
def send_message(claim_id: int):
    claim, role = _party_claim_or_404(claim_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            message = services.send_message(current_user, claim, form.body.data)
        except services.InvalidInput as exc:
            form.body.errors = [*form.body.errors, str(exc)]
        else:
            if not htmx:
                return redirect(_claim_url(claim, "thread"), code=303)
            # Everything after what this page last showed (the other side may have written
            # meanwhile), and an empty form.
            after = request.form.get("after", type=int)
            new = services.thread(
                claim, current_user, after=message.id - 1 if after is None else after
            )
            return render_template(
                "claims/_message_sent.html",
                claim=claim,
                message_form=MessageForm(formdata=None),
                messages=new,
                last_id=new[-1].id if new else message.id,
            )
    return render_page_or_partial(
        "claims/show.html",
        "claims/_message_form.html",
        form_error_status(form),
        **_context(claim, role, message_form=form),
    )


@bp.get("/claims/<int:claim_id>/messages")
@login_required
def messages(claim_id: int):
    claim, _role = _party_claim_or_404(claim_id)
    if not htmx:
        return redirect(_claim_url(claim, "thread"), code=303)
    after = request.args.get("after", type=int)
    new = services.thread(claim, current_user, after=after)
    if not new:
        return "", 204
    return render_template(
        "claims/_new_messages.html", claim=claim, messages=new, last_id=new[-1].id
    )


@bp.post("/claims/<int:claim_id>/thanks")
@login_required
def thank(claim_id: int):
    claim, role = _party_claim_or_404(claim_id)
    form = ThanksForm()
    if form.validate_on_submit():
        try:
            services.thank(current_user, claim, form.note.data)
        except services.InvalidInput as exc:
            form.note.errors = [*form.note.errors, str(exc)]
        except services.ClaimError as exc:
            flash(str(exc), "error")
            return _actions_box(claim, role, 409)
        else:
            flash("Thank you. They have been told.", "success")
            if not htmx:
                return redirect(_claim_url(claim), code=303)
            return _actions_box(claim, role)
    return _actions_box(claim, role, form_error_status(form), thanks_form=form)
