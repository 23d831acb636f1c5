"""The matching engine: which offers serve which needs, and why.

Pure Python on plain records (`records`), so it runs from files (`python -m commons.matching`),
in tests and in benchmarks without the web app. It imports neither Flask nor SQLAlchemy.

For the app: build `OfferIndex(offers, context)` once over the open offers a member may see
and call `.top(need, k)` on a post page; `NeedIndex` is the mirror; `suggest_all` does every
need at once (the CLI, alerts in bulk).
"""

from __future__ import annotations

from .records import (
    Context,
    Match,
    Need,
    Offer,
    Slot,
    availability_conflict,
    pair_allowed,
    parse_slot,
    slots_overlap,
    trust_from_exchanges,
)
from .suggest import NeedIndex, OfferIndex, Suggestions, suggest_all

__all__ = [
    "Context",
    "Match",
    "Need",
    "NeedIndex",
    "Offer",
    "OfferIndex",
    "Slot",
    "Suggestions",
    "availability_conflict",
    "pair_allowed",
    "parse_slot",
    "slots_overlap",
    "suggest_all",
    "trust_from_exchanges",
]
