"""Registering, logging in and out, passwords, and a member's account settings."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from ..communities.services import LastCoordinator
from ..extensions import limiter, login_manager
from ..web import form_error_status, redirect_to, render_page_or_partial, safe_next_url
from . import services
from .export import export_member_data
from .forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from .models import User

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    """`id:token` from the cookie; a rotated token (logout, new password) no longer loads."""
    user_id, _, token = cookie_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = services.db.session.get(User, int(user_id))
    if user is None or user.session_token != token or user.deleted_at is not None:
        return None
    return user


def _account_key() -> str:
    return "login-account:" + request.form.get("email", "").strip().lower()


def _address_key() -> str:
    return "login-address:" + (request.remote_addr or "unknown")


def _failed(response: Response) -> bool:
    return response.status_code >= 400


def _begin_session(user: User, remember: bool) -> None:
    # A fresh session on login: nothing planted in the old cookie carries over (fixation).
    session.clear()
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register(form.email.data, form.display_name.data, form.password.data)
        except services.EmailTaken as exc:
            form.email.errors.append(str(exc))
        else:
            _begin_session(user, remember=False)
            flash(f"Welcome, {user.display_name}! Find a community to join.", "success")
            return redirect_to(url_for("communities.directory"))
    status = form_error_status(form) if request.method == "POST" else 200
    return render_page_or_partial(
        "accounts/register.html", "accounts/_register_form.html", status, form=form
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    key_func=_address_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login():
    form = LoginForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.InvalidCredentials as exc:
            form.password.errors.append(str(exc))
        else:
            _begin_session(user, remember=form.remember.data)
            return redirect_to(safe_next_url(next_url))
    status = form_error_status(form) if request.method == "POST" else 200
    return render_page_or_partial(
        "accounts/login.html", "accounts/_login_form.html", status, form=form, next_url=next_url
    )


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.end_all_sessions(current_user)
        logout_user()
    session.clear()
    flash("You have logged out.", "info")
    return redirect_to(url_for("main.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(
            form.email.data,
            current_app.config["SECRET_KEY"],
            lambda token: url_for("accounts.reset_password", token=token, _external=True),
        )
        # The same answer whether or not the address has an account.
        return render_template("accounts/forgot_sent.html", email=form.email.data)
    status = form_error_status(form) if request.method == "POST" else 200
    return render_template("accounts/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    secret, max_age = current_app.config["SECRET_KEY"], current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        services.user_for_reset_token(token, secret, max_age)
    except services.InvalidResetLink as exc:
        return render_template("accounts/reset_invalid.html", message=str(exc)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data, secret, max_age)
        except services.InvalidResetLink as exc:
            return render_template("accounts/reset_invalid.html", message=str(exc)), 400
        session.clear()
        flash("Your password is changed. Please log in with it.", "success")
        return redirect_to(url_for("accounts.login"))
    status = form_error_status(form) if request.method == "POST" else 200
    return render_template("accounts/reset.html", form=form), status


def _settings_page(status: int = 200, **forms):
    forms.setdefault("password_form", ChangePasswordForm())
    forms.setdefault("delete_form", DeleteAccountForm())
    return render_template("accounts/settings.html", **forms), status


@bp.get("/settings/account")
@login_required
def settings():
    return _settings_page()


@bp.post("/settings/account/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.password.data)
        except services.WrongPassword as exc:
            form.current.errors.append(str(exc))
        else:
            # Other devices are signed out; this one gets a fresh session.
            _begin_session(current_user._get_current_object(), remember=False)
            flash("Your password is changed. Other devices have been logged out.", "success")
            return redirect_to(url_for("accounts.settings"))
    return _settings_page(form_error_status(form), password_form=form)


@bp.get("/settings/account/export")
@login_required
def export():
    body = json.dumps(export_member_data(current_user), indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="commons-my-data.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/settings/account/delete")
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user, form.password.data)
        except services.WrongPassword as exc:
            form.password.errors.append(str(exc))
        except LastCoordinator as exc:
            form.password.errors.append(str(exc))
            return _settings_page(409, delete_form=form)
        else:
            logout_user()
            session.clear()
            flash("Your account is deleted. Thank you for being a neighbour.", "info")
            return redirect_to(url_for("main.index"))
    return _settings_page(form_error_status(form), delete_form=form)
