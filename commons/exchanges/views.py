"""Skill exchanges: the hub (my exchanges and suggested swaps), proposing a swap or a paid
lesson, one exchange's page with its answers, and thanks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user, login_required

from ..claims.forms import ThanksForm
from ..errors import render_error
from ..limits import member_limit
from ..suggestions.services import swaps_for
from ..timebank import services as timebank
from ..web import form_error_status, redirect_to, render_page_or_partial
from . import permissions, services
from .forms import ExchangeForm, PaidForm, SuggestionForm, SwapForm
from .models import SkillExchange

bp = Blueprint("exchanges", __name__)

FORMS: dict[str, type[ExchangeForm]] = {"swap": SwapForm, "paid": PaidForm}
TRANSITIONS = {
    "accept": services.accept,
    "decline": services.decline,
    "cancel": services.cancel,
    "done": services.mark_done,
}


@bp.errorhandler(permissions.NotAllowed)
def _not_allowed(error: permissions.NotAllowed):
    return render_error(403, detail=str(error))


@bp.errorhandler(services.ExchangeNotFound)
def _not_found(error: services.ExchangeNotFound):
    return render_error(404)


# --- the hub -----------------------------------------------------------------------------------


def _hub_page(status: int = 200):
    return render_page_or_partial(
        "exchanges/index.html",
        # htmx refreshes the suggestions, the part that changes without the member acting.
        "suggestions/_swaps.html",
        status,
        hub=services.hub(current_user),
        swaps=swaps_for(current_user),
        kind_words=services.KIND_WORDS,
    )


@bp.get("/exchanges")
@login_required
def index():
    return _hub_page()


@bp.post("/exchanges/suggested")
@login_required
@member_limit("CLAIM_LIMIT")
def propose_suggested():
    form = SuggestionForm()
    if not form.validate_on_submit():
        flash(" ".join(form.circle.errors) or "Please try again.", "error")
        return _hub_page(form_error_status(form))
    try:
        exchange = services.propose_circle(current_user, form.circle.steps)
    except (services.InvalidExchange, services.CannotExchange) as exc:
        flash(str(exc), "error")
        return _hub_page(422)
    except services.AlreadyProposed as exc:
        flash(str(exc), "error")
        return _hub_page(409)
    flash("Proposed. Everyone in it has been asked; it starts when they all accept.", "success")
    return redirect_to(url_for("exchanges.show", exchange_id=exchange.id))


# --- proposing ---------------------------------------------------------------------------------


def _kind() -> str:
    kind = request.args.get("kind", "swap")
    if kind not in FORMS:
        abort(400)
    return kind


def _with_choices(form: ExchangeForm) -> None:
    people = services.partners(current_user, form.member.data)
    form.member.choices = [("", "Choose a member")] + [
        (person.id, person.display_name) for person in people
    ]


def _form_page(kind: str, form: ExchangeForm, status: int = 200):
    _with_choices(form)
    return render_page_or_partial(
        "exchanges/new.html", "exchanges/_form.html", status, form=form, kind=kind
    )


@bp.get("/exchanges/new")
@login_required
def new():
    kind = _kind()
    form = FORMS[kind](formdata=None, data={"member": request.args.get("with", type=int)})
    return _form_page(kind, form)


@bp.post("/exchanges/new")
@login_required
@member_limit("CLAIM_LIMIT")
def create():
    kind = _kind()
    form = FORMS[kind]()
    if not form.validate_on_submit():
        return _form_page(kind, form, form_error_status(form))
    status = 422
    try:
        other = services.find_member(form.member.data)
        exchange = _propose(kind, form, other)
    except services.CannotExchange as exc:
        form.member.errors = [*form.member.errors, str(exc)]
    except services.InvalidExchange as exc:
        form.form_errors = [*form.form_errors, str(exc)]
    except services.AlreadyProposed as exc:
        form.form_errors = [*form.form_errors, str(exc)]
        status = 409
    else:
        flash("Proposed. You'll be told when they answer.", "success")
        return redirect_to(url_for("exchanges.show", exchange_id=exchange.id))
    return _form_page(kind, form, status)


def _propose(kind: str, form: Any, other: Any) -> SkillExchange:
    assert form.hours.minutes is not None  # validated
    if kind == "swap":
        return services.propose_swap(
            current_user,
            other,
            i_teach=form.i_teach.data,
            they_teach=form.they_teach.data,
            minutes=form.hours.minutes,
            record_hours=form.record_hours.data,
            message=form.message.data or "",
        )
    return services.propose_paid(
        current_user,
        other,
        i_teach=form.direction.data == "me",
        skill=form.skill.data,
        minutes=form.hours.minutes,
        record_hours=form.record_hours.data,
        message=form.message.data or "",
    )


# --- one exchange ------------------------------------------------------------------------------


def _exchange_page(exchange: SkillExchange, status: int = 200, form: ThanksForm | None = None):
    thanked = services.has_thanked(current_user, exchange)
    return render_page_or_partial(
        "exchanges/show.html",
        "exchanges/_exchange.html",
        status,
        exchange=exchange,
        me=permissions.participant_of(current_user, exchange),
        actions=permissions.allowed_actions(current_user, exchange, thanked),
        thanks=services.thanks_for(exchange) if exchange.state == "completed" else [],
        thanks_to=services.thanked_person(current_user, exchange),
        thanks_form=form or ThanksForm(formdata=None),
        transfers=services.transfers_for(exchange),
        kind_words=services.KIND_WORDS,
        title=timebank.exchange_title(exchange),
    )


@bp.get("/exchanges/<int:exchange_id>")
@login_required
def show(exchange_id: int):
    return _exchange_page(services.get_exchange(current_user, exchange_id))


DONE = {
    "accept": "Accepted. You'll be told when everyone has.",
    "decline": "Declined. The others have been told.",
    "cancel": "Cancelled. The others have been told.",
    "done": "Marked as done. You'll be told when everyone has.",
}


@bp.post("/exchanges/<int:exchange_id>/<any(accept, decline, cancel, done):action>")
@login_required
def transition(exchange_id: int, action: str):
    exchange = services.get_exchange(current_user, exchange_id)
    try:
        finished = TRANSITIONS[action](current_user, exchange)
    except (services.StateChanged, services.CannotComplete, services.CannotExchange) as exc:
        flash(str(exc), "error")
        return _exchange_page(services.get_exchange(current_user, exchange_id), 409)
    if action == "accept" and finished is True:
        flash("Accepted. Everyone is in: the exchange has started.", "success")
    elif action == "done" and finished is True:
        flash("Done. The exchange is complete.", "success")
    else:
        flash(DONE[action], "success")
    return redirect_to(url_for("exchanges.show", exchange_id=exchange.id))


@bp.post("/exchanges/<int:exchange_id>/thanks")
@login_required
def thank(exchange_id: int):
    exchange = services.get_exchange(current_user, exchange_id)
    form = ThanksForm()
    if not form.validate_on_submit():
        return _exchange_page(exchange, form_error_status(form), form)
    try:
        services.thank(current_user, exchange, form.note.data)
    except services.InvalidExchange as exc:
        form.note.errors = [*form.note.errors, str(exc)]
        return _exchange_page(exchange, 422, form)
    except (services.StateChanged, services.AlreadyThanked, services.CannotExchange) as exc:
        flash(str(exc), "error")
        return _exchange_page(exchange, 409)
    flash("Thank you. They have been told.", "success")
    return redirect_to(url_for("exchanges.show", exchange_id=exchange.id))
