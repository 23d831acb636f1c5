"""A coordinator's matching round: the assignment of needs to offers with the largest total score.

Greedy ("give each need its best offer that still has room, best pairs first") is what a person
would do by hand, and it is often wrong: one popular offer taken by the need that had other good
choices leaves a need with none. The round is a weighted bipartite b-matching, and we solve it
exactly on the sparse candidate graph (each need's top-k suggestions):

1. An offer whose candidate needs all fit in its capacity ("uncontested") can never be full, so
   it behaves as if its capacity were infinite. For each need only its best uncontested offer
   matters; it becomes the need's fallback value, and such offers drop out of the hard part.
2. Every contested offer is copied once per unit of capacity (the classic reduction of
   b-matching to matching), and each need gets a private "fallback" column worth its best
   uncontested score, or nothing. A full matching then always exists, and choosing the fallback
   is how a need ends up served by an uncontested offer or unassigned.
3. The maximisation with optional assignment becomes a minimum-cost full matching with costs
   ``K - score`` (``K`` larger than every score): each need takes exactly one column, so the
   total cost is ``needs * K - total score`` and minimising it maximises the score. The shift
   also keeps every weight non-zero, which sparse matrices need (a zero weight would vanish).
4. scipy's LAPJVsp (`min_weight_full_bipartite_matching`) solves it one connected component at
   a time (small ones batched into one call), each made square with slack rows, because
   LAPJVsp only runs its fast start-up phases on square input (see `_solve_contested`).
   Needs with no contested offer at all need no solver.

Nothing here imports the rest of `commons`: it works on ids and scores, so the CLI, the web
app's round and the mentor assignment all share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from operator import itemgetter

import numpy as np
from scipy.sparse import coo_array, csr_array
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

__all__ = ["assign_arrays", "assign_pairs", "greedy_pairs"]


def assign_pairs(
    candidates: Iterable[tuple[str, str, float]], capacities: Mapping[str, int]
) -> list[tuple[str, str, float]]:
    """The (need_id, offer_id, score) pairs with the largest total score.

    Each need is used at most once and each offer at most ``capacities[offer_id]`` times (1 when
    the offer is missing from the mapping; 0 or less means the offer serves no one). Pairs
    scoring <= 0 are never used: assigning them adds nothing. A pair listed twice counts once,
    with its higher score. The result is sorted by need id and does not depend on the order of
    `candidates`, so a coordinator sees the same round twice. Raises ValueError for a score
    that is not a finite number.
    """
    triples = candidates if isinstance(candidates, list) else list(candidates)
    if not triples:
        return []
    # itemgetter maps rather than zip(*triples): unpacking half a million arguments is slow.
    need_ids = list(map(itemgetter(0), triples))
    offer_ids = list(map(itemgetter(1), triples))
    scores = np.fromiter(map(itemgetter(2), triples), np.float64, len(triples))
    needs = sorted(set(need_ids))
    offers = sorted(set(offer_ids))
    need_index = {need: i for i, need in enumerate(needs)}
    offer_index = {offer: j for j, offer in enumerate(offers)}
    rows = np.fromiter(map(need_index.__getitem__, need_ids), np.int64, len(triples))
    cols = np.fromiter(map(offer_index.__getitem__, offer_ids), np.int64, len(triples))
    caps = np.fromiter((capacities.get(offer, 1) for offer in offers), np.int64, len(offers))
    chosen = assign_arrays(rows, cols, scores, caps)
    # `assign_arrays` returns one edge per need, in need order, so the result is sorted by id.
    return [(needs[rows[e]], offers[cols[e]], float(scores[e])) for e in chosen]


def assign_arrays(
    rows: np.ndarray, cols: np.ndarray, scores: np.ndarray, col_capacity: np.ndarray
) -> np.ndarray:
    """The same optimum on integer ids: indices into the edge arrays, sorted by row.

    `rows`, `cols` and `scores` describe the candidate edges; `col_capacity[j]` is how many rows
    column j may take. Duplicate edges keep their highest score; non-positive scores are ignored.
    Ties are broken by the order of the edges as ``(row, col)`` sorted, never by chance.
    Raises ValueError for NaN or infinite scores.
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite numbers")
    caps = np.asarray(col_capacity, dtype=np.int64)
    edges = _useful_edges(rows, cols, scores, caps)
    if edges.size == 0:
        return edges
    r, c, s = rows[edges], cols[edges], scores[edges]
    n_rows = int(r.max()) + 1

    # Shrink the hard part without losing the optimum. An offer whose remaining candidate
    # needs all fit ("uncontested") is never full, so each need can always fall back on its best
    # uncontested offer; a contested edge scoring no more than that fallback is never needed.
    # Dropping such edges may leave more offers uncontested, hence the loop (a few rounds).
    alive = np.ones(s.size, dtype=bool)
    while True:
        degree = np.bincount(c[alive], minlength=caps.size)
        contested = (degree > caps)[c] & alive
        fallback_score = np.zeros(n_rows)
        easy = alive & ~contested
        np.maximum.at(fallback_score, r[easy], s[easy])
        dominated = contested & (s <= fallback_score[r])
        if not dominated.any():
            break
        alive &= ~dominated

    # The best uncontested edge of each row is its fallback (edges are sorted by row, then col;
    # a stable sort by descending score keeps the smallest col first among equal scores).
    easy = np.flatnonzero(alive & ~contested)
    fallback_edge = np.full(n_rows, -1, dtype=np.int64)
    if easy.size:
        order = easy[np.lexsort((-s[easy], r[easy]))]
        first = np.ones(order.size, dtype=bool)
        first[1:] = r[order[1:]] != r[order[:-1]]
        fallback_edge[r[order[first]]] = order[first]

    hard = np.flatnonzero(contested)
    winner = fallback_edge.copy()
    if hard.size:
        hard_rows, hard_winner = _solve_contested(r, c, s, caps, hard, fallback_edge)
        winner[hard_rows] = hard_winner
    picked = winner[winner >= 0]
    return edges[picked]


def greedy_pairs(
    candidates: Iterable[tuple[str, str, float]], capacities: Mapping[str, int]
) -> list[tuple[str, str, float]]:
    """Best pairs first while there is room: the hand method, kept as a baseline to beat."""
    used_needs: set[str] = set()
    load: dict[str, int] = {}
    chosen = []
    for need, offer, score in sorted(candidates, key=lambda t: (-t[2], t[0], t[1])):
        if not score > 0 or need in used_needs:
            continue
        if load.get(offer, 0) >= capacities.get(offer, 1):
            continue
        used_needs.add(need)
        load[offer] = load.get(offer, 0) + 1
        chosen.append((need, offer, score))
    return sorted(chosen)


def _useful_edges(
    rows: np.ndarray, cols: np.ndarray, scores: np.ndarray, caps: np.ndarray
) -> np.ndarray:
    """Edges worth considering, one per (row, col), sorted by (row, col); indices into inputs."""
    keep = np.flatnonzero((scores > 0) & (caps[cols] > 0))
    if keep.size == 0:
        return keep
    key = rows[keep] * (int(cols.max()) + 1) + cols[keep]
    if np.all(key[1:] > key[:-1]):  # already sorted, no duplicates
        return keep
    order = np.argsort(key, kind="stable")
    if (key[order][1:] == key[order][:-1]).any():
        # A pair listed twice: sort each (row, col) run best score first and keep its head.
        order = np.lexsort((-scores[keep], key))
    key = key[order]
    return keep[order[np.concatenate(([True], key[1:] != key[:-1]))]]


def _solve_contested(
    r: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    caps: np.ndarray,
    hard: np.ndarray,
    fallback_edge: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Every row with a contested edge, and the edge it gets (-1: unassigned).

    Rows reach contested offers only through `hard` edges; everything else about a row is
    summed up by its fallback edge. Each connected component becomes a square matrix:

    ============  =====================  ===========================
    rows \\ cols  copies of offers       fallback column per need
    ============  =====================  ===========================
    needs         ``shift - score``      ``shift - fallback score``
    slack (copy)  1 on its own copy      1 towards each need it could serve (the transpose)
    ============  =====================  ===========================

    A slack row takes its copy when the copy is unused, or the fallback column freed by the
    need that took the copy; slack rows always cost the same in total, so the optimum is the
    needs' optimum. Square matters: scipy's LAPJVsp runs its fast initial phases only on
    square input, and otherwise pays a pass over every column for each row.
    """
    hard_rows, er = _compact(r[hard])
    hard_cols, ec = _compact(c[hard])
    n_r, n_c = hard_rows.size, hard_cols.size

    graph = coo_array((np.ones(hard.size), (er, n_r + ec)), shape=(n_r + n_c, n_r + n_c))
    n_comp, label = connected_components(graph, directed=False)
    row_comp, col_comp = label[:n_r], label[n_r:]

    # Lay components out one after another; inside one, needs then slack rows (rows) and
    # copies then fallbacks (columns), so that each component is a square diagonal block.
    col_caps = caps[hard_cols]
    comp_needs = np.bincount(row_comp, minlength=n_comp)
    comp_copies = np.bincount(col_comp, weights=col_caps, minlength=n_comp).astype(np.int64)
    comp_size = comp_needs + comp_copies
    comp_start = np.concatenate(([0], np.cumsum(comp_size)))
    n = int(comp_start[-1])

    row_order = np.argsort(row_comp, kind="stable")
    row_rank = np.empty(n_r, dtype=np.int64)
    row_rank[row_order] = np.arange(n_r) - np.repeat(
        np.concatenate(([0], np.cumsum(comp_needs)))[:-1], comp_needs
    )
    need_pos = comp_start[row_comp] + row_rank  # the need's row, and its fallback column
    fallback_col = need_pos + comp_copies[row_comp]

    col_order = np.argsort(col_comp, kind="stable")
    ordered_caps = col_caps[col_order]
    copy_rank_of_col = np.empty(n_c, dtype=np.int64)
    comp_copy_base = np.concatenate(([0], np.cumsum(comp_copies)))[:-1]
    copy_rank_of_col[col_order] = (
        np.cumsum(ordered_caps)
        - ordered_caps
        - np.repeat(comp_copy_base, np.bincount(col_comp, minlength=n_comp))
    )
    first_copy = comp_start[col_comp] + copy_rank_of_col  # the column of each offer's 1st copy

    # Every hard edge once per copy of its offer.
    repeat = col_caps[ec]
    edge_of_copy = np.repeat(np.arange(hard.size), repeat)
    copy_col = np.repeat(first_copy[ec], repeat) + _ranges(repeat)
    copy_row_need = need_pos[er[edge_of_copy]]
    slack_row = copy_col + comp_needs[col_comp[ec[edge_of_copy]]]
    slack_col = fallback_col[er[edge_of_copy]]

    all_copies = np.repeat(first_copy, col_caps) + _ranges(col_caps)
    own_slack = all_copies + np.repeat(comp_needs[col_comp], col_caps)
    fallback = fallback_edge[hard_rows]
    fallback_score = np.where(fallback >= 0, s[np.maximum(fallback, 0)], 0.0)
    shift = float(max(s.max(), 0.0)) + 1.0

    matrix = csr_array(
        (
            np.concatenate(
                (
                    shift - s[hard][edge_of_copy],
                    shift - fallback_score,
                    np.ones(all_copies.size),
                    np.ones(copy_col.size),
                )
            ),
            (
                np.concatenate((copy_row_need, need_pos, own_slack, slack_row)),
                np.concatenate((copy_col, fallback_col, all_copies, slack_col)),
            ),
        ),
        shape=(n, n),
    )
    matrix.sort_indices()

    match = np.empty(n, dtype=np.int64)
    for lo, hi in _batches(comp_start):
        # The blocks are diagonal, so a run of rows only has columns in the same run.
        a, b = matrix.indptr[lo], matrix.indptr[hi]
        block = csr_array(
            (matrix.data[a:b], matrix.indices[a:b] - lo, matrix.indptr[lo : hi + 1] - a),
            shape=(hi - lo, hi - lo),
        )
        _, col_ind = min_weight_full_bipartite_matching(block)
        match[lo:hi] = lo + col_ind

    # Read the needs' rows back: a copy column means that offer, a fallback column the fallback.
    owner_col = np.full(n, -1, dtype=np.int64)
    owner_col[all_copies] = np.repeat(np.arange(n_c), col_caps)
    taken = owner_col[match[need_pos]]
    keys = er.astype(np.int64) * n_c + ec  # sorted: hard edges are in (row, col) order
    found = np.searchsorted(keys, np.arange(n_r) * n_c + np.maximum(taken, 0))
    edge = np.where(taken >= 0, hard[np.minimum(found, hard.size - 1)], fallback)
    return hard_rows, edge


def _batches(comp_start: np.ndarray, target: int = 4096) -> Iterable[tuple[int, int]]:
    """Runs of consecutive components about `target` nodes each: one solver call per run.

    Small components are grouped because each call has a fixed cost; big ones go alone
    because each augmenting path costs a pass over the whole call's columns.
    """
    bounds = comp_start.tolist()
    lo = 0
    for k in range(1, len(bounds)):
        if bounds[k] - lo >= target or k == len(bounds) - 1:
            if bounds[k] > lo:
                yield lo, bounds[k]
            lo = bounds[k]


def _compact(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(values, return_inverse=True)` for small non-negative ints, without a sort."""
    present = np.zeros(int(values.max()) + 1, dtype=bool)
    present[values] = True
    distinct = np.flatnonzero(present)
    rank = np.cumsum(present) - 1
    return distinct, rank[values]


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """Concatenated aranges: [0..l0-1, 0..l1-1, ...]."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total) - starts
