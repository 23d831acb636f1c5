"""The labelled evaluation set, and the quality figures in pytest's closing summary."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from commons.matching.fileio import read_links, read_needs, read_offers
from commons.matching.records import Context, Need, Offer

DATA = Path(__file__).parent / "data"
QUALITY = pytest.StashKey[dict[str, float]]()


@dataclass(frozen=True)
class Evaluation:
    """Offers, needs, the rules of their town, and each need's acceptable offers
    (an empty list: no offer serves it well, so its best score must stay low)."""

    offers: list[Offer]
    needs: list[Need]
    context: Context
    answers: dict[str, list[str]]

    def need(self, need_id: str) -> Need:
        return next(need for need in self.needs if need.id == need_id)

    def offer(self, offer_id: str) -> Offer:
        return next(offer for offer in self.offers if offer.id == offer_id)


@pytest.fixture(scope="session")
def evaluation() -> Evaluation:
    rules = json.loads((DATA / "rules.json").read_text())
    context = Context(
        links=frozenset(read_links(DATA / "links.jsonl")),
        blocked=frozenset(frozenset(pair) for pair in rules["blocked"]),
        now=datetime.fromisoformat(rules["now"]),
    )
    return Evaluation(
        offers=read_offers(DATA / "offers.jsonl"),
        needs=read_needs(DATA / "needs.jsonl"),
        context=context,
        answers=json.loads((DATA / "answers.json").read_text()),
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures = terminalreporter.config.stash.get(QUALITY, None)
    if figures:
        terminalreporter.write_sep("-", "matching quality on tests/matching/data")
        terminalreporter.write_line(
            "  ".join(f"{name} {value:.3f}" for name, value in figures.items())
        )
