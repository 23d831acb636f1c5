"""Elm Street: a small community whose every figure is worked out by hand below, built through
the services of communities, posts and claims, with time-machine setting each moment.

NOW is Monday 30 June 2025, 12:00 UTC. "d-20" is 20 days before NOW (same time of day),
"d-10 +6h" six hours after d-10. The 4-week window starts at d-28, the 12-week one at d-84.

Members of Elm Street (joined_at): Cora founds it at d-100 (coordinator), Ann joins at d-80,
Ben at d-21 (to the second: where two weeks meet), Dee at d-3. Oak Road, founded by Olly at
d-40, is next door; Ann joins it at d-9.

Posts of Elm Street (lifetime in days where it matters):
  P1  need  food       Ann   d-70   Cora claims d-70 +5h, Ann accepts d-69, Cora completes
                                    d-68 +5h; Ann closes it at d-60: closed, but met.
  P2  need  transport  Cora  d-60   (30 days: expired at d-30, still "open" in the table)
                                    Ann claims d-58, Cora declines d-57.
  P3  offer tools      Cora  d-50   (120, capacity 2) Ann claims d-50 +1h, Cora accepts d-49,
                                    Ann completes d-47 +1h; Ben claims d-19, pending: open.
  P4  need  gardening  Ann   d-20   (60) Ben claims d-17, Ann accepts d-16, completes d-10.
  P5  need  languages  Ben   d-15   (60) no answer: open.
  P6  need  tutoring   Ann   d-10   (60) Cora claims d-10 +6h, still pending: open.
  P7  offer food       Ben   d-5    (capacity 3) Dee claims d-3 +2h, Ben accepts d-2,
                                    Dee completes d-1; Cora claims d-2 +3h, Ben accepts d-2 +4h,
                                    Cora completes d-1 +12h; a place left: open.
  P8  need  repairs    Dee   d-2    Ben claims d-2 +30min, Dee accepts d-2 +1h: fulfilled.
  P9  need  pets       Cora  d-28   (to the second: the 4-week window's first moment) closed
                                    by Cora at d-27, unanswered.
  P10 need  other      Ann   d-12   Ben claims d-12 +1h; hidden by a moderator at d-11:
                                    left out of every figure, its claim too.
  P11 offer household  Cora  d-90   ongoing (standing): open. Ann claims d-30, pending.
  P12 need  food       Dee   d-1    no answer: open.
Oak Road: Olly's need at d-10, Ann claims it at d-8, Olly accepts at d-7 (none of it counts).

Time bank (minutes):
  T1  Ann -> Cora   90  for P3's claim, sent at d-47 +2h.
  T2  Ann -> Ben   120  for P4's claim: Ben asks at d-10 +1h, Ann confirms at d-9 (it counts
                        from then).
  T3  Dee -> Ben    60  for no claim (both Elm Street members), sent at d-1 +2h.
  T4  Cora -> Dee   45  sent by mistake at d-2 +5h; Dee gives it back at d-2 +6h: neither counts.
  T5  Ann -> Olly   30  for no claim; they share only Oak Road: Oak Road's, at d-6.
  T6  Dee -> Ben    30  for P8's claim: Ben asks at d-1 +3h, Dee has not confirmed: not yet.
  T7  Dee -> Ben    15  for no claim: Ben asks at d-1 +4h, Dee refuses at d-1 +5h: never.
  T8  Ann -> Cora   30  for P3's claim: Cora asks at d-29 (before the 4 weeks), Ann confirms
                        at d-20 (within them: it counts from then).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from commons.accounts.models import User
from commons.claims import services as claims
from commons.communities import services as communities
from commons.communities.models import Community
from commons.extensions import db
from commons.posts import services as posts
from commons.posts.models import Post
from commons.timebank import services as timebank

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def at(days: float, hours: float = 0, minutes: float = 0) -> datetime:
    """`days` before NOW, then `hours` and `minutes` later: at(10, hours=6) is "d-10 +6h"."""
    return NOW - timedelta(days=days) + timedelta(hours=hours, minutes=minutes)


@contextmanager
def moment(days: float, hours: float = 0, minutes: float = 0) -> Iterator[None]:
    with time_machine.travel(at(days, hours, minutes), tick=False):
        yield


@contextmanager
def now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class ElmStreet:
    community: Community
    neighbour: Community  # Oak Road
    cora: User
    ann: User
    ben: User
    dee: User
    posts: dict[str, Post]


def make_community(founder: User, name: str, lat: float) -> Community:
    return communities.create_community(
        founder,
        name=name,
        description="",
        join_policy="open",
        centre_lat=lat,
        centre_lon=-2.58,
        radius_km=1,
        neighbourhoods=[],
    )


def publish(author: User, community: Community, kind: str, category: str, **fields) -> Post:
    return posts.create_post(
        author,
        posts.PostInput(
            kind=kind,
            title=f"{kind.capitalize()}: {category}",
            description="",
            category=category,
            community_id=community.id,
            **fields,
        ),
    )


@pytest.fixture
def elm_street(make_user) -> ElmStreet:
    cora, ann, ben, dee, olly = (
        make_user(name) for name in ("Cora Elm", "Ann Elm", "Ben Elm", "Dee Elm", "Olly Oak")
    )
    with moment(100):
        elm = make_community(cora, "Elm Street", 51.45)
    with moment(90):
        p11 = publish(cora, elm, "offer", "household", is_standing=True)
    with moment(80):
        communities.join(ann, elm)

    with moment(70):
        p1 = publish(ann, elm, "need", "food")
    with moment(70, hours=5):
        c1 = claims.make_claim(cora, p1, "I'll cook.")
    with moment(69):
        claims.accept(ann, c1)
    with moment(68, hours=5):
        claims.complete(cora, c1)
    with moment(60):
        posts.close_post(ann, p1)

    with moment(60):
        p2 = publish(cora, elm, "need", "transport")
    with moment(58):
        c2 = claims.make_claim(ann, p2, "I could drive.")
    with moment(57):
        claims.decline(cora, c2)

    with moment(50):
        p3 = publish(cora, elm, "offer", "tools", capacity=2, lifetime_days=120)
    with moment(50, hours=1):
        c3 = claims.make_claim(ann, p3, "May I borrow it?")
    with moment(49):
        claims.accept(cora, c3)
    with moment(47, hours=1):
        claims.complete(ann, c3)
    with moment(47, hours=2):
        timebank.send_hours(ann, cora, 90, "The drill", claim=c3)

    with moment(40):
        oak = make_community(olly, "Oak Road", 51.46)
    with moment(30):
        claims.make_claim(ann, p11, "I'd love the bookshelf.")
    with moment(29):
        t8 = timebank.request_hours(cora, ann, 30, "Drill bits too", claim=c3)
    with moment(28):
        p9 = publish(cora, elm, "need", "pets")
    with moment(27):
        posts.close_post(cora, p9)

    with moment(21):
        communities.join(ben, elm)
    with moment(20):
        p4 = publish(ann, elm, "need", "gardening", lifetime_days=60)
        timebank.confirm(ann, t8)
    with moment(19):
        claims.make_claim(ben, p3, "Could I have it after Ann?")
    with moment(17):
        c4 = claims.make_claim(ben, p4, "I have a free Saturday.")
    with moment(16):
        claims.accept(ann, c4)
    with moment(10):
        claims.complete(ann, c4)
    with moment(10, hours=1):
        t2 = timebank.request_hours(ben, ann, 120, "Digging the beds", claim=c4)
    with moment(9):
        timebank.confirm(ann, t2)

    with moment(15):
        p5 = publish(ben, elm, "need", "languages", lifetime_days=60)

    with moment(12):
        p10 = publish(ann, elm, "need", "other")
    with moment(12, hours=1):
        claims.make_claim(ben, p10, "Happy to help.")
    with moment(11):
        # Moderators hide posts from the moderation queue; its state is all that matters here.
        p10.hidden_at = at(11)
        db.session.commit()

    with moment(10):
        p6 = publish(ann, elm, "need", "tutoring", lifetime_days=60)
        oak_need = publish(olly, oak, "need", "repairs")
    with moment(10, hours=6):
        claims.make_claim(cora, p6, "Maths is my thing.")
    with moment(9):
        communities.join(ann, oak)
    with moment(8):
        oak_claim = claims.make_claim(ann, oak_need, "I can fix it.")
    with moment(7):
        claims.accept(olly, oak_claim)
    with moment(6):
        timebank.send_hours(ann, olly, 30, "Tea and cake")

    with moment(5):
        p7 = publish(ben, elm, "offer", "food", capacity=3)
    with moment(3):
        communities.join(dee, elm)
    with moment(3, hours=2):
        c7 = claims.make_claim(dee, p7, "Courgettes, please!")
    with moment(2):
        claims.accept(ben, c7)
        p8 = publish(dee, elm, "need", "repairs")
    with moment(2, minutes=30):
        c8 = claims.make_claim(ben, p8, "I have a pump and patches.")
    with moment(2, hours=1):
        claims.accept(dee, c8)
    with moment(2, hours=3):
        c7b = claims.make_claim(cora, p7, "Some for the community fridge?")
    with moment(2, hours=4):
        claims.accept(ben, c7b)
    with moment(2, hours=5):
        t4 = timebank.send_hours(cora, dee, 45, "Oops, wrong person")
    with moment(2, hours=6):
        timebank.reverse(dee, t4)
    with moment(1):
        claims.complete(dee, c7)
        p12 = publish(dee, elm, "need", "food")
    with moment(1, hours=2):
        timebank.send_hours(dee, ben, 60, "Thanks for everything")
    with moment(1, hours=3):
        timebank.request_hours(ben, dee, 30, "The puncture", claim=c8)
    with moment(1, hours=4):
        t7 = timebank.request_hours(ben, dee, 15, "A cup of sugar")
    with moment(1, hours=5):
        timebank.refuse(dee, t7)
    with moment(1, hours=12):
        claims.complete(cora, c7b)

    made = dict(
        P1=p1, P2=p2, P3=p3, P4=p4, P5=p5, P6=p6, P7=p7, P8=p8, P9=p9, P10=p10, P11=p11, P12=p12
    )
    return ElmStreet(elm, oak, cora, ann, ben, dee, made)
