"""Who may see a mentoring session, arrange one, and act on it.

A session belongs to the two people of its mentorship: the mentor and the learner see it and
act on it; site admins may look (to put a problem right) but never act for them or read their
notes. Nobody else, coordinators included, learns that a session exists: mentorships are not
community business, so a coordinator's powers do not reach them.
"""

from __future__ import annotations

from datetime import datetime

from ..communities.permissions import NotAllowed, Viewer
from ..mentorship.models import Mentorship, MentorshipSession

__all__ = ["NotAllowed", "allowed_actions", "can_view", "require_side", "side_of"]

LIVE_STATES = ("proposed", "confirmed")


def side_of(viewer: Viewer, mentorship: Mentorship) -> str | None:
    """ "mentor" or "learner" for the two people of the mentorship, None for anyone else."""
    if not viewer.is_authenticated:
        return None
    if viewer.id == mentorship.mentor_id:
        return "mentor"
    if viewer.id == mentorship.learner_id:
        return "learner"
    return None


def can_view(viewer: Viewer, mentorship: Mentorship) -> bool:
    """The two people, and admins; everyone else is answered as if there were nothing."""
    if not viewer.is_authenticated:
        return False
    return side_of(viewer, mentorship) is not None or bool(viewer.is_admin)


def require_side(actor: Viewer, mentorship: Mentorship) -> str:
    """The actor's side; NotAllowed (403) for an admin looking in, who can't act for them."""
    side = side_of(actor, mentorship)
    if side is None:
        raise NotAllowed("Only the mentor and the learner can arrange and change their sessions.")
    return side


def allowed_actions(
    viewer: Viewer, session: MentorshipSession, now: datetime, thanked: bool
) -> list[str]:
    """The buttons to show. Whether the state still allows it when pressed is the service's
    question (someone may act first): these only keep buttons that can't work off the page.

    - confirm: the side that did not propose, while proposed and still ahead;
    - counter: either side, while proposed or confirmed and still ahead (a new time);
    - cancel: either side, while proposed or confirmed;
    - done: either side, once a confirmed session has started;
    - note: either side, always (it is private to its writer);
    - thank: either side once the session is done, once;
    - pay: the learner, once the session is done (hours go through the time bank).
    """
    mentorship = session.mentorship
    side = side_of(viewer, mentorship)
    if side is None:
        return []
    active = mentorship.status == "active"
    ahead = session.starts_at > now
    actions: list[str] = []
    if session.state == "proposed" and viewer.id != session.proposed_by_id and active and ahead:
        actions.append("confirm")
    if session.state in LIVE_STATES and active and ahead:
        actions.append("counter")
    if session.state == "confirmed" and not ahead:
        actions.append("done")
    if session.state in LIVE_STATES:
        actions.append("cancel")
    actions.append("note")
    if session.state == "done":
        if not thanked:
            actions.append("thank")
        if side == "learner":
            actions.append("pay")
    return actions
