"""Imports fixtures: an upload folder of the test's own, CSV files built from rows, and the
steps a coordinator takes (upload, check, import) as the browser would send them."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from commons.extensions import db
from commons.imports.models import SpreadsheetImport
from commons.posts.models import Post
from tests.conftest import csrf_token

HEADER = (
    "Offer or need", "Title", "Description", "Category", "Tags", "Capacity", "Visibility",
    "Expires in days", "For",
)  # fmt: skip
GOOD_ROWS = [
    ("offer", "Ladder to lend", "A 3 m ladder.", "Tools & equipment", "ladder; diy", "1",
     "community", "30", ""),
    ("need", "Lift to the clinic", "Tuesday mornings.", "transport", "lift, clinic", "",
     "public", "14", "Mrs Patel"),
    ("Offer", "Weekly reading help", "After school.", "TUTORING", "reading", "3", "",
     "standing", ""),
]  # fmt: skip


@pytest.fixture(autouse=True)
def upload_folder(app: Flask, tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    return folder


def csv_bytes(rows, header=HEADER, *, bom: bool = False, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def upload(client: FlaskClient, data: bytes, filename: str = "offers.csv", slug="northside"):
    """POST the file as a browser's form would. The body is encoded here, in memory: the test
    client would spool a large one to a temporary file it never closes."""
    token = csrf_token(client, f"/communities/{slug}/import")
    boundary, body = encode_multipart(
        {"csrf_token": token, "file": FileStorage(io.BytesIO(data), filename)}
    )
    return client.post(
        f"/communities/{slug}/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def import_id_from(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    match = re.search(r"/import/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def check(client: FlaskClient, import_id: int, mapping: dict[str, str] | None = None):
    """Send the column choice as the page shows it (its guesses), changed by `mapping`."""
    page = client.get(f"/communities/northside/import/{import_id}").get_data(as_text=True)
    chosen = {}
    for name in ("kind", "title", "description", "category", "tags", "capacity",
                 "visibility", "expires", "for_name"):  # fmt: skip
        select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
        if select_html is None:  # no form shown (a job is under way): the saved choice
            chosen[name] = fresh_import(import_id).mapping.get(name, "")
            continue
        picked = re.search(r'<option selected value="([^"]*)"', select_html.group(0))
        chosen[name] = picked.group(1) if picked else ""
    chosen.update(mapping or {})
    token = csrf_token(client, f"/communities/northside/import/{import_id}")
    return client.post(
        f"/communities/northside/import/{import_id}/check", data={"csrf_token": token, **chosen}
    )


def run(client: FlaskClient, import_id: int, skip: bool = False):
    token = csrf_token(client, f"/communities/northside/import/{import_id}")
    data = {"csrf_token": token}
    if skip:
        data["skip_bad_rows"] = "y"
    return client.post(f"/communities/northside/import/{import_id}/run", data=data)


def fresh_import(import_id: int) -> SpreadsheetImport:
    db.session.rollback()
    record = db.session.get(SpreadsheetImport, import_id)
    assert record is not None
    return record


def post_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Post)) or 0


def import_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(SpreadsheetImport)) or 0


def stored_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []
