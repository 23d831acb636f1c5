"""A member's hour account: balance, statement, requests, sending and asking for hours; one
transfer's page; the CSV statement; and a community's floor, for its coordinators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user, login_required

from ..communities import services as communities
from ..database import now_utc
from ..errors import render_error
from ..extensions import htmx
from ..limits import member_limit
from ..web import form_error_status, redirect_to, render_page_or_partial
from . import permissions, services
from .forms import FloorForm, RequestForm, ReverseForm, SendForm, TransferForm
from .models import HourTransfer

bp = Blueprint("timebank", __name__)

TRANSITIONS = {
    "confirm": services.confirm,
    "refuse": services.refuse,
}


@bp.errorhandler(permissions.NotAllowed)
def _not_allowed(error: permissions.NotAllowed):
    return render_error(403, detail=str(error))


@bp.errorhandler(services.TransferNotFound)
def _not_found(error: services.TransferNotFound):
    return render_error(404)


@bp.app_template_filter("hours")
def _hours(minutes: int, signed: bool = False) -> str:
    return services.format_hours(minutes, signed)


@bp.app_context_processor
def _timebank_helpers() -> dict[str, Any]:
    # The dashboard (main feature) includes timebank/_dashboard.html, which asks this.
    return {"timebank_summary": lambda: services.summary(current_user)}


# --- the account page --------------------------------------------------------------------------


def _with_choices(*forms: TransferForm) -> bool:
    """Fill the forms' lists (the member's trading partners and exchanges); False if the member
    has nobody to trade with."""
    people = services.partners(current_user)
    exchanges = services.claims_between(current_user)
    sessions = services.sessions_between(current_user)
    skill_exchanges = services.exchanges_between(current_user)
    # People met in a session or skill exchange across a link are not neighbours, but hours
    # for that session or exchange may go to them.
    known = {person.id for person in people}
    for _, other in [*sessions, *skill_exchanges]:
        if other.id not in known and other.deleted_at is None:
            known.add(other.id)
            people.append(other)
    for form in forms:
        form.member.choices = [("", "Choose a neighbour")] + [
            (person.id, person.display_name) for person in people
        ]
        form.claim.choices = [("", "Nothing in particular")] + [
            (claim.id, f"“{claim.post.title}” with {other.public_name}")
            for claim, other in exchanges
        ]
        form.session.choices = [("", "No session")] + [
            (
                session.id,
                f"“{session.mentorship.topic}” on {session.starts_at:%d %b %Y} "
                f"with {other.public_name}",
            )
            for session, other in sessions
        ]
        form.exchange.choices = [("", "No skill exchange")] + [
            (exchange.id, f"{services.exchange_title(exchange)} with {other.public_name}")
            for exchange, other in skill_exchanges
        ]
    return bool(people)


def _blank(form_class: type[TransferForm], prefix: str) -> TransferForm:
    """An empty form; `?to=<member id>` and `&claim=`, `&session=` or `&exchange=<id>` choose
    for the member in advance."""
    data = {
        "member": request.args.get("to", type=int),
        "claim": request.args.get("claim", type=int),
        "session": request.args.get("session", type=int),
        "exchange": request.args.get("exchange", type=int),
    }
    return form_class(prefix=prefix, formdata=None, data=data)


def _account_page(
    status: int = 200,
    partial: str = "timebank/_account.html",
    *,
    send_form: TransferForm | None = None,
    request_form: TransferForm | None = None,
):
    send_form = send_form or _blank(SendForm, "send")
    request_form = request_form or _blank(RequestForm, "ask")
    # A form sent back with what to correct is shown even to someone with nobody to trade with.
    has_partners = _with_choices(send_form, request_form) or bool(
        send_form.errors or request_form.errors
    )
    return render_page_or_partial(
        "timebank/index.html",
        partial,
        status,
        account=services.account(current_user),
        statement=services.statement(current_user, request.args.get("page", 1, type=int)),
        to_confirm=services.requests_to_confirm(current_user),
        my_requests=services.my_requests(current_user),
        send_form=send_form,
        request_form=request_form,
        has_partners=has_partners,
        coordinated=services.coordinated_communities(current_user),
        state_words=services.STATE_WORDS,
    )


@bp.get("/timebank")
@login_required
def index():
    return _account_page()


@bp.get("/timebank/statement.csv")
@login_required
def statement_csv():
    filename = f"commons-hours-{now_utc():%Y-%m-%d}.csv"
    return Response(
        services.csv_statement(current_user),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def _move_hours(form: TransferForm, partial: str, form_key: str, move, done: str):
    """Send or ask: form -> service -> back to the account (or the form with what to fix)."""
    _with_choices(form)
    status = None
    if form.validate_on_submit():
        assert form.hours.minutes is not None  # validated
        try:
            other = services.find_member(form.member.data)
            claim = services.find_claim(form.claim.data)
            session = services.find_session(form.session.data)
            exchange = services.find_exchange(form.exchange.data)
            transfer = move(
                current_user,
                other,
                form.hours.minutes,
                form.memo.data,
                claim,
                session=session,
                exchange=exchange,
            )
        except services.CannotTransfer as exc:
            form.member.errors = [*form.member.errors, str(exc)]
        except services.WrongExchange as exc:
            # Shown under the list the member chose from (the claim's when it is unclear).
            chosen = form.claim
            if not form.claim.data:
                chosen = form.exchange if form.exchange.data else form.session
            chosen.errors = [*chosen.errors, str(exc)]
        except services.InvalidInput as exc:
            form.hours.errors = [*form.hours.errors, str(exc)]
        except services.InsufficientHours as exc:
            form.hours.errors = [*form.hours.errors, str(exc)]
            status = 409
        else:
            flash(
                done.format(hours=services.format_hours(transfer.minutes), other=other), "success"
            )
            return redirect_to(url_for("timebank.index"))
    return _account_page(status or form_error_status(form), partial, **{form_key: form})


@bp.post("/timebank/transfers")
@login_required
@member_limit("CLAIM_LIMIT")
def send():
    return _move_hours(
        SendForm(prefix="send"),
        "timebank/_send_form.html",
        "send_form",
        services.send_hours,
        "Sent {hours} to {other.display_name}. They have been told.",
    )


@bp.post("/timebank/requests")
@login_required
@member_limit("CLAIM_LIMIT")
def ask():
    return _move_hours(
        RequestForm(prefix="ask"),
        "timebank/_request_form.html",
        "request_form",
        services.request_hours,
        "Asked {other.display_name} to confirm {hours}. You'll be told when they answer.",
    )


# --- one transfer ------------------------------------------------------------------------------


def _transfer_page(transfer: HourTransfer, status: int = 200, form: ReverseForm | None = None):
    reversal = services.reversal_of(transfer)
    return render_page_or_partial(
        "timebank/show.html",
        "timebank/_transfer.html",
        status,
        transfer=transfer,
        pays_for=services.pays_for(transfer),
        reversal=reversal,
        actions=permissions.allowed_actions(current_user, transfer, reversal is not None),
        reverse_form=form or ReverseForm(formdata=None),
        state_words=services.STATE_WORDS,
    )


def _from_transfer_page() -> bool:
    return htmx.target == "transfer" if htmx else request.form.get("from") == "transfer"


def _after(transfer: HourTransfer, status: int = 200, form: ReverseForm | None = None):
    """Where an action on a transfer lands: the page (or partial) it was pressed on; a
    redirect back to it when it worked and htmx is not in play."""
    on_transfer = _from_transfer_page()
    if status == 200 and not htmx:
        target = url_for("timebank.show", transfer_id=transfer.id) if on_transfer else None
        return redirect_to(target or url_for("timebank.index"))
    if on_transfer:
        return _transfer_page(transfer, status, form)
    return _account_page(status)


@bp.get("/timebank/transfers/<int:transfer_id>")
@login_required
def show(transfer_id: int):
    return _transfer_page(services.get_transfer(current_user, transfer_id))


@bp.post("/timebank/transfers/<int:transfer_id>/<any(confirm, refuse):action>")
@login_required
def settle(transfer_id: int, action: str):
    transfer = services.get_transfer(current_user, transfer_id)
    other = transfer.payee.public_name
    try:
        TRANSITIONS[action](current_user, transfer)
    except services.TimebankError as exc:
        flash(str(exc), "error")
        return _after(transfer, 409)
    hours = services.format_hours(transfer.minutes)
    if action == "confirm":
        flash(f"Confirmed: {hours} went to {other}.", "success")
    else:
        flash(f"Refused. {other} has been told.", "success")
    return _after(transfer)


@bp.post("/timebank/transfers/<int:transfer_id>/reverse")
@login_required
def reverse(transfer_id: int):
    transfer = services.get_transfer(current_user, transfer_id)
    form = ReverseForm()
    if not form.validate_on_submit():
        return _transfer_page(transfer, form_error_status(form), form)
    try:
        services.reverse(current_user, transfer, form.memo.data or "")
    except services.TimebankError as exc:
        flash(str(exc), "error")
        return _after(transfer, 409)
    flash(
        f"Given back: {services.format_hours(transfer.minutes)} went back to "
        f"{transfer.payer.public_name}.",
        "success",
    )
    return _after(transfer)


# --- a community's floor -----------------------------------------------------------------------


@bp.route("/communities/<slug>/timebank", methods=["GET", "POST"])
@login_required
def floor(slug: str):
    community = communities.get_by_slug(slug)
    if community is None:
        abort(404)
    if not permissions.may_set_floor(current_user, community):
        raise permissions.NotAllowed()
    if request.method == "GET":
        below = services.decimal_hours(-community.hour_floor_minutes)
        form = FloorForm(formdata=None, data={"hours_below_zero": below})
        status = 200
    else:
        form = FloorForm()
        if form.validate_on_submit():
            assert form.hours_below_zero.minutes is not None  # validated
            services.set_floor(current_user, community, -form.hours_below_zero.minutes)
            flash(
                f"Saved: members of {community.name} can go down to "
                f"{services.format_hours(community.hour_floor_minutes)}.",
                "success",
            )
            return redirect_to(url_for("timebank.floor", slug=community.slug))
        status = form_error_status(form)
    return render_page_or_partial(
        "timebank/floor.html",
        "timebank/_floor_form.html",
        status,
        community=community,
        form=form,
    )
