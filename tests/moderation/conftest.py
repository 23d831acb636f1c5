"""A post in Northside by Mia, claimed by Otto, with a message from each of them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from commons.claims.models import Claim, Message
from commons.extensions import db
from commons.posts.models import Post
from commons.posts.services import PostInput, create_post


@dataclass
class Thread:
    post: Post
    claim: Claim
    from_author: Message  # Mia, who posted
    from_claimant: Message  # Otto, who claimed


@pytest.fixture
def ladder(world) -> Post:
    return create_post(
        world.member,
        PostInput(
            kind="offer",
            title="Ladder to lend",
            description="A tall aluminium ladder.",
            category="tools",
            community_id=world.home.id,
        ),
    )


@pytest.fixture
def thread(world, ladder) -> Thread:
    # Built directly: the claims service is written separately.
    claim = Claim(post_id=ladder.id, claimant_id=world.other_member.id, message="I'd like it")
    db.session.add(claim)
    db.session.flush()
    from_author = Message(claim_id=claim.id, author_id=world.member.id, body="Come by at six.")
    from_claimant = Message(claim_id=claim.id, author_id=world.other_member.id, body="You fool.")
    db.session.add_all([from_author, from_claimant])
    db.session.commit()
    return Thread(ladder, claim, from_author, from_claimant)
