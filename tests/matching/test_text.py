"""Words to features: tokens, stems, synonyms, phrases and the traps they defuse."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from commons.matching.text import (
    Analyzer,
    canonical_category,
    category_label,
    default_analyzer,
    words,
)


def features(text: str) -> set[str]:
    return set(default_analyzer().analyse(text).weights)


def concepts(text: str) -> set[str]:
    return {feature[2:] for feature in features(text) if feature.startswith("c:")}


def test_words_fold_case_apostrophes_accents_and_punctuation() -> None:
    assert words("Bike's brakes_ok; Café’s crème-brûlée 10am!") == [
        "bikes", "brakes", "ok", "cafes", "creme", "brulee", "10am",
    ]  # fmt: skip


def test_stems_join_forms_of_a_word() -> None:
    assert "w:repair" in features("repairs") & features("repairing")
    assert "w:bike" in features("bikes") & features("biking")


def test_stopwords_and_numbers_are_not_features() -> None:
    assert features("Hi neighbours, I need some help please! Thanks x 10") == {"w:x"}


def test_synonyms_share_a_concept() -> None:
    assert "bicycle" in concepts("bicycle") & concepts("my bike")
    assert "ride" in concepts("happy to drive you") & concepts("need a lift to the clinic")
    assert "tutoring" in concepts("homework help") & concepts("maths tutor")
    assert "computer" in concepts("laptop") & concepts("PC")


def test_a_phrase_stands_for_its_meaning_not_its_words() -> None:
    assert concepts("bike lift for the car") & concepts("a lift to the station") == set()
    assert "bike_carrier" in concepts("bike lift")
    assert concepts("garden party") & concepts("gardening help") == set()
    assert "w:garden" not in features("garden party")
    assert "ride" not in concepts("hard drive died")
    assert "ride" not in concepts("horse riding lessons")


def test_a_neutral_phrase_means_nothing() -> None:
    assert features("in my spare time") == set()
    assert "moving" not in concepts("I work night shifts")


def test_implied_concepts_weigh_less() -> None:
    weights = default_analyzer().analyse("dog walking").weights
    assert weights["c:dog_walking"] == 1.0
    assert 0 < weights["c:dog"] < weights["c:dog_walking"]


def test_combinations_make_a_specific_concept() -> None:
    assert "dog_walking" in concepts("walk my spaniel")
    assert "walking_exercise" not in concepts("walk my spaniel")
    assert "walking_exercise" in concepts("a walk round the park")


def test_fields_weigh_title_over_tags_over_body() -> None:
    analysis = default_analyzer().analyse("ladder", "drill", ["saw"])
    assert analysis.weights["w:ladder"] > analysis.weights["w:saw"] > analysis.weights["w:drill"]


def test_the_strongest_mention_wins_not_the_count() -> None:
    once = default_analyzer().analyse("ladder").weights["w:ladder"]
    often = default_analyzer().analyse("ladder", "ladder ladder ladder").weights["w:ladder"]
    assert once == often


def test_surfaces_say_how_a_feature_was_written() -> None:
    analysis = default_analyzer().analyse("Need a lift to the clinic", tags=["Dogs"])
    assert analysis.surfaces["c:ride"] == "need a lift"
    assert analysis.surfaces["w:dog"] == "dogs"


def test_a_custom_vocabulary() -> None:
    analyzer = Analyzer(concepts={"boat": ("boats", "dinghy, canoe, rowing boat")}, implies={})
    assert analyzer.analyse("canoe").weights == {"c:boat": 1.0, "w:cano": 1.0}
    assert "c:boat" in analyzer.analyse("a rowing boat").weights


def test_categories_are_canonical() -> None:
    assert canonical_category("Transport") == "transport"
    assert canonical_category("lifts") == "transport"
    assert canonical_category("Tools & equipment") == "tools"
    assert canonical_category("  Bee keeping ") == "bee keeping"
    assert canonical_category(None) is None and canonical_category(" ") is None
    assert category_label("care") == "Care & companionship"


# words the vocabulary knows (phrases, combinations, stopwords) mixed with letters and
# punctuation, so examples hit phrases, half phrases and the slow path
PIECES = ["a", "lift", "to", "bike", "dog", "walk", "garden", "party", "spare", "time", "my"]
TEXT = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(alphabet="abdeilnorstwy'’,.-é ", max_size=6)),
    max_size=12,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(title=TEXT, body=TEXT, tags=st.lists(TEXT, max_size=3))
def test_the_quick_path_agrees_with_the_explaining_one(
    title: str, body: str, tags: list[str]
) -> None:
    analyzer = default_analyzer()
    quick = analyzer.analyse(title, body, tags, surfaces=False)
    full = analyzer.analyse(title, body, tags)
    assert quick.weights == full.weights
    assert set(full.surfaces) == set(full.weights)
