"""Mentoring: mentor profiles, learning goals, finding mentors, suggested mentors, and
mentorships from request to completion.

Who may do what (the checks live in `permissions.py`): any member may offer to mentor and post
learning goals; a learner asks a mentor they may find (or takes up a suggestion, the same ask
with `source='suggestion'`); the mentor accepts or declines a pending request, the learner
withdraws it; either side ends an active mentorship or marks it completed.

States: `pending` -> `active` -> `completed` | `ended`; `pending` -> `declined` | `withdrawn`.
Each move is a conditional `UPDATE mentorships ... WHERE status = :expected` (0 rows: someone
acted first, StateChanged, a 409).

Never more active learners than places. A mentor's `active_count` is the number of their
active mentorships. Accepting runs, in one transaction, the mentorship's conditional update
`pending -> active` and `UPDATE mentor_profiles SET active_count = active_count + 1 WHERE
user_id = :mentor AND active_count < capacity`; a rowcount of 0 there is MentorFull and rolls
the whole accept back. The database re-checks the WHERE against the committed row after
waiting for another writer's lock (PostgreSQL) or serialises writers (SQLite, BEGIN
IMMEDIATE), and the CHECK `active_count <= capacity` stands behind both. Completing or ending
an active mentorship gives the place back in the same transaction. Lowering one's capacity is
the same kind of conditional update (`WHERE active_count <= :new_capacity`).
`tests/mentorship/test_concurrency.py` races accepts with real threads on both databases.

One live (pending or active) mentorship per mentor-learner pair: a partial unique index, so a
request sent twice at once is refused by the database too (AlreadyAsked).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.export import eraser, exporter
from ..accounts.models import User
from ..claims.models import Claim
from ..communities.models import Membership, Neighbourhood
from ..communities.permissions import Viewer
from ..database import is_possible_id, now_utc, write_transaction
from ..extensions import db
from ..geo import distance_km
from ..links.services import linked_pairs
from ..matching import Slot, trust_from_exchanges
from ..matching.mentors import (
    Goal,
    Mentor,
    MentorMatch,
    language_name,
    mentor_fit,
    topic_tokens,
)
from ..moderation.models import Block
from ..moderation.services import is_blocked_between
from ..notifications.services import notify
from ..posts.models import Post
from ..profiles.models import AvailabilitySlot
from ..sessions import services as sessions
from . import permissions
from .models import (
    FORMATS,
    LEVELS,
    LIVE_MENTORSHIP_STATES,
    LearningGoal,
    MentorProfile,
    Mentorship,
    MentorTopic,
)

TOPICS_MAX = 10
TOPIC_MAX = 60  # one topic a mentor teaches (mentor_topics.name)
GOAL_TOPIC_MAX = 80
ABOUT_MAX = 2000
NOTES_MAX = 1000
MESSAGE_MAX = 2000
CAPACITY_MIN, CAPACITY_MAX = 1, 20
OPEN_GOALS_MAX = 20
NEAR_KM = 3.0  # "near me": mentors whose neighbourhood is within this distance of mine
PER_PAGE = 20
CANDIDATES_MAX = 2000  # mentors read for one search or one set of suggestions
SUGGESTIONS_PER_GOAL = 5
SOURCES = ("request", "suggestion")

FORMAT_WORDS = {"in_person": "in person", "online": "online"}
LEVEL_WORDS = {"beginner": "beginner", "intermediate": "intermediate", "advanced": "advanced"}
STATE_WORDS = {
    "pending": "waiting for an answer",
    "active": "active",
    "completed": "completed",
    "declined": "declined",
    "withdrawn": "withdrawn",
    "ended": "ended",
}
_ALREADY = {
    "active": "This mentorship is already active.",
    "completed": "This mentorship has already been completed.",
    "declined": "This request has already been declined.",
    "withdrawn": "This request has been withdrawn.",
    "ended": "This mentorship has already ended.",
    "pending": "This request is still waiting for an answer.",
}


class MentorshipError(Exception):
    """A mentoring rule refused the request; the message is for the member."""


class InvalidInput(MentorshipError):
    """Input a form should have caught (a topic too long, no format): 422."""


class CannotAsk(MentorshipError):
    """This learner can't ask this mentor (themselves, paused, blocked): 422."""


class AlreadyAsked(MentorshipError):
    """The pair already has a live request or mentorship: 409."""


class MentorFull(MentorshipError):
    """The mentor has no free place for another active learner: 409."""


class StateChanged(MentorshipError):
    """The mentorship is no longer in a state where this can happen: 409."""


class MentorNotFound(LookupError):
    """No mentor this member may find at that address: 404."""


class GoalNotFound(LookupError):
    """No such learning goal for this member (someone else's answers the same): 404."""


class MentorshipNotFound(LookupError):
    """No such mentorship for this member (someone else's answers the same): 404."""


# --- small helpers -----------------------------------------------------------------------------


def _clean_text(value: str | None, most: int, what: str, *, required: bool = False) -> str:
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        raise InvalidInput(f"Please write {what}.")
    if len(text) > most:
        raise InvalidInput(f"Please keep {what} under {most} characters.")
    return text


def _clean_topic(topic: str | None) -> str:
    return " ".join(_clean_text(topic, GOAL_TOPIC_MAX, "a topic", required=True).split())


def language_key(language: str) -> str:
    """ "pl", "PL" and "Polish" are one language (as the matching engine reads them)."""
    return language_name(language.strip().lower()).lower()


def _split_languages(languages: str | None) -> list[str]:
    return [part.strip() for part in (languages or "").split(",") if part.strip()]


def languages_of(user: User) -> list[str]:
    """A member's languages as they wrote them on their profile (comma separated)."""
    return _split_languages(user.languages)


def _quoted(text: str) -> str:
    return f"“{text if len(text) <= 60 else text[:59] + '…'}”"


def mentorship_link(mentorship: Mentorship) -> str:
    return f"/mentorships/{mentorship.id}"


# --- mentor profiles ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MentorInput:
    topics: Sequence[str]
    capacity: int
    in_person: bool
    online: bool
    levels: Sequence[str] = ()
    about: str = ""
    accepting: bool = True


def get_profile(user: User | int) -> MentorProfile | None:
    user_id = user if isinstance(user, int) else user.id
    return db.session.scalar(
        select(MentorProfile)
        .where(MentorProfile.user_id == user_id)
        .options(selectinload(MentorProfile.topics), joinedload(MentorProfile.user))
    )


def _clean_profile(data: MentorInput) -> MentorInput:
    topics: list[str] = []
    for raw in data.topics:
        topic = " ".join(str(raw).split()).lower()
        if len(topic) > TOPIC_MAX:
            raise InvalidInput(f"Please keep each topic under {TOPIC_MAX} characters.")
        if topic and topic not in topics:
            topics.append(topic)
    if not topics:
        raise InvalidInput("Please name at least one thing you can teach.")
    if len(topics) > TOPICS_MAX:
        raise InvalidInput(f"Please name at most {TOPICS_MAX} topics.")
    if not CAPACITY_MIN <= data.capacity <= CAPACITY_MAX:
        raise InvalidInput(
            f"You can take between {CAPACITY_MIN} and {CAPACITY_MAX} learners at a time."
        )
    if not (data.in_person or data.online):
        raise InvalidInput("Please choose in person, online, or both.")
    levels = [level for level in LEVELS if level in set(data.levels)]
    if set(data.levels) - set(LEVELS):
        raise InvalidInput("Please choose levels from the list.")
    about = _clean_text(data.about, ABOUT_MAX, "about you")
    return MentorInput(
        topics, data.capacity, data.in_person, data.online, levels, about, data.accepting
    )


def save_profile(user: User, data: MentorInput) -> MentorProfile:
    """Become a mentor, or change one's mentor profile. Raises InvalidInput, including for a
    capacity below the number of learners one has now (checked by a conditional update, so an
    accept at the same instant cannot slip past it)."""
    data = _clean_profile(data)
    values = {
        "capacity": data.capacity,
        "in_person": data.in_person,
        "online": data.online,
        "levels": " ".join(data.levels),
        "about": data.about,
        "accepting": data.accepting,
        "updated_at": now_utc(),
    }
    try:
        with write_transaction():
            profile = db.session.scalar(
                select(MentorProfile).where(MentorProfile.user_id == user.id)
            )
            if profile is None:
                profile = MentorProfile(user_id=user.id, active_count=0, **values)
                db.session.add(profile)
                db.session.flush()
            else:
                result = db.session.execute(
                    update(MentorProfile)
                    .where(
                        MentorProfile.id == profile.id,
                        MentorProfile.active_count <= data.capacity,
                    )
                    .values(**values),
                    execution_options={"synchronize_session": False},
                )
                if result.rowcount != 1:
                    db.session.refresh(profile)
                    raise InvalidInput(
                        f"You are mentoring {profile.active_count} learners now, so you can't "
                        f"take fewer than {profile.active_count}."
                    )
            db.session.execute(delete(MentorTopic).where(MentorTopic.profile_id == profile.id))
            for name in data.topics:
                db.session.add(MentorTopic(profile_id=profile.id, name=name))
    except IntegrityError:
        # Two first saves at once: the other one made the profile; save over it.
        return save_profile(user, data)
    db.session.expire_all()
    found = get_profile(user)
    assert found is not None
    return found


# --- learning goals ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalInput:
    topic: str
    level: str = "beginner"
    format: str | None = None
    notes: str = ""


def _clean_goal(data: GoalInput) -> GoalInput:
    if data.level not in LEVELS:
        raise InvalidInput("Please choose a level from the list.")
    fmt = data.format or None
    if fmt is not None and fmt not in FORMATS:
        raise InvalidInput("Please choose in person, online, or either.")
    notes = _clean_text(data.notes, NOTES_MAX, "your notes")
    return GoalInput(_clean_topic(data.topic), data.level, fmt, notes)


def create_goal(learner: User, data: GoalInput) -> LearningGoal:
    """Post a learning goal. Raises InvalidInput (input, or too many open goals)."""
    data = _clean_goal(data)
    with write_transaction():
        open_goals = db.session.scalar(
            select(func.count(LearningGoal.id)).where(
                LearningGoal.learner_id == learner.id, LearningGoal.status == "open"
            )
        )
        if (open_goals or 0) >= OPEN_GOALS_MAX:
            raise InvalidInput(
                f"You have {OPEN_GOALS_MAX} open goals: close one before adding another."
            )
        goal = LearningGoal(
            learner_id=learner.id,
            topic=data.topic,
            level=data.level,
            format=data.format,
            notes=data.notes,
            status="open",
        )
        db.session.add(goal)
    return goal


def get_goal(viewer: Viewer, goal_id: int) -> LearningGoal:
    """The goal, for its learner or an admin; anyone else gets GoalNotFound, as for none."""
    goal = db.session.get(LearningGoal, goal_id) if is_possible_id(goal_id) else None
    if goal is None or not permissions.may_edit_goal(viewer, goal.learner_id):
        raise GoalNotFound(goal_id)
    return goal


def update_goal(actor: User, goal: LearningGoal, data: GoalInput) -> LearningGoal:
    """Change an open goal. Raises NotAllowed, InvalidInput or StateChanged (closed)."""
    if not permissions.may_edit_goal(actor, goal.learner_id):
        raise permissions.NotAllowed("Only the learner can change their goal.")
    data = _clean_goal(data)
    with write_transaction():
        result = db.session.execute(
            update(LearningGoal)
            .where(LearningGoal.id == goal.id, LearningGoal.status == "open")
            .values(topic=data.topic, level=data.level, format=data.format, notes=data.notes),
            execution_options={"synchronize_session": False},
        )
        if result.rowcount != 1:
            raise StateChanged("This goal is closed.")
    db.session.refresh(goal)
    return goal


def close_goal(actor: User, goal: LearningGoal) -> LearningGoal:
    """Close a goal (learnt, or no longer wanted): it stops getting suggestions."""
    if not permissions.may_edit_goal(actor, goal.learner_id):
        raise permissions.NotAllowed("Only the learner can close their goal.")
    with write_transaction():
        result = db.session.execute(
            update(LearningGoal)
            .where(LearningGoal.id == goal.id, LearningGoal.status == "open")
            .values(status="closed"),
            execution_options={"synchronize_session": False},
        )
        if result.rowcount != 1:
            raise StateChanged("This goal is already closed.")
    db.session.refresh(goal)
    return goal


def goals_of(learner: User) -> list[LearningGoal]:
    """Open goals first, newest first."""
    return list(
        db.session.scalars(
            select(LearningGoal)
            .where(LearningGoal.learner_id == learner.id)
            .order_by((LearningGoal.status == "open").desc(), LearningGoal.id.desc())
            .limit(100)
        )
    )


# --- finding mentors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MentorFilters:
    topic: str = ""
    language: str = ""
    format: str = ""  # "", "in_person" or "online"
    free: bool = False
    near: bool = False
    page: int = 1

    @property
    def any(self) -> bool:
        return bool(self.topic or self.language or self.format or self.free or self.near)


@dataclass(frozen=True)
class MentorCard:
    profile: MentorProfile
    distance_km: float | None = None

    @property
    def user(self) -> User:
        return self.profile.user


@dataclass(frozen=True)
class MentorResults:
    mentors: list[MentorCard]
    page: int
    has_next: bool
    near_unavailable: bool = False  # "near me" asked by someone without a neighbourhood


@dataclass(frozen=True, slots=True)
class _MentorRow:
    """What searching and suggesting read of a candidate mentor, as plain columns: a
    neighbourhood's thousands of mentors cost a few milliseconds this way, where ORM objects
    (with their topics, users and neighbourhoods) cost a few hundred. ORM objects are loaded
    only for the page or the suggestions shown (`_profiles_by_id`)."""

    profile_id: int
    user_id: int
    display_name: str
    languages: str
    capacity: int
    active_count: int
    in_person: bool
    online: bool
    levels: str
    lat: float | None
    lon: float | None

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(f for f, on in (("in_person", self.in_person), ("online", self.online)) if on)


def _visible_rows(viewer: Viewer):
    """The mentors `viewer` may find, as `_MentorRow` columns (a mentor without a
    neighbourhood has no position)."""
    return (
        select(
            MentorProfile.id,
            MentorProfile.user_id,
            User.display_name,
            User.languages,
            MentorProfile.capacity,
            MentorProfile.active_count,
            MentorProfile.in_person,
            MentorProfile.online,
            MentorProfile.levels,
            Neighbourhood.lat,
            Neighbourhood.lon,
        )
        .join(User, User.id == MentorProfile.user_id)
        .outerjoin(Neighbourhood, Neighbourhood.id == User.neighbourhood_id)
        .where(permissions.mentors_visible_to(viewer))
    )


def _rows(statement) -> list[_MentorRow]:
    return [_MentorRow(*row) for row in db.session.execute(statement)]


def _profiles_by_id(profile_ids: Iterable[int]) -> dict[int, MentorProfile]:
    """The ORM profiles (with topics and user) for the few mentors a page shows."""
    ids = set(profile_ids)
    if not ids:
        return {}
    return {
        profile.id: profile
        for profile in db.session.scalars(
            select(MentorProfile)
            .where(MentorProfile.id.in_(ids))
            .options(selectinload(MentorProfile.topics), joinedload(MentorProfile.user))
        )
    }


def _speaks(languages: str | None, wanted: str) -> bool:
    key = language_key(wanted)
    return any(language_key(language) == key for language in _split_languages(languages))


def _within(distance: float | None, most: float) -> bool:
    return distance is not None and distance <= most


def find_mentors(viewer: User, filters: MentorFilters) -> MentorResults:
    """The mentors `viewer` may find that pass the filters: by name, or nearest first with
    `near`. Topic, format and free places are narrowed in SQL; language and distance on the
    plain rows left; ORM objects only for the page shown."""
    statement = _visible_rows(viewer)
    if filters.topic:
        statement = statement.where(
            MentorProfile.topics.any(
                func.lower(MentorTopic.name).contains(filters.topic.lower(), autoescape=True)
            )
        )
    if filters.format == "in_person":
        statement = statement.where(MentorProfile.in_person.is_(True))
    elif filters.format == "online":
        statement = statement.where(MentorProfile.online.is_(True))
    if filters.free:
        statement = statement.where(MentorProfile.active_count < MentorProfile.capacity)
    mine = viewer.neighbourhood
    home = mine if filters.near else None
    if home is not None:
        # A box around home first (about NEAR_KM each way), the exact circle below.
        dlat = NEAR_KM / 111.0
        dlon = NEAR_KM / 60.0  # generous: a degree of longitude is >= 60 km below latitude 60
        statement = statement.where(
            Neighbourhood.lat.between(home.lat - dlat, home.lat + dlat),
            Neighbourhood.lon.between(home.lon - dlon, home.lon + dlon),
        )
    statement = statement.order_by(User.display_name, User.id).limit(CANDIDATES_MAX)

    def distance(row: _MentorRow) -> float | None:
        if mine is None or row.lat is None or row.lon is None:
            return None
        return distance_km(mine.lat, mine.lon, row.lat, row.lon)

    rows = [
        row
        for row in _rows(statement)
        if not filters.language or _speaks(row.languages, filters.language)
    ]
    distances: dict[int, float | None] = {}
    if home is not None:
        distances = {row.profile_id: distance(row) for row in rows}
        rows = [row for row in rows if _within(distances[row.profile_id], NEAR_KM)]
        rows.sort(key=lambda row: (distances[row.profile_id] or 0.0, row.display_name))
    page = max(1, filters.page)
    start = (page - 1) * PER_PAGE
    shown = rows[start : start + PER_PAGE]
    profiles = _profiles_by_id(row.profile_id for row in shown)
    return MentorResults(
        [
            MentorCard(
                profiles[row.profile_id],
                distances[row.profile_id] if home is not None else distance(row),
            )
            for row in shown
            if row.profile_id in profiles  # not deleted since the first read
        ],
        page,
        len(rows) > start + PER_PAGE,
        near_unavailable=filters.near and viewer.neighbourhood is None,
    )


def mentor_for_page(viewer: User, user_id: int) -> MentorProfile:
    """The mentor profile at /mentorship/mentors/<user_id>, if the viewer may open it."""
    profile = get_profile(user_id) if is_possible_id(user_id) else None
    if (
        profile is None
        or profile.user.deleted_at is not None
        or not permissions.may_open_mentor_page(viewer, profile)
    ):
        raise MentorNotFound(user_id)
    return profile


def live_mentorship_between(mentor_id: int, learner_id: int) -> Mentorship | None:
    return db.session.scalar(
        select(Mentorship).where(
            Mentorship.mentor_id == mentor_id,
            Mentorship.learner_id == learner_id,
            Mentorship.status.in_(LIVE_MENTORSHIP_STATES),
        )
    )


# --- suggestions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    profile: MentorProfile
    score: float
    reasons: tuple[str, ...]

    @property
    def user(self) -> User:
        return self.profile.user

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def _slots_of(member_ids: Iterable[int]) -> dict[int, tuple[Slot, ...]]:
    found: dict[int, list[Slot]] = {}
    for row in db.session.scalars(
        select(AvailabilitySlot).where(AvailabilitySlot.user_id.in_(set(member_ids)))
    ):
        found.setdefault(row.user_id, []).append(
            Slot(row.weekday, row.start_minute, row.end_minute)
        )
    return {member: tuple(slots) for member, slots in found.items()}


def _completed_exchanges(member_ids: Iterable[int]) -> dict[int, int]:
    """Completed claims per member, on either side: what `trust` is made of."""
    ids = set(member_ids)
    counts: dict[int, int] = dict.fromkeys(ids, 0)
    as_author = (
        select(Post.author_id, func.count(Claim.id))
        .join(Claim, Claim.post_id == Post.id)
        .where(Claim.status == "completed", Post.author_id.in_(ids))
        .group_by(Post.author_id)
    )
    as_claimant = (
        select(Claim.claimant_id, func.count(Claim.id))
        .where(Claim.status == "completed", Claim.claimant_id.in_(ids))
        .group_by(Claim.claimant_id)
    )
    for statement in (as_author, as_claimant):
        for member, count in db.session.execute(statement):
            counts[member] = counts.get(member, 0) + count
    return counts


def _active_communities(member_ids: Iterable[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for user_id, community_id in db.session.execute(
        select(Membership.user_id, Membership.community_id).where(
            Membership.user_id.in_(set(member_ids)), Membership.status == "active"
        )
    ):
        found.setdefault(user_id, set()).add(community_id)
    return found


def _position(user: User) -> tuple[float | None, float | None]:
    place = user.neighbourhood
    return (place.lat, place.lon) if place is not None else (None, None)


def _topics_of(profile_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """Each profile's topic names in the order `MentorProfile.topics` has them (by name: the
    engine's ties between a mentor's topics go to the first)."""
    found: dict[int, list[str]] = {}
    for profile_id, name in db.session.execute(
        select(MentorTopic.profile_id, MentorTopic.name)
        .where(MentorTopic.profile_id.in_(profile_ids))
        .order_by(MentorTopic.profile_id, MentorTopic.name)
    ):
        found.setdefault(profile_id, []).append(name)
    return {profile_id: tuple(names) for profile_id, names in found.items()}


def _sharing_a_word(
    rows: Sequence[_MentorRow], topics: dict[int, tuple[str, ...]], goal_topics: Iterable[str]
) -> list[_MentorRow]:
    """The mentors with a topic sharing a word with one of the goals' topics.

    `mentor_fit` with its default similarity (`token_overlap`, the words of `topic_tokens`)
    scores a topic sharing no word at 0, below any `min_topic`, and never compares it at all
    (its word index): a mentor left out here could not have been suggested, and each pair's
    score depends on that goal and that mentor only, so the suggestions are the same. Were
    `suggestions_for` to pass a `topic_similarity` that sees meaning across words, this
    narrowing would have to go.
    """
    wanted = frozenset().union(*(topic_tokens(topic) for topic in goal_topics))
    words: dict[str, frozenset[str]] = {}  # a neighbourhood repeats the same few topics

    def shares(name: str) -> bool:
        if name not in words:
            words[name] = topic_tokens(name)
        return not words[name].isdisjoint(wanted)

    return [row for row in rows if any(map(shares, topics.get(row.profile_id, ())))]


def suggestions_for(
    learner: User, goals: Sequence[LearningGoal], k: int = SUGGESTIONS_PER_GOAL
) -> dict[int, list[Suggestion]]:
    """The best `k` mentors for each of the learner's open goals, best first, with the
    engine's reasons (`commons.matching.mentors.mentor_fit`).

    The candidates are the mentors the learner may find (`permissions.mentors_visible_to`)
    with a free place, less those they already have a live request or mentorship with. The
    engine takes one community per side, while a member may belong to several: the learner's
    communities are given to it as one, the lowest id; a mentor who shares any of them is in
    it ("in your community"), and a mentor reached only by a link is in their own linked
    community, with that pair among the links (so the engine's boundary rule sees exactly the
    links that let them through).

    Candidates are read as plain rows with their topics; only those whose topics share a word
    with a goal go on to the engine (see `_sharing_a_word`), with their slots, exchanges and
    communities; ORM profiles only for the suggestions shown. A fixed number of statements.
    """
    open_goals = [goal for goal in goals if goal.status == "open"]
    if not open_goals:
        return {}
    asked = select(Mentorship.mentor_id).where(
        Mentorship.learner_id == learner.id, Mentorship.status.in_(LIVE_MENTORSHIP_STATES)
    )
    candidates = (
        _visible_rows(learner)
        .where(
            MentorProfile.active_count < MentorProfile.capacity,
            MentorProfile.user_id.not_in(asked),
        )
        .order_by(MentorProfile.id)
        .limit(CANDIDATES_MAX)
    )
    rows = _rows(candidates)
    topics = _topics_of([row.profile_id for row in rows]) if rows else {}
    rows = _sharing_a_word(rows, topics, (goal.topic for goal in open_goals))
    if not rows:
        return {goal.id: [] for goal in open_goals}
    mentor_ids = [row.user_id for row in rows]
    slots = _slots_of([*mentor_ids, learner.id])
    completed = _completed_exchanges(mentor_ids)
    communities = _active_communities([*mentor_ids, learner.id])
    mine = sorted(communities.get(learner.id, set()))
    home = str(mine[0]) if mine else None
    pairs = linked_pairs("mentors")
    links: set[frozenset[str]] = set()
    mentors: list[Mentor] = []
    for row in rows:
        theirs = communities.get(row.user_id, set())
        community: str | None = None
        if home is not None and theirs & set(mine):
            community = home
        elif home is not None:
            linked = sorted(c for c in theirs if any(frozenset((c, m)) in pairs for m in mine))
            if linked:
                community = str(linked[0])
                links.add(frozenset((home, community)))
        mentors.append(
            Mentor(
                id=str(row.user_id),
                member=str(row.user_id),
                topics=topics[row.profile_id],
                languages=tuple(_split_languages(row.languages)),
                formats=row.formats,
                available=slots.get(row.user_id, ()),
                capacity=row.capacity,
                active_learners=row.active_count,
                community=community,
                lat=row.lat,
                lon=row.lon,
                trust=trust_from_exchanges(completed.get(row.user_id, 0)),
                levels=tuple(row.levels.split()),
            )
        )
    blocked = {
        frozenset((str(a), str(b)))
        for a, b in db.session.execute(
            select(Block.blocker_id, Block.blocked_id).where(
                or_(Block.blocker_id == learner.id, Block.blocked_id == learner.id)
            )
        )
    }
    lat, lon = _position(learner)
    matched: dict[int, list[MentorMatch]] = {}
    for goal in open_goals:
        record = Goal(
            id=str(goal.id),
            learner=str(learner.id),
            topic=goal.topic,
            level=goal.level,
            languages=tuple(languages_of(learner)),
            format=goal.format,
            available=slots.get(learner.id, ()),
            community=home,
            lat=lat,
            lon=lon,
        )
        matched[goal.id] = mentor_fit(record, mentors, links=links, blocked=blocked, top=k)
    profile_of = {str(row.user_id): row.profile_id for row in rows}
    profiles = _profiles_by_id(
        profile_of[match.mentor] for matches in matched.values() for match in matches
    )
    return {
        goal_id: [
            Suggestion(profiles[profile_of[match.mentor]], match.score, match.reasons)
            for match in matches
            if profile_of[match.mentor] in profiles  # not deleted since the first read
        ]
        for goal_id, matches in matched.items()
    }


# --- asking ------------------------------------------------------------------------------------


def ask(
    learner: User,
    profile: MentorProfile,
    topic: str,
    message: str = "",
    *,
    goal: LearningGoal | None = None,
    source: str = "request",
) -> Mentorship:
    """The learner asks the mentor to mentor them in `topic`; the mentor is told.

    Raises InvalidInput (topic, message, a goal not theirs and open), CannotAsk (oneself, a
    paused mentor, a block), MentorNotFound (a mentor they may not find) or AlreadyAsked (a
    live request or mentorship with this mentor already, also when two asks race).
    """
    topic = _clean_topic(topic)
    message = _clean_text(message, MESSAGE_MAX, "your message")
    if source not in SOURCES:
        raise InvalidInput("Unknown source.")
    if goal is not None and (goal.learner_id != learner.id or goal.status != "open"):
        raise InvalidInput("That is not one of your open learning goals.")
    mentor = profile.user
    if profile.user_id == learner.id:
        raise CannotAsk("You can't be your own mentor.")
    if mentor.deleted_at is not None:
        raise MentorNotFound(profile.user_id)
    if is_blocked_between(learner, mentor):
        raise CannotAsk("You can't ask this member to mentor you.")
    if not profile.accepting:
        raise CannotAsk(f"{mentor.display_name} is not taking new learners right now.")
    if not permissions.can_see_mentor(learner, profile):
        raise MentorNotFound(profile.user_id)
    already = f"You already have a request or a mentorship with {mentor.display_name}."
    if live_mentorship_between(mentor.id, learner.id) is not None:
        raise AlreadyAsked(already)
    try:
        with write_transaction():
            mentorship = Mentorship(
                mentor_id=mentor.id,
                learner_id=learner.id,
                goal_id=goal.id if goal else None,
                topic=topic,
                message=message,
                source=source,
                status="pending",
            )
            db.session.add(mentorship)
            db.session.flush()
            notify(
                mentor,
                "mentorship",
                f"{learner.display_name} asks you to mentor them in {_quoted(topic)}.",
                mentorship_link(mentorship),
            )
    except IntegrityError:
        raise AlreadyAsked(already) from None
    return mentorship


# --- answering and ending ----------------------------------------------------------------------


def get_mentorship(viewer: Viewer, mentorship_id: int) -> Mentorship:
    """The mentorship, for its two people and admins; anyone else gets MentorshipNotFound."""
    if not is_possible_id(mentorship_id):
        raise MentorshipNotFound(mentorship_id)
    mentorship = db.session.get(Mentorship, mentorship_id)
    if mentorship is None or not permissions.can_view(viewer, mentorship):
        raise MentorshipNotFound(mentorship_id)
    return mentorship


def _move(mentorship: Mentorship, from_state: str, to_state: str, **values: Any) -> None:
    """`from_state` -> `to_state`, only if it is still `from_state`."""
    result = db.session.execute(
        update(Mentorship)
        .where(Mentorship.id == mentorship.id, Mentorship.status == from_state)
        .values(status=to_state, **values),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        db.session.refresh(mentorship)
        raise StateChanged(_ALREADY.get(mentorship.status, "This mentorship has changed."))


def accept(mentor: User, mentorship: Mentorship) -> Mentorship:
    """The mentor takes the learner on: pending -> active, one of the mentor's places taken.

    Raises NotAllowed (not the mentor), StateChanged (answered or withdrawn meanwhile),
    CannotAsk (a block between them since) or MentorFull (no free place; nothing changes).
    """
    permissions.require_may(mentor, mentorship, "accept")
    with write_transaction():
        if is_blocked_between(mentorship.mentor_id, mentorship.learner_id):
            raise CannotAsk("You can't mentor this member.")
        _move(mentorship, "pending", "active", decided_at=now_utc())
        took = db.session.execute(
            update(MentorProfile)
            .where(
                MentorProfile.user_id == mentorship.mentor_id,
                MentorProfile.active_count < MentorProfile.capacity,
            )
            .values(active_count=MentorProfile.active_count + 1),
            execution_options={"synchronize_session": False},
        )
        if took.rowcount != 1:
            raise MentorFull(
                f"{mentor.display_name} has no free places right now. Complete or end a "
                "mentorship, or take more learners on your mentor profile, first."
            )
        notify(
            mentorship.learner,
            "mentorship",
            f"{mentor.display_name} accepted your request to learn {_quoted(mentorship.topic)}.",
            mentorship_link(mentorship),
        )
    db.session.refresh(mentorship)
    return mentorship


def decline(mentor: User, mentorship: Mentorship) -> Mentorship:
    """The mentor declines a request that is still pending. Raises NotAllowed or StateChanged."""
    permissions.require_may(mentor, mentorship, "decline")
    with write_transaction():
        _move(mentorship, "pending", "declined", decided_at=now_utc())
        notify(
            mentorship.learner,
            "mentorship",
            f"{mentor.display_name} can't mentor you in {_quoted(mentorship.topic)} now.",
            mentorship_link(mentorship),
        )
    db.session.refresh(mentorship)
    return mentorship


def withdraw(learner: User, mentorship: Mentorship) -> Mentorship:
    """The learner takes back a request that is still pending. Raises NotAllowed or StateChanged."""
    permissions.require_may(learner, mentorship, "withdraw")
    with write_transaction():
        _move(mentorship, "pending", "withdrawn", ended_at=now_utc(), ended_by_id=learner.id)
        notify(
            mentorship.mentor,
            "mentorship",
            f"{learner.display_name} withdrew their request to learn {_quoted(mentorship.topic)}.",
            mentorship_link(mentorship),
        )
    db.session.refresh(mentorship)
    return mentorship


def _finish(
    actor: User, mentorship: Mentorship, action: str, to_state: str, said: str
) -> Mentorship:
    permissions.require_may(actor, mentorship, action)
    with write_transaction():
        _move(mentorship, "active", to_state, ended_at=now_utc(), ended_by_id=actor.id)
        db.session.execute(
            update(MentorProfile)
            .where(MentorProfile.user_id == mentorship.mentor_id, MentorProfile.active_count > 0)
            .values(active_count=MentorProfile.active_count - 1),
            execution_options={"synchronize_session": False},
        )
        # Sessions still planned are off: they leave both calendars with the mentorship.
        sessions.cancel_live_sessions(mentorship, actor, f"The mentorship was {to_state}.")
        for person in (mentorship.mentor, mentorship.learner):
            if person.id != actor.id:
                notify(
                    person,
                    "mentorship",
                    f"{actor.display_name} {said} the mentorship in {_quoted(mentorship.topic)}.",
                    mentorship_link(mentorship),
                )
    db.session.refresh(mentorship)
    return mentorship


def complete(actor: User, mentorship: Mentorship) -> Mentorship:
    """Either side marks an active mentorship completed; the mentor's place is free again.
    Raises NotAllowed or StateChanged."""
    return _finish(actor, mentorship, "complete", "completed", "marked as completed")


def end(actor: User, mentorship: Mentorship) -> Mentorship:
    """Either side (or an admin) ends an active mentorship before its time; the mentor's
    place is free again. Raises NotAllowed or StateChanged."""
    return _finish(actor, mentorship, "end", "ended", "ended")


TRANSITIONS = {
    "accept": accept,
    "decline": decline,
    "withdraw": withdraw,
    "end": end,
    "complete": complete,
}


# --- the hub -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalView:
    goal: LearningGoal
    suggestions: list[Suggestion] = field(default_factory=list)


@dataclass(frozen=True)
class Hub:
    profile: MentorProfile | None
    waiting: list[Mentorship]  # requests waiting for my answer, as a mentor
    as_learner: list[Mentorship]
    as_mentor: list[Mentorship]  # everything but what waits for me
    goals: list[GoalView]


def _mentorships(condition, limit: int = 50) -> list[Mentorship]:
    live_first = Mentorship.status.in_(LIVE_MENTORSHIP_STATES).desc()
    return list(
        db.session.scalars(
            select(Mentorship)
            .where(condition)
            .options(joinedload(Mentorship.mentor), joinedload(Mentorship.learner))
            .order_by(live_first, Mentorship.id.desc())
            .limit(limit)
        )
    )


def hub(member: User) -> Hub:
    """What /mentorship shows a member besides the search: requests waiting for their answer,
    their mentorships on both sides, and their goals with suggested mentors."""
    goals = goals_of(member)
    suggested = suggestions_for(member, goals)
    return Hub(
        profile=get_profile(member),
        waiting=_mentorships(
            (Mentorship.mentor_id == member.id) & (Mentorship.status == "pending")
        ),
        as_learner=_mentorships(Mentorship.learner_id == member.id),
        as_mentor=_mentorships(
            (Mentorship.mentor_id == member.id) & (Mentorship.status != "pending")
        ),
        goals=[GoalView(goal, suggested.get(goal.id, [])) for goal in goals],
    )


def active_count_of(mentor_id: int) -> int:
    """The mentor's `active_count` as stored (tests and the concurrency check read it)."""
    return (
        db.session.scalar(
            select(MentorProfile.active_count).where(MentorProfile.user_id == mentor_id)
        )
        or 0
    )


# --- personal data -----------------------------------------------------------------------------


@exporter("mentorship")
def _export_mentorship(user: User) -> dict[str, Any]:
    profile = get_profile(user)
    mentorships = db.session.scalars(
        select(Mentorship)
        .where(or_(Mentorship.mentor_id == user.id, Mentorship.learner_id == user.id))
        .options(joinedload(Mentorship.mentor), joinedload(Mentorship.learner))
        .order_by(Mentorship.id)
    )
    return {
        "mentor_profile": None
        if profile is None
        else {
            "topics": [topic.name for topic in profile.topics],
            "capacity": profile.capacity,
            "in_person": profile.in_person,
            "online": profile.online,
            "levels": profile.levels.split(),
            "about": profile.about,
            "accepting": profile.accepting,
            "created_at": profile.created_at.isoformat(),
        },
        "learning_goals": [
            {
                "id": goal.id,
                "topic": goal.topic,
                "level": goal.level,
                "format": goal.format,
                "notes": goal.notes,
                "status": goal.status,
                "created_at": goal.created_at.isoformat(),
            }
            for goal in db.session.scalars(
                select(LearningGoal)
                .where(LearningGoal.learner_id == user.id)
                .order_by(LearningGoal.id)
            )
        ],
        "mentorships": [
            {
                "id": m.id,
                "role": "mentor" if m.mentor_id == user.id else "learner",
                "with": (m.learner if m.mentor_id == user.id else m.mentor).public_name,
                "topic": m.topic,
                "message": m.message if m.learner_id == user.id else None,
                "source": m.source,
                "status": m.status,
                "created_at": m.created_at.isoformat(),
                "decided_at": m.decided_at.isoformat() if m.decided_at else None,
                "ended_at": m.ended_at.isoformat() if m.ended_at else None,
            }
            for m in mentorships
        ],
    }


@eraser
def _erase_mentoring(user: User) -> None:
    """A deleted account stops mentoring and learning: its mentor profile and goals go, its
    waiting requests are withdrawn or declined, its active mentorships end (giving the
    mentor's place back). The mentorships themselves stay for the other side's record."""
    now = now_utc()
    for mentor_id in db.session.scalars(
        select(Mentorship.mentor_id).where(
            Mentorship.learner_id == user.id, Mentorship.status == "active"
        )
    ).all():
        db.session.execute(
            update(MentorProfile)
            .where(MentorProfile.user_id == mentor_id, MentorProfile.active_count > 0)
            .values(active_count=MentorProfile.active_count - 1),
            execution_options={"synchronize_session": False},
        )
    ended = {"ended_at": now, "ended_by_id": user.id}
    changes = (
        (Mentorship.learner_id == user.id, "pending", "withdrawn", ended),
        (Mentorship.mentor_id == user.id, "pending", "declined", {"decided_at": now}),
        (
            or_(Mentorship.learner_id == user.id, Mentorship.mentor_id == user.id),
            "active",
            "ended",
            ended,
        ),
    )
    for who, from_state, to_state, values in changes:
        db.session.execute(
            update(Mentorship)
            .where(who, Mentorship.status == from_state)
            .values(status=to_state, **values),
            execution_options={"synchronize_session": False},
        )
    db.session.execute(delete(MentorProfile).where(MentorProfile.user_id == user.id))
    db.session.execute(delete(LearningGoal).where(LearningGoal.learner_id == user.id))
