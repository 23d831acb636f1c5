"""Skill swaps: direct swaps (A teaches B, B teaches A) and circles of three (A -> B -> C -> A).

Members carry canonical skill keys (the integrator maps free text to keys), so "A can teach
what B wants" is a set intersection. Finding the circles is purpose-built, not a general cycle
enumerator: the member x skill matrices of teaching and wanting, multiplied within the
communities each member may meet, give every allowed "A can teach B" edge at once (the
skill -> teachers, skill -> wanters index, joined in C); a circle of three A -> B -> C -> A is
then one pass over the paths A -> B -> C with array operations, keeping those whose closing
edge C -> A exists. Each circle is reported once, in its canonical rotation: it starts at its
smallest member id (direction matters: A -> B -> C -> A and A -> C -> B -> A are different
circles, each person teaching someone else).

Hard rules for every consecutive pair, as for offers and needs: not the same member, not a
blocked pair, and communities equal or linked (a missing community binds nothing).

Choosing which circles to propose, so nobody is promised to two of them, is maximum-weight
set packing: NP-hard. `select_circles` splits the circles into independent groups (circles
sharing no member, directly or through others), proves the best choice in each by branch and
bound, smallest groups first, and falls back on the greedy choice (best score first) for the
groups it has no time left for (or that are too big to try), improved by local swaps while
time remains, keeping the best found so far in the group it was working on when time ran out.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

__all__ = [
    "Circle",
    "Member",
    "Selection",
    "Swaps",
    "around",
    "choose_disjoint",
    "find_swaps",
    "greedy_disjoint",
    "select_circles",
]

# Direct swaps rank above every circle of three: two people who help each other need no third
# person to keep a promise. Within each band, quality decides (see `_score`).
SWAP_BASE, SWAP_SPAN = 0.6, 0.4
CIRCLE_BASE, CIRCLE_SPAN = 0.3, 0.3
RICHNESS_WEIGHT, COMMUNITY_WEIGHT, TRUST_WEIGHT = 0.5, 0.3, 0.2
COMMUNITY_SAME, COMMUNITY_UNKNOWN, COMMUNITY_LINKED = 1.0, 0.75, 0.5
# Branch and bound is tried on groups of at most this many circles: beyond it, one bound costs
# a pass over thousands of circles and a proof within a second is out of reach anyway.
MAX_EXACT = 2_000


@dataclass(frozen=True, slots=True)
class Member:
    """A member's skills to teach and to learn, as canonical keys; `name` for the reasons."""

    id: str
    teaches: frozenset[str]
    wants: frozenset[str]
    community: str | None = None
    trust: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a member needs an id")
        for field in ("teaches", "wants"):
            value = getattr(self, field)
            if isinstance(value, str):
                raise ValueError(f"{field} must be a set of skills, not one string")
            object.__setattr__(self, field, frozenset(value))
        if not 0 <= self.trust <= 1:
            raise ValueError(f"trust {self.trust!r} must be in 0..1")

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True, slots=True)
class Circle:
    """A swap: members[i] teaches members[i + 1] (the last teaches the first) `gives[i]`.

    `options[i]` lists every skill members[i] could teach the next one; `gives[i]` is the
    first of them. A direct swap has two members, a circle three.
    """

    members: tuple[str, ...]
    gives: tuple[str, ...]
    score: float
    reasons: tuple[str, ...]
    options: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Selection:
    """Circles with no member in two of them; `optimal` when every group was proven best."""

    circles: list[Circle]
    optimal: bool


def around(members: Sequence[Member], member_id: str) -> list[Member]:
    """The members who could share a swap or a circle of three with `member_id`: the member,
    those who want something they teach, and those who teach something they want.

    In a circle M -> B -> C -> M, B learns from M and C teaches M, so every swap and circle
    through M is among these people, with the same scores (a circle's score depends only on
    its own members). `find_swaps(around(members, m)).for_member(m)` is therefore the same
    list as on everyone, at a fraction of the cost: a neighbourhood of 7,000 members holds
    millions of circles of three, and one member is in a few thousand of them.
    """
    me = next((member for member in members if member.id == member_id), None)
    if me is None:
        return []
    return [
        member
        for member in members
        if member is me or member.wants & me.teaches or member.teaches & me.wants
    ]


def find_swaps(
    members: Sequence[Member],
    *,
    links: Iterable[frozenset[str]] = frozenset(),
    blocked: Iterable[frozenset[str]] = frozenset(),
    max_length: int = 3,
    through: str | None = None,
) -> Swaps:
    """Every direct swap (and, with `max_length` 3, every circle of three), best first.

    With `through`, only what that member could be part of is worked out (read it with
    `for_member(through)`): the people `around` them, and of their edges only those a swap or
    circle through them can use (M -> B, B -> C, C -> M). A page asks this for one member; a
    matching round asks for everyone.
    Ties are ordered by the members' ids, so the same members always give the same list.
    The result is a read-only list (`Swaps`) that makes each `Circle` when it is read: at
    20,000 members there are tens of thousands of circles, and a page reads a handful.
    Raises ValueError for a repeated member id or a `max_length` other than 2 or 3.
    """
    if max_length not in (2, 3):
        raise ValueError("max_length must be 2 or 3")
    people = sorted(members, key=lambda member: member.id)
    for x, y in zip(people, people[1:], strict=False):
        if x.id == y.id:
            raise ValueError(f"duplicate member id {x.id!r}")
    centre = None
    if through is not None:
        people = around(people, through)
        centre = next((i for i, person in enumerate(people) if person.id == through), None)
    graph = _SkillGraph(people, links, blocked, centre)
    a, b, c, counts = graph.swaps()
    if max_length == 3:
        parts = [(a, b, c, counts), graph.circles()]
        a, b, c, counts = (np.concatenate(column) for column in zip(*parts, strict=True))
    return Swaps(people, a, b, c, counts)


class _SkillGraph:
    """Who can teach whom something: a directed graph as sorted edge keys ``src * n + dst``.

    Built from two incidence matrices, member x skill for teaching and for wanting: their
    product, restricted to the communities a member may meet, has an entry for every allowed
    (teacher, learner) pair, valued by the number of skills one can teach the other. This is
    the skill -> teachers / skill -> wanters index, joined in C rather than in a Python loop.
    """

    def __init__(
        self,
        people: Sequence[Member],
        links: Iterable[frozenset[str]],
        blocked: Iterable[frozenset[str]],
        centre: int | None = None,
    ) -> None:
        n = self.n = len(people)
        skills: dict[str, int] = {}
        teach = _incidence([person.teaches for person in people], skills, n)
        want = _incidence([person.wants for person in people], skills, n)
        width = max(len(skills), 1)
        want = csr_array((want.data, want.indices, want.indptr), shape=(n, width))
        teach = csr_array((teach.data, teach.indices, teach.indptr), shape=(n, width))

        names = sorted({p.community for p in people if p.community is not None})
        code = {name: k for k, name in enumerate(names)}
        community = np.array([code.get(p.community, -1) for p in people], dtype=np.int64)
        self.community = community
        linked: dict[int, set[int]] = defaultdict(set)
        for pair in links:
            if len(pair) == 2 and all(name in code for name in pair):
                x, y = (code[name] for name in pair)
                linked[x].add(y)
                linked[y].add(x)
        members_of = {k: np.flatnonzero(community == k) for k in range(-1, len(names))}
        everyone = np.arange(n)

        empty = np.zeros(0, dtype=np.int64)
        src_parts, dst_parts, count_parts = [empty], [empty], [empty]
        for k, rows in members_of.items():
            if not rows.size:
                continue
            if k < 0:
                cols = everyone
            else:
                reach = [k, -1, *sorted(linked[k])]
                cols = np.concatenate([members_of[j] for j in reach])
            product = (teach[rows] @ want[cols].T).tocoo()
            src_parts.append(rows[product.row])
            dst_parts.append(cols[product.col])
            count_parts.append(product.data.astype(np.int64))
        src, dst, count = (np.concatenate(parts) for parts in (src_parts, dst_parts, count_parts))

        keep = src != dst
        blocked_keys = _blocked_keys(people, blocked)
        if blocked_keys.size:
            low, high = np.minimum(src, dst), np.maximum(src, dst)
            keep &= ~np.isin(low * n + high, blocked_keys)
        if centre is not None:
            # Only the edges of swaps and circles through the centre: centre -> B, C -> centre,
            # and B -> C from someone who learns from the centre to someone who teaches it.
            learners = dst[keep & (src == centre)]
            teachers = src[keep & (dst == centre)]
            keep &= (
                (src == centre)
                | (dst == centre)
                | (np.isin(src, learners) & np.isin(dst, teachers))
            )
        src, dst, count = src[keep], dst[keep], count[keep]
        order = np.argsort(src * n + dst, kind="stable")
        self.src, self.dst, self.count = src[order], dst[order], count[order]
        self.keys = self.src * n + self.dst
        # The same edges keyed the other way round (dst * n + src), sorted: looking up the
        # closing edge c -> a of many a -> b -> c paths, which come grouped by a, then probes
        # nearby memory instead of jumping around the whole array.
        backwards = self.dst * n + self.src
        self.in_order = np.argsort(backwards, kind="stable")
        self.in_keys = backwards[self.in_order]
        self.indptr = np.concatenate(([0], np.cumsum(np.bincount(self.src, minlength=n))))

    def _find(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Positions of the edges src -> dst, -1 where there is no such edge."""
        if not self.keys.size:
            return np.full(src.size, -1, dtype=np.int64)
        keys = dst * self.n + src
        pos = np.minimum(np.searchsorted(self.in_keys, keys), self.keys.size - 1)
        return np.where(self.in_keys[pos] == keys, self.in_order[pos], -1)

    def swaps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(a, b, c=-1, counts) of each direct swap, a < b."""
        forward = np.flatnonzero(self.src < self.dst)
        back = self._find(self.dst[forward], self.src[forward])
        found = back >= 0
        forward, back = forward[found], back[found]
        counts = np.full((forward.size, 3), 0, dtype=np.int64)
        counts[:, 0], counts[:, 1] = self.count[forward], self.count[back]
        none = np.full(forward.size, -1, dtype=np.int64)
        return self.src[forward], self.dst[forward], none, counts

    def circles(self, chunk: int = 2_000_000) -> tuple[np.ndarray, ...]:
        """(a, b, c, counts) of each circle a -> b -> c -> a with a the smallest index.

        For every edge a -> b with a < b, the out-edges b -> c with c > a are a contiguous run
        of b's sorted edges (found by one binary search); each is kept if c -> a exists.
        That is one pass over the paths a -> b -> c, done with array operations.
        Done in chunks so a dense graph cannot exhaust memory.
        """
        n = self.n
        first = np.flatnonzero(self.src < self.dst)
        b = self.dst[first]
        start = np.searchsorted(self.keys, b * n + self.src[first], side="right")
        lengths = np.maximum(self.indptr[b + 1] - start, 0)
        found: list[tuple[np.ndarray, ...]] = []
        ends = np.cumsum(lengths)
        lo = 0
        while lo < first.size:
            hi = int(np.searchsorted(ends, ends[lo] - lengths[lo] + chunk, side="right"))
            hi = max(hi, lo + 1)
            run = lengths[lo:hi]
            ab = np.repeat(first[lo:hi], run)
            bc = np.repeat(start[lo:hi], run) + _ranges(run)
            ca = self._find(self.dst[bc], self.src[ab])
            closed = ca >= 0
            ab, bc, ca = ab[closed], bc[closed], ca[closed]
            counts = np.stack((self.count[ab], self.count[bc], self.count[ca]), axis=1)
            found.append((self.src[ab], self.dst[ab], self.dst[bc], counts))
            lo = hi
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, np.zeros((0, 3), dtype=np.int64)
        return tuple(np.concatenate(column) for column in zip(*found, strict=True))


def _incidence(sets: Sequence[frozenset[str]], codes: dict[str, int], n: int) -> csr_array:
    rows = np.repeat(np.arange(n), [len(x) for x in sets])
    cols = np.fromiter(
        (codes.setdefault(skill, len(codes)) for x in sets for skill in sorted(x)),
        dtype=np.int64,
        count=rows.size,
    )
    return csr_array((np.ones(rows.size), (rows, cols)), shape=(n, max(len(codes), 1)))


def _blocked_keys(people: Sequence[Member], blocked: Iterable[frozenset[str]]) -> np.ndarray:
    index = {person.id: i for i, person in enumerate(people)}
    n = len(people)
    keys = []
    for pair in blocked:
        found = sorted(index[member] for member in pair if member in index)
        if len(pair) == 2 and len(found) == 2:
            keys.append(found[0] * n + found[1])
    return np.array(sorted(keys), dtype=np.int64)


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """Concatenated aranges: [0..l0-1, 0..l1-1, ...]."""
    total = int(lengths.sum())
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total) - starts


class Swaps(Sequence[Circle]):
    """Circles best first, held as arrays; each `Circle` is made when it is read.

    Behaves as a read-only list (`len`, indexing, slicing, iteration); `for_member` gives one
    member's circles, and `choose_disjoint` works on the arrays without making every circle.
    """

    def __init__(
        self,
        people: Sequence[Member],
        a: np.ndarray,
        b: np.ndarray,
        c: np.ndarray,
        counts: np.ndarray,
    ) -> None:
        self.people = people
        trust = np.array([person.trust for person in people], dtype=float)
        names = sorted({p.community for p in people if p.community is not None})
        code = {name: k for k, name in enumerate(names)}
        community = np.array([code.get(p.community, -1) for p in people], dtype=np.int64)

        three = c >= 0
        size = np.where(three, 3, 2)
        cc = np.where(three, c, a)  # swaps: the first member stands in for a third
        # Richness: the mean over steps of k / (k + 1) for k skills on a step, rescaled so
        # one skill on every step gives 0 and many give nearly 1.
        steps = counts / (counts + 1.0)
        richness = (steps[:, 0] + steps[:, 1] + np.where(three, steps[:, 2], 0)) / size
        richness = (richness - 0.5) * 2
        ka, kb, kc = community[a], community[b], community[cc]
        unknown = (ka < 0) | (kb < 0) | (kc < 0)
        same = (ka == kb) & (kb == kc)
        place = np.where(
            unknown, COMMUNITY_UNKNOWN, np.where(same, COMMUNITY_SAME, COMMUNITY_LINKED)
        )
        mean_trust = (trust[a] + trust[b] + np.where(three, trust[cc], 0)) / size
        quality = RICHNESS_WEIGHT * richness + COMMUNITY_WEIGHT * place + TRUST_WEIGHT * mean_trust
        score = np.where(
            three, CIRCLE_BASE + CIRCLE_SPAN * quality, SWAP_BASE + SWAP_SPAN * quality
        ).round(9)
        # Best first, then by member ids (indices follow ids, and a swap sorts before a circle
        # starting with the same two members, as its tuple of ids is a prefix).
        order = np.lexsort((c, b, a, -score))
        self.members = np.stack((a, b, c), axis=1)[order]
        self.scores = score[order]
        self.scope = np.where(unknown, 0, np.where(same, 1, 2))[order]

    def __len__(self) -> int:
        return int(self.scores.size)

    @overload
    def __getitem__(self, index: int) -> Circle: ...
    @overload
    def __getitem__(self, index: slice) -> list[Circle]: ...
    def __getitem__(self, index: int | slice) -> Circle | list[Circle]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._circle(index)

    def __repr__(self) -> str:
        return f"<Swaps: {len(self)} circles>"

    def for_member(self, member_id: str, limit: int | None = None) -> list[Circle]:
        """The circles `member_id` is part of, best first (the first `limit` of them)."""
        found = [i for i, person in enumerate(self.people) if person.id == member_id]
        if not found:
            return []
        rows = np.flatnonzero((self.members == found[0]).any(axis=1))[:limit]
        return [self._circle(int(i)) for i in rows]

    def _circle(self, i: int) -> Circle:
        people = [self.people[int(j)] for j in self.members[i] if j >= 0]
        size = len(people)
        options = tuple(
            tuple(sorted(people[k].teaches & people[(k + 1) % size].wants)) for k in range(size)
        )
        reasons = ["a direct swap" if size == 2 else "a circle of three"]
        for k, giver in enumerate(people):
            more = len(options[k]) - 1
            extra = f" (or {more} more)" if more else ""
            taker = people[(k + 1) % size]
            reasons.append(f"{giver.label} teaches {taker.label} {options[k][0]}{extra}")
        scope = int(self.scope[i])
        if scope:
            reasons.append(
                "all in the same community" if scope == 1 else "across linked communities"
            )
        return Circle(
            members=tuple(person.id for person in people),
            gives=tuple(step[0] for step in options),
            score=float(self.scores[i]),
            reasons=tuple(reasons),
            options=options,
        )


def choose_disjoint(circles: Sequence[Circle], time_limit_s: float = 1.0) -> list[Circle]:
    """Circles sharing no member with the largest total score (see `select_circles`)."""
    return select_circles(circles, time_limit_s).circles


def greedy_disjoint(circles: Sequence[Circle]) -> list[Circle]:
    """Best score first, skipping circles that reuse a member: fast, not always best."""
    used: set[str] = set()
    chosen = []
    for circle in sorted(circles, key=lambda circle: (-circle.score, circle.members)):
        if used.isdisjoint(circle.members):
            chosen.append(circle)
            used.update(circle.members)
    return chosen


def select_circles(
    circles: Sequence[Circle],
    time_limit_s: float = 1.0,
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> Selection:
    """The best disjoint set that can be proven within `time_limit_s`, and whether it was.

    Groups of circles that share no member are independent, so each is solved alone, the
    smallest first: most groups are tiny and proven at once, and a huge one cannot starve the
    rest. A group out of time keeps the best set found (never worse than greedy, which starts
    its search), and the groups after it, as do groups of more than `MAX_EXACT` circles, take
    the greedy choice improved by swaps while time remains. The result is best first. The
    limit bounds the search, not making the chosen `Circle`s; and when it binds, two runs may
    stop at different points, so only a proven (`optimal`) selection is sure to repeat.
    `clock` is for tests. Ties between equal totals go to the circles ranked first.
    """
    deadline = clock() + time_limit_s
    if isinstance(circles, Swaps):
        members, scores = circles.members, circles.scores
        ranked: Sequence[Circle] = circles
    else:
        ranked = sorted(circles, key=lambda circle: (-circle.score, circle.members))
        ids: dict[str, int] = {}
        members = np.full((len(ranked), 3), -1, dtype=np.int64)
        for row, circle in enumerate(ranked):
            for k, member in enumerate(circle.members[:3]):
                members[row, k] = ids.setdefault(member, len(ids))
        scores = np.array([circle.score for circle in ranked], dtype=float)
    chosen, optimal = _select(members, scores, deadline, clock)
    return Selection([ranked[i] for i in chosen], optimal)


def _select(
    members: np.ndarray, scores: np.ndarray, deadline: float, clock: Callable[[], float]
) -> tuple[list[int], bool]:
    """Ranks (positions, best first) of the chosen circles, and whether proven optimal."""
    if not scores.size:
        return [], True
    sizes = (members >= 0).sum(axis=1)
    # Groups: members joined by circles, as a graph; a circle belongs to its first member's.
    n = int(members.max()) + 1
    a, b, c = members[:, 0], members[:, 1], members[:, 2]
    three = c >= 0
    edges_from = np.concatenate((a, b[three]))
    edges_to = np.concatenate((b, c[three]))
    graph = csr_array((np.ones(edges_from.size), (edges_from, edges_to)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    group_of = label[a]
    order = np.argsort(group_of, kind="stable")  # ranks stay in order within a group
    bounds = np.flatnonzero(np.diff(group_of[order])) + 1
    groups = sorted(np.split(order, bounds), key=lambda g: (g.size, int(g[0])))

    rows = members.tolist()
    values = scores.tolist()
    shares = (scores / sizes).tolist()
    chosen: list[int] = []
    optimal = True
    for group in groups:
        ranks = group.tolist()
        if len(ranks) == 1:
            chosen.extend(ranks)
        elif optimal and len(ranks) <= MAX_EXACT:
            best, optimal = _branch_and_bound(ranks, rows, values, shares, deadline, clock)
            chosen.extend(best)
        else:
            optimal = False
            chosen.extend(_improve(ranks, rows, values, _greedy(ranks, rows), deadline, clock))
    chosen.sort()
    return chosen, optimal


def _greedy(ranks: list[int], rows: list[list[int]]) -> list[int]:
    used: set[int] = set()
    taken = []
    for rank in ranks:
        row = [m for m in rows[rank] if m >= 0]
        if used.isdisjoint(row):
            taken.append(rank)
            used.update(row)
    return taken


def _improve(
    ranks: list[int],
    rows: list[list[int]],
    values: list[float],
    taken: list[int],
    deadline: float,
    clock: Callable[[], float],
) -> list[int]:
    """Better than greedy while time lasts: local search by "swap in, refill".

    Try each circle left out: take it, drop the circles it overlaps, refill the members it
    freed greedily with circles now possible; keep the change when the total rises. (Taking
    one circle for one never helps after greedy, which already preferred the better of any
    two overlapping circles: the gain comes from the refill.) Every kept change raises the
    total, so the passes end.
    """
    if clock() > deadline:
        return taken
    members = {rank: [m for m in rows[rank] if m >= 0] for rank in ranks}
    circles_of: dict[int, list[int]] = defaultdict(list)
    for rank in ranks:
        for m in members[rank]:
            circles_of[m].append(rank)
    chosen = set(taken)
    owner = {m: rank for rank in chosen for m in members[rank]}
    improved = True
    while improved:
        improved = False
        for rank in ranks:
            if clock() > deadline:
                return sorted(chosen)
            if rank in chosen:
                continue
            mine = members[rank]
            displaced = {owner[m] for m in mine if m in owner}
            gain = values[rank] - sum(values[other] for other in displaced)
            freed = {m for other in displaced for m in members[other]} - set(mine)
            busy = (owner.keys() - {m for other in displaced for m in members[other]}) | set(mine)
            refill = []
            for candidate in sorted({c for m in freed for c in circles_of[m]}):
                if candidate != rank and busy.isdisjoint(members[candidate]):
                    refill.append(candidate)
                    busy.update(members[candidate])
                    gain += values[candidate]
            if gain > 1e-9:
                for other in displaced:
                    chosen.discard(other)
                    for m in members[other]:
                        del owner[m]
                for new in (rank, *refill):
                    chosen.add(new)
                    owner.update((m, new) for m in members[new])
                improved = True
    return sorted(chosen)


class _OutOfTime(Exception):
    pass


def _branch_and_bound(
    ranks: list[int],
    rows: list[list[int]],
    values: list[float],
    shares: list[float],
    deadline: float,
    clock: Callable[[], float],
) -> tuple[list[int], bool]:
    """Maximum-weight set packing of one group: (best ranks found, proven optimal).

    Depth-first over the circles in rank order, "take it" before "leave it", starting from
    the greedy answer. The bound gives each still-free member the best share (score divided by
    length) of any circle still possible for it: a chosen circle's score is the sum of its
    members' shares, so no completion can beat current + the sum of best shares.
    """
    local: dict[int, int] = {}
    masks, members_of = [], []
    for rank in ranks:
        mine = [local.setdefault(m, len(local)) for m in rows[rank] if m >= 0]
        members_of.append(mine)
        masks.append(sum(1 << m for m in mine))
    score = [values[rank] for rank in ranks]
    share = [shares[rank] for rank in ranks]
    n = len(ranks)

    greedy = set(_greedy(ranks, rows))
    best_set = [i for i, rank in enumerate(ranks) if rank in greedy]
    best_value = sum(score[i] for i in best_set)
    epsilon = 1e-9

    def bound(start: int, used: int) -> float:
        best_share: dict[int, float] = {}
        for j in range(start, n):
            if masks[j] & used:
                continue
            for m in members_of[j]:
                if share[j] > best_share.get(m, 0.0):
                    best_share[m] = share[j]
        return sum(best_share.values())

    stack: list[tuple[int, int, float, tuple[int, ...]]] = [(0, 0, 0.0, ())]
    try:
        while stack:
            if clock() > deadline:
                raise _OutOfTime
            start, used, value, taken = stack.pop()
            while start < n and masks[start] & used:
                start += 1
            if start == n:
                if value > best_value + epsilon:
                    best_value, best_set = value, list(taken)
                continue
            if value + bound(start, used) <= best_value + epsilon:
                continue
            stack.append((start + 1, used, value, taken))  # leave it: explored second
            stack.append((start + 1, used | masks[start], value + score[start], (*taken, start)))
        proven = True
    except _OutOfTime:
        proven = False
    return [ranks[i] for i in best_set], proven
