"""What a post's words mean: tokens, stems, phrases and concepts, as weighted features.

Two posts written in different words still share features when they share meaning: "lift"
and "drive" both give the concept `ride`, "bikes" and "bicycle" both give `bicycle`. The
features are plain strings, so the index can put them in a sparse matrix:

- ``w:<stem>``: a word, stemmed (Snowball English), unless it is a stopword;
- ``p:<stems>``: a known phrase ("homework help"), whose words do not count separately;
- ``c:<concept>``: a concept from `vocabulary.CONCEPTS`, named or implied.

Weights here are term weights only (where the word was, and how directly it names the
concept); rarity (IDF) is the index's business, since it depends on the other posts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from itertools import chain
from operator import itemgetter
from typing import NamedTuple

import snowballstemmer

from . import vocabulary

TITLE_WEIGHT = 1.0  # the title is what the post is about
BODY_WEIGHT = 0.6  # the body adds detail, and noise
TAG_WEIGHT = 0.8
CONCEPT_WEIGHT = 1.0  # relative to the words that name it
PHRASE_WEIGHT = 0.8
IMPLIED_WEIGHT = 0.45  # "dog walking" is about pets, but less than "pet sitting" is

CACHE_LIMIT = 500_000  # distinct words remembered; a long-running app must not grow forever

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = re.compile(r"['\u2019\u2018`]")


def _ascii_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {
        code: (chr(code) if chr(code).isalnum() else " ") for code in range(128)
    }
    table[ord("'")] = table[ord("`")] = None  # "bike's" -> "bikes"
    return table


_ASCII = _ascii_table()


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased, apostrophes dropped ("bike's" -> "bikes") and
    accents folded ("café" -> "cafe"), as written (before stemming).

    Plain ASCII, nearly every post, takes a translate-and-split path about twice as quick
    as the regular expression.
    """
    text = text.lower()
    if text.isascii():
        return text.translate(_ASCII).split()
    text = unicodedata.normalize("NFKD", _APOSTROPHES.sub("", text))
    return _WORD.findall("".join(char for char in text if not unicodedata.combining(char)))


@dataclass(frozen=True, slots=True)
class Analysis:
    """A post's features: term weights (before IDF), and how each was written, for reasons."""

    weights: dict[str, float]
    surfaces: dict[str, str]


FIELDS = (TITLE_WEIGHT, BODY_WEIGHT, TAG_WEIGHT)


class _Meaning(NamedTuple):
    """What one written word, or one matched phrase, contributes (worked out once)."""

    stem: str
    terms: tuple[tuple[str, float], ...]  # (feature, weight before the field's weight)
    may_start_phrase: bool
    # the terms again with each field's weight applied, for the quick path
    in_title: tuple[tuple[str, float], ...]
    in_body: tuple[tuple[str, float], ...]
    in_tags: tuple[tuple[str, float], ...]


def _meaning(stem: str, terms: tuple[tuple[str, float], ...], may_start: bool) -> _Meaning:
    scaled = [tuple((feature, weight * field) for feature, weight in terms) for field in FIELDS]
    return _Meaning(stem, terms, may_start, *scaled)


_STEM = itemgetter(0)
_IN_FIELD = (itemgetter(3), itemgetter(4), itemgetter(5))
_WEIGHT = itemgetter(1)


def _terms(
    word: str | None, concepts: Iterable[str], implied: Iterable[str], phrase: str | None
) -> tuple[tuple[str, float], ...]:
    """A word (unless a stopword), the concepts it names, those they imply, and for a
    phrase its own feature; in that order, each with its weight."""
    found = [("w:" + word, 1.0)] if word else []
    found += [("c:" + concept, CONCEPT_WEIGHT) for concept in concepts]
    found += [("c:" + concept, IMPLIED_WEIGHT) for concept in implied]
    found += [("p:" + phrase, PHRASE_WEIGHT)] if phrase else []
    return tuple(found)


class Analyzer:
    """Turns text into features; built once from the vocabulary, then cheap to call.

    Phrases are tried before single words at each position, longest first, so "bike lift"
    (a rack) wins over the "lift" in "a lift to" (a ride). A phrase stands for its concept and
    for itself only; its words do not also count, which keeps "garden party" away from
    "gardening".
    """

    def __init__(
        self,
        concepts: dict[str, tuple[str, str]] | None = None,
        implies: dict[str, tuple[str, ...]] | None = None,
        neutral_phrases: str = vocabulary.NEUTRAL_PHRASES,
        stopwords: str = vocabulary.STOPWORDS,
    ) -> None:
        concepts = vocabulary.CONCEPTS if concepts is None else concepts
        self.combinations = [
            (("c:" + first, "c:" + second), "c:" + combined)
            for (first, second), combined in vocabulary.COMBINATIONS.items()
        ]
        self.implies = vocabulary.IMPLIES if implies is None else implies
        self.labels = {concept: label for concept, (label, _) in concepts.items()}
        self._stemmer = snowballstemmer.stemmer("english")
        self._stems: dict[str, str] = {}
        self._tokens: dict[str, _Meaning] = {}
        self.stopwords = frozenset(self.stem(word) for word in stopwords.split())
        self.stopwords |= frozenset(stopwords.split())
        self.word_concepts: dict[str, tuple[str, ...]] = {}
        phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for concept, (_, entries) in concepts.items():
            for entry in _entries(entries):
                stems = tuple(self.stem(word) for word in words(entry))
                if len(stems) == 1:
                    self.word_concepts[stems[0]] = _add(self.word_concepts.get(stems[0]), concept)
                elif stems:
                    phrases[stems] = _add(phrases.get(stems), concept)
        for entry in _entries(neutral_phrases):
            stems = tuple(self.stem(word) for word in words(entry))
            phrases.setdefault(stems, ())
        # first two stems -> (phrase, meaning) starting with them, longest first
        self.phrases: dict[tuple[str, str], list[tuple[tuple[str, ...], _Meaning]]] = {}
        for stems, found in sorted(phrases.items(), key=lambda item: -len(item[0])):
            phrase = " ".join(stems)
            meaning = _meaning(
                phrase, _terms(None, found, self._implied(found), phrase if found else None), False
            )
            self.phrases.setdefault(stems[:2], []).append((stems, meaning))
        self._starts = frozenset(first for first, _ in self.phrases)
        self._bigrams = frozenset(self.phrases)
        self.longest = max((len(stems) for stems in phrases), default=1)

    def stem(self, word: str) -> str:
        """Snowball English stem, cached: the stemmer is pure Python and slow for new words.

        Tokens with digits ("10am", reference codes) are not words and are kept as written.
        """
        stem = self._stems.get(word)
        if stem is None:
            if len(self._stems) >= CACHE_LIMIT:
                self._stems.clear()
                self._tokens.clear()
            stem = self._stemmer.stemWord(word) if word.isalpha() else word
            self._stems[word] = stem
        return stem

    def _implied(self, concepts: Iterable[str]) -> list[str]:
        return [implied for concept in concepts for implied in self.implies.get(concept, ())]

    def _token(self, token: str) -> _Meaning:
        """Everything about one written word, worked out once per distinct word."""
        known = self._tokens.get(token)
        if known is None:
            stem = self.stem(token)
            concepts = self.word_concepts.get(stem, ())
            plain = not (stem in self.stopwords or token in self.stopwords or token.isdigit())
            terms = _terms(stem if plain else None, concepts, self._implied(concepts), None)
            known = self._tokens[token] = _meaning(stem, terms, stem in self._starts)
        return known

    def _scan(
        self,
        text: str,
        field: float,
        weights: dict[str, float],
        surfaces: dict[str, str] | None,
    ) -> None:
        """Add what `text` says to `weights` and `surfaces` (the strongest mention wins).

        The hot loop of indexing, kept plain: everything about a word is looked up once, in
        `_token`, and a phrase is only tried where one may start.
        """
        tokens = words(text)
        known = self._tokens.get
        found = [known(token) or self._token(token) for token in tokens]
        position, end = 0, len(found)
        while position < end:
            meaning = found[position]
            size = 1
            if meaning.may_start_phrase and position + 1 < end:
                stems = tuple(m.stem for m in found[position : position + self.longest])
                for phrase, phrase_meaning in self.phrases.get(stems[:2], ()):
                    if stems[: len(phrase)] == phrase:
                        size, meaning = len(phrase), phrase_meaning
                        break
            for feature, weight in meaning.terms:
                weight *= field
                if weight > weights.get(feature, 0.0):
                    weights[feature] = weight
                    if surfaces is not None:  # how the strongest mention was written
                        surfaces[feature] = " ".join(tokens[position : position + size])
            position += size

    def _quick(self, text: str, field: int, out: list[tuple[str, float]]) -> None:
        """`_scan` without the surfaces, its loops pushed into C (map, set, chain), for
        indexing: only a text with a known phrase's first two words takes the slow road."""
        tokens = words(text)
        found = list(map(self._tokens.get, tokens))
        if None in found:
            found = [
                meaning or self._token(token) for meaning, token in zip(found, tokens, strict=True)
            ]
        stems = list(map(_STEM, found))
        if not self._bigrams.isdisjoint(zip(stems, stems[1:], strict=False)):
            found = self._with_phrases(found, stems)
        out.extend(chain.from_iterable(map(_IN_FIELD[field], found)))

    def _with_phrases(self, found: list[_Meaning], stems: list[str]) -> list[_Meaning]:
        merged = []
        position, end = 0, len(found)
        while position < end:
            meaning = found[position]
            size = 1
            if meaning.may_start_phrase and position + 1 < end:
                window = tuple(stems[position : position + self.longest])
                for phrase, phrase_meaning in self.phrases.get(window[:2], ()):
                    if window[: len(phrase)] == phrase:
                        size, meaning = len(phrase), phrase_meaning
                        break
            merged.append(meaning)
            position += size
        return merged

    def analyse(
        self, title: str, body: str = "", tags: Iterable[str] = (), surfaces: bool = True
    ) -> Analysis:
        """Features of a post, each at the strongest weight it appears with (not a count:
        a long body repeating a word must not outweigh a short title naming it once).

        `surfaces=False` skips recording how each feature was written (which only reasons
        need) and takes the quick path, about twice as fast.
        """
        tag_text = " , ".join(tags)
        if not surfaces:
            terms: list[tuple[str, float]] = []
            self._quick(title, 0, terms)
            if body:
                self._quick(body, 1, terms)
            if tag_text:
                self._quick(tag_text, 2, terms)
            terms.sort(key=_WEIGHT)  # the strongest last, so it is the one kept
            return self._combined(Analysis(dict(terms), {}))
        weights: dict[str, float] = {}
        written: dict[str, str] = {}
        self._scan(title, TITLE_WEIGHT, weights, written)
        if body:
            self._scan(body, BODY_WEIGHT, weights, written)
        if tag_text:
            self._scan(tag_text, TAG_WEIGHT, weights, written)
        return self._combined(Analysis(weights, written))

    def _combined(self, analysis: Analysis) -> Analysis:
        """Apply `vocabulary.COMBINATIONS`: the pair's weaker weight goes to the combined
        concept, which takes the place of the second concept of the pair."""
        weights, surfaces = analysis.weights, analysis.surfaces
        for (first, second), combined in self.combinations:
            if first in weights and second in weights:
                weight = min(weights[first], weights.pop(second))
                surface = surfaces.pop(second, None)
                if weight > weights.get(combined, 0.0):
                    weights[combined] = weight
                    if surface is not None:
                        surfaces[combined] = surface
        return analysis

    def same_words(self, surface: str, analysis: Analysis) -> bool:
        """Whether `analysis` uses the very words `surface` (a word or phrase) stands for."""
        stems = [self.stem(token) for token in words(surface)]
        feature = ("w:" if len(stems) == 1 else "p:") + " ".join(stems)
        return feature in analysis.weights


def _entries(text: str) -> list[str]:
    return [entry.strip() for entry in text.split(",") if entry.strip()]


def _add(found: tuple[str, ...] | None, concept: str) -> tuple[str, ...]:
    found = found or ()
    return found if concept in found else (*found, concept)


@cache
def default_analyzer() -> Analyzer:
    """The analyzer over the shipped vocabulary, built once per process."""
    return Analyzer()


def _category_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for key, (label, names) in vocabulary.CATEGORIES.items():
        for name in (key, label, *names):
            aliases[" ".join(words(name))] = key
    return aliases


_CATEGORY_ALIASES = _category_aliases()


def canonical_category(name: str | None) -> str | None:
    """The app's category key for a name as a spreadsheet might give it ("Transport",
    "lifts"); an unknown name is kept (normalised), so two files using it still agree."""
    if name is None:
        return None
    plain = " ".join(words(name))
    if not plain:
        return None
    return _CATEGORY_ALIASES.get(plain, plain)


def category_label(key: str) -> str:
    known = vocabulary.CATEGORIES.get(key)
    return known[0] if known else key
