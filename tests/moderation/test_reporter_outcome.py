"""Reporters are told their report was handled, in neutral words: that a coordinator looked
at it, and whether it was dealt with or nothing needed doing; never what was done to the other
member. The member reported never learns who reported them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commons.accounts.models import User
from commons.communities import services as communities
from commons.database import write_transaction
from commons.extensions import db
from commons.mail import outbox
from commons.moderation import queue
from commons.moderation import services as moderation
from commons.moderation.models import Report
from commons.notifications.models import Notification
from tests.conftest import log_in, text

DEALT_WITH = "A coordinator has looked at it and dealt with it."
NOTHING_TO_DO = "A coordinator has looked at it and found nothing to act on this time."
# Words that would tell the reporter what happened to the other member.
ACTION_WORDS = ("hidden", "hide", "warn", "suspend", "Mia", "Member")


def thanks_to(user: User) -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Notification.text)
            .where(Notification.user_id == user.id, Notification.text.startswith("Thanks for"))
            .order_by(Notification.id)
        )
    )


def everything_told_to(user: User) -> str:
    db.session.rollback()
    return " ".join(
        db.session.scalars(select(Notification.text).where(Notification.user_id == user.id))
    )


@pytest.mark.parametrize(
    "action, words",
    [
        ("dismiss", NOTHING_TO_DO),
        ("hide_post", DEALT_WITH),
        ("warn", DEALT_WITH),
        ("suspend", DEALT_WITH),
    ],
)
def test_a_post_reporter_hears_the_outcome_in_neutral_words(world, post_report, action, words):
    queue.act(world.coordinator, world.home, post_report, action, "Please be kind.")
    [thanks] = thanks_to(world.other_member)
    assert thanks.startswith("Thanks for your report about the post “Ladder to lend”.")
    assert words in thanks
    assert not any(word in thanks for word in ACTION_WORDS), thanks
    # The member reported hears of the action (if any) but never of who reported.
    told = everything_told_to(world.member)
    assert "Otto" not in told and "report" not in told.lower()


@pytest.mark.parametrize("action", ["dismiss", "hide_message", "warn", "suspend"])
def test_a_message_reporter_hears_the_outcome(world, thread, action):
    report = moderation.report_message(world.member, thread.from_claimant, "Rude.")
    queue.act(world.coordinator, world.home, report, action, "Please be kind.")
    [thanks] = thanks_to(world.member)
    assert thanks.startswith("Thanks for your report about a message about “Ladder to lend”.")
    assert (NOTHING_TO_DO if action == "dismiss" else DEALT_WITH) in thanks
    assert "Mia" not in everything_told_to(world.other_member)


@pytest.mark.parametrize("action", ["dismiss", "warn", "suspend"])
def test_a_member_reporter_hears_the_outcome_without_the_members_name(world, action):
    report = moderation.report_member(world.member, world.other_member, world.home, "Shouts.")
    queue.act(world.coordinator, world.home, report, action, "Please be kind.")
    [thanks] = thanks_to(world.member)
    assert thanks.startswith("Thanks for your report about a member.")
    assert "Otto" not in thanks
    assert (NOTHING_TO_DO if action == "dismiss" else DEALT_WITH) in thanks
    assert "Mia" not in everything_told_to(world.other_member)


def test_every_reporter_answered_by_one_action_is_thanked(world, ladder, post_report, make_user):
    tess = make_user("Tess Third")
    communities.join(tess, world.home)
    communities.decide_request(world.coordinator, world.home, tess.id, approve=True)
    second = moderation.report_post(tess, ladder, "Also not a ladder.")
    about_mia = moderation.report_member(tess, world.member, world.home, "Keeps posting junk.")
    queue.act(world.coordinator, world.home, post_report, "hide_post")
    assert len(thanks_to(world.other_member)) == 1
    [thanks] = thanks_to(tess)  # for the other report on the post; the one about Mia is open
    assert thanks == f"Thanks for your report about the post “Ladder to lend”. {DEALT_WITH}"
    assert db.session.get(Report, second.id).status == "actioned"
    assert db.session.get(Report, about_mia.id).status == "open"

    queue.act(world.coordinator, world.home, about_mia, "warn", "Please post real things.")
    assert thanks_to(tess)[-1] == f"Thanks for your report about a member. {DEALT_WITH}"


def test_a_report_handled_by_someone_else_first_thanks_once(world, post_report, second_coordinator):
    queue.act(world.coordinator, world.home, post_report, "dismiss")
    with pytest.raises(queue.AlreadyHandled):
        queue.act(second_coordinator, world.home, post_report, "hide_post")
    assert len(thanks_to(world.other_member)) == 1


def test_nothing_is_said_when_the_action_is_refused(world, post_report):
    with pytest.raises(queue.InvalidNote):
        queue.act(world.coordinator, world.home, post_report, "warn", "")
    assert thanks_to(world.other_member) == []


def test_a_coordinator_who_reported_is_not_thanked_for_their_own_handling(
    world, ladder, second_coordinator
):
    report = moderation.report_post(second_coordinator, ladder, "Not a ladder.")
    queue.act(second_coordinator, world.home, report, "dismiss")
    assert thanks_to(second_coordinator) == []


def test_the_reporter_can_read_it_in_the_app_and_by_email(client, world, post_report):
    queue.act(world.coordinator, world.home, post_report, "hide_post")
    [email] = [m for m in outbox() if m.to == world.other_member.email]
    assert "Thanks for your report" in email.body and DEALT_WITH in email.body
    log_in(client, world.other_member)
    assert "Thanks for your report about the post" in text(client.get("/notifications"))


def test_a_former_member_who_reported_is_not_told(world, post_report):
    with write_transaction():
        world.other_member.deleted_at = world.other_member.created_at
    queue.act(world.coordinator, world.home, post_report, "dismiss")
    assert thanks_to(world.other_member) == []
