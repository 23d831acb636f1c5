"""Each signal of a pair, how they combine into one calibrated score, and the reasons.

The functions take plain floats or numpy arrays alike, so the index scores millions of
candidate pairs with the very formulas a test checks on one pair. A score is

    relevance(text, category) * (CONTEXT_FLOOR + (1 - CONTEXT_FLOOR) * context)

where relevance is a logistic curve of the text similarity (nudged by the categories) and
context mixes distance, community, availability and trust. Context can only lower a score,
and by at most `1 - CONTEXT_FLOOR`: a good neighbour cannot turn a wrong answer into a
confident one, which is what keeps a need with no good offer below 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .records import DAY_NAMES, Need, Offer, Slot, slots_overlap
from .text import Analysis, Analyzer, canonical_category, category_label

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_KM = 6371.0088

# Relevance: the text similarity (cosine, 0..1) at which a pair is even odds, and how
# steeply it rises; fitted by hand on the evaluation set in tests/matching/data.
TEXT_MIDPOINT = 0.16
TEXT_STEEPNESS = 14.0
CATEGORY_NUDGE = 0.5  # logit added for the same category, taken away for different ones

CATEGORY_SAME, CATEGORY_UNKNOWN, CATEGORY_DIFFERENT = 1, 0, -1

# Context, each part in 0..1, mixed with weights that add up to 1.
CONTEXT_FLOOR = 0.6
DISTANCE_WEIGHT, COMMUNITY_WEIGHT, AVAILABILITY_WEIGHT, TRUST_WEIGHT = 0.4, 0.2, 0.25, 0.15
DISTANCE_SCALE_KM = 3.0  # proximity halves about every 2 km
PROXIMITY_UNKNOWN = 0.5
COMMUNITY_SAME, COMMUNITY_LINKED, COMMUNITY_UNKNOWN = 1.0, 0.6, 0.8
AVAILABILITY_OVERLAP, AVAILABILITY_UNKNOWN, AVAILABILITY_CONFLICT = 1.0, 0.6, 0.0
UNASSIGNABLE_PENALTY = 2.0  # subtracted from a rank key: slots that never meet rank last

STRONG_TRUST = 0.5
PARTS_OF_DAY = ((12 * 60, "mornings"), (17 * 60, "afternoons"), (24 * 60, "evenings"))


def proximity(distance_km: ArrayLike) -> NDArray:
    """1 next door, falling smoothly with distance; PROXIMITY_UNKNOWN without positions."""
    distance = np.asarray(distance_km, dtype=float)
    return np.where(
        np.isnan(distance), PROXIMITY_UNKNOWN, np.exp(-np.nan_to_num(distance) / DISTANCE_SCALE_KM)
    )


def category_signal(a: str | None, b: str | None) -> int:
    """Same, unknown or different; "other" says nothing about a post, so it counts as unknown."""
    if a is None or b is None or "other" in (a, b):
        return CATEGORY_UNKNOWN
    return CATEGORY_SAME if a == b else CATEGORY_DIFFERENT


def community_signal(a: str | None, b: str | None) -> float:
    """Same community first, then linked ones (the hard rule has already removed the rest)."""
    if a is None or b is None:
        return COMMUNITY_UNKNOWN
    return COMMUNITY_SAME if a == b else COMMUNITY_LINKED


def availability_signal(a: Sequence[Slot], b: Sequence[Slot]) -> float:
    if not a or not b:
        return AVAILABILITY_UNKNOWN
    return AVAILABILITY_OVERLAP if slots_overlap(a, b) else AVAILABILITY_CONFLICT


def trust_signal(offer_trust: ArrayLike, need_trust: ArrayLike) -> NDArray:
    """Both sides' record of completed exchanges, so a pair scores the same from either side."""
    return (np.asarray(offer_trust, dtype=float) + np.asarray(need_trust, dtype=float)) / 2


def relevance(text: ArrayLike, category: ArrayLike) -> NDArray:
    """How well the offer answers the need, from what they say: a probability-like 0..1."""
    logit = TEXT_STEEPNESS * (np.asarray(text, dtype=float) - TEXT_MIDPOINT)
    logit = logit + CATEGORY_NUDGE * np.asarray(category, dtype=float)
    return 1.0 / (1.0 + np.exp(-logit))


def combine(
    text: ArrayLike,
    category: ArrayLike,
    near: ArrayLike,
    community: ArrayLike,
    availability: ArrayLike,
    trust: ArrayLike,
) -> NDArray:
    """The score in [0, 1]; see the module docstring for why context only scales down."""
    context = (
        DISTANCE_WEIGHT * np.asarray(near, dtype=float)
        + COMMUNITY_WEIGHT * np.asarray(community, dtype=float)
        + AVAILABILITY_WEIGHT * np.asarray(availability, dtype=float)
        + TRUST_WEIGHT * np.asarray(trust, dtype=float)
    )
    return relevance(text, category) * (CONTEXT_FLOOR + (1 - CONTEXT_FLOOR) * context)


def text_similarity(
    a: Analysis, b: Analysis, idf: Callable[[str], float | None]
) -> tuple[float, list[tuple[float, str]]]:
    """Cosine of the IDF-weighted features, and each shared feature's share of it.

    `idf` gives None for a feature the index ignores (too common to tell posts apart).
    """
    weighted = []
    for analysis in (a, b):
        vector = {}
        for feature, weight in analysis.weights.items():
            rarity = idf(feature)
            if rarity is not None:
                vector[feature] = weight * rarity
        weighted.append(vector)
    va, vb = weighted
    norm = float(np.sqrt(sum(w * w for w in va.values()) * sum(w * w for w in vb.values())))
    if norm == 0:
        return 0.0, []
    shared = sorted(
        ((va[f] * vb[f] / norm, f) for f in va.keys() & vb.keys()),
        key=lambda item: (-item[0], item[1]),
    )
    return min(1.0, sum(part for part, _ in shared)), shared


def distance_between(offer: Offer, need: Need) -> float:
    """Kilometres between the posts, NaN when either has no position (math, not numpy:
    for one pair it is fifty times quicker)."""
    if offer.lat is None or offer.lon is None or need.lat is None or need.lon is None:
        return math.nan
    lat1, lon1, lat2, lon2 = map(math.radians, (offer.lat, offer.lon, need.lat, need.lon))
    a = math.sin((lat2 - lat1) / 2) ** 2
    a += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def pair_score(offer: Offer, need: Need, text: float) -> float:
    """One pair's score from its text similarity, every other signal computed here.

    The hard rules are not checked: callers filter with `records.pair_allowed` first.
    """
    return float(
        combine(
            text,
            category_signal(canonical_category(offer.category), canonical_category(need.category)),
            proximity(distance_between(offer, need)),
            community_signal(offer.community, need.community),
            availability_signal(offer.available, need.available),
            trust_signal(offer.trust, need.trust),
        )
    )


def shared_free_time(a: Sequence[Slot], b: Sequence[Slot], most: int = 2) -> list[str]:
    """Where two weekly timetables meet, as "Tuesday evenings", in week order."""
    found: list[tuple[int, int, str]] = []
    for x in a:
        for y in b:
            if x.day == y.day and x.start_min < y.end_min and y.start_min < x.end_min:
                start = max(x.start_min, y.start_min)
                part = next(name for end, name in PARTS_OF_DAY if start < end)
                index = [n for _, n in PARTS_OF_DAY].index(part)
                item = (x.day, index, f"{DAY_NAMES[x.day]} {part}")
                if item not in found:
                    found.append(item)
    return [text for *_, text in sorted(found)[:most]]


def _distance_words(km: float) -> str:
    if km < 0.1:
        return "less than 100 m apart"
    if km < 10:
        return f"{km:.1f} km apart"
    return f"{km:.0f} km apart"


def text_reasons(
    shared: list[tuple[float, str]], need: Analysis, offer: Analysis, analyzer: Analyzer
) -> list[str]:
    """The words that carry a pair, as a person would say them.

    Words both posts use become "both mention bicycle and repairs"; a concept reached by
    different words becomes "“a lift” matches “drive”", which is the part a keyword search
    could not have found.
    """
    same: list[str] = []
    matched: list[str] = []
    said: set[str] = set()
    for _, feature in shared:
        need_words, offer_words = need.surfaces[feature], offer.surfaces[feature]
        if need_words in said and offer_words in said:
            continue
        if (
            feature.startswith(("w:", "p:"))
            or need_words == offer_words
            or analyzer.same_words(need_words, offer)
        ):
            if len(same) < 3 and need_words not in said:
                same.append(need_words)
            said.add(need_words)
        elif len(matched) < 2:
            matched.append(f"\u201c{need_words}\u201d matches \u201c{offer_words}\u201d")
            said.update((need_words, offer_words))
    reasons = []
    if same:
        listed = same[0] if len(same) == 1 else ", ".join(same[:-1]) + " and " + same[-1]
        reasons.append(f"both mention {listed}")
    return reasons + matched


def reasons(
    offer: Offer,
    need: Need,
    shared: list[tuple[float, str]],
    offer_analysis: Analysis,
    need_analysis: Analysis,
    analyzer: Analyzer,
) -> tuple[str, ...]:
    """Short sentences saying why a pair was suggested, most telling first."""
    found = text_reasons(shared, need_analysis, offer_analysis, analyzer)
    offer_category = canonical_category(offer.category)
    if offer_category and category_signal(offer_category, canonical_category(need.category)) == 1:
        found.append(f"both in {category_label(offer_category)}")
    tags = [tag for tag in need.tags if tag in offer.tags]
    if tags:
        found.append("both tagged " + ", ".join(tags[:3]))
    distance = distance_between(offer, need)
    if not math.isnan(distance):
        found.append(_distance_words(distance))
    if offer.available and need.available:
        times = shared_free_time(need.available, offer.available)
        found.append("both free on " + " and ".join(times) if times else "no shared free time")
    if offer.community and need.community and offer.community != need.community:
        found.append("linked community")
    if offer.trust >= STRONG_TRUST:
        found.append("offered by a member with a good record of exchanges")
    return tuple(found)
