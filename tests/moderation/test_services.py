"""Reports go to the right coordinators from people who can see the thing; blocks work both
ways."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commons.communities import services as communities
from commons.communities.permissions import NotAllowed
from commons.extensions import db
from commons.moderation import services as moderation
from commons.moderation.models import Block, Report
from commons.notifications.models import Notification


def reports() -> list[Report]:
    return list(db.session.scalars(select(Report).order_by(Report.id)))


def notified(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def block_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Block))


# --- reporting a post --------------------------------------------------------------------


def test_a_post_report_reaches_the_communitys_coordinators(world, ladder):
    report = moderation.report_post(world.other_member, ladder, "  It is not a ladder.  ")
    [saved] = reports()
    assert saved.id == report.id
    assert (saved.target, saved.post_id, saved.community_id) == ("post", ladder.id, world.home.id)
    assert (saved.reporter_id, saved.reason, saved.status) == (
        world.other_member.id,
        "It is not a ladder.",
        "open",
    )
    [note] = notified(world.coordinator)
    assert note.kind == "community"
    assert note.link == "/communities/northside/moderation"
    assert "Ladder to lend" in note.text
    # Nobody else hears of it: not the author, the reporter, or another community.
    for person in (world.member, world.other_member, world.away_coordinator, world.admin):
        assert notified(person) == []


@pytest.mark.parametrize("role", ["away_member", "away_coordinator", "stranger", "applicant"])
def test_only_people_who_can_see_a_post_may_report_it(world, ladder, role):
    with pytest.raises(moderation.NotFound):
        moderation.report_post(getattr(world, role), ladder, "Bad")
    with pytest.raises(moderation.NotFound):
        moderation.reportable_post(getattr(world, role), ladder.id)
    assert reports() == []


def test_a_public_post_may_be_reported_by_anyone_logged_in(world, ladder):
    ladder.visibility = "public"
    db.session.commit()
    moderation.report_post(world.away_member, ladder, "Spam")
    assert [r.community_id for r in reports()] == [world.home.id]


def test_nobody_reports_their_own_post(world, ladder):
    with pytest.raises(moderation.OwnContent):
        moderation.report_post(world.member, ladder, "Mine")
    assert reports() == []


def test_reporting_the_same_thing_twice_makes_one_report(world, ladder):
    moderation.report_post(world.other_member, ladder, "Spam")
    with pytest.raises(moderation.AlreadyReported):
        moderation.report_post(world.other_member, ladder, "Spam again")
    moderation.report_post(world.coordinator, ladder, "I agree")  # someone else still may
    assert len(reports()) == 2
    assert len(notified(world.coordinator)) == 1  # the coordinator's own report isn't news


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_a_report_needs_a_reason_of_sensible_length(world, ladder, reason):
    with pytest.raises(moderation.ModerationError):
        moderation.report_post(world.other_member, ladder, reason)
    assert reports() == []
    assert notified(world.coordinator) == []


# --- reporting a message -----------------------------------------------------------------


def test_either_party_may_report_the_others_message(world, thread):
    moderation.report_message(world.member, thread.from_claimant, "Rude")
    moderation.report_message(world.other_member, thread.from_author, "Odd")
    assert [(r.target, r.message_id, r.community_id) for r in reports()] == [
        ("message", thread.from_claimant.id, world.home.id),
        ("message", thread.from_author.id, world.home.id),
    ]
    assert len(notified(world.coordinator)) == 2


@pytest.mark.parametrize("role", ["coordinator", "admin", "away_coordinator", "stranger"])
def test_only_the_two_parties_may_report_a_message(world, thread, role):
    with pytest.raises(moderation.NotFound):
        moderation.report_message(getattr(world, role), thread.from_claimant, "Rude")
    with pytest.raises(moderation.NotFound):
        moderation.reportable_message(getattr(world, role), thread.from_claimant.id)
    assert reports() == []


def test_nobody_reports_their_own_message(world, thread):
    with pytest.raises(moderation.OwnContent):
        moderation.report_message(world.other_member, thread.from_claimant, "Oops")


# --- reporting a member ------------------------------------------------------------------


def test_a_member_report_goes_to_a_community_both_belong_to(world):
    moderation.report_member(world.member, world.other_member, world.home, "Shouts at people")
    [report] = reports()
    assert (report.target, report.member_id, report.community_id) == (
        "member",
        world.other_member.id,
        world.home.id,
    )
    assert len(notified(world.coordinator)) == 1
    assert notified(world.other_member) == []


def test_a_member_report_to_a_community_not_shared_is_refused(world):
    with pytest.raises(moderation.ModerationError):
        moderation.report_member(world.member, world.other_member, world.away, "Rude")
    assert reports() == []


def test_a_member_one_cannot_see_cannot_be_reported(world):
    with pytest.raises(moderation.NotFound):
        moderation.report_member(world.member, world.away_member, world.away, "Rude")
    with pytest.raises(moderation.OwnContent):
        moderation.report_member(world.member, world.member, world.home, "Me")
    assert reports() == []


def test_a_reported_coordinator_is_not_told_but_the_others_are(world):
    communities.promote(world.coordinator, world.home, world.other_member.id)
    moderation.report_member(world.member, world.coordinator, world.home, "Unfair")
    assert notified(world.coordinator) == []
    assert len(notified(world.other_member)) == 1


def test_shared_communities(world):
    communities.join(world.member, world.away)
    communities.join(world.other_member, world.away)
    assert [c.name for c in moderation.shared_communities(world.member, world.other_member)] == [
        "Northside",
        "Southside",
    ]
    assert [c.name for c in moderation.shared_communities(world.admin, world.away_member)] == [
        "Southside"
    ]


# --- the coordinators' list --------------------------------------------------------------


def test_reports_for_lists_open_reports_with_what_they_are_about(world, thread):
    moderation.report_post(world.other_member, thread.post, "Not a ladder")
    moderation.report_message(world.member, thread.from_claimant, "Rude")
    moderation.report_member(world.member, world.other_member, world.home, "Shouts")
    outside = communities.create_community(
        world.away_coordinator,
        name="Eastside",
        description="",
        join_policy="open",
        centre_lat=51.5,
        centre_lon=-2.5,
        radius_km=1,
        neighbourhoods=[],
    )
    db.session.add(
        Report(
            community_id=outside.id,
            reporter_id=world.away_member.id,
            target="member",
            member_id=world.away_coordinator.id,
            reason="Other",
        )
    )
    db.session.commit()

    for person in (world.coordinator, world.admin):
        page = moderation.reports_for(person, world.home)
        assert page.total == 3
        member_entry, message_entry, post_entry = page.entries  # newest first
        assert post_entry.post.id == thread.post.id and post_entry.reporter == world.other_member
        assert message_entry.message.body == "You fool."
        assert member_entry.member == world.other_member


@pytest.mark.parametrize("role", ["member", "other_member", "away_coordinator", "stranger"])
def test_only_the_communitys_coordinators_and_admins_see_its_reports(world, ladder, role):
    moderation.report_post(world.other_member, ladder, "Spam")
    with pytest.raises(NotAllowed):
        moderation.reports_for(getattr(world, role), world.home)


# --- blocking ----------------------------------------------------------------------------


def test_a_block_works_both_ways_until_lifted(world):
    member, other = world.member, world.other_member
    assert not moderation.is_blocked_between(member, other)
    moderation.block(member, other)
    assert moderation.is_blocked_between(member, other)
    assert moderation.is_blocked_between(other, member)
    assert moderation.is_blocked_between(member.id, other.id)
    assert not moderation.is_blocked_between(member, world.coordinator)
    assert moderation.blocked_ids(member) == {other.id}
    assert moderation.blocked_ids(other) == {member.id}
    assert moderation.has_blocked(member, other) and not moderation.has_blocked(other, member)

    moderation.unblock(member, other)
    assert not moderation.is_blocked_between(member, other)
    assert moderation.blocked_ids(member) == set()


def test_blocking_twice_keeps_one_block(world):
    moderation.block(world.member, world.other_member)
    moderation.block(world.member, world.other_member)
    assert block_count() == 1


def test_both_may_block_each_other_and_each_lifts_only_their_own(world):
    moderation.block(world.member, world.other_member)
    moderation.block(world.other_member, world.member)
    moderation.unblock(world.member, world.other_member)
    assert moderation.is_blocked_between(world.member, world.other_member)
    assert moderation.blocked_ids(world.member) == {world.other_member.id}


def test_nobody_blocks_themselves_or_a_stranger(world):
    with pytest.raises(moderation.OwnContent):
        moderation.block(world.member, world.member)
    with pytest.raises(moderation.NotFound):
        moderation.block(world.member, world.away_member)
    with pytest.raises(moderation.NotFound):
        moderation.unblock(world.member, world.away_member)
    assert block_count() == 0


def test_a_block_can_be_lifted_after_leaving_the_community(world):
    moderation.block(world.member, world.other_member)
    communities.leave(world.other_member, world.home)
    moderation.unblock(world.member, world.other_member)
    assert block_count() == 0
