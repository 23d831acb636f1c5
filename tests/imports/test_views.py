"""Who reaches each address of import and export: the community's coordinators and admins.
Members, applicants, strangers and the coordinator of another community (linked or not) are
refused with 403 and change nothing; a visitor is sent to log in. Also the page itself, the
template file, and the way in from the community page."""

from __future__ import annotations

import csv
import io
import re

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from commons.imports import services
from commons.imports.models import SpreadsheetImport
from tests.conftest import ROLES, act_as, assert_status, log_in, text
from tests.imports.conftest import (
    GOOD_ROWS,
    csv_bytes,
    fresh_import,
    import_count,
    post_count,
    stored_files,
)
from tests.links.conftest import bring_link

ALLOWED = ("coordinator", "admin")


def expected(role: str, allowed_status: int | str) -> int | str:
    if role == "visitor":
        return "login"
    return allowed_status if role in ALLOWED else 403


@pytest.fixture
def checked_import(world) -> SpreadsheetImport:
    """A file the coordinator uploaded and checked: ready to import."""
    record = services.start_upload(
        world.coordinator, world.home, "offers.csv", csv_bytes(GOOD_ROWS)
    )
    services.start_check(world.coordinator, record, services.guess_mapping(
        ("Offer or need", "Title", "Description", "Category", "Tags", "Capacity", "Visibility",
         "Expires in days", "For")
    ))  # fmt: skip
    assert record.state == "checked"
    return record


def token_for(client, role: str) -> str:
    page = "/login" if role == "visitor" else "/communities"
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(client.get(page)))
    assert match
    return match.group(1)


GET_PAGES = [
    "/communities/northside/import",
    "/communities/northside/import/template.csv",
    "/communities/northside/import/{id}",
    "/communities/northside/import/{id}/progress",
    "/communities/northside/export/posts.csv",
    "/communities/northside/export/claims.csv",
]


@pytest.mark.parametrize("linked", [False, True], ids=["unlinked", "linked"])
@pytest.mark.parametrize("page", GET_PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_who_gets_each_page(client, world, checked_import, role, page, linked):
    if linked:
        bring_link(world, "active", scopes=("offers", "needs", "mentors"))
    act_as(client, world, role)
    response = client.get(page.format(id=checked_import.id), buffered=True)
    assert_status(response, expected(role, 200))
    if response.status_code == 403:
        assert "Only this community&#39;s coordinators can do that." in text(response)
        assert "Ladder to lend" not in text(response)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_upload(client, world, upload_folder, role):
    act_as(client, world, role)
    boundary, body = encode_multipart(
        {
            "csrf_token": token_for(client, role),
            "file": FileStorage(io.BytesIO(csv_bytes(GOOD_ROWS)), "offers.csv"),
        }
    )
    response = client.post(
        "/communities/northside/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert_status(response, expected(role, 303))
    stored = 1 if role in ALLOWED else 0
    assert import_count() == stored
    assert len(stored_files(upload_folder)) == stored


@pytest.mark.parametrize("role", ROLES)
def test_who_may_check(client, world, checked_import, role):
    act_as(client, world, role)
    data = {"csrf_token": token_for(client, role), **checked_import.mapping}
    response = client.post(f"/communities/northside/import/{checked_import.id}/check", data=data)
    assert_status(response, expected(role, 303))
    assert fresh_import(checked_import.id).state == "checked"


@pytest.mark.parametrize("role", ROLES)
def test_who_may_import(client, world, checked_import, role):
    act_as(client, world, role)
    data = {"csrf_token": token_for(client, role)}
    response = client.post(f"/communities/northside/import/{checked_import.id}/run", data=data)
    assert_status(response, expected(role, 303))
    assert post_count() == (3 if role in ALLOWED else 0)
    assert fresh_import(checked_import.id).state == ("done" if role in ALLOWED else "checked")


def test_an_import_is_found_only_under_its_own_community(client, world, checked_import):
    bring_link(world, "active")
    log_in(client, world.away_coordinator)
    assert client.get(f"/communities/southside/import/{checked_import.id}").status_code == 404
    assert (
        client.get(f"/communities/southside/import/{checked_import.id}/progress").status_code == 404
    )
    log_in(client, world.admin)
    assert client.get(f"/communities/southside/import/{checked_import.id}").status_code == 404
    assert client.get("/communities/northside/import/999999").status_code == 404


@pytest.mark.parametrize(
    "page",
    [
        "/communities/nowhere/import",
        "/communities/nowhere/import/template.csv",
        "/communities/nowhere/export/posts.csv",
    ],
)
def test_an_unknown_community_is_a_404(client, world, page):
    log_in(client, world.admin)
    assert client.get(page).status_code == 404


def test_the_upload_page_explains_the_columns_and_offers_the_template(client, world):
    log_in(client, world.coordinator)
    page = text(client.get("/communities/northside/import"))
    assert re.search(r'<input[^>]*name="file"[^>]*type="file"', page)
    assert 'enctype="multipart/form-data"' in page
    for label in ("Offer or need", "Title", "Category", "Tags", "For (name)", "Who can see it"):
        assert label in page
    assert "standing" in page and "Tools &amp; equipment (tools)" in page
    assert 'href="/communities/northside/import/template.csv"' in page
    assert 'href="/communities/northside/export/posts.csv"' in page
    assert 'href="/communities/northside/export/claims.csv"' in page


def test_the_template_imports_as_it_is(client, world, upload_folder):
    log_in(client, world.coordinator)
    response = client.get("/communities/northside/import/template.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    record = services.start_upload(world.coordinator, world.home, "t.csv", response.data)
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    services.start_check(world.coordinator, record, services.guess_mapping(header))
    assert (record.state, record.row_count, record.error_rows) == ("checked", 3, 0)


def test_only_coordinators_see_the_way_in_from_the_community_page(client, world):
    link = ">Import or export a spreadsheet</a>"
    log_in(client, world.member)
    assert link not in text(client.get("/communities/northside"))
    log_in(client, world.coordinator)
    page = text(client.get("/communities/northside"))
    assert re.search(r'<a href="/communities/northside/import" role="button"[^>]*>Import or', page)


@pytest.mark.parametrize("huge", ["2147483648", "9223372036854775808", "99999999999999999999"])
def test_an_import_id_beyond_any_row_is_not_found(client, world, huge):
    log_in(client, world.admin)
    base = f"/communities/northside/import/{huge}"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/progress").status_code == 404
    token = token_for(client, "admin")
    assert client.post(f"{base}/check", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{base}/run", data={"csrf_token": token}).status_code == 404
