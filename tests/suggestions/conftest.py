"""Suggestions fixtures: clear-cut offers and needs (and clear non-matches) to publish in
Northside or Southside, links, blocks and weekly times, and the rows as the database holds
them now.

The engine's exact scores and reasons may move; these texts are chosen so that a match is
unmistakable (a bike to mend and a bike mender) and a non-match is too (piano lessons), so the
tests say what a member would notice and not what the engine computes today."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

import pytest
from sqlalchemy import select

from commons.accounts.models import User
from commons.communities import services as communities
from commons.communities.models import Community
from commons.extensions import db
from commons.links import services as links
from commons.links.models import CommunityLink
from commons.moderation import services as moderation
from commons.notifications.models import Notification
from commons.posts.models import Post
from commons.posts.services import PostInput, create_post
from commons.profiles import services as profiles
from commons.suggestions import services as suggestions
from commons.suggestions.models import MatchingRound, Proposal
from tests.conftest import World

# What each post says: (title, description, category). Pairs that plainly belong together.
TEXTS: dict[str, tuple[str, str, str]] = {
    "bike need": (
        "Bicycle repair needed",
        "My bike has a flat tyre and the brakes squeak.",
        "repairs",
    ),
    "bike offer": (
        "I can fix bikes",
        "Punctures, brakes, gears: bring your bicycle round and I will mend it.",
        "repairs",
    ),
    "piano offer": (
        "Piano lessons for beginners",
        "Learn to read music and play simple songs on my upright piano.",
        "arts",
    ),
    "dog need": (
        "Someone to walk my dog",
        "My dog needs a walk in the park every afternoon while I recover from surgery.",
        "pets",
    ),
    "dog offer": (
        "Dog walking in the park",
        "I walk dogs every afternoon in the park and would happily take yours too.",
        "pets",
    ),
    # Shares a word with the bike repair, not its meaning: a weak fit at best.
    "bike rack offer": (
        "Bike rack for a car",
        "Fits most hatchbacks, carries two bikes.",
        "transport",
    ),
    "ladder need": (
        "Ladder to clear my gutters",
        "I need to borrow a tall ladder to clean out the gutters this weekend.",
        "tools",
    ),
    "ladder offer": (
        "Tall ladder to lend",
        "An aluminium ladder, tall enough for gutters; borrow it for the weekend.",
        "tools",
    ),
}

MakePost = Callable[..., Post]


@pytest.fixture
def make_neighbour(world: World, make_user) -> Callable[..., User]:
    """An active member of Northside (or of `community`)."""

    def make(name: str | None = None, community: Community | None = None) -> User:
        person = make_user(name)
        where = community or world.home
        communities.join(person, where)
        if where.join_policy == "approval":
            coordinator = communities.coordinators(where)[0]
            communities.decide_request(coordinator, where, person.id, approve=True)
        return person

    return make


@pytest.fixture
def make_post(world: World) -> MakePost:
    """Publish one of TEXTS through the service, as the form would: by Mia in Northside unless
    told otherwise; the kind comes from the text's name ("bike need" is a need). `when` gives
    the post its own times of the week ("mon-evening")."""

    def make(
        what: str,
        *,
        author: User | None = None,
        community: Community | None = None,
        visibility: str = "community",
        capacity: int = 1,
        title: str | None = None,
        request_key: str | None = None,
        when: tuple[str, ...] = (),
    ) -> Post:
        default_title, description, category = TEXTS[what]
        return create_post(
            author or world.member,
            PostInput(
                kind=what.split()[-1],
                title=title or default_title,
                description=description,
                category=category,
                community_id=(community or world.home).id,
                capacity=capacity,
                visibility=visibility,
                request_key=request_key,
                when=list(when),
            ),
        )

    return make


@pytest.fixture
def bob(make_neighbour) -> User:
    """Bob mends bikes and lends ladders in Northside."""
    return make_neighbour("Bob Bikes")


@pytest.fixture
def carl(make_neighbour) -> User:
    """Carl walks dogs and teaches the piano in Northside."""
    return make_neighbour("Carl Keys")


@pytest.fixture
def three_pairs(
    world: World, make_post: MakePost, bob: User, carl: User
) -> tuple[MatchingRound, dict[str, Proposal]]:
    """Northside's coordinator drafts a round of three clear pairs: Mia's bike to mend with
    Bob's mending, Otto's dog with Carl's walks, Otto's gutters with Bob's ladder (Carl's
    piano lessons fit nobody). Returns the round and its proposals by name."""
    make_post("bike need")
    make_post("dog need", author=world.other_member)
    make_post("ladder need", author=world.other_member)
    make_post("bike offer", author=bob)
    make_post("dog offer", author=carl)
    make_post("ladder offer", author=bob)
    make_post("piano offer", author=carl)
    matching_round = suggestions.run_round(world.coordinator, world.home)
    by_need = {p.need.title: p for p in fresh(MatchingRound, matching_round.id).proposals}
    assert len(by_need) == 3, by_need
    return fresh(MatchingRound, matching_round.id), {
        "bike": by_need["Bicycle repair needed"],
        "dog": by_need["Someone to walk my dog"],
        "ladder": by_need["Ladder to clear my gutters"],
    }


@pytest.fixture
def sent(world: World, three_pairs) -> dict[str, Proposal]:
    """The round of three, sent as it is; returns its proposals by name."""
    matching_round, proposal = three_pairs
    suggestions.send_round(world.coordinator, matching_round)
    return {name: fresh(Proposal, p.id) for name, p in proposal.items()}


def link(world: World, scopes: tuple[str, ...] = ("offers", "needs")) -> CommunityLink:
    """An active link between Northside and Southside, as their coordinators make one."""
    proposed = links.propose(world.coordinator, world.home, world.away, scopes=scopes)
    return links.accept(world.away_coordinator, world.away, proposed)


def revoke(world: World, active: CommunityLink) -> None:
    links.revoke(world.coordinator, world.home, active)


def block(blocker: User, blocked: User) -> None:
    moderation.block(blocker, blocked)


def available(member: User, weekday: int, start: int, end: int) -> None:
    """A weekly window in the member's profile, e.g. (0, 18, 20) for Monday 18:00-20:00."""
    profiles.add_slot(member, weekday, time(start), time(end))


def fresh(model, id_: int):
    """The row as the database has it now (ends this test's read snapshot first)."""
    db.session.rollback()
    return db.session.get(model, id_)


def notes_for(user: User, kind: str = "match") -> list[Notification]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.kind == kind)
            .order_by(Notification.id)
        )
    )


def all_rounds() -> list[MatchingRound]:
    db.session.rollback()
    return list(db.session.scalars(select(MatchingRound).order_by(MatchingRound.id)))


def proposal_states(round_id: int) -> dict[tuple[int, int], str]:
    """(need id, offer id) -> state, for every proposal of the round."""
    db.session.rollback()
    return {
        (p.need_id, p.offer_id): p.state
        for p in db.session.scalars(select(Proposal).where(Proposal.round_id == round_id))
    }
