"""What moderation does to the rest of the site: a hidden post leaves browse, search and
matching while the people in its claims keep their thread; a suspended member can't post,
answer or write in the community, nor see its posts, until the suspension is lifted."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commons.claims import services as claims
from commons.claims.models import Claim, Message
from commons.communities import services as communities
from commons.communities.permissions import NotAllowed
from commons.extensions import db
from commons.moderation import queue
from commons.moderation import services as moderation
from commons.posts import services as posts
from commons.posts.models import Post
from commons.posts.services import PostInput, create_post
from commons.suggestions import services as suggestions
from tests.conftest import act_as, assert_status, log_in, post, text
from tests.links.conftest import bring_link
from tests.moderation.conftest import membership_status


def publish(author, community, title: str, *, kind="offer", visibility="community", **extra):
    return create_post(
        author,
        PostInput(
            kind=kind,
            title=title,
            description=extra.pop("description", "A tall aluminium ladder, three metres."),
            category="tools",
            community_id=community.id,
            visibility=visibility,
            tags=extra.pop("tags", ["ladder"]),
        ),
    )


def in_browse(client, post_id: int, query: str = "") -> bool:
    client.application.extensions["posts.rendered_results"].clear()
    response = client.get(f"/posts{query}")
    assert response.status_code == 200
    return f'href="/posts/{post_id}"' in text(response)


def claim_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Claim))


def message_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Message))


# --- a hidden post ------------------------------------------------------------------------


@pytest.fixture
def exchange(world):
    """Mia's ladder, answered by Otto, with a message each way."""
    ladder = publish(world.member, world.home, "Ladder to lend")
    claim = claims.make_claim(world.other_member, ladder, "Could I borrow it on Saturday?")
    claims.send_message(world.member, claim, "Come by at six.")
    claims.send_message(world.other_member, claim, "See you then.")
    return ladder, claim


def hide(world, ladder) -> None:
    report = moderation.report_post(world.other_member, ladder, "It is a trap.")
    queue.act(world.coordinator, world.home, report, "hide_post")


def test_a_hidden_post_leaves_browse_and_search_for_everyone(client, world, exchange):
    ladder, _claim = exchange
    for role in ("other_member", "admin", "coordinator"):
        act_as(client, world, role)
        assert in_browse(client, ladder.id), role
        assert in_browse(client, ladder.id, "?q=ladder"), role
    hide(world, ladder)
    for role in ("member", "other_member", "admin", "coordinator"):
        act_as(client, world, role)
        assert not in_browse(client, ladder.id), role
        assert not in_browse(client, ladder.id, "?q=ladder"), role
        assert not in_browse(client, ladder.id, "?q=aluminium&kind=offer"), role


def test_a_hidden_post_is_never_suggested(world):
    ladder = publish(world.member, world.home, "Ladder to lend")
    need = publish(
        world.other_member,
        world.home,
        "Need a ladder",
        kind="need",
        description="A ladder to reach the gutter, for an afternoon.",
    )
    assert ladder.id in [s.post.id for s in suggestions.suggestions_for(world.other_member, need)]
    assert need.id in [s.post.id for s in suggestions.suggestions_for(world.member, ladder)]
    hide(world, ladder)
    db.session.rollback()
    need, ladder = db.session.get(Post, need.id), db.session.get(Post, ladder.id)
    assert ladder.id not in [
        s.post.id for s in suggestions.suggestions_for(world.other_member, need)
    ]
    assert ladder.id not in [
        s.post.id for _post, found in suggestions.my_suggestions(world.other_member) for s in found
    ]
    assert suggestions.suggestions_for(world.member, ladder) == []  # nor suggested to
    matching = suggestions.run_round(world.coordinator, world.home)
    assert all(p.offer_id != ladder.id for p in matching.proposals)


def test_the_people_in_a_hidden_posts_claim_keep_their_thread(
    app, client, world, exchange, make_user
):
    ladder, claim = exchange
    hide(world, ladder)
    for person in (world.member, world.other_member):
        log_in(client, person)
        page = text(client.get(f"/claims/{claim.id}"))
        assert "Come by at six." in page and "See you then." in page
        assert_status(client.get(f"/posts/{ladder.id}"), 200)
    # They can still write to each other about it.
    response = post(client, f"/claims/{claim.id}/messages", {"body": "Thanks again!"})
    assert_status(response, 303)
    assert message_count() == 3
    # Nobody else gets the post any more, even a member of its community.
    newcomer = make_user("Nina Newcomer")
    communities.join(newcomer, world.home)
    communities.decide_request(world.coordinator, world.home, newcomer.id, approve=True)
    other = app.test_client()
    log_in(other, newcomer)
    assert_status(other.get(f"/posts/{ladder.id}"), 404)
    # And nobody new can answer it.
    with pytest.raises(NotAllowed, match="You can't see this post."):
        claims.make_claim(newcomer, db.session.get(Post, ladder.id), "Me too")


# --- a suspended member ---------------------------------------------------------------------


@pytest.fixture
def suspended(world, exchange):
    """Otto, who answered Mia's ladder, is suspended from Northside."""
    report = moderation.report_member(world.member, world.other_member, world.home, "Shouts")
    queue.act(world.coordinator, world.home, report, "suspend")
    return world.other_member


def test_a_suspended_member_no_longer_sees_the_communitys_posts(client, world, exchange, suspended):
    ladder, _claim = exchange
    garden = publish(world.member, world.home, "Garden shears", tags=["garden"])
    notice = publish(world.member, world.home, "Free firewood", visibility="public")
    log_in(client, suspended)
    assert not in_browse(client, garden.id)
    assert_status(client.get(f"/posts/{garden.id}"), 404)
    assert in_browse(client, notice.id)  # public posts are public
    # The post he holds a claim on stays open to him, by its address only.
    assert_status(client.get(f"/posts/{ladder.id}"), 200)
    assert not in_browse(client, ladder.id)


def test_linked_posts_of_the_community_do_not_reach_him_through_another(client, world, suspended):
    bring_link(world, "active")
    communities.join(suspended, world.away)  # Southside is open
    shared = publish(world.member, world.home, "Shared ladder", visibility="linked")
    log_in(client, world.away_member)
    assert in_browse(client, shared.id)  # Southside's members get it across the link ...
    log_in(client, suspended)
    assert not in_browse(client, shared.id)  # ... but not the member Northside suspended
    assert_status(client.get(f"/posts/{shared.id}"), 404)
    queue.lift_suspension(world.coordinator, world.home, db.session.merge(suspended))
    assert in_browse(client, shared.id)


def test_a_suspended_member_cannot_answer_even_a_public_post(client, world, suspended):
    notice = publish(world.member, world.home, "Free firewood", visibility="public")
    before = claim_count()
    log_in(client, suspended)
    response = post(client, f"/posts/{notice.id}/claims", {"message": "Me please"})
    assert_status(response, 403)
    assert "Your membership of Northside is suspended" in text(response)
    assert claim_count() == before
    with pytest.raises(NotAllowed, match="suspended"):
        claims.make_claim(suspended, db.session.get(Post, notice.id), "Me please")


def test_a_suspended_member_cannot_write_in_the_communitys_threads(
    app, client, world, exchange, suspended
):
    _ladder, claim = exchange
    log_in(client, suspended)
    assert "Come by at six." in text(client.get(f"/claims/{claim.id}"))  # he may still read
    response = post(client, f"/claims/{claim.id}/messages", {"body": "Hello?"})
    assert_status(response, 403)
    assert message_count() == 2
    mia = app.test_client()
    log_in(mia, world.member)  # the other side may still write to him
    assert_status(post(mia, f"/claims/{claim.id}/messages", {"body": "All fine"}), 303)


def test_a_suspended_member_cannot_post_or_edit_there(client, world, make_user):
    own = publish(world.other_member, world.home, "Drill to lend")
    report = moderation.report_post(world.member, own, "Spam")
    queue.act(world.coordinator, world.home, report, "suspend")
    otto = world.other_member
    with pytest.raises(NotAllowed, match="suspended"):
        publish(otto, world.home, "Another drill")
    with pytest.raises(NotAllowed, match="suspended"):
        posts.update_post(
            otto,
            db.session.get(Post, own.id),
            PostInput(
                kind="offer",
                title="Drill, edited",
                description="",
                category="tools",
                community_id=world.home.id,
            ),
        )
    with pytest.raises(NotAllowed, match="suspended"):
        posts.renew_post(otto, db.session.get(Post, own.id))
    log_in(client, otto)
    # Northside no longer appears among the places he may post: he is sent to find one.
    response = client.get("/posts/new")
    assert_status(response, 303)
    assert response.headers["Location"] == "/communities"


def test_a_suspended_member_stays_until_lifted(client, world, suspended):
    assert communities.member_count(world.home) == 2  # Cora and Mia; not Otto, nor Ada asking
    log_in(client, suspended)
    page = text(client.get("/communities/northside"))
    assert "Your membership of Northside is suspended by its coordinators" in page
    response = post(client, "/communities/northside/leave")
    assert_status(response, 409)
    assert "You can leave once they lift it." in text(response)
    response = post(client, "/communities/northside/join")
    assert_status(response, 409)
    assert membership_status(world.home, suspended) == "suspended"


def test_lifting_a_suspension_gives_everything_back(client, world, exchange, suspended):
    ladder, claim = exchange
    garden = publish(world.member, world.home, "Garden shears", tags=["garden"])
    queue.lift_suspension(world.coordinator, world.home, db.session.merge(suspended))
    log_in(client, suspended)
    assert in_browse(client, garden.id)
    assert_status(post(client, f"/claims/{claim.id}/messages", {"body": "Sorry."}), 303)
    assert_status(post(client, f"/posts/{garden.id}/claims", {"message": "Me?"}), 303)
    assert membership_status(world.home, suspended) == "active"
