"""A demo neighbourhood for newcomers, and bulk members for benchmarks."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, text

from .accounts.models import User
from .accounts.services import hash_password
from .claims import services as claims
from .communities.models import Community, Membership, Neighbourhood
from .database import now_utc, write_transaction
from .exchanges import services as exchanges
from .extensions import db
from .links import services as links
from .mentorship import services as mentoring
from .mentorship.models import Mentorship, MentorshipSession
from .posts import services as post_services
from .posts.models import Post, PostSlot, slot_for
from .profiles.models import AvailabilitySlot, MemberSkill
from .sessions import services as sessions
from .timebank import services as timebank

DEMO_PASSWORD = "neighbour-2026"

COMMUNITIES = [
    {
        "name": "Northside",
        "description": "Streets north of the park. Tools, lifts and a Thursday repair café.",
        "join_policy": "open",
        "centre": (51.4700, -2.5900),
        "neighbourhoods": [
            ("Park Edge", 51.4712, -2.5931),
            ("Mill Lane", 51.4745, -2.5862),
            ("Station Hill", 51.4668, -2.5880),
        ],
    },
    {
        "name": "Riverside",
        "description": "Both banks of the river, from the old wharf to the allotments.",
        "join_policy": "approval",
        "centre": (51.4500, -2.5800),
        "neighbourhoods": [
            ("Wharf", 51.4488, -2.5840),
            ("Allotments", 51.4521, -2.5751),
            ("Ferry Steps", 51.4475, -2.5792),
        ],
    },
    {
        "name": "Old Town",
        "description": (
            "The market streets. Language swaps, homework club and the community fridge."
        ),
        "join_policy": "open",
        "centre": (51.4560, -2.6010),
        "neighbourhoods": [
            ("Market Square", 51.4556, -2.6022),
            ("Chapel Row", 51.4581, -2.5987),
        ],
    },
]

FIRST_NAMES = [
    "Amara",
    "Ben",
    "Chen",
    "Dora",
    "Eli",
    "Fatima",
    "George",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Marek",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tomasz",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zara",
    "Aled",
    "Bea",
    "Carlos",
    "Deepa",
    "Emeka",
    "Freya",
    "Gus",
    "Hiro",
    "Isla",
    "Jonah",
]
LAST_INITIALS = "ABCDEFGHJKLMNPRSTW"
SKILLS = [
    "guitar",
    "bike repair",
    "spanish",
    "polish",
    "cooking",
    "baking",
    "sewing",
    "gardening",
    "maths tutoring",
    "homework help",
    "computer help",
    "phone setup",
    "plumbing basics",
    "dog walking",
    "childcare",
    "knitting",
    "photography",
    "cv writing",
    "carpentry",
    "piano",
    "english conversation",
    "first aid",
    "painting",
    "driving lessons",
    "yoga",
]
LANGUAGES = ["English", "Polish", "Spanish", "Urdu", "Mandarin", "French", "Somali", "Welsh"]
BIOS = [
    "Retired teacher, happy to help with reading and maths.",
    "I fix bikes on Saturdays and love a good chat.",
    "New to the area with two small kids.",
    "Keen gardener; too many courgettes every August.",
    "Student nurse, around most evenings.",
    "I have a van and can help with moves now and then.",
    "",
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    role: str


def is_empty() -> bool:
    return not db.session.scalar(select(func.count(User.id)))


def seed_neighbourhood(seed: int = 7) -> list[DemoLogin]:
    """Three communities with neighbourhoods, coordinators and three dozen varied members."""
    rng = random.Random(seed)
    password_hash = hash_password(
        DEMO_PASSWORD
    )  # one hash for every demo login: seeding stays fast
    logins: list[DemoLogin] = []
    with write_transaction():
        communities = []
        for spec in COMMUNITIES:
            community = Community(
                name=spec["name"],
                slug=spec["name"].lower().replace(" ", "-"),
                description=spec["description"],
                join_policy=spec["join_policy"],
                centre_lat=spec["centre"][0],
                centre_lon=spec["centre"][1],
                radius_km=1.5,
                neighbourhoods=[
                    Neighbourhood(name=n, lat=la, lon=lo) for n, la, lo in spec["neighbourhoods"]
                ],
            )
            db.session.add(community)
            communities.append(community)
        for index, first in enumerate(FIRST_NAMES):
            name = f"{first} {LAST_INITIALS[index % len(LAST_INITIALS)]}."
            home = communities[index % len(communities)]
            user = User(
                email=f"{first.lower()}@demo.commons",
                display_name=name,
                password_hash=password_hash,
                bio=rng.choice(BIOS),
                languages=", ".join(["English", *rng.sample(LANGUAGES[1:], rng.randint(0, 2))]),
                neighbourhood=rng.choice(home.neighbourhoods),
                notify_email="digest",
            )
            is_coordinator = index < len(communities)
            user.memberships.append(
                Membership(
                    community=home,
                    role="coordinator" if is_coordinator else "member",
                    status="active",
                    joined_at=now_utc(),
                )
            )
            if index % 5 == 0 and not is_coordinator:
                other = communities[(index + 1) % len(communities)]
                pending = other.join_policy == "approval" and index % 10 == 0
                user.memberships.append(
                    Membership(
                        community=other,
                        status="pending" if pending else "active",
                        joined_at=None if pending else now_utc(),
                    )
                )
            share = rng.sample(SKILLS, rng.randint(1, 3))
            learn = rng.sample([s for s in SKILLS if s not in share], rng.randint(1, 2))
            user.skills = [MemberSkill(kind="share", name=s) for s in share] + [
                MemberSkill(kind="learn", name=s) for s in learn
            ]
            day = rng.randrange(7)
            user.slots = [
                AvailabilitySlot(weekday=day, start_minute=18 * 60, end_minute=20 * 60),
                AvailabilitySlot(weekday=(day + 3) % 7, start_minute=10 * 60, end_minute=12 * 60),
            ]
            db.session.add(user)
            if is_coordinator or index in (3, 4):
                logins.append(
                    DemoLogin(
                        user.email,
                        name,
                        f"coordinator of {home.name}" if is_coordinator else "member",
                    )
                )
        admin = User(
            email="admin@demo.commons",
            display_name="Site Admin",
            password_hash=password_hash,
            is_admin=True,
        )
        db.session.add(admin)
        logins.append(DemoLogin(admin.email, admin.display_name, "site admin"))
    posts = seed_posts(rng)
    seed_claims(posts)
    seed_links()
    seed_timebank()
    seed_mentorship()
    seed_exchanges()
    return logins


# An offer and a need for every category, in the words neighbours use.
POST_IDEAS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "tools": (
        ("Ladder and drill to lend", "Three-metre ladder, cordless drill with bits."),
        ("Need a hedge trimmer for a day", "Our hedge is taking over the pavement."),
    ),
    "food": (
        ("Spare courgettes and tomatoes", "Allotment glut, come and take a bagful."),
        ("Hot meals for a week after surgery", "I can't stand at the cooker for a while."),
    ),
    "transport": (
        ("Lifts to the supermarket on Saturdays", "I drive there every Saturday morning."),
        ("Lift to the clinic on Tuesday", "Appointment at 10:30, I can't manage the bus."),
    ),
    "childcare": (
        ("School pick-up on Thursdays", "I collect my two anyway and can take one more."),
        ("Someone to mind a toddler for an hour", "Just while I go to a job interview."),
    ),
    "tutoring": (
        ("Maths homework help for teenagers", "Retired teacher, GCSE level."),
        ("Help with reading for my son", "He is eight and finds reading hard."),
    ),
    "languages": (
        ("Spanish conversation over coffee", "Native speaker, happy to chat weekly."),
        ("Practise English conversation", "I am learning and want to speak more."),
    ),
    "tech": (
        ("Phone and laptop help for beginners", "Email, video calls, online shopping."),
        ("Set up a video call with my grandchildren", "New tablet, no idea where to start."),
    ),
    "repairs": (
        ("Bike repair on Saturdays", "Punctures, brakes, gears. Bring your bike."),
        ("Wobbly chair leg needs fixing", "An old kitchen chair I'd like to keep."),
    ),
    "gardening": (
        ("Seedlings and cuttings to give away", "Tomatoes, mint, geraniums."),
        ("Help digging a vegetable bed", "A couple of hours of digging, tea provided."),
    ),
    "pets": (
        ("Dog walking on weekday mornings", "I walk mine at 7 and can take yours."),
        ("Cat feeding while I'm away", "Four days in August, two visits a day."),
    ),
    "care": (
        ("Weekly chat and a cup of tea", "For anyone feeling lonely, I'll visit."),
        ("Company for my mum on Sundays", "She loves cards and a bit of gossip."),
    ),
    "moving": (
        ("Van and a strong pair of arms", "Can help with a move now and then."),
        ("Carry a sofa up two flights", "Needs two people, ten minutes' work."),
    ),
    "household": (
        ("Children's winter coats, ages 4 to 8", "Clean, warm, outgrown."),
        ("Need a cot for a new baby", "Due next month; a travel cot would do."),
    ),
    "health": (
        ("Collect prescriptions for neighbours", "I pass the pharmacy every day."),
        ("Someone to walk with me after my hip operation", "Short walks to build up."),
    ),
    "arts": (
        ("Guitar lessons for beginners", "Acoustic, all ages, bring a guitar."),
        ("Looking for a choir to join", "I sing alto and miss singing with others."),
    ),
    "other": (
        ("Printer for the odd document", "Black and white, bring your own paper."),
        ("Help filling in a housing form", "It is long and confusing."),
    ),
}


def seed_posts(rng: random.Random) -> list[Post]:
    """An offer and a need in every category, across the communities, one standing offer,
    one public post, and one that ran past its expiry."""
    members = list(
        db.session.scalars(select(User).where(User.is_admin.is_(False)).order_by(User.id))
    )
    posts = []
    for index, (category, (offer, need)) in enumerate(POST_IDEAS.items()):
        for kind, (title, description) in (("offer", offer), ("need", need)):
            author = members[(index * 2 + (kind == "need")) % len(members)]
            home = next(m.community for m in author.memberships if m.status == "active")
            post = post_services.create_post(
                author,
                post_services.PostInput(
                    kind=kind,
                    title=title,
                    description=description,
                    category=category,
                    community_id=home.id,
                    tags=[category],
                    capacity=rng.choice((1, 1, 2, 3)) if kind == "offer" else 1,
                    # Some public, some shared with linked communities, most kept at home.
                    visibility={0: "public", 2: "linked"}.get(index % 5, "community"),
                    is_standing=category == "repairs" and kind == "offer",
                ),
            )
            posts.append(post)
    posts += _needs_that_fit(posts)
    with write_transaction():
        posts[-1].expires_at = now_utc() - timedelta(days=1)  # reads as expired
    return posts


# Needs written in other words than the offers they fit, posted by a neighbour of the offer's
# author: the suggestions and matching rounds of the demo have something real to find.
FITTING_NEEDS = {
    "Bike repair on Saturdays": ("My bicycle has a flat tyre", "The back wheel keeps going soft."),
    "Lifts to the supermarket on Saturdays": (
        "A ride to the shops at the weekend",
        "I can't carry heavy bags on the bus any more.",
    ),
    "Phone and laptop help for beginners": (
        "Show my dad how to use his new smartphone",
        "He wants to send photos and make video calls.",
    ),
    "Maths homework help for teenagers": (
        "Tutor for my daughter's GCSE maths",
        "She is stuck on algebra before her exams.",
    ),
}
DEMO_TIMES = {"offer": ["sat-morning", "tue-evening"], "need": ["sat-morning", "sun-afternoon"]}


def _needs_that_fit(posts: list[Post]) -> list[Post]:
    made = []
    for offer in posts:
        if offer.kind != "offer" or offer.title not in FITTING_NEEDS:
            continue
        title, description = FITTING_NEEDS[offer.title]
        author = _neighbours_of(offer, 1)[0]
        with write_transaction():
            offer.slots = [
                PostSlot(weekday=d, start_minute=s, end_minute=e)
                for d, s, e in map(slot_for, DEMO_TIMES["offer"])
            ]
        made.append(
            post_services.create_post(
                author,
                post_services.PostInput(
                    kind="need",
                    title=title,
                    description=description,
                    category=offer.category,
                    community_id=offer.community_id,
                    visibility="community",
                    when=DEMO_TIMES["need"],
                ),
            )
        )
    return made


def _neighbours_of(post: Post, count: int) -> list[User]:
    """Active members of the post's community other than its author, in a stable order."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership)
            .where(
                Membership.community_id == post.community_id,
                Membership.status == "active",
                User.id != post.author_id,
            )
            .order_by(User.id)
            .limit(count)
        )
    )


def seed_claims(posts: list[Post]) -> None:
    """Answers to the demo posts in every state, with a conversation and thanks on one."""
    open_offers = [p for p in posts if p.kind == "offer" and p.status == "open"]
    needs = [p for p in posts if p.kind == "need" and p.status == "open"]

    # A finished exchange: asked, accepted, talked, done, thanked both ways.
    need = needs[0]
    helper, *_ = _neighbours_of(need, 1)
    done = claims.make_claim(helper, need, "I can help with this on Saturday morning.")
    claims.accept(need.author, done)
    claims.send_message(need.author, done, "Thank you! Would 10 o'clock suit you?")
    claims.send_message(helper, done, "10 is perfect, see you then.")
    claims.complete(need.author, done)
    claims.thank(need.author, done, "So kind of you, it made my week.")
    claims.thank(helper, done, "Lovely to meet you!")

    # A one-place offer that is taken, with someone on the waiting list.
    full = next(p for p in open_offers if p.capacity == 1)
    first, second = _neighbours_of(full, 2)
    claims.accept(full.author, claims.make_claim(first, full, "I'd love to borrow this."))
    claims.make_claim(second, full, "If it frees up, I'd like it too.")  # waitlisted

    # Waiting for an answer, declined, withdrawn, cancelled.
    others = [p for p in open_offers if p is not full][:4]
    outcomes = ("pending", "declined", "withdrawn", "cancelled")
    for post, outcome in zip(others, outcomes, strict=True):
        (person,) = _neighbours_of(post, 1)
        claim = claims.make_claim(person, post, "Could I have this, please?")
        if outcome == "declined":
            claims.decline(post.author, claim)
        elif outcome == "withdrawn":
            claims.withdraw(person, claim)
        elif outcome == "cancelled":
            claims.accept(post.author, claim)
            claims.cancel(post.author, claim)


def seed_links() -> None:
    """Northside and Riverside linked for offers and needs (so their `linked` posts reach each
    other), and Old Town's proposal to Northside waiting for an answer."""
    by_name = {c.name: c for c in db.session.scalars(select(Community))}
    northside, riverside, old_town = (by_name[n] for n in ("Northside", "Riverside", "Old Town"))

    def coordinator_of(community: Community) -> User:
        return db.session.scalars(
            select(User)
            .join(Membership)
            .where(Membership.community_id == community.id, Membership.role == "coordinator")
            .order_by(User.id)
        ).first()

    link = links.propose(
        coordinator_of(northside),
        northside,
        riverside,
        scopes=["offers", "needs"],
        message="We are just across the park: shall our members see each other's posts?",
    )
    links.accept(coordinator_of(riverside), riverside, link)
    links.propose(
        coordinator_of(old_town),
        old_town,
        northside,
        scopes=["offers", "needs", "mentors"],
        message="Our language swaps and homework club would love more neighbours.",
    )


def seed_timebank() -> None:
    """A time-bank history: hours paid for help in Northside and Riverside, a payment sent to
    the wrong neighbour and given back, and a request waiting for Dora (a demo login) to
    confirm."""

    def active_members(name: str) -> list[User]:
        return list(
            db.session.scalars(
                select(User)
                .join(Membership)
                .join(Community)
                .where(Community.name == name, Membership.status == "active")
                .order_by(User.id)
            )
        )

    amara, dora, fatima, george, jade = active_members("Northside")[:5]
    ben, eli = active_members("Riverside")[:2]
    timebank.send_hours(dora, george, 120, "Fixed my bike brakes")
    timebank.send_hours(amara, dora, 90, "Maths homework help for my nephew")
    timebank.send_hours(george, fatima, 45, "Watered the seedlings while we were away")
    timebank.send_hours(ben, eli, 60, "Helped at the repair café")
    mistake = timebank.send_hours(dora, fatima, 60, "Lift to the station")
    timebank.reverse(fatima, mistake, "Not me, Dora: I think George gave you that lift!")
    timebank.send_hours(dora, george, 60, "Lift to the station")
    timebank.request_hours(jade, dora, 75, "Walked your dog on Tuesday and Thursday")


# Mentors teach what they share on their profiles: (first name, topics, capacity, in person,
# online, levels, about). Mentors are found within their own communities (the demo's links do
# not share mentors), so each community has some.
MENTORS = [
    ("Jade", ("guitar", "piano"), 2, True, True, (), "Twenty years of playing, all by ear."),
    ("George", ("bike repair",), 1, True, False, ("beginner",), "Bring your bike, I have tools."),
    ("Eli", ("polish", "first aid"), 2, True, True, (), "Polish at home, first aider at work."),
    (
        "Kofi",
        ("cv writing", "english conversation"),
        3,
        False,
        True,
        ("beginner", "intermediate"),
        "I help people get their first job here.",
    ),
    ("Lena", ("maths tutoring",), 2, True, False, (), "GCSE maths, patiently."),
]
# Open learning goals (first name, topic, level) and the mentor in their community who fits
# it: the hub's suggestions have something real to show.
GOALS = [
    ("Dora", "bike repair", "beginner", "George"),
    ("Marek", "piano", "beginner", "Jade"),
    ("Hana", "english conversation", "intermediate", "Kofi"),
    ("Omar", "maths tutoring", "intermediate", "Lena"),
]


def _member(first: str) -> User:
    return db.session.scalars(
        select(User).where(User.email == f"{first.lower()}@demo.commons")
    ).one()


def _ensure_skill(user: User, kind: str, name: str) -> None:
    """The member shares (or wants to learn) `name` on their profile; added if it is not."""
    if not any(s.kind == kind and s.name == name for s in user.skills):
        user.skills.append(MemberSkill(kind=kind, name=name))


def _ensure_shared_slot(mentor: User, learner: User) -> None:
    """The mentor is free in the learner's first weekly window, so the two have times to agree
    (both demo members keep their clocks in the default zone)."""
    slot = min(learner.slots, key=lambda s: (s.weekday, s.start_minute))
    if not any(
        s.weekday == slot.weekday
        and s.start_minute < slot.end_minute
        and slot.start_minute < s.end_minute
        for s in mentor.slots
    ):
        mentor.slots.append(
            AvailabilitySlot(
                weekday=slot.weekday, start_minute=slot.start_minute, end_minute=slot.end_minute
            )
        )


def _next_shared_start(mentorship: Mentorship, after: datetime) -> datetime:
    """The first time after `after` when both are free for an hour (as the propose page
    suggests it); a weekday evening a week on if their weeks never meet."""
    starts = sessions.suggest_starts(mentorship, 60, now=after, count=1)
    if starts:
        return starts[0]
    return (after + timedelta(days=7)).replace(hour=18, minute=0, second=0, microsecond=0)


def seed_mentorship() -> None:
    """Five mentors across the communities and four learning goals; Dora (a demo login)
    learning guitar from Jade in an active mentorship, with a past session done, thanked both
    ways and paid for in hours, a confirmed session in a few days and another time waiting for
    her to confirm; and Hana's request waiting for Eli (the other demo login) to answer.

    The services do the work where they can. A session in the past can't be proposed, so that
    one row is written as it would be after confirming and marking it done."""
    with write_transaction():
        for first, topics, *_ in MENTORS:
            mentor = _member(first)
            for topic in topics:
                _ensure_skill(mentor, "share", topic)
        for first, topic, _, mentor in GOALS:
            _ensure_skill(_member(first), "learn", topic)
            # Suggestions leave out a mentor whose week never meets the learner's.
            _ensure_shared_slot(_member(mentor), _member(first))
        dora, jade = _member("Dora"), _member("Jade")
        _ensure_skill(dora, "learn", "guitar")
        _ensure_shared_slot(jade, dora)
    profiles = {}
    for first, topics, capacity, in_person, online, levels, about in MENTORS:
        profiles[first] = mentoring.save_profile(
            _member(first),
            mentoring.MentorInput(
                topics=topics,
                capacity=capacity,
                in_person=in_person,
                online=online,
                levels=levels,
                about=about,
            ),
        )
    for first, topic, level, _ in GOALS:
        mentoring.create_goal(_member(first), mentoring.GoalInput(topic=topic, level=level))

    # Dora and Jade: asked three weeks ago, accepted the next day.
    mentorship = mentoring.ask(
        dora,
        profiles["Jade"],
        "guitar",
        "Hello Jade! I have an old acoustic guitar and would love to play a few songs.",
    )
    mentoring.accept(jade, mentorship)
    now = now_utc()
    with write_transaction():
        mentorship.created_at = now - timedelta(days=21)
        mentorship.decided_at = now - timedelta(days=20)

    # Last week's session, as confirming and marking it done would have left it.
    past_start = _next_shared_start(mentorship, now - timedelta(days=9))
    if past_start > now - timedelta(hours=2):
        past_start = now - timedelta(days=7)
    with write_transaction():
        past = MentorshipSession(
            mentorship_id=mentorship.id,
            proposed_by_id=jade.id,
            starts_at=past_start,
            duration_minutes=60,
            place="Northside community hall, the small room",
            state="done",
            created_at=past_start - timedelta(days=4),
            confirmed_at=past_start - timedelta(days=3),
            done_at=past_start + timedelta(hours=1),
            sequence=2,
        )
        db.session.add(past)
    sessions.thank(dora, past, "Three chords in one evening! Thank you, Jade.")
    sessions.thank(jade, past, "You practised so well, Dora. See you next week.")
    timebank.send_hours(dora, jade, 60, "Guitar lesson", session=past)

    # A session in a few days, agreed; and one more time Jade proposed, waiting for Dora.
    soon = sessions.propose(
        jade,
        mentorship,
        _next_shared_start(mentorship, now + timedelta(days=2)),
        60,
        "Northside community hall, the small room",
    )
    sessions.confirm(dora, soon)
    sessions.propose(
        jade,
        mentorship,
        _next_shared_start(mentorship, soon.starts_at + timedelta(days=1)),
        60,
        "",
        "https://meet.example.org/jade-guitar",
    )

    # Hana asks Eli to teach her Polish: waiting for his answer.
    mentoring.ask(
        _member("Hana"),
        profiles["Eli"],
        "polish",
        "Cześć! My partner's family is Polish and I'd love to chat with them.",
    )


def seed_exchanges() -> None:
    """A swap circle of three waiting for Dora: Fatima teaches Dora knitting, Dora teaches
    Marek CV writing, Marek teaches Fatima plumbing basics. Fatima proposed it and Marek
    accepted; when Dora accepts, it starts."""
    fatima, dora, marek = _member("Fatima"), _member("Dora"), _member("Marek")
    lessons = [
        (fatima, dora, "knitting"),
        (dora, marek, "cv writing"),
        (marek, fatima, "plumbing basics"),
    ]
    with write_transaction():
        for teacher, learner, skill in lessons:
            _ensure_skill(teacher, "share", skill)
            _ensure_skill(learner, "learn", skill)
    circle = exchanges.propose(
        fatima,
        [exchanges.LessonInput(teacher, learner, skill) for teacher, learner, skill in lessons],
        kind="circle",
        message="The three of us fit together: shall we try it for a month?",
    )
    exchanges.accept(marek, circle)


def bulk_posts(count: int, batch: int = 2000, seed: int = 13) -> Iterator[int]:
    """Add `count` posts by random members, yielding progress per batch (for benchmarks)."""
    rng = random.Random(seed)
    authors = db.session.execute(
        select(Membership.user_id, Membership.community_id, Neighbourhood.lat, Neighbourhood.lon)
        .join(Neighbourhood, Neighbourhood.community_id == Membership.community_id)
        .where(Membership.status == "active")
        .limit(5000)
    ).all()
    ideas = [
        (c, k, t, d)
        for c, pair in POST_IDEAS.items()
        for k, (t, d) in zip(("offer", "need"), pair, strict=True)
    ]
    done = 0
    while done < count:
        size = min(batch, count - done)
        rows = []
        for _ in range(size):
            user_id, community_id, lat, lon = rng.choice(authors)
            category, kind, title, description = rng.choice(ideas)
            created = now_utc() - timedelta(minutes=rng.randrange(60 * 24 * 60))
            rows.append(
                {
                    "kind": kind,
                    "title": title,
                    "description": description,
                    "category": category,
                    "community_id": community_id,
                    "author_id": user_id,
                    "capacity": 1,
                    "accepted_count": 0,
                    "visibility": rng.choice(("community", "community", "public")),
                    "status": "open",
                    "is_standing": False,
                    "expires_at": created + timedelta(days=30 + rng.randrange(60)),
                    "lat": lat + rng.uniform(-0.004, 0.004),
                    "lon": lon + rng.uniform(-0.004, 0.004),
                    "search_text": f"{title}\n{description}\n{category}",
                    "created_at": created,
                    "updated_at": created,
                }
            )
        with write_transaction():
            db.session.execute(insert(Post), rows)
        done += size
        yield size


def bulk_members(count: int, batch: int = 1000, seed: int = 11) -> Iterator[int]:
    """Add `count` members spread over the existing communities, yielding progress per batch.

    Uses Core inserts: the ORM's unit of work would take minutes for 20,000 members.
    """
    rng = random.Random(seed)
    password_hash = hash_password(DEMO_PASSWORD)
    places = db.session.execute(select(Neighbourhood.id, Neighbourhood.community_id)).all()
    if not places:
        raise RuntimeError("Seed the demo neighbourhood first: bulk members join its communities.")
    first = db.session.scalar(select(func.count(User.id))) or 0
    done = 0
    while done < count:
        size = min(batch, count - done)
        with write_transaction():
            users, homes = [], []
            for n in range(first + done, first + done + size):
                place_id, community_id = rng.choice(places)
                homes.append(community_id)
                users.append(
                    {
                        "email": f"member{n}@bulk.commons",
                        "display_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_INITIALS)}.",
                        "password_hash": password_hash,
                        "session_token": f"bulk-{n}",
                        "neighbourhood_id": place_id,
                        "bio": "",
                        "languages": "English",
                        "created_at": now_utc(),
                    }
                )
            ids = db.session.scalars(
                insert(User).returning(User.id, sort_by_parameter_order=True), users
            ).all()
            memberships = [
                {
                    "community_id": community_id,
                    "user_id": user_id,
                    "role": "member",
                    "status": "active",
                    "created_at": now_utc(),
                    "joined_at": now_utc(),
                }
                for user_id, community_id in zip(ids, homes, strict=True)
            ]
            skills = [
                {"user_id": user_id, "kind": kind, "name": rng.choice(SKILLS)}
                for user_id in ids
                for kind in ("share", "learn")
            ]
            db.session.execute(insert(Membership), memberships)
            db.session.execute(insert(MemberSkill), skills)
        done += size
        yield size


def refresh_planner_statistics() -> None:
    """ANALYZE after a bulk load, so both databases' planners know the tables' new sizes and
    pick the indexes (PostgreSQL's autovacuum would get there, but only later)."""
    with write_transaction():
        db.session.execute(text("ANALYZE"))
