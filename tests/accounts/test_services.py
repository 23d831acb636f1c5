"""Account rules, called directly: credentials, sessions, reset links, deletion."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from commons.accounts import services
from commons.accounts.export import export_member_data
from commons.accounts.models import User
from commons.extensions import db
from commons.mail import outbox
from commons.moderation.models import Block
from commons.notifications.models import Notification
from commons.notifications.services import notify
from tests.conftest import PASSWORD

SECRET = "test-secret"


def test_registration_stores_a_modern_hash_never_the_password(make_user):
    user = make_user(email="Nia@Example.org")
    assert user.email == "nia@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_emails_are_unique_whatever_the_case(make_user):
    make_user(email="nia@example.org")
    with pytest.raises(services.EmailTaken):
        services.register("NIA@example.org", "Another Nia", PASSWORD)


def test_authenticate_accepts_the_right_password_only(make_user):
    user = make_user()
    assert services.authenticate(user.email.upper(), PASSWORD) == user
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(user.email, PASSWORD + "!")
    with pytest.raises(services.InvalidCredentials):
        services.authenticate("nobody@example.org", PASSWORD)


def test_unknown_and_known_emails_fail_with_the_same_message(make_user):
    user = make_user()
    with pytest.raises(services.InvalidCredentials) as wrong_password:
        services.authenticate(user.email, "wrong password here")
    with pytest.raises(services.InvalidCredentials) as unknown:
        services.authenticate("nobody@example.org", "wrong password here")
    assert str(wrong_password.value) == str(unknown.value)


def test_ending_all_sessions_changes_the_login_cookie_identity(make_user):
    user = make_user()
    before = user.get_id()
    services.end_all_sessions(user)
    assert user.get_id() != before
    assert user.get_id().startswith(f"{user.id}:")


def test_changing_password_needs_the_current_one(make_user):
    user = make_user()
    with pytest.raises(services.WrongPassword):
        services.change_password(user, "not my password", "a brand new password")
    services.change_password(user, PASSWORD, "a brand new password")
    assert services.authenticate(user.email, "a brand new password") == user


def test_a_reset_link_is_emailed_only_to_a_known_address(make_user):
    user = make_user()
    services.request_password_reset("nobody@example.org", SECRET, lambda token: token)
    assert outbox() == []
    services.request_password_reset(user.email, SECRET, lambda token: f"https://x/{token}")
    assert len(outbox()) == 1 and outbox()[0].to == user.email
    assert "https://x/" in outbox()[0].body


def test_a_reset_token_works_once(make_user):
    user = make_user()
    token = services.make_reset_token(user, SECRET)
    services.reset_password(token, "my new long password", SECRET, max_age=3600)
    assert services.authenticate(user.email, "my new long password") == user
    with pytest.raises(services.InvalidResetLink):
        services.reset_password(token, "yet another password", SECRET, max_age=3600)


def test_a_reset_token_expires(make_user):
    user = make_user()
    start = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        token = services.make_reset_token(user, SECRET)
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert services.user_for_reset_token(token, SECRET, max_age=3600) == user
    with (
        time_machine.travel(start + timedelta(minutes=61), tick=False),
        pytest.raises(services.InvalidResetLink, match="expired"),
    ):
        services.user_for_reset_token(token, SECRET, max_age=3600)


def test_a_tampered_reset_token_is_refused(make_user):
    token = services.make_reset_token(make_user(), SECRET)
    with pytest.raises(services.InvalidResetLink):
        services.user_for_reset_token(token[:-2] + "xx", SECRET, max_age=3600)
    with pytest.raises(services.InvalidResetLink):
        services.user_for_reset_token(token, "another-secret", max_age=3600)


def test_deleting_an_account_removes_personal_data_and_keeps_the_row(world):
    member = world.member
    member.bio = "I live at 4 Elm Street"
    db.session.commit()
    services.delete_account(member, PASSWORD)
    row = db.session.get(User, member.id)
    assert row is not None and row.deleted_at is not None
    assert row.public_name == "Former member"
    assert "Mia" not in row.display_name and "example.org" not in row.email
    assert row.bio == "" and row.memberships == [] and row.skills == []
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(f"former-member-{member.id}@invalid", PASSWORD)


def test_deleting_needs_the_password(world):
    with pytest.raises(services.WrongPassword):
        services.delete_account(world.member, "not the password")
    assert world.member.deleted_at is None


def test_export_holds_my_profile_and_memberships_as_json(world):
    data = json.loads(json.dumps(export_member_data(world.member)))
    assert data["account"]["email"] == world.member.email
    assert data["account"]["display_name"] == "Mia Member"
    assert data["memberships"] == [
        {
            "community": "Northside",
            "role": "member",
            "status": "active",
            "since": data["memberships"][0]["since"],
        }
    ]
    assert world.other_member.email not in json.dumps(data)


def test_deleting_an_account_erases_notifications_and_blocks(world):
    notify(world.member, "claim", "Someone answered your post", "/")
    db.session.add(Block(blocker_id=world.other_member.id, blocked_id=world.member.id))
    db.session.commit()
    assert export_member_data(world.member)["notifications"][0]["text"].startswith("Someone")
    services.delete_account(world.member, PASSWORD)
    assert db.session.query(Notification).filter_by(user_id=world.member.id).count() == 0
    assert db.session.query(Block).count() == 0
