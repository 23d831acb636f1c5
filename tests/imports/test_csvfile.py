"""Reading a spreadsheet: every way a file can be wrong gets its own clear refusal, and the
columns are guessed from the header's words."""

from __future__ import annotations

import pytest

from commons.imports import csvfile
from commons.imports.services import guess_mapping


def refusal(data: bytes) -> str:
    with pytest.raises(csvfile.NotACsv) as caught:
        csvfile.parse(data)
    return str(caught.value)


def test_utf8_with_or_without_a_byte_order_mark_reads_the_same():
    plain = csvfile.parse("title,kind\nCafé crème,offer\n".encode())
    with_bom = csvfile.parse("\ufefftitle,kind\nCafé crème,offer\n".encode())
    assert plain == with_bom
    assert plain.header == ("title", "kind")
    assert plain.rows[0].cells == ("Café crème", "offer")


def test_a_windows_1252_file_is_refused_with_how_to_save_it_as_utf8():
    message = refusal("title,kind\nCafé,offer\n".encode("cp1252"))
    assert message.startswith("This file is not a CSV saved as UTF-8")
    assert "CSV UTF-8" in message


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)),  # an .xlsx workbook is a zip
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3",
        "title,kind\nLadder,offer\n".encode("utf-16"),  # NUL bytes between the letters
    ],
    ids=["xlsx", "png", "pdf", "utf-16"],
)
def test_binary_files_are_refused_as_not_csv(data):
    assert refusal(data).startswith("This file is not a CSV file")


def test_an_unclosed_quote_names_its_row():
    message = refusal(b'title,kind\nLadder,offer\n"Lift to the clinic,need\n')
    assert message.startswith("Row 3 can't be read as CSV")


def test_a_row_with_more_or_fewer_cells_than_the_header_names_its_row():
    assert refusal(b"title,kind\nLadder,offer\nLift,need,extra\n").startswith(
        "Row 3 has 3 cells but the header row has 2."
    )
    assert refusal(b"title,kind,tags\nLadder,offer\n").startswith(
        "Row 2 has 2 cells but the header row has 3."
    )


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(data):
    assert refusal(data).startswith("This file is empty.")


def test_a_header_alone_has_no_rows():
    assert refusal(b"title,kind\r\n\r\n").startswith("This file has a header row but no rows")


def test_more_than_the_row_limit_is_refused():
    data = b"title,kind\n" + b"Ladder,offer\n" * 11
    assert csvfile.parse(data, max_rows=11).row_count == 11
    with pytest.raises(csvfile.NotACsv, match="more than 10 rows"):
        csvfile.parse(data, max_rows=10)


def test_blank_lines_are_skipped_and_rows_keep_their_spreadsheet_numbers():
    sheet = csvfile.parse(b"title,kind\n\nLadder,offer\n,\nLift,need\n\n")
    assert [(row.number, row.cells) for row in sheet.rows] == [
        (3, ("Ladder", "offer")),
        (5, ("Lift", "need")),
    ]


def test_semicolons_and_tabs_are_read_when_the_header_uses_them():
    assert csvfile.parse(b"title;kind\nLadder, long;offer\n").rows[0].cells == (
        "Ladder, long",
        "offer",
    )
    assert csvfile.parse(b"title\tkind\nLadder\toffer\n").rows[0].cells == ("Ladder", "offer")


def test_a_cell_may_hold_commas_quotes_and_line_breaks():
    sheet = csvfile.parse(b'title,description\n"Lift, Tuesday","Say ""hi""\nthen go"\n')
    assert sheet.rows[0].cells == ("Lift, Tuesday", 'Say "hi"\nthen go')


def test_columns_are_guessed_from_their_names():
    header = ["Offer or need", "Title of the post", "Details", "Category", "For", "Notes"]
    mapping = guess_mapping(header)
    assert mapping["kind"] == "0"
    assert mapping["title"] == "1"
    assert mapping["description"] == "2"
    assert mapping["category"] == "3"
    assert mapping["for_name"] == "4"
    assert mapping["tags"] == "" and mapping["capacity"] == ""


def test_column_letters_are_the_spreadsheets():
    assert [csvfile.column_letter(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "ZZ", "AAA",
    ]  # fmt: skip
