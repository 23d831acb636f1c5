"""Importing a spreadsheet as a coordinator: a bad file is refused with a clear message and
leaves nothing behind; a good one becomes posts that browse and search find; rows with errors
are listed by number and imported only when the coordinator skips them knowingly; a 10,000-row
file goes through the background job with its progress."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from commons.extensions import db
from commons.imports import services
from commons.imports.models import SpreadsheetImport
from commons.posts.models import Post
from tests.conftest import HX, log_in, text
from tests.imports.conftest import (
    GOOD_ROWS,
    check,
    csv_bytes,
    fresh_import,
    import_count,
    import_id_from,
    post_count,
    run,
    stored_files,
    upload,
)


def assert_nothing_saved(upload_folder) -> None:
    assert import_count() == 0
    assert post_count() == 0
    assert stored_files(upload_folder) == []


# --- files refused at the door ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'Title,Kind\nLadder,offer\n"Lift to the clinic,need\n', "Row 3 can&#39;t be read as CSV"),
        (b"Title,Kind\nLadder,offer\nLift,need,extra\n", "Row 3 has 3 cells but the header row"),
        ("Title,Kind\nCafé,offer\n".encode("cp1252"), "This file is not a CSV saved as UTF-8"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "This file is not a CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "This file is not a CSV file"),
        (b"", "This file is empty."),
        (b"Title,Kind\n", "This file has a header row but no rows under it."),
        (b"Title,Kind\n" + b"Ladder,offer\n" * 10_001, "This file has more than 10,000 rows."),
    ],
    ids=["unclosed-quote", "ragged", "cp1252", "xlsx", "png", "empty", "header-only", "too-many"],
)
def test_a_file_that_is_not_a_good_csv_is_refused_clearly(
    client, world, upload_folder, data, message
):
    log_in(client, world.coordinator)
    response = upload(client, data)
    assert response.status_code == 422
    assert message in text(response)
    assert 'aria-invalid="true"' in text(response)  # the message is tied to the file field
    assert_nothing_saved(upload_folder)


def test_no_file_chosen_is_a_422(client, world, upload_folder):
    log_in(client, world.coordinator)
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"',
        text(client.get("/communities/northside/import")),
    ).group(1)
    response = client.post(
        "/communities/northside/import",
        data={"csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Please choose a CSV file." in text(response)
    assert_nothing_saved(upload_folder)


def test_a_file_over_the_size_limit_gets_the_413_page(client, world, upload_folder):
    log_in(client, world.coordinator)
    big = csv_bytes([GOOD_ROWS[0]]) + b"x" * (5 * 1024 * 1024)
    response = upload(client, big)
    assert response.status_code == 413
    assert "That file is too big" in text(response)
    assert_nothing_saved(upload_folder)


def test_this_route_allows_more_than_the_sites_own_limit(client, world, upload_folder):
    """The site refuses bodies over 2 MB; a 3 MB spreadsheet is fine here."""
    log_in(client, world.coordinator)
    row = ("offer", "Ladder to lend", "d" * 1000, "tools", "", "", "", "", "")
    data = csv_bytes([row] * 3000)
    assert 2 * 1024 * 1024 < len(data) < 5 * 1024 * 1024
    import_id = import_id_from(upload(client, data))
    assert fresh_import(import_id).row_count == 3000


def test_a_missing_required_column_is_asked_for_before_any_check(client, world, upload_folder):
    log_in(client, world.coordinator)
    header = ("Kind", "Description", "Category")
    import_id = import_id_from(upload(client, csv_bytes([("offer", "A ladder", "tools")], header)))
    response = check(client, import_id)
    assert response.status_code == 422
    assert "Please choose the column that holds the title." in text(response)
    assert fresh_import(import_id).state == "uploaded"
    assert post_count() == 0


def test_one_column_can_not_be_two_fields(client, world, upload_folder):
    log_in(client, world.coordinator)
    import_id = import_id_from(upload(client, csv_bytes(GOOD_ROWS)))
    response = check(client, import_id, {"description": "1"})  # the title's column
    assert response.status_code == 422
    assert "This column is chosen for two fields" in text(response)
    assert post_count() == 0


# --- the stored file ----------------------------------------------------------------------------


def test_the_file_is_stored_under_a_random_name_and_never_served(client, world, upload_folder):
    log_in(client, world.coordinator)
    name = "<script>alert(1)</script>/../../etc/passwd.csv"
    import_id = import_id_from(upload(client, csv_bytes(GOOD_ROWS), filename=name))
    (stored,) = stored_files(upload_folder)
    record = fresh_import(import_id)
    assert re.fullmatch(r"[0-9a-f]{32}", stored.name) and stored.name == record.stored_name
    assert "passwd" not in stored.name and "script" not in stored.name
    assert stored.read_bytes() == csv_bytes(GOOD_ROWS)
    # The member's name for the file is only ever text.
    page = text(client.get(f"/communities/northside/import/{import_id}"))
    assert "<script>alert(1)" not in page
    assert "passwd.csv" in page
    for url in (
        f"/uploads/{stored.name}",
        f"/instance/uploads/{stored.name}",
        f"/static/{stored.name}",
        f"/static/../instance/uploads/{stored.name}",
        f"/communities/northside/import/{stored.name}",
        f"/communities/northside/import/{import_id}/{stored.name}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Ladder to lend" not in response.data


# --- a good file --------------------------------------------------------------------------------


def test_a_good_file_is_checked_then_imported_and_browse_and_search_find_it(
    client, world, upload_folder
):
    log_in(client, world.coordinator)
    import_id = import_id_from(upload(client, csv_bytes(GOOD_ROWS, bom=True)))
    page = text(client.get(f"/communities/northside/import/{import_id}"))
    assert "Ladder to lend" in page  # the preview's first rows
    assert post_count() == 0

    response = check(client, import_id)
    assert response.status_code == 303
    page = text(client.get(f"/communities/northside/import/{import_id}"))
    assert "Every row is ready: 3 posts will be made." in page
    assert "Import all 3 rows" in page
    assert post_count() == 0  # checking posts nothing

    response = run(client, import_id)
    assert response.status_code == 303
    record = fresh_import(import_id)
    assert (record.state, record.imported_rows, record.skipped_rows) == ("done", 3, 0)
    assert record.finished_at is not None
    assert stored_files(upload_folder) == []  # the file goes once its posts are made
    page = text(client.get(f"/communities/northside/import/{import_id}"))
    assert "3 posts imported" in page
    assert 'href="/posts?community=northside"' in page

    posts = {p.title: p for p in db.session.scalars(select(Post))}
    ladder, lift, reading = (
        posts["Ladder to lend"],
        posts["Lift to the clinic"],
        posts["Weekly reading help"],
    )
    assert (ladder.kind, ladder.category, ladder.tag_names) == ("offer", "tools", ["diy", "ladder"])
    assert (lift.kind, lift.category, lift.visibility) == ("need", "transport", "public")
    assert lift.on_behalf_of == "Mrs Patel" and lift.author_id == world.coordinator.id
    assert reading.is_standing and reading.expires_at is None and reading.capacity == 3
    assert reading.category == "tutoring" and reading.visibility == "community"
    assert ladder.expires_at is not None and ladder.community_id == world.home.id

    log_in(client, world.member)
    browse = text(client.get("/posts?community=northside"))
    assert "Ladder to lend" in browse and "Weekly reading help" in browse
    found = text(client.get("/posts?q=clinic"))
    assert "Lift to the clinic" in found and "Ladder to lend" not in found
    assert "Ladder to lend" in text(client.get("/posts?q=ladders"))  # stemmed, tags too
    assert "Ladder to lend" in text(client.get("/posts?q=diy"))
    assert "Lift to the clinic" in text(client.get(f"/posts/{lift.id}"))


def test_importing_twice_is_refused_the_second_time(client, world, upload_folder):
    log_in(client, world.coordinator)
    import_id = import_id_from(upload(client, csv_bytes(GOOD_ROWS)))
    check(client, import_id)
    assert run(client, import_id).status_code == 303
    again = run(client, import_id)
    assert again.status_code == 409
    assert post_count() == 3


def test_every_row_can_be_said_to_be_an_offer(client, world, upload_folder):
    log_in(client, world.coordinator)
    header = ("What", "Category")
    data = csv_bytes([("Ladder", "tools"), ("Drill", "tools")], header)
    import_id = import_id_from(upload(client, data))
    check(client, import_id, {"kind": "all-offer", "title": "0"})
    run(client, import_id)
    assert {p.kind for p in db.session.scalars(select(Post))} == {"offer"}
    assert post_count() == 2


# --- rows with errors ---------------------------------------------------------------------------

BAD_ROWS = [
    ("offer", "Ladder", "", "toolz", "", "", "", "", ""),  # row 3
    ("gift", "", "", "food", "", "", "", "", ""),  # row 4
    ("offer", "Drill", "", "tools", "", "500", "everyone", "soon", ""),  # row 5
    ("need", "x" * 121, "", "tools", "", "", "", "", "n" * 81),  # row 6
]


def test_rows_with_errors_are_listed_by_number_and_nothing_is_imported(
    client, world, upload_folder
):
    log_in(client, world.coordinator)
    rows = [GOOD_ROWS[0], *BAD_ROWS, GOOD_ROWS[1]]
    import_id = import_id_from(upload(client, csv_bytes(rows)))
    check(client, import_id)
    page = text(client.get(f"/communities/northside/import/{import_id}"))
    assert "4 of 6 rows have errors." in page
    assert (
        "Row 3: the category \u2018toolz\u2019 is not one we know; use one of: "
        "Tools &amp; equipment, Food," in page
    )
    assert (
        "Row 4: the kind \u2018gift\u2019 is neither offer nor need. Title: Please give a title."
        in page
    )
    assert (
        "Row 5: who can see it, \u2018everyone\u2019, should be community, linked or public. "
        "The expiry \u2018soon\u2019 is not a number of days (1 to 90) or the word standing. "
        "How many people: A number from 1 to 100, please." in page
    )
    assert (
        "Row 6: title: A title can be at most 120 characters. "
        "For (name): A name can be at most 80 characters." in page
    )
    assert "Import all" not in page
    assert "Skip the 4 rows with errors and import the other 2" in page

    # Without the tick, nothing is imported.
    response = run(client, import_id)
    assert response.status_code == 422
    assert "4 rows have errors." in text(response)
    assert post_count() == 0
    assert fresh_import(import_id).state == "checked"

    # Ticked: the good rows only.
    assert run(client, import_id, skip=True).status_code == 303
    record = fresh_import(import_id)
    assert (record.state, record.imported_rows, record.skipped_rows) == ("done", 2, 4)
    assert sorted(db.session.scalars(select(Post.title))) == [
        "Ladder to lend",
        "Lift to the clinic",
    ]
    assert "4 rows with errors skipped" in text(
        client.get(f"/communities/northside/import/{import_id}")
    )


def test_a_file_whose_every_row_is_wrong_offers_no_import(client, world, upload_folder):
    log_in(client, world.coordinator)
    import_id = import_id_from(upload(client, csv_bytes(BAD_ROWS)))
    check(client, import_id)
    page = text(client.get(f"/communities/northside/import/{import_id}"))
    assert "4 of 4 rows have errors." in page and "Skip the" not in page
    response = run(client, import_id, skip=True)
    assert response.status_code == 422
    assert "every row has errors" in text(response)
    assert post_count() == 0


def test_the_columns_can_be_chosen_again_after_a_check(client, world, upload_folder):
    log_in(client, world.coordinator)
    header = ("Title", "Kind", "Category", "Area")
    data = csv_bytes([("Ladder", "offer", "toolz", "tools")], header)
    import_id = import_id_from(upload(client, data))
    check(client, import_id)
    assert fresh_import(import_id).error_rows == 1
    check(client, import_id, {"category": "3"})
    record = fresh_import(import_id)
    assert (record.state, record.error_rows) == ("checked", 0)


def test_a_vanished_file_fails_the_import_and_says_why(client, world, upload_folder):
    log_in(client, world.coordinator)
    import_id = import_id_from(upload(client, csv_bytes(GOOD_ROWS)))
    check(client, import_id)
    for stored in stored_files(upload_folder):
        stored.unlink()
    response = run(client, import_id)
    assert response.status_code == 303
    record = fresh_import(import_id)
    assert record.state == "failed" and record.finished_at is not None
    assert "no longer stored" in record.error and "Nothing was imported" in record.error
    assert post_count() == 0
    assert "Nothing was imported" in text(client.get(f"/communities/northside/import/{import_id}"))


@pytest.fixture
def refuse_post_titled_boom(app):
    """A database trigger that refuses one post (a failure only the INSERT meets), dropped
    afterwards: the schema outlives the test."""
    dialect = db.engine.dialect.name
    with db.engine.begin() as conn:
        if dialect == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER boom BEFORE INSERT ON posts WHEN NEW.title = 'Boom' "
                "BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN "
                "IF NEW.title = 'Boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END "
                "$$ LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER boom BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION boom()"
            )
    yield
    db.session.rollback()
    with db.engine.begin() as conn:
        if dialect == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER boom")
        else:
            conn.exec_driver_sql("DROP TRIGGER boom ON posts")
            conn.exec_driver_sql("DROP FUNCTION boom()")


def test_a_failure_while_saving_saves_no_post_at_all(
    client, world, upload_folder, refuse_post_titled_boom
):
    """The row that fails comes after a whole batch of posts was inserted: the one transaction
    takes those back too, and the import says why."""
    rows = [("offer", f"Thing {i}", "", "tools", "", "", "", "", "") for i in range(1500)]
    rows.append(("offer", "Boom", "", "tools", "", "", "", "", ""))
    log_in(client, world.coordinator)
    import_id = import_id_from(upload(client, csv_bytes(rows)))
    check(client, import_id)
    assert fresh_import(import_id).error_rows == 0
    assert run(client, import_id).status_code == 303
    record = fresh_import(import_id)
    assert record.state == "failed"
    assert record.error.startswith("Something went wrong on our side while saving. Nothing was")
    assert post_count() == 0


# --- a large file, through the job --------------------------------------------------------------


def test_ten_thousand_rows_import_through_the_job_with_progress(client, world, upload_folder, app):
    rows = [
        ("offer" if i % 2 else "need", f"Item number {i}", "Some words", "tools", f"tag{i % 7}",
         "", "", "", "")
        for i in range(10_000)
    ]  # fmt: skip
    log_in(client, world.coordinator)
    import_id = import_id_from(upload(client, csv_bytes(rows)))
    progress_updates: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("UPDATE imports SET processed_rows"):
            progress_updates.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert check(client, import_id).status_code == 303
        record = fresh_import(import_id)
        assert (record.state, record.processed_rows, record.error_rows) == ("checked", 10_000, 0)
        assert run(client, import_id).status_code == 303
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    record = fresh_import(import_id)
    assert (record.state, record.processed_rows, record.imported_rows) == ("done", 10_000, 10_000)
    # Progress was committed in chunks while checking, and again while importing.
    assert len(progress_updates) >= 2 * (10_000 // services.CHUNK)
    assert post_count() == 10_000
    page = text(client.get(f"/communities/northside/import/{import_id}/progress", headers=HX))
    assert "10,000 posts imported" in page
    assert "hx-trigger" not in page  # finished: the page stops asking
    log_in(client, world.member)
    assert "Item number 9999" in text(client.get("/posts?q=9999"))


def test_the_progress_section_polls_while_the_job_works(client, world, upload_folder):
    log_in(client, world.coordinator)
    import_id = import_id_from(upload(client, csv_bytes(GOOD_ROWS * 2)))
    record = fresh_import(import_id)
    record.state, record.processed_rows = "running", 4
    db.session.commit()
    response = client.get(f"/communities/northside/import/{import_id}/progress", headers=HX)
    page = text(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="import-status"')
    assert 'hx-trigger="every 1s"' in page
    assert f'hx-get="/communities/northside/import/{import_id}/progress"' in page
    assert '<progress id="import-progress" value="4" max="6"' in page
    assert 'role="status">Checked 4 of 6 rows before saving.' in page
    # Nobody can start it again meanwhile.
    assert check(client, import_id).status_code == 409


def test_an_import_that_stopped_long_ago_can_be_checked_again(client, world, upload_folder):
    log_in(client, world.coordinator)
    import_id = import_id_from(upload(client, csv_bytes(GOOD_ROWS)))
    db.session.execute(
        SpreadsheetImport.__table__.update()
        .where(SpreadsheetImport.id == import_id)
        .values(state="running", updated_at=services.now_utc() - services.STALE_AFTER * 2)
    )
    db.session.commit()
    page = text(client.get(f"/communities/northside/import/{import_id}"))
    assert "This import stopped before it finished." in page
    assert "every 1s" not in page
    assert check(client, import_id).status_code == 303
    assert fresh_import(import_id).state == "checked"
