"""Rule 1 with real threads: many members and one author acting at the same instant never put
more accepted claims on a post than it has places, and nothing is lost.

Why the service accepts with a conditional UPDATE and not with "read, check, write". The
obvious code

    post = db.session.get(Post, claim.post_id)   # request A reads accepted_count = 0
                                                 # request B reads accepted_count = 0
    if post.accepted_count < post.capacity:      # both see one free place
        post.accepted_count += 1                 # both send SET accepted_count = 1
        claim.status = "accepted"                # both commit: two people hold one place

double-books under exactly these tests. On PostgreSQL (READ COMMITTED) both transactions read
0 before either commits; each writes the value it computed, 1, so the count even looks right
and the CHECK (accepted_count <= capacity) never fires, while two claims are accepted. (On
SQLite, a deferred transaction would fail with "database is locked" instead; only BEGIN
IMMEDIATE happens to serialise it, and the rule must not depend on the database's locking
mode.) `UPDATE posts SET accepted_count = accepted_count + 1 WHERE id = :id AND accepted_count
< capacity AND status = 'open'` lets the database check and write in one step: the second
request waits for the first's row lock, re-evaluates the WHERE against the committed row, and
updates 0 rows, which the service turns into CapacityReached. (Putting the read-check-write
code in `_take_place` makes these tests fail on PostgreSQL: ten people accepted for one place.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from commons.accounts.models import User
from commons.claims import services as claims
from commons.claims.models import Claim
from commons.extensions import db
from commons.posts.models import Post
from tests.conftest import HX, csrf_token, log_in

# The connection pool holds 15 connections (5 + 10 overflow); the test keeps one of its own.
WORKERS = 12


def run_together(
    app: Flask,
    items: list[Any],
    prepare: Callable[[Any], Any],
    act: Callable[[Any], str],
    workers: int = WORKERS,
) -> list[str]:
    """Spread `items` over `workers` threads, each in its own app context (its own session and
    connection). Each thread prepares its items, then all wait at a barrier and act at once."""
    chunks = [chunk for chunk in (items[i::workers] for i in range(workers)) if chunk]
    start = Barrier(len(chunks), timeout=60)

    def work(chunk: list[Any]) -> list[str]:
        with app.app_context():
            prepared = [prepare(item) for item in chunk]
            start.wait()
            return [act(each) for each in prepared]

    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        return [result for results in pool.map(work, chunks) for result in results]


def load_claim(claim_id: int) -> Claim:
    claim = db.session.get(Claim, claim_id)
    assert claim is not None
    _ = (claim.post.author, claim.claimant)  # loaded before the barrier, not during the race
    db.session.commit()  # end the read transaction: the race starts clean
    return claim


def database_state(post_id: int) -> tuple[Post, Counter[str]]:
    db.session.rollback()  # end this test's snapshot: see what the threads committed
    post = db.session.get(Post, post_id)
    assert post is not None
    statuses = Counter(db.session.scalars(select(Claim.status).where(Claim.post_id == post_id)))
    return post, statuses


@pytest.fixture
def twenty(make_neighbour) -> list[User]:
    return [make_neighbour(f"Neighbour {n}") for n in range(20)]


def _claim(user_id: int, post_id: int) -> str:
    try:
        claim = claims.make_claim(
            db.session.get(User, user_id), db.session.get(Post, post_id), "Me, please"
        )
    except claims.AlreadyClaimed:
        return "already"
    return claim.status


def _accept(claim: Claim) -> str:
    try:
        claims.accept(claim.post.author, claim)
    except claims.CapacityReached:
        return "full"
    return "accepted"


@pytest.mark.parametrize("capacity", [1, 3])
def test_twenty_claims_and_twenty_accepts_at_the_same_instant(
    app, world, make_post, twenty, capacity
):
    post_id = make_post(capacity=capacity).id

    # Twenty members answer at once: every claim is saved, none is lost or refused.
    answered = run_together(
        app, [person.id for person in twenty], lambda uid: uid, lambda uid: _claim(uid, post_id)
    )
    assert answered == ["pending"] * 20
    _post, statuses = database_state(post_id)
    assert statuses == {"pending": 20}

    # The author accepts all twenty at once.
    claim_ids = list(db.session.scalars(select(Claim.id).where(Claim.post_id == post_id)))
    results = run_together(app, claim_ids, load_claim, _accept)
    assert Counter(results) == {"accepted": capacity, "full": 20 - capacity}

    post, statuses = database_state(post_id)
    assert post.accepted_count == capacity
    assert post.status == "fulfilled"
    assert statuses == {"accepted": capacity, "pending": 20 - capacity}  # all 20, all valid


def test_one_member_sending_the_same_answer_ten_times_at_once_makes_one_claim(app, world, offer):
    member_id, post_id = world.other_member.id, offer.id
    results = run_together(app, list(range(10)), lambda n: n, lambda n: _claim(member_id, post_id))
    assert Counter(results) == {"pending": 1, "already": 9}
    _post, statuses = database_state(post_id)
    assert statuses == {"pending": 1}


def test_withdrawals_promotions_accepts_and_new_claims_at_once(
    app, world, make_post, twenty, make_neighbour
):
    """Three accepted people leave while the author accepts six pending claims and three more
    members answer. Each withdrawal hands its place to the first waitlisted claim in the same
    transaction, so the place is never free for a pending accept: the outcome is the same
    whatever the order the threads ran in."""
    post = make_post(capacity=3)
    pending = [claims.make_claim(person, post, "Hello") for person in twenty[:9]]
    leaving = pending[:3]
    for claim in leaving:
        claims.accept(world.member, claim)
    still_pending = pending[3:]
    waitlisted = [claims.make_claim(person, post, "Hello") for person in twenty[9:15]]
    assert {claim.status for claim in waitlisted} == {"waitlisted"}
    newcomers = [make_neighbour(f"Newcomer {n}") for n in range(3)]
    post_id = post.id

    def prepare(item: tuple[str, int]) -> tuple[str, Any]:
        kind, key = item
        return (kind, key if kind == "claim" else load_claim(key))

    def act(prepared: tuple[str, Any]) -> str:
        kind, target = prepared
        if kind == "withdraw":
            claims.withdraw(target.claimant, target)
            return "withdrawn"
        if kind == "accept":
            return _accept(target)
        return _claim(target, post_id)

    work = (
        [("withdraw", c.id) for c in leaving]
        + [("accept", c.id) for c in still_pending]
        + [("claim", person.id) for person in newcomers]
    )
    results = run_together(app, work, prepare, act)
    assert Counter(results) == {"withdrawn": 3, "full": 6, "waitlisted": 3}

    post, statuses = database_state(post_id)
    assert post.accepted_count == 3 and post.status == "fulfilled"
    assert statuses == {"withdrawn": 3, "accepted": 3, "pending": 6, "waitlisted": 3 + 3}
    # The first three in line got the places, in order.
    in_line = [db.session.get(Claim, claim.id).status for claim in waitlisted]
    assert in_line == ["accepted"] * 3 + ["waitlisted"] * 3


def test_twenty_accept_requests_at_once_answer_200_or_409(app, world, make_post, twenty):
    post = make_post(capacity=3)
    claim_ids = [claims.make_claim(person, post, "Hello").id for person in twenty]
    post_id = post.id
    clients = []
    for _ in range(WORKERS):
        client = app.test_client()
        log_in(client, world.member)
        clients.append(client)
    db.session.commit()
    # Item n runs on thread n % WORKERS (see run_together): one client, one cookie jar, each.
    work = [(clients[n % WORKERS], claim_id) for n, claim_id in enumerate(claim_ids)]

    def prepare(item: tuple[Any, int]) -> tuple[Any, str, int]:
        client, claim_id = item
        return client, csrf_token(client), claim_id

    def act(prepared: tuple[Any, str, int]) -> str:
        client, token, claim_id = prepared
        response = client.post(f"/claims/{claim_id}/accept", data={"csrf_token": token}, headers=HX)
        return str(response.status_code)

    results = run_together(app, work, prepare, act)
    assert Counter(results) == {"200": 3, "409": 17}
    post, statuses = database_state(post_id)
    assert post.accepted_count == 3
    assert statuses == {"accepted": 3, "pending": 17}
