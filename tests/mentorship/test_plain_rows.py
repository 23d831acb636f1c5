"""Finding and suggesting mentors read candidates as plain rows (for speed on a large
neighbourhood); these tests hold them to the same answers as the straightforward reading,
which loads every candidate as an ORM profile with its topics, user and neighbourhood and
filters, pages and scores those (`reference_find` and `reference_suggestions` below: what the
service did before), on a small community varied in every way the rules look at."""

from __future__ import annotations

import random
from collections.abc import Sequence
from contextlib import suppress
from datetime import time

import pytest
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from commons.accounts.models import User
from commons.claims.models import Claim
from commons.communities import services as communities
from commons.communities.models import Neighbourhood
from commons.extensions import db
from commons.geo import distance_km
from commons.links.services import linked_pairs
from commons.matching import trust_from_exchanges
from commons.matching.mentors import Goal, Mentor, mentor_fit
from commons.mentorship import permissions
from commons.mentorship import services as mentoring
from commons.mentorship.models import (
    LIVE_MENTORSHIP_STATES,
    LearningGoal,
    MentorProfile,
    Mentorship,
    MentorTopic,
)
from commons.moderation.models import Block
from commons.posts.services import PostInput, create_post
from commons.profiles import services as profiles
from tests.mentorship.conftest import ask, block, link, make_mentor

# --- the straightforward reading (the service before it read plain rows) -----------------------


def _visible_profiles(viewer):
    return (
        select(MentorProfile)
        .join(User, User.id == MentorProfile.user_id)
        .where(permissions.mentors_visible_to(viewer))
        .options(
            selectinload(MentorProfile.topics),
            joinedload(MentorProfile.user).joinedload(User.neighbourhood),
        )
    )


def reference_find(viewer: User, filters: mentoring.MentorFilters):
    statement = _visible_profiles(viewer)
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
    home = viewer.neighbourhood if filters.near else None
    if home is not None:
        dlat, dlon = mentoring.NEAR_KM / 111.0, mentoring.NEAR_KM / 60.0
        statement = statement.join(Neighbourhood, Neighbourhood.id == User.neighbourhood_id).where(
            Neighbourhood.lat.between(home.lat - dlat, home.lat + dlat),
            Neighbourhood.lon.between(home.lon - dlon, home.lon + dlon),
        )
    statement = statement.order_by(User.display_name, User.id).limit(mentoring.CANDIDATES_MAX)
    cards = []
    for profile in db.session.scalars(statement).unique():
        if filters.language:
            key = mentoring.language_key(filters.language)
            if not any(
                mentoring.language_key(x) == key for x in mentoring.languages_of(profile.user)
            ):
                continue
        distance = None
        place = profile.user.neighbourhood
        if viewer.neighbourhood is not None and place is not None:
            distance = distance_km(
                viewer.neighbourhood.lat, viewer.neighbourhood.lon, place.lat, place.lon
            )
        if home is not None and (distance is None or distance > mentoring.NEAR_KM):
            continue
        cards.append((profile, distance))
    if home is not None:
        cards.sort(key=lambda card: (card[1] or 0.0, card[0].user.display_name))
    page = max(1, filters.page)
    start = (page - 1) * mentoring.PER_PAGE
    return (
        [(profile.id, distance) for profile, distance in cards[start : start + mentoring.PER_PAGE]],
        page,
        len(cards) > start + mentoring.PER_PAGE,
        filters.near and viewer.neighbourhood is None,
    )


def reference_suggestions(learner: User, goals: Sequence[LearningGoal], k: int = 5):
    open_goals = [goal for goal in goals if goal.status == "open"]
    if not open_goals:
        return {}
    asked = select(Mentorship.mentor_id).where(
        Mentorship.learner_id == learner.id, Mentorship.status.in_(LIVE_MENTORSHIP_STATES)
    )
    found_profiles = list(
        db.session.scalars(
            _visible_profiles(learner)
            .where(
                MentorProfile.active_count < MentorProfile.capacity,
                MentorProfile.user_id.not_in(asked),
            )
            .order_by(MentorProfile.id)
            .limit(mentoring.CANDIDATES_MAX)
        ).unique()
    )
    if not found_profiles:
        return {goal.id: [] for goal in open_goals}
    mentor_ids = [profile.user_id for profile in found_profiles]
    slots = mentoring._slots_of([*mentor_ids, learner.id])
    completed = mentoring._completed_exchanges(mentor_ids)
    memberships = mentoring._active_communities([*mentor_ids, learner.id])
    mine = sorted(memberships.get(learner.id, set()))
    home = str(mine[0]) if mine else None
    pairs = linked_pairs("mentors")
    links: set[frozenset[str]] = set()
    mentors = []
    for profile in found_profiles:
        theirs = memberships.get(profile.user_id, set())
        community = None
        if home is not None and theirs & set(mine):
            community = home
        elif home is not None:
            linked = sorted(c for c in theirs if any(frozenset((c, m)) in pairs for m in mine))
            if linked:
                community = str(linked[0])
                links.add(frozenset((home, community)))
        place = profile.user.neighbourhood
        mentors.append(
            Mentor(
                id=str(profile.user_id),
                member=str(profile.user_id),
                topics=tuple(topic.name for topic in profile.topics),
                languages=tuple(mentoring.languages_of(profile.user)),
                formats=profile.formats,
                available=slots.get(profile.user_id, ()),
                capacity=profile.capacity,
                active_learners=profile.active_count,
                community=community,
                lat=place.lat if place else None,
                lon=place.lon if place else None,
                trust=trust_from_exchanges(completed.get(profile.user_id, 0)),
                levels=tuple(profile.levels.split()),
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
    by_id = {str(profile.user_id): profile for profile in found_profiles}
    place = learner.neighbourhood
    found = {}
    for goal in open_goals:
        record = Goal(
            id=str(goal.id),
            learner=str(learner.id),
            topic=goal.topic,
            level=goal.level,
            languages=tuple(mentoring.languages_of(learner)),
            format=goal.format,
            available=slots.get(learner.id, ()),
            community=home,
            lat=place.lat if place else None,
            lon=place.lon if place else None,
        )
        found[goal.id] = [
            (by_id[m.mentor].id, m.score, m.reasons)
            for m in mentor_fit(record, mentors, links=links, blocked=blocked, top=k)
        ]
    return found


def service_find(viewer: User, filters: mentoring.MentorFilters):
    results = mentoring.find_mentors(viewer, filters)
    return (
        [(card.profile.id, card.distance_km) for card in results.mentors],
        results.page,
        results.has_next,
        results.near_unavailable,
    )


def service_suggestions(learner: User, goals: Sequence[LearningGoal]):
    return {
        goal_id: [(s.profile.id, s.score, s.reasons) for s in suggestions]
        for goal_id, suggestions in mentoring.suggestions_for(learner, goals).items()
    }


# --- a varied small community -----------------------------------------------------------------

# Plurals, word orders, one-letter words, filler only, and topics sharing no word with any goal.
TOPICS = [
    "guitar",
    "jazz guitar",
    "guitars",
    "guitar lessons",
    "bike repair",
    "repairing bikes",
    "welsh",
    "spanish conversation",
    "cherries",
    "cherry baking",
    "c",
    "c programming",
    "knitting",
    "cv writing",
    "the and of",
    "100% cotton",
]
GOAL_TOPICS = [
    "Guitar",
    "guitar lessons for beginners",
    "Bike repairs",
    "cherry",
    "Spanish",
    "C",
    "CV",
    "flute",
    "the",
]
REFUSED = (mentoring.MentorshipError, mentoring.MentorNotFound)
LANGUAGES = ["", "en", "English", "Polish, pl", "cy, English", "Welsh", "pl"]


def _place(rng: random.Random, places: Sequence[Neighbourhood]) -> int | None:
    return rng.choice([*(place.id for place in places), None])


@pytest.fixture
def neighbourhood(world, make_user, make_community):
    """Mentors in Northside, linked Southside and unlinked Eastside (the same rng each time):
    every format, level, language, place, capacity and timetable; some full, one paused, some
    already asked or blocked, some with completed exchanges."""
    rng = random.Random(7)
    link(world)
    east = make_community(make_user("Eve East"), "Eastside", lat=51.46, lon=-2.58)
    places = [*world.home.neighbourhoods, *world.away.neighbourhoods, *east.neighbourhoods]
    learners = [world.member, world.away_member, world.other_member, world.admin]
    mentors: list[User] = []
    home_mentors: list[User] = []
    for n in range(24):
        person = make_user(f"{rng.choice(['Ann', 'Bo', 'Cy'])} {n % 7}")
        community = rng.choice([world.home, world.home, world.away, east])
        communities.join(person, community)
        if community is world.home:
            communities.decide_request(world.coordinator, world.home, person.id, approve=True)
            home_mentors.append(person)
        mentors.append(person)
    mentors += [world.coordinator, world.away_coordinator]
    for person in [*mentors, *learners]:
        person.languages = rng.choice(LANGUAGES)
        person.neighbourhood_id = _place(rng, places)
        for day in rng.sample(range(7), rng.randrange(3)):
            start = rng.choice([8, 12, 18])
            profiles.add_slot(person, day, time(start), time(start + rng.choice([1, 2, 4])))
    db.session.commit()
    for n, person in enumerate(mentors):
        in_person = rng.random() < 0.7
        make_mentor(
            person,
            rng.sample(TOPICS, rng.randint(1, 3)),
            capacity=rng.randint(1, 3),
            in_person=in_person,
            online=not in_person or rng.random() < 0.5,
            levels=rng.sample(mentoring.LEVELS, rng.randrange(3)),
            accepting=n != 5,
        )
    # Some places taken (a full mentor is found but not suggested), some asked, a block.
    for person in mentors[:10]:
        if person.id != world.other_member.id and rng.random() < 0.5:
            with suppress(*REFUSED):  # someone Otto may not find, or may not ask
                mentoring.accept(person, ask(world.other_member, person, "guitar"))
    for person in mentors[10:13]:
        with suppress(*REFUSED):
            ask(world.member, person, "bike repair")
    block(mentors[14], world.member)
    block(world.away_member, mentors[15])
    # Completed exchanges make trust: posts by some mentors in Northside, claimed and done.
    for n, person in enumerate(home_mentors[:4]):
        post = create_post(
            person,
            PostInput(
                kind="offer",
                title=f"Help {n}",
                description="Help.",
                category="tools",
                community_id=world.home.id,
                capacity=5,
            ),
        )
        for _ in range(n * 3):
            db.session.add(
                Claim(post_id=post.id, claimant_id=world.stranger.id, status="completed")
            )
    db.session.commit()
    for learner in learners:
        for topic in rng.sample(GOAL_TOPICS, 5):
            mentoring.create_goal(
                learner,
                mentoring.GoalInput(
                    topic,
                    level=rng.choice(mentoring.LEVELS),
                    format=rng.choice([None, "in_person", "online"]),
                ),
            )
    return world


FILTERS = [
    {},
    {"topic": "guitar"},
    {"topic": "GUIT"},
    {"topic": "c"},
    {"topic": "%"},
    {"language": "English"},
    {"language": "pl"},
    {"language": "welsh"},
    {"format": "in_person"},
    {"format": "online"},
    {"free": True},
    {"near": True},
    {"near": True, "language": "en"},
    {"near": True, "free": True, "format": "in_person"},
    {"topic": "guitar", "language": "English", "free": True},
    {"topic": "repair", "format": "online", "near": True},
]


def test_finding_mentors_gives_the_same_pages_as_before(neighbourhood, monkeypatch):
    monkeypatch.setattr(mentoring, "PER_PAGE", 4)  # many pages from a small community
    world = neighbourhood
    viewers = [world.member, world.away_member, world.other_member, world.admin, world.stranger]
    compared = 0
    for viewer in viewers:
        for filters in FILTERS:
            for page in (1, 2, 3, 7):
                wanted = mentoring.MentorFilters(**filters, page=page)
                before = reference_find(viewer, wanted)
                assert service_find(viewer, wanted) == before, (viewer.display_name, wanted)
                compared += bool(before[0])
    assert compared > 100  # most of these pages show someone


def test_suggestions_are_the_same_as_before(neighbourhood):
    world = neighbourhood
    suggested = 0
    for learner in (world.member, world.away_member, world.other_member, world.admin):
        goals = mentoring.goals_of(learner)
        before = reference_suggestions(learner, goals)
        assert service_suggestions(learner, goals) == before, learner.display_name
        for goal in goals:  # one goal at a time too, as the goal's own page asks
            assert service_suggestions(learner, [goal]) == reference_suggestions(learner, [goal])
        suggested += sum(map(len, before.values()))
    assert suggested > 12
