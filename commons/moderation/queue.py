"""The moderation queue: what a community's coordinators do about reports, suspensions, and the
audit log of it all.

Who: the community's coordinators and admins (`permissions.require_may_moderate`). A
coordinator acts for the community whose queue it is, with their own membership there: a
report belongs to one community, so a coordinator of A never handles B's reports, linked or
not.

A report's states (anything else is refused):
    open -> dismissed   dismiss
    open -> actioned    hide_post (a report on a post), hide_message (on a message),
                        warn or suspend (whoever wrote the post or message, or the member)
`AlreadyHandled` (409): the report is no longer open, because another coordinator acted
first. `NotPossible` (409): the action does not fit the report (no post to hide, a
coordinator to suspend, someone who has left). `InvalidNote` (422): a warning without words,
a note that is too long.

Each action is one transaction: a conditional `UPDATE reports ... WHERE id = :id AND status =
'open'` takes the report (0 rows: someone else handled it, and nothing else is written); then
the action itself; then the other open reports it answers (every report on the same post or
message; a warning or suspension also answers the reports on that member); then one line in
`moderation_actions`, the append-only audit log. Two coordinators acting on one report at the
same instant: one wins, the other gets AlreadyHandled, on SQLite and PostgreSQL alike (the
second UPDATE waits for the first's row lock and then finds the report handled).

A suspension moves the membership `active -> suspended`, and lifting it `suspended ->
active`, each with a conditional UPDATE. A suspended member is not an active one, so they no
longer see the community's posts, and `communities.permissions.require_not_suspended` keeps
them from posting, answering and writing there. Coordinators can't be suspended (the
database holds that a coordinator is always active): they step down, or an admin removes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from ..accounts.models import User
from ..claims.models import Message
from ..communities.models import Community, Membership
from ..database import now_utc, write_transaction
from ..extensions import db
from ..notifications.services import notify
from ..posts.models import Post
from . import services
from .models import ModerationAction, Report
from .permissions import handles_own_report, require_may_moderate

NOTE_MAX = 500
# A warning travels as a notification (300 characters, with the community's name before it).
WARNING_MAX = 180
HANDLED_SHOWN = 20
LOG_PER_PAGE = 50

# What each outcome reads as, on the queue and in the log.
ACTION_WORDS = {
    "dismiss": "Dismissed",
    "hide_post": "Post hidden",
    "hide_message": "Message hidden",
    "warn": "Member warned",
    "suspend": "Membership suspended",
    "lift_suspension": "Suspension lifted",
}


class QueueError(Exception):
    """A moderation action was refused; the message is for the coordinator."""


class AlreadyHandled(QueueError):
    """The report is no longer open: someone handled it first (409)."""

    def __init__(self, report: Report) -> None:
        by = f" by {report.resolved_by.public_name}" if report.resolved_by else ""
        outcome = ACTION_WORDS.get(report.outcome or "", "Handled").lower()
        super().__init__(f"This report was already handled{by}: {outcome}.")


class NotPossible(QueueError):
    """The action does not fit the report or the member's membership now (409)."""


class InvalidNote(QueueError):
    """The note (a warning's words) is missing or too long: the form is shown again (422)."""


# --- reading ---------------------------------------------------------------------------------


def get_report(community: Community, report_id: int) -> Report:
    """The report if it was made to `community`; raises services.NotFound otherwise (another
    community's report answers as if it did not exist)."""
    report = db.session.get(Report, report_id)
    if report is None or report.community_id != community.id:
        raise services.NotFound(report_id)
    return report


def _memberships(community: Community, user_ids: set[int]) -> dict[int, Membership]:
    if not user_ids:
        return {}
    rows = db.session.scalars(
        select(Membership).where(
            Membership.community_id == community.id, Membership.user_id.in_(user_ids)
        )
    )
    return {m.user_id: m for m in rows}


def _may_suspend(membership: Membership | None) -> bool:
    return membership is not None and membership.status == "active" and membership.role == "member"


def possible_actions(
    viewer: User, entry: services.ReportEntry, membership: Membership | None
) -> list[str]:
    """What `viewer` can do about an open report now (the queue's buttons): `membership` is the
    reported person's membership of the community, if any."""
    report = entry.report
    person = entry.person
    if report.status != "open" or handles_own_report(viewer, person.id if person else None):
        return []
    actions = ["dismiss"]
    if entry.post is not None and entry.post.hidden_at is None:
        actions.append("hide_post")
    if entry.message is not None and entry.message.hidden_at is None:
        actions.append("hide_message")
    if person is not None and person.deleted_at is None:
        actions.append("warn")
        if _may_suspend(membership):
            actions.append("suspend")
    return actions


@dataclass(frozen=True)
class QueueEntry:
    entry: services.ReportEntry
    actions: list[str]
    membership: Membership | None  # the reported person's, in this community

    @property
    def report(self) -> Report:
        return self.entry.report

    @property
    def is_suspended(self) -> bool:
        return self.membership is not None and self.membership.status == "suspended"


@dataclass(frozen=True)
class Queue:
    open: list[QueueEntry]
    open_total: int
    page: int
    pages: int
    handled: list[QueueEntry]
    suspended: list[User]


def queue(viewer: User, community: Community, page: int = 1) -> Queue:
    """The queue page: one page of open reports, newest first, each with what can be done; the
    latest handled reports with their outcome; the suspended members. Raises NotAllowed."""
    require_may_moderate(viewer, community)
    open_page = services.reports_for(viewer, community, page)
    handled_page = services.reports_for(viewer, community, 1, HANDLED_SHOWN, handled=True)
    entries = open_page.entries + handled_page.entries
    members = _memberships(community, {e.person.id for e in entries if e.person is not None})

    def wrap(entry: services.ReportEntry) -> QueueEntry:
        membership = members.get(entry.person.id) if entry.person is not None else None
        return QueueEntry(entry, possible_actions(viewer, entry, membership), membership)

    return Queue(
        open=[wrap(e) for e in open_page.entries],
        open_total=open_page.total,
        page=open_page.page,
        pages=open_page.pages,
        handled=[wrap(e) for e in handled_page.entries],
        suspended=suspended_members(community),
    )


def suspended_members(community: Community) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.community_id == community.id, Membership.status == "suspended")
            .order_by(func.lower(User.display_name), User.id)
        )
    )


# --- acting ----------------------------------------------------------------------------------


def _clean_note(note: str, *, warning: bool) -> str:
    note = (note or "").strip()
    if warning and not note:
        raise InvalidNote("Please write the words the member will receive as a warning.")
    limit = WARNING_MAX if warning else NOTE_MAX
    if len(note) > limit:
        if warning:
            raise InvalidNote(
                f"Please keep a warning under {WARNING_MAX} characters: it is sent as a "
                "notification."
            )
        raise InvalidNote(f"Please keep the note under {NOTE_MAX} characters.")
    return note


def _take(report: Report, actor: User, outcome: str) -> None:
    """Mark the report handled unless someone else handled it first (AlreadyHandled)."""
    taken = db.session.execute(
        update(Report)
        .where(Report.id == report.id, Report.status == "open")
        .values(
            status="dismissed" if outcome == "dismiss" else "actioned",
            outcome=outcome,
            resolved_at=now_utc(),
            resolved_by_id=actor.id,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(report)
    if taken != 1:
        raise AlreadyHandled(report)
    services.tell_reporters(actor, [report.id], outcome)


def _answer_others(actor: User, report: Report, outcome: str, *conditions: Any) -> None:
    """Resolve the community's other open reports that this action answers, and thank their
    reporters."""
    answered = db.session.scalars(
        update(Report)
        .where(
            Report.community_id == report.community_id,
            Report.status == "open",
            Report.id != report.id,
            *conditions,
        )
        .values(status="actioned", outcome=outcome, resolved_at=now_utc(), resolved_by_id=actor.id)
        .returning(Report.id)
        .execution_options(synchronize_session=False)
    ).all()
    services.tell_reporters(actor, list(answered), outcome)


def _target_of(report: Report) -> tuple[str, int]:
    target_id = {"post": report.post_id, "message": report.message_id}.get(
        report.target, report.member_id
    )
    assert target_id is not None  # the target's row goes with its reports (cascade)
    return report.target, target_id


def _person_of(report: Report) -> User:
    if report.target == "post":
        return db.session.get(Post, report.post_id).author  # type: ignore[union-attr]
    if report.target == "message":
        return db.session.get(Message, report.message_id).author  # type: ignore[union-attr]
    return db.session.get(User, report.member_id)  # type: ignore[return-value]


def _hide_post(actor: User, community: Community, report: Report, note: str) -> tuple[str, int]:
    if report.target != "post":
        raise NotPossible("This report is not about a post, so there is no post to hide.")
    now = now_utc()
    # updated_at moves too, so cached browse pages render afresh without the post.
    hidden = db.session.execute(
        update(Post)
        .where(Post.id == report.post_id, Post.hidden_at.is_(None))
        .values(hidden_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    post = db.session.get(Post, report.post_id)
    assert post is not None
    db.session.refresh(post)
    _answer_others(actor, report, "hide_post", Report.post_id == post.id)
    if hidden:
        notify(
            post.author,
            "community",
            f"Your post “{post.title}” was hidden by the coordinators of {community.name}. "
            "The people who answered it can still write to you.",
            f"/posts/{post.id}",
        )
    return "post", post.id


def _hide_message(actor: User, community: Community, report: Report, note: str) -> tuple[str, int]:
    if report.target != "message":
        raise NotPossible("This report is not about a message, so there is no message to hide.")
    hidden = db.session.execute(
        update(Message)
        .where(Message.id == report.message_id, Message.hidden_at.is_(None))
        .values(hidden_at=now_utc())
        .execution_options(synchronize_session=False)
    ).rowcount
    message = db.session.get(Message, report.message_id)
    assert message is not None
    db.session.refresh(message)
    _answer_others(actor, report, "hide_message", Report.message_id == message.id)
    if hidden:
        notify(
            message.author,
            "community",
            f"A message you wrote about “{message.claim.post.title}” was hidden by the "
            f"coordinators of {community.name}.",
            f"/claims/{message.claim_id}#message-{message.id}",
        )
    return "message", message.id


def _about_member(person: User) -> Any:
    return (Report.target == "member") & (Report.member_id == person.id)


def _warn(actor: User, community: Community, report: Report, note: str) -> tuple[str, int]:
    person = _person_of(report)
    if person.deleted_at is not None:
        raise NotPossible("This account has been deleted, so there is nobody to warn.")
    notify(
        person,
        "community",
        f"A warning from the coordinators of {community.name}: {note}",
        f"/communities/{community.slug}",
    )
    _answer_others(actor, report, "warn", _about_member(person))
    return "member", person.id


def _suspend(actor: User, community: Community, report: Report, note: str) -> tuple[str, int]:
    person = _person_of(report)
    suspended = db.session.execute(
        update(Membership)
        .where(
            Membership.community_id == community.id,
            Membership.user_id == person.id,
            Membership.status == "active",
            Membership.role == "member",
        )
        .values(status="suspended")
        .execution_options(synchronize_session=False)
    ).rowcount
    if suspended != 1:
        membership = db.session.scalar(
            select(Membership)
            .where(Membership.community_id == community.id, Membership.user_id == person.id)
            .execution_options(populate_existing=True)
        )
        if membership is None or membership.status == "pending":
            raise NotPossible(f"{person.public_name} is not a member of {community.name}.")
        if membership.role == "coordinator":
            raise NotPossible(
                f"{person.public_name} coordinates {community.name}, so can't be suspended. "
                "A coordinator steps down by leaving; an admin can remove them."
            )
        raise NotPossible(f"{person.public_name} is already suspended.")
    notify(
        person,
        "community",
        f"Your membership of {community.name} is suspended by its coordinators: you can't "
        "see its members' posts, post, answer or write there until they lift it.",
        f"/communities/{community.slug}",
    )
    _answer_others(actor, report, "suspend", _about_member(person))
    return "member", person.id


HANDLERS = {
    "dismiss": lambda actor, community, report, note: _target_of(report),
    "hide_post": _hide_post,
    "hide_message": _hide_message,
    "warn": _warn,
    "suspend": _suspend,
}


def act(
    actor: User, community: Community, report: Report, action: str, note: str = ""
) -> ModerationAction:
    """Do `action` ("dismiss", "hide_post", "hide_message", "warn" or "suspend") about an open
    report of `community`, in one transaction with its audit line. `note` goes in the log; a
    warning's note is the words the member receives (required). Nobody but an admin handles a
    report about themselves.

    Raises NotAllowed, services.NotFound (not this community's report), InvalidNote,
    AlreadyHandled or NotPossible; in every case nothing is saved."""
    require_may_moderate(actor, community)
    if report.community_id != community.id:
        raise services.NotFound(report.id)
    if action not in HANDLERS:
        raise NotPossible("That is not something the moderation queue can do.")
    if handles_own_report(actor, _person_of(report).id):
        raise NotPossible("This report is about you: another coordinator or an admin handles it.")
    note = _clean_note(note, warning=action == "warn")
    with write_transaction():
        _take(report, actor, action)
        target_type, target_id = HANDLERS[action](actor, community, report, note)
        line = ModerationAction(
            community_id=community.id,
            actor_id=actor.id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            report_id=report.id,
            note=note,
        )
        db.session.add(line)
    return line


def lift_suspension(
    actor: User, community: Community, member: User, note: str = ""
) -> ModerationAction:
    """Make a suspended member active again, and tell them. Raises NotAllowed, InvalidNote or
    NotPossible (not suspended: someone lifted it first, or it never was)."""
    require_may_moderate(actor, community)
    note = _clean_note(note, warning=False)
    with write_transaction():
        lifted = db.session.execute(
            update(Membership)
            .where(
                Membership.community_id == community.id,
                Membership.user_id == member.id,
                Membership.status == "suspended",
            )
            .values(status="active")
            .execution_options(synchronize_session=False)
        ).rowcount
        if lifted != 1:
            raise NotPossible(f"{member.public_name} is not suspended in {community.name}.")
        notify(
            member,
            "community",
            f"Your membership of {community.name} is active again.",
            f"/communities/{community.slug}",
        )
        line = ModerationAction(
            community_id=community.id,
            actor_id=actor.id,
            action="lift_suspension",
            target_type="member",
            target_id=member.id,
            note=note,
        )
        db.session.add(line)
    return line


# --- the audit log ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LogLine:
    action: ModerationAction
    words: str  # "Post hidden"
    target: str  # what it was done to, for people
    target_url: str | None


@dataclass(frozen=True)
class LogPage:
    lines: list[LogLine]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _by_id(model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def audit_log(
    viewer: User, community: Community, page: int = 1, per_page: int | None = None
) -> LogPage:
    """One page of the community's moderation log, newest first. Raises NotAllowed."""
    require_may_moderate(viewer, community)
    per_page = per_page or LOG_PER_PAGE
    where = ModerationAction.community_id == community.id
    total = db.session.scalar(select(func.count()).select_from(ModerationAction).where(where)) or 0
    page = max(1, page)
    actions = list(
        db.session.scalars(
            select(ModerationAction)
            .where(where)
            .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )

    def ids(kind: str) -> set[int]:
        return {a.target_id for a in actions if a.target_type == kind}

    posts = _by_id(Post, ids("post"))
    messages = _by_id(Message, ids("message"))
    people = _by_id(
        User,
        ids("member") | {a.actor_id for a in actions} | {m.author_id for m in messages.values()},
    )

    def describe(line: ModerationAction) -> tuple[str, str | None]:
        if line.target_type == "post" and line.target_id in posts:
            return f"the post “{posts[line.target_id].title}”", f"/posts/{line.target_id}"
        if line.target_type == "message" and line.target_id in messages:
            message = messages[line.target_id]
            return f"a message from {people[message.author_id].public_name}", None
        if line.target_type == "member" and line.target_id in people:
            return people[line.target_id].public_name, f"/members/{line.target_id}"
        return f"{line.target_type} {line.target_id}", None

    lines = []
    for line in actions:
        target, url = describe(line)
        lines.append(LogLine(line, ACTION_WORDS[line.action], target, url))
    return LogPage(lines, total, page, per_page)
