"""The demo neighbourhood comes linked: Northside and Riverside share offers and needs, and
Old Town has asked Northside."""

from __future__ import annotations

from sqlalchemy import select

from commons.accounts.models import User
from commons.communities.models import Community, Membership
from commons.extensions import db
from commons.links import services as links
from commons.posts import services as posts
from commons.posts.models import Post


def _community(name: str) -> Community:
    return db.session.scalar(select(Community).where(Community.name == name))


def _only_member_of(community: Community) -> User:
    """A member of `community` and of no other (the demo puts some in two)."""
    for user in db.session.scalars(
        select(User).join(Membership).where(Membership.community_id == community.id)
    ):
        if len(user.memberships) == 1:
            return user
    raise AssertionError(f"no one belongs only to {community.name}")


def test_the_demo_links_northside_and_riverside(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    northside, riverside, old_town = (_community(n) for n in ("Northside", "Riverside", "Old Town"))
    assert links.live_link_between(northside, riverside).state == "active"
    assert links.live_link_between(northside, riverside).scopes == ("offers", "needs")
    waiting = links.live_link_between(old_town, northside)
    assert (waiting.state, waiting.proposer_id) == ("proposed", old_town.id)
    assert links.linked_pairs() == {frozenset({northside.id, riverside.id})}

    shared = db.session.scalars(
        select(Post).where(Post.visibility == "linked", Post.community_id == northside.id)
    ).all()
    assert shared, "some Northside posts are shared with linked communities"
    seen = {
        p.id
        for p in posts.browse(_only_member_of(riverside), posts.BrowseFilters(), per_page=100).posts
    }
    assert {p.id for p in shared} <= seen
    unseen = {
        p.id
        for p in posts.browse(_only_member_of(old_town), posts.BrowseFilters(), per_page=100).posts
    }
    assert not {p.id for p in shared} & unseen
