"""The links pages and actions as each role meets them: who gets them, who is refused (and
that a refused request changes nothing), 422 with the input kept, 409 when the link has moved
on, htmx partials, and the network picture."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from commons.communities import services as communities
from commons.communities.models import Community
from commons.extensions import db
from commons.links import services
from commons.notifications.models import Notification
from commons.posts import services as posts
from tests.conftest import HX, ROLES, act_as, assert_status, log_in, post, text
from tests.links.conftest import all_links, bring_link, fresh_link

# Northside's links pages: its coordinators and admins; a visitor is sent to log in.
NORTHSIDE_PAGE = {role: 403 for role in ROLES} | {
    "visitor": "login",
    "coordinator": 200,
    "admin": 200,
}


@pytest.mark.parametrize(
    "page", ["/communities/northside/links", "/communities/northside/links/network"]
)
@pytest.mark.parametrize("role", ROLES)
def test_who_gets_the_links_pages(client, world, role, page):
    bring_link(world, "active")
    act_as(client, world, role)
    response = client.get(page)
    assert_status(response, NORTHSIDE_PAGE[role])
    if response.status_code == 200:
        assert "Southside" in text(response)
    elif response.status_code == 403:
        assert "Only this community&#39;s coordinators can do that." in text(response)


@pytest.mark.parametrize(
    "page", ["/communities/nowhere/links", "/communities/nowhere/links/network"]
)
def test_an_unknown_community_has_no_links_page(client, world, page):
    log_in(client, world.admin)
    assert client.get(page).status_code == 404


def test_the_page_lists_each_kind_of_link_with_its_actions(
    client, world, make_user, make_community
):
    east = make_community(make_user("Eve East"), "Eastside", lat=51.47, lon=-2.50)
    west = make_community(make_user("Wyn West"), "Westside", lat=51.47, lon=-2.70)
    make_community(make_user("Una Unlinked"), "Upton", lat=51.60, lon=-2.59)
    bring_link(world, "active", scopes=("offers", "mentors"))
    services.propose(
        east_coordinator := communities.coordinators(east)[0],
        east,
        world.home,
        scopes=["needs"],
        message="Hello from the east!",
    )
    services.propose(world.coordinator, world.home, west, scopes=["offers"])
    assert east_coordinator.display_name == "Eve East"
    log_in(client, world.coordinator)
    page = text(client.get("/communities/northside/links"))

    incoming = section(page, "incoming-heading")
    assert "Eastside" in incoming and "Hello from the east!" in incoming
    assert "needs" in incoming and "sent by Eve East" in incoming
    assert "Accept the link with Eastside" in incoming and "Decline" in incoming

    active = section(page, "active-links-heading")
    assert "Southside" in active and "offers and mentors" in active
    assert "End the link with Southside" in active and "Save what flows" in active
    # The scope form starts from what flows now.
    assert ticked(active, "offers") and ticked(active, "mentors")
    assert not ticked(active, "needs")

    outgoing = section(page, "outgoing-heading")
    assert "Westside" in outgoing and "Withdraw the proposal to Westside" in outgoing

    nearby = section(page, "nearby-heading")
    assert "Upton" in nearby and "Propose a link with Upton" in nearby
    for linked in ("Southside", "Eastside", "Westside"):  # already linked or asked
        assert linked not in nearby
    assert "Accept" not in outgoing and "Withdraw" not in incoming


def ticked(html: str, scope: str) -> bool:
    """Whether the (only) link scope checkbox for `scope` in `html` is ticked."""
    (box,) = re.findall(rf'<input[^>]*id="link-\d+-{scope}"[^>]*>', html)
    return " checked" in box


def section(page: str, heading_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    assert match, heading_id
    return match.group(1)


def test_nearby_communities_come_nearest_first(client, world, make_user, make_community):
    make_community(make_user("Fay Far"), "Abbey Far", lat=52.37, lon=-2.59)
    make_community(make_user("Ned Near"), "Nearby Green", lat=51.47, lon=-2.56)
    log_in(client, world.coordinator)
    nearby = section(text(client.get("/communities/northside/links")), "nearby-heading")
    names = ["Abbey Far", "Nearby Green", "Southside"]
    assert sorted(names, key=nearby.index) == ["Nearby Green", "Southside", "Abbey Far"]
    assert "2.1 km between the centres" in nearby


# --- proposing --------------------------------------------------------------------------------

PROPOSAL = {"offers": "y", "needs": "y", "message": "Shall we share?"}


def proposal(community: Community, data: dict[str, str]) -> dict[str, str]:
    """The form fields as the page names them (each candidate's form has a prefix)."""
    return {f"to-{community.id}-{key}": value for key, value in data.items()}


PROPOSE = {role: 403 for role in ROLES} | {"visitor": "login", "coordinator": 303, "admin": 303}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_propose_for_northside(client, world, role):
    act_as(client, world, role)
    response = post(
        client, "/communities/northside/links/propose/southside", proposal(world.away, PROPOSAL)
    )
    assert_status(response, PROPOSE[role])
    if PROPOSE[role] == 303:
        assert response.headers["Location"] == "/communities/northside/links"
        ((_, state, offers, needs, mentors),) = all_links()
        assert (state, offers, needs, mentors) == ("proposed", True, True, False)
        followed = text(client.get("/communities/northside/links"))
        assert "Your proposal is sent. Southside&#39;s coordinators have been told." in followed
        assert "Withdraw the proposal to Southside" in followed
    else:
        assert all_links() == []


def test_proposing_tells_the_other_sides_coordinators(client, world):
    log_in(client, world.coordinator)
    post(client, "/communities/northside/links/propose/southside", proposal(world.away, PROPOSAL))
    db.session.rollback()
    told = db.session.scalars(
        select(Notification).where(Notification.user_id == world.away_coordinator.id)
    ).all()
    assert [n.link for n in told] == ["/communities/southside/links"]
    assert "Northside proposes a link with Southside" in told[0].text


@pytest.mark.parametrize(
    "data, error",
    [
        ({"message": "Shall we share?"}, "Choose at least one thing to share"),
        ({"offers": "y", "message": "Shall we share? " + "x" * 1000}, "under 1000 characters"),
    ],
)
def test_an_invalid_proposal_is_shown_again_with_422(client, world, data, error):
    log_in(client, world.coordinator)
    response = post(
        client, "/communities/northside/links/propose/southside", proposal(world.away, data)
    )
    assert response.status_code == 422
    page = text(response)
    assert error in page
    assert "Shall we share?" in page  # what was typed is still there
    assert re.search(r"<details open>\s*<summary>Propose a link with Southside", page)
    assert "The proposal to Southside was not sent." in page
    assert all_links() == []


def test_an_invalid_proposal_over_htmx_returns_the_links_partial(client, world):
    log_in(client, world.coordinator)
    response = post(
        client,
        "/communities/northside/links/propose/southside",
        proposal(world.away, {"message": "Kept"}),
        headers=HX,
    )
    assert response.status_code == 422
    body = text(response)
    assert "<html" not in body and body.lstrip().startswith('<div id="links">')
    assert (
        "Kept" in body
        and 'id="flashes" role="status" aria-live="polite" hx-swap-oob="true"' in body
    )


def test_proposing_over_htmx_swaps_the_partial(client, world):
    log_in(client, world.coordinator)
    response = post(
        client,
        "/communities/northside/links/propose/southside",
        proposal(world.away, PROPOSAL),
        headers=HX,
    )
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<div id="links">')
    assert "Withdraw the proposal to Southside" in body
    assert "Your proposal is sent." in body  # the flash, out of band


@pytest.mark.parametrize(
    "existing, message",
    [
        ("proposed", "Northside has already proposed a link to Southside"),
        ("active", "Northside and Southside are already linked."),
    ],
)
def test_proposing_again_is_a_conflict(client, world, existing, message):
    bring_link(world, existing)
    before = all_links()
    log_in(client, world.coordinator)
    response = post(
        client, "/communities/northside/links/propose/southside", proposal(world.away, PROPOSAL)
    )
    assert response.status_code == 409
    assert message in text(response)
    assert all_links() == before


def test_proposing_to_an_unknown_community_is_not_found(client, world):
    log_in(client, world.coordinator)
    response = post(client, "/communities/northside/links/propose/nowhere", {"offers": "y"})
    assert response.status_code == 404
    assert all_links() == []


# --- answering, withdrawing, revoking, changing the scope -------------------------------------

# (the community whose page it is done from, the state it needs, the state it leads to)
TRANSITIONS = {
    "accept": ("southside", "proposed", "active"),
    "decline": ("southside", "proposed", "declined"),
    "withdraw": ("northside", "proposed", "withdrawn"),
    "revoke": ("northside", "active", "revoked"),
}
# Who may act from each side's page: its coordinators, and admins.
ALLOWED = {"northside": {"coordinator", "admin"}, "southside": {"away_coordinator", "admin"}}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_who_may_move_a_link(client, world, action, role):
    slug, needs, leads_to = TRANSITIONS[action]
    link = bring_link(world, needs)
    before = all_links()
    act_as(client, world, role)
    response = post(client, f"/communities/{slug}/links/{link.id}/{action}")
    if role == "visitor":
        assert_status(response, "login")
    elif role in ALLOWED[slug]:
        assert_status(response, 303)
        assert response.headers["Location"] == f"/communities/{slug}/links"
        assert fresh_link(link.id).state == leads_to
        return
    else:
        assert_status(response, 403)
    assert all_links() == before


@pytest.mark.parametrize(
    "slug, action",
    [
        ("northside", "accept"),  # the proposer cannot answer its own proposal
        ("northside", "decline"),
        ("southside", "withdraw"),  # the side that was asked cannot withdraw it
    ],
)
@pytest.mark.parametrize("role", ["coordinator", "away_coordinator", "admin"])
def test_the_wrong_side_of_a_proposal_is_refused(client, world, slug, action, role):
    link = bring_link(world, "proposed")
    act_as(client, world, role)
    response = post(client, f"/communities/{slug}/links/{link.id}/{action}")
    assert response.status_code == 403
    assert fresh_link(link.id).state == "proposed"


@pytest.mark.parametrize(
    "slug, action, state, words",
    [
        ("southside", "accept", "revoked", "was ended"),
        ("southside", "accept", "withdrawn", "was withdrawn"),
        ("southside", "decline", "active", "is already active"),
        ("northside", "withdraw", "declined", "was declined"),
        ("northside", "revoke", "revoked", "was ended"),
        ("southside", "revoke", "proposed", "is waiting for an answer"),
    ],
)
def test_a_link_that_moved_on_is_a_conflict(client, world, slug, action, state, words):
    link = bring_link(world, state)
    before = all_links()
    log_in(client, world.admin)
    response = post(client, f"/communities/{slug}/links/{link.id}/{action}")
    assert response.status_code == 409
    assert f"That can&#39;t be done now: the link between Northside and Southside {words}." in text(
        response
    )
    assert all_links() == before


def test_accepting_a_link_revoked_while_the_page_was_open(client, world):
    """Axel opens the page with the proposal on it; Cora withdraws it; Axel clicks Accept."""
    link = bring_link(world, "proposed")
    log_in(client, world.away_coordinator)
    assert "Accept the link with Northside" in text(client.get("/communities/southside/links"))
    services.withdraw(world.coordinator, world.home, link)
    response = post(client, f"/communities/southside/links/{link.id}/accept", headers=HX)
    assert response.status_code == 409
    body = text(response)
    assert body.lstrip().startswith('<div id="links">')
    assert "the link between Northside and Southside was withdrawn" in body
    assert "Accept the link with Northside" not in body  # the partial shows things as they are
    assert fresh_link(link.id).state == "withdrawn"


def test_accepting_over_htmx_swaps_the_partial(client, world):
    link = bring_link(world, "proposed")
    log_in(client, world.away_coordinator)
    response = post(client, f"/communities/southside/links/{link.id}/accept", headers=HX)
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<div id="links">')
    assert "Accepted: Northside and Southside are linked." in body
    assert "End the link with Northside" in body


def test_a_link_of_other_communities_is_not_found(client, world, make_user, make_community):
    east = make_community(make_user("Eve East"), "Eastside", lat=51.45, lon=-2.50)
    theirs = services.propose(world.away_coordinator, world.away, east, scopes=["offers"])
    log_in(client, world.coordinator)
    for action in ("accept", "decline", "withdraw", "revoke", "scope"):
        response = post(client, f"/communities/northside/links/{theirs.id}/{action}")
        assert response.status_code == 404
    assert fresh_link(theirs.id).state == "proposed"


def scope_form(link, **boxes: str) -> dict[str, str]:
    return {f"link-{link.id}-{name}": value for name, value in boxes.items()}


SCOPE = {role: 403 for role in ROLES} | {"visitor": "login", "coordinator": 303, "admin": 303}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_change_the_scope(client, world, role):
    link = bring_link(world, "active")
    act_as(client, world, role)
    response = post(
        client,
        f"/communities/northside/links/{link.id}/scope",
        scope_form(link, needs="y", mentors="y"),
    )
    assert_status(response, SCOPE[role])
    expected = ("needs", "mentors") if SCOPE[role] == 303 else ("offers", "needs")
    assert fresh_link(link.id).scopes == expected


def test_the_other_side_changes_the_scope_too(client, world):
    link = bring_link(world, "active")
    log_in(client, world.away_coordinator)
    response = post(
        client, f"/communities/southside/links/{link.id}/scope", scope_form(link, offers="y")
    )
    assert response.status_code == 303
    assert fresh_link(link.id).scopes == ("offers",)
    page = text(client.get("/communities/southside/links"))
    assert "Saved: offers now flow between Southside and Northside." in page


def test_a_scope_with_nothing_in_it_is_shown_again_with_422(client, world):
    link = bring_link(world, "active")
    log_in(client, world.coordinator)
    response = post(client, f"/communities/northside/links/{link.id}/scope", headers=HX)
    assert response.status_code == 422
    body = text(response)
    assert "Choose at least one thing to share" in body
    # The boxes show what was sent (none ticked), not what is saved.
    assert not ticked(body, "offers")
    assert fresh_link(link.id).scopes == ("offers", "needs")


def test_changing_the_scope_of_an_ended_link_is_a_conflict(client, world):
    link = bring_link(world, "revoked")
    log_in(client, world.coordinator)
    response = post(
        client, f"/communities/northside/links/{link.id}/scope", scope_form(link, offers="y")
    )
    assert response.status_code == 409
    assert "was ended" in text(response)


# --- a coordinator's powers stop at their own community, linked or not ------------------------


def test_a_coordinator_of_a_never_moderates_b_even_when_linked(client, world, make_user):
    """Cora coordinates Northside, linked with Southside: she sees Southside's linked posts,
    and nothing more."""
    link = bring_link(world, "active")
    wes_post = posts.create_post(
        world.away_member,
        posts.PostInput(
            kind="need",
            title="Lift to the clinic",
            description="",
            category="transport",
            community_id=world.away.id,
            visibility="linked",
        ),
    )
    log_in(client, world.coordinator)
    assert client.get(f"/posts/{wes_post.id}").status_code == 200  # she may see it ...
    for page in (
        "/communities/southside/links",
        "/communities/southside/links/network",
        "/communities/southside/members",
        "/communities/southside/moderation",
        "/communities/southside/moderation/log",
        f"/posts/{wes_post.id}/edit",
    ):
        assert client.get(page).status_code == 403, page
    for action in (
        f"/communities/southside/links/{link.id}/revoke",
        f"/communities/southside/links/{link.id}/scope",
        "/communities/southside/links/propose/northside",
        f"/communities/southside/members/{world.away_member.id}/remove",
        f"/communities/southside/members/{world.away_member.id}/promote",
        f"/posts/{wes_post.id}/close",
    ):
        assert post(client, action, {"offers": "y"}).status_code == 403, action
    assert fresh_link(link.id).state == "active"
    assert communities.member_count(world.away) == 2
    db.session.rollback()
    assert posts.get_visible(world.away_member, wes_post.id).status == "open"


# --- the network picture ----------------------------------------------------------------------


def test_the_network_is_an_svg_with_a_text_alternative(client, world, make_user, make_community):
    east = make_community(make_user("Eve East"), "Eastside", lat=51.47, lon=-2.50)
    bring_link(world, "active", scopes=("offers", "needs"))
    services.propose(world.coordinator, world.home, east, scopes=["mentors"])
    log_in(client, world.coordinator)
    response = client.get("/communities/northside/links/network")
    assert response.status_code == 200
    page = text(response)
    svg = re.search(r"<svg .*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="network-title network-desc"' in svg
    assert (
        '<title id="network-title">Northside and the communities it is linked with</title>' in svg
    )
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg, re.S).group(1)
    assert "Northside and Southside: linked (offers and needs)." in desc
    assert "Northside and Eastside: proposed, waiting for an answer (mentors)." in desc
    assert svg.count("<line ") == 2 and svg.count("<circle ") == 3
    assert 'stroke-dasharray="8 6"' in svg  # the proposal is dashed
    for name in ("Northside", "Southside", "Eastside"):
        assert f">{name}</text>" in svg
    table = re.search(r"<table>.*?</table>", page, re.S).group(0)
    assert "Northside and Southside" in table and "Linked" in table
    assert "Northside and Eastside" in table and "Proposed, waiting for an answer" in table
    # The strict CSP allows no inline style or script: the picture uses neither.
    assert "style=" not in page and "<script>" not in page
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_network_of_an_unlinked_community_says_so(client, world):
    log_in(client, world.coordinator)
    page = text(client.get("/communities/northside/links/network"))
    assert "Northside has no links or proposals yet." in page


def test_the_network_answers_htmx_with_its_partial(client, world):
    log_in(client, world.coordinator)
    body = text(client.get("/communities/northside/links/network", headers=HX))
    assert "<html" not in body and body.lstrip().startswith('<section id="network"')


def test_coordinators_find_the_links_page_from_their_community(client, world):
    log_in(client, world.coordinator)
    assert 'href="/communities/northside/links"' in text(client.get("/communities/northside"))
    log_in(client, world.member)
    assert 'href="/communities/northside/links"' not in text(client.get("/communities/northside"))
