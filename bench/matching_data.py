"""A seeded generator of realistic offers and needs, at any size, for the matching benchmarks.

Posts are built from neighbourhood topics written the way residents write them (different
words on the two sides: "a lift to the hospital" against "happy to drive people"), plus
names, streets and items that give the long tail of rare words real posts have. Posts are
spread over communities of about a thousand posts each, clustered around each community's
centre, and some communities are linked, so the hard rules do real work.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from commons.matching.records import DAYS, Need, Offer

# (category, offer titles, need titles, tags)
TOPICS: list[tuple[str, list[str], list[str], list[str]]] = [
    (
        "transport",
        [
            "Happy to give lifts in my car",
            "Driver with a spare seat most mornings",
            "Can drive you to appointments",
        ],
        [
            "Need a lift to the hospital",
            "Anyone driving to the station on Friday?",
            "Ride to my GP surgery please",
        ],
        ["lifts", "car"],
    ),
    (
        "repairs",
        [
            "Bicycle repairs and servicing",
            "I fix bikes: punctures, brakes, gears",
            "Cycle mechanic, happy to help",
        ],
        [
            "Bike has a flat tyre",
            "Can someone look at my bike's brakes?",
            "Gears on my bicycle keep slipping",
        ],
        ["bikes", "repair"],
    ),
    (
        "tutoring",
        [
            "Maths tutoring for GCSE students",
            "Retired teacher, can help with homework",
            "Tutor for primary school reading",
        ],
        [
            "Homework help for my son, year 9",
            "Looking for a maths tutor",
            "Daughter struggling with GCSE science",
        ],
        ["tutoring", "school"],
    ),
    (
        "languages",
        [
            "Spanish conversation practice",
            "Native French speaker, happy to teach",
            "English lessons for newcomers",
        ],
        [
            "Want to practise my Spanish",
            "Learning French before a move",
            "Help with English for job interviews",
        ],
        ["languages"],
    ),
    (
        "tech",
        [
            "Computer help for beginners",
            "I can sort out laptops and wifi problems",
            "Smartphone help for older neighbours",
        ],
        ["My laptop is very slow", "Help setting up a new phone", "Printer will not connect"],
        ["tech"],
    ),
    (
        "gardening",
        [
            "Gardening help: weeding, pruning, mowing",
            "Lawn mowing on weekends",
            "Hedge trimming and garden tidy-ups",
        ],
        [
            "Garden is overgrown, need a hand",
            "Someone to cut my grass",
            "Help pruning an apple tree",
        ],
        ["garden"],
    ),
    (
        "tools",
        ["Power drill to lend", "Ladder available to borrow", "Pressure washer to lend"],
        [
            "Need to borrow a drill for an afternoon",
            "Looking for a tall ladder",
            "Borrow a jet washer for the patio",
        ],
        ["tools", "lending"],
    ),
    (
        "pets",
        ["Dog walking in the mornings", "Cat sitting while you are away", "Experienced pet sitter"],
        [
            "Someone to walk my dog at lunchtime",
            "Feed my cats next week",
            "Looking after a rabbit over Easter",
        ],
        ["pets"],
    ),
    (
        "childcare",
        [
            "Babysitting in the evenings",
            "Can do school pick-ups",
            "Childminder with spare afternoons",
        ],
        [
            "Babysitter needed Saturday night",
            "School run help on Tuesdays",
            "Someone to mind the kids after school",
        ],
        ["kids"],
    ),
    (
        "food",
        [
            "Surplus vegetables from the allotment",
            "I bake bread, happy to share",
            "Batch cooking meals for neighbours",
        ],
        [
            "Hot meals for my elderly dad",
            "Fresh veg for a family on a budget",
            "Home-cooked food after an operation",
        ],
        ["food"],
    ),
    (
        "moving",
        [
            "Strong pair of hands for moving furniture",
            "Van available for small moves",
            "Help carrying heavy things",
        ],
        [
            "Moving flat next month, need help",
            "Sofa needs shifting upstairs",
            "Help to carry a wardrobe",
        ],
        ["moving"],
    ),
    (
        "care",
        [
            "Friendly visits and a chat",
            "Companionship for isolated neighbours",
            "Can do shopping for people who are shielding",
        ],
        [
            "Lonely since my wife died, would like company",
            "Weekly shopping for my mum",
            "Someone to check in on my neighbour",
        ],
        ["care"],
    ),
    (
        "arts",
        ["Guitar lessons for beginners", "Piano teaching, all ages", "Knitting and sewing circle"],
        ["Want to learn guitar", "Piano lessons for my daughter", "Teach me to knit"],
        ["music"],
    ),
    (
        "household",
        [
            "Sewing machine repairs and alterations",
            "Spare winter coats to give away",
            "Curtains and bedding to pass on",
        ],
        ["Trousers need taking up", "Warm coat for a child", "Bedding for a new flat"],
        ["clothes"],
    ),
    (
        "repairs",
        [
            "Handyman: shelves, flat-pack, small jobs",
            "Plumbing odd jobs",
            "Painting and decorating help",
        ],
        ["Flat-pack wardrobe to assemble", "Dripping tap to fix", "Help painting a bedroom"],
        ["diy"],
    ),
    (
        "health",
        [
            "Walking group for gentle exercise",
            "Can collect prescriptions",
            "Trained first aider happy to advise",
        ],
        [
            "Pick up my prescription from the chemist",
            "Company on walks for my recovery",
            "Someone to go to appointments with me",
        ],
        ["health"],
    ),
]
STREETS = [
    "Elm",
    "Mill",
    "Church",
    "Station",
    "Park",
    "Victoria",
    "Queen's",
    "Albert",
    "Bridge",
    "Chapel",
    "Orchard",
    "Meadow",
    "Ash",
    "Willow",
    "Castle",
    "Market",
    "Riverside",
]
NAMES = [
    "Amara",
    "Ben",
    "Chloe",
    "Dev",
    "Ellie",
    "Farid",
    "Grace",
    "Hamza",
    "Isla",
    "Jack",
    "Kofi",
    "Leah",
    "Marek",
    "Nia",
    "Owen",
    "Priya",
    "Rosa",
    "Sam",
    "Tom",
    "Yusuf",
]
OPENERS = ["Hi all,", "Hello neighbours,", "", "", "Quick one:", "Morning!"]
CLOSERS = [
    "Thanks!",
    "Message me here.",
    "Cheers",
    "",
    "Happy to chat first.",
    "No payment needed.",
    "Can be flexible.",
]
FILLERS = [
    "near the {s} Road end",
    "I live on {s} Street",
    "round the corner from the {s} shops",
    "{n} recommended asking here",
    "weekday evenings suit best",
    "weekends are easiest for me",
    "I have done this for years",
    "ask for {n}",
    "ref {code}",
    "flat {num}",
    "number {num}",
]
PARTS = {
    "morning": (8 * 60, 12 * 60),
    "afternoon": (12 * 60, 17 * 60),
    "evening": (17 * 60, 21 * 60),
}
COMMUNITY_SIZE = 1000  # posts per community, offers and needs together


def _body(rng: random.Random) -> str:
    filler = rng.choice(FILLERS).format(
        s=rng.choice(STREETS),
        n=rng.choice(NAMES),
        code=f"{rng.randrange(36**4):x}",
        num=rng.randrange(1, 200),
    )
    return " ".join(p for p in (rng.choice(OPENERS), filler + ".", rng.choice(CLOSERS)) if p)


def _slots(rng: random.Random) -> tuple[str, ...]:
    if rng.random() < 0.5:
        return ()
    chosen = []
    for _ in range(rng.randint(1, 3)):
        start, end = PARTS[rng.choice(list(PARTS))]
        a = rng.randrange(start, end - 60, 30)
        chosen.append(
            f"{rng.choice(DAYS)} {a // 60:02d}:{a % 60:02d}-{(a + 90) // 60:02d}:"
            f"{(a + 90) % 60:02d}"
        )
    return tuple(chosen)


def community_names(n_offers: int, n_needs: int, communities: int | None = None) -> list[str]:
    count = communities or max(1, (n_offers + n_needs) // COMMUNITY_SIZE)
    return [f"c{index:04d}" for index in range(count)]


def links(n_offers: int, n_needs: int, communities: int | None = None) -> set[frozenset[str]]:
    """The linked community pairs that go with `generate`'s posts: each even one with the next."""
    names = community_names(n_offers, n_needs, communities)
    return {frozenset(pair) for pair in zip(names[0::2], names[1::2], strict=False)}


def generate(
    n_offers: int, n_needs: int, seed: int = 1, communities: int | None = None
) -> tuple[list[Offer], list[Need]]:
    """`n_offers` offers and `n_needs` needs, the same for the same seed.

    Every post is open and visible and none has expired, so a benchmark measures matching
    rather than filtering; about a half give weekly slots; offers have capacity 1 to 3.
    `communities` overrides the number of communities (one: everyone may match everyone).
    """
    rng = random.Random(seed)
    names = community_names(n_offers, n_needs, communities)
    centres = {name: (rng.uniform(50.5, 53.5), rng.uniform(-3.0, 0.5)) for name in names}
    members = max(2, (n_offers + n_needs) // 3)
    far_future = datetime(2100, 1, 1, tzinfo=UTC)

    def common(rng: random.Random) -> dict[str, object]:
        community = rng.choice(names)
        lat, lon = centres[community]
        return {
            "body": _body(rng),
            "lat": round(lat + rng.gauss(0, 0.012), 5),
            "lon": round(lon + rng.gauss(0, 0.018), 5),
            "community": community,
            "available": _slots(rng),
            "member": f"m{rng.randrange(members)}",
            "trust": round(rng.random() ** 2, 3),
            "expires_at": far_future - timedelta(days=rng.randrange(365)),
        }

    offers = []
    for index in range(n_offers):
        category, titles, _, tags = rng.choice(TOPICS)
        offers.append(
            Offer(
                id=f"o{index}",
                title=rng.choice(titles),
                category=category,
                tags=tuple(rng.sample(tags, rng.randint(0, len(tags)))),
                capacity=rng.choice((1, 1, 1, 2, 3)),
                **common(rng),  # type: ignore[arg-type]
            )
        )
    needs = []
    for index in range(n_needs):
        category, _, titles, tags = rng.choice(TOPICS)
        needs.append(
            Need(
                id=f"n{index}",
                title=rng.choice(titles),
                category=category if rng.random() < 0.8 else "other",
                tags=tuple(rng.sample(tags, rng.randint(0, len(tags)))),
                **common(rng),  # type: ignore[arg-type]
            )
        )
    return offers, needs
