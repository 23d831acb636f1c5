"""Reading the engine's file interface: offers, needs and links as JSON Lines or CSV.

The contract is issue 4's: `id` and `title` required, then `body`, `category`, `tags`,
`lat`/`lon`, `community`, `capacity` (offers) and `available` (weekly slots). A CSV file
(chosen by its `.csv` ending) has the same column names, with `tags` and `available`
separated by ';'. The app's own fields are accepted too, so a database export can be replayed
exactly: `member`, `trust`, `status`, `hidden` and `expires_at` (ISO 8601).

Every problem is an `InputError` naming the file and line, because the person who reads it
is editing a spreadsheet, not reading a traceback. Unknown columns are ignored, so an export
with extra columns still reads.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from .records import Need, Offer

TRUE_WORDS = frozenset({"true", "yes", "1", "y"})
FALSE_WORDS = frozenset({"false", "no", "0", "n", ""})


class InputError(ValueError):
    """A bad input file: says which file, which line and what is wrong."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any], bool]]:
    """(line number, fields, from_csv) for each record of a JSON Lines or CSV file."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise InputError(path, None, f"cannot read the file ({error.strerror})") from error
    with handle:
        try:
            if path.suffix.lower() == ".csv":
                reader = csv.DictReader(handle)
                if reader.fieldnames is None:
                    return
                for row in reader:
                    if None in row:
                        raise InputError(path, reader.line_num, "more cells than column names")
                    cells = {
                        (key or "").strip(): value.strip()
                        for key, value in row.items()
                        if value is not None and value.strip() != ""
                    }
                    if cells:
                        yield reader.line_num, cells, True
                return
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as error:
                    raise InputError(path, number, f"malformed JSON ({error.msg})") from error
                if not isinstance(value, dict):
                    raise InputError(path, number, "each line must be a JSON object")
                yield number, value, False
        except UnicodeDecodeError as error:
            raise InputError(path, None, "not UTF-8 text") from error
        except csv.Error as error:
            raise InputError(path, None, f"malformed CSV ({error})") from error


def _text(fields: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = fields.get(name)
    if value is None:
        if required:
            raise ValueError(f"missing {name!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{name!r} must be a string, got {json.dumps(value)}")
    value = str(value).strip()
    if required and not value:
        raise ValueError(f"{name!r} must not be empty")
    return value or None


def _number(fields: dict[str, Any], name: str) -> float | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{name!r} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name!r} must be a number, got {json.dumps(value)}")
    return float(value)


def _list(fields: dict[str, Any], name: str, from_csv: bool) -> tuple[str, ...]:
    value = fields.get(name)
    if value is None:
        return ()
    if isinstance(value, str):  # CSV, or a JSON string used as a list: ';' separates items
        return tuple(part.strip() for part in value.split(";") if part.strip())
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        kind = "text separated by ';'" if from_csv else "a list of strings"
        raise ValueError(f"{name!r} must be {kind}")
    return tuple(item for item in value if item.strip())


def _boolean(fields: dict[str, Any], name: str) -> bool:
    value = fields.get(name, False)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    if not isinstance(value, bool):
        raise ValueError(f"{name!r} must be true or false, got {json.dumps(value)}")
    return value


def _moment(fields: dict[str, Any], name: str) -> datetime | None:
    value = _text(fields, name)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name!r} must be an ISO 8601 date and time, got {value!r}") from None


def _capacity(fields: dict[str, Any]) -> int:
    value = fields.get("capacity")
    if value is None:
        return 1
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise ValueError(f"'capacity' must be a whole number, got {value!r}") from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"'capacity' must be a whole number, got {json.dumps(value)}")
    return value


def _common(fields: dict[str, Any], from_csv: bool) -> dict[str, Any]:
    """The keyword arguments offers and needs share; records check ranges and slots."""
    return {
        "id": _text(fields, "id", required=True),
        "title": _text(fields, "title", required=True),
        "body": _text(fields, "body") or "",
        "category": _text(fields, "category"),
        "tags": _list(fields, "tags", from_csv),
        "lat": _number(fields, "lat"),
        "lon": _number(fields, "lon"),
        "community": _text(fields, "community"),
        "available": _list(fields, "available", from_csv),
        "member": _text(fields, "member"),
        "trust": _number(fields, "trust") or 0.0,
        "status": _text(fields, "status") or "open",
        "hidden": _boolean(fields, "hidden"),
        "expires_at": _moment(fields, "expires_at"),
    }


def _read(path: str | Path, build: Callable[[dict[str, Any], bool], Any]) -> list[Any]:
    path = Path(path)
    records = []
    seen: dict[str, int] = {}
    for number, fields, from_csv in _rows(path):
        try:
            record = build(fields, from_csv)
        except ValueError as error:
            raise InputError(path, number, str(error)) from None
        if record.id in seen:
            raise InputError(
                path, number, f"duplicate id {record.id!r} (first on line {seen[record.id]})"
            )
        seen[record.id] = number
        records.append(record)
    return records


def read_offers(path: str | Path) -> list[Offer]:
    """Offers from a JSON Lines or CSV file, in file order; raises InputError."""
    return _read(path, lambda f, c: Offer(**_common(f, c), capacity=_capacity(f)))


def read_needs(path: str | Path) -> list[Need]:
    """Needs from a JSON Lines or CSV file, in file order; raises InputError."""
    return _read(path, lambda f, c: Need(**_common(f, c)))


def read_links(path: str | Path) -> set[frozenset[str]]:
    """Linked community pairs, from lines like {"a": "c1", "b": "c2"}; raises InputError."""
    path = Path(path)
    links: set[frozenset[str]] = set()
    for number, fields, _ in _rows(path):
        try:
            a, b = _text(fields, "a", required=True), _text(fields, "b", required=True)
        except ValueError as error:
            raise InputError(path, number, str(error)) from None
        if a == b:
            raise InputError(path, number, f"a community cannot be linked to itself ({a!r})")
        links.add(frozenset((a, b)))  # type: ignore[arg-type]
    return links
