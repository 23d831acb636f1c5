"""Post rules, called directly: who may post where, editing, closing, renewing and expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from commons.communities import services as communities
from commons.communities.permissions import NotAllowed
from commons.database import now_utc
from commons.extensions import db
from commons.notifications.models import Notification
from commons.posts import services
from commons.posts.models import Post, PostFollow
from tests.posts.conftest import post_count


def neighbourhood(community, suffix: str):
    return next(n for n in community.neighbourhoods if n.name.endswith(suffix))


def edit(post: Post, **changes) -> services.PostInput:
    """The post's current values with `changes`, as the edit form sends them back."""
    data = {
        "kind": post.kind,
        "title": post.title,
        "description": post.description,
        "category": post.category,
        "community_id": post.community_id,
        "tags": post.tag_names,
        "capacity": post.capacity,
        "visibility": post.visibility,
        "is_standing": post.is_standing,
        "on_behalf_of": post.on_behalf_of,
    }
    data.update(changes)
    return services.PostInput(**data)


def fill(post: Post, accepted: int) -> None:
    """Give `accepted` claimants a place (the claims module does this; here, directly)."""
    post.accepted_count = accepted
    if accepted == post.capacity:
        post.status = "fulfilled"
    db.session.commit()


def reload(post: Post) -> Post:
    db.session.expire_all()
    return db.session.get(Post, post.id)


# --- creating ------------------------------------------------------------------------------


def test_a_member_posts_in_their_community_and_follows_their_post(world, author, make_post):
    post = make_post(tags=["ladder", "diy", "ladder"], capacity=2, visibility="public")
    post = reload(post)
    assert (post.kind, post.title, post.category) == ("offer", "Ladder to lend", "tools")
    assert (post.author_id, post.community_id) == (author.id, world.home.id)
    assert (post.status, post.capacity, post.accepted_count) == ("open", 2, 0)
    assert post.visibility == "public"
    assert post.tag_names == ["diy", "ladder"]
    assert post.on_behalf_of is None
    assert now_utc() + timedelta(days=29) < post.expires_at <= now_utc() + timedelta(days=30)
    assert db.session.get(PostFollow, (post.id, author.id)) is not None


def test_a_standing_offer_never_expires(make_post):
    assert make_post(is_standing=True).expires_at is None


def test_lifetime_sets_the_expiry(make_post):
    post = make_post(lifetime_days=3)
    assert now_utc() + timedelta(days=2) < post.expires_at <= now_utc() + timedelta(days=3)


@pytest.mark.parametrize(
    "role",
    # Posting needs an active membership of that community; site admins are no exception.
    ["applicant", "away_member", "away_coordinator", "stranger", "admin"],
)
def test_only_active_members_post_in_a_community(world, make_post, role):
    with pytest.raises(NotAllowed):
        make_post(by=getattr(world, role))
    assert post_count() == 0


def test_an_unknown_community_is_refused(make_post):
    with pytest.raises(NotAllowed):
        make_post(community_id=999_999)
    assert post_count() == 0


def test_a_coordinator_may_post_on_behalf_of_a_neighbour(world, make_post):
    post = make_post(by=world.coordinator, on_behalf_of="  Mrs Patel ")
    assert post.on_behalf_of == "Mrs Patel"
    assert post.author_id == world.coordinator.id


@pytest.mark.parametrize("role", ["author", "member"])
def test_members_may_not_post_on_behalf_of_someone(world, author, make_post, role):
    person = author if role == "author" else world.member
    with pytest.raises(NotAllowed, match="Only coordinators"):
        make_post(by=person, on_behalf_of="Mrs Patel")
    assert post_count() == 0


def test_a_coordinator_of_another_community_may_not_post_on_behalf_here(world, make_post):
    communities.join(world.away_coordinator, world.home)
    communities.decide_request(world.coordinator, world.home, world.away_coordinator.id, True)
    with pytest.raises(NotAllowed):
        make_post(by=world.away_coordinator, on_behalf_of="Mrs Patel")
    # ...while at home in Southside they may.
    post = make_post(by=world.away_coordinator, community_id=world.away.id, on_behalf_of="Mr Li")
    assert post.on_behalf_of == "Mr Li"


def test_the_category_comes_from_the_list(make_post):
    with pytest.raises(services.PostError, match="category"):
        make_post(category="weapons")
    assert post_count() == 0


def test_a_need_is_for_one_helper_whatever_capacity_is_asked(make_post):
    need = make_post(kind="need", title="Lift to the clinic", category="transport", capacity=5)
    assert need.capacity == 1
    assert make_post(kind="offer", capacity=5).capacity == 5


def test_location_is_the_authors_neighbourhood_in_that_community(world, author, make_post):
    edge = neighbourhood(world.home, "Edge")
    author.neighbourhood_id = edge.id
    db.session.commit()
    post = make_post()
    assert post.neighbourhood_id == edge.id
    assert (post.lat, post.lon) == (edge.lat, edge.lon)
    assert (post.lat, post.lon) != (world.home.centre_lat, world.home.centre_lon)


def test_location_falls_back_to_the_community_centre(world, author, make_post):
    # Avery lives in Northside Edge and also joins Southside: a Southside post must not
    # place them at their Northside home.
    author.neighbourhood_id = neighbourhood(world.home, "Edge").id
    db.session.commit()
    communities.join(author, world.away)
    post = make_post(community_id=world.away.id)
    assert post.neighbourhood_id is None
    assert (post.lat, post.lon) == (world.away.centre_lat, world.away.centre_lon)


def test_location_without_a_neighbourhood_is_the_community_centre(world, make_post):
    post = make_post()
    assert post.neighbourhood_id is None
    assert (post.lat, post.lon) == (world.home.centre_lat, world.home.centre_lon)


def test_the_same_request_key_twice_makes_one_post(author, make_post):
    first = make_post(request_key="form-123")
    second = make_post(request_key="form-123", title="Ladder to lend (sent twice)")
    assert second.id == first.id
    assert post_count() == 1
    assert reload(first).title == "Ladder to lend"


def test_request_keys_belong_to_their_author(world, make_post):
    mine = make_post(request_key="form-123")
    theirs = make_post(by=world.member, request_key="form-123")
    assert mine.id != theirs.id
    assert post_count() == 2


def test_posts_without_a_request_key_are_all_kept(make_post):
    make_post()
    make_post()
    assert post_count() == 2


# --- editing -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["author", "coordinator", "admin"])
def test_author_coordinator_and_admin_may_edit(world, author, make_post, role):
    post = make_post(tags=["ladder"])
    actor = author if role == "author" else getattr(world, role)
    services.update_post(actor, post, edit(post, title="Step ladder", tags=["steps", "diy"]))
    post = reload(post)
    assert post.title == "Step ladder"
    assert post.tag_names == ["diy", "steps"]
    assert post.author_id == author.id  # editing never changes who posted it


@pytest.mark.parametrize("role", ["member", "away_coordinator", "away_member", "stranger"])
def test_others_may_not_edit(world, make_post, role):
    post = make_post()
    with pytest.raises(NotAllowed):
        services.update_post(getattr(world, role), post, edit(post, title="Mine now"))
    assert reload(post).title == "Ladder to lend"


def test_capacity_cannot_go_below_the_places_taken(author, make_post):
    post = make_post(capacity=3)
    fill(post, 2)
    with pytest.raises(services.PostError, match="2 people already have a place"):
        services.update_post(author, post, edit(post, capacity=1, title="Changed"))
    post = reload(post)
    assert (post.capacity, post.title) == (3, "Ladder to lend")


def test_raising_capacity_reopens_a_fulfilled_offer(author, make_post):
    post = make_post(capacity=2)
    fill(post, 2)
    assert reload(post).status == "fulfilled"
    services.update_post(author, post, edit(post, capacity=3))
    post = reload(post)
    assert (post.status, post.places_left) == ("open", 1)


def test_lowering_capacity_to_the_places_taken_fulfils_the_offer(author, make_post):
    post = make_post(capacity=3)
    fill(post, 2)
    services.update_post(author, post, edit(post, capacity=2))
    assert reload(post).status == "fulfilled"


def test_an_edit_cannot_give_a_need_more_than_one_helper(author, make_post):
    need = make_post(kind="need", title="Lift to the clinic", category="transport")
    services.update_post(author, need, edit(need, kind="offer", capacity=3, title="Lift, Tue"))
    need = reload(need)
    assert (need.kind, need.capacity, need.title) == ("need", 1, "Lift, Tue")


def test_a_member_may_not_add_on_behalf_of_by_editing(author, make_post):
    post = make_post()
    with pytest.raises(NotAllowed, match="Only coordinators"):
        services.update_post(author, post, edit(post, on_behalf_of="Mrs Patel"))
    assert reload(post).on_behalf_of is None


def test_an_edit_keeps_on_behalf_of_and_a_coordinator_may_change_it(world, author, make_post):
    post = make_post(by=world.coordinator, on_behalf_of="Mrs Patel")
    services.update_post(world.coordinator, post, edit(post, on_behalf_of="Mr Patel"))
    assert reload(post).on_behalf_of == "Mr Patel"


def test_making_a_post_standing_and_back(author, make_post):
    post = make_post()
    services.update_post(author, post, edit(post, is_standing=True))
    assert reload(post).expires_at is None
    services.update_post(author, post, edit(post, is_standing=False, lifetime_days=5))
    post = reload(post)
    assert now_utc() + timedelta(days=4) < post.expires_at <= now_utc() + timedelta(days=5)


# --- closing and renewing ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["author", "coordinator", "admin"])
def test_author_coordinator_and_admin_may_close(world, author, make_post, role):
    post = make_post()
    services.close_post(author if role == "author" else getattr(world, role), post)
    post = reload(post)
    assert post.status == "closed"
    assert post.closed_at is not None


@pytest.mark.parametrize(
    "role", ["member", "away_coordinator", "away_member", "applicant", "stranger"]
)
def test_others_may_not_close(world, make_post, role):
    post = make_post()
    with pytest.raises(NotAllowed):
        services.close_post(getattr(world, role), post)
    post = reload(post)
    assert (post.status, post.closed_at) == ("open", None)


def test_a_coordinator_of_another_community_may_not_close_even_as_a_member_here(world, make_post):
    communities.join(world.away_coordinator, world.home)
    communities.decide_request(world.coordinator, world.home, world.away_coordinator.id, True)
    post = make_post()
    with pytest.raises(NotAllowed):
        services.close_post(world.away_coordinator, post)
    assert reload(post).status == "open"


def test_closing_twice_says_so(author, make_post):
    post = make_post()
    services.close_post(author, post)
    with pytest.raises(services.PostError, match="already closed"):
        services.close_post(author, post)


@pytest.mark.parametrize("role", ["author", "coordinator", "admin"])
def test_author_coordinator_and_admin_may_renew(world, author, make_post, role):
    post = make_post(lifetime_days=2)
    services.close_post(author, post)
    services.renew_post(author if role == "author" else getattr(world, role), post)
    post = reload(post)
    assert (post.status, post.closed_at) == ("open", None)
    assert post.expires_at > now_utc() + timedelta(days=29)


@pytest.mark.parametrize(
    "role", ["member", "away_coordinator", "away_member", "applicant", "stranger"]
)
def test_others_may_not_renew(world, author, make_post, role):
    post = make_post()
    services.close_post(author, post)
    with pytest.raises(NotAllowed):
        services.renew_post(getattr(world, role), post)
    assert reload(post).status == "closed"


def test_renewing_an_expired_post_opens_it_for_another_30_days(author, make_post):
    post = make_post(lifetime_days=1)
    later = now_utc() + timedelta(days=3)
    assert services.expire_posts(now=later) == 1
    with time_machine.travel(later, tick=False):
        services.renew_post(author, reload(post))
    post = reload(post)
    assert post.status == "open"
    assert post.expires_at == later + timedelta(days=30)


def test_renewing_a_full_offer_leaves_it_fulfilled(author, make_post):
    post = make_post(capacity=2)
    fill(post, 2)
    services.close_post(author, post)
    services.renew_post(author, post)
    assert reload(post).status == "fulfilled"


def test_renewing_a_standing_post_keeps_it_without_expiry(author, make_post):
    post = make_post(is_standing=True)
    services.close_post(author, post)
    services.renew_post(author, post)
    post = reload(post)
    assert (post.status, post.expires_at) == ("open", None)


# --- expiry --------------------------------------------------------------------------------


def test_a_post_reads_expired_past_its_expiry_before_the_job_runs(make_post):
    post = make_post(lifetime_days=1)
    assert services.display_status(post) == "open"
    assert services.display_status(post, now=post.expires_at - timedelta(seconds=1)) == "open"
    assert services.display_status(post, now=post.expires_at) == "expired"
    with time_machine.travel(now_utc() + timedelta(days=2), tick=False):
        assert services.display_status(reload(post)) == "expired"
    assert reload(post).status == "open"  # nothing was written


def test_closed_and_standing_posts_read_as_they_are(author, make_post):
    later = now_utc() + timedelta(days=400)
    closed = make_post(lifetime_days=1)
    services.close_post(author, closed)
    assert services.display_status(closed, now=later) == "closed"
    assert services.display_status(make_post(is_standing=True), now=later) == "open"


def test_expire_posts_marks_what_ran_out_and_leaves_standing_posts_alone(author, make_post):
    ran_out = make_post(title="Old ladder", lifetime_days=1)
    full = make_post(title="Old drill", lifetime_days=1, capacity=1)
    fill(full, 1)
    closed = make_post(title="Old saw", lifetime_days=1)
    services.close_post(author, closed)
    standing = make_post(title="Weekly tutoring", is_standing=True, category="tutoring")
    fresh = make_post(title="New ladder", lifetime_days=10)

    later = now_utc() + timedelta(days=2)
    assert services.expire_posts(now=later) == 2
    assert {p.title: reload(p).status for p in (ran_out, full, closed, standing, fresh)} == {
        "Old ladder": "expired",
        "Old drill": "expired",
        "Old saw": "closed",
        "Weekly tutoring": "open",
        "New ladder": "open",
    }
    assert services.expire_posts(now=later) == 0  # running it again changes nothing


def test_expired_posts_leave_the_default_browse_list(world, author, make_post):
    make_post(title="Old ladder", lifetime_days=1)
    make_post(title="Weekly tutoring", is_standing=True, category="tutoring")
    with time_machine.travel(now_utc() + timedelta(days=2), tick=False):
        # Before the job runs the browse list already leaves out what ran out...
        listed = services.browse(author, services.BrowseFilters())
        assert [p.title for p in listed.posts] == ["Weekly tutoring"]
        services.expire_posts()
        everything = services.browse(author, services.BrowseFilters(status="all"))
    assert sorted(p.title for p in everything.posts) == ["Old ladder", "Weekly tutoring"]


def test_flask_posts_expire(app, runner, author, make_post):
    if "posts" not in app.cli.commands:
        pytest.skip("`flask posts expire` is not registered yet")
    ran_out = make_post(title="Old ladder", lifetime_days=1)
    standing = make_post(title="Weekly tutoring", is_standing=True, category="tutoring")
    with time_machine.travel(now_utc() + timedelta(days=2), tick=False):
        result = runner.invoke(args=["posts", "expire"])
    assert result.exit_code == 0, result.output
    assert "1 post expired." in result.output
    assert reload(ran_out).status == "expired"
    assert reload(standing).status == "open"
    again = runner.invoke(args=["posts", "expire"])
    assert "0 posts expired." in again.output


# --- following -----------------------------------------------------------------------------


def test_following_is_for_those_who_can_see_the_post(world, make_post):
    post = make_post()
    services.follow(world.member, post)
    services.follow(world.member, post)  # twice is once
    followers = db.session.scalars(select(PostFollow.user_id).where(PostFollow.post_id == post.id))
    assert sorted(followers) == sorted([post.author_id, world.member.id])
    with pytest.raises(NotAllowed):
        services.follow(world.away_member, post)


def test_authors_are_told_once_when_a_post_ends_within_three_days(make_post, author):
    soon = make_post(title="Ends soon", lifetime_days=2)
    make_post(title="Ends later", lifetime_days=10)
    make_post(title="Ongoing", is_standing=True)
    assert services.warn_expiring() == 1
    assert services.warn_expiring() == 0  # once per expiry date
    texts = [n.text for n in db.session.scalars(select(Notification))]
    assert len(texts) == 1 and "Ends soon" in texts[0]
    services.renew_post(author, soon, days=2)  # renewing starts the count again
    assert services.warn_expiring() == 1
