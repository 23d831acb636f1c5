from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..forms import Form, strip

PASSWORD_MIN = 10


def _email() -> EmailField:
    return EmailField(
        "Email",
        validators=[
            DataRequired("Please enter your email address."),
            Email("That doesn't look like an email address."),
            Length(max=254, message="An email address can be at most 254 characters."),
        ],
        filters=[lambda value: value.strip().lower() if isinstance(value, str) else value],
    )


def _new_password(label: str = "Password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired("Please choose a password."),
            Length(
                min=PASSWORD_MIN,
                max=200,
                message=f"A password needs at least {PASSWORD_MIN} characters (at most 200).",
            ),
        ],
    )


def _confirm(field: str) -> PasswordField:
    return PasswordField(
        "Type the password again",
        validators=[
            DataRequired("Please type the password again."),
            EqualTo(field, "The two passwords differ."),
        ],
    )


class RegisterForm(Form):
    email = _email()
    display_name = StringField(
        "Your name, as neighbours will see it",
        validators=[
            DataRequired("Please tell us what to call you."),
            Length(max=80, message="A name can be at most 80 characters."),
        ],
        filters=[strip],
    )
    password = _new_password()
    confirm = _confirm("password")


class LoginForm(Form):
    email = _email()
    password = PasswordField("Password", validators=[DataRequired("Please enter your password.")])
    remember = BooleanField("Keep me logged in on this device")


class ForgotPasswordForm(Form):
    email = _email()


class ResetPasswordForm(Form):
    password = _new_password("New password")
    confirm = _confirm("password")


class ChangePasswordForm(Form):
    current = PasswordField(
        "Current password", validators=[DataRequired("Please enter your current password.")]
    )
    password = _new_password("New password")
    confirm = _confirm("password")


class DeleteAccountForm(Form):
    password = PasswordField(
        "Your password, to confirm", validators=[DataRequired("Please enter your password.")]
    )
