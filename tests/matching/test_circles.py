"""Swap circles on small hand-made graphs, against brute force, and the disjoint choice."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commons.matching import circles as circles_module
from commons.matching.circles import (
    Circle,
    Member,
    around,
    choose_disjoint,
    find_swaps,
    greedy_disjoint,
    select_circles,
)


def member(id: str, teaches: str, wants: str, community: str | None = None) -> Member:
    """Skills as space-separated words, to keep the graphs readable."""
    return Member(id, frozenset(teaches.split()), frozenset(wants.split()), community)


def ids(circles: object) -> list[tuple[str, ...]]:
    return [circle.members for circle in circles]  # type: ignore[attr-defined]


def test_a_direct_swap() -> None:
    [swap] = find_swaps([member("ben", "welsh", "guitar"), member("ana", "guitar", "welsh")])
    assert swap.members == ("ana", "ben")
    assert swap.gives == ("guitar", "welsh")
    assert swap.reasons[0] == "a direct swap"
    assert "ana teaches ben guitar" in swap.reasons
    assert 0 <= swap.score <= 1


def test_a_circle_of_three_appears_once_in_its_canonical_rotation() -> None:
    people = [
        member("cat", "bread", "guitar"),
        member("ana", "guitar", "welsh"),
        member("ben", "welsh", "bread"),
    ]
    # ana teaches cat guitar, cat teaches ben bread, ben teaches ana welsh; nobody swaps back.
    circles = list(find_swaps(people))
    assert ids(circles) == [("ana", "cat", "ben")]
    [circle] = circles
    assert circle.gives == ("guitar", "bread", "welsh")
    assert circle.reasons[0] == "a circle of three"


def test_both_directions_of_a_triangle_are_different_circles() -> None:
    people = [
        member("a", "x y", "x y"),
        member("b", "x y", "x y"),
        member("c", "x y", "x y"),
    ]
    found = ids(find_swaps(people))
    assert sorted(found) == [("a", "b"), ("a", "b", "c"), ("a", "c"), ("a", "c", "b"), ("b", "c")]
    assert len(found) == len(set(found))


def test_max_length_two_gives_swaps_only() -> None:
    people = [
        member("a", "x y", "x y"),
        member("b", "x y", "x y"),
        member("c", "x y", "x y"),
    ]
    assert all(len(c) == 2 for c in ids(find_swaps(people, max_length=2)))
    with pytest.raises(ValueError):
        find_swaps(people, max_length=4)


def test_a_blocked_pair_breaks_the_circle() -> None:
    people = [
        member("ana", "guitar", "welsh"),
        member("cat", "bread", "guitar"),
        member("ben", "welsh", "bread"),
    ]
    assert ids(find_swaps(people, blocked={frozenset({"ben", "cat"})})) == []
    assert ids(find_swaps(people, blocked={frozenset({"ben", "zed"})})) == [("ana", "cat", "ben")]


def test_unlinked_communities_break_the_circle_and_links_mend_it() -> None:
    people = [
        member("ana", "guitar", "welsh", "north"),
        member("cat", "bread", "guitar", "north"),
        member("ben", "welsh", "bread", "south"),
    ]
    assert ids(find_swaps(people)) == []
    [circle] = find_swaps(people, links={frozenset({"north", "south"})})
    assert "across linked communities" in circle.reasons
    swap = [member("a", "x", "y", "north"), member("b", "y", "x", None)]  # None: no rule
    assert ids(find_swaps(swap)) == [("a", "b")]


def test_not_linked_through_a_third_community() -> None:
    """north-south and south-east are linked, north-east is not: no circle across all three."""
    people = [
        member("ana", "guitar", "welsh", "north"),
        member("cat", "bread", "guitar", "east"),
        member("ben", "welsh", "bread", "south"),
    ]
    links = {frozenset({"north", "south"}), frozenset({"south", "east"})}
    assert ids(find_swaps(people, links=links)) == []


def test_swaps_rank_above_circles_and_richer_swaps_higher() -> None:
    people = [
        member("a", "x", "y"),
        member("b", "y", "x"),  # a <-> b: one skill each way
        member("c", "p q", "r s"),
        member("d", "r s", "p q"),  # c <-> d: two skills each way
        member("e", "m", "n"),
        member("f", "n", "o"),
        member("g", "o", "m"),  # e teaches g, g teaches f, f teaches e: a circle
    ]
    found = list(find_swaps(people))
    assert ids(found) == [("c", "d"), ("a", "b"), ("e", "g", "f")]
    assert found[0].options == (("p", "q"), ("r", "s"))
    assert "c teaches d p (or 1 more)" in found[0].reasons
    assert found[1].score > found[2].score


def test_the_result_reads_like_a_list() -> None:
    people = [member("a", "x", "y"), member("b", "y", "x"), member("c", "x", "y")]
    swaps = find_swaps(people)
    assert len(swaps) == 2
    assert swaps[-1] == swaps[1] and swaps[0:2] == list(swaps)
    assert ids(swaps.for_member("c")) == [("b", "c")]
    assert swaps.for_member("nobody") == []
    with pytest.raises(IndexError):
        swaps[2]


def test_bad_members_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        find_swaps([member("a", "x", "y"), member("a", "y", "x")])
    with pytest.raises(ValueError):
        Member("a", "guitar", frozenset())  # type: ignore[arg-type]
    assert len(find_swaps([])) == 0


def allowed(x: Member, y: Member, links: set, blocked: set) -> bool:
    if x.id == y.id or frozenset((x.id, y.id)) in blocked:
        return False
    apart = None not in (x.community, y.community) and x.community != y.community
    if apart and frozenset((x.community, y.community)) not in links:
        return False
    return bool(x.teaches & y.wants)


def every_circle(people: list[Member], links: set, blocked: set) -> set[tuple[str, ...]]:
    """Brute force: every ordered pair and triple, canonical rotation by smallest id."""
    found = set()
    for x, y in itertools.permutations(people, 2):
        if x.id < y.id and allowed(x, y, links, blocked) and allowed(y, x, links, blocked):
            found.add((x.id, y.id))
    for x, y, z in itertools.permutations(people, 3):
        if x.id < min(y.id, z.id) and all(
            allowed(p, q, links, blocked) for p, q in ((x, y), (y, z), (z, x))
        ):
            found.add((x.id, y.id, z.id))
    return found


@st.composite
def neighbourhoods(draw: st.DrawFn) -> tuple[list[Member], set, set]:
    skills = st.frozensets(st.sampled_from("abcd"), max_size=3)
    n = draw(st.integers(0, 7))
    people = [
        Member(
            f"m{i}",
            draw(skills),
            draw(skills),
            draw(st.sampled_from([None, "c1", "c2", "c3"])),
        )
        for i in range(n)
    ]
    links = draw(st.sets(st.sampled_from([frozenset({"c1", "c2"}), frozenset({"c2", "c3"})])))
    blocked = set()
    if n >= 2:
        pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
        for i, j in draw(st.lists(pairs, max_size=2)):
            if i != j:
                blocked.add(frozenset({f"m{i}", f"m{j}"}))
    return draw(st.permutations(people)), links, blocked


@settings(max_examples=200, deadline=None)
@given(neighbourhoods())
def test_find_swaps_matches_brute_force(case: tuple[list[Member], set, set]) -> None:
    people, links, blocked = case
    found = list(find_swaps(people, links=links, blocked=blocked))
    assert len(ids(found)) == len(set(ids(found)))
    assert set(ids(found)) == every_circle(people, links, blocked)
    by_id = {p.id: p for p in people}
    for circle in found:
        size = len(circle.members)
        for i, skill in enumerate(circle.gives):
            giver, taker = by_id[circle.members[i]], by_id[circle.members[(i + 1) % size]]
            assert skill in giver.teaches & taker.wants
    keys = [(-circle.score, circle.members) for circle in found]
    assert keys == sorted(keys)


@settings(max_examples=200, deadline=None)
@given(neighbourhoods())
def test_circles_through_one_member_need_only_the_people_around_them(
    case: tuple[list[Member], set, set],
) -> None:
    people, links, blocked = case
    everyone = find_swaps(people, links=links, blocked=blocked)
    for person in people:
        nearby = around(people, person.id)
        assert len(nearby) <= len(people)
        alone = find_swaps(nearby, links=links, blocked=blocked)
        assert alone.for_member(person.id) == everyone.for_member(person.id)
        assert alone.for_member(person.id, limit=1) == everyone.for_member(person.id)[:1]
        through = find_swaps(people, links=links, blocked=blocked, through=person.id)
        assert through.for_member(person.id) == everyone.for_member(person.id)
    assert around(people, "nobody") == []


def circle(score: float, *members: str) -> Circle:
    return Circle(members=members, gives=("x",) * len(members), score=score, reasons=())


def test_greedy_is_beaten_on_a_crafted_case() -> None:
    circles = [circle(0.9, "a", "b"), circle(0.8, "a", "c"), circle(0.8, "b", "d")]
    assert ids(greedy_disjoint(circles)) == [("a", "b")]
    selection = select_circles(circles)
    assert selection.optimal
    assert ids(selection.circles) == [("a", "c"), ("b", "d")]
    assert ids(choose_disjoint(circles)) == [("a", "c"), ("b", "d")]


def test_out_of_time_falls_back_on_greedy() -> None:
    circles = [circle(0.9, "a", "b"), circle(0.8, "a", "c"), circle(0.8, "b", "d")]
    circles.append(circle(0.5, "x", "y"))  # a group of its own: taken whatever the time

    def late() -> Iterator[float]:
        yield 0.0  # when the deadline is set
        while True:
            yield 10.0  # every later look at the clock: past it

    clock = late()
    selection = select_circles(circles, time_limit_s=1.0, clock=lambda: next(clock))
    assert not selection.optimal
    assert ids(selection.circles) == [("a", "b"), ("x", "y")]
    assert ids(choose_disjoint(circles, time_limit_s=0)) in (
        [("a", "b"), ("x", "y")],
        [("a", "c"), ("b", "d"), ("x", "y")],
    )


def test_choose_disjoint_works_on_found_swaps() -> None:
    people = [
        member("a", "x y", "x y"),
        member("b", "x y", "x y"),
        member("c", "x y", "x y"),
        member("d", "z", "x"),
        member("e", "x", "z"),
    ]
    swaps = find_swaps(people)
    chosen = choose_disjoint(swaps)
    assert all(isinstance(c, Circle) for c in chosen)
    used = [m for c in chosen for m in c.members]
    assert len(used) == len(set(used))
    assert sum(c.score for c in chosen) == pytest.approx(best_packing(list(swaps)))


def best_packing(circles: list[Circle]) -> float:
    best = 0.0
    for size in range(len(circles) + 1):
        for subset in itertools.combinations(circles, size):
            members = [m for c in subset for m in c.members]
            if len(members) == len(set(members)):
                best = max(best, sum(c.score for c in subset))
    return best


@st.composite
def circle_sets(draw: st.DrawFn) -> list[Circle]:
    names = "abcdefg"
    found = {}
    for _ in range(draw(st.integers(0, 9))):
        size = draw(st.sampled_from([2, 3]))
        members = tuple(draw(st.permutations(names))[:size])
        found[members] = circle(draw(st.sampled_from([0.3, 0.45, 0.6, 0.8, 1.0])), *members)
    return list(found.values())


@settings(max_examples=200, deadline=None)
@given(circle_sets())
def test_choose_disjoint_is_optimal_on_small_cases(circles: list[Circle]) -> None:
    selection = select_circles(circles, time_limit_s=60)
    assert selection.optimal
    used = [m for c in selection.circles for m in c.members]
    assert len(used) == len(set(used))
    assert sum(c.score for c in selection.circles) == pytest.approx(best_packing(circles))
    keys = [(-c.score, c.members) for c in selection.circles]
    assert keys == sorted(keys)


def test_groups_too_big_to_prove_get_greedy_improved_by_local_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(circles_module, "MAX_EXACT", 2)
    circles = [circle(0.9, "a", "b"), circle(0.8, "a", "c"), circle(0.8, "b", "d")]
    selection = select_circles(circles, time_limit_s=60)
    assert not selection.optimal  # not proven...
    assert ids(selection.circles) == [("a", "c"), ("b", "d")]  # ...but found by the swaps


@settings(max_examples=150, deadline=None)
@given(circle_sets())
def test_local_search_keeps_circles_disjoint_and_never_loses_to_greedy(
    circles: list[Circle],
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(circles_module, "MAX_EXACT", 1)
        chosen = choose_disjoint(circles, time_limit_s=60)
    used = [m for c in chosen for m in c.members]
    assert len(used) == len(set(used))
    greedy_total = sum(c.score for c in greedy_disjoint(circles))
    assert sum(c.score for c in chosen) >= greedy_total - 1e-9
    assert sum(c.score for c in chosen) <= best_packing(circles) + 1e-9
