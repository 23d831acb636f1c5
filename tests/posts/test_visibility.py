"""Who sees a post (rule 2), in every place a post shows up: the browse list, search results
and the post's own address; and how a link between the post's community (Northside) and
Southside changes it: only an active link whose scope includes the post's kind lets a `linked`
post across, and never a `community` one."""

from __future__ import annotations

import pytest

from commons.claims.models import Claim
from commons.communities import services as communities
from commons.database import now_utc
from commons.extensions import db
from commons.links.models import KIND_SCOPE, SCOPES
from tests.conftest import text
from tests.links.conftest import bring_link
from tests.posts.conftest import become

ROLES = [
    "visitor",
    "member",
    "other_member",
    "applicant",
    "away_member",
    "away_coordinator",
    "coordinator",
    "admin",
    "stranger",
    "author",
]
# Who sees a Northside post that is not public: its active members (the coordinator among
# them), its author, and site admins. Not an applicant still waiting, not Southside.
NORTHSIDE = {"member", "other_member", "coordinator", "admin", "author"}
SEES = {"public": set(ROLES), "community": NORTHSIDE, "linked": NORTHSIDE}
# Southside's active members, whom an active link may let a `linked` post reach.
SOUTHSIDE = {"away_member", "away_coordinator"}
# The link Northside proposed to Southside: none, in each state, and active with a scope that
# includes the post's kind ("active") or everything but it ("active, other kinds").
LINKS = ["none", "proposed", "declined", "withdrawn", "active", "active, other kinds", "revoked"]
# A hidden post stays reachable by its address for the people who answer for it.
SEES_HIDDEN_BY_URL = {"author", "coordinator", "admin"}
WHERE = ["browse", "search", "url"]


def shows(client, post, where: str) -> bool:
    """Whether the viewer meets `post` in `where`, as a person using the site would."""
    link = f'href="/posts/{post.id}"'
    if where == "browse":
        response = client.get("/posts")
    elif where == "search":
        response = client.get("/posts", query_string={"q": "ladders"})
    else:
        response = client.get(f"/posts/{post.id}")
        assert response.status_code in (200, 404), response.status_code
        if response.status_code == 200:
            assert "<h1>Ladder to lend</h1>" in text(response)
        return response.status_code == 200
    assert response.status_code == 200
    return link in text(response)


@pytest.fixture
def unrelated(world, make_post):
    """A Southside public post everybody sees: proves the lists render for every viewer."""
    return make_post(
        by=world.away_coordinator,
        community_id=world.away.id,
        title="Ladders and trestles",
        visibility="public",
    )


def who_sees(visibility: str, link: str) -> set[str]:
    if visibility == "linked" and link == "active":
        return SEES[visibility] | SOUTHSIDE
    return SEES[visibility]


def link_northside_to_southside(world, link: str, kind: str) -> None:
    """Bring the link to `link`'s state, through the services, as coordinators would."""
    own_scope = KIND_SCOPE[kind]
    others = tuple(scope for scope in SCOPES if scope != own_scope)
    state = "active" if link.startswith("active") else link
    bring_link(world, state, scopes=others if link == "active, other kinds" else (own_scope,))


# The kind matters only across a link, for `linked` posts; the others are checked as offers.
CASES = [
    (visibility, link, kind)
    for visibility in ("community", "linked", "public")
    for link in LINKS
    for kind in (("offer", "need") if visibility == "linked" else ("offer",))
]


@pytest.mark.parametrize("visibility, link, kind", CASES)
def test_who_sees_a_post(app, world, author, make_post, unrelated, visibility, link, kind):
    """The whole table for one post: every role, in every place. (One test per post and link
    rather than per role: each role logs in on a client of its own.)"""
    post = make_post(visibility=visibility, kind=kind)
    link_northside_to_southside(world, link, kind)
    seen, expected = set(), set()
    for role in ROLES:
        client = app.test_client()
        become(client, world, author, role)
        for where in WHERE:
            if shows(client, post, where):
                seen.add((role, where))
            if role in who_sees(visibility, link):
                expected.add((role, where))
            if where != "url":
                assert shows(client, unrelated, where), (role, where)
    assert sorted(seen) == sorted(expected)


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", ["community", "linked", "public"])
def test_a_hidden_post_is_only_reachable_by_those_who_answer_for_it(
    client, world, author, make_post, unrelated, visibility, role, where
):
    post = make_post(visibility=visibility)
    post.hidden_at = now_utc()
    db.session.commit()
    become(client, world, author, role)
    expected = where == "url" and role in SEES_HIDDEN_BY_URL
    assert shows(client, post, where) is expected
    if where != "url":
        assert shows(client, unrelated, where)


def test_a_claimant_keeps_the_hidden_post_they_answered(client, world, make_post):
    post = make_post()
    db.session.add(Claim(post_id=post.id, claimant_id=world.member.id, message="Yes please"))
    post.hidden_at = now_utc()
    db.session.commit()
    become(client, world, None, "member")
    assert shows(client, post, "url")
    assert not shows(client, post, "browse")
    become(client, world, None, "other_member")
    assert not shows(client, post, "url")


def test_joining_and_leaving_change_what_a_person_sees(client, world, make_post):
    post = make_post()
    become(client, world, None, "applicant")
    assert not shows(client, post, "url")
    communities.decide_request(world.coordinator, world.home, world.applicant.id, True)
    assert shows(client, post, "url") and shows(client, post, "browse")
    communities.leave(world.applicant, world.home)
    assert not shows(client, post, "url") and not shows(client, post, "browse")


@pytest.mark.parametrize("where", WHERE)
def test_a_hidden_post_never_crosses_a_link(client, world, make_post, unrelated, where):
    post = make_post(visibility="linked")
    bring_link(world, "active", scopes=("offers", "needs", "mentors"))
    post.hidden_at = now_utc()
    db.session.commit()
    for role in sorted(SOUTHSIDE):
        become(client, world, None, role)
        assert not shows(client, post, where)
