"""Notifications: counting, listing, marking as read, and email straight away or as a digest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from commons.accounts.models import User
from commons.database import now_utc, write_transaction
from commons.extensions import db
from commons.mail import outbox
from commons.notifications import services as notifications
from commons.notifications.models import Notification


def notify(user: User, text: str = "Something happened", kind: str = "claim", link: str = "/"):
    """What another feature does: notify inside its own transaction."""
    with write_transaction():
        notification = notifications.notify(user, kind, text, link)
    return notification


def set_email(user: User, how: str, **switches: bool) -> None:
    with write_transaction():
        user.notify_email = how
        for name, value in switches.items():
            setattr(user, f"notify_{name}", value)


def emailed_at(notification: Notification):
    db.session.refresh(notification)
    return notification.emailed_at


@pytest.fixture(autouse=True)
def empty_outbox(app):
    outbox().clear()


# --- counting and listing ----------------------------------------------------------------


def test_unread_count_counts_only_my_unread_notifications(world):
    first = notify(world.member, "One")
    notify(world.member, "Two")
    notify(world.other_member, "Not yours")
    assert notifications.unread_count(world.member) == 2

    notifications.mark_read(world.member, first.id)
    assert notifications.unread_count(world.member) == 1
    assert notifications.unread_count(world.other_member) == 1
    assert notifications.unread_count(world.coordinator) == 0


def test_recent_is_newest_first_and_paged(world):
    for n in range(25):
        notify(world.member, f"Number {n}")
    notify(world.other_member, "Someone else's")

    first = notifications.recent(world.member, 1)
    assert [item.text for item in first.items] == [f"Number {n}" for n in range(24, 4, -1)]
    assert (first.total, first.unread, first.pages) == (25, 25, 2)

    second = notifications.recent(world.member, 2)
    assert [item.text for item in second.items] == [f"Number {n}" for n in range(4, -1, -1)]
    assert notifications.recent(world.member, 3).items == []


# --- marking as read ---------------------------------------------------------------------


def test_mark_read_marks_only_my_own(world):
    mine = notify(world.member, "Mine")
    for someone_else in (world.other_member, world.coordinator, world.admin):
        with pytest.raises(notifications.NotificationNotFound):
            notifications.mark_read(someone_else, mine.id)
    with pytest.raises(notifications.NotificationNotFound):
        notifications.mark_read(world.member, mine.id + 1000)
    db.session.refresh(mine)
    assert mine.read_at is None

    notifications.mark_read(world.member, mine.id)
    db.session.refresh(mine)
    first_read = mine.read_at
    assert first_read is not None

    notifications.mark_read(world.member, mine.id)  # again: nothing changes
    db.session.refresh(mine)
    assert mine.read_at == first_read


def test_mark_all_read_leaves_other_members_alone(world):
    for n in range(3):
        notify(world.member, f"Mine {n}")
    theirs = notify(world.other_member, "Theirs")

    assert notifications.mark_all_read(world.member) == 3
    assert notifications.unread_count(world.member) == 0
    db.session.refresh(theirs)
    assert theirs.read_at is None
    assert notifications.mark_all_read(world.member) == 0


# --- email straight away -----------------------------------------------------------------


def test_notify_emails_at_once_for_immediate(world):
    notification = notify(world.member, "Otto would like your ladder", link="/posts/1")
    [email] = outbox()
    assert email.to == world.member.email
    assert "Otto would like your ladder" in email.subject
    assert "/posts/1" in email.body
    assert emailed_at(notification) is not None


@pytest.mark.parametrize("how", ["digest", "off"])
def test_notify_does_not_email_at_once_for_digest_or_off(world, how):
    set_email(world.member, how)
    notification = notify(world.member)
    assert outbox() == []
    assert emailed_at(notification) is None


def test_notify_respects_the_switch_for_its_kind(world):
    set_email(world.member, "immediate", messages=False)
    message = notify(world.member, "A new message", kind="message")
    claim = notify(world.member, "A new claim", kind="claim")
    assert [email.subject for email in outbox()] == ["Commons: A new claim"]
    assert emailed_at(message) is None and emailed_at(claim) is not None


def test_former_members_get_nothing(world):
    with write_transaction():
        world.member.deleted_at = now_utc()
    assert notify(world.member) is None
    assert db.session.scalars(select(Notification)).all() == []
    assert outbox() == []


def test_notify_rolls_back_with_the_callers_transaction(world):
    with pytest.raises(RuntimeError), write_transaction():
        notifications.notify(world.member, "claim", "Never saved")
        raise RuntimeError("the caller's change failed")
    assert notifications.unread_count(world.member) == 0
    assert outbox() == []  # nobody is told of a change that did not happen


def test_email_waits_for_the_commit(world):
    with write_transaction():
        notifications.notify(world.member, "claim", "Otto would like your ladder")
        assert outbox() == []
    assert [email.subject for email in outbox()] == ["Commons: Otto would like your ladder"]


def test_a_mail_server_that_is_down_does_not_undo_the_change(app, world, monkeypatch):
    def refuse(message):
        raise ConnectionRefusedError("no mail server")

    app.config["MAIL_BACKEND"] = "smtp"
    monkeypatch.setattr("commons.mail._send_smtp", refuse)
    notification = notify(world.member, "Otto would like your ladder")
    assert notifications.unread_count(world.member) == 1
    assert emailed_at(notification) is not None  # handed over; the failure is in the log


# --- the daily digest --------------------------------------------------------------------


def test_digest_sends_one_email_per_member_who_chose_it(world):
    set_email(world.member, "digest")
    set_email(world.other_member, "digest")
    set_email(world.coordinator, "off")
    mine = [notify(world.member, f"For Mia {n}") for n in range(3)]
    theirs = notify(world.other_member, "For Otto")
    off = notify(world.coordinator, "For Cora, who wants no email")
    notify(world.admin, "For the admin, emailed at once")
    outbox().clear()

    assert notifications.send_digest() == 2

    by_address = {email.to: email for email in outbox()}
    assert sorted(by_address) == sorted([world.member.email, world.other_member.email])
    mia = by_address[world.member.email]
    assert mia.subject == "Commons: 3 new notifications"
    assert all(f"For Mia {n}" in mia.body for n in range(3))
    assert "For Otto" not in mia.body
    assert by_address[world.other_member.email].subject == "Commons: 1 new notification"
    assert all(emailed_at(n) is not None for n in [*mine, theirs])
    assert emailed_at(off) is None

    outbox().clear()
    assert notifications.send_digest() == 0  # nothing is emailed twice
    assert outbox() == []


def test_digest_skips_what_was_already_emailed(world):
    earlier = notify(world.member, "Emailed at once earlier")
    set_email(world.member, "digest")
    later = notify(world.member, "Since then")
    outbox().clear()

    assert notifications.send_digest() == 1
    [email] = outbox()
    assert "Since then" in email.body and "Emailed at once earlier" not in email.body
    assert emailed_at(later) is not None and emailed_at(earlier) is not None


def test_digest_respects_the_switch_for_each_kind(world):
    set_email(world.member, "digest", messages=False)
    message = notify(world.member, "A message", kind="message")
    notify(world.member, "Community news", kind="community")
    set_email(world.other_member, "digest", messages=False)
    notify(world.other_member, "Only a message", kind="message")

    assert notifications.send_digest() == 1
    [email] = outbox()
    assert email.to == world.member.email
    assert "Community news" in email.body and "A message" not in email.body
    assert emailed_at(message) is None


def test_digest_lists_only_what_existed_at_its_time(world):
    set_email(world.member, "digest")
    notify(world.member, "Just now")
    assert notifications.send_digest(now_utc() - timedelta(hours=1)) == 0
    assert notifications.send_digest(now_utc()) == 1


def test_digest_of_very_many_lists_the_newest_and_counts_the_rest(world):
    set_email(world.member, "digest")
    with write_transaction():
        for n in range(60):
            notifications.notify(world.member, "claim", f"Item {n:02d}")
    assert notifications.send_digest() == 1
    [email] = outbox()
    assert email.subject == "Commons: 60 new notifications"
    assert "Item 59" in email.body and "Item 10" in email.body and "Item 09" not in email.body
    assert "10 more" in email.body


def test_a_failed_email_leaves_that_members_notifications_for_next_time(world, monkeypatch):
    set_email(world.member, "digest")
    set_email(world.other_member, "digest")
    failing = notify(world.member, "For Mia")
    delivered = notify(world.other_member, "For Otto")
    real_send = notifications.send_email

    def send(to: str, subject: str, body: str) -> None:
        if to == world.member.email:
            raise ConnectionRefusedError("mail server down")
        real_send(to, subject, body)

    monkeypatch.setattr(notifications, "send_email", send)
    assert notifications.send_digest() == 1
    assert [email.to for email in outbox()] == [world.other_member.email]
    assert emailed_at(failing) is None and emailed_at(delivered) is not None

    monkeypatch.setattr(notifications, "send_email", real_send)
    assert notifications.send_digest() == 1
    assert emailed_at(failing) is not None


def test_send_digest_command(runner, world):
    set_email(world.member, "digest")
    notify(world.member, "Hello")
    result = runner.invoke(args=["notifications", "send-digest"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 digest email." in result.output
    assert [email.to for email in outbox()] == [world.member.email]
