"""Announcements: who reads and who posts them, that every active member hears of one (in the
app always, by email as each prefers), that a community of thousands costs a fixed number of
SQL statements, and that what a coordinator writes is shown as text and kept within limits.
(How the email job picks its members, and runs again safely: test_email_job.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from commons.accounts.models import User
from commons.announcements import services as announcements
from commons.announcements.models import Announcement
from commons.communities import services as communities
from commons.communities.models import Membership
from commons.communities.permissions import NotAllowed
from commons.database import now_utc
from commons.extensions import db
from commons.mail import outbox
from commons.moderation import queue
from commons.moderation import services as moderation
from commons.notifications.models import Notification
from commons.notifications.services import send_digest
from tests.conftest import HX, ROLES, act_as, assert_status, log_in, post, text
from tests.links.conftest import bring_link
from tests.posts.test_queries import counted_statements

READERS = {role: 403 for role in ROLES} | {
    "visitor": "login",
    "member": 200,
    "other_member": 200,
    "coordinator": 200,
    "admin": 200,
}
AUTHORS = {role: 403 for role in ROLES} | {"visitor": "login", "coordinator": 303, "admin": 303}
NOTICE = {"title": "Street party on Saturday", "body": "Bring a chair.\nMusic from four."}


def announcement_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Announcement))


def notifications_of(user: User) -> list[Notification]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Notification).where(
                Notification.user_id == user.id, Notification.kind == "announcement"
            )
        )
    )


def emails_to(address: str) -> list:
    return [message for message in outbox() if message.to == address]


# --- who reads, who posts -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_who_reads_a_communitys_announcements(client, world, role):
    bring_link(world, "active")  # a linked community's people are not its members
    announcements.announce(world.coordinator, world.home, "Bins day moves", "Now on Tuesdays.")
    act_as(client, world, role)
    response = client.get("/communities/northside/announcements")
    assert_status(response, READERS[role])
    assert ("Now on Tuesdays." in text(response)) == (response.status_code == 200)
    community_page = text(client.get("/communities/northside"))
    assert ("Now on Tuesdays." in community_page) == (response.status_code == 200)


@pytest.mark.parametrize("role", ROLES)
def test_who_posts_an_announcement(client, world, role):
    bring_link(world, "active")
    act_as(client, world, role)
    response = post(client, "/communities/northside/announcements", NOTICE)
    assert_status(response, AUTHORS[role])
    assert announcement_count() == (1 if response.status_code == 303 else 0)
    if response.status_code == 303:
        assert response.headers["Location"] == "/communities/northside/announcements"
        page = text(client.get(response.headers["Location"]))
        assert "Your announcement is sent to the members of Northside." in page
        assert "Street party on Saturday" in page


def test_members_see_the_form_only_if_they_coordinate(client, world):
    log_in(client, world.member)
    assert "Send the announcement" not in text(client.get("/communities/northside/announcements"))
    log_in(client, world.coordinator)
    assert "Send the announcement" in text(client.get("/communities/northside/announcements"))


def test_a_suspended_member_reads_no_announcements(client, world, ladder):
    report = moderation.report_post(world.other_member, ladder, "Spam")
    queue.act(world.coordinator, world.home, report, "suspend")
    announcements.announce(world.coordinator, world.home, "Bins day moves", "Now on Tuesdays.")
    assert notifications_of(world.member) == []
    log_in(client, world.member)
    assert_status(client.get("/communities/northside/announcements"), 403)


# --- who hears of it, and how ----------------------------------------------------------------


def test_every_active_member_hears_in_the_app_and_by_their_email_choice(world, make_user):
    digest, off, quiet = make_user("Dee Digest"), make_user("Oona Off"), make_user("Quinn Quiet")
    for person in (digest, off, quiet):
        communities.join(person, world.home)
        communities.decide_request(world.coordinator, world.home, person.id, approve=True)
    digest.notify_email, off.notify_email = "digest", "off"
    quiet.notify_community = False  # immediate email, but not for community news
    gone = make_user("Gil Gone")
    communities.join(gone, world.away)
    db.session.commit()

    announcements.announce(world.coordinator, world.home, "Street party", "Bring a chair.")

    # In the app: every active member but the author; not the applicant, not Southside.
    told = {
        n.user_id
        for n in db.session.scalars(select(Notification).where(Notification.kind == "announcement"))
    }
    assert told == {world.member.id, world.other_member.id, digest.id, off.id, quiet.id}
    [note] = notifications_of(world.member)
    assert note.text == "Announcement from Northside: Street party"
    assert note.link.startswith("/communities/northside/announcements#announcement-")
    assert note.read_at is None

    # Email at once: only those who want it now, with the whole notice.
    immediate = {m.to for m in outbox()}
    assert immediate == {world.member.email, world.other_member.email}
    [email] = emails_to(world.member.email)
    assert email.subject == "Commons: Northside: Street party"
    assert "Bring a chair." in email.body and "Cora Coordinator" in email.body
    assert notifications_of(world.member)[0].emailed_at is not None
    assert notifications_of(digest)[0].emailed_at is None

    # The daily digest: the digest member, once; never the one who chose none.
    outbox().clear()
    assert send_digest() == 1
    [summary] = outbox()
    assert summary.to == digest.email
    assert "Announcement from Northside: Street party" in summary.body
    outbox().clear()
    assert send_digest() == 0


def test_the_emails_wait_for_the_commit(world, monkeypatch):
    """The email job is queued inside the announcement's transaction and runs only once that
    commits; a notice that fails half-way sends nothing and leaves nothing behind."""
    original = announcements.jobs.enqueue
    seen_at_enqueue = []

    def enqueue_and_look(*args, **kwargs):
        original(*args, **kwargs)
        seen_at_enqueue.append(list(outbox()))

    monkeypatch.setattr(announcements.jobs, "enqueue", enqueue_and_look)
    announcements.announce(world.coordinator, world.home, "Street party", "Bring a chair.")
    assert seen_at_enqueue == [[]]
    assert {m.to for m in outbox()} == {world.member.email, world.other_member.email}

    outbox().clear()

    def enqueue_then_break(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("something after the job was queued broke")

    monkeypatch.setattr(announcements.jobs, "enqueue", enqueue_then_break)
    with pytest.raises(RuntimeError):
        announcements.announce(world.coordinator, world.home, "Second notice", "Never sent.")
    assert outbox() == []
    assert announcement_count() == 1
    assert len(notifications_of(world.member)) == 1


def _crowd(community, size: int) -> None:
    """`size` more active members, written in bulk (registering each would take minutes)."""
    start = db.session.scalar(select(func.max(User.id))) + 1
    db.session.execute(
        insert(User),
        [
            {
                "email": f"crowd{start + n}@example.org",
                "display_name": f"Neighbour {n}",
                "password_hash": "!",
                "notify_email": ("immediate", "digest", "off")[n % 3],
            }
            for n in range(size)
        ],
    )
    ids = db.session.scalars(select(User.id).where(User.id >= start)).all()
    db.session.execute(
        insert(Membership),
        [
            {"community_id": community.id, "user_id": user_id, "joined_at": now_utc()}
            for user_id in ids
        ],
    )
    db.session.commit()


def test_a_large_community_costs_the_same_few_statements(
    world, make_user, make_community, monkeypatch
):
    """The request's statements do not grow with the community; the email job's grow with its
    batches, not its members (here one batch each)."""
    monkeypatch.setattr(announcements, "EMAIL_BATCH", 1_000)
    small = make_community(make_user("Sam Small"), "Smallside", lat=51.5, lon=-2.5)
    large = make_community(make_user("Lou Large"), "Largeside", lat=51.6, lon=-2.5)
    _crowd(small, 20)
    _crowd(large, 2_000)
    costs = {}
    for community in (small, large):
        author = communities.coordinators(community)[0]
        with counted_statements() as statements:
            announcements.announce(author, community, "Street party", "Bring a chair.")
        costs[community.slug] = len(statements)
    assert costs["smallside"] == costs["largeside"]
    assert costs["largeside"] <= 14  # the request: 7; the job: 3 reads, then 1 batch in 4
    db.session.rollback()
    told = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .join(Membership, Membership.user_id == Notification.user_id)
        .where(Notification.kind == "announcement", Membership.community_id == large.id)
    )
    assert told == 2_000
    # Every third neighbour asked for email at once: 7 of the 20, 667 of the 2,000.
    assert len([m for m in outbox() if m.to.startswith("crowd")]) == 7 + 667


# --- what a coordinator writes ----------------------------------------------------------------


def test_an_announcement_is_shown_as_text_everywhere(client, world):
    log_in(client, world.coordinator)
    evil = {"title": "<script>alert('t')</script>", "body": "<img src=x onerror=alert(1)>"}
    assert_status(post(client, "/communities/northside/announcements", evil), 303)
    log_in(client, world.member)
    for url in ("/communities/northside/announcements", "/communities/northside", "/notifications"):
        body = text(client.get(url))
        assert "<script>alert" not in body and "<img src=x" not in body, url
        assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in body, url


@pytest.mark.parametrize(
    "data, message",
    [
        ({"title": "", "body": "Hello"}, "Please give the announcement a title."),
        ({"title": "Hi", "body": "   "}, "Please write the announcement."),
        ({"title": "T" * 121, "body": "Hello"}, "Please keep the title under 120 characters."),
        ({"title": "Hi", "body": "B" * 4001}, "Please keep the announcement under 4000"),
    ],
)
def test_bad_input_is_sent_back_with_a_clear_message(client, world, data, message):
    log_in(client, world.coordinator)
    response = post(client, "/communities/northside/announcements", data, headers=HX)
    assert_status(response, 422)
    body = text(response)
    assert message in body
    assert body.lstrip().startswith('<div id="announcements">')
    assert announcement_count() == 0
    assert outbox() == []


def test_a_huge_request_is_refused(client, world):
    log_in(client, world.coordinator)
    response = post(
        client, "/communities/northside/announcements", {"title": "Hi", "body": "x" * 3_000_000}
    )
    assert_status(response, 413)
    assert announcement_count() == 0


def test_the_service_refuses_what_a_form_would(world):
    with pytest.raises(announcements.InvalidAnnouncement, match="title"):
        announcements.announce(world.coordinator, world.home, " \n ", "Hello")
    with pytest.raises(NotAllowed):
        announcements.announce(world.member, world.home, "Hi", "Hello")
    with pytest.raises(NotAllowed):
        announcements.announce(world.away_coordinator, world.home, "Hi", "Hello")
    # A title is one line: it becomes an email subject.
    notice = announcements.announce(world.coordinator, world.home, "Party\r\nBcc: x", "Hello")
    assert notice.title == "Party Bcc: x"


def test_the_database_refuses_an_empty_or_overlong_announcement(world):
    for title, body in (("", "Hello"), ("Hi", ""), ("Hi", "B" * 4001)):
        db.session.add(
            Announcement(
                community_id=world.home.id, author_id=world.coordinator.id, title=title, body=body
            )
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_announcements_are_rate_limited_per_coordinator(app, client, world):
    app.config["ANNOUNCEMENT_LIMIT"] = "2 per day"
    log_in(client, world.coordinator)
    bad = {"title": "", "body": "Hello"}
    assert_status(post(client, "/communities/northside/announcements", bad), 422)  # not counted
    for n in range(2):
        notice = {"title": f"Notice {n}", "body": "Hello"}
        assert_status(post(client, "/communities/northside/announcements", notice), 303)
    refused = post(client, "/communities/northside/announcements", NOTICE)
    assert_status(refused, 429)
    assert announcement_count() == 2
    admin = app.test_client()
    log_in(admin, world.admin)  # per coordinator, not for the whole community
    assert_status(post(admin, "/communities/northside/announcements", NOTICE), 303)


def test_the_list_is_newest_first_and_paged(client, world, monkeypatch):
    monkeypatch.setattr(announcements, "PER_PAGE", 2)
    for n in range(3):
        announcements.announce(world.coordinator, world.home, f"Notice {n}", "Hello")
    log_in(client, world.member)
    one = text(client.get("/communities/northside/announcements"))
    two = text(client.get("/communities/northside/announcements?page=2"))
    assert one.index("Notice 2") < one.index("Notice 1") and "Notice 0" not in one
    assert "Notice 0" in two and "Page 2 of 2" in two
    community_page = text(client.get("/communities/northside"))
    assert all(f"Notice {n}" in community_page for n in range(3))


def test_a_coordinators_export_holds_what_they_announced(client, world):
    announcements.announce(world.coordinator, world.home, "Street party", "Bring a chair.")
    log_in(client, world.coordinator)
    data = client.get("/settings/account/export").get_json()
    assert [(a["community"], a["title"], a["body"]) for a in data["announcements"]] == [
        ("Northside", "Street party", "Bring a chair.")
    ]
    log_in(client, world.member)
    assert client.get("/settings/account/export").get_json()["announcements"] == []
