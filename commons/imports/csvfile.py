"""Reading a coordinator's spreadsheet: bytes in, a header and rows out, or a clear refusal.

Pure Python (no Flask, no database), so every way a file can be wrong is tested on its own.

The encoding. We accept UTF-8, with or without the byte-order mark Excel writes for "CSV UTF-8",
and nothing else. We deliberately do not fall back to Windows-1252 (what Excel's plain "CSV"
writes in Western Europe): almost every byte sequence is valid Windows-1252, so a file saved
in any other encoding (Cyrillic, Greek, Turkish, Shift-JIS...) would import as garbled text
without a single error, and neighbours' names would be wrong in posts. A clear refusal that
says how to save the file as UTF-8 costs the coordinator one click in the "Save as" dialog.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

MAX_ROWS = 10_000
BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";", "\t")


class NotACsv(Exception):
    """The file can't be read as a spreadsheet; the message says why and what to do."""


NOT_TEXT = (
    "This file is not a CSV file: it holds binary data (it may be an Excel .xlsx workbook, "
    "a picture or a PDF). In your spreadsheet, choose File, then Save as (or Download), "
    "and pick \u201cCSV UTF-8\u201d."
)
NOT_UTF8 = (
    "This file is not a CSV saved as UTF-8, so letters such as \u00e9 or \u00fc would come "
    "out wrong. In Excel choose Save as \u201cCSV UTF-8 (comma delimited)\u201d; in "
    "LibreOffice tick \u201cEdit filter settings\u201d and pick Unicode (UTF-8); Google Sheets "
    "always downloads UTF-8."
)
EMPTY = "This file is empty. Please choose the CSV file that holds your offers and needs."
NO_ROWS = (
    "This file has a header row but no rows under it. Add one row per offer or need and "
    "upload it again."
)


@dataclass(frozen=True)
class Row:
    """One data row: its number as the spreadsheet shows it (the header is row 1)."""

    number: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Sheet:
    header: tuple[str, ...]
    rows: tuple[Row, ...]

    @property
    def row_count(self) -> int:
        return len(self.rows)


def decode(data: bytes) -> str:
    """The file's text, from UTF-8 (a BOM is dropped). Raises NotACsv for anything else."""
    if not data.strip():
        raise NotACsv(EMPTY)
    # Text never holds NUL; binary formats (xlsx is a zip, UTF-16 text) are full of them.
    if b"\x00" in data[:65536] or data.startswith((b"PK\x03\x04", b"%PDF")):
        raise NotACsv(NOT_TEXT)
    if data.startswith(BOM):
        data = data[len(BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotACsv(NOT_UTF8) from None
    if "\x00" in text:
        raise NotACsv(NOT_TEXT)
    return text


def _delimiter(text: str) -> str:
    """Comma, or the semicolon or tab some spreadsheets use where a comma is the decimal sign:
    whichever the header line holds most of."""
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse(data: bytes, max_rows: int = MAX_ROWS) -> Sheet:
    """Read the whole file. Raises NotACsv (empty, binary, not UTF-8, broken quoting, rows with
    more or fewer cells than the header, too many rows) with a message for the coordinator."""
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    header: tuple[str, ...] | None = None
    rows: list[Row] = []
    number = 0
    try:
        for cells in reader:
            number += 1
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (often at the end of a sheet) mean nothing
            if header is None:
                header = tuple(cell.strip() for cell in cells)
                continue
            if len(cells) != len(header):
                raise NotACsv(
                    f"Row {number} has {len(cells)} cells but the header row has "
                    f"{len(header)}. Check that row for a missing or extra comma, or a quote "
                    "mark that is not closed, then upload the file again."
                )
            if len(rows) >= max_rows:
                raise NotACsv(
                    f"This file has more than {max_rows:,} rows. Please split it into files "
                    f"of at most {max_rows:,} rows and import them one after the other."
                )
            rows.append(Row(number, tuple(cells)))
    except csv.Error as exc:
        raise NotACsv(
            f"Row {number + 1} can't be read as CSV ({exc}). This usually means a quote "
            "mark that is not closed. Fix that row in your spreadsheet and save it as CSV again."
        ) from None
    if header is None:
        raise NotACsv(EMPTY)
    if not rows:
        raise NotACsv(NO_ROWS)
    return Sheet(header, tuple(rows))


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names the column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def normalise(name: str) -> str:
    """A header name reduced to letters and digits, for guessing: "Offer / Need?" -> offerneed."""
    return re.sub(r"[^a-z0-9]", "", name.lower())
