"""Suggest: the best offers for a need, the best needs for an offer, and all needs at once.

An index is built once over one side (`OfferIndex` over offers, `NeedIndex` over needs): each
post's features become a row of a sparse matrix weighted by IDF and normalised, and the
other columns (position, community, member, category, trust, weekly slots) become numpy
arrays. A query is then one sparse product (the text similarity with every post sharing a
feature) and a few array operations for the other signals and the hard rules: a few
milliseconds against 100,000 posts.

`suggest_all` does the bulk case (every need against every offer) the same way, one block of
needs at a time and one community at a time: a need can only be matched within its
community and the linked ones, so the product never pays for pairs the rules forbid. Before
the full scoring, an exact bound (`could_rank`) drops the candidates that cannot reach a
need's top k.

Pairs that share no feature at all are never suggested: with nothing in common in what they
say, they would score below any useful threshold anyway.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from typing import Generic, TypeVar, overload

import numpy as np
import scipy.sparse as sp

from . import signals
from .records import Context, Match, Need, Offer, Slot, slots_overlap
from .text import Analysis, Analyzer, canonical_category, default_analyzer

MAX_DF_FRACTION = 0.01  # words in more than 1% of posts tell posts apart too little...
MIN_MAX_DF = 100  # ...once there are enough posts for "1%" to mean common
DROPPABLE = ("w:", "p:")  # concepts are kept however common: they carry the meaning
ROWS_PER_BLOCK = 4096  # needs multiplied at once...
PAIRS_PER_BLOCK = 1_500_000  # ...unless their candidate pairs could exceed this

Post = TypeVar("Post", Offer, Need)
Other = TypeVar("Other", Offer, Need)


class Vocabulary:
    """Feature columns and their rarity (IDF), learnt from the posts of the indexed side."""

    def __init__(self, analyses: Sequence[Analysis]) -> None:
        counts: Counter[str] = Counter()
        for analysis in analyses:
            counts.update(analysis.weights.keys())
        self.size = len(analyses)
        limit = max(MAX_DF_FRACTION * self.size, MIN_MAX_DF)
        self.ignored = frozenset(
            feature
            for feature, count in counts.items()
            if count > limit and feature.startswith(DROPPABLE)
        )
        kept = sorted(feature for feature in counts if feature not in self.ignored)
        self.columns = {feature: column for column, feature in enumerate(kept)}
        self.idf = np.array(
            [math.log((1 + self.size) / (1 + counts[feature])) + 1 for feature in kept]
        )
        self.unseen_idf = math.log(1 + self.size) + 1
        # column of each feature; one past the end for ignored ones, whose weight is nil
        self._lookup = {**self.columns, **dict.fromkeys(self.ignored, len(self.columns) + 1)}

    def idf_of(self, feature: str) -> float | None:
        """The feature's weight factor; None if ignored as too common."""
        if feature in self.ignored:
            return None
        column = self.columns.get(feature)
        return self.unseen_idf if column is None else float(self.idf[column])

    def matrix(self, analyses: Sequence[Analysis]) -> sp.csr_matrix:
        """One normalised row per post, over the known columns.

        Features the index has never seen still count in a row's norm, so a post that says
        a lot the other side never mentions is not mistaken for a close match; ignored
        (too common) features count nowhere.
        """
        unseen = len(self.columns)
        lookup = self._lookup.get
        columns: list[int] = []
        weights: list[float] = []
        lengths = np.zeros(len(analyses), dtype=np.int64)
        for row, analysis in enumerate(analyses):
            found = analysis.weights
            columns.extend(map(lookup, found, repeat(unseen)))
            weights.extend(found.values())
            lengths[row] = len(found)
        column = np.asarray(columns, dtype=np.int64)
        rarity = np.concatenate((self.idf, [self.unseen_idf, 0.0]))
        value = np.asarray(weights, dtype=np.float64) * rarity[column]
        row_of = np.repeat(np.arange(len(analyses)), lengths)
        norms = np.sqrt(np.bincount(row_of, weights=value * value, minlength=len(analyses)))
        known = column < unseen
        value = value[known] / norms[row_of[known]]
        indptr = np.concatenate(
            ([0], np.cumsum(np.bincount(row_of[known], minlength=len(analyses))))
        )
        matrix = sp.csr_matrix(
            (value, column[known].astype(np.int32), indptr),
            shape=(len(analyses), len(self.columns)),
        )
        matrix.sort_indices()
        return matrix

    def row(self, analysis: Analysis) -> sp.csr_matrix:
        return self.matrix([analysis])


UNSEEN = 1 << 31


class Codes:
    """Small integers for community, member and category names, shared by both sides."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, int]] = {"community": {}, "member": {}, "category": {}}

    def code(self, kind: str, name: str | None, grow: bool = True) -> int:
        """-1 for no name; a name first seen by a query (`grow=False`) gets a number no post
        of the index has, so it equals nothing there and the table does not grow."""
        if name is None:
            return -1
        table = self.tables[kind]
        found = table.get(name)
        if found is None:
            if not grow:
                return UNSEEN
            found = table[name] = len(table)
        return found

    def codes(self, kind: str, names: Sequence[str | None], grow: bool = True) -> np.ndarray:
        """`code` for many names at once (one dictionary pass, no call per name)."""
        table = self.tables[kind]
        if grow:
            for name in dict.fromkeys(names):  # first-seen order, the same every run
                if name is not None and name not in table:
                    table[name] = len(table)
        found = [-1 if name is None else table.get(name, UNSEEN) for name in names]
        return np.array(found, dtype=np.int64)

    def known(self, kind: str, names: Iterable[str]) -> list[int]:
        table = self.tables[kind]
        return [table[name] for name in names if name in table]


BIN_MINUTES = 30
BINS_PER_DAY = 24 * 60 // BIN_MINUTES
WORDS = (7 * BINS_PER_DAY + 63) // 64


def week_masks(slots: Sequence[Slot]) -> int:
    """Half-hours of the week a timetable touches, then (shifted up by `WORDS` words) those
    it covers whole, as the bits of one integer.

    Two timetables certainly meet if one covers whole a half-hour the other touches, and
    certainly do not if they touch no common half-hour; only the rest (slots starting or
    ending off the half-hour, in the same half-hour) need the exact check.
    """
    touch = full = 0
    for slot in slots:
        base = slot.day * BINS_PER_DAY
        first, last = slot.start_min // BIN_MINUTES, (slot.end_min - 1) // BIN_MINUTES
        touch |= ((1 << (last - first + 1)) - 1) << (base + first)
        first, end = -(-slot.start_min // BIN_MINUTES), slot.end_min // BIN_MINUTES
        if end > first:
            full |= ((1 << (end - first)) - 1) << (base + first)
    return touch | full << (64 * WORDS)


def mask_words(masks: Sequence[int]) -> np.ndarray:
    """`week_masks` integers as rows of 2 * WORDS unsigned 64-bit words (touch, then full)."""
    size = 16 * WORDS
    packed = b"".join(mask.to_bytes(size, "little") for mask in masks)
    return np.frombuffer(packed, dtype="<u8").reshape(len(masks), 2 * WORDS).astype(np.uint64)


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions as points on the unit sphere (NaN where unknown), so a distance is a few
    subtractions: the chord, times the Earth's radius, is the distance to within 0.1% below
    100 km (and beyond that proximity is nil either way)."""
    lat, lon = np.radians(lat), np.radians(lon)
    return np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)


def distances_km(
    a: tuple[np.ndarray, ...], a_rows: np.ndarray, b: tuple[np.ndarray, ...], b_rows: np.ndarray
) -> np.ndarray:
    """Kilometres between a[a_rows] and b[b_rows], pairwise; NaN where a position is missing."""
    total = np.zeros(len(a_rows))
    for axis_a, axis_b in zip(a, b, strict=True):
        step = axis_a[a_rows] - axis_b[b_rows]
        total += step * step
    return signals.EARTH_RADIUS_KM * np.sqrt(total)


class Columns(Generic[Post]):
    """One side's posts as arrays, in input order, for scoring many pairs at once."""

    def __init__(
        self, posts: Sequence[Post], codes: Codes, context: Context, grow: bool = True
    ) -> None:
        self.posts = posts
        lat = np.array([p.lat if p.lat is not None else np.nan for p in posts], dtype=float)
        lon = np.array([p.lon if p.lon is not None else np.nan for p in posts], dtype=float)
        self.position = unit_vectors(lat, lon)
        self.community = codes.codes("community", [p.community for p in posts], grow)
        self.member = codes.codes("member", [p.member for p in posts], grow)
        categories: dict[str | None, int] = {}
        self.category = np.array(
            [
                categories[p.category]
                if p.category in categories
                else categories.setdefault(p.category, _category_code(codes, p.category, grow))
                for p in posts
            ],
            dtype=np.int64,
        )
        self.trust = np.array([p.trust for p in posts], dtype=float)
        now = context.now
        self.live = np.array(
            [
                p.status == "open" and not p.hidden and (p.expires_at is None or p.expires_at > now)
                for p in posts
            ],
            dtype=bool,
        )  # `Context.is_live`, inlined: this runs once per post
        self.has_slots = np.array([bool(p.available) for p in posts], dtype=bool)
        slots = mask_words([week_masks(p.available) if p.available else 0 for p in posts])
        # one contiguous array per word: gathering 1-D arrays is several times quicker
        self.touch = [np.ascontiguousarray(slots[:, word]) for word in range(WORDS)]
        self.full = [np.ascontiguousarray(slots[:, WORDS + word]) for word in range(WORDS)]


def _category_code(codes: Codes, category: str | None, grow: bool) -> int:
    key = canonical_category(category)
    return -1 if key is None or key == "other" else codes.code("category", key, grow)


def categories(
    offers: Columns[Offer], needs: Columns[Need], offer_rows: np.ndarray, need_rows: np.ndarray
) -> np.ndarray:
    """The category signal of each pair, from the codes (-1 for none or "other")."""
    oc, nc = offers.category[offer_rows], needs.category[need_rows]
    return np.where(
        (oc < 0) | (nc < 0),
        signals.CATEGORY_UNKNOWN,
        np.where(oc == nc, signals.CATEGORY_SAME, signals.CATEGORY_DIFFERENT),
    )


PRUNING_LEVELS = (0.05, 0.15, 0.3, 0.45, 0.55)  # below CONTEXT_FLOOR, so reachable


def _text_for(relevance: float, category: int) -> float:
    """The text similarity at which `signals.relevance` reaches `relevance`."""
    logit = math.log(relevance / (1 - relevance)) - signals.CATEGORY_NUDGE * category
    return signals.TEXT_MIDPOINT + logit / signals.TEXT_STEEPNESS


def could_rank(rows: np.ndarray, text: np.ndarray, safe: np.ndarray, k: int) -> np.ndarray:
    """False for pairs that certainly cannot make their row's top `k`; cheap and exact.

    Context only scales a score by CONTEXT_FLOOR..1 and the category moves relevance by a
    known amount, so the text similarity alone bounds a score: from above, and from below
    for a pair whose slots cannot clash (`safe`). Where a row has `k` pairs sure to score at
    least some level, a pair that cannot reach it is out. Comparisons with precomputed
    thresholds only: in a crowded block most candidates share a single common concept with
    the need, and this spares their full scoring.
    """
    size = int(rows.max()) + 1 if len(rows) else 0
    threshold = np.full(size, -np.inf)
    for level in PRUNING_LEVELS:
        sure = safe & (text >= _text_for(level / signals.CONTEXT_FLOOR, -1))
        threshold[np.bincount(rows[sure], minlength=size) >= k] = _text_for(level, 1)
    return text >= threshold[rows]


def score_pairs(
    offers: Columns[Offer],
    needs: Columns[Need],
    offer_rows: np.ndarray,
    need_rows: np.ndarray,
    text: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Score and rank key of each candidate pair (hard rules are the caller's business).

    The key is the score, less `UNASSIGNABLE_PENALTY` when both sides gave slots and none
    meet, so such pairs rank after every pair that could actually happen.
    """
    category = categories(offers, needs, offer_rows, need_rows)
    near = signals.proximity(distances_km(offers.position, offer_rows, needs.position, need_rows))
    ocm, ncm = offers.community[offer_rows], needs.community[need_rows]
    community = np.where(
        (ocm < 0) | (ncm < 0),
        signals.COMMUNITY_UNKNOWN,
        np.where(ocm == ncm, signals.COMMUNITY_SAME, signals.COMMUNITY_LINKED),
    )
    conflict = _slot_conflicts(offers, needs, offer_rows, need_rows)
    both = offers.has_slots[offer_rows] & needs.has_slots[need_rows]
    availability = np.where(
        both,
        np.where(conflict, signals.AVAILABILITY_CONFLICT, signals.AVAILABILITY_OVERLAP),
        signals.AVAILABILITY_UNKNOWN,
    )
    trust = signals.trust_signal(offers.trust[offer_rows], needs.trust[need_rows])
    score = signals.combine(text, category, near, community, availability, trust)
    key = score - signals.UNASSIGNABLE_PENALTY * conflict
    return score, key


def _slot_conflicts(
    offers: Columns[Offer], needs: Columns[Need], offer_rows: np.ndarray, need_rows: np.ndarray
) -> np.ndarray:
    """True where both sides gave slots and none overlap (exact, via the week masks)."""
    conflict = np.zeros(len(offer_rows), dtype=bool)
    both = np.flatnonzero(offers.has_slots[offer_rows] & needs.has_slots[need_rows])
    if not len(both):
        return conflict
    o, n = offer_rows[both], need_rows[both]
    touch = np.zeros(len(both), dtype=np.uint64)
    sure = np.zeros(len(both), dtype=np.uint64)
    for word in range(WORDS):
        offer_touch, need_touch = offers.touch[word][o], needs.touch[word][n]
        touch |= offer_touch & need_touch
        sure |= (offers.full[word][o] & need_touch) | (offer_touch & needs.full[word][n])
    touch, sure = touch != 0, sure != 0
    conflict[both[~touch]] = True
    for position in np.flatnonzero(touch & ~sure):
        pair = both[position]
        offer, need = offers.posts[offer_rows[pair]], needs.posts[need_rows[pair]]
        conflict[pair] = not slots_overlap(offer.available, need.available)
    return conflict


def top_per_row(rows: np.ndarray, key: np.ndarray, k: int) -> np.ndarray:
    """Positions of the best `k` entries of each row, rows in order, best first.

    `rows` must be sorted (as a CSR product's rows are); ties keep their input order. One
    stable sort of (row, -key) packed into a float, instead of a sort per row.
    """
    if not len(rows):
        return rows
    counts = np.bincount(rows)
    order = np.argsort(rows * 4.0 - key, kind="stable")  # key in [-2, 1]: rows never mix
    ranked = rows[order]
    starts = np.concatenate(([0], np.cumsum(counts)))[ranked]
    return order[np.arange(len(order)) - starts < k]


def analyse(
    post: Offer | Need, analyzer: Analyzer | None = None, surfaces: bool = True
) -> Analysis:
    """A post's text features (title, body and tags)."""
    return (analyzer or default_analyzer()).analyse(post.title, post.body, post.tags, surfaces)


def _neighbours(pairs: Iterable[frozenset[str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for pair in pairs:
        a, b = tuple(pair)
        found.setdefault(a, set()).add(b)
        found.setdefault(b, set()).add(a)
    return found


class _Index(Generic[Post, Other]):
    """The shared machinery of `OfferIndex` and `NeedIndex`: built once, queried often.

    The index is a snapshot: it judges expiry at `context.now` and does not see posts added
    later. Rebuild it when the posts change (building takes a few seconds per 100,000).
    """

    indexes_offers: bool

    def __init__(
        self, posts: Iterable[Post], context: Context, analyzer: Analyzer | None = None
    ) -> None:
        self.analyzer = analyzer or default_analyzer()
        self.context = context
        self.posts: list[Post] = list(posts)
        analyses = [analyse(post, self.analyzer, surfaces=False) for post in self.posts]
        self.vocabulary = Vocabulary(analyses)
        self.inverted = self.vocabulary.matrix(analyses).T.tocsr()  # features x posts
        self.codes = Codes()
        self.columns = Columns(self.posts, self.codes, context)
        self.linked = _neighbours(context.links)
        self.blocked = _neighbours(context.blocked)

    def __len__(self) -> int:
        return len(self.posts)

    def top(self, post: Other, k: int = 10) -> list[Match]:
        """The `k` best matches for `post`, best first, each with its reasons.

        Empty when `post` itself may not be matched (hidden, closed, expired); never a pair
        the hard rules forbid. Pairs whose weekly slots never meet come after all others.
        """
        if k <= 0 or not self.context.is_live(post):
            return []
        analysis = analyse(post, self.analyzer)
        query = self.vocabulary.row(analysis)
        if not query.nnz:
            return []
        product = query @ self.inverted
        found, text = product.indices.astype(np.int64), product.data
        allowed = self._allowed(post, found)
        found, text = found[allowed], text[allowed]
        if not len(found):
            return []
        query_columns = Columns([post], self.codes, self.context, grow=False)
        here = np.zeros(len(found), dtype=np.int64)
        if self.indexes_offers:
            score, key = score_pairs(self.columns, query_columns, found, here, text)
        else:
            score, key = score_pairs(query_columns, self.columns, here, found, text)
        best = top_per_row(here, key, k)
        return [self._match(post, analysis, int(found[i]), float(score[i])) for i in best]

    def _allowed(self, post: Other, found: np.ndarray) -> np.ndarray:
        columns = self.columns
        allowed = columns.live[found]
        if post.community is not None:
            names = {post.community} | self.linked.get(post.community, set())
            communities = columns.community[found]
            allowed &= (communities < 0) | np.isin(
                communities, self.codes.known("community", names)
            )
        if post.member is not None:
            names = {post.member} | self.blocked.get(post.member, set())
            allowed &= ~np.isin(columns.member[found], self.codes.known("member", names))
        return allowed

    def _match(self, post: Other, analysis: Analysis, row: int, score: float) -> Match:
        other = self.posts[row]
        other_analysis = analyse(other, self.analyzer)
        if self.indexes_offers:
            offer, need, offer_analysis, need_analysis = other, post, other_analysis, analysis
        else:
            offer, need, offer_analysis, need_analysis = post, other, analysis, other_analysis
        _, shared = signals.text_similarity(need_analysis, offer_analysis, self.vocabulary.idf_of)
        reasons = signals.reasons(
            offer,
            need,
            shared,
            offer_analysis,
            need_analysis,
            self.analyzer,
        )
        return Match(offer=offer.id, need=need.id, score=_clip(score), reasons=reasons)


class OfferIndex(_Index[Offer, Need]):
    """Open offers, ready to answer "which offers best serve this need?"."""

    indexes_offers = True


class NeedIndex(_Index[Need, Offer]):
    """Open needs, ready to answer "which needs could this offer serve?"."""

    indexes_offers = False


def _clip(score: float) -> float:
    return min(1.0, max(0.0, score))


class Suggestions(Sequence[list[Match]]):
    """Every need's best offers, in the needs' order: `suggestions[i]` is need i's list.

    Held as arrays, best first within each need: need i's suggestions are positions
    `starts[i]:starts[i + 1]` of `offer_rows` (indexes into `offers`) and `scores`. `Match`
    objects and their reasons are made when a need's list is read, so computing the
    suggestions for 100,000 needs does not pay for a million objects no one looks at.
    """

    def __init__(
        self,
        needs: Sequence[Need],
        offers: Sequence[Offer],
        need_rows: np.ndarray,
        offer_rows: np.ndarray,
        scores: np.ndarray,
        explainer: _Explainer | None,
    ) -> None:
        order = np.argsort(need_rows, kind="stable")  # keeps each need's best-first order
        self.needs, self.offers = needs, offers
        self.offer_rows, self.scores = offer_rows[order], scores[order]
        self.starts = np.concatenate(([0], np.cumsum(np.bincount(need_rows, minlength=len(needs)))))
        self._explainer = explainer

    def __len__(self) -> int:
        return len(self.needs)

    @overload
    def __getitem__(self, index: int) -> list[Match]: ...
    @overload
    def __getitem__(self, index: slice) -> list[list[Match]]: ...
    def __getitem__(self, index: int | slice) -> list[Match] | list[list[Match]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        need = self.needs[index]
        found = []
        for position in range(self.starts[index], self.starts[index + 1]):
            row = int(self.offer_rows[position])
            offer = self.offers[row]
            reasons = self._explainer.reasons(row, index) if self._explainer else ()
            found.append(Match(offer.id, need.id, float(self.scores[position]), reasons))
        return found

    def pairs(self) -> Iterator[tuple[str, str, float]]:
        """(need id, offer id, score) of every suggestion, without reasons: cheap."""
        for index, need in enumerate(self.needs):
            for position in range(self.starts[index], self.starts[index + 1]):
                offer = self.offers[int(self.offer_rows[position])]
                yield need.id, offer.id, float(self.scores[position])


class _Explainer:
    """Reasons for pairs of `suggest_all`, from the analyses it already made."""

    def __init__(
        self,
        needs: Sequence[Need],
        offers: Sequence[Offer],
        need_analyses: list[Analysis],
        offer_analyses: list[Analysis],
        vocabulary: Vocabulary,
        analyzer: Analyzer,
    ) -> None:
        self.needs, self.offers = needs, offers
        self.need_analyses, self.offer_analyses = need_analyses, offer_analyses
        self.vocabulary, self.analyzer = vocabulary, analyzer

    def reasons(self, offer_row: int, need_row: int) -> tuple[str, ...]:
        offer_analysis = self.offer_analyses[offer_row]
        need_analysis = self.need_analyses[need_row]
        _, shared = signals.text_similarity(need_analysis, offer_analysis, self.vocabulary.idf_of)
        return signals.reasons(
            self.offers[offer_row],
            self.needs[need_row],
            shared,
            offer_analysis,
            need_analysis,
            self.analyzer,
        )


def suggest_all(
    needs: Sequence[Need],
    offers: Sequence[Offer],
    context: Context,
    k: int = 10,
    *,
    analyzer: Analyzer | None = None,
    explain: bool = True,
) -> Suggestions:
    """The best `k` offers for every need, in the needs' order (the CLI's `suggest`).

    The same answers as `OfferIndex(offers, context).top(need, k)` for each need, computed
    as sparse products over blocks of needs, one community (and its linked ones) at a time,
    with the top `k` of each row picked by one sort of the block's candidates.
    `explain=False` gives empty reasons and frees the text analyses at once.
    """
    analyzer = analyzer or default_analyzer()
    offer_analyses = [analyse(offer, analyzer, explain) for offer in offers]
    need_analyses = [analyse(need, analyzer, explain) for need in needs]
    vocabulary = Vocabulary(offer_analyses)
    offer_matrix = vocabulary.matrix(offer_analyses)
    need_matrix = vocabulary.matrix(need_analyses)
    explainer = (
        _Explainer(needs, offers, need_analyses, offer_analyses, vocabulary, analyzer)
        if explain
        else None
    )
    del offer_analyses, need_analyses
    codes = Codes()
    offer_columns = Columns(offers, codes, context)
    need_columns = Columns(needs, codes, context)
    blocked_keys = _blocked_keys(context, codes)
    live_needs = np.flatnonzero(need_columns.live)
    pools = _OfferPools(offer_matrix, offer_columns, codes, context)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for community in np.unique(need_columns.community[live_needs]) if k > 0 else ():
        rows = live_needs[need_columns.community[live_needs] == community]
        parts = pools.for_community(int(community))
        for block in _blocks(rows, need_matrix, parts) if parts else ():
            need_block = need_matrix[block]
            pieces = []
            for candidates, offers_t in parts:
                product = (need_block @ offers_t).tocsr()
                local = np.repeat(np.arange(len(block)), np.diff(product.indptr))
                pieces.append((local, candidates[product.indices], product.data))
            local, offer_rows, text = (np.concatenate(p) for p in zip(*pieces, strict=True))
            need_rows = block[local]
            keep = _members_allowed(
                offer_columns, need_columns, offer_rows, need_rows, blocked_keys
            )
            safe = ~(offer_columns.has_slots[offer_rows] & need_columns.has_slots[need_rows])
            keep[keep] = could_rank(local[keep], text[keep], safe[keep], k)
            local, need_rows, offer_rows = local[keep], need_rows[keep], offer_rows[keep]
            score, key = score_pairs(offer_columns, need_columns, offer_rows, need_rows, text[keep])
            best = top_per_row(local, key, k)
            found.append((need_rows[best], offer_rows[best], np.clip(score[best], 0.0, 1.0)))
    if found:
        need_rows, offer_rows, scores = (
            np.concatenate(parts) for parts in zip(*found, strict=True)
        )
    else:
        need_rows = offer_rows = np.zeros(0, dtype=np.int64)
        scores = np.zeros(0)
    return Suggestions(needs, offers, need_rows, offer_rows, scores, explainer)


class _OfferPools:
    """Live offers grouped by community, each group's matrix transposed once, so a block
    of needs is multiplied only by the groups its community may be matched with."""

    def __init__(
        self, matrix: sp.csr_matrix, columns: Columns[Offer], codes: Codes, context: Context
    ) -> None:
        self.matrix, self.columns, self.codes = matrix, columns, codes
        self.linked = _neighbours(context.links)
        self.names = {code: name for name, code in codes.tables["community"].items()}
        live = np.flatnonzero(columns.live)
        order = np.argsort(columns.community[live], kind="stable")
        live = live[order]
        keys, starts = np.unique(columns.community[live], return_index=True)
        bounds = np.append(starts, len(live))
        self.rows = {int(key): live[bounds[i] : bounds[i + 1]] for i, key in enumerate(keys)}
        self.live = np.sort(live)
        self._transposed: dict[int | None, tuple[np.ndarray, sp.csr_matrix]] = {}

    def _pool(self, key: int | None) -> tuple[np.ndarray, sp.csr_matrix]:
        found = self._transposed.get(key)
        if found is None:
            rows = self.live if key is None else self.rows[key]
            found = self._transposed[key] = (rows, self.matrix[rows].T.tocsr())
        return found

    def for_community(self, community: int) -> list[tuple[np.ndarray, sp.csr_matrix]]:
        """(offer rows, their transposed matrix) for each group a need may be matched with:
        every live offer for a need without community; else its own community, the linked
        ones and offers without community."""
        if community < 0:
            return [self._pool(None)] if len(self.live) else []
        name = self.names[community]
        allowed = {community, -1, *self.codes.known("community", self.linked.get(name, set()))}
        return [self._pool(key) for key in sorted(allowed) if key in self.rows]


def _blocks(
    rows: np.ndarray, matrix: sp.csr_matrix, parts: list[tuple[np.ndarray, sp.csr_matrix]]
) -> Iterator[np.ndarray]:
    """Consecutive runs of `rows` whose products stay near `PAIRS_PER_BLOCK` candidates.

    A need's candidates are at most the sum, over its features, of how many offers have
    each; bounding that keeps memory flat when one feature is everywhere (everyone in one
    community, say), while ordinary blocks stay large enough to amortise numpy's overheads.
    """
    present = matrix[rows]
    present.data = np.ones_like(present.data)
    bound = np.zeros(len(rows))
    for _, offers_t in parts:
        bound += present @ np.diff(offers_t.indptr).astype(float)
    total = np.cumsum(bound)
    start = 0
    while start < len(rows):
        before = total[start - 1] if start else 0.0
        stop = int(np.searchsorted(total, before + PAIRS_PER_BLOCK, side="right"))
        stop = min(max(stop, start + 1), start + ROWS_PER_BLOCK)
        yield rows[start:stop]
        start = stop


def _blocked_keys(context: Context, codes: Codes) -> np.ndarray:
    keys = []
    for pair in context.blocked:
        known = codes.known("member", pair)
        if len(known) == 2:
            keys.append(_pair_key(*known))
    return np.array(sorted(keys), dtype=np.int64)


def _pair_key(a: int, b: int) -> int:
    low, high = min(a, b), max(a, b)
    return (low << 32) | high


def _members_allowed(
    offers: Columns[Offer],
    needs: Columns[Need],
    offer_rows: np.ndarray,
    need_rows: np.ndarray,
    blocked_keys: np.ndarray,
) -> np.ndarray:
    """Not one's own post, and not a blocked pair of members."""
    om, nm = offers.member[offer_rows], needs.member[need_rows]
    allowed = ~((om == nm) & (om >= 0))
    if len(blocked_keys):
        known = (om >= 0) & (nm >= 0)
        keys = (np.minimum(om, nm) << 32) | np.maximum(om, nm)
        allowed &= ~(known & np.isin(keys, blocked_keys))
    return allowed
