"""Suggest: each signal, each hard rule, calibration, reasons, and the index mechanics."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commons.matching import signals
from commons.matching.records import (
    Context,
    Need,
    Offer,
    Slot,
    availability_conflict,
    pair_allowed,
    parse_slot,
    slots_overlap,
    trust_from_exchanges,
)
from commons.matching.suggest import (
    WORDS,
    NeedIndex,
    OfferIndex,
    mask_words,
    suggest_all,
    week_masks,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
HOME = (53.4850, -2.2400)


def offer(id: str, title: str, **fields) -> Offer:
    fields.setdefault("lat", HOME[0])
    fields.setdefault("lon", HOME[1])
    fields.setdefault("community", "north")
    fields.setdefault("member", f"m-{id}")
    return Offer(id=id, title=title, **fields)


def need(id: str, title: str, **fields) -> Need:
    fields.setdefault("lat", HOME[0] + 0.005)
    fields.setdefault("lon", HOME[1])
    fields.setdefault("community", "north")
    fields.setdefault("member", f"m-{id}")
    return Need(id=id, title=title, **fields)


def context(**fields) -> Context:
    return Context(now=NOW, **fields)


# A small town to pick from: a few offers on different things, with distractors.
TOWN = [
    offer("bikes", "Bicycle repairs and servicing", body="Punctures, brakes and gears."),
    offer("driver", "Happy to drive you to hospital appointments"),
    offer("tutor", "Retired maths teacher offering tutoring"),
    offer("garden", "Gardening help: weeding and pruning", category="gardening"),
    offer("ladder", "Ladder to lend", category="tools"),
    offer("cakes", "I bake cakes for birthdays", category="food"),
]


def ranked(need_: Need, offers: list[Offer] | None = None, **rules) -> list[str]:
    return [m.offer for m in OfferIndex(offers or TOWN, context(**rules)).top(need_, 10)]


def score_of(offer_: Offer, need_: Need, **rules) -> float:
    found = {m.offer: m for m in OfferIndex([offer_], context(**rules)).top(need_, 1)}
    return found[offer_.id].score if offer_.id in found else 0.0


# --- weekly slots (the contract assign and mentors rely on) -------------------------------


def test_parse_slot() -> None:
    assert parse_slot("mon 18:00-20:00") == Slot(0, 18 * 60, 20 * 60)
    assert parse_slot(" Sunday 9:30 - 24:00 ") == Slot(6, 9 * 60 + 30, 24 * 60)
    assert str(parse_slot("tues 07:05-08:00")) == "tue 07:05-08:00"


@pytest.mark.parametrize(
    "text", ["mon", "funday 10:00-11:00", "mon 20:00-18:00", "mon 10:00-10:00", "mon 25:00-26:00",
             "mon 10:60-11:00", "mon 10-11", ""],
)  # fmt: skip
def test_parse_slot_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="slot"):
        parse_slot(text)


def test_slots_overlap_needs_a_shared_minute() -> None:
    evening, later = parse_slot("tue 18:00-20:00"), parse_slot("tue 19:30-21:00")
    assert slots_overlap([evening], [later])
    assert not slots_overlap([evening], [parse_slot("tue 20:00-21:00")])  # touching
    assert not slots_overlap([evening], [parse_slot("wed 18:00-20:00")])
    assert not slots_overlap([], [evening]) and not slots_overlap([evening], [])


SLOTS = st.builds(
    lambda day, start, length: Slot(day, start, min(start + length, 24 * 60)),
    st.integers(0, 6),
    st.integers(0, 24 * 60 - 1),
    st.integers(1, 300),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(SLOTS, max_size=3), st.lists(SLOTS, max_size=3))
def test_week_masks_agree_with_slots_overlap(a: list[Slot], b: list[Slot]) -> None:
    """The index's half-hour masks may only be unsure, never wrong: sure answers must agree."""
    words = WORDS
    ma, mb = mask_words([week_masks(a), week_masks(b)])
    touch = bool((ma[:words] & mb[:words]).any())
    sure = bool(((ma[words:] & mb[:words]) | (ma[:words] & mb[words:])).any())
    overlap = slots_overlap(a, b)
    assert not sure or overlap
    assert touch or not overlap


@settings(max_examples=150, deadline=None)
@given(st.lists(SLOTS, min_size=1, max_size=3), st.lists(SLOTS, min_size=1, max_size=3))
def test_the_index_ranks_clashing_slots_exactly(a: list[Slot], b: list[Slot]) -> None:
    ladder = offer("o", "Ladder to lend", available=tuple(a))
    wanted = need("n", "Need a ladder", available=tuple(b))
    found = OfferIndex([ladder], context()).top(wanted, 1)
    clash = "no shared free time" in found[0].reasons
    assert clash == (not slots_overlap(a, b))


def test_trust_from_exchanges_saturates() -> None:
    assert trust_from_exchanges(0) == 0
    assert trust_from_exchanges(5) == 0.5
    assert 0.9 < trust_from_exchanges(100) < 1


# --- records refuse bad values -------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"id": ""},
        {"title": " "},
        {"lat": 91.0, "lon": 0.0},
        {"lat": 1.0},
        {"lon": 200.0, "lat": 0.0},
        {"capacity": 0},
        {"trust": 2.0},
        {"available": ("mon 9-10",)},
        {"tags": "bikes"},
    ],
)
def test_records_refuse_bad_values(fields: dict) -> None:
    with pytest.raises(ValueError):
        Offer(**{"id": "o", "title": "Ladder", **fields})


# --- signals -------------------------------------------------------------------------------


def test_text_meaning_not_only_shared_words() -> None:
    assert ranked(need("n", "Can someone fix my bike?"))[0] == "bikes"
    assert ranked(need("n", "Need a lift to the clinic"))[0] == "driver"
    assert ranked(need("n", "Homework help for my son"))[0] == "tutor"


def test_rare_words_count_more_than_common_ones() -> None:
    offers = [offer(f"o{i}", "Garden help", body="weeding") for i in range(5)]
    offers.append(offer("rare", "Garden help", body="topiary"))
    assert ranked(need("n", "topiary and garden"), offers)[0] == "rare"


def test_category_breaks_a_tie() -> None:
    same = offer("same", "Ladder to lend", category="tools")
    other = offer("other", "Ladder to lend", category="household")
    wanted = need("n", "Need a ladder", category="tools")
    assert ranked(wanted, [other, same]) == ["same", "other"]
    assert signals.category_signal("tools", "other") == signals.CATEGORY_UNKNOWN


def test_shared_tags_raise_the_score() -> None:
    plain = offer("plain", "Happy to help out")
    tagged = offer("tagged", "Happy to help out", tags=("ladder",))
    wanted = need("n", "Borrow a ladder", tags=("ladder",))
    assert score_of(tagged, wanted) > score_of(plain, wanted)


def test_nearer_ranks_first_and_says_how_far() -> None:
    near = offer("near", "Ladder to lend", lat=HOME[0] + 0.01)
    far = offer("far", "Ladder to lend", lat=HOME[0] + 0.5)
    wanted = need("n", "Need a ladder", lat=HOME[0], lon=HOME[1])
    found = OfferIndex([far, near], context()).top(wanted, 2)
    assert [m.offer for m in found] == ["near", "far"]
    assert "1.1 km apart" in found[0].reasons and "56 km apart" in found[1].reasons


def test_proximity_falls_with_distance() -> None:
    near, mid, far = signals.proximity([0.5, 5, 50])
    assert 1 > near > mid > far > 0
    assert float(signals.proximity(float("nan"))) == signals.PROXIMITY_UNKNOWN


def test_same_community_before_linked() -> None:
    home = offer("home", "Ladder to lend", community="north")
    linked = offer("linked", "Ladder to lend", community="south")
    wanted = need("n", "Need a ladder", community="north")
    found = OfferIndex([linked, home], context(links={frozenset(("north", "south"))}))
    matches = found.top(wanted, 2)
    assert [m.offer for m in matches] == ["home", "linked"]
    assert "linked community" in matches[1].reasons
    assert "linked community" not in matches[0].reasons


def test_shared_free_time_ranks_first_and_says_when() -> None:
    free = offer("free", "Ladder to lend", available=("tue 18:00-21:00",))
    unknown = offer("unknown", "Ladder to lend")
    wanted = need("n", "Need a ladder", available=("tue 19:00-20:00", "sat 10:00-12:00"))
    matches = OfferIndex([unknown, free], context()).top(wanted, 2)
    assert [m.offer for m in matches] == ["free", "unknown"]
    assert "both free on Tuesday evenings" in matches[0].reasons


def test_clashing_slots_rank_below_every_pair_that_can_meet() -> None:
    """Even a far better text match: it could never happen, so it goes last."""
    clash = offer("clash", "Tall ladder to lend, extending ladder", available=("mon 09:00-10:00",))
    weak = offer("weak", "Ladders", available=("fri 09:00-10:00",), lat=HOME[0] + 0.3)
    wanted = need("n", "Need a tall extending ladder", available=("fri 09:00-12:00",))
    matches = OfferIndex([clash, weak], context()).top(wanted, 2)
    assert [m.offer for m in matches] == ["weak", "clash"]
    assert matches[0].score < matches[1].score
    assert "no shared free time" in matches[1].reasons
    assert availability_conflict(clash, wanted) and not availability_conflict(weak, wanted)


def test_trust_raises_the_score() -> None:
    new = offer("new", "Ladder to lend", trust=0.0)
    trusted = offer("trusted", "Ladder to lend", trust=0.9)
    wanted = need("n", "Need a ladder")
    assert score_of(trusted, wanted) > score_of(new, wanted)
    assert ranked(wanted, [new, trusted])[0] == "trusted"


def test_scores_stay_in_range() -> None:
    for text in [0, 0.2, 1]:
        for category in [-1, 0, 1]:
            low = signals.combine(text, category, 0, 0, 0, 0)
            high = signals.combine(text, category, 1, 1, 1, 1)
            assert 0 <= low <= high <= 1


def test_the_vectorised_score_is_the_scalar_one() -> None:
    """The index scores thousands of pairs at once; one pair at a time must agree (to the
    index's chord approximation of distance)."""
    wanted = need("n", "Bike brakes squeak", category="repairs", available=("mon 10:00-12:00",))
    index = OfferIndex(TOWN, context())
    analysis = index.analyzer.analyse(wanted.title)
    found = index.top(wanted, 10)
    assert found
    for match in found:
        chosen = next(o for o in TOWN if o.id == match.offer)
        other = index.analyzer.analyse(chosen.title, chosen.body, chosen.tags)
        text, _ = signals.text_similarity(analysis, other, index.vocabulary.idf_of)
        assert match.score == pytest.approx(signals.pair_score(chosen, wanted, text), abs=1e-4)


# --- hard rules ----------------------------------------------------------------------------


PERFECT = offer("perfect", "Ladder to lend", body="Tall extending ladder")
WANTED = need("n", "Need a tall extending ladder")


def test_never_across_unlinked_communities() -> None:
    elsewhere = replace(PERFECT, community="south")
    assert ranked(WANTED, [elsewhere]) == []
    assert ranked(WANTED, [elsewhere], links={frozenset(("north", "south"))}) == ["perfect"]
    assert ranked(replace(WANTED, community=None), [elsewhere]) == ["perfect"]


def test_never_ones_own_post() -> None:
    mine = replace(PERFECT, member=WANTED.member)
    assert ranked(WANTED, [mine]) == []


def test_never_with_a_blocked_member_either_way() -> None:
    blocked = {frozenset((PERFECT.member, WANTED.member))}
    assert ranked(WANTED, [PERFECT], blocked=blocked) == []
    assert NeedIndex([WANTED], context(blocked=blocked)).top(PERFECT) == []


@pytest.mark.parametrize(
    "change",
    [{"hidden": True}, {"status": "closed"}, {"status": "fulfilled"},
     {"expires_at": NOW - timedelta(minutes=1)}],
)  # fmt: skip
def test_never_hidden_closed_or_expired(change: dict) -> None:
    assert ranked(WANTED, [replace(PERFECT, **change)]) == []
    assert OfferIndex([PERFECT], context()).top(replace(WANTED, **change)) == []
    assert ranked(WANTED, [replace(PERFECT, expires_at=NOW + timedelta(days=1))]) == ["perfect"]


def test_hard_rules_beat_any_score_in_bulk_too() -> None:
    offers = [
        replace(PERFECT, id="own", member=WANTED.member),
        replace(PERFECT, id="blocked", member="enemy"),
        replace(PERFECT, id="far-community", community="south"),
        replace(PERFECT, id="hidden", hidden=True),
        replace(PERFECT, id="fine", member="friend"),
    ]
    rules = context(blocked={frozenset(("enemy", WANTED.member))})
    (matches,) = suggest_all([WANTED], offers, rules, 10)
    assert [m.offer for m in matches] == ["fine"]
    assert all(pair_allowed(o, WANTED, rules) == (o.id == "fine") for o in offers)


# --- calibration and reasons ---------------------------------------------------------------


def test_a_good_match_is_confident() -> None:
    found = OfferIndex(TOWN, context()).top(need("n", "My bicycle has a puncture"), 1)
    assert found[0].offer == "bikes" and found[0].score > 0.6


def test_no_good_match_scores_low() -> None:
    for text in ["Chimney sweep needed", "Tickets for the football", "Garden party on Saturday"]:
        found = OfferIndex(TOWN, context()).top(need("n", text), 3)
        assert all(m.score < 0.5 for m in found), (text, found)


def test_relevance_is_even_odds_at_the_midpoint() -> None:
    assert float(signals.relevance(signals.TEXT_MIDPOINT, 0)) == pytest.approx(0.5)
    assert float(signals.relevance(0.0, 0)) < 0.15 < 0.85 < float(signals.relevance(0.4, 1))


def test_reasons_are_short_sentences() -> None:
    (match,) = OfferIndex(TOWN, context()).top(need("n", "Bike repairs, brakes please"), 1)
    assert match.reasons[:2] == (
        "both mention repairs and brakes",
        "\u201cbike\u201d matches \u201cbicycle\u201d",
    )
    (match,) = OfferIndex(TOWN, context()).top(need("n", "A lift to the station"), 1)
    assert match.reasons[0] == "\u201ca lift\u201d matches \u201cdrive you\u201d"
    assert all(len(reason) < 80 for reason in match.reasons)


def test_shared_free_time_words() -> None:
    a = [parse_slot("tue 18:00-21:00"), parse_slot("sat 09:00-11:00")]
    b = [parse_slot("tue 19:00-20:00"), parse_slot("sat 10:00-13:00")]
    assert signals.shared_free_time(a, b) == ["Tuesday evenings", "Saturday mornings"]


# --- the index -----------------------------------------------------------------------------


def test_top_is_best_first_and_at_most_k() -> None:
    offers = [offer(f"o{i}", "Ladder to lend", lat=HOME[0] + i / 100) for i in range(20)]
    found = OfferIndex(offers, context()).top(replace(WANTED, lat=HOME[0]), 5)
    assert [m.offer for m in found] == ["o0", "o1", "o2", "o3", "o4"]
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert OfferIndex(offers, context()).top(WANTED, 0) == []


def test_need_index_is_the_mirror() -> None:
    needs = [need("ladder", "Need a ladder"), need("lift", "Lift to the clinic please")]
    found = NeedIndex(needs, context()).top(offer("o", "Happy to drive people"), 5)
    assert [m.need for m in found] == ["lift"] and found[0].offer == "o"


def test_an_empty_index_and_a_wordless_post() -> None:
    assert OfferIndex([], context()).top(WANTED) == []
    assert OfferIndex(TOWN, context()).top(need("n", "Hi!")) == []


def test_common_words_are_ignored_at_scale() -> None:
    offers = [offer(f"o{i}", f"Handmade item {i}") for i in range(300)]
    index = OfferIndex(offers, context())
    assert index.vocabulary.idf_of("w:handmad") is None
    assert index.vocabulary.idf_of("w:ladder") == index.vocabulary.unseen_idf


def test_bulk_agrees_with_the_index_and_keeps_input_order() -> None:
    needs = [need("a", "Bike brakes"), need("b", "Chimney sweep"), need("c", "Need a lift")]
    bulk = suggest_all(needs, TOWN, context(), 3)
    index = OfferIndex(TOWN, context())
    assert len(bulk) == 3 and bulk[1] == []
    for wanted, matches in zip(needs, bulk, strict=True):
        assert matches == index.top(wanted, 3)
    assert list(bulk.pairs()) == [(m.need, m.offer, m.score) for ms in bulk for m in ms]


# --- purity --------------------------------------------------------------------------------


def test_the_engine_imports_neither_flask_nor_sqlalchemy() -> None:
    """In a fresh interpreter, with `commons` itself stubbed: its __init__ builds the app."""
    code = (
        "import sys, types\n"
        f"package = types.ModuleType('commons'); package.__path__ = [{str(ROOT / 'commons')!r}]\n"
        "sys.modules['commons'] = package\n"
        "import commons.matching, commons.matching.suggest, commons.matching.fileio\n"
        "import commons.matching.signals, commons.matching.text\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('flask', 'sqlalchemy')"
        " or (n.startswith('commons.') and not n.startswith('commons.matching')))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_module_of_the_engine_imports_the_app() -> None:
    for path in (ROOT / "commons" / "matching").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = ["." * node.level + (node.module or "")]
            for name in names:
                assert not name.startswith(("flask", "sqlalchemy", "..", "commons.")) or (
                    name.startswith("commons.matching")
                ), f"{path.name} imports {name}"
