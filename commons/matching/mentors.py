"""Mentor fit: which mentors suit a learner's goal, and who mentors whom in a round.

A score is ``topic * (CONTEXT_FLOOR + (1 - CONTEXT_FLOOR) * context)``, as for offers and needs:
the topic says whether the mentor can help at all, and the context (level, shared time, format
and distance, community, trust, room) can only lower it, by at most ``1 - CONTEXT_FLOOR``. A kind
neighbour who teaches something else therefore never outranks the right teacher.

Hard rules, which no score overrides (each has a test):

- never the learner themself, never a blocked pair of members;
- never across unlinked communities (equal ones always, a missing community binds nothing);
- never a mentor with no free place (``capacity - active_learners <= 0``);
- languages: when both sides list languages and share none, they cannot talk, so the pair is
  excluded; a side that lists none is taken as "not said", not as "speaks nothing";
- format: a learner who asks for one format only gets mentors offering it; in person only, both
  with positions, more than `max_km` apart is excluded too (nobody crosses a city weekly);
- time: when both sides give weekly slots and none overlap, they can never meet: excluded (the
  same rule the round uses for offers and needs);
- topic: below `min_topic` similarity the mentor does not teach this at all.

Scoring is vectorised over every candidate pair at once (numpy), so `assign_learners` can weigh
5,000 goals against 1,000 mentors in a fraction of a second; `mentor_fit` runs the very same code
for one goal, so a page and a round never disagree. Reasons are written only for the pairs
someone will read.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .assign import assign_arrays
from .records import DAY_NAMES, Slot, parse_slot, slots_overlap

__all__ = [
    "IN_PERSON",
    "LEVELS",
    "ONLINE",
    "Goal",
    "Mentor",
    "MentorMatch",
    "assign_learners",
    "mentor_fit",
    "shared_time",
    "token_overlap",
]

IN_PERSON, ONLINE = "in_person", "online"
FORMATS = (IN_PERSON, ONLINE)
LEVELS = ("beginner", "intermediate", "advanced")

# Context parts, each in 0..1, with weights adding up to 1.
CONTEXT_FLOOR = 0.5
LEVEL_WEIGHT, TIME_WEIGHT, FORMAT_WEIGHT = 0.25, 0.2, 0.15
COMMUNITY_WEIGHT, TRUST_WEIGHT, ROOM_WEIGHT = 0.15, 0.15, 0.1
LEVEL_MATCH, LEVEL_UNKNOWN, LEVEL_OTHER = 1.0, 0.7, 0.2
TIME_SHARED, TIME_UNKNOWN = 1.0, 0.5
COMMUNITY_SAME, COMMUNITY_LINKED, COMMUNITY_UNKNOWN = 1.0, 0.7, 0.8
NEAR_SCALE_KM, NEAR_UNKNOWN = 3.0, 0.6
ROOM_FULL_AT = 3  # three or more free places count as "plenty of room"
MAX_KM = 25.0
MIN_TOPIC = 0.2
STRONG_TRUST = 0.5
_LEVEL_WORDS = {
    "beginner": "beginners",
    "intermediate": "intermediate learners",
    "advanced": "advanced learners",
}
PARTS_OF_DAY = ((12 * 60, "mornings"), (17 * 60, "afternoons"), (24 * 60, "evenings"))
EARTH_RADIUS_KM = 6371.0088

_LANGUAGES = {
    "ar": "Arabic",
    "bn": "Bengali",
    "cy": "Welsh",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian",
    "fr": "French",
    "gu": "Gujarati",
    "hi": "Hindi",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "pa": "Punjabi",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "so": "Somali",
    "sv": "Swedish",
    "ta": "Tamil",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "zh": "Chinese",
}
_LANGUAGE_CODES = {name.lower(): code for code, name in _LANGUAGES.items()}
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset({"a", "an", "and", "for", "in", "of", "on", "the", "to", "with", "my"})


def _language_key(language: str) -> str:
    """ "pl", "PL" and "Polish" are one language; unknown names are kept, lower-cased."""
    key = language.strip().lower()
    return key if key in _LANGUAGES else _LANGUAGE_CODES.get(key, key)


def language_name(key: str) -> str:
    return _LANGUAGES.get(key, key.title())


def _slots(values: Iterable[Slot | str]) -> tuple[Slot, ...]:
    return tuple(value if isinstance(value, Slot) else parse_slot(value) for value in values)


def _check_position(lat: float | None, lon: float | None) -> None:
    if lat is None or lon is None:
        if lat is not None or lon is not None:
            raise ValueError("lat and lon must be given together")
        return
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"position ({lat}, {lon}) is out of range")


@dataclass(frozen=True, slots=True)
class Mentor:
    """Someone offering to mentor: what, in which languages and formats, when, for how many.

    `levels` lists the levels they teach (empty: any level). `trust` is 0..1 from completed
    exchanges (see `records.trust_from_exchanges`). Languages are matched as keys, so "pl" and
    "Polish" agree; `available` takes `Slot`s or strings like "mon 18:00-20:00".
    """

    id: str
    member: str
    topics: tuple[str, ...]
    languages: tuple[str, ...] = ()
    formats: tuple[str, ...] = FORMATS
    available: tuple[Slot, ...] = ()
    capacity: int = 1
    active_learners: int = 0
    community: str | None = None
    lat: float | None = None
    lon: float | None = None
    trust: float = 0.0
    levels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.id or not self.member:
            raise ValueError("a mentor needs an id and a member")
        for name in ("topics", "languages", "formats", "levels"):
            if isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a list of strings, not one string")
        object.__setattr__(self, "topics", tuple(self.topics))
        object.__setattr__(self, "languages", tuple(self.languages))
        object.__setattr__(self, "formats", tuple(self.formats))
        object.__setattr__(self, "levels", tuple(self.levels))
        object.__setattr__(self, "available", _slots(self.available))
        if not self.formats or not set(self.formats) <= set(FORMATS):
            raise ValueError(f"formats must be some of {FORMATS}, got {self.formats!r}")
        if not set(self.levels) <= set(LEVELS):
            raise ValueError(f"levels must be some of {LEVELS}, got {self.levels!r}")
        if self.capacity < 0 or self.active_learners < 0:
            raise ValueError("capacity and active_learners cannot be negative")
        if not 0 <= self.trust <= 1:
            raise ValueError(f"trust {self.trust!r} must be in 0..1")
        _check_position(self.lat, self.lon)

    @property
    def free(self) -> int:
        """Places left for new learners."""
        return max(0, self.capacity - self.active_learners)


@dataclass(frozen=True, slots=True)
class Goal:
    """A learner's goal: a topic at a level; `format` None means either format suits."""

    id: str
    learner: str
    topic: str
    level: str = "beginner"
    languages: tuple[str, ...] = ()
    format: str | None = None
    available: tuple[Slot, ...] = ()
    community: str | None = None
    lat: float | None = None
    lon: float | None = None

    def __post_init__(self) -> None:
        if not self.id or not self.learner or not self.topic.strip():
            raise ValueError("a goal needs an id, a learner and a topic")
        if isinstance(self.languages, str):
            raise ValueError("languages must be a list of strings, not one string")
        object.__setattr__(self, "languages", tuple(self.languages))
        object.__setattr__(self, "available", _slots(self.available))
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {self.level!r}")
        if self.format is not None and self.format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS} or None, got {self.format!r}")
        _check_position(self.lat, self.lon)


@dataclass(frozen=True, slots=True)
class MentorMatch:
    """A mentor for a goal (by id, like `records.Match`), a score in [0, 1] and why."""

    mentor: str
    goal: str
    score: float
    reasons: tuple[str, ...] = ()


TopicSimilarity = Callable[[str, str], float]


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def topic_tokens(topic: str) -> frozenset[str]:
    """Lower-cased words without plurals or filler: "Guitar lessons" -> {guitar, lesson}."""
    words = (_singular(word) for word in _WORD.findall(topic.lower()))
    return frozenset(word for word in words if word not in _STOP)


def token_overlap(a: str, b: str) -> float:
    """The default topic similarity: the Dice overlap of the topics' words (0..1).

    "guitar" and "jazz guitar" give 0.67, equal topics 1. It knows no synonyms; the integrator
    passes the text engine's similarity as `topic_similarity` for that.
    """
    ta, tb = topic_tokens(a), topic_tokens(b)
    if not ta or not tb:
        return 0.0
    return 2 * len(ta & tb) / (len(ta) + len(tb))


def mentor_fit(
    goal: Goal,
    mentors: Sequence[Mentor],
    *,
    links: Iterable[frozenset[str]] = frozenset(),
    blocked: Iterable[frozenset[str]] = frozenset(),
    topic_similarity: TopicSimilarity | None = None,
    top: int | None = 10,
    min_topic: float = MIN_TOPIC,
    max_km: float = MAX_KM,
) -> list[MentorMatch]:
    """The best mentors for `goal`, best first (ties by mentor id), at most `top` (None: all).

    `links` holds pairs of linked communities and `blocked` pairs of members, each as a
    frozenset of two names. `topic_similarity(goal_topic, mentor_topic)` in 0..1 replaces the
    default word overlap; it is called once per distinct pair of topics.
    """
    pairs = _Pairs([goal], mentors, links, blocked, topic_similarity, min_topic, max_km)
    order = sorted(range(pairs.size), key=lambda p: (-pairs.score[p], mentors[pairs.mi[p]].id))
    if top is not None:
        order = order[:top]
    return [pairs.match(p) for p in order]


def assign_learners(
    goals: Sequence[Goal],
    mentors: Sequence[Mentor],
    *,
    links: Iterable[frozenset[str]] = frozenset(),
    blocked: Iterable[frozenset[str]] = frozenset(),
    topic_similarity: TopicSimilarity | None = None,
    min_topic: float = MIN_TOPIC,
    max_km: float = MAX_KM,
) -> list[MentorMatch]:
    """A round: each goal at most one mentor, each mentor at most `free` goals, best total fit.

    Every allowed pair is scored as in `mentor_fit`; the optimum is the capacity-expanded
    sparse matching of `assign.assign_arrays` (exact, not greedy). Sorted by goal id.
    """
    _unique_ids(goals, "goal")
    _unique_ids(mentors, "mentor")
    pairs = _Pairs(goals, mentors, links, blocked, topic_similarity, min_topic, max_km)
    free = np.array([mentor.free for mentor in mentors], dtype=np.int64)
    chosen = assign_arrays(pairs.gi, pairs.mi, pairs.score, free)
    matches = [pairs.match(int(p)) for p in chosen]
    return sorted(matches, key=lambda match: match.goal)


def _unique_ids(items: Sequence[Goal] | Sequence[Mentor], kind: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"duplicate {kind} id {item.id!r}")
        seen.add(item.id)


class _Codes:
    """Small integer codes for names, shared by both sides of one computation; 0 is "none"."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, int]] = defaultdict(dict)

    def code(self, kind: str, name: str | None) -> int:
        if name is None:
            return 0
        table = self.tables[kind]
        return table.setdefault(name, len(table) + 1)

    def codes(self, kind: str, names: Iterable[str | None]) -> np.ndarray:
        return np.fromiter((self.code(kind, name) for name in names), dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Side:
    """One side's records as arrays, for vectorised rules and scores."""

    person: np.ndarray
    community: np.ndarray
    formats: np.ndarray  # bit 1 in person, bit 2 online
    levels: np.ndarray  # one bit per level; 0 = not said
    lat: np.ndarray  # NaN without a position
    lon: np.ndarray
    languages: list[set[int]]
    slots: list[tuple[Slot, ...]]

    @classmethod
    def build(
        cls,
        items: Sequence[Goal] | Sequence[Mentor],
        person: Iterable[str],
        formats: Iterable[int],
        levels: Iterable[int],
        codes: _Codes,
    ) -> _Side:
        return cls(
            person=codes.codes("person", person),
            community=codes.codes("community", (item.community for item in items)),
            formats=np.fromiter(formats, dtype=np.int64),
            levels=np.fromiter(levels, dtype=np.int64),
            lat=np.array([np.nan if item.lat is None else item.lat for item in items], float),
            lon=np.array([np.nan if item.lon is None else item.lon for item in items], float),
            languages=[
                {codes.code("language", _language_key(x)) for x in item.languages} for item in items
            ],
            slots=[item.available for item in items],
        )


def _format_bits(formats: Iterable[str]) -> int:
    return sum(1 << FORMATS.index(f) for f in set(formats))


def _level_bits(levels: Iterable[str]) -> int:
    return sum(1 << LEVELS.index(level) for level in set(levels))


class _Pairs:
    """Every allowed (goal, mentor) pair with its score and the parts of its score.

    Arrays are aligned: `gi[p]` and `mi[p]` index the goal and the mentor of pair p.
    """

    def __init__(
        self,
        goals: Sequence[Goal],
        mentors: Sequence[Mentor],
        links: Iterable[frozenset[str]],
        blocked: Iterable[frozenset[str]],
        topic_similarity: TopicSimilarity | None,
        min_topic: float,
        max_km: float,
    ) -> None:
        self.goals, self.mentors = goals, mentors
        codes = _Codes()
        g = _Side.build(
            goals,
            (goal.learner for goal in goals),
            (3 if goal.format is None else _format_bits([goal.format]) for goal in goals),
            (_level_bits([goal.level]) for goal in goals),
            codes,
        )
        m = _Side.build(
            mentors,
            (mentor.member for mentor in mentors),
            (_format_bits(mentor.formats) for mentor in mentors),
            (_level_bits(mentor.levels) for mentor in mentors),
            codes,
        )
        free = np.fromiter((mentor.free for mentor in mentors), dtype=np.int64, count=len(mentors))
        trust = np.fromiter((mentor.trust for mentor in mentors), dtype=float, count=len(mentors))
        gi, mi, topic, topic_index = _topic_candidates(
            goals, mentors, topic_similarity or token_overlap, min_topic
        )

        # The hard rules. The cheap ones first, so the rest run on the survivors only.
        allowed = (g.person[gi] != m.person[mi]) & (free[mi] > 0)
        gc, mc = g.community[gi], m.community[mi]
        allowed &= (
            (gc == 0) | (mc == 0) | (gc == mc) | _in_pairs(gc, mc, links, codes.tables["community"])
        )
        allowed &= (g.formats[gi] & m.formats[mi]) != 0
        keep = np.flatnonzero(allowed)
        gi, mi, topic, topic_index = gi[keep], mi[keep], topic[keep], topic_index[keep]

        allowed = ~_in_pairs(g.person[gi], m.person[mi], blocked, codes.tables["person"])
        languages = _Bitsets(g.languages, m.languages)
        both_speak = languages.nonempty_a[gi] & languages.nonempty_b[mi]
        allowed &= ~both_speak | languages.intersect(gi, mi)
        formats = g.formats[gi] & m.formats[mi]
        times = _Bitsets(*_time_segments(g.slots, m.slots))
        both_timed = times.nonempty_a[gi] & times.nonempty_b[mi]
        shared_time = both_timed & times.intersect(gi, mi)
        allowed &= ~both_timed | shared_time
        distance = _haversine_km(g.lat[gi], g.lon[gi], m.lat[mi], m.lon[mi])
        allowed &= ~((formats == 1) & (distance > max_km))  # in person only, and far apart

        keep = np.flatnonzero(allowed)
        gi, mi = gi[keep], mi[keep]
        self.gi, self.mi, self.topic = gi, mi, topic[keep]
        self.topic_index, self.formats = topic_index[keep], formats[keep]
        self.distance, self.shared_time = distance[keep], shared_time[keep]
        self.size = int(keep.size)

        # The context: each part 0..1, see the module docstring.
        said = m.levels[mi] != 0
        level = np.where(
            said,
            np.where((m.levels[mi] & g.levels[gi]) != 0, LEVEL_MATCH, LEVEL_OTHER),
            LEVEL_UNKNOWN,
        )
        time = np.where(self.shared_time, TIME_SHARED, TIME_UNKNOWN)
        near = np.where(
            np.isnan(self.distance),
            NEAR_UNKNOWN,
            np.exp(-np.nan_to_num(self.distance) / NEAR_SCALE_KM),
        )
        online = (self.formats & 2) != 0
        fmt = np.where(online, 1.0, near)
        gc, mc = g.community[gi], m.community[mi]
        community = np.where(
            (gc == 0) | (mc == 0),
            COMMUNITY_UNKNOWN,
            np.where(gc == mc, COMMUNITY_SAME, COMMUNITY_LINKED),
        )
        room = np.minimum(free[mi], ROOM_FULL_AT) / ROOM_FULL_AT
        context = (
            LEVEL_WEIGHT * level
            + TIME_WEIGHT * time
            + FORMAT_WEIGHT * fmt
            + COMMUNITY_WEIGHT * community
            + TRUST_WEIGHT * trust[mi]
            + ROOM_WEIGHT * room
        )
        self.score = np.clip(self.topic * (CONTEXT_FLOOR + (1 - CONTEXT_FLOOR) * context), 0, 1)

    def match(self, p: int) -> MentorMatch:
        goal, mentor = self.goals[self.gi[p]], self.mentors[self.mi[p]]
        return MentorMatch(mentor.id, goal.id, float(self.score[p]), self._reasons(p, goal, mentor))

    def _reasons(self, p: int, goal: Goal, mentor: Mentor) -> tuple[str, ...]:
        """Short sentences a learner can read, the topic first."""
        topic = mentor.topics[self.topic_index[p]]
        reasons = [f"teaches {topic}"]
        if goal.level in mentor.levels:
            reasons.append(f"works with {_LEVEL_WORDS[goal.level]}")
        offered = {_language_key(language) for language in mentor.languages}
        shared = [key for key in map(_language_key, goal.languages) if key in offered]
        if shared:
            reasons.append(f"speaks {language_name(shared[0])}")
        formats, distance = int(self.formats[p]), float(self.distance[p])
        if formats & 2 and (formats == 2 or goal.format == ONLINE):
            reasons.append("online suits you both")
        elif not math.isnan(distance) and not formats & 2:
            reasons.append(f"{distance:.1f} km apart")
        if self.shared_time[p]:
            reasons.append(f"free on {_first_shared_time(goal.available, mentor.available)}")
        if goal.community is not None and goal.community == mentor.community:
            reasons.append("in your community")
        elif goal.community is not None and mentor.community is not None:
            reasons.append("from a linked community")
        if mentor.trust >= STRONG_TRUST:
            reasons.append("many completed exchanges")
        places = mentor.free
        reasons.append(f"has room for {places} more learner{'s' if places > 1 else ''}")
        return tuple(reasons)


def _first_shared_time(a: Sequence[Slot], b: Sequence[Slot]) -> str:
    """ "Monday evenings": the week's earliest overlap, named by its day and part of the day."""
    for x in sorted(a):
        for y in sorted(b):
            if slots_overlap((x,), (y,)):
                start = max(x.start_min, y.start_min)
                part = next(name for end, name in PARTS_OF_DAY if start < end)
                return f"{DAY_NAMES[x.day]} {part}"
    return "the same times"  # unreachable when the bitsets said they overlap


def _topic_candidates(
    goals: Sequence[Goal],
    mentors: Sequence[Mentor],
    similarity: TopicSimilarity,
    min_topic: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(goal index, mentor index, topic similarity, index of the mentor's best topic).

    Similarity is computed once per distinct pair of topics, not per pair of people. With the
    default word overlap, only topics sharing a word are compared at all (a word index);
    a custom similarity is asked about every distinct pair, since it may see meaning in words
    that differ ("lift" and "ride").
    """
    mentor_topics: dict[str, int] = {}
    owners: list[list[tuple[int, int]]] = []  # per distinct topic: (mentor, position in topics)
    for m, mentor in enumerate(mentors):
        for position, topic in enumerate(mentor.topics):
            t = mentor_topics.setdefault(topic, len(mentor_topics))
            if t == len(owners):
                owners.append([])
            owners[t].append((m, position))
    goal_groups: dict[str, list[int]] = defaultdict(list)
    for g, goal in enumerate(goals):
        goal_groups[goal.topic].append(g)

    by_word: dict[str, list[int]] = defaultdict(list)
    if similarity is token_overlap:
        for topic, t in mentor_topics.items():
            for word in topic_tokens(topic):
                by_word[word].append(t)

    names = list(mentor_topics)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for goal_topic, goal_rows in goal_groups.items():
        if similarity is token_overlap:
            near = {t for word in topic_tokens(goal_topic) for t in by_word.get(word, ())}
        else:
            near = set(mentor_topics.values())
        best: dict[int, tuple[float, int]] = {}  # mentor -> (similarity, topic position)
        for t in sorted(near):
            value = float(similarity(goal_topic, names[t]))
            if not value >= min_topic:
                continue
            value = min(value, 1.0)
            for m, position in owners[t]:
                if m not in best or value > best[m][0]:
                    best[m] = (value, position)
        if not best:
            continue
        found = sorted(best)
        rows = np.asarray(goal_rows, dtype=np.int64)
        cols = np.asarray(found, dtype=np.int64)
        values = np.array([best[m][0] for m in found])
        positions = np.array([best[m][1] for m in found], dtype=np.int64)
        parts.append(
            (
                np.repeat(rows, cols.size),
                np.tile(cols, rows.size),
                np.tile(values, rows.size),
                np.tile(positions, rows.size),
            )
        )
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    gi, mi, values, positions = (np.concatenate(column) for column in zip(*parts, strict=True))
    return gi, mi, values, positions


def _in_pairs(
    a: np.ndarray, b: np.ndarray, pairs: Iterable[frozenset[str]], known: dict[str, int]
) -> np.ndarray:
    """Whether each (a[i], b[i]) is one of `pairs` (linked communities, blocked people), in
    either order; names the codes never saw match nothing."""
    keys = [
        _pair_key(known[x], known[y])
        for x, y in (tuple(pair) for pair in pairs if len(pair) == 2)
        if x in known and y in known
    ]
    if not keys:
        return np.zeros(a.size, dtype=bool)
    return np.isin(_pair_key(a, b), np.array(keys, dtype=np.int64))


def _pair_key(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """An order-free key for two codes (ints or arrays of them)."""
    return (np.minimum(a, b) << 32) | np.maximum(a, b)


class _Bitsets:
    """Sets of small ints for two sides as rows of uint64 words, to intersect pairs in bulk."""

    def __init__(self, a: Sequence[Collection[int]], b: Sequence[Collection[int]]) -> None:
        top = max((max(x) for side in (a, b) for x in side if x), default=0)
        self.words = top // 64 + 1
        self.a, self.b = self._pack(a), self._pack(b)
        self.nonempty_a = np.fromiter(map(bool, a), dtype=bool, count=len(a))
        self.nonempty_b = np.fromiter(map(bool, b), dtype=bool, count=len(b))

    def _pack(self, sets: Sequence[Collection[int]]) -> list[np.ndarray]:
        """One contiguous array per word: gathering from 1-D arrays is the quick way."""
        packed = np.zeros((self.words, len(sets)), dtype=np.uint64)
        rows = np.repeat(np.arange(len(sets)), [len(x) for x in sets])
        bits = np.fromiter((bit for x in sets for bit in x), dtype=np.int64, count=rows.size)
        np.bitwise_or.at(
            packed, (bits // 64, rows), np.left_shift(np.uint64(1), (bits % 64).astype(np.uint64))
        )
        return list(packed)

    def intersect(self, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        """For each pair, whether the two sets share an element."""
        shared = np.zeros(ia.size, dtype=bool)
        for word_a, word_b in zip(self.a, self.b, strict=True):
            shared |= (word_a[ia] & word_b[ib]) != 0
        return shared


def shared_time(
    a: Sequence[Sequence[Slot]],
    b: Sequence[Sequence[Slot]],
    ia: np.ndarray,
    ib: np.ndarray,
) -> np.ndarray:
    """For each pair p, whether the timetables a[ia[p]] and b[ib[p]] share a minute.

    The same answer as `records.slots_overlap` pair by pair (False when a side is empty),
    for many pairs at once: a matching round uses it to drop pairs that can never meet.
    """
    times = _Bitsets(*_time_segments(a, b))
    ia, ib = np.asarray(ia, dtype=np.int64), np.asarray(ib, dtype=np.int64)
    return times.nonempty_a[ia] & times.nonempty_b[ib] & times.intersect(ia, ib)


def _time_segments(
    a: Sequence[Sequence[Slot]], b: Sequence[Sequence[Slot]]
) -> tuple[list[set[int]], list[set[int]]]:
    """Each side's weekly slots as sets of elementary segments of the week.

    The segments are cut at every slot boundary either side gives, so two people's slots
    overlap (share a minute) exactly when their sets share a segment: an exact test, done as
    bit operations instead of comparing every slot with every slot.
    """
    bounds = sorted(
        {
            s.day * 1440 + m
            for side in (a, b)
            for slots in side
            for s in slots
            for m in (s.start_min, s.end_min)
        }
    )
    index = {bound: i for i, bound in enumerate(bounds)}

    def segments(slots: Sequence[Slot]) -> set[int]:
        found: set[int] = set()
        for s in slots:
            found.update(range(index[s.day * 1440 + s.start_min], index[s.day * 1440 + s.end_min]))
        return found

    return [segments(slots) for slots in a], [segments(slots) for slots in b]


def _haversine_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance; NaN where either position is missing."""
    lat1, lon1, lat2, lon2 = (np.radians(x) for x in (lat1, lon1, lat2, lon2))
    h = np.sin((lat2 - lat1) / 2) ** 2
    h = h + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
