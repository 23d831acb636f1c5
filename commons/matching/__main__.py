"""The engine on files: `python -m commons.matching suggest|assign --offers ... --needs ...`.

Everything is read and checked before anything is written, so bad input (exit status 2, a
message naming the file and line on stderr) never leaves half an answer on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from .fileio import InputError, read_links, read_needs, read_offers
from .records import Context, Need, Offer, availability_conflict
from .suggest import suggest_all

ASSIGN_CANDIDATES = 50  # each need's best suggestions the round chooses among


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m commons.matching",
        description="Match offers to needs from JSON Lines or CSV files.",
    )
    commands = main.add_subparsers(dest="command", required=True)
    for name, text in (
        ("suggest", "each need's best offers, with scores and reasons (one JSON line per need)"),
        ("assign", "the best overall assignment respecting capacities (one line per pair)"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("--offers", required=True, help="offers, .jsonl or .csv")
        command.add_argument("--needs", required=True, help="needs, .jsonl or .csv")
        command.add_argument(
            "--links", help='linked communities, lines like {"a": "c1", "b": "c2"}'
        )
        if name == "suggest":
            command.add_argument(
                "--top", type=_positive, default=10, help="matches per need (default 10)"
            )
    return main


def suggest_lines(
    needs: Sequence[Need], offers: Sequence[Offer], context: Context, top: int
) -> list[str]:
    suggestions = suggest_all(needs, offers, context, top)
    lines = []
    for need, matches in zip(needs, suggestions, strict=True):
        found = [
            {"offer": m.offer, "score": round(m.score, 4), "reasons": list(m.reasons)}
            for m in matches
        ]
        lines.append(json.dumps({"need": need.id, "matches": found}, ensure_ascii=False))
    return lines


def assign_lines(needs: Sequence[Need], offers: Sequence[Offer], context: Context) -> list[str]:
    """Candidates are each need's top suggestions, less pairs whose slots never meet; the
    assignment itself is `assign.assign_pairs` (optimal, capacities respected)."""
    from .assign import assign_pairs  # only this command needs the solver

    by_id = {offer.id: offer for offer in offers}
    suggestions = suggest_all(needs, offers, context, ASSIGN_CANDIDATES, explain=False)
    needs_by_id = {need.id: need for need in needs}
    candidates = [
        (need_id, offer_id, score)
        for need_id, offer_id, score in suggestions.pairs()
        if not availability_conflict(by_id[offer_id], needs_by_id[need_id])
    ]
    chosen = assign_pairs(candidates, {offer.id: offer.capacity for offer in offers})
    order = {need.id: index for index, need in enumerate(needs)}
    chosen.sort(key=lambda pair: order[pair[0]])
    return [
        json.dumps({"need": need_id, "offer": offer_id, "score": round(score, 4)})
        for need_id, offer_id, score in chosen
    ]


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    arguments = parser().parse_args(argv)
    out = out or sys.stdout
    try:
        offers = read_offers(arguments.offers)
        needs = read_needs(arguments.needs)
        links = read_links(arguments.links) if arguments.links else set()
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    context = Context(links=frozenset(links))
    if arguments.command == "suggest":
        lines = suggest_lines(needs, offers, context, arguments.top)
    else:
        lines = assign_lines(needs, offers, context)
    out.write("".join(line + "\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
