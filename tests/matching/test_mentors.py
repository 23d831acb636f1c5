"""Mentor fit: each hard rule, the reasons, and a capacity-respecting optimal round."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commons.matching.mentors import (
    Goal,
    Mentor,
    assign_learners,
    mentor_fit,
    shared_time,
    token_overlap,
)
from commons.matching.records import Slot, parse_slot, slots_overlap


def mentor(id: str = "t1", member: str = "maria", **fields: object) -> Mentor:
    fields.setdefault("topics", ("guitar",))
    return Mentor(id=id, member=member, **fields)  # type: ignore[arg-type]


def goal(id: str = "g1", learner: str = "lukas", **fields: object) -> Goal:
    fields.setdefault("topic", "guitar")
    return Goal(id=id, learner=learner, **fields)  # type: ignore[arg-type]


def fit_ids(g: Goal, mentors: list[Mentor], **options: object) -> list[str]:
    return [match.mentor for match in mentor_fit(g, mentors, **options)]  # type: ignore[arg-type]


def test_a_mentor_who_teaches_the_topic_fits() -> None:
    [match] = mentor_fit(goal(), [mentor()])
    assert match.mentor == "t1" and match.goal == "g1"
    assert 0 < match.score <= 1
    assert "teaches guitar" in match.reasons


def test_topic_is_required() -> None:
    assert fit_ids(goal(topic="welsh"), [mentor()]) == []


def test_default_topic_similarity_ignores_case_and_plurals() -> None:
    assert token_overlap("Guitar lessons", "guitar lesson") == 1.0
    assert token_overlap("guitar", "jazz guitar") == pytest.approx(2 / 3)
    assert token_overlap("guitar", "cooking") == 0.0
    assert fit_ids(goal(topic="Guitars"), [mentor()]) == ["t1"]


def test_a_custom_topic_similarity_is_used() -> None:
    def similar(a: str, b: str) -> float:
        return 0.9 if {a, b} == {"lift", "driving"} else float(a == b)

    m = mentor(topics=("driving",))
    assert fit_ids(goal(topic="lift"), [m]) == []
    assert fit_ids(goal(topic="lift"), [m], topic_similarity=similar) == ["t1"]


def test_never_the_learner_themself() -> None:
    assert fit_ids(goal(learner="maria"), [mentor(member="maria")]) == []


def test_never_a_blocked_pair_either_way() -> None:
    blocked = {frozenset({"lukas", "maria"})}
    assert fit_ids(goal(), [mentor()], blocked=blocked) == []
    assert fit_ids(goal(), [mentor(member="other")], blocked=blocked) == ["t1"]


def test_never_across_unlinked_communities() -> None:
    m = mentor(community="north")
    assert fit_ids(goal(community="north"), [m]) == ["t1"]
    assert fit_ids(goal(community="south"), [m]) == []
    assert fit_ids(goal(community="south"), [m], links={frozenset({"north", "south"})}) == ["t1"]
    assert fit_ids(goal(community=None), [m]) == ["t1"]  # no community: no restriction


def test_never_a_mentor_without_a_free_place() -> None:
    assert fit_ids(goal(), [mentor(capacity=2, active_learners=2)]) == []
    assert fit_ids(goal(), [mentor(capacity=0)]) == []
    [match] = mentor_fit(goal(), [mentor(capacity=3, active_learners=1)])
    assert "has room for 2 more learners" in match.reasons


def test_no_shared_language_excludes_but_a_silent_side_does_not() -> None:
    m = mentor(languages=("pl", "de"))
    assert fit_ids(goal(languages=("en",)), [m]) == []
    [match] = mentor_fit(goal(languages=("English", "Polish")), [m])
    assert "speaks Polish" in match.reasons
    assert fit_ids(goal(languages=()), [m]) == ["t1"]
    assert fit_ids(goal(languages=("en",)), [mentor(languages=())]) == ["t1"]


def test_format_must_be_offered() -> None:
    online_only = mentor(formats=("online",))
    assert fit_ids(goal(format="in_person"), [online_only]) == []
    [match] = mentor_fit(goal(format="online"), [online_only])
    assert "online suits you both" in match.reasons
    assert fit_ids(goal(format=None), [online_only]) == ["t1"]


def test_in_person_only_and_far_apart_is_excluded() -> None:
    far = mentor(formats=("in_person",), lat=51.5, lon=-0.1)  # London
    near = mentor(id="t2", member="jo", formats=("in_person",), lat=51.51, lon=-0.1)
    learner = goal(lat=51.5, lon=-0.12)
    assert fit_ids(goal(lat=53.48, lon=-2.24), [far]) == []  # Manchester
    assert fit_ids(goal(lat=53.48, lon=-2.24, format="online"), [mentor()]) == ["t1"]
    [first, second] = mentor_fit(learner, [far, near])
    assert any(reason.endswith("km apart") for reason in first.reasons)
    assert {first.mentor, second.mentor} == {"t1", "t2"}


def test_no_overlapping_slot_excludes_when_both_give_slots() -> None:
    evenings = mentor(available=("mon 18:00-20:00",))
    assert fit_ids(goal(available=("tue 18:00-20:00",)), [evenings]) == []
    assert fit_ids(goal(available=("mon 20:00-21:00",)), [evenings]) == []  # touching only
    [match] = mentor_fit(goal(available=("mon 19:30-21:00",)), [evenings])
    assert "free on Monday evenings" in match.reasons
    assert fit_ids(goal(available=()), [evenings]) == ["t1"]


def test_a_better_fit_ranks_first_and_scores_stay_in_range() -> None:
    good = mentor(
        id="good",
        member="a",
        levels=("beginner",),
        trust=0.9,
        capacity=3,
        available=("sat 10:00-12:00",),
        community="north",
    )
    plain = mentor(id="plain", member="b", levels=("advanced",), community="south")
    close = mentor(id="close", member="c", topics=("jazz guitar",), community="north")
    learner = goal(available=("sat 11:00-13:00",), community="north")
    matches = mentor_fit(learner, [plain, close, good], links={frozenset({"north", "south"})})
    assert [m.mentor for m in matches][0] == "good"
    assert all(0 <= m.score <= 1 for m in matches)
    assert "works with beginners" in matches[0].reasons
    assert "in your community" in matches[0].reasons


def test_top_limits_and_ties_go_by_mentor_id() -> None:
    mentors = [mentor(id=f"t{i}", member=f"m{i}") for i in (3, 1, 2)]
    assert fit_ids(goal(), mentors) == ["t1", "t2", "t3"]
    assert fit_ids(goal(), mentors, top=2) == ["t1", "t2"]


def test_records_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        mentor(formats=("carrier pigeon",))
    with pytest.raises(ValueError):
        goal(level="wizard")
    with pytest.raises(ValueError):
        mentor(topics="guitar")
    with pytest.raises(ValueError):
        goal(lat=51.0)
    assert mentor(available=("mon 18:00-20:00",)).available == (parse_slot("mon 18:00-20:00"),)


def test_assign_learners_respects_capacity_and_maximises_the_total() -> None:
    busy = mentor(
        id="busy", member="a", capacity=2, active_learners=1, topics=("jazz guitar", "piano")
    )
    spare = mentor(id="spare", member="b", topics=("piano",), levels=("advanced",))
    goals = [goal("g1", "x", topic="guitar"), goal("g2", "y", topic="piano")]
    # Best pair first would give "busy" (the better piano fit) to g2, leaving g1 with nobody.
    [to_g1] = mentor_fit(goals[0], [busy, spare])
    best_for_g2 = mentor_fit(goals[1], [busy, spare])
    assert best_for_g2[0].mentor == "busy" and best_for_g2[0].score > to_g1.score
    result = assign_learners(goals, [busy, spare])
    assert {(m.goal, m.mentor) for m in result} == {("g1", "busy"), ("g2", "spare")}
    assert [m.goal for m in result] == ["g1", "g2"]
    assert sum(m.score for m in result) > best_for_g2[0].score


def test_assign_learners_rejects_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="duplicate goal"):
        assign_learners([goal("g1"), goal("g1")], [mentor()])


def brute_force(goals: list[Goal], mentors: list[Mentor]) -> float:
    """Every way of giving each goal one of its fitting mentors or none, within capacity."""
    fits = {g.id: {m.mentor: m.score for m in mentor_fit(g, mentors, top=None)} for g in goals}
    free = {m.id: m.free for m in mentors}
    best = 0.0
    for choice in itertools.product(*[[None, *fits[g.id]] for g in goals]):
        load = Counter(m for m in choice if m is not None)
        if all(count <= free[m] for m, count in load.items()):
            best = max(best, sum(fits[g.id][m] for g, m in zip(goals, choice, strict=True) if m))
    return best


TOPICS = ["guitar", "piano", "jazz guitar", "welsh"]


@st.composite
def cohorts(draw: st.DrawFn) -> tuple[list[Goal], list[Mentor]]:
    people = [f"p{i}" for i in range(5)]
    mentors = [
        Mentor(
            id=f"t{i}",
            member=draw(st.sampled_from(people)),
            topics=tuple(draw(st.lists(st.sampled_from(TOPICS), min_size=1, max_size=2))),
            capacity=draw(st.integers(0, 3)),
            active_learners=draw(st.integers(0, 1)),
            trust=draw(st.sampled_from([0.0, 0.5, 1.0])),
            levels=tuple(draw(st.lists(st.sampled_from(["beginner", "advanced"]), max_size=1))),
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    goals = [
        Goal(
            id=f"g{i}",
            learner=draw(st.sampled_from(people)),
            topic=draw(st.sampled_from(TOPICS)),
            level=draw(st.sampled_from(["beginner", "advanced"])),
        )
        for i in range(draw(st.integers(1, 5)))
    ]
    return goals, mentors


@settings(max_examples=150, deadline=None)
@given(cohorts())
def test_assign_learners_is_optimal_against_brute_force(case: tuple) -> None:
    goals, mentors = case
    result = assign_learners(goals, mentors)
    free = {m.id: m.free for m in mentors}
    for mentor_id, count in Counter(m.mentor for m in result).items():
        assert count <= free[mentor_id]
    assert len({m.goal for m in result}) == len(result)
    learners = {g.id: g.learner for g in goals}
    members = {m.id: m.member for m in mentors}
    assert all(learners[m.goal] != members[m.mentor] for m in result)
    assert sum(m.score for m in result) == pytest.approx(brute_force(goals, mentors), abs=1e-9)


slot_lists = st.lists(
    st.builds(
        lambda day, start, length: Slot(day, start, min(start + length, 1440)),
        st.integers(0, 2),
        st.integers(0, 1439),
        st.integers(1, 300),
    ),
    max_size=3,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(slot_lists, min_size=1, max_size=4), st.lists(slot_lists, min_size=1, max_size=4))
def test_shared_time_agrees_with_slots_overlap(a: list, b: list) -> None:
    ia = np.repeat(np.arange(len(a)), len(b))
    ib = np.tile(np.arange(len(b)), len(a))
    expected = [slots_overlap(a[i], b[j]) for i, j in zip(ia, ib, strict=True)]
    assert shared_time(a, b, ia, ib).tolist() == expected
