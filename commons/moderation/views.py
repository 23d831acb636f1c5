"""Reporting posts, messages and members, blocking, and the coordinators' moderation queue
with its log."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from ..accounts.models import User
from ..communities import services as communities
from ..communities.models import Community
from ..communities.permissions import NotAllowed
from ..errors import render_error
from ..extensions import db, htmx
from ..profiles.views import profile_context
from ..web import form_error_status, redirect_to, render_page_or_partial
from . import permissions, queue, services
from .forms import ActionForm, MemberReportForm, ReportForm, action_prefix, lift_prefix

bp = Blueprint("moderation", __name__)


@bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed):
    return render_error(403, detail=str(error))


@bp.errorhandler(services.NotFound)
def _not_found(error: services.NotFound):
    return render_error(404)


@bp.app_context_processor
def _profile_helpers() -> dict[str, object]:
    def member_blocked(member: User) -> bool:
        return current_user.is_authenticated and services.has_blocked(current_user, member)

    return {"member_blocked": member_blocked}


# --- reports ---------------------------------------------------------------------------------


def _report(
    form: ReportForm | MemberReportForm,
    file: Callable[[], object],
    *,
    subject: str,
    back_url: str,
    community: Community | None,
    quote: str | None = None,
):
    """The report form (GET), or filing it (POST): 422 with the input kept when it needs
    correcting, 409 when the report can't be made, and back to the thing once it is sent."""
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = form_error_status(form)
        else:
            try:
                report = file()
            except (services.OwnContent, services.AlreadyReported) as exc:
                flash(str(exc), "info")
                status = 409
            except services.ModerationError as exc:
                form.reason.errors = [*form.reason.errors, str(exc)]
                status = 422
            else:
                sent_to = db.session.get(Community, report.community_id)
                thanks = f"Thank you. The coordinators of {sent_to.name} will look at your report."
                if htmx:
                    return render_page_or_partial(
                        "moderation/report.html",
                        "moderation/_report_sent.html",
                        thanks=thanks,
                        back_url=back_url,
                    )
                flash(thanks, "success")
                return redirect_to(back_url)
    return render_page_or_partial(
        "moderation/report.html",
        "moderation/_report_form.html",
        status,
        form=form,
        report_action=request.path,
        subject=subject,
        back_url=back_url,
        community=community,
        quote=quote,
    )


@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
@login_required
def report_post(post_id: int):
    post = services.reportable_post(current_user, post_id)
    form = ReportForm()
    return _report(
        form,
        lambda: services.report_post(current_user, post, form.reason.data),
        subject=f"the post “{post.title}”",
        back_url=f"/posts/{post.id}",
        community=post.community,
        quote=post.description,
    )


@bp.route("/messages/<int:message_id>/report", methods=["GET", "POST"])
@login_required
def report_message(message_id: int):
    message = services.reportable_message(current_user, message_id)
    form = ReportForm()
    return _report(
        form,
        lambda: services.report_message(current_user, message, form.reason.data),
        subject=f"a message from {message.author.public_name}",
        back_url=f"/claims/{message.claim_id}",
        community=message.claim.post.community,
        quote=message.body,
    )


@bp.route("/members/<int:member_id>/report", methods=["GET", "POST"])
@login_required
def report_member(member_id: int):
    member = services.visible_member(current_user, member_id)
    choices = services.shared_communities(current_user, member)
    form = MemberReportForm()
    form.community.choices = [(str(c.id), c.name) for c in choices]
    chosen = {str(c.id): c for c in choices}

    def file():
        return services.report_member(
            current_user, member, chosen[form.community.data], form.reason.data
        )

    return _report(
        form,
        file,
        subject=member.display_name,
        back_url=url_for("profiles.show", member_id=member.id),
        community=choices[0] if len(choices) == 1 else None,
    )


# --- blocking --------------------------------------------------------------------------------


def _member_or_404(member_id: int) -> User:
    member = db.session.get(User, member_id)
    if member is None:
        abort(404)
    return member


def _after_block(member: User, message: str):
    flash(message, "success")
    if htmx:
        return render_page_or_partial(
            "profiles/show.html", "moderation/_member_safety.html", **profile_context(member)
        )
    return redirect_to(url_for("profiles.show", member_id=member.id))


def _refused(member: User, error: services.ModerationError):
    flash(str(error), "error")
    return render_page_or_partial(
        "profiles/show.html", "moderation/_member_safety.html", 409, **profile_context(member)
    )


@bp.post("/members/<int:member_id>/block")
@login_required
def block(member_id: int):
    member = _member_or_404(member_id)
    try:
        services.block(current_user, member)
    except services.OwnContent as exc:
        return _refused(member, exc)
    return _after_block(
        member,
        f"You have blocked {member.display_name}. You won't see claims, messages or "
        "suggestions from each other.",
    )


@bp.post("/members/<int:member_id>/unblock")
@login_required
def unblock(member_id: int):
    member = _member_or_404(member_id)
    try:
        services.unblock(current_user, member)
    except services.OwnContent as exc:
        return _refused(member, exc)
    return _after_block(member, f"You have unblocked {member.display_name}.")


# --- the moderation queue ------------------------------------------------------------------

DONE = {
    "dismiss": "The report is dismissed.",
    "hide_post": "The post is hidden. The people in its claims can still read their messages.",
    "hide_message": "The message is hidden.",
    "warn": "The warning is sent.",
    "suspend": "The membership is suspended.",
}


def _moderated(slug: str) -> Community:
    """The community whose queue this is; only its coordinators (and admins) get further."""
    community = communities.get_by_slug(slug)
    if community is None:
        abort(404)
    permissions.require_may_moderate(current_user, community)
    return community


def _page() -> int:
    return max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))


def _queue(community: Community, status: int = 200, forms: dict[str, ActionForm] | None = None):
    """The queue page, or its `#moderation` partial for htmx. `forms` carries a submitted form
    (with the coordinator's input and its errors) by its prefix, in place of a blank one."""
    board = queue.queue(current_user, community, _page())
    prefixes = [action_prefix(e.report.id) for e in board.open]
    prefixes += [lift_prefix(person.id) for person in board.suspended]
    blank = {prefix: ActionForm(prefix=prefix, formdata=None) for prefix in prefixes}
    return render_page_or_partial(
        "moderation/queue.html",
        "moderation/_queue.html",
        status,
        community=community,
        board=board,
        forms=blank | (forms or {}),
        action_words=queue.ACTION_WORDS,
    )


def _after_action(community: Community):
    if htmx:
        return _queue(community)
    return redirect_to(url_for("moderation.queue_page", slug=community.slug))


@bp.get("/communities/<slug>/moderation")
@login_required
def queue_page(slug: str):
    return _queue(_moderated(slug))


@bp.get("/communities/<slug>/reports")
def reports(slug: str):
    """The queue's first address, kept for links in older notifications."""
    return redirect(url_for("moderation.queue_page", slug=slug, **request.args), code=301)


@bp.post(
    "/communities/<slug>/moderation/reports/<int:report_id>/"
    "<any(dismiss, 'hide-post', 'hide-message', warn, suspend):action>"
)
@login_required
def act(slug: str, report_id: int, action: str):
    community = _moderated(slug)
    report = queue.get_report(community, report_id)
    prefix = action_prefix(report.id)
    form = ActionForm(prefix=prefix)
    if not form.validate_on_submit():
        return _queue(community, form_error_status(form), {prefix: form})
    action = action.replace("-", "_")
    try:
        queue.act(current_user, community, report, action, form.note.data or "")
    except queue.InvalidNote as exc:
        form.note.errors = [*form.note.errors, str(exc)]
        return _queue(community, 422, {prefix: form})
    except (queue.AlreadyHandled, queue.NotPossible) as exc:
        flash(str(exc), "error")
        return _queue(community, 409)
    flash(DONE[action], "success")
    return _after_action(community)


@bp.post("/communities/<slug>/moderation/members/<int:member_id>/lift")
@login_required
def lift(slug: str, member_id: int):
    community = _moderated(slug)
    member = _member_or_404(member_id)
    prefix = lift_prefix(member.id)
    form = ActionForm(prefix=prefix)
    if not form.validate_on_submit():
        return _queue(community, form_error_status(form), {prefix: form})
    try:
        queue.lift_suspension(current_user, community, member, form.note.data or "")
    except queue.InvalidNote as exc:
        form.note.errors = [*form.note.errors, str(exc)]
        return _queue(community, 422, {prefix: form})
    except queue.NotPossible as exc:
        flash(str(exc), "error")
        return _queue(community, 409)
    flash(f"{member.public_name} is an active member again.", "success")
    return _after_action(community)


@bp.get("/communities/<slug>/moderation/log")
@login_required
def log(slug: str):
    community = _moderated(slug)
    return render_page_or_partial(
        "moderation/log.html",
        "moderation/_log.html",
        community=community,
        log=queue.audit_log(current_user, community, _page()),
    )
