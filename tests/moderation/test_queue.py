"""The moderation queue's rules: each action, the reports it answers, its line in the audit log,
the states a report goes through, and what the database refuses whatever the code does."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from commons.claims import services as claims
from commons.claims.models import Message
from commons.communities import services as communities
from commons.communities.models import Membership
from commons.communities.permissions import NotAllowed
from commons.database import now_utc
from commons.extensions import db
from commons.moderation import queue
from commons.moderation import services as moderation
from commons.moderation.models import ModerationAction, Report
from commons.notifications.models import Notification
from commons.posts.models import Post
from tests.links.conftest import bring_link
from tests.moderation.conftest import audit_lines, fresh, membership_status


def notified(user) -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Notification.text)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )


def line_of(action: ModerationAction) -> tuple:
    return (
        action.community_id,
        action.actor_id,
        action.action,
        action.target_type,
        action.target_id,
        action.report_id,
        action.note,
    )


# --- each action, what it does and what the log says ------------------------------------------


def test_dismissing_closes_the_report_and_changes_nothing_else(world, ladder, post_report):
    queue.act(world.coordinator, world.home, post_report, "dismiss", "Looks fine to me.")
    report = fresh(Report, post_report.id)
    assert (report.status, report.outcome, report.resolved_by_id) == (
        "dismissed",
        "dismiss",
        world.coordinator.id,
    )
    assert report.resolved_at is not None
    assert fresh(Post, ladder.id).hidden_at is None
    [line] = audit_lines()
    assert line_of(line) == (
        world.home.id,
        world.coordinator.id,
        "dismiss",
        "post",
        ladder.id,
        post_report.id,
        "Looks fine to me.",
    )
    assert notified(world.member) == []  # the author never hears of a dismissed report


def test_hiding_a_post_answers_every_report_on_it_and_tells_the_author(
    world, ladder, post_report, make_user
):
    # A second report on the same post, and one on something else that stays open.
    other = moderation.report_post(world.coordinator, ladder, "Spam, surely")
    unrelated = moderation.report_member(world.member, world.other_member, world.home, "Rude")
    before = fresh(Post, ladder.id).updated_at

    queue.act(world.admin, world.home, post_report, "hide_post", "Not a ladder.")

    post = fresh(Post, ladder.id)
    assert post.hidden_at is not None
    assert post.updated_at > before  # cached browse pages render again without it
    for report_id in (post_report.id, other.id):
        report = fresh(Report, report_id)
        assert (report.status, report.outcome, report.resolved_by_id) == (
            "actioned",
            "hide_post",
            world.admin.id,
        )
    assert fresh(Report, unrelated.id).status == "open"
    [line] = audit_lines()  # one action, one line
    assert line_of(line) == (
        world.home.id,
        world.admin.id,
        "hide_post",
        "post",
        ladder.id,
        post_report.id,
        "Not a ladder.",
    )
    assert notified(world.member) == [
        "Your post “Ladder to lend” was hidden by the coordinators of Northside. "
        "The people who answered it can still write to you."
    ]


def test_hiding_a_message_hides_that_message_only(world, thread):
    report = moderation.report_message(world.member, thread.from_claimant, "Calls me a fool")
    queue.act(world.coordinator, world.home, report, "hide_message")
    assert fresh(Message, thread.from_claimant.id).hidden_at is not None
    assert fresh(Message, thread.from_author.id).hidden_at is None
    assert fresh(Report, report.id).outcome == "hide_message"
    [line] = audit_lines()
    assert (line.action, line.target_type, line.target_id, line.note) == (
        "hide_message",
        "message",
        thread.from_claimant.id,
        "",
    )
    [told] = notified(world.other_member)
    assert told.startswith("A message you wrote about “Ladder to lend” was hidden")


def test_a_warning_sends_the_coordinators_words_to_the_member(world, thread):
    report = moderation.report_message(world.member, thread.from_claimant, "Calls me a fool")
    about_otto = moderation.report_member(world.member, world.other_member, world.home, "Rude")
    queue.act(world.coordinator, world.home, report, "warn", "  Please be kind in messages.  ")
    assert notified(world.other_member) == [
        "A warning from the coordinators of Northside: Please be kind in messages."
    ]
    # The warning answers the reports on Otto as a member too; the message stays as it was.
    assert fresh(Report, about_otto.id).outcome == "warn"
    assert fresh(Message, thread.from_claimant.id).hidden_at is None
    [line] = audit_lines()
    assert (line.action, line.target_type, line.target_id, line.note) == (
        "warn",
        "member",
        world.other_member.id,
        "Please be kind in messages.",
    )


def test_suspending_and_lifting_a_membership(world, ladder, post_report):
    about_mia = moderation.report_member(world.other_member, world.member, world.home, "Spams")
    queue.act(world.coordinator, world.home, post_report, "suspend", "Third time this week.")
    assert membership_status(world.home, world.member) == "suspended"
    assert fresh(Report, about_mia.id).outcome == "suspend"
    assert fresh(Post, ladder.id).hidden_at is None  # suspending hides nothing by itself
    assert [s.id for s in queue.suspended_members(world.home)] == [world.member.id]

    queue.lift_suspension(world.coordinator, world.home, world.member, "She apologised.")
    assert membership_status(world.home, world.member) == "active"
    assert queue.suspended_members(world.home) == []
    suspend, lift = audit_lines()
    assert line_of(suspend) == (
        world.home.id,
        world.coordinator.id,
        "suspend",
        "member",
        world.member.id,
        post_report.id,
        "Third time this week.",
    )
    assert line_of(lift) == (
        world.home.id,
        world.coordinator.id,
        "lift_suspension",
        "member",
        world.member.id,
        None,
        "She apologised.",
    )
    told = notified(world.member)
    assert told[0].startswith("Your membership of Northside is suspended")
    assert told[1] == "Your membership of Northside is active again."


# --- what can't be done ----------------------------------------------------------------------


@pytest.mark.parametrize("second", ["dismiss", "hide_post", "warn", "suspend"])
def test_a_handled_report_cannot_be_handled_again(world, ladder, post_report, second):
    queue.act(world.coordinator, world.home, post_report, "hide_post")
    with pytest.raises(queue.AlreadyHandled, match="already handled by Cora Coordinator: post"):
        queue.act(world.admin, world.home, post_report, second, "Again")
    assert len(audit_lines()) == 1
    assert membership_status(world.home, world.member) == "active"
    assert fresh(Report, post_report.id).resolved_by_id == world.coordinator.id


@pytest.mark.parametrize(
    "target, action, message",
    [
        ("post", "hide_message", "not about a message"),
        ("member", "hide_post", "not about a post"),
        ("member", "hide_message", "not about a message"),
    ],
)
def test_an_action_must_fit_the_report(world, ladder, target, action, message):
    report = (
        moderation.report_post(world.other_member, ladder, "Spam")
        if target == "post"
        else moderation.report_member(world.other_member, world.member, world.home, "Spam")
    )
    with pytest.raises(queue.NotPossible, match=message):
        queue.act(world.coordinator, world.home, report, action)
    assert fresh(Report, report.id).status == "open"  # the refused action left it open
    assert audit_lines() == []


def test_a_coordinator_cannot_be_suspended(world, make_user):
    report = moderation.report_member(world.member, world.coordinator, world.home, "Bossy")
    with pytest.raises(queue.NotPossible, match="coordinates Northside, so can't be suspended"):
        queue.act(world.admin, world.home, report, "suspend")
    assert membership_status(world.home, world.coordinator) == "active"
    assert fresh(Report, report.id).status == "open"
    # The database holds it too: a coordinator is always active.
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(Membership)
            .where(Membership.user_id == world.coordinator.id)
            .values(status="suspended")
        )
    db.session.rollback()


def test_someone_who_left_cannot_be_suspended(world, ladder, post_report):
    communities.leave(world.member, world.home)
    with pytest.raises(queue.NotPossible, match="Mia Member is not a member of Northside"):
        queue.act(world.coordinator, world.home, post_report, "suspend")


def test_nobody_but_an_admin_judges_a_report_about_themselves(world, second_coordinator):
    report = moderation.report_member(world.member, world.coordinator, world.home, "Bossy")
    with pytest.raises(queue.NotPossible, match="This report is about you"):
        queue.act(world.coordinator, world.home, report, "dismiss")
    [entry] = queue.queue(world.coordinator, world.home).open
    assert entry.actions == []
    [entry] = queue.queue(second_coordinator, world.home).open
    assert entry.actions == ["dismiss", "warn"]  # a coordinator can be warned, not suspended
    queue.act(second_coordinator, world.home, report, "dismiss")


@pytest.mark.parametrize(
    "action, note, message",
    [
        ("warn", "   ", "Please write the words the member will receive"),
        ("warn", "x" * (queue.WARNING_MAX + 1), "Please keep a warning under 180 characters"),
        ("dismiss", "x" * (queue.NOTE_MAX + 1), "Please keep the note under 500 characters"),
    ],
)
def test_a_note_must_be_sensible(world, ladder, post_report, action, note, message):
    with pytest.raises(queue.InvalidNote, match=message):
        queue.act(world.coordinator, world.home, post_report, action, note)
    assert fresh(Report, post_report.id).status == "open"
    assert audit_lines() == []
    assert notified(world.member) == []


def test_lifting_a_suspension_that_is_not_there_is_refused(world):
    with pytest.raises(queue.NotPossible, match="Mia Member is not suspended in Northside"):
        queue.lift_suspension(world.coordinator, world.home, world.member)
    assert audit_lines() == []


@pytest.mark.parametrize("role", ["member", "other_member", "away_coordinator", "away_member"])
def test_only_the_communitys_coordinators_and_admins_moderate(world, ladder, post_report, role):
    bring_link(world, "active")  # even linked, a coordinator of Southside has no say here
    person = getattr(world, role)
    with pytest.raises(NotAllowed):
        queue.act(person, world.home, post_report, "hide_post")
    with pytest.raises(NotAllowed):
        queue.queue(person, world.home)
    with pytest.raises(NotAllowed):
        queue.audit_log(person, world.home)
    with pytest.raises(NotAllowed):
        queue.lift_suspension(person, world.home, world.member)
    assert fresh(Post, ladder.id).hidden_at is None
    assert fresh(Report, post_report.id).status == "open"


def test_a_coordinator_of_another_community_cannot_act_through_their_own(
    world, ladder, post_report
):
    bring_link(world, "active")
    with pytest.raises(moderation.NotFound):
        queue.act(world.away_coordinator, world.away, post_report, "hide_post")
    with pytest.raises(moderation.NotFound):
        queue.get_report(world.away, post_report.id)
    assert fresh(Post, ladder.id).hidden_at is None


# --- the queue and the log as coordinators read them ---------------------------------------


def test_the_queue_offers_what_fits_each_report(world, thread):
    on_post = moderation.report_post(world.other_member, thread.post, "Spam")
    on_message = moderation.report_message(world.member, thread.from_claimant, "Rude")
    on_member = moderation.report_member(world.member, world.other_member, world.home, "Rude")
    board = queue.queue(world.coordinator, world.home)
    actions = {entry.report.id: entry.actions for entry in board.open}
    assert actions == {
        on_post.id: ["dismiss", "hide_post", "warn", "suspend"],
        on_message.id: ["dismiss", "hide_message", "warn", "suspend"],
        on_member.id: ["dismiss", "warn", "suspend"],
    }
    queue.act(world.coordinator, world.home, on_member, "suspend")
    board = queue.queue(world.coordinator, world.home)
    # Otto is suspended now: his message report can't suspend him again; the others moved on.
    assert {entry.report.id: entry.actions for entry in board.open} == {
        on_post.id: ["dismiss", "hide_post", "warn", "suspend"],
        on_message.id: ["dismiss", "hide_message", "warn"],
    }
    assert [entry.report.id for entry in board.handled] == [on_member.id]
    assert [person.id for person in board.suspended] == [world.other_member.id]


def test_the_log_is_newest_first_and_paged(world, thread):
    reports = [
        moderation.report_post(world.other_member, thread.post, "Spam"),
        moderation.report_message(world.member, thread.from_claimant, "Rude"),
        moderation.report_member(world.member, world.other_member, world.home, "Rude"),
    ]
    for report, action in zip(reports, ["dismiss", "hide_message", "warn"], strict=True):
        queue.act(world.coordinator, world.home, report, action, f"{action} it")
    first = queue.audit_log(world.coordinator, world.home, page=1, per_page=2)
    second = queue.audit_log(world.coordinator, world.home, page=2, per_page=2)
    assert (first.total, first.pages) == (3, 2)
    assert [line.action.action for line in first.lines + second.lines] == [
        "warn",
        "hide_message",
        "dismiss",
    ]
    assert [line.target for line in first.lines + second.lines] == [
        "Otto Other",
        "a message from Otto Other",
        "the post “Ladder to lend”",
    ]
    # Another community's log is its own.
    assert queue.audit_log(world.away_coordinator, world.away).lines == []


# --- what the database holds whatever the code does ----------------------------------------


def test_the_audit_log_is_append_only(world, ladder, post_report):
    queue.act(world.coordinator, world.home, post_report, "hide_post", "Spam")
    [line] = audit_lines()
    with pytest.raises(IntegrityError, match="append-only"):
        db.session.execute(
            update(ModerationAction).where(ModerationAction.id == line.id).values(note="Nothing")
        )
    db.session.rollback()
    assert audit_lines()[0].note == "Spam"


@pytest.mark.parametrize(
    "values",
    [
        {"status": "dismissed"},  # handled, but no outcome or time
        {"status": "actioned", "outcome": "dismiss", "resolved_at": now_utc()},
        {"status": "dismissed", "outcome": "hide_post", "resolved_at": now_utc()},
        {"outcome": "warn"},  # open, with an outcome
    ],
)
def test_a_report_outcome_matches_its_status(world, ladder, post_report, values):
    with pytest.raises(IntegrityError):
        db.session.execute(update(Report).where(Report.id == post_report.id).values(**values))
    db.session.rollback()


def test_only_lifting_a_suspension_answers_no_report(world):
    db.session.add(
        ModerationAction(
            community_id=world.home.id,
            actor_id=world.coordinator.id,
            action="warn",
            target_type="member",
            target_id=world.member.id,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_hidden_message_is_shown_as_hidden_in_the_thread(world, thread):
    report = moderation.report_message(world.member, thread.from_claimant, "Rude")
    queue.act(world.coordinator, world.home, report, "hide_message")
    shown = claims.thread(thread.claim, world.member)
    assert [m.hidden_at is not None for m in shown] == [False, True]
