"""The job that emails an announcement: who gets it (active members who asked for community
news by email at once; not the digest or the "off" ones, not the suspended, not former
members), what it says, that it reads members a batch at a time, that it is queued by the
announcement's commit, and that running it again never emails anyone twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from commons import jobs
from commons.accounts import services as accounts
from commons.accounts.models import User
from commons.announcements import services as announcements
from commons.communities import services as communities
from commons.database import write_transaction
from commons.extensions import db
from commons.mail import outbox
from commons.moderation import queue
from commons.moderation import services as moderation
from commons.notifications.models import Notification
from commons.notifications.services import send_digest
from tests.announcements.test_announcements import _crowd, emails_to, notifications_of
from tests.conftest import PASSWORD, log_in, post
from tests.posts.test_queries import counted_statements


def join(world, person: User) -> User:
    communities.join(person, world.home)
    communities.decide_request(world.coordinator, world.home, person.id, approve=True)
    return person


@pytest.fixture
def people(world, make_user, ladder):
    """Northside's members in every state that matters to the email: Mia and Otto (immediate,
    the default), Dee (digest), Oona (off), Quinn (immediate, but no community news), Sam
    (suspended) and Gil (deleted his account)."""
    dee, oona, quinn, sam, gil = (
        join(world, make_user(name))
        for name in ("Dee Digest", "Oona Off", "Quinn Quiet", "Sam Suspended", "Gil Gone")
    )
    with write_transaction():
        dee.notify_email, oona.notify_email = "digest", "off"
        quinn.notify_community = False
    report = moderation.report_member(world.member, sam, world.home, "Rude to everyone")
    queue.act(world.coordinator, world.home, report, "suspend")
    accounts.delete_account(gil, PASSWORD)
    outbox().clear()
    return {"digest": dee, "off": oona, "quiet": quinn, "suspended": sam, "gone": gil}


def test_only_active_members_who_want_email_now_get_one(world, people):
    announcements.announce(world.coordinator, world.home, "Street party", "Bring a chair.")
    assert sorted(m.to for m in outbox()) == sorted([world.member.email, world.other_member.email])
    for person in people.values():
        assert emails_to(person.email) == []
    # The suspended and the former member are not told in the app either.
    assert notifications_of(people["suspended"]) == notifications_of(people["gone"]) == []
    # Those who asked for a digest get it there, once; "off" never.
    outbox().clear()
    assert send_digest() == 1
    [summary] = outbox()
    assert summary.to == people["digest"].email
    assert "Announcement from Northside: Street party" in summary.body


def test_the_email_says_what_where_and_links_to_it(app, world):
    app.config["SITE_URL"] = "https://commons.example.org/"
    notice = announcements.announce(
        world.coordinator, world.home, "Street party <b>Saturday</b>", "Bring a <chair> & a hat."
    )
    [email] = emails_to(world.member.email)
    assert email.subject == "Commons: Northside: Street party <b>Saturday</b>"
    # Plain text: what the coordinator wrote arrives as written, never as markup or entities.
    assert "Street party <b>Saturday</b>\n\nBring a <chair> & a hat.\n" in email.body
    assert "&lt;" not in email.body and "&amp;" not in email.body
    assert "for the coordinators of Northside" in email.body
    assert "From Cora Coordinator" in email.body
    link = (
        f"https://commons.example.org/communities/northside/announcements#announcement-{notice.id}"
    )
    assert link in email.body
    assert "https://commons.example.org/settings/notifications" in email.body


def test_a_coordinator_posting_in_the_browser_sends_the_emails_after_saving(client, world):
    log_in(client, world.coordinator)
    response = post(
        client, "/communities/northside/announcements", {"title": "Bins", "body": "Tuesdays now."}
    )
    assert response.status_code == 303
    assert {m.to for m in outbox()} == {world.member.email, world.other_member.email}
    assert all(n.emailed_at is not None for n in notifications_of(world.member))


def test_running_the_job_again_emails_nobody_twice(world, people):
    notice = announcements.announce(world.coordinator, world.home, "Street party", "Bring a chair.")
    assert len(outbox()) == 2
    outbox().clear()
    announcements.email_announcement(notice.id)  # a retry, or the job enqueued twice
    assert outbox() == []

    # A run stopped after emailing Mia: the next one emails only Otto.
    with write_transaction():
        db.session.execute(
            update(Notification)
            .where(Notification.user_id == world.other_member.id)
            .values(emailed_at=None)
        )
    announcements.email_announcement(notice.id)
    assert [m.to for m in outbox()] == [world.other_member.email]


def test_a_member_suspended_before_the_job_runs_gets_no_email(world, people, ladder):
    notice = announcements.announce(world.coordinator, world.home, "Street party", "Bring a chair.")
    outbox().clear()
    with write_transaction():  # as if the job had not run yet
        db.session.execute(update(Notification).values(emailed_at=None))
    report = moderation.report_post(world.other_member, ladder, "Spam")
    queue.act(world.coordinator, world.home, report, "suspend")  # Mia wrote the ladder post
    outbox().clear()
    announcements.email_announcement(notice.id)
    assert [m.to for m in outbox()] == [world.other_member.email]


def test_a_mail_server_that_fails_leaves_the_emails_for_the_retry(app, world, people):
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9)  # nobody there
    # Inline (tests), the job's failure reaches the caller; the announcement is saved already.
    with pytest.raises(OSError):
        announcements.announce(world.coordinator, world.home, "Street party", "Bring a chair.")
    [notice_id] = db.session.scalars(select(announcements.Announcement.id))
    assert notifications_of(world.member)[0].emailed_at is None  # not marked: not sent

    app.config["MAIL_BACKEND"] = "memory"  # the mail server is back; the job runs again
    announcements.email_announcement(notice_id)
    assert sorted(m.to for m in outbox()) == sorted([world.member.email, world.other_member.email])


def test_the_job_reads_members_a_batch_at_a_time(world, make_user, make_community, monkeypatch):
    large = make_community(make_user("Lou Large"), "Largeside", lat=51.6, lon=-2.5)
    _crowd(large, 1_000)  # every third asks for email at once: 334
    monkeypatch.setattr(announcements, "EMAIL_BATCH", 100)
    notice = announcements.announce(
        communities.coordinators(large)[0], large, "Street party", "Bring a chair."
    )
    assert len([m for m in outbox() if m.to.startswith("crowd")]) == 334
    outbox().clear()
    with write_transaction():  # run it again, as if for the first time
        db.session.execute(update(Notification).values(emailed_at=None))
    with counted_statements() as statements:
        announcements.email_announcement(notice.id)
    assert len([m for m in outbox() if m.to.startswith("crowd")]) == 334
    # A few to begin (the announcement, its community, its author), then 4 batches (100, 100,
    # 100, 34) of 4 statements each (begin, read, mark, commit): not one query per member.
    assert len(statements) <= 6 + 4 * 4
    db.session.rollback()
    unsent = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .join(User, User.id == Notification.user_id)
        .where(User.notify_email == "immediate", Notification.emailed_at.is_(None))
    )
    assert unsent == 0


def test_the_job_of_a_deleted_community_does_nothing(world):
    notice = announcements.announce(world.coordinator, world.home, "Street party", "Bring a chair.")
    outbox().clear()
    announcements.email_announcement(notice.id + 1_000)
    assert outbox() == []


def test_with_redis_the_worker_sends_the_emails(redis_app, runner, world):
    announcements.announce(world.coordinator, world.home, "Street party", "Bring a chair.")
    assert outbox() == []  # the request only queued the job
    result = runner.invoke(args=["jobs", "work", "--once"])
    assert "Ran 1 job; 0 failed." in result.output
    assert sorted(m.to for m in outbox()) == sorted([world.member.email, world.other_member.email])


def test_in_development_a_worker_thread_sends_the_emails(app, world):
    app.config["JOBS_BACKEND"] = "thread"
    announcements.announce(world.coordinator, world.home, "Street party", "Bring a chair.")
    assert jobs.wait_for_thread_jobs(10), "the worker thread did not finish"
    assert sorted(m.to for m in outbox()) == sorted([world.member.email, world.other_member.email])
    assert all(n.emailed_at is not None for n in notifications_of(world.member))
