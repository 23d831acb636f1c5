"""Posts pages and actions as each role meets them, the browse filters and search, and bad
input: who gets what answer, and that a refused action leaves the post as it was."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import select

from commons.database import now_utc
from commons.extensions import db
from commons.posts import services
from commons.posts.models import Post, PostFollow
from tests.conftest import HX, assert_status, log_in, post, text
from tests.posts.conftest import become, post_count

ALL_ROLES = [
    "visitor",
    "author",
    "member",
    "coordinator",
    "admin",
    "applicant",
    "away_member",
    "away_coordinator",
    "stranger",
]
CARD_TITLE = re.compile(r'<h3><a href="/posts/\d+">(.*?)</a></h3>')


def titles(response) -> list[str]:
    """The titles of the posts listed, in the order shown."""
    assert response.status_code == 200, text(response)[:300]
    return [html.unescape(t) for t in CARD_TITLE.findall(text(response))]


def reload(post: Post) -> Post:
    db.session.expire_all()
    return db.session.get(Post, post.id)


def form(world, **changes: str) -> dict[str, str]:
    """The new-post form as a member fills it in."""
    data = {
        "kind": "offer",
        "title": "Ladder to lend",
        "description": "A tall aluminium ladder, fine for gutters.",
        "category": "tools",
        "tags": "ladder, DIY",
        "community": str(world.home.id),
        "capacity": "1",
        "visibility": "community",
        "lifetime_days": "30",
        "on_behalf_of": "",
        "request_key": "form-key-1",
    }
    data.update(changes)
    return data


def edit_form(post: Post, **changes: str) -> dict[str, str]:
    data = {
        "kind": post.kind,
        "title": post.title,
        "description": post.description,
        "category": post.category,
        "tags": ", ".join(post.tag_names),
        "community": str(post.community_id),
        "capacity": str(post.capacity),
        "visibility": post.visibility,
        "on_behalf_of": post.on_behalf_of or "",
    }
    data.update(changes)
    return data


def location_path(response) -> str:
    return urlsplit(response.headers["Location"]).path


# --- browse ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_browse_answers_everyone(client, world, author, role):
    become(client, world, author, role)
    response = client.get("/posts")
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Offers and needs</h1>" in page
    assert ("Offer something" in page) is (role != "visitor")


# --- posting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("author", 200),
        ("member", 200),
        ("coordinator", 200),
        ("away_member", 200),
        ("away_coordinator", 200),
        # Nowhere to post yet: sent to the directory to join a community first.
        ("applicant", 303),
        ("stranger", 303),
        ("admin", 303),
    ],
)
def test_new_post_form(client, world, author, role, expected):
    become(client, world, author, role)
    response = client.get("/posts/new")
    assert_status(response, expected)
    if expected == 200:
        page = text(response)
        for label in ("Title", "Description", "Category", "Tags", "Community"):
            assert f">{label}</label>" in page
        assert re.search(r'name="request_key"[^>]*value="[^"]+"', page)
    elif expected == 303:
        assert location_path(response) == "/communities"
        assert "Join a community first" in text(client.get("/communities"))


def test_new_post_form_starts_with_the_kind_asked_for(client, world):
    log_in(client, world.member)
    page = text(client.get("/posts/new", query_string={"kind": "need"}))
    assert re.search(r'<input[^>]*checked[^>]*value="need"|value="need"[^>]*checked', page)


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("author", 303),
        ("coordinator", 303),
        ("away_member", 422),  # Northside is not one of their communities
        ("applicant", 303),  # to the directory, without posting
        ("stranger", 303),
        ("admin", 303),
    ],
)
def test_publishing(client, world, author, role, expected):
    become(client, world, author, role)
    response = post(client, "/posts/new", form(world))
    assert_status(response, expected)
    created = db.session.scalar(select(Post))
    if role in ("author", "coordinator"):
        assert location_path(response) == f"/posts/{created.id}"
        assert created.author_id == getattr(world, role, author).id
        assert (created.title, created.tag_names) == ("Ladder to lend", ["diy", "ladder"])
        page = text(client.get(location_path(response)))
        assert "Your post is up" in page and "<h1>Ladder to lend</h1>" in page
    else:
        assert created is None
        if expected == 422:
            assert "Not a valid choice" in text(response)


def test_a_double_submitted_form_makes_one_post(client, world):
    log_in(client, world.member)
    first = post(client, "/posts/new", form(world))
    second = post(client, "/posts/new", form(world))
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert post_count() == 1
    # A new form is a new post, even with the same words.
    post(client, "/posts/new", form(world, request_key="form-key-2"))
    assert post_count() == 2


def test_a_coordinator_posts_for_a_neighbour(client, world):
    log_in(client, world.coordinator)
    response = post(client, "/posts/new", form(world, on_behalf_of="Mrs Patel"))
    assert response.status_code == 303
    page = text(client.get(location_path(response)))
    assert "Cora Coordinator</a> for Mrs Patel" in page


def test_a_member_cannot_post_for_someone_else(client, world):
    log_in(client, world.member)
    response = post(client, "/posts/new", form(world, on_behalf_of="Mrs Patel"))
    assert response.status_code == 403
    assert "Only coordinators can post on behalf of a neighbour" in text(response)
    assert post_count() == 0


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"title": ""}, "Please give a title."),
        ({"title": "   "}, "Please give a title."),
        ({"title": "x" * 121}, "A title can be at most 120 characters."),
        ({"description": "x" * 4001}, "Please keep the description under 4000 characters."),
        ({"tags": "t" * 301}, "Please keep the tags under 300 characters."),
        ({"kind": "gift"}, "Not a valid choice"),
        ({"kind": ""}, "Please choose offer or need."),
        ({"category": "weapons"}, "Not a valid choice"),
        ({"visibility": "everyone"}, "Not a valid choice"),
        ({"capacity": "0"}, "A number from 1 to 100, please."),
        ({"capacity": "101"}, "A number from 1 to 100, please."),
        ({"capacity": "lots"}, "Not a valid integer value."),
        ({"lifetime_days": "365"}, "Between 1 and 90 days, please."),
        ({"community": "999999"}, "Not a valid choice"),
        ({"community": "north"}, "Not a valid choice"),
        ({"on_behalf_of": "n" * 81}, "A name can be at most 80 characters."),
    ],
)
def test_bad_input_is_refused_with_a_message_keeping_what_was_typed(
    client, world, changes, message
):
    log_in(client, world.member)
    data = form(world, description="Fine for gutters & sheds", tags="ladder, diy")
    response = post(client, "/posts/new", {**data, **changes})
    assert response.status_code == 422
    page = text(response)
    assert html.escape(message, quote=False) in page
    assert "aria-invalid" in page or "field-error" in page
    if "description" not in changes:
        assert "Fine for gutters &amp; sheds</textarea>" in page
    if "tags" not in changes:
        assert 'value="ladder, diy"' in page
    assert post_count() == 0


def test_a_form_without_its_csrf_token_saves_nothing(client, world):
    log_in(client, world.member)
    response = client.post("/posts/new", data=form(world))
    assert response.status_code == 400
    assert "Nothing was saved" in text(response)
    assert post_count() == 0


XSS = {
    "title": '<script>alert("t")</script>',
    "description": '<img src=x onerror=alert("d")>',
    "tags": '<b onmouseover=alert("g")>bold</b>, "><svg onload=alert(1)>',
}


def test_markup_in_a_post_is_shown_as_text(client, world):
    log_in(client, world.member)
    response = post(client, "/posts/new", form(world, visibility="public", **XSS))
    assert response.status_code == 303
    show = text(client.get(location_path(response)))
    browse = text(client.get("/posts"))
    for page in (show, browse):
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "<b onmouseover" not in page and "<svg onload" not in page
        assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in page
        assert "&lt;b onmouseover=alert(&#34;g&#34;)&gt;bold&lt;/b&gt;" in page
    assert "&lt;img src=x onerror=alert(&#34;d&#34;)&gt;" in show
    editing = text(client.get(f"{location_path(response)}/edit"))
    assert "<script>alert" not in editing and "<img src=x" not in editing


def test_htmx_gets_the_form_alone_and_errors_in_place(client, world):
    log_in(client, world.member)
    blank = client.get("/posts/new", headers=HX)
    assert blank.status_code == 200
    assert "<html" not in text(blank)
    assert text(blank).lstrip().startswith('<form id="post-form"')

    refused = post(client, "/posts/new", form(world, title=""), headers=HX)
    assert refused.status_code == 422
    assert "<html" not in text(refused)
    assert "Please give a title." in text(refused)

    published = post(client, "/posts/new", form(world), headers=HX)
    assert published.status_code == 200
    assert published.headers["HX-Redirect"] == f"/posts/{db.session.scalar(select(Post.id))}"


# --- a post's page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, manages",
    [("author", True), ("coordinator", True), ("admin", True), ("member", False)],
)
def test_post_page_offers_management_only_to_those_who_may(
    client, world, author, make_post, role, manages
):
    target = make_post(capacity=3, tags=["ladder"])
    become(client, world, author, role)
    page = text(client.get(f"/posts/{target.id}"))
    assert "<h1>Ladder to lend</h1>" in page
    assert "Avery Author" in page and "Northside" in page
    assert "3 of 3 left" in page
    assert 'href="/posts?tag=ladder"' in page
    assert (f'href="/posts/{target.id}/edit"' in page) is manages
    assert (f'action="/posts/{target.id}/close"' in page) is manages


def test_htmx_gets_the_post_alone(client, world, make_post):
    target = make_post(visibility="public")
    body = text(client.get(f"/posts/{target.id}", headers=HX))
    assert "<html" not in body
    assert body.lstrip().startswith('<article id="post">')
    assert "<h1>Ladder to lend</h1>" in body


def test_an_expired_post_reads_expired_before_the_job_runs(client, world, author, make_post):
    target = make_post(lifetime_days=1)
    with time_machine.travel(now_utc() + timedelta(days=2), tick=False):
        log_in(client, author)
        page = text(client.get(f"/posts/{target.id}"))
        assert '<span class="badge badge-status">Expired</span>' in page
        assert f'action="/posts/{target.id}/renew"' in page
        listed = client.get("/posts", query_string={"status": "all"})
        assert titles(listed) == ["Ladder to lend"]
        assert "Expired</span>" in text(listed)
        assert titles(client.get("/posts")) == []
    assert reload(target).status == "open"


@pytest.mark.parametrize(
    "url",
    [
        "/posts/999999",
        "/posts/999999/edit",
    ],
)
def test_unknown_posts_are_not_found(client, world, url):
    log_in(client, world.admin)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("action", ["edit", "close", "renew", "follow"])
def test_actions_on_unknown_posts_are_not_found(client, world, action):
    log_in(client, world.admin)
    assert post(client, f"/posts/999999/{action}").status_code == 404


# --- editing ---------------------------------------------------------------------------------

NOT_SEEN = ["applicant", "away_member", "away_coordinator", "stranger"]
EDIT_ROLES = [
    ("visitor", "login"),
    ("author", 200),
    ("coordinator", 200),
    ("admin", 200),
    ("member", 403),
    *[(role, 404) for role in NOT_SEEN],
]


@pytest.mark.parametrize("role, expected", EDIT_ROLES)
def test_edit_form(client, world, author, make_post, role, expected):
    target = make_post(tags=["ladder", "diy"])
    become(client, world, author, role)
    response = client.get(f"/posts/{target.id}/edit")
    assert_status(response, expected)
    if expected == 200:
        page = text(response)
        assert 'value="Ladder to lend"' in page
        assert 'value="diy, ladder"' in page
        assert "Save changes" in page


@pytest.mark.parametrize(
    "role, expected", [(role, 303 if code == 200 else code) for role, code in EDIT_ROLES]
)
def test_saving_an_edit(client, world, author, make_post, role, expected):
    target = make_post()
    become(client, world, author, role)
    response = post(client, f"/posts/{target.id}/edit", edit_form(target, title="Step ladder"))
    assert_status(response, expected)
    title = reload(target).title
    if expected == 303:
        assert location_path(response) == f"/posts/{target.id}"
        assert title == "Step ladder"
    else:
        assert title == "Ladder to lend"


def test_an_edit_with_bad_input_keeps_the_post_and_the_input(client, world, author, make_post):
    target = make_post()
    log_in(client, author)
    response = post(
        client,
        f"/posts/{target.id}/edit",
        edit_form(target, title="x" * 121, description="Now with a tool belt"),
    )
    assert response.status_code == 422
    assert "A title can be at most 120 characters." in text(response)
    assert "Now with a tool belt</textarea>" in text(response)
    assert reload(target).description == "A tall aluminium ladder, fine for gutters."


def test_capacity_below_the_places_taken_is_refused_in_the_form(client, world, author, make_post):
    target = make_post(capacity=3)
    target.accepted_count = 2
    db.session.commit()
    log_in(client, author)
    response = post(client, f"/posts/{target.id}/edit", edit_form(target, capacity="1"))
    assert response.status_code == 422
    assert "2 people already have a place; the capacity can&#39;t be lower." in text(response)
    assert reload(target).capacity == 3


def test_an_edit_cannot_turn_a_need_into_a_many_place_offer(client, world, author, make_post):
    need = make_post(kind="need", title="Lift to the clinic", category="transport")
    log_in(client, author)
    response = post(client, f"/posts/{need.id}/edit", edit_form(need, kind="offer", capacity="3"))
    assert response.status_code == 303
    need = reload(need)
    assert (need.kind, need.capacity) == ("need", 1)


def test_unchecking_ongoing_gives_the_post_an_expiry_again(client, world, author, make_post):
    target = make_post(is_standing=True)
    log_in(client, author)
    response = post(client, f"/posts/{target.id}/edit", edit_form(target))  # box left unticked
    assert response.status_code == 303
    target = reload(target)
    assert not target.is_standing
    assert target.expires_at > now_utc() + timedelta(days=29)
    assert "Open until</dt><dd>Ongoing" not in text(client.get(f"/posts/{target.id}"))


def test_a_member_cannot_add_on_behalf_of_by_editing(client, world, author, make_post):
    target = make_post()
    log_in(client, author)
    response = post(client, f"/posts/{target.id}/edit", edit_form(target, on_behalf_of="Gran"))
    assert response.status_code == 403
    assert reload(target).on_behalf_of is None


# --- closing, renewing, following --------------------------------------------------------------

MANAGE_ROLES = [
    ("visitor", "login"),
    ("author", 303),
    ("coordinator", 303),
    ("admin", 303),
    ("member", 403),
    *[(role, 404) for role in NOT_SEEN],
]


@pytest.mark.parametrize("role, expected", MANAGE_ROLES)
def test_closing(client, world, author, make_post, role, expected):
    target = make_post()
    become(client, world, author, role)
    response = post(client, f"/posts/{target.id}/close")
    assert_status(response, expected)
    assert reload(target).status == ("closed" if expected == 303 else "open")
    if expected == 303:
        page = text(client.get(location_path(response)))
        assert "The post is closed" in page
        assert f'action="/posts/{target.id}/renew"' in page


def test_closing_a_closed_post_says_so(client, world, author, make_post):
    target = make_post()
    log_in(client, author)
    post(client, f"/posts/{target.id}/close")
    response = post(client, f"/posts/{target.id}/close")
    assert response.status_code == 303
    assert "already closed" in text(client.get(f"/posts/{target.id}"))


@pytest.mark.parametrize("role, expected", MANAGE_ROLES)
def test_renewing(client, world, author, make_post, role, expected):
    target = make_post()
    services.close_post(author, target)
    become(client, world, author, role)
    response = post(client, f"/posts/{target.id}/renew")
    assert_status(response, expected)
    assert reload(target).status == ("open" if expected == 303 else "closed")


@pytest.mark.parametrize(
    "role, expected",
    [
        ("visitor", "login"),
        ("member", 303),
        ("coordinator", 303),
        ("admin", 303),
        *[(role, 404) for role in NOT_SEEN],
    ],
)
def test_following(client, world, author, make_post, role, expected):
    target = make_post()
    person = become(client, world, author, role)
    response = post(client, f"/posts/{target.id}/follow")
    assert_status(response, expected)
    followers = set(
        db.session.scalars(select(PostFollow.user_id).where(PostFollow.post_id == target.id))
    )
    expected_followers = {author.id} | ({person.id} if expected == 303 else set())
    assert followers == expected_followers


@pytest.mark.parametrize("action", ["close", "renew", "follow"])
def test_actions_are_posts_only(client, world, author, make_post, action):
    target = make_post()
    log_in(client, author)
    assert client.get(f"/posts/{target.id}/{action}").status_code == 405
    assert reload(target).status == "open"


# --- browse filters --------------------------------------------------------------------------


@pytest.fixture
def mixed(world, author, make_post):
    """What Mia (a Northside member) can see: Northside posts of every sort, and a public
    Southside one."""
    make_post(title="Ladder to lend", tags=["ladder", "diy"])
    make_post(kind="need", title="Lift to the clinic", category="transport", tags=["car"])
    make_post(title="Sourdough starter", category="food", tags=["baking"])
    make_post(
        by=world.away_coordinator,
        community_id=world.away.id,
        title="Trestles in Southside",
        visibility="public",
        tags=["diy"],
    )
    closed = make_post(title="Old lawnmower", category="gardening")
    services.close_post(author, closed)


@pytest.mark.parametrize(
    "query, expected",
    [
        (
            {},
            ["Trestles in Southside", "Sourdough starter", "Lift to the clinic", "Ladder to lend"],
        ),
        ({"kind": "need"}, ["Lift to the clinic"]),
        ({"kind": "offer", "category": "food"}, ["Sourdough starter"]),
        ({"category": "tools"}, ["Trestles in Southside", "Ladder to lend"]),
        ({"tag": "diy"}, ["Trestles in Southside", "Ladder to lend"]),
        ({"tag": "DIY"}, ["Trestles in Southside", "Ladder to lend"]),
        ({"community": "southside"}, ["Trestles in Southside"]),
        ({"community": "northside", "tag": "diy"}, ["Ladder to lend"]),
        ({"status": "all", "category": "gardening"}, ["Old lawnmower"]),
        ({"category": "gardening"}, []),
        # Unknown values are ignored rather than refused: a shared link still works.
        ({"kind": "gift", "category": "weapons"}, None),
        ({"sort": "loudest", "status": "some", "page": "x", "within_km": "far"}, None),
    ],
)
def test_filters_change_the_results(client, world, mixed, query, expected):
    log_in(client, world.member)
    everything = titles(client.get("/posts"))
    assert titles(client.get("/posts", query_string=query)) == (
        everything if expected is None else expected
    )


def test_a_filter_with_nothing_to_show_says_so(client, world, mixed):
    log_in(client, world.member)
    page = text(client.get("/posts", query_string={"community": "nowhere"}))
    assert "Nothing matches yet" in page


@pytest.fixture
def placed(world, author, make_post):
    """Three posts whose newest, nearest and ending-soon orders all differ. Mia lives in
    Northside Edge."""
    _, edge = world.home.neighbourhoods  # ordered by name: Centre, Edge
    world.member.neighbourhood_id = edge.id
    author.neighbourhood_id = edge.id
    db.session.commit()
    make_post(title="At the edge", lifetime_days=10)  # 0 km, ends second
    make_post(
        by=world.away_coordinator,
        community_id=world.away.id,
        title="Far away",
        visibility="public",
        lifetime_days=2,  # about 8 km, ends first
    )
    make_post(by=world.other_member, title="In the centre", is_standing=True)  # 1.1 km, never ends


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("newest", ["In the centre", "Far away", "At the edge"]),
        ("nearest", ["At the edge", "In the centre", "Far away"]),
        # Ongoing posts never end, so "ending soon" leaves them out.
        ("ending", ["Far away", "At the edge"]),
    ],
)
def test_sort_orders(client, world, placed, sort, expected):
    log_in(client, world.member)
    assert titles(client.get("/posts", query_string={"sort": sort})) == expected


def test_distance_filter_and_distances_for_a_member_with_a_neighbourhood(client, world, placed):
    log_in(client, world.member)
    page = client.get("/posts", query_string={"within_km": "2"})
    assert titles(page) == ["In the centre", "At the edge"]
    assert "0.0 km" in text(page) and "1.1 km" in text(page)
    assert 'id="within_km"' in text(page)
    assert titles(client.get("/posts", query_string={"within_km": "20"})) == [
        "In the centre",
        "Far away",
        "At the edge",
    ]


def test_without_a_neighbourhood_distance_is_not_offered(client, world, placed):
    log_in(client, world.other_member)
    page = client.get("/posts", query_string={"within_km": "2", "sort": "nearest"})
    assert titles(page) == ["In the centre", "Far away", "At the edge"]  # newest first
    assert 'id="within_km"' not in text(page) and " km" not in text(page)


def test_pages_with_next_and_previous_links(client, world, author, make_post):
    for n in range(1, 23):
        make_post(title=f"Offer {n:02d}", kind="offer")
    make_post(title="A need", kind="need")
    log_in(client, world.member)

    first = client.get("/posts", query_string={"kind": "offer"})
    assert titles(first) == [f"Offer {n:02d}" for n in range(22, 2, -1)]
    page = text(first)
    assert 'rel="prev"' not in page
    next_link = html.unescape(re.search(r'<a href="([^"]+)" rel="next">Next</a>', page)[1])
    assert parse_qs(urlsplit(next_link).query) == {"kind": ["offer"], "page": ["2"]}

    second = client.get(next_link)
    assert titles(second) == ["Offer 02", "Offer 01"]
    page = text(second)
    assert 'rel="next"' not in page
    previous = html.unescape(re.search(r'<a href="([^"]+)" rel="prev">Previous</a>', page)[1])
    assert parse_qs(urlsplit(previous).query) == {"kind": ["offer"], "page": ["1"]}
    assert titles(client.get(previous)) == titles(first)

    assert titles(client.get("/posts", query_string={"kind": "offer", "page": "9"})) == []


def test_htmx_gets_the_results_alone(client, world, mixed):
    log_in(client, world.member)
    partial = client.get("/posts", query_string={"kind": "need"}, headers=HX)
    assert partial.status_code == 200
    body = text(partial)
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="post-results"')
    assert titles(partial) == ["Lift to the clinic"]

    full = text(client.get("/posts", query_string={"kind": "need"}))
    assert "<html" in full and 'id="post-results"' in full
    assert '<option value="need" selected>' in full  # the filter shows what is applied


# --- search ----------------------------------------------------------------------------------


@pytest.fixture
def searchable(world, author, make_post):
    make_post(title="Ladder to lend", description="Aluminium, three metres.", tags=["diy"])
    make_post(title="Puncture help", description="Saturday mornings.", tags=["bike repair"])
    make_post(title="Sourdough starter", description="Bubbly and eager.", category="food")


@pytest.mark.parametrize(
    "q, expected",
    [
        ("ladders", ["Ladder to lend"]),
        ("LADDER", ["Ladder to lend"]),
        ("bikes", ["Puncture help"]),  # found by its tag
        ("repairing bikes", ["Puncture help"]),
        ("aluminium", ["Ladder to lend"]),  # found by its description
        ("sourdough ladder", []),  # every word must match
        ("trampoline", []),
    ],
)
def test_search_finds_by_stem_and_not_unrelated_posts(client, world, searchable, q, expected):
    log_in(client, world.member)
    response = client.get("/posts", query_string={"q": q})
    assert titles(response) == expected
    assert f'value="{q}"' in text(response)  # the search box keeps what was typed


def test_search_combines_with_filters(client, world, searchable):
    log_in(client, world.member)
    assert titles(client.get("/posts", query_string={"q": "ladder", "kind": "need"})) == []
    assert titles(client.get("/posts", query_string={"q": "ladder", "category": "tools"})) == [
        "Ladder to lend"
    ]


@pytest.mark.parametrize(
    "q",
    [
        '"ladder',
        'ladder"',
        '"ladder to"',
        "ladd*",
        "*",
        "NEAR(ladder bike)",
        "NEAR(",
        "-ladder",
        "ladder OR bike",
        "ladder AND NOT",
        "OR",
        "(",
        ")",
        "^ladder",
        "title:ladder",
        "search_text:x",
        "'",
        "\\",
        "%_",
        "&|!<>:*",
        "_",
        "x" * 500,
        "ladder " * 50,
        "échelle prêt",
    ],
)
def test_search_syntax_never_breaks_the_page(client, world, searchable, q):
    log_in(client, world.member)
    response = client.get("/posts", query_string={"q": q})
    assert response.status_code == 200
    assert 'id="post-results"' in text(response)
    assert client.get("/posts", query_string={"q": q}, headers=HX).status_code == 200


@pytest.mark.parametrize("param", ["q", "tag", "community", "kind", "sort"])
def test_a_nul_character_in_the_query_string_is_harmless(client, world, searchable, param):
    log_in(client, world.member)
    assert client.get("/posts", query_string={param: "ladder\x00"}).status_code == 200


def test_a_nul_character_in_the_form_is_not_a_server_error(client, world):
    log_in(client, world.member)
    response = post(client, "/posts/new", form(world, title="Lad\x00der", tags="a\x00b"))
    assert response.status_code in (303, 422)
    if response.status_code == 303:
        assert "\x00" not in db.session.scalar(select(Post.search_text))


def test_posting_is_rate_limited_per_member_counting_only_saved_posts(app, client, world):
    app.config["POST_LIMIT"] = "2 per hour"
    log_in(client, world.member)
    assert post(client, "/posts/new", form(world, title="")).status_code == 422  # not counted
    for n in range(2):
        response = post(client, "/posts/new", form(world, title=f"Offer {n}", request_key=f"k{n}"))
        assert response.status_code == 303
    refused = post(client, "/posts/new", form(world, title="One too many", request_key="k3"))
    assert refused.status_code == 429
    assert "Too many tries" in text(refused)
    assert post_count() == 2
    other = app.test_client()
    log_in(other, world.other_member)  # the limit is per member, not for everyone
    assert post(other, "/posts/new", form(world, title="Mine", request_key="k4")).status_code == 303
