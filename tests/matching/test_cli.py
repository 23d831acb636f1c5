"""`python -m commons.matching`: the file interface, run as a coordinator would run it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DATA

ROOT = Path(__file__).resolve().parents[2]


def run(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "commons.matching", *map(str, arguments)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def jsonl(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def lines(done: subprocess.CompletedProcess[str]) -> list[dict]:
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


OFFERS = DATA / "offers.jsonl"
NEEDS = DATA / "needs.jsonl"
LINKS = DATA / "links.jsonl"


def test_suggest_writes_one_line_per_need_in_order() -> None:
    found = lines(run("suggest", "--offers", OFFERS, "--needs", NEEDS, "--links", LINKS))
    needs = [json.loads(line)["id"] for line in NEEDS.read_text().splitlines()]
    assert [line["need"] for line in found] == needs
    for line in found:
        assert set(line) == {"need", "matches"} and len(line["matches"]) <= 10
        # best first: by score, except that pairs whose slots never meet come last
        order = [
            ("no shared free time" in match["reasons"], -match["score"])
            for match in line["matches"]
        ]
        assert order == sorted(order) and all(0 <= -score <= 1 for _, score in order)
        for match in line["matches"]:
            assert set(match) == {"offer", "score", "reasons"}
            assert all(isinstance(reason, str) and reason for reason in match["reasons"])
    first = found[0]["matches"][0]
    assert first["offer"] == "o01" and first["score"] > 0.5
    assert "“need a lift” matches “drive”" in first["reasons"]


def test_suggest_top_and_links() -> None:
    found = lines(run("suggest", "--offers", OFFERS, "--needs", NEEDS, "--top", "2"))
    assert all(len(line["matches"]) <= 2 for line in found)
    # without --links only equal communities match: riverside offers leave northside needs
    offered = {line["need"]: [m["offer"] for m in line["matches"]] for line in found}
    assert "o03" not in offered["n02"] and "o06" not in offered["n04"]
    assert offered["n04"][0] == "o05"


def write_csv(path: Path, source: Path) -> Path:
    records = [json.loads(line) for line in source.read_text().splitlines()]
    columns = sorted({key for record in records for key in record})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for record in records:
            writer.writerow(
                {
                    key: ";".join(value) if isinstance(value, list) else value
                    for key, value in record.items()
                }
            )
    return path


def test_csv_reads_like_jsonl(tmp_path: Path) -> None:
    offers, needs = write_csv(tmp_path / "offers.csv", OFFERS), write_csv(tmp_path / "n.csv", NEEDS)
    assert ";" in offers.read_text()  # tags and slots really are joined
    from_csv = run("suggest", "--offers", offers, "--needs", needs, "--links", LINKS)
    from_jsonl = run("suggest", "--offers", OFFERS, "--needs", NEEDS, "--links", LINKS)
    assert lines(from_csv) == lines(from_jsonl)


def test_assign_respects_capacities_and_slots(tmp_path: Path) -> None:
    offers = jsonl(
        tmp_path / "offers.jsonl",
        {"id": "ladder", "title": "Ladder to lend", "capacity": 2},
        {"id": "drill", "title": "Drill to lend"},
        {"id": "mornings", "title": "Drill to lend", "available": ["mon 09:00-10:00"]},
    )
    needs = jsonl(
        tmp_path / "needs.jsonl",
        {"id": "a", "title": "Need a ladder"},
        {"id": "b", "title": "Borrow a ladder please"},
        {"id": "c", "title": "Ladder wanted"},
        {"id": "d", "title": "Need a drill", "available": ["fri 18:00-20:00"]},
        {"id": "e", "title": "Drill needed", "available": ["fri 18:00-20:00"]},
    )
    found = lines(run("assign", "--offers", offers, "--needs", needs))
    pairs = {line["need"]: line["offer"] for line in found}
    assert all(set(line) == {"need", "offer", "score"} for line in found)
    assert list(pairs.values()).count("ladder") == 2
    assert "drill" in {pairs.get("d"), pairs.get("e")}
    # Monday mornings never meet Friday evenings, however well the words match
    assert "mornings" not in {pairs.get("d"), pairs.get("e")}
    assert [line["need"] for line in found] == [n for n in "abcde" if n in pairs]


def test_assign_on_the_evaluation_set() -> None:
    found = lines(run("assign", "--offers", OFFERS, "--needs", NEEDS, "--links", LINKS))
    offers = [line["offer"] for line in found]
    assert len(offers) == len(set(offers))  # every offer there has capacity 1
    assert len({line["need"] for line in found}) == len(found) > 40


BAD = [
    ("offers", "{not json", "malformed JSON"),
    ("offers", '["a list"]', "JSON object"),
    ("offers", '{"title": "Ladder"}', "missing 'id'"),
    ("needs", '{"id": "n1"}', "missing 'title'"),
    ("offers", '{"id": "o1", "title": "Ladder", "capacity": 0}', "capacity"),
    ("offers", '{"id": "o1", "title": "Ladder", "capacity": "two"}', "capacity"),
    ("needs", '{"id": "n1", "title": "Ladder", "lat": 95, "lon": 0}', "lat"),
    ("needs", '{"id": "n1", "title": "Ladder", "lat": 50}', "lat and lon"),
    ("needs", '{"id": "n1", "title": "Ladder", "available": ["mon 9-5"]}', "slot"),
    ("needs", '{"id": "n1", "title": "Ladder", "tags": [1, 2]}', "tags"),
    ("links", '{"a": "north"}', "missing 'b'"),
]


@pytest.mark.parametrize(("kind", "line", "message"), BAD)
def test_bad_input_exits_2_naming_file_and_line(
    tmp_path: Path, kind: str, line: str, message: str
) -> None:
    files = {
        "offers": jsonl(tmp_path / "offers.jsonl", {"id": "o0", "title": "Drill to lend"}),
        "needs": jsonl(tmp_path / "needs.jsonl", {"id": "n0", "title": "Need a drill"}),
        "links": jsonl(tmp_path / "links.jsonl", {"a": "north", "b": "south"}),
    }
    with files[kind].open("a") as handle:
        handle.write(line + "\n")
    done = run("suggest", *(f"--{name}={path}" for name, path in files.items()))
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{files[kind]}:2:" in done.stderr and message in done.stderr


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    offers = jsonl(tmp_path / "o.jsonl", {"id": "x", "title": "A"}, {"id": "x", "title": "B"})
    needs = jsonl(tmp_path / "n.jsonl", {"id": "n", "title": "C"})
    done = run("assign", "--offers", offers, "--needs", needs)
    assert (done.returncode, done.stdout) == (2, "")
    assert f"{offers}:2: duplicate id 'x' (first on line 1)" in done.stderr


def test_bad_csv_names_the_line(tmp_path: Path) -> None:
    offers = tmp_path / "offers.csv"
    offers.write_text("id,title,lat,lon\no1,Ladder,53.4,-2.2\no2,Drill,north,-2.2\n")
    needs = jsonl(tmp_path / "needs.jsonl", {"id": "n", "title": "Need a drill"})
    done = run("suggest", "--offers", offers, "--needs", needs)
    assert (done.returncode, done.stdout) == (2, "")
    assert f"{offers}:3: 'lat' must be a number" in done.stderr


def test_missing_file_and_bad_arguments(tmp_path: Path) -> None:
    needs = jsonl(tmp_path / "needs.jsonl", {"id": "n", "title": "Need a drill"})
    done = run("suggest", "--offers", tmp_path / "nowhere.jsonl", "--needs", needs)
    assert (done.returncode, done.stdout) == (2, "") and "nowhere.jsonl" in done.stderr
    assert run("suggest", "--needs", needs).returncode == 2
    assert run("suggest", "--offers", needs, "--needs", needs, "--top", "0").returncode == 2
    assert run("match", "--offers", needs, "--needs", needs).returncode == 2
