"""The community's posts and the claims on them as CSV: every text cell a spreadsheet would run
as a formula is made text, downloads are private attachments, only this community's rows."""

from __future__ import annotations

import csv
import io

from commons.claims import services as claims
from commons.posts import services as posts
from tests.conftest import log_in, text
from tests.imports.conftest import check, import_id_from, run, upload

EVIL = '=HYPERLINK("http://evil.example","click me")'


def download(client, what: str):
    """The test client reads a streamed body outside the request's context unless buffered
    (each request runs in a context of its own, tests/conftest.py)."""
    return client.get(f"/communities/northside/export/{what}.csv", buffered=True)


def rows_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def make_post(author, community, title: str, **extra):
    data = posts.PostInput(
        kind=extra.pop("kind", "offer"),
        title=title,
        description=extra.pop("description", "Plain words."),
        category=extra.pop("category", "tools"),
        community_id=community.id,
        **extra,
    )
    return posts.create_post(author, data)


def test_formula_cells_are_exported_as_text(client, world):
    world.member.display_name = "@SUM(1+1)*cmd|' /C calc'!A0"
    make_post(world.member, world.home, EVIL, description="+44 20 7946 0000", tags=["-x"])
    make_post(world.coordinator, world.home, "Ladder", on_behalf_of="-Mrs Patel")
    log_in(client, world.coordinator)
    response = download(client, "posts")
    assert response.status_code == 200
    evil, ladder = rows_of(response)
    assert evil["title"] == "'" + EVIL
    assert evil["description"] == "'+44 20 7946 0000"
    assert evil["tags"] == "'-x"
    assert evil["posted by"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert ladder["for"] == "'-Mrs Patel" and ladder["title"] == "Ladder"
    assert not any(
        cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        for row in rows_of(response)
        for cell in row.values()
    )


def test_a_formula_imported_from_a_spreadsheet_goes_back_out_as_text(client, world, upload_folder):
    from tests.imports.conftest import csv_bytes

    log_in(client, world.coordinator)
    row = ("offer", EVIL, "", "tools", "", "", "", "", "")
    import_id = import_id_from(upload(client, csv_bytes([row])))
    check(client, import_id)
    run(client, import_id)
    (exported,) = rows_of(download(client, "posts"))
    assert exported["title"] == "'" + EVIL


def test_a_download_is_a_private_attachment(client, world):
    log_in(client, world.coordinator)
    for what in ("posts", "claims"):
        response = download(client, what)
        assert response.mimetype == "text/csv"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith(f'attachment; filename="northside-{what}-')
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Length" not in response.headers  # streamed, not built whole


def test_posts_are_the_communitys_own_with_their_details(client, world):
    offer = make_post(
        world.coordinator,
        world.home,
        "Weekly reading help",
        kind="offer",
        category="tutoring",
        tags=["reading", "kids"],
        capacity=3,
        is_standing=True,
        on_behalf_of="Mrs Patel",
        visibility="linked",
    )
    make_post(world.away_coordinator, world.away, "Southside's own post")
    log_in(client, world.coordinator)
    (row,) = rows_of(download(client, "posts"))
    assert row["id"] == str(offer.id)
    assert (row["kind"], row["category"], row["tags"]) == ("offer", "Tutoring", "kids, reading")
    assert (row["capacity"], row["visibility"], row["status"]) == ("3", "linked", "open")
    assert (row["posted by"], row["for"]) == ("Cora Coordinator", "Mrs Patel")
    assert row["ends on (UTC)"] == "standing" and row["created (UTC)"][:2] == "20"


def test_claims_on_the_communitys_posts(client, world):
    post = make_post(world.coordinator, world.home, "Ladder to lend")
    claim = claims.make_claim(world.member, post, "I'd like to borrow it on Saturday.")
    elsewhere = make_post(world.away_coordinator, world.away, "Drill")
    claims.make_claim(world.away_member, elsewhere, "Please")
    log_in(client, world.coordinator)
    (row,) = rows_of(download(client, "claims"))
    assert row["id"] == str(claim.id) and row["post id"] == str(post.id)
    assert (row["post title"], row["claimant"], row["state"]) == (
        "Ladder to lend",
        "Mia Member",
        "pending",
    )
    assert "message" not in row  # the claim's words stay between its two people
    assert "borrow" not in text(download(client, "claims"))


def test_an_export_imports_again(client, world, upload_folder):
    """A coordinator can move posts from one community to another through a spreadsheet."""
    make_post(world.coordinator, world.home, "Ladder to lend", tags=["ladder"])
    make_post(world.coordinator, world.home, "Lift", kind="need", category="transport")
    log_in(client, world.coordinator)
    exported = download(client, "posts").data
    import_id = import_id_from(upload(client, exported))
    check(client, import_id)
    page = text(client.get(f"/communities/northside/import/{import_id}"))
    assert "Every row is ready: 2 posts will be made." in page
