"""Spreadsheet import and export for a community's coordinators.

The import, step by step (every step is the community's coordinators' and admins' only):
1. `start_upload`: the file is read whole (at most IMPORT_MAX_BYTES, checked by the view before
   the form is parsed) and refused unless it is a UTF-8 CSV with a header and 1 to 10,000 rows
   (`csvfile`). Only then is it stored, under a random name in UPLOAD_FOLDER; nothing serves
   that folder. The import row starts `uploaded`, with columns guessed from the header.
2. `start_check`: the coordinator's choice of columns is saved and every row is checked
   (`checking` -> `checked`). A row is checked by the posting form itself (`PostForm`) and the
   posting service's own check of who may post where, after translating the spreadsheet's
   words (category labels, "standing", semicolons between tags), so an import can never let
   in a post the form would refuse. Nothing but the import row is written.
3. `start_import`: `checked` -> `running`, only when no row had errors or the coordinator
   ticked "skip the rows with errors". Rows are checked again (the community may have changed
   since), then `saving`: every post is written in ONE transaction, together with the import
   row's move to `done`, so the posts are all there or none is. Any failure rolls that
   transaction back and marks the import `failed` with the reason.

Files up to INLINE_ROWS rows are imported while the coordinator waits; larger ones run as
background jobs (`commons.jobs`) that commit their progress (`processed_rows`) every CHUNK
rows in short transactions of their own; the page polls it. Each move between states is a
conditional UPDATE on the expected state, so a double click or two coordinators at once start
one run (the other gets `WrongState`, a 409).

The export streams the community's posts or the claims on them as CSV, every text cell made
safe for spreadsheets (`timebank.services.spreadsheet_safe`).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from .. import jobs
from ..accounts.models import User
from ..claims.models import Claim
from ..communities.models import Community
from ..communities.permissions import NotAllowed, require_coordinator
from ..database import is_possible_id, now_utc, write_transaction
from ..extensions import db
from ..posts import services as posts
from ..posts.forms import PostForm, split_tags
from ..posts.models import (
    CATEGORIES,
    DEFAULT_LIFETIME_DAYS,
    VISIBILITIES,
    Post,
    PostFollow,
    PostTag,
)
from ..timebank.services import spreadsheet_safe
from . import csvfile
from .models import (
    MAX_SHOWN_PROBLEMS,
    STALE_AFTER,
    WORKING_STATES,
    SpreadsheetImport,
)

logger = logging.getLogger("commons.imports")

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
INLINE_ROWS = 500
CHUNK = 1000
PREVIEW_ROWS = 5
INSERT_BATCH = 1000
NOT_IMPORTED = "Nothing was imported."


class ImportProblem(Exception):
    """The import can't go on as asked; the message says why, for the coordinator."""


class WrongState(ImportProblem):
    """Someone (or another tab) moved the import on already; answered 409."""


class MappingIncomplete(ImportProblem):
    """A column the posts need was not chosen; `errors` maps our field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Please choose a column for every field marked as needed.")
        self.errors = errors


NotACsv = csvfile.NotACsv


# --- the fields a row can fill -----------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    explanation: str
    aliases: tuple[str, ...]
    required: bool = False


FIELDS: tuple[Field, ...] = (
    Field(
        "kind",
        "Offer or need",
        "the word offer or need. If every row is the same, you can say so instead of "
        "choosing a column.",
        ("kind", "type", "offerorneed", "offerneed", "offerneeds", "offersneeds"),
        required=True,
    ),
    Field(
        "title",
        "Title",
        "a few words, at most 120 characters, like: Ladder to lend.",
        ("title", "what", "heading", "summary", "subject", "headline"),
        required=True,
    ),
    Field(
        "description",
        "Description",
        "details that help a neighbour decide, at most 4000 characters. No address or phone "
        "number, please.",
        ("description", "details", "detail", "notes", "note", "desc", "text", "body"),
    ),
    Field(
        "category",
        "Category",
        "one of our categories, by its name or its short key: "
        + ", ".join(f"{label} ({key})" for key, label in CATEGORIES.items())
        + ".",
        ("category", "categories", "cat", "area", "topic"),
        required=True,
    ),
    Field(
        "tags",
        "Tags",
        "optional words that help people find it, separated by commas or semicolons.",
        ("tags", "tag", "keywords", "keyword", "labels"),
    ),
    Field(
        "capacity",
        "How many people it can serve",
        "for offers, a number from 1 to 100. Empty means 1. Needs are always for one helper.",
        ("capacity", "places", "howmany", "howmanypeople", "people", "spaces"),
    ),
    Field(
        "visibility",
        "Who can see it",
        "community (members of this community), linked (also linked communities) or public "
        "(anyone). Empty means community.",
        ("visibility", "whocansee", "visible", "audience", "sharedwith", "shared"),
    ),
    Field(
        "expires",
        "Expires in (days)",
        f"a number of days from 1 to 90, or the word standing for something ongoing that "
        f"never expires. Empty means {DEFAULT_LIFETIME_DAYS} days.",
        ("expires", "expiresindays", "expiry", "days", "lifetime", "lifetimedays", "duration"),
    ),
    Field(
        "for_name",
        "For (name)",
        "the name of a neighbour without an account you post this for, at most 80 "
        "characters. Empty means the post is yours.",
        ("for", "forname", "onbehalfof", "behalf", "neighbour", "neighbor", "postedfor"),
    ),
)
FIELD_KEYS = tuple(f.key for f in FIELDS)
ALL_OFFERS, ALL_NEEDS = "all-offer", "all-need"
TEMPLATE_ROWS = (
    (
        "offer",
        "Ladder to lend",
        "A 3 m ladder, collect from the community centre.",
        "Tools & equipment",
        "ladder; diy",
        "1",
        "community",
        "30",
        "",
    ),
    (
        "need",
        "Lift to the clinic on Tuesday",
        "Tuesday mornings, back by noon.",
        "transport",
        "lift, clinic",
        "",
        "linked",
        "14",
        "Mrs Patel",
    ),
    (
        "offer",
        "Weekly reading help",
        "Half an hour after school.",
        "tutoring",
        "reading",
        "3",
        "community",
        "standing",
        "",
    ),
)


def template_csv() -> str:
    """A file to start from: our column names and three example rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_template_header(f) for f in FIELDS])
    writer.writerows(TEMPLATE_ROWS)
    return "\ufeff" + out.getvalue()


def _template_header(field: Field) -> str:
    return {"kind": "offer or need", "for_name": "for", "expires": "expires in days"}.get(
        field.key, field.key
    )


def guess_mapping(header: Sequence[str]) -> dict[str, str]:
    """Our field -> the position of the column whose name says it is that field ("" for
    none). Exact names first, then names that start with one (`Title of the post`); a column
    serves one field at most."""
    names = [csvfile.normalise(h) for h in header]
    taken: set[int] = set()
    mapping = dict.fromkeys(FIELD_KEYS, "")
    for exact in (True, False):
        for field in FIELDS:
            if mapping[field.key]:
                continue
            for index, name in enumerate(names):
                if index in taken or not name:
                    continue
                if any(
                    name == alias if exact else name.startswith(alias) and len(alias) >= 4
                    for alias in field.aliases
                ):
                    mapping[field.key] = str(index)
                    taken.add(index)
                    break
    return mapping


def clean_mapping(chosen: dict[str, str], column_count: int) -> dict[str, str]:
    """The coordinator's choice, checked: known fields, existing columns, required ones set.
    Raises MappingIncomplete."""
    mapping: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field in FIELDS:
        value = (chosen.get(field.key) or "").strip()
        allowed = {str(i) for i in range(column_count)}
        if field.key == "kind":
            allowed |= {ALL_OFFERS, ALL_NEEDS}
        if value and value not in allowed:
            errors[field.key] = "Please choose one of the columns of your file."
        elif not value and field.required:
            errors[field.key] = f"Please choose the column that holds the {field.label.lower()}."
        mapping[field.key] = value
    used = [v for v in mapping.values() if v.isdigit()]
    if len(used) != len(set(used)):
        for field in FIELDS:
            value = mapping[field.key]
            if value.isdigit() and used.count(value) > 1:
                errors.setdefault(
                    field.key, "This column is chosen for two fields; choose it for one."
                )
    if errors:
        raise MappingIncomplete(errors)
    return mapping


# --- checking one row --------------------------------------------------------------------------


def _words(text: str) -> str:
    return " ".join(text.lower().replace("&", " and ").split())


CATEGORY_NAMES: dict[str, str] = {_words(key): key for key in CATEGORIES} | {
    _words(label): key for key, label in CATEGORIES.items()
}
STANDING_WORDS = ("standing", "ongoing", "never")
_WHOLE = re.compile(r"^\s*(\d+)(?:\.0+)?\s*$")  # "3", or "3.0" as some spreadsheets write it


@dataclass(frozen=True)
class RowResult:
    number: int
    data: posts.PostInput | None
    problems: tuple[str, ...]


def _quoted(value: str) -> str:
    shown = value if len(value) <= 40 else value[:40] + "\u2026"
    return f"\u2018{shown}\u2019"


def check_row(row: csvfile.Row, mapping: dict[str, str], community: Community) -> RowResult:
    """One row as a post: our words translated to the form's values, then PostForm's own
    validators (the same as posting); a PostInput when it passes, the problems when not."""

    def cell(key: str) -> str:
        where = mapping.get(key, "")
        return row.cells[int(where)].strip() if where.isdigit() else ""

    problems: list[str] = []
    reported: set[str] = set()

    kind = mapping.get("kind", "")
    if kind in (ALL_OFFERS, ALL_NEEDS):
        kind = kind.removeprefix("all-")
    else:
        kind = cell("kind").lower().rstrip("s") if cell("kind") else ""
        if kind and kind not in ("offer", "need"):
            problems.append(f"the kind {_quoted(cell('kind'))} is neither offer nor need.")
            reported.add("kind")

    category = ""
    if cell("category"):
        category = CATEGORY_NAMES.get(_words(cell("category")), "")
        if not category:
            problems.append(
                f"the category {_quoted(cell('category'))} is not one we know; use one of: "
                + ", ".join(CATEGORIES.values())
                + "."
            )
            reported.add("category")

    visibility = cell("visibility").lower() or "community"
    if visibility not in VISIBILITIES:
        problems.append(
            f"who can see it, {_quoted(cell('visibility'))}, should be community, linked or public."
        )
        reported.add("visibility")

    standing, lifetime = False, ""
    expires = cell("expires")
    if expires.lower() in STANDING_WORDS:
        standing = True
    elif expires:
        whole = _WHOLE.match(expires)
        if whole:
            lifetime = whole.group(1)
        else:
            problems.append(
                f"the expiry {_quoted(expires)} is not a number of days (1 to 90) or the "
                "word standing."
            )
            reported.add("lifetime_days")

    capacity = cell("capacity")
    whole = _WHOLE.match(capacity)
    capacity = whole.group(1) if whole else (capacity or "1")

    formdata = MultiDict(
        {
            "kind": kind,
            "title": cell("title"),
            "description": cell("description"),
            "category": category,
            "tags": cell("tags").replace(";", ","),
            "community": str(community.id),
            "capacity": capacity,
            "visibility": visibility if "visibility" not in reported else "community",
            "lifetime_days": lifetime,
            "on_behalf_of": cell("for_name"),
        }
    )
    if standing:
        formdata["is_standing"] = "y"
    form = PostForm(formdata=formdata, meta={"csrf": False})
    form.community.choices = [SelectChoice(str(community.id), community.name)]
    if not form.validate():
        for name, errors in form.errors.items():
            if name in reported:  # already said in the spreadsheet's own words
                continue
            label = ERROR_LABELS.get(name, name)
            problems.extend(f"{label}: {error}" for error in errors)
    if problems:
        return RowResult(row.number, None, tuple(problems))
    return RowResult(
        row.number,
        posts.PostInput(
            kind=form.kind.data,
            title=form.title.data,
            description=form.description.data or "",
            category=form.category.data,
            community_id=community.id,
            tags=split_tags(form.tags.data),
            capacity=form.capacity.data or 1,
            visibility=form.visibility.data,
            is_standing=form.is_standing.data,
            lifetime_days=form.lifetime_days.data or DEFAULT_LIFETIME_DAYS,
            on_behalf_of=form.on_behalf_of.data or None,
        ),
        (),
    )


ERROR_LABELS = {
    "kind": "offer or need",
    "title": "title",
    "description": "description",
    "category": "category",
    "tags": "tags",
    "capacity": "how many people",
    "visibility": "who can see it",
    "lifetime_days": "expires in (days)",
    "on_behalf_of": "for (name)",
}


def row_message(result: RowResult) -> str:
    """ "Row 14: the category 'toolz' is not one we know; ..." (several problems joined)."""
    return f"Row {result.number}: " + " ".join(
        p[0].upper() + p[1:] if i else p for i, p in enumerate(result.problems)
    )


# --- the stored file ---------------------------------------------------------------------------


def upload_folder() -> Path:
    configured = current_app.config.get("UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def max_upload_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _inline_rows() -> int:
    return int(current_app.config.get("IMPORT_INLINE_ROWS", INLINE_ROWS))


def _shown_name(filename: str | None) -> str:
    """The member's file name, only ever shown as text: no folders, no control characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name.strip()[:255] or "spreadsheet.csv"


def _path(record: SpreadsheetImport) -> Path:
    # stored_name is ours (hex), but never trust a path built from a column blindly.
    if not re.fullmatch(r"[0-9a-f]{32}", record.stored_name):
        raise ImportProblem("This import's file can't be found. Please upload it again.")
    return upload_folder() / record.stored_name


def read_sheet(record: SpreadsheetImport) -> csvfile.Sheet:
    try:
        data = _path(record).read_bytes()
    except FileNotFoundError:
        raise ImportProblem(
            "This import's file is no longer stored. Please upload it again."
        ) from None
    return csvfile.parse(data)


def _discard_file(record: SpreadsheetImport) -> None:
    try:
        _path(record).unlink(missing_ok=True)
    except (OSError, ImportProblem):
        logger.warning("could not remove an import's file", extra={"fields": {"id": record.id}})


def start_upload(
    actor: User, community: Community, filename: str | None, data: bytes
) -> SpreadsheetImport:
    """Store a coordinator's CSV for checking. Raises NotAllowed, or NotACsv with what is wrong
    with the file (nothing is stored then)."""
    require_coordinator(actor, community)
    sheet = csvfile.parse(data)
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    path = folder / stored_name
    # "x": never over another file; 0600: the web server's user only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    record = SpreadsheetImport(
        community_id=community.id,
        created_by_id=actor.id,
        stored_name=stored_name,
        original_name=_shown_name(filename),
        row_count=sheet.row_count,
        mapping_json=json.dumps(guess_mapping(sheet.header)),
    )
    try:
        with write_transaction():
            db.session.add(record)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return record


def get_import(actor: User, community: Community, import_id: int) -> SpreadsheetImport | None:
    """The community's import, for its coordinators (NotAllowed for others); None when there
    is no such import in this community (answered 404)."""
    require_coordinator(actor, community)
    if not is_possible_id(import_id):
        return None
    return db.session.scalar(
        select(SpreadsheetImport).where(
            SpreadsheetImport.id == import_id, SpreadsheetImport.community_id == community.id
        )
    )


def recent_imports(actor: User, community: Community, limit: int = 10) -> list[SpreadsheetImport]:
    require_coordinator(actor, community)
    return list(
        db.session.scalars(
            select(SpreadsheetImport)
            .where(SpreadsheetImport.community_id == community.id)
            .options(joinedload(SpreadsheetImport.created_by))
            .order_by(SpreadsheetImport.created_at.desc(), SpreadsheetImport.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Preview:
    header: tuple[str, ...]
    rows: tuple[csvfile.Row, ...]
    columns: tuple[tuple[str, str], ...]  # (position, "B: Title")


def preview(record: SpreadsheetImport) -> Preview:
    sheet = read_sheet(record)
    columns = tuple(
        (str(i), f"{csvfile.column_letter(i)}: {name or '(no name)'}")
        for i, name in enumerate(sheet.header)
    )
    return Preview(sheet.header, sheet.rows[:PREVIEW_ROWS], columns)


# --- moving between states ---------------------------------------------------------------------


def _move(record_id: int, expected: Iterable[str], **values: object) -> bool:
    """One conditional UPDATE in its own transaction: True when the import was in an expected
    state and moved, False when someone moved it first."""
    with write_transaction():
        moved = db.session.execute(
            update(SpreadsheetImport)
            .where(SpreadsheetImport.id == record_id, SpreadsheetImport.state.in_(tuple(expected)))
            .values(**values),
            execution_options={"synchronize_session": False},
        ).rowcount
    return moved == 1


def _fail(record_id: int, reason: str) -> None:
    _move(
        record_id,
        ("uploaded", "checking", "checked", "running", "saving"),
        state="failed",
        error=reason,
        finished_at=now_utc(),
    )


def start_check(actor: User, record: SpreadsheetImport, chosen: dict[str, str]) -> None:
    """Save the chosen columns and check every row (here, or as a job for a large file).
    Raises NotAllowed, MappingIncomplete, WrongState (a check or import is under way)."""
    require_coordinator(actor, record.community)
    sheet_columns = len(read_sheet(record).header)
    mapping = clean_mapping(chosen, sheet_columns)
    record_id, inline = record.id, record.row_count <= _inline_rows()
    with write_transaction():
        moved = db.session.execute(
            update(SpreadsheetImport)
            .where(
                SpreadsheetImport.id == record_id,
                or_(
                    SpreadsheetImport.state.in_(("uploaded", "checked", "failed")),
                    and_(
                        SpreadsheetImport.state.in_(WORKING_STATES),
                        SpreadsheetImport.updated_at < now_utc() - STALE_AFTER,
                    ),
                ),
            )
            .values(
                state="checking",
                mapping_json=json.dumps(mapping),
                processed_rows=0,
                error_rows=0,
                imported_rows=0,
                skipped_rows=0,
                problems_json="[]",
                error=None,
                skip_bad_rows=False,
                finished_at=None,
            ),
            execution_options={"synchronize_session": False},
        ).rowcount
        if moved != 1:
            raise WrongState("This file is being checked or imported already.")
        if not inline:
            jobs.enqueue("imports.check", import_id=record_id)
    if inline:
        run_check(record_id)
    db.session.refresh(record)


def start_import(actor: User, record: SpreadsheetImport, skip_bad_rows: bool) -> None:
    """Import the checked rows (here, or as a job for a large file). Raises NotAllowed,
    ImportProblem (rows have errors and skipping was not ticked; no good row), WrongState."""
    require_coordinator(actor, record.community)
    if record.state != "checked":
        raise WrongState("Check the rows first; this file is not ready to import.")
    if record.error_rows and not skip_bad_rows:
        raise ImportProblem(
            f"{_rows(record.error_rows)} have errors. Fix them in your spreadsheet and upload "
            "it again, or tick the box to skip them."
        )
    if record.good_rows == 0:
        raise ImportProblem("No row can be imported: every row has errors.")
    record_id, inline = record.id, record.row_count <= _inline_rows()
    with write_transaction():
        moved = db.session.execute(
            update(SpreadsheetImport)
            .where(SpreadsheetImport.id == record_id, SpreadsheetImport.state == "checked")
            .values(state="running", processed_rows=0, skip_bad_rows=skip_bad_rows),
            execution_options={"synchronize_session": False},
        ).rowcount
        if moved != 1:
            raise WrongState("This file is being imported already.")
        if not inline:
            jobs.enqueue("imports.run", import_id=record_id)
    if inline:
        run_import(record_id)
    db.session.refresh(record)


def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


# --- the work: checking and importing ----------------------------------------------------------


def _check_all(record: SpreadsheetImport, state: str) -> list[RowResult]:
    """Every row checked, committing progress every CHUNK rows. Raises ImportProblem or
    NotAllowed (the importer may not post here any more), WrongState (moved elsewhere)."""
    sheet = read_sheet(record)
    mapping = record.mapping
    community = record.community
    author = record.created_by
    # Who may post here, and for a neighbour, is the same for every row: asked once, of the
    # posting service itself.
    probe = posts.PostInput(
        kind="offer",
        title="",
        description="",
        category="other",
        community_id=community.id,
        on_behalf_of="neighbour" if mapping.get("for_name") else None,
    )
    posts.check_may_post(author, probe)
    results: list[RowResult] = []
    for start in range(0, sheet.row_count, CHUNK):
        results.extend(
            check_row(row, mapping, community) for row in sheet.rows[start : start + CHUNK]
        )
        if not _move(record.id, (state,), processed_rows=len(results)):
            raise WrongState("This import was moved on by someone else.")
    return results


def _load(record_id: int, state: str) -> SpreadsheetImport | None:
    db.session.rollback()  # read afresh: the row was just moved by another transaction
    record = db.session.get(SpreadsheetImport, record_id)
    return record if record is not None and record.state == state else None


@jobs.job("imports.check")
def run_check(import_id: int) -> None:
    """Check every row of an import in `checking`, and keep the first problems to show."""
    record = _load(import_id, "checking")
    if record is None:
        return
    try:
        results = _check_all(record, "checking")
    except (ImportProblem, NotAllowed) as exc:
        _fail(import_id, str(exc))
        return
    except Exception:
        logger.exception("checking an import failed", extra={"fields": {"id": import_id}})
        _fail(import_id, "Something went wrong on our side while checking. Please try again.")
        return
    bad = [r for r in results if r.problems]
    _move(
        import_id,
        ("checking",),
        state="checked",
        processed_rows=len(results),
        error_rows=len(bad),
        problems_json=json.dumps([row_message(r) for r in bad[:MAX_SHOWN_PROBLEMS]]),
    )


@jobs.job("imports.run")
def run_import(import_id: int) -> None:
    """Check the rows again, then write every good one in one transaction (all or none)."""
    record = _load(import_id, "running")
    if record is None:
        return
    try:
        results = _check_all(record, "running")
        bad = [r for r in results if r.problems]
        if bad and not record.skip_bad_rows:
            raise ImportProblem(
                f"{_rows(len(bad))} have errors now. {NOT_IMPORTED} Check the rows again."
            )
        good = [r.data for r in results if r.data is not None]
        if not good:
            raise ImportProblem("No row can be imported: every row has errors.")
        if not _move(import_id, ("running",), state="saving"):
            return
        author, community = record.created_by, record.community
        with write_transaction():
            _insert_posts(author, community, good)
            moved = db.session.execute(
                update(SpreadsheetImport)
                .where(SpreadsheetImport.id == import_id, SpreadsheetImport.state == "saving")
                .values(
                    state="done",
                    imported_rows=len(good),
                    skipped_rows=len(bad),
                    error_rows=len(bad),
                    problems_json=json.dumps([row_message(r) for r in bad[:MAX_SHOWN_PROBLEMS]]),
                    finished_at=now_utc(),
                ),
                execution_options={"synchronize_session": False},
            ).rowcount
            if moved != 1:
                raise WrongState("This import was moved on by someone else.")
    except (ImportProblem, NotAllowed) as exc:
        reason = str(exc)
        _fail(import_id, reason if NOT_IMPORTED in reason else f"{reason} {NOT_IMPORTED}")
        return
    except Exception:
        db.session.rollback()
        logger.exception("an import failed", extra={"fields": {"id": import_id}})
        _fail(
            import_id,
            "Something went wrong on our side while saving. Nothing was imported; please try "
            "again.",
        )
        return
    _discard_file(record)


def _insert_posts(author: User, community: Community, inputs: list[posts.PostInput]) -> None:
    """Write the posts as posting does (`posts.services.apply_input` sets title, tags, capacity and
    the search text; the place is the author's neighbourhood in this community, else its
    centre), but as a few multi-row INSERTs: thousands of posts in seconds. The full-text index
    follows by itself (SQLite's triggers, PostgreSQL's expression index)."""
    now = now_utc()
    place = author.neighbourhood if author.neighbourhood in community.neighbourhoods else None
    columns = (
        "kind",
        "title",
        "description",
        "category",
        "capacity",
        "visibility",
        "is_standing",
        "on_behalf_of",
        "search_text",
    )
    for start in range(0, len(inputs), INSERT_BATCH):
        batch = inputs[start : start + INSERT_BATCH]
        rows, tags = [], []
        for data in batch:
            post = Post(kind=data.kind)
            posts.apply_input(post, data)
            rows.append(
                {name: getattr(post, name) for name in columns}
                | {
                    "community_id": community.id,
                    "author_id": author.id,
                    "accepted_count": 0,
                    "status": "open",
                    "neighbourhood_id": place.id if place else None,
                    "lat": place.lat if place else community.centre_lat,
                    "lon": place.lon if place else community.centre_lon,
                    "expires_at": None
                    if data.is_standing
                    else now + timedelta(days=data.lifetime_days),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            tags.append(post.tag_names)
            post.tags = []
        ids = db.session.scalars(
            insert(Post).returning(Post.id, sort_by_parameter_order=True), rows
        ).all()
        tag_rows = [
            {"post_id": post_id, "tag": tag}
            for post_id, names in zip(ids, tags, strict=True)
            for tag in names
        ]
        if tag_rows:
            db.session.execute(insert(PostTag), tag_rows)
        db.session.execute(
            insert(PostFollow),
            [{"post_id": post_id, "user_id": author.id, "created_at": now} for post_id in ids],
        )


def progress_text(record: SpreadsheetImport) -> str:
    """What the progress bar says, in words."""
    if record.state == "checking":
        return f"Checked {record.processed_rows:,} of {_rows(record.row_count)}."
    if record.state == "running":
        return f"Checked {record.processed_rows:,} of {_rows(record.row_count)} before saving."
    if record.state == "saving":
        return f"Saving {_rows(record.good_rows)}\u2026"
    return ""


# --- export ------------------------------------------------------------------------------------

POSTS_HEADER = (
    "id",
    "kind",
    "title",
    "description",
    "category",
    "tags",
    "capacity",
    "visibility",
    "status",
    "hidden",
    "posted by",
    "for",
    "created (UTC)",
    "ends on (UTC)",
)
CLAIMS_HEADER = (
    "id",
    "post id",
    "post title",
    "claimant",
    "for",
    "state",
    "created (UTC)",
    "answered (UTC)",
    "completed (UTC)",
)
EXPORT_BATCH = 500


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _csv_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Each row as one CSV line, text cells made safe: a spreadsheet never runs them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    yield "\ufeff"  # so Excel reads the file as UTF-8
    for row in rows:
        writer.writerow([spreadsheet_safe("" if v is None else str(v)) for v in row])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def export_posts(actor: User, community: Community) -> Iterator[str]:
    """The community's posts, oldest first, as CSV lines. Raises NotAllowed at once (before
    the first line), not when the stream is read."""
    require_coordinator(actor, community)
    return _csv_lines(_post_rows(community.id))


def _post_rows(community_id: int) -> Iterator[Sequence[object]]:
    yield POSTS_HEADER
    now, after = now_utc(), 0
    while True:
        batch = list(
            db.session.scalars(
                select(Post)
                .where(Post.community_id == community_id, Post.id > after)
                .options(joinedload(Post.author), selectinload(Post.tags))
                .order_by(Post.id)
                .limit(EXPORT_BATCH)
            )
        )
        for post in batch:
            yield (
                post.id,
                post.kind,
                post.title,
                post.description,
                post.category_label,
                ", ".join(post.tag_names),
                post.capacity,
                post.visibility,
                posts.display_status(post, now),
                "yes" if post.hidden_at else "",
                post.author.public_name,
                post.on_behalf_of or "",
                _when(post.created_at),
                "standing" if post.is_standing else _when(post.expires_at),
            )
        if len(batch) < EXPORT_BATCH:
            return
        after = batch[-1].id  # the session forgets rows nothing refers to: one batch in memory


def export_claims(actor: User, community: Community) -> Iterator[str]:
    """The claims on the community's posts, oldest first, as CSV lines. Raises NotAllowed."""
    require_coordinator(actor, community)
    return _csv_lines(_claim_rows(community.id))


def _claim_rows(community_id: int) -> Iterator[Sequence[object]]:
    yield CLAIMS_HEADER
    after = 0
    while True:
        batch = list(
            db.session.scalars(
                select(Claim)
                .join(Post, Post.id == Claim.post_id)
                .where(Post.community_id == community_id, Claim.id > after)
                .options(joinedload(Claim.post), joinedload(Claim.claimant))
                .order_by(Claim.id)
                .limit(EXPORT_BATCH)
            )
        )
        for claim in batch:
            yield (
                claim.id,
                claim.post_id,
                claim.post.title,
                claim.claimant.public_name,
                claim.on_behalf_of or "",
                claim.status,
                _when(claim.created_at),
                _when(claim.answered_at),
                _when(claim.completed_at),
            )
        if len(batch) < EXPORT_BATCH:
            return
        after = batch[-1].id


def export_filename(community: Community, what: str) -> str:
    return f"{community.slug}-{what}-{now_utc():%Y-%m-%d}.csv"
