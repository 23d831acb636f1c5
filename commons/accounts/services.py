"""Account rules: registration, credentials, password resets, and leaving the site."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..communities.services import ensure_can_leave_all
from ..database import now_utc, write_transaction
from ..extensions import db
from ..mail import send_email
from .export import erase_member_data
from .models import User, new_session_token

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")
_RESET_SALT = "commons.password-reset"


class AccountError(Exception):
    """A rule of accounts refused the request; the message is for the member."""


class EmailTaken(AccountError):
    def __init__(self) -> None:
        super().__init__("An account with that email already exists. Try logging in instead.")


class InvalidCredentials(AccountError):
    def __init__(self) -> None:
        super().__init__("That email and password don't match an account.")


class WrongPassword(AccountError):
    def __init__(self) -> None:
        super().__init__("That isn't your current password.")


class InvalidResetLink(AccountError):
    def __init__(self, expired: bool = False) -> None:
        super().__init__(
            "This reset link has expired. Please ask for a new one."
            if expired
            else "This reset link is not valid or was already used. Please ask for a new one."
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def register(email: str, display_name: str, password: str) -> User:
    """Create a member. Raises EmailTaken, also when a concurrent request won the race."""
    email = email.strip().lower()
    try:
        with write_transaction():
            if find_by_email(email):
                raise EmailTaken()
            user = User(
                email=email,
                display_name=display_name.strip(),
                password_hash=hash_password(password),
            )
            db.session.add(user)
    except IntegrityError as exc:
        raise EmailTaken() from exc
    return user


def authenticate(email: str, password: str) -> User:
    """The member with these credentials; raises InvalidCredentials otherwise."""
    user = find_by_email(email)
    if user is None or user.deleted_at is not None:
        _password_matches(_DUMMY_HASH, password)
        raise InvalidCredentials()
    if not _password_matches(user.password_hash, password):
        raise InvalidCredentials()
    if _hasher.check_needs_rehash(user.password_hash):
        with write_transaction():
            user.password_hash = hash_password(password)
    return user


def end_all_sessions(user: User) -> None:
    """Sign the member out everywhere: every cookie carrying the old token stops working."""
    with write_transaction():
        user.session_token = new_session_token()


def change_password(user: User, current: str, new: str) -> None:
    if not _password_matches(user.password_hash, current):
        raise WrongPassword()
    with write_transaction():
        user.password_hash = hash_password(new)
        user.session_token = new_session_token()


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # Changes with the password, so a link stops working once it has been used.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User, secret_key: str) -> str:
    return _serializer(secret_key).dumps({"id": user.id, "fp": _password_fingerprint(user)})


def user_for_reset_token(token: str, secret_key: str, max_age: int) -> User:
    """The member a reset link belongs to; raises InvalidResetLink when expired or used."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidResetLink(expired=True) from exc
    except BadSignature as exc:
        raise InvalidResetLink() from exc
    user = db.session.get(User, data.get("id")) if isinstance(data, dict) else None
    if user is None or user.deleted_at or data.get("fp") != _password_fingerprint(user):
        raise InvalidResetLink()
    return user


def request_password_reset(email: str, secret_key: str, link_for: Callable[[str], str]) -> None:
    """Email a reset link if the address has an account; silent otherwise, so the page cannot
    be used to find out who is a member."""
    user = find_by_email(email)
    if user is None or user.deleted_at is not None:
        return
    link = link_for(make_reset_token(user, secret_key))
    send_email(
        user.email,
        "Reset your Commons password",
        f"Hello {user.display_name},\n\nSomeone asked to reset the password of your Commons "
        f"account. If it was you, open this link within an hour:\n\n{link}\n\n"
        "If it wasn't you, you can ignore this email; your password stays as it is.\n",
    )


def reset_password(token: str, new_password: str, secret_key: str, max_age: int) -> User:
    user = user_for_reset_token(token, secret_key, max_age)
    with write_transaction():
        user.password_hash = hash_password(new_password)
        user.session_token = new_session_token()
    return user


def delete_account(user: User, password: str) -> None:
    """Remove a member's personal data. What they posted stays, shown as by a former member.

    Raises WrongPassword, or communities' LastCoordinator when a community would be left
    without anyone to run it.
    """
    if not _password_matches(user.password_hash, password):
        raise WrongPassword()
    ensure_can_leave_all(user)
    with write_transaction():
        user.email = f"former-member-{user.id}@invalid"
        user.display_name = "Former member"
        user.password_hash = "!"  # matches no password
        user.session_token = new_session_token()
        user.bio = ""
        user.languages = ""
        user.neighbourhood_id = None
        user.notify_email = "off"
        user.deleted_at = now_utc()
        user.is_admin = False
        user.skills.clear()
        user.slots.clear()
        user.memberships.clear()
        erase_member_data(user)
