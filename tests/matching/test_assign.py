"""The matching round: capacities, optimality against brute force, and determinism."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from commons.matching.assign import assign_arrays, assign_pairs, greedy_pairs


def total(pairs: list[tuple[str, str, float]]) -> float:
    return sum(score for _, _, score in pairs)


def brute_force(candidates: list[tuple[str, str, float]], capacities: dict[str, int]) -> float:
    """The best total over every feasible assignment: each need picks a candidate or none."""
    best_score: dict[tuple[str, str], float] = {}
    for need, offer, score in candidates:
        if score > 0:
            best_score[need, offer] = max(score, best_score.get((need, offer), 0.0))
    needs = sorted({need for need, _ in best_score})
    options = [[None] + sorted(o for n, o in best_score if n == need) for need in needs]
    best = 0.0
    for choice in itertools.product(*options):
        load = Counter(offer for offer in choice if offer is not None)
        if all(count <= capacities.get(offer, 1) for offer, count in load.items()):
            value = sum(best_score[n, o] for n, o in zip(needs, choice, strict=True) if o)
            best = max(best, value)
    return best


def check_feasible(
    result: list[tuple[str, str, float]],
    candidates: list[tuple[str, str, float]],
    capacities: dict[str, int],
) -> None:
    offered = {(need, offer) for need, offer, score in candidates if score > 0}
    needs = [need for need, _, _ in result]
    assert len(needs) == len(set(needs)), "a need was assigned twice"
    for offer, count in Counter(offer for _, offer, _ in result).items():
        assert count <= capacities.get(offer, 1), f"{offer} over capacity"
    for need, offer, score in result:
        assert (need, offer) in offered
        assert score > 0


def test_capacity_lets_one_offer_serve_several_needs() -> None:
    candidates = [("n1", "o1", 0.9), ("n2", "o1", 0.8), ("n3", "o1", 0.7)]
    assert assign_pairs(candidates, {"o1": 2}) == [("n1", "o1", 0.9), ("n2", "o1", 0.8)]
    assert len(assign_pairs(candidates, {"o1": 5})) == 3


def test_missing_capacity_means_one() -> None:
    candidates = [("n1", "o1", 0.9), ("n2", "o1", 0.8)]
    assert assign_pairs(candidates, {}) == [("n1", "o1", 0.9)]


def test_zero_capacity_serves_no_one() -> None:
    assert assign_pairs([("n1", "o1", 0.9), ("n1", "o2", 0.2)], {"o1": 0}) == [("n1", "o2", 0.2)]


def test_non_positive_scores_are_never_assigned() -> None:
    candidates = [("n1", "o1", 0.0), ("n2", "o1", -0.5), ("n3", "o2", -1e-9)]
    assert assign_pairs(candidates, {"o1": 3, "o2": 1}) == []


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_scores_that_are_not_numbers_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        assign_pairs([("n1", "o1", 0.5), ("n2", "o1", bad)], {})


def test_empty_input() -> None:
    assert assign_pairs([], {}) == []
    assert assign_pairs(iter([]), {"o1": 1}) == []


def test_duplicate_pair_counts_once_with_its_best_score() -> None:
    candidates = [("n1", "o1", 0.3), ("n1", "o1", 0.6), ("n2", "o1", 0.5)]
    assert assign_pairs(candidates, {"o1": 1}) == [("n1", "o1", 0.6)]


def test_greedy_is_beaten_on_a_crafted_case() -> None:
    """n1 slightly prefers o1, which n2 needs badly: greedy gives o1 to n1 and strands n2."""
    candidates = [("n1", "o1", 0.9), ("n1", "o2", 0.85), ("n2", "o1", 0.8)]
    greedy = greedy_pairs(candidates, {})
    best = assign_pairs(candidates, {})
    assert total(greedy) == pytest.approx(0.9)
    assert best == [("n1", "o2", 0.85), ("n2", "o1", 0.8)]
    assert total(best) == pytest.approx(1.65)


def test_greedy_is_beaten_with_capacities() -> None:
    """o1 holds two; the two needs with alternatives should not take both places."""
    candidates = [
        ("a", "o1", 0.9),
        ("a", "o2", 0.88),
        ("b", "o1", 0.9),
        ("b", "o3", 0.87),
        ("c", "o1", 0.6),
    ]
    best = assign_pairs(candidates, {"o1": 2})
    assert total(best) > total(greedy_pairs(candidates, {"o1": 2}))
    assert total(best) == pytest.approx(brute_force(candidates, {"o1": 2}))


def test_an_offer_with_room_for_everyone_is_a_safe_fallback() -> None:
    """o2 can take every need that lists it, so n1 falls back on it and frees o1 for n2."""
    candidates = [
        ("n1", "o1", 0.6),
        ("n1", "o2", 0.7),
        ("n2", "o1", 0.5),
        ("n3", "o1", 0.4),
        ("n3", "o2", 0.3),
    ]
    best = assign_pairs(candidates, {"o1": 1, "o2": 2})
    assert best == [("n1", "o2", 0.7), ("n2", "o1", 0.5), ("n3", "o2", 0.3)]


def test_result_is_sorted_by_need_and_independent_of_input_order() -> None:
    rng = random.Random(7)
    candidates = [
        (f"n{rng.randrange(30)}", f"o{rng.randrange(12)}", rng.choice([0.5, 0.7, 0.9]))
        for _ in range(200)
    ]  # coarse scores: plenty of ties
    capacities = {f"o{j}": rng.randint(1, 3) for j in range(12)}
    first = assign_pairs(candidates, capacities)
    assert [need for need, _, _ in first] == sorted(need for need, _, _ in first)
    for _ in range(5):
        rng.shuffle(candidates)
        assert assign_pairs(candidates, capacities) == first


scores = st.sampled_from([-0.1, 0.0, 0.1, 0.25, 0.5, 0.5, 0.75, 1.0]) | st.floats(0.01, 1.0)


@st.composite
def rounds(draw: st.DrawFn) -> tuple[list[tuple[str, str, float]], dict[str, int]]:
    n_needs = draw(st.integers(1, 5))
    n_offers = draw(st.integers(1, 4))
    candidates = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_needs - 1).map(lambda i: f"n{i}"),
                st.integers(0, n_offers - 1).map(lambda j: f"o{j}"),
                scores,
            ),
            max_size=14,
        )
    )
    capacities = draw(
        st.dictionaries(
            st.integers(0, n_offers - 1).map(lambda j: f"o{j}"), st.integers(0, 3), max_size=4
        )
    )
    return candidates, capacities


@settings(max_examples=300, deadline=None)
@given(rounds())
def test_optimal_against_brute_force(case: tuple[list, dict]) -> None:
    candidates, capacities = case
    result = assign_pairs(candidates, capacities)
    check_feasible(result, candidates, capacities)
    assert total(result) == pytest.approx(brute_force(candidates, capacities), abs=1e-9)


def test_matches_a_dense_solver_on_a_larger_random_case() -> None:
    """The capacity-expanded dense matrix, solved by linear_sum_assignment, as the referee."""
    rng = np.random.default_rng(3)
    n_needs, n_offers = 300, 200
    rows = np.repeat(np.arange(n_needs), 15)
    cols = rng.integers(0, n_offers, rows.size)
    values = rng.random(rows.size)
    caps = rng.integers(1, 4, n_offers)
    chosen = assign_arrays(rows, cols, values, caps)

    dense = np.zeros((n_needs, n_offers))
    np.maximum.at(dense, (rows, cols), values)
    expanded = np.hstack((np.repeat(dense, caps, axis=1), np.zeros((n_needs, n_needs))))
    r, c = linear_sum_assignment(expanded, maximize=True)
    assert values[chosen].sum() == pytest.approx(expanded[r, c].sum(), abs=1e-9)
    assert np.bincount(cols[chosen], minlength=n_offers).max() <= caps.max()
    assert (np.bincount(cols[chosen], minlength=n_offers) <= caps).all()
    assert len(set(rows[chosen].tolist())) == chosen.size
