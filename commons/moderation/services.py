"""Reporting posts, messages and members to a community's coordinators, and blocking.

A report goes to the coordinators of the community the thing belongs to, and only someone who
can see the thing may report it. A block works in both directions: other features ask
`is_blocked_between` or `blocked_ids` before letting two members claim, write or be matched.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from ..accounts.export import eraser, exporter
from ..accounts.models import User
from ..claims.models import Message
from ..communities.models import Community, Membership
from ..communities.permissions import require_coordinator
from ..communities.services import coordinators
from ..database import write_transaction
from ..extensions import db
from ..notifications.services import notify
from ..posts.models import Post
from ..posts.visibility import can_see
from ..profiles.services import can_view_profile
from .models import Block, Report

REASON_MAX = 1000
REPORTS_PER_PAGE = 50


class ModerationError(Exception):
    """A moderation rule refused the request; the message is for the member."""


class NotFound(LookupError):
    """The thing does not exist or the member may not see it; answered as 404 either way, so
    nobody learns what exists beyond what they can see."""


class AlreadyReported(ModerationError):
    def __init__(self) -> None:
        super().__init__("You have already reported this. The coordinators will look at it.")


class OwnContent(ModerationError):
    """Reporting or blocking yourself."""


# --- what a member may report ----------------------------------------------------------------


def reportable_post(reporter: User, post_id: int) -> Post:
    """The post, if the reporter can see it. Raises NotFound."""
    post = db.session.get(Post, post_id)
    if post is None or not can_see(reporter, post):
        raise NotFound(post_id)
    return post


def _is_party(user: User, message: Message) -> bool:
    claim = message.claim
    return user.id in (claim.claimant_id, claim.post.author_id)


def reportable_message(reporter: User, message_id: int) -> Message:
    """The message, if the reporter is one of the two people in its claim. Raises NotFound."""
    message = db.session.get(Message, message_id)
    if message is None or not _is_party(reporter, message):
        raise NotFound(message_id)
    return message


def visible_member(viewer: User, member_id: int) -> User:
    """The member, if the viewer may see their profile. Raises NotFound."""
    member = db.session.get(User, member_id)
    if member is None or not can_view_profile(viewer, member):
        raise NotFound(member_id)
    return member


def shared_communities(reporter: User, member: User) -> list[Community]:
    """Where the reporter may report the member: communities both are active in (for an admin,
    every community the member is active in)."""
    statement = (
        select(Community)
        .join(Membership)
        .where(Membership.user_id == member.id, Membership.status == "active")
        .order_by(Community.name)
    )
    if not reporter.is_admin:
        mine = select(Membership.community_id).where(
            Membership.user_id == reporter.id, Membership.status == "active"
        )
        statement = statement.where(Community.id.in_(mine))
    return list(db.session.scalars(statement))


# --- reporting -------------------------------------------------------------------------------


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError("Please say what is wrong.")
    if len(reason) > REASON_MAX:
        raise ModerationError(f"Please keep the reason under {REASON_MAX} characters.")
    return reason


def _file_report(
    reporter: User,
    community: Community,
    reason: str,
    *,
    target: str,
    target_id: int,
    about: str,
    reported_user_id: int,
) -> Report:
    """Save the report and tell the community's coordinators, in one transaction. The person
    reported is not told, even when they coordinate the community."""
    reason = _clean_reason(reason)
    target_column = f"{target}_id"  # post_id, message_id or member_id
    with write_transaction():
        duplicate = db.session.scalar(
            select(Report.id).where(
                Report.reporter_id == reporter.id,
                Report.target == target,
                getattr(Report, target_column) == target_id,
                Report.status == "open",
            )
        )
        if duplicate is not None:
            raise AlreadyReported()
        report = Report(
            community_id=community.id,
            reporter_id=reporter.id,
            target=target,
            reason=reason,
            **{target_column: target_id},
        )
        db.session.add(report)
        for coordinator in coordinators(community):
            if coordinator.id in (reporter.id, reported_user_id):
                continue
            notify(
                coordinator,
                "community",
                f"New report in {community.name}: {about}.",
                f"/communities/{community.slug}/moderation",
            )
    return report


def report_post(reporter: User, post: Post, reason: str) -> Report:
    """Report a post the reporter can see to its community's coordinators.
    Raises NotFound, OwnContent, AlreadyReported or ModerationError (bad reason)."""
    if not can_see(reporter, post):
        raise NotFound(post.id)
    if post.author_id == reporter.id:
        raise OwnContent("This is your own post. You can edit or close it instead.")
    return _file_report(
        reporter,
        post.community,
        reason,
        about=f"the post “{post.title}”",
        target="post",
        target_id=post.id,
        reported_user_id=post.author_id,
    )


def report_message(reporter: User, message: Message, reason: str) -> Report:
    """Report a message of a claim the reporter is a party to, to the coordinators of the
    post's community. Raises NotFound, OwnContent, AlreadyReported or ModerationError."""
    if not _is_party(reporter, message):
        raise NotFound(message.id)
    if message.author_id == reporter.id:
        raise OwnContent("This is your own message.")
    post = message.claim.post
    return _file_report(
        reporter,
        post.community,
        reason,
        about=f"a message about “{post.title}”",
        target="message",
        target_id=message.id,
        reported_user_id=message.author_id,
    )


def report_member(reporter: User, member: User, community: Community, reason: str) -> Report:
    """Report a member to the coordinators of a community both belong to.
    Raises NotFound, OwnContent, AlreadyReported or ModerationError."""
    if member.id == reporter.id:
        raise OwnContent("You can't report yourself.")
    if not can_view_profile(reporter, member):
        raise NotFound(member.id)
    if community.id not in {c.id for c in shared_communities(reporter, member)}:
        raise ModerationError("You can only report someone to a community you both belong to.")
    return _file_report(
        reporter,
        community,
        reason,
        about=f"the member {member.display_name}",
        target="member",
        target_id=member.id,
        reported_user_id=member.id,
    )


# --- the coordinators' list ------------------------------------------------------------------


@dataclass(frozen=True)
class ReportEntry:
    report: Report
    reporter: User
    post: Post | None
    message: Message | None
    member: User | None

    @property
    def person(self) -> User | None:
        """Whom the report is about: the post's or the message's author, or the member."""
        if self.post is not None:
            return self.post.author
        if self.message is not None:
            return self.message.author
        return self.member


@dataclass(frozen=True)
class ReportPage:
    entries: list[ReportEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _by_id(model, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def reports_for(
    coordinator: User,
    community: Community,
    page: int = 1,
    per_page: int = REPORTS_PER_PAGE,
    *,
    handled: bool = False,
) -> ReportPage:
    """Open reports to this community, newest first, with what they are about; or with
    `handled`, the reports already handled, the latest handled first. Only its coordinators and
    admins; raises NotAllowed for anyone else."""
    require_coordinator(coordinator, community)
    where = (
        Report.community_id == community.id,
        Report.status != "open" if handled else Report.status == "open",
    )
    order = (
        (Report.resolved_at.desc(), Report.id.desc())
        if handled
        else (Report.created_at.desc(), Report.id.desc())
    )
    total = db.session.scalar(select(func.count()).select_from(Report).where(*where)) or 0
    page = max(1, page)
    reports = list(
        db.session.scalars(
            select(Report)
            .where(*where)
            .order_by(*order)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    # A handful of queries for the whole page, not a few per report.
    posts = _by_id(Post, {r.post_id for r in reports if r.post_id})
    messages = _by_id(Message, {r.message_id for r in reports if r.message_id})
    people = _by_id(
        User,
        {r.reporter_id for r in reports}
        | {r.resolved_by_id for r in reports if r.resolved_by_id}
        | {r.member_id for r in reports if r.member_id}
        | {p.author_id for p in posts.values()}
        | {m.author_id for m in messages.values()},
    )
    entries = [
        ReportEntry(
            report=r,
            reporter=people[r.reporter_id],
            post=posts.get(r.post_id) if r.post_id else None,
            message=messages.get(r.message_id) if r.message_id else None,
            member=people.get(r.member_id) if r.member_id else None,
        )
        for r in reports
    ]
    return ReportPage(entries, total, page, per_page)


# --- telling reporters the outcome ------------------------------------------------------------

# What a reporter hears when their report is handled. Neutral on purpose: the reporter learns
# that it was looked at, never what was done to the other member (a warning or a suspension is
# between that member and the coordinators).
OUTCOME_WORDS = {
    "dismissed": (
        "A coordinator has looked at it and found nothing to act on this time. "
        "Please keep telling us when something seems wrong."
    ),
    "actioned": "A coordinator has looked at it and dealt with it.",
}


def _about_for_reporter(report: Report, posts: dict[int, Post], messages: dict) -> str:
    if report.target == "post" and report.post_id in posts:
        return f"the post “{posts[report.post_id].title}”"
    if report.target == "message" and report.message_id in messages:
        return f"a message about “{messages[report.message_id].claim.post.title}”"
    if report.target == "message":
        return "a message"
    return "a member"


def tell_reporters(actor: User, report_ids: list[int], outcome: str) -> None:
    """Thank the members who made these reports, now handled with `outcome` ("dismiss" or an
    action), inside the caller's transaction. Nobody is told of their own handling (a
    coordinator who reported and then acted), and the member reported never learns who
    reported them: they get no word of this at all."""
    if not report_ids:
        return
    reports = list(db.session.scalars(select(Report).where(Report.id.in_(report_ids))))
    reports = [r for r in reports if r.reporter_id != actor.id]
    if not reports:
        return
    posts = _by_id(Post, {r.post_id for r in reports if r.post_id})
    messages = _by_id(Message, {r.message_id for r in reports if r.message_id})
    reporters = _by_id(User, {r.reporter_id for r in reports})
    communities = _by_id(Community, {r.community_id for r in reports})
    words = OUTCOME_WORDS["dismissed" if outcome == "dismiss" else "actioned"]
    for report in sorted(reports, key=lambda r: r.id):
        about = _about_for_reporter(report, posts, messages)
        notify(
            reporters[report.reporter_id],
            "community",
            f"Thanks for your report about {about}. {words}",
            f"/communities/{communities[report.community_id].slug}",
        )


# --- blocking --------------------------------------------------------------------------------


def _id(person: User | int) -> int:
    return person if isinstance(person, int) else person.id


def is_blocked_between(a: User | int, b: User | int) -> bool:
    """Whether either of the two has blocked the other."""
    a_id, b_id = _id(a), _id(b)
    found = db.session.scalar(
        select(Block.blocker_id)
        .where(
            or_(
                (Block.blocker_id == a_id) & (Block.blocked_id == b_id),
                (Block.blocker_id == b_id) & (Block.blocked_id == a_id),
            )
        )
        .limit(1)
    )
    return found is not None


def blocked_ids(user: User | int) -> set[int]:
    """Everyone with a block between them and `user`, in either direction: the people `user`
    must not be paired with, claim from or write to."""
    user_id = _id(user)
    blocked = select(Block.blocked_id).where(Block.blocker_id == user_id)
    blockers = select(Block.blocker_id).where(Block.blocked_id == user_id)
    return set(db.session.scalars(blocked.union(blockers)))


def has_blocked(blocker: User, member: User) -> bool:
    """Whether `blocker` blocked `member` (one direction: what their own profile page shows)."""
    return db.session.get(Block, (blocker.id, member.id)) is not None


def block(blocker: User, member: User) -> None:
    """Block a member whose profile the blocker can see; blocking again changes nothing.
    Raises OwnContent or NotFound."""
    if member.id == blocker.id:
        raise OwnContent("You can't block yourself.")
    if not can_view_profile(blocker, member):
        raise NotFound(member.id)
    try:
        with write_transaction():
            if db.session.get(Block, (blocker.id, member.id)) is None:
                db.session.add(Block(blocker_id=blocker.id, blocked_id=member.id))
    except IntegrityError:
        # The same block sent twice at once: the other request saved it.
        if not has_blocked(blocker, member):
            raise


def unblock(blocker: User, member: User) -> None:
    """Lift a block. Works even when the two no longer share a community; otherwise a member
    one can't see answers NotFound. Unblocking someone not blocked changes nothing.
    Raises OwnContent or NotFound."""
    if member.id == blocker.id:
        raise OwnContent("You can't block or unblock yourself.")
    if not has_blocked(blocker, member) and not can_view_profile(blocker, member):
        raise NotFound(member.id)
    with write_transaction():
        db.session.execute(
            delete(Block).where(Block.blocker_id == blocker.id, Block.blocked_id == member.id)
        )


@exporter("blocks")
def _export_blocks(user: User) -> list[str]:
    """Whom the member blocked (by name); who blocked them is not theirs to know."""
    return list(
        db.session.scalars(
            select(User.display_name)
            .join(Block, Block.blocked_id == User.id)
            .where(Block.blocker_id == user.id)
        )
    )


@exporter("reports")
def _export_reports(user: User) -> list[dict[str, str]]:
    rows = db.session.scalars(select(Report).where(Report.reporter_id == user.id))
    return [{"about": r.target, "reason": r.reason, "at": r.created_at.isoformat()} for r in rows]


@eraser
def _erase_blocks(user: User) -> None:
    db.session.execute(
        delete(Block).where(or_(Block.blocker_id == user.id, Block.blocked_id == user.id))
    )
