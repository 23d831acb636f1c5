"""The dashboard page as each role meets it, the period switch, the figures and charts it shows
for Elm Street (tests/dashboard/conftest.py), an empty community, and htmx's partial."""

from __future__ import annotations

import re

import pytest

from tests.conftest import HX, ROLES, act_as, assert_status, log_in, text
from tests.dashboard.conftest import now
from tests.links.conftest import bring_link

# Northside's dashboard: its coordinators and admins; a visitor is sent to log in. Southside's
# coordinator is refused although the two communities are linked.
EXPECTED = {role: 403 for role in ROLES} | {"visitor": "login", "coordinator": 200, "admin": 200}
PAGES = ["/communities/northside/dashboard", "/communities/northside/dashboard.csv"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_who_gets_the_dashboard(client, world, role, page):
    bring_link(world, "active", scopes=("offers", "needs", "mentors"))
    act_as(client, world, role)
    response = client.get(page)
    assert_status(response, EXPECTED[role])
    if response.status_code == 403:
        assert "Only this community&#39;s coordinators can do that." in text(response)
        assert "Open now" not in text(response) and "Needs met" not in text(response)


@pytest.mark.parametrize("page", PAGES)
def test_the_other_side_of_a_link_sees_only_its_own_dashboard(client, world, page):
    bring_link(world, "active")
    log_in(client, world.away_coordinator)
    assert client.get(page).status_code == 403
    own = client.get(page.replace("northside", "southside"))
    assert own.status_code == 200


@pytest.mark.parametrize(
    "page", ["/communities/nowhere/dashboard", "/communities/nowhere/dashboard.csv"]
)
def test_an_unknown_community_has_no_dashboard(client, world, page):
    log_in(client, world.admin)
    assert client.get(page).status_code == 404


@pytest.mark.parametrize("weeks", ["7", "0", "abc", "52", "4x"])
def test_a_period_that_is_not_offered_is_a_clear_400(client, world, weeks):
    log_in(client, world.coordinator)
    response = client.get(f"/communities/northside/dashboard?weeks={weeks}")
    assert response.status_code == 400
    assert "The dashboard shows the last 4 weeks or the last 12 weeks." in text(response)


def test_only_coordinators_see_the_way_in_from_the_community_page(client, world):
    log_in(client, world.member)
    assert "/communities/northside/dashboard" not in text(client.get("/communities/northside"))
    log_in(client, world.coordinator)
    page = text(client.get("/communities/northside"))
    assert re.search(
        r'<a href="/communities/northside/dashboard" role="button"[^>]*>Dashboard</a>', page
    )


def figure(page: str, name: str) -> str:
    match = re.search(rf'<p class="figure" id="{name}">([^<]*)</p>', page)
    assert match, f"no figure {name}"
    return match.group(1)


def table_rows(page: str, caption: str) -> list[list[str]]:
    """The rows of the table with `caption`, header cells included, as text."""
    table = re.search(rf"<caption>{re.escape(caption)}</caption>(.*?)</table>", page, re.S)
    assert table, f"no table {caption!r}"
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    ]


def test_the_page_shows_the_figures_of_the_last_four_weeks(client, elm_street):
    with now():
        log_in(client, elm_street.cora)
        page = text(client.get("/communities/elm-street/dashboard"))
    assert figure(page, "needs-met") == "33%"
    assert "2 of the 6 needs posted in the last 4 weeks" in page
    assert figure(page, "first-answer") == "1 day 4 hours"
    words = " ".join(page.split())
    assert "the first claim, over 4 answered posts of the last 4 weeks." in words
    assert "the first completed exchange, over 2 posts of the last 4 weeks with one." in words
    assert figure(page, "completion") == "7 days"
    assert figure(page, "hours-exchanged") == "3½ h"
    assert figure(page, "active-mentorships") == "0"
    assert figure(page, "new-members") == "2"
    assert 'From <time datetime="2025-06-02T12:00:00+00:00">2 Jun 2025</time>' in page
    assert 'aria-current="page">Last 4 weeks</a>' in page
    assert "Open now: 3 offers and 3 needs" in page
    assert table_rows(page, "Open offers and needs by category") == [
        ["Category", "Offers", "Needs"],
        ["Tools &amp; equipment", "1", "0"],
        ["Food", "1", "1"],
        ["Tutoring", "0", "1"],
        ["Languages", "0", "1"],
        ["Clothing &amp; household", "1", "0"],
        ["All categories", "3", "3"],
    ]
    assert table_rows(page, "New posts, claims and new members per week") == [
        ["Week from", "New posts", "Claims", "New members"],
        ["2 Jun", "1", "0", "0"],
        ["9 Jun", "2", "2", "1"],
        ["16 Jun", "1", "1", "0"],
        ["23 Jun", "3", "3", "1"],
        ["All 4 weeks", "7", "6", "2"],
    ]


def test_switching_to_twelve_weeks(client, elm_street):
    with now():
        log_in(client, elm_street.cora)
        page = text(client.get("/communities/elm-street/dashboard?weeks=12"))
    assert "In the last 12 weeks" in page
    assert 'aria-current="page">Last 12 weeks</a>' in page
    assert figure(page, "needs-met") == "38%"
    assert figure(page, "first-answer") == "6 hours"
    assert figure(page, "completion") == "3 days 12 hours"
    assert figure(page, "hours-exchanged") == "5 h"
    assert figure(page, "new-members") == "3"
    weeks = table_rows(page, "New posts, claims and new members per week")
    assert len(weeks) == 1 + 12 + 1
    assert weeks[1] == ["7 Apr", "0", "0", "1"] and weeks[-1] == ["All 12 weeks", "10", "10", "3"]
    # Open posts are "now" in either window.
    assert "Open now: 3 offers and 3 needs" in page


def svgs(page: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", page, re.S)


def test_the_charts_are_svg_with_a_text_alternative_and_no_inline_style(client, elm_street):
    with now():
        log_in(client, elm_street.cora)
        page = text(client.get("/communities/elm-street/dashboard"))
    bars, lines = svgs(page)
    for svg, name in ((bars, "open-chart"), (lines, "weekly-chart")):
        assert 'role="img"' in svg
        assert f'aria-labelledby="{name}-title {name}-desc"' in svg
        assert re.search(rf'<title id="{name}-title">[^<]+</title>', svg)
        assert re.search(rf'<desc id="{name}-desc">[^<]+</desc>', svg)
        assert 'width="100%"' in svg and re.search(r'viewBox="0 0 480 \d+"', svg)
    assert "Open offers and needs in Elm Street by category" in bars
    assert "Food: 1 offer and 1 need." in bars
    # The value beside each bar says what it counts; no bar is drawn for nothing.
    assert ">1 offer</text>" in bars and ">0 needs</text>" in bars
    assert bars.count("<rect ") == 2 + 6  # the legend's two keys, six non-zero bars
    assert "Week from 23 Jun: 3 new posts, 3 claims, 1 new member." in lines
    assert lines.count("<polyline ") == 3
    # The CSP forbids inline styles and scripts: none anywhere on the page.
    assert "style=" not in page
    assert "<script>" not in page and "<script " not in page.split("</head>")[1]


def test_an_empty_community_says_so(client, world):
    log_in(client, world.coordinator)
    response = client.get("/communities/northside/dashboard")
    page = text(response)
    assert response.status_code == 200
    assert figure(page, "needs-met") == "No needs yet"
    assert "No needs were posted in the last 4 weeks." in page
    assert figure(page, "first-answer") == "No answers yet"
    assert figure(page, "completion") == "None completed yet"
    assert "No open offers or needs right now." in page
    # Only the weekly chart is drawn (every week at zero, and the founder and members joining).
    assert len(svgs(page)) == 1
    assert "style=" not in page


def test_htmx_gets_the_partial_for_the_switch(client, elm_street):
    with now():
        log_in(client, elm_street.cora)
        body = text(client.get("/communities/elm-street/dashboard?weeks=12", headers=HX))
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="dashboard">')
    assert 'hx-get="/communities/elm-street/dashboard?weeks=4"' in body
    assert 'hx-target="#dashboard"' in body and 'hx-push-url="true"' in body
    assert 'id="needs-met">38%' in body
