"""Suggested matches, alerts and matching rounds: the matching engine, fed from the database.

The engine (`commons.matching`) knows nothing of the database; this module turns posts into
its records, gives it the rules that live in other tables (links between communities, blocks,
who can see what), and turns its answers back into posts, proposals and claims.

Two rules are checked here as well as in the engine, because they come from the app:
- a pair only crosses communities when both posts are shared across an active link whose
  scope covers their kind (or are public), so each side may see, and claim, the other;
- a post the viewer may not see (hidden, another community's, closed) never reaches the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..claims.models import Claim
from ..communities.models import Community, Membership
from ..communities.permissions import NotAllowed, Viewer, require_coordinator
from ..database import now_utc, write_transaction
from ..extensions import db
from ..links.services import linked_pairs
from ..matching import Context, Need, Offer, Slot, trust_from_exchanges
from ..matching.assign import assign_pairs
from ..matching.circles import Member as CircleMember
from ..matching.circles import find_swaps
from ..matching.suggest import NeedIndex, OfferIndex, suggest_all
from ..matching.text import default_analyzer
from ..moderation.models import Block
from ..notifications.models import Notification
from ..notifications.services import notify
from ..posts.models import Post, PostSlot, PostTag
from ..posts.visibility import visible_to
from ..profiles.models import AvailabilitySlot, MemberSkill
from .models import MatchingRound, Proposal

# Candidates one suggestion request scores: the newest open posts the viewer may see. Enough
# for any real neighbourhood; bounds the work on a very large one.
CANDIDATE_LIMIT = 3000
# Alerts go out only for matches this good, and at most this many per member per day.
ALERT_SCORE = 0.6
ALERTS_PER_DAY = 3
# A round offers each need its best pairs from this many candidates (then solves exactly).
ROUND_CANDIDATES = 50
SHARED_VISIBILITIES = ("linked", "public")
OTHER_KIND = {"offer": "need", "need": "offer"}


class RoundError(Exception):
    """A round or proposal step refused; the message is for the person."""


@dataclass(frozen=True)
class Suggestion:
    post: Post
    score: float
    reasons: tuple[str, ...]


# --- posts as the engine's records ------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    """What the records need from tables other than posts, loaded once for many posts."""

    slots: dict[int, tuple[Slot, ...]]
    trust: dict[int, float]
    links: dict[str, set[frozenset[int]]]  # kind -> community pairs sharing that kind
    blocked: set[frozenset[int]]


def _facts(posts: Iterable[_Brief]) -> _Facts:
    members = {post.author_id for post in posts}
    slots: dict[int, list[Slot]] = {}
    for row in db.session.scalars(
        select(AvailabilitySlot).where(AvailabilitySlot.user_id.in_(members))
    ):
        slots.setdefault(row.user_id, []).append(
            Slot(row.weekday, row.start_minute, row.end_minute)
        )
    completed = db.session.execute(
        select(Post.author_id, func.count(Claim.id))
        .join(Claim, Claim.post_id == Post.id)
        .where(Claim.status == "completed", Post.author_id.in_(members))
        .group_by(Post.author_id)
    ).all()
    blocked = {
        frozenset(pair)
        for pair in db.session.execute(
            select(Block.blocker_id, Block.blocked_id).where(
                or_(Block.blocker_id.in_(members), Block.blocked_id.in_(members))
            )
        )
    }
    return _Facts(
        slots={member: tuple(found) for member, found in slots.items()},
        trust={member: trust_from_exchanges(count) for member, count in completed},
        links={"offer": linked_pairs("offers"), "need": linked_pairs("needs")},
        blocked=blocked,
    )


def _record(post: _Brief, facts: _Facts) -> Offer | Need:
    fields = {
        "id": str(post.id),
        "title": post.title,
        "body": post.description,
        "category": post.category,
        "tags": list(post.tag_names),
        "lat": post.lat,
        "lon": post.lon,
        "community": str(post.community_id),
        "available": post.slots or facts.slots.get(post.author_id, ()),
        "member": str(post.author_id),
        "trust": facts.trust.get(post.author_id, 0.0),
        "status": post.status,
        "hidden": post.hidden,
        "expires_at": post.expires_at,
    }
    if post.kind == "offer":
        return Offer(**fields, capacity=max(1, post.places_left))
    return Need(**fields)


def _context(facts: _Facts) -> Context:
    pairs = facts.links["offer"] | facts.links["need"]
    return Context(
        links=frozenset(frozenset(str(c) for c in pair) for pair in pairs),
        blocked=frozenset(frozenset(str(m) for m in pair) for pair in facts.blocked),
        now=now_utc(),
    )


def _shared_between(a: _Brief, b: _Brief, facts: _Facts) -> bool:
    """Each post reaches the other's community: the same community, or both shared across an
    active link that carries their kinds (public posts reach everyone)."""
    if a.community_id == b.community_id:
        return True
    pair = frozenset((a.community_id, b.community_id))
    return all(
        post.visibility == "public"
        or (post.visibility == "linked" and pair in facts.links[post.kind])
        for post in (a, b)
    )


@dataclass(frozen=True)
class _Brief:
    """What matching reads of a post, loaded as plain rows: thousands of candidates cost a
    few milliseconds this way, where ORM objects cost a few hundred."""

    id: int
    kind: str
    title: str
    description: str
    category: str
    community_id: int
    author_id: int
    visibility: str
    status: str
    places_left: int
    lat: float
    lon: float
    expires_at: datetime | None
    hidden: bool
    tag_names: tuple[str, ...]
    # The post's own times of the week; without them, its author's usual availability counts.
    slots: tuple[Slot, ...] = ()


_BRIEF_COLUMNS = (
    Post.id,
    Post.kind,
    Post.title,
    Post.description,
    Post.category,
    Post.community_id,
    Post.author_id,
    Post.visibility,
    Post.status,
    (Post.capacity - Post.accepted_count).label("places_left"),
    Post.lat,
    Post.lon,
    Post.expires_at,
    Post.hidden_at.is_not(None).label("hidden"),
)


def _open_briefs(*conditions, limit: int | None = None) -> list[_Brief]:
    """Open, unhidden, unexpired posts meeting `conditions`, newest first."""
    now = now_utc()
    statement = (
        select(*_BRIEF_COLUMNS)
        .where(
            Post.status == "open",
            Post.hidden_at.is_(None),
            or_(Post.expires_at.is_(None), Post.expires_at > now),
            *conditions,
        )
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(limit)
    )
    rows = db.session.execute(statement).all()
    tags: dict[int, list[str]] = {}
    ids = statement.with_only_columns(Post.id).order_by(None).scalar_subquery()
    for post_id, tag in db.session.execute(
        select(PostTag.post_id, PostTag.tag).where(PostTag.post_id.in_(ids))
    ):
        tags.setdefault(post_id, []).append(tag)
    slots: dict[int, list[Slot]] = {}
    for post_id, day, start, end in db.session.execute(
        select(PostSlot.post_id, PostSlot.weekday, PostSlot.start_minute, PostSlot.end_minute)
        .where(PostSlot.post_id.in_(ids))
        .order_by(PostSlot.post_id, PostSlot.weekday, PostSlot.start_minute)
    ):
        slots.setdefault(post_id, []).append(Slot(day, start, end))
    return [
        _Brief(*row, tag_names=tuple(tags.get(row.id, ())), slots=tuple(slots.get(row.id, ())))
        for row in rows
    ]


def _brief_of(post: Post) -> _Brief:
    return _Brief(
        id=post.id,
        kind=post.kind,
        title=post.title,
        description=post.description,
        category=post.category,
        community_id=post.community_id,
        author_id=post.author_id,
        visibility=post.visibility,
        status=post.status,
        places_left=post.places_left,
        lat=post.lat,
        lon=post.lon,
        expires_at=post.expires_at,
        hidden=post.hidden_at is not None,
        tag_names=tuple(post.tag_names),
        slots=tuple(Slot(s.weekday, s.start_minute, s.end_minute) for s in post.slots),
    )


def _posts_by_id(ids: Iterable[int]) -> dict[int, Post]:
    """The ORM posts for the few briefs that are shown."""
    return {
        post.id: post
        for post in db.session.scalars(
            select(Post)
            .where(Post.id.in_(set(ids)))
            .options(selectinload(Post.author), selectinload(Post.community))
        )
    }


# --- suggestions for one post -----------------------------------------------------------------


def suggestions_for(viewer: Viewer, post: Post, k: int = 5) -> list[Suggestion]:
    """The posts that best answer `post`, for its author: offers for a need, needs for an
    offer. Empty for anyone else, and for a post that is not open."""
    if not viewer.is_authenticated or viewer.id != post.author_id:
        return []
    return _best_for(post, viewer, k)


def _best_for(post: Post, viewer: Viewer, k: int) -> list[Suggestion]:
    if post.status != "open" or post.hidden_at is not None:
        return []
    me = _brief_of(post)
    candidates = _open_briefs(
        visible_to(viewer),
        Post.kind == OTHER_KIND[post.kind],
        Post.id != post.id,
        limit=CANDIDATE_LIMIT,
    )
    facts = _facts([me, *candidates])
    candidates = [c for c in candidates if _shared_between(me, c, facts)]
    if not candidates:
        return []
    context = _context(facts)
    records = [_record(c, facts) for c in candidates]
    query = _record(me, facts)
    if post.kind == "need":
        matches = OfferIndex(records, context).top(query, k)  # type: ignore[arg-type]
        found = [(int(m.offer), m) for m in matches]
    else:
        matches = NeedIndex(records, context).top(query, k)  # type: ignore[arg-type]
        found = [(int(m.need), m) for m in matches]
    posts = _posts_by_id(post_id for post_id, _ in found)
    return [Suggestion(posts[post_id], m.score, m.reasons) for post_id, m in found]


def my_suggestions(
    member: User, posts_limit: int = 5, k: int = 3
) -> list[tuple[Post, list[Suggestion]]]:
    """For the dashboard: the best few answers to each of the member's newest open posts."""
    mine = list(
        db.session.scalars(
            select(Post)
            .where(
                Post.author_id == member.id,
                Post.status == "open",
                Post.hidden_at.is_(None),
                or_(Post.expires_at.is_(None), Post.expires_at > now_utc()),
            )
            .order_by(Post.created_at.desc(), Post.id.desc())
            .limit(posts_limit)
        )
    )
    return [(post, found) for post in mine if (found := _best_for(post, member, k))]


# --- alerts when something new fits ----------------------------------------------------------


def alert_matches(post: Post) -> int:
    """Tell the authors of open posts that the new `post` answers well (a few a day at most),
    each with why. Returns how many were told."""
    if post.status != "open" or post.hidden_at is not None or _already_alerted(post):
        return 0
    author = post.author
    told = 0
    since = now_utc() - timedelta(days=1)
    with write_transaction():
        # The same form sent twice at once gives both requests this post: the row lock (on
        # PostgreSQL; SQLite's writers are serialised already) makes the second wait for the
        # first, then see its alerts and send none.
        db.session.execute(select(Post.id).where(Post.id == post.id).with_for_update())
        if _already_alerted(post):
            return 0
        for suggestion in _best_for(post, author, k=10):
            if suggestion.score < ALERT_SCORE:
                break
            other = suggestion.post
            if _alerts_since(other.author_id, since) >= ALERTS_PER_DAY:
                continue
            what = "offer" if post.kind == "offer" else "request"
            why = "; ".join(suggestion.reasons[:2])
            notify(
                other.author,
                "match",
                f"A new {what} may fit “{other.title}”: “{post.title}”"
                + (f" ({why})." if why else "."),
                f"/posts/{post.id}",
            )
            told += 1
    return told


def _already_alerted(post: Post) -> bool:
    """A form sent twice publishes one post; it must not alert twice either."""
    return (
        db.session.scalar(
            select(Notification.id)
            .where(Notification.kind == "match", Notification.link == f"/posts/{post.id}")
            .limit(1)
        )
        is not None
    )


def _alerts_since(member_id: int, since) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == member_id,
            Notification.kind == "match",
            # Alerts point at the new post; a round's proposals (also "match") don't count.
            Notification.link.like("/posts/%"),
            Notification.created_at >= since,
        )
    )


# --- matching rounds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    need: Post
    offer: Post
    score: float
    reasons: tuple[str, ...]


def propose_pairs(
    community: Community, progress: Callable[[str], None] | None = None
) -> tuple[list[Pair], int, int]:
    """The best overall assignment of open needs to open offers for this community: its own
    posts, and posts shared with it across active links. Every pair involves at least one of
    its own posts. Returns the pairs (best first) and how many needs and offers it weighed."""
    say = progress or (lambda _: None)
    posts = _open_briefs(_shared_with(community))
    needs = [p for p in posts if p.kind == "need"]
    offers = [p for p in posts if p.kind == "offer"]
    say(f"Weighing {len(needs)} needs against {len(offers)} offers")
    facts = _facts(posts)
    context = _context(facts)
    need_records = [_record(p, facts) for p in needs]
    offer_records = [_record(p, facts) for p in offers]
    found = suggest_all(need_records, offer_records, context, k=ROUND_CANDIDATES)  # type: ignore[arg-type]
    say("Choosing the best overall pairs")
    need_by_id = {str(p.id): p for p in needs}
    offer_by_id = {str(p.id): p for p in offers}
    candidates = []
    for need_id, offer_id, score in found.pairs():
        need, offer = need_by_id[need_id], offer_by_id[offer_id]
        if community.id not in (need.community_id, offer.community_id):
            continue
        if not _shared_between(need, offer, facts):
            continue
        candidates.append((need_id, offer_id, score))
    unassignable = _slot_conflicts(candidates, need_records, offer_records)
    chosen = assign_pairs(
        [c for c in candidates if (c[0], c[1]) not in unassignable],
        {r.id: r.capacity for r in offer_records},
    )
    reasons = _reasons_for(found, need_records, {(n, o) for n, o, _ in chosen})
    shown = _posts_by_id(int(post_id) for pair in chosen for post_id in pair[:2])
    pairs = [
        Pair(shown[int(n)], shown[int(o)], score, reasons.get((n, o), ())) for n, o, score in chosen
    ]
    pairs.sort(key=lambda pair: (-pair.score, pair.need.id))
    return pairs, len(needs), len(offers)


def _shared_with(community: Community):
    """Posts of this community, and `linked` posts of communities linked to it for their kind
    (public posts of linked communities too)."""
    clauses = [Post.community_id == community.id]
    for kind, scope in (("offer", "offers"), ("need", "needs")):
        partners = [
            next(iter(pair - {community.id}))
            for pair in linked_pairs(scope)
            if community.id in pair
        ]
        if partners:
            clauses.append(
                (Post.kind == kind)
                & Post.community_id.in_(partners)
                & Post.visibility.in_(SHARED_VISIBILITIES)
            )
    return or_(*clauses)


def _slot_conflicts(
    candidates: Sequence[tuple[str, str, float]],
    needs: Sequence[Need],
    offers: Sequence[Offer],
) -> set[tuple[str, str]]:
    """Pairs whose authors both gave weekly times and share none: suggested, never assigned."""
    from ..matching import availability_conflict

    need_by_id = {r.id: r for r in needs}
    offer_by_id = {r.id: r for r in offers}
    return {
        (n, o) for n, o, _ in candidates if availability_conflict(offer_by_id[o], need_by_id[n])
    }


def _reasons_for(found, needs: Sequence[Need], wanted: set[tuple[str, str]]) -> dict:
    reasons = {}
    for index, need in enumerate(needs):
        for match in found[index]:
            if (need.id, match.offer) in wanted:
                reasons[(need.id, match.offer)] = match.reasons
    return reasons


def run_round(coordinator: User, community: Community) -> MatchingRound:
    """Draft a round for the coordinator to review: nothing is sent until they say so."""
    require_coordinator(coordinator, community)
    pairs, needs, offers = propose_pairs(community)
    with write_transaction():
        matching_round = MatchingRound(
            community_id=community.id,
            run_by_id=coordinator.id,
            needs_considered=needs,
            offers_considered=offers,
        )
        db.session.add(matching_round)
        for pair in pairs:
            matching_round.proposals.append(
                Proposal(
                    need_id=pair.need.id,
                    offer_id=pair.offer.id,
                    score=round(pair.score, 4),
                    reasons="\n".join(pair.reasons),
                )
            )
    return matching_round


def remove_proposal(coordinator: User, proposal: Proposal) -> None:
    require_coordinator(coordinator, proposal.round.community)
    if proposal.round.state != "draft":
        raise RoundError("This round has been sent; its proposals can no longer be removed.")
    if proposal.state != "draft":
        raise RoundError("This pair was already removed from the round.")
    with write_transaction():
        proposal.state = "removed"
        proposal.decided_by_id = coordinator.id
        proposal.decided_at = now_utc()


def send_round(coordinator: User, matching_round: MatchingRound) -> int:
    """Tell both sides of every proposal still in the draft; returns how many were sent."""
    require_coordinator(coordinator, matching_round.community)
    if matching_round.state != "draft":
        raise RoundError("This round was already sent.")
    sent = 0
    with write_transaction():
        # Checked and moved in one conditional UPDATE: of two sends at the same instant (a
        # double click), only one still finds a draft; the other tells nobody a second time.
        moved = db.session.execute(
            update(MatchingRound)
            .where(MatchingRound.id == matching_round.id, MatchingRound.state == "draft")
            .values(state="sent", sent_at=now_utc()),
            execution_options={"synchronize_session": False},
        )
        if moved.rowcount != 1:
            raise RoundError("This round was already sent.")
        db.session.refresh(matching_round)
        for proposal in matching_round.proposals:
            if proposal.state != "draft":
                continue
            proposal.state = "sent"
            sent += 1
            link = f"/proposals/{proposal.id}"
            name = matching_round.community.name
            notify(
                proposal.need.author,
                "match",
                f"{name} suggests “{proposal.offer.title}” for your need “{proposal.need.title}”.",
                link,
            )
            notify(
                proposal.offer.author,
                "match",
                f"{name} suggests your offer “{proposal.offer.title}” for “{proposal.need.title}”.",
                link,
            )
    return sent


def side_of(viewer: Viewer, proposal: Proposal) -> str | None:
    """ "need" or "offer" for the authors of its two posts; None for anyone else."""
    if not viewer.is_authenticated:
        return None
    if viewer.id == proposal.need.author_id:
        return "need"
    if viewer.id == proposal.offer.author_id:
        return "offer"
    return None


def can_view_proposal(viewer: Viewer, proposal: Proposal) -> bool:
    """The round's coordinators (and admins) always; the two people only once it was sent (a
    draft, or a pair the coordinator removed, was never theirs to see)."""
    if side_of(viewer, proposal) is not None and proposal.state not in ("draft", "removed"):
        return True
    from ..communities.permissions import is_coordinator

    return is_coordinator(viewer, proposal.round.community)


def accept_proposal(member: User, proposal: Proposal) -> Claim:
    """Take the proposal up: it opens a claim, the need's author asking for the offer or the
    offer's author offering help with the need; the other side answers it as any claim."""
    from ..claims import services as claims

    side = side_of(member, proposal)
    if side is None:
        raise NotAllowed("Only the two people this proposal is for can take it up.")
    if proposal.state != "sent":
        raise RoundError("This proposal has already been answered.")
    if side == "need":
        target, message = proposal.offer, f"Suggested for my need “{proposal.need.title}”."
    else:
        target, message = proposal.need, f"Suggested for my offer “{proposal.offer.title}”."
    try:
        claim = claims.make_claim(member, target, message)
    except claims.AlreadyClaimed as already:
        claim = already.claim  # answered before (or a retry): the proposal points at it
    with write_transaction():
        proposal.state = "accepted"
        proposal.claim_id = claim.id
        proposal.decided_by_id = member.id
        proposal.decided_at = now_utc()
    return claim


def dismiss_proposal(member: User, proposal: Proposal) -> None:
    if side_of(member, proposal) is None:
        raise NotAllowed("Only the two people this proposal is for can dismiss it.")
    if proposal.state != "sent":
        raise RoundError("This proposal has already been answered.")
    with write_transaction():
        proposal.state = "dismissed"
        proposal.decided_by_id = member.id
        proposal.decided_at = now_utc()


def rounds_of(community: Community, limit: int = 20) -> list[MatchingRound]:
    return list(
        db.session.scalars(
            select(MatchingRound)
            .where(MatchingRound.community_id == community.id)
            .order_by(MatchingRound.id.desc())
            .limit(limit)
        )
    )


def outcome(matching_round: MatchingRound) -> dict[str, int]:
    """How many proposals of the round are in each state."""
    counts = dict.fromkeys(("draft", "removed", "sent", "accepted", "dismissed"), 0)
    for proposal in matching_round.proposals:
        counts[proposal.state] += 1
    return counts


# --- skill swaps among neighbours ------------------------------------------------------------


@dataclass(frozen=True)
class SwapStep:
    giver: User
    taker: User
    skill: str  # as the giver wrote it on their profile


@dataclass(frozen=True)
class Swap:
    """A direct swap (two steps) or a circle of three, in one of the member's communities."""

    community: Community
    steps: tuple[SwapStep, ...]
    score: float


@lru_cache(maxsize=4096)
def _skill_keys(name: str) -> frozenset[str]:
    """What a skill is about, in the engine's terms: its concepts ("bike repair" and "bicycle
    maintenance" share one) or, for a skill the vocabulary does not know, its word stems."""
    weights = default_analyzer().analyse(name, surfaces=False).weights
    main = [feature for feature, weight in weights.items() if weight >= 1.0]
    concepts = [feature for feature in main if feature.startswith("c:")]
    return frozenset(concepts or main)


def swaps_for(member: User, limit: int = 10) -> list[Swap]:
    """Skill swaps the member could make with neighbours, from what each says they can share
    and would like to learn: direct swaps first, then circles of three (A teaches B, B
    teaches C, C teaches A). Within one community at a time; never with a blocked member."""
    found: dict[frozenset[int], Swap] = {}
    for community in db.session.scalars(
        select(Community)
        .join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == member.id, Membership.status == "active")
    ):
        for swap in _swaps_in(community, member, limit):
            people = frozenset(step.giver.id for step in swap.steps)
            if people not in found or found[people].score < swap.score:
                found[people] = swap
    return sorted(found.values(), key=lambda swap: (-swap.score, len(swap.steps)))[:limit]


def _skills_in(community: Community, *conditions):
    """(member, kind, name) of the skills of the community's current members."""
    return (
        select(MemberSkill.user_id, MemberSkill.kind, MemberSkill.name)
        .join(Membership, Membership.user_id == MemberSkill.user_id)
        .join(User, User.id == MemberSkill.user_id)
        .where(
            Membership.community_id == community.id,
            Membership.status == "active",
            User.deleted_at.is_(None),
            *conditions,
        )
    )


def _swaps_in(community: Community, member: User, limit: int) -> list[Swap]:
    """Only the people who could be in a swap with the member are read: those who want what
    they teach or teach what they want (the engine's `around`), found by the skill names
    whose meaning meets the member's. A neighbourhood of thousands reads a few hundred."""
    mine = db.session.execute(
        select(MemberSkill.kind, MemberSkill.name).where(MemberSkill.user_id == member.id)
    ).all()
    my_teaching = {key for kind, name in mine if kind == "share" for key in _skill_keys(name)}
    my_wishes = {key for kind, name in mine if kind == "learn" for key in _skill_keys(name)}
    if not my_teaching and not my_wishes:
        return []
    names = db.session.execute(
        _skills_in(community).with_only_columns(MemberSkill.kind, MemberSkill.name).distinct()
    ).all()
    learners = [n for kind, n in names if kind == "learn" and _skill_keys(n) & my_teaching]
    teachers = [n for kind, n in names if kind == "share" and _skill_keys(n) & my_wishes]
    nearby = select(MemberSkill.user_id).where(
        or_(
            and_(MemberSkill.kind == "learn", MemberSkill.name.in_(learners)),
            and_(MemberSkill.kind == "share", MemberSkill.name.in_(teachers)),
        )
    )
    rows = db.session.execute(
        _skills_in(
            community, or_(MemberSkill.user_id == member.id, MemberSkill.user_id.in_(nearby))
        )
    ).all()
    teaches: dict[int, set[str]] = {}
    wants: dict[int, set[str]] = {}
    named: dict[tuple[int, str], str] = {}  # (member, key) -> the skill as they wrote it
    for user_id, kind, name in rows:
        keys = _skill_keys(name)
        (teaches if kind == "share" else wants).setdefault(user_id, set()).update(keys)
        if kind == "share":
            for key in keys:
                named.setdefault((user_id, key), name)
    if not teaches.get(member.id) and not wants.get(member.id):
        return []
    people = set(teaches) | set(wants)
    records = [
        CircleMember(
            id=str(user_id),
            teaches=frozenset(teaches.get(user_id, ())),
            wants=frozenset(wants.get(user_id, ())),
        )
        for user_id in sorted(people)
    ]
    blocked = {
        frozenset((str(a), str(b)))
        for a, b in db.session.execute(
            select(Block.blocker_id, Block.blocked_id).where(
                or_(Block.blocker_id == member.id, Block.blocked_id == member.id)
            )
        )
    }
    me = str(member.id)
    circles = find_swaps(records, blocked=blocked, through=me).for_member(me, limit)
    users = {
        user.id: user
        for user in db.session.scalars(
            select(User).where(User.id.in_({int(i) for c in circles for i in c.members}))
        )
    }
    swaps = []
    for circle in circles:
        ids = [int(i) for i in circle.members]
        # Start the circle with the member, so it reads "You teach ..."
        turn = ids.index(member.id)
        order = ids[turn:] + ids[:turn]
        gives = list(circle.gives[turn:] + circle.gives[:turn])
        steps = tuple(
            SwapStep(
                giver=users[giver],
                taker=users[order[(k + 1) % len(order)]],
                skill=named.get((giver, gives[k]), gives[k]),
            )
            for k, giver in enumerate(order)
        )
        swaps.append(Swap(community, steps, circle.score))
    return swaps
