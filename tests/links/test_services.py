"""The link state machine and its scope, for every role; what the database itself refuses;
the nearby list, the network picture and the pairs matching asks for."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from commons.communities.models import Community
from commons.communities.permissions import NotAllowed
from commons.extensions import db
from commons.links import services
from commons.links.models import CommunityLink
from commons.notifications.models import Notification
from tests.claims.test_concurrency import run_together
from tests.links.conftest import all_links, bring_link, fresh_link


def notified(user) -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Notification.text)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )


# --- proposing --------------------------------------------------------------------------------


def test_a_proposal_is_stored_as_an_ordered_pair_and_tells_the_other_side(world):
    link = services.propose(
        world.away_coordinator,
        world.away,
        world.home,
        scopes=["needs", "mentors"],
        message="  We are just south of you.  ",
    )
    link = fresh_link(link.id)
    assert link.state == "proposed"
    assert (link.community_low_id, link.community_high_id) == (world.home.id, world.away.id)
    assert link.proposer_id == world.away.id and link.target_id == world.home.id
    assert (link.proposer, link.target) == (world.away, world.home)
    assert link.scopes == ("needs", "mentors")
    assert link.message == "We are just south of you."
    assert link.proposed_by_id == world.away_coordinator.id
    assert link.decided_at is None and link.revoked_at is None
    assert notified(world.coordinator) == [
        "Southside proposes a link with Northside: needs and mentors would flow between you. "
        "Accept or decline it on your links page."
    ]
    assert notified(world.away_coordinator) == []  # the proposer is not told of their own act
    assert notified(world.member) == []  # only coordinators


@pytest.mark.parametrize(
    "existing, proposer, message",
    [
        ("proposed", "home", "Northside has already proposed a link to Southside"),
        ("proposed", "away", "Northside has already proposed a link to Southside: you can"),
        ("active", "home", "Northside and Southside are already linked."),
        ("active", "away", "Southside and Northside are already linked."),
    ],
)
def test_one_live_link_per_pair_whichever_side_asks(world, existing, proposer, message):
    bring_link(world, existing)
    actor, side, other = {
        "home": (world.coordinator, world.home, world.away),
        "away": (world.away_coordinator, world.away, world.home),
    }[proposer]
    with pytest.raises(services.LinkExists) as refused:
        services.propose(actor, side, other, scopes=["offers"])
    assert message in str(refused.value)
    assert len(all_links()) == 1


@pytest.mark.parametrize("ended", ["declined", "withdrawn", "revoked"])
def test_after_a_link_ends_either_side_may_propose_again(world, ended):
    bring_link(world, ended)
    again = services.propose(world.away_coordinator, world.away, world.home, scopes=["offers"])
    assert [state for _, state, *_ in all_links()] == [ended, "proposed"]
    assert fresh_link(again.id).proposer_id == world.away.id


@pytest.mark.parametrize(
    "scopes, message, error",
    [
        ([], "", "Choose at least one thing to share"),
        (["offers", "gossip"], "", "Unknown scope: gossip."),
        (["offers"], "x" * 1001, "Please keep the message under 1000 characters."),
    ],
)
def test_a_proposal_needs_a_scope_and_a_short_message(world, scopes, message, error):
    with pytest.raises(services.InvalidLink, match=error):
        services.propose(world.coordinator, world.home, world.away, scopes=scopes, message=message)
    assert all_links() == []
    assert notified(world.away_coordinator) == []


def test_a_community_cannot_link_to_itself(world):
    with pytest.raises(services.InvalidLink, match="can't link to itself"):
        services.propose(world.coordinator, world.home, world.home, scopes=["offers"])
    assert all_links() == []


@pytest.mark.parametrize(
    "role, allowed",
    [
        ("member", False),
        ("other_member", False),
        ("applicant", False),
        ("away_member", False),
        ("away_coordinator", False),  # coordinates Southside, not Northside
        ("stranger", False),
        ("coordinator", True),
        ("admin", True),
    ],
)
def test_only_the_communitys_coordinators_and_admins_propose_for_it(world, role, allowed):
    actor = getattr(world, role)
    if allowed:
        services.propose(actor, world.home, world.away, scopes=["offers"])
        assert len(all_links()) == 1
    else:
        with pytest.raises(NotAllowed):
            services.propose(actor, world.home, world.away, scopes=["offers"])
        assert all_links() == []


# --- the state machine ------------------------------------------------------------------------

# Who acts for which side, per action: the target answers, the proposer withdraws, either
# side changes the scope or revokes. Northside proposed in every case below.
ACTIONS = {
    "accept": lambda w, link: services.accept(w.away_coordinator, w.away, link),
    "decline": lambda w, link: services.decline(w.away_coordinator, w.away, link),
    "withdraw": lambda w, link: services.withdraw(w.coordinator, w.home, link),
    "revoke_by_proposer": lambda w, link: services.revoke(w.coordinator, w.home, link),
    "revoke_by_target": lambda w, link: services.revoke(w.away_coordinator, w.away, link),
    "scope": lambda w, link: services.change_scope(w.coordinator, w.home, link, ["mentors"]),
}
MOVES = {
    ("proposed", "accept"): "active",
    ("proposed", "decline"): "declined",
    ("proposed", "withdraw"): "withdrawn",
    ("active", "revoke_by_proposer"): "revoked",
    ("active", "revoke_by_target"): "revoked",
    ("active", "scope"): "active",
}
STATES = ["proposed", "active", "declined", "withdrawn", "revoked"]


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("state", STATES)
def test_every_action_from_every_state(world, state, action):
    link = bring_link(world, state)
    before = all_links()
    expected = MOVES.get((state, action))
    if expected is None:
        with pytest.raises(services.StateChanged) as refused:
            ACTIONS[action](world, link)
        assert "That can't be done now: the link between Northside and Southside" in str(
            refused.value
        )
        assert refused.value.state == state
        assert all_links() == before  # nothing changed
    else:
        ACTIONS[action](world, link)
        assert fresh_link(link.id).state == expected


def test_accepting_records_who_and_when_and_tells_the_proposer(world):
    link = bring_link(world, "proposed")
    services.accept(world.away_coordinator, world.away, link)
    link = fresh_link(link.id)
    assert link.state == "active"
    assert link.decided_by_id == world.away_coordinator.id and link.decided_at is not None
    assert notified(world.coordinator)[-1] == (
        "Southside accepted the link with Northside: offers and needs now flow between you."
    )


@pytest.mark.parametrize(
    "action, text",
    [
        ("decline", "Southside declined Northside's proposal to link."),
        ("revoke_by_target", "Southside ended its link with Northside: posts no longer flow"),
    ],
)
def test_the_proposer_is_told_of_a_decline_or_revocation(world, action, text):
    link = bring_link(world, "active" if action.startswith("revoke") else "proposed")
    ACTIONS[action](world, link)
    assert text in notified(world.coordinator)[-1]


def test_revoking_records_who_and_tells_the_other_side(world):
    link = bring_link(world, "active")
    services.revoke(world.coordinator, world.home, link)
    link = fresh_link(link.id)
    assert (link.state, link.revoked_by_id) == ("revoked", world.coordinator.id)
    assert link.revoked_at is not None
    assert "Northside ended its link with Southside" in notified(world.away_coordinator)[-1]


def test_withdrawing_tells_the_target(world):
    link = bring_link(world, "proposed")
    services.withdraw(world.coordinator, world.home, link)
    assert notified(world.away_coordinator)[-1] == (
        "Northside withdrew its proposal to link with Southside."
    )


def test_either_side_changes_the_scope_and_the_other_is_told(world):
    link = bring_link(world, "active")
    services.change_scope(world.away_coordinator, world.away, link, ["needs", "mentors"])
    assert fresh_link(link.id).scopes == ("needs", "mentors")
    assert "now needs and mentors flow between you" in notified(world.coordinator)[-1]
    services.change_scope(world.coordinator, world.home, link, ["offers"])
    assert fresh_link(link.id).scopes == ("offers",)
    with pytest.raises(services.InvalidLink):
        services.change_scope(world.coordinator, world.home, link, [])
    assert fresh_link(link.id).scopes == ("offers",)


# Which roles may act for which side (the community whose page they act from).
SIDE_ACTIONS = {
    # action: (the side it is done for, the state it needs)
    "accept": ("away", "proposed"),
    "decline": ("away", "proposed"),
    "withdraw": ("home", "proposed"),
    "revoke": ("home", "active"),
    "scope": ("away", "active"),
}
CALLS = {
    "accept": services.accept,
    "decline": services.decline,
    "withdraw": services.withdraw,
    "revoke": services.revoke,
    "scope": lambda actor, side, link: services.change_scope(actor, side, link, ["offers"]),
}
ROLES = [
    "member",
    "other_member",
    "applicant",
    "away_member",
    "stranger",
    "coordinator",
    "away_coordinator",
    "admin",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(SIDE_ACTIONS))
def test_who_may_do_each_action(world, action, role):
    side_name, state = SIDE_ACTIONS[action]
    side = getattr(world, side_name)
    link = bring_link(world, state)
    before = all_links()
    coordinator_of_side = "coordinator" if side_name == "home" else "away_coordinator"
    if role in (coordinator_of_side, "admin"):
        CALLS[action](getattr(world, role), side, link)
        assert all_links() != before
    else:
        with pytest.raises(NotAllowed):
            CALLS[action](getattr(world, role), side, link)
        assert all_links() == before


@pytest.mark.parametrize(
    "actor, side, action, message",
    [
        # A coordinator of the proposing side cannot answer their own proposal ...
        ("coordinator", "home", "accept", "Only Southside's coordinators can answer"),
        ("coordinator", "home", "decline", "Only Southside's coordinators can answer"),
        # ... and the side that was asked cannot withdraw it.
        ("away_coordinator", "away", "withdraw", "Only Northside's coordinators can withdraw"),
    ],
)
def test_each_side_only_does_its_own_part(world, actor, side, action, message):
    link = bring_link(world, "proposed")
    with pytest.raises(NotAllowed, match=message):
        CALLS[action](getattr(world, actor), getattr(world, side), link)
    assert fresh_link(link.id).state == "proposed"


def test_a_coordinator_of_a_never_acts_for_b_even_when_linked(world, make_user, make_community):
    """Linked or not, Cora (Northside) has no say in Southside's links, nor in a link between
    Southside and a third community."""
    link = bring_link(world, "active")
    eastside = make_community(make_user("Eve East"), "Eastside", lat=51.45, lon=-2.50)
    theirs = services.propose(world.away_coordinator, world.away, eastside, scopes=["offers"])
    for call in (
        lambda: services.revoke(world.coordinator, world.away, link),
        lambda: services.change_scope(world.coordinator, world.away, link, ["offers"]),
        lambda: services.propose(world.coordinator, world.away, eastside, scopes=["offers"]),
        lambda: services.withdraw(world.coordinator, world.away, theirs),
        lambda: services.accept(world.coordinator, eastside, theirs),
        lambda: services.accept(world.coordinator, world.home, theirs),  # not Northside's
    ):
        with pytest.raises(NotAllowed):
            call()
    assert [state for _, state, *_ in all_links()] == ["active", "proposed"]


def test_get_link_only_finds_a_communitys_own_links(world, make_user, make_community):
    eastside = make_community(make_user("Eve East"), "Eastside", lat=51.45, lon=-2.50)
    theirs = services.propose(world.away_coordinator, world.away, eastside, scopes=["offers"])
    assert services.get_link(world.away, theirs.id).id == theirs.id
    assert services.get_link(eastside, theirs.id).id == theirs.id
    with pytest.raises(services.LinkNotFound):
        services.get_link(world.home, theirs.id)
    with pytest.raises(services.LinkNotFound):
        services.get_link(world.home, 999_999)


# --- at the same instant ----------------------------------------------------------------------


def test_both_sides_proposing_at_once_make_one_link(app, world):
    """Both pass the "no live link yet" check; the unique partial index lets one in."""
    people = [
        (world.coordinator.id, world.home.id, world.away.id),
        (world.away_coordinator.id, world.away.id, world.home.id),
    ]

    def prepare(item):
        from commons.accounts.models import User

        actor_id, side_id, other_id = item
        loaded = (
            db.session.get(User, actor_id),
            db.session.get(Community, side_id),
            db.session.get(Community, other_id),
        )
        db.session.commit()
        return loaded

    def act(loaded):
        actor, side, other = loaded
        try:
            services.propose(actor, side, other, scopes=["offers"])
        except services.LinkExists:
            return "exists"
        return "proposed"

    outcomes = run_together(app, people, prepare, act, workers=2)
    assert sorted(outcomes) == ["exists", "proposed"]
    assert [state for _, state, *_ in all_links()] == ["proposed"]


def test_accepting_and_withdrawing_at_once_one_wins(app, world):
    link = bring_link(world, "proposed")
    moves = [
        (world.away_coordinator.id, world.away.id, "accept"),
        (world.coordinator.id, world.home.id, "withdraw"),
    ]

    def prepare(item):
        from commons.accounts.models import User

        actor_id, side_id, action = item
        loaded = (
            db.session.get(User, actor_id),
            db.session.get(Community, side_id),
            db.session.get(CommunityLink, link.id),
            action,
        )
        _ = (loaded[2].community_low, loaded[2].community_high)
        db.session.commit()
        return loaded

    def act(loaded):
        actor, side, the_link, action = loaded
        try:
            CALLS[action](actor, side, the_link)
        except services.StateChanged:
            return "refused"
        return action

    outcomes = run_together(app, moves, prepare, act, workers=2)
    assert "refused" in outcomes and len(set(outcomes)) == 2
    winner = next(o for o in outcomes if o != "refused")
    assert fresh_link(link.id).state == {"accept": "active", "withdraw": "withdrawn"}[winner]


# --- what the database refuses on its own -----------------------------------------------------


def _insert(**values):
    row = {
        "state": "active",
        "message": "",
        "shares_offers": True,
        "shares_needs": False,
        "shares_mentors": False,
        **values,
    }
    with db.engine.begin() as conn:
        conn.execute(insert(CommunityLink), row)


@pytest.mark.parametrize(
    "change",
    [
        {"low": "home", "high": "home", "proposer": "home"},  # itself
        {"low": "away", "high": "home", "proposer": "away"},  # not ordered
        {"proposer": "third"},  # not a side
        {"shares_offers": False},  # nothing flows
        {"state": "paused"},
    ],
)
def test_the_database_refuses_a_malformed_link(world, make_user, make_community, change):
    third = make_community(make_user("Tia Third"), "Thirdside", lat=51.3, lon=-2.6)
    ids = {"home": world.home.id, "away": world.away.id, "third": third.id}
    low, high = sorted((world.home.id, world.away.id))
    values = {"community_low_id": low, "community_high_id": high, "proposer_id": low}
    for key, column in (("low", "community_low_id"), ("high", "community_high_id")):
        if key in change:
            values[column] = ids[change[key]]
    if "proposer" in change:
        values["proposer_id"] = ids[change["proposer"]]
    values.update({k: v for k, v in change.items() if k not in ("low", "high", "proposer")})
    with pytest.raises(IntegrityError):
        _insert(**values)
    assert all_links() == []


def test_the_database_holds_one_live_link_per_pair(world):
    low, high = sorted((world.home.id, world.away.id))
    pair = {"community_low_id": low, "community_high_id": high, "proposer_id": low}
    _insert(**pair, state="revoked")
    _insert(**pair, state="declined")
    _insert(**pair, state="active")
    for state in ("proposed", "active"):
        with pytest.raises(IntegrityError):
            _insert(**pair, state=state)
    assert sorted(state for _, state, *_ in all_links()) == ["active", "declined", "revoked"]


def test_links_go_with_their_community_and_keep_their_history_without_the_person(world):
    link = bring_link(world, "active")
    with db.engine.begin() as conn:
        conn.execute(
            CommunityLink.__table__.update()
            .where(CommunityLink.id == link.id)
            .values(proposed_by_id=None)
        )
    assert fresh_link(link.id).proposed_by_id is None
    with db.engine.begin() as conn:
        conn.execute(delete(Community).where(Community.id == world.away.id))
    assert all_links() == []


# --- nearby, the network, and the pairs matching uses -----------------------------------------


@pytest.fixture
def more_communities(world, make_user, make_community) -> dict[str, Community]:
    """Far (100 km north) and Near (2 km east) of Northside (51.47, -2.59)."""
    return {
        "far": make_community(make_user("Fay Far"), "Abbey Far", lat=52.37, lon=-2.59),
        "near": make_community(make_user("Ned Near"), "Nearby Green", lat=51.47, lon=-2.56),
    }


def test_nearby_lists_other_communities_nearest_first(world, more_communities):
    names = [c.community.name for c in services.nearby(world.home)]
    assert names == ["Nearby Green", "Southside", "Abbey Far"]
    distances = [c.distance_km for c in services.nearby(world.home)]
    assert distances == sorted(distances)
    assert 2.0 < distances[0] < 2.2 and 99 < distances[-1] < 101
    assert [c.community.name for c in services.nearby(world.home, limit=1)] == ["Nearby Green"]


@pytest.mark.parametrize(
    "state, listed",
    [("proposed", False), ("active", False), ("declined", True), ("revoked", True)],
)
def test_nearby_leaves_out_communities_already_linked_or_asked(
    world, more_communities, state, listed
):
    bring_link(world, state)
    assert ("Southside" in [c.community.name for c in services.nearby(world.home)]) is listed
    assert ("Northside" in [c.community.name for c in services.nearby(world.away)]) is listed


def test_the_network_places_communities_by_their_centres(world, more_communities):
    near, far = more_communities["near"], more_communities["far"]
    bring_link(world, "active")  # Southside: south of Northside
    services.propose(world.coordinator, world.home, near, scopes=["offers"])  # east
    services.propose(world.coordinator, world.home, far, scopes=["offers"])
    services.decline(far_coordinator(far), far, services.live_link_between(world.home, far))
    picture = services.network(world.home)
    nodes = {node.community.name: node for node in picture.nodes}
    assert set(nodes) == {"Northside", "Southside", "Nearby Green"}  # not the declined one
    assert nodes["Northside"].is_centre and not nodes["Southside"].is_centre
    assert nodes["Southside"].y > nodes["Northside"].y  # south is lower on the picture
    assert nodes["Nearby Green"].x > nodes["Northside"].x  # east is to the right
    for node in picture.nodes:
        assert 0 <= node.x <= picture.width and 0 <= node.y <= picture.height
    edges = {(e.a.community.name, e.b.community.name): e.link.state for e in picture.edges}
    assert sorted(edges.values()) == ["active", "proposed"]


def far_coordinator(community: Community):
    from commons.communities.services import coordinators

    return coordinators(community)[0]


def test_the_network_of_a_community_without_links_is_itself(world):
    picture = services.network(world.home)
    assert [n.community.name for n in picture.nodes] == ["Northside"]
    assert picture.edges == []
    (node,) = picture.nodes
    assert (node.x, node.y) == (picture.width / 2, picture.height / 2)


def test_linked_pairs_are_the_active_links_by_scope(world, more_communities):
    near, far = more_communities["near"], more_communities["far"]
    bring_link(world, "active", scopes=("offers", "mentors"))
    services.accept(
        far_coordinator(near),
        near,
        services.propose(world.coordinator, world.home, near, scopes=["needs"]),
    )
    services.propose(world.coordinator, world.home, far, scopes=["offers"])  # only proposed
    home_away = frozenset({world.home.id, world.away.id})
    home_near = frozenset({world.home.id, near.id})
    assert services.linked_pairs() == {home_away, home_near}
    assert services.linked_pairs("offers") == {home_away}
    assert services.linked_pairs("needs") == {home_near}
    assert services.linked_pairs("mentors") == {home_away}
    services.revoke(
        world.away_coordinator, world.away, services.live_link_between(world.home, world.away)
    )
    assert services.linked_pairs() == {home_near}
    assert services.linked_pairs("offers") == set()
    with pytest.raises(ValueError):
        services.linked_pairs("gossip")
