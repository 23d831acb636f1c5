"""Command-line tasks a newcomer and an operator run."""

from __future__ import annotations

from sqlalchemy import func, select

from commons.accounts import services as accounts
from commons.accounts.models import User
from commons.claims.models import CLAIM_STATES, Claim
from commons.communities.models import Community, Membership
from commons.demo import DEMO_PASSWORD
from commons.extensions import db
from commons.posts.models import CATEGORIES, Post


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_builds_a_neighbourhood_whose_printed_logins_work(runner):
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert _count(Community) == 3
    assert _count(User) >= 30
    assert "amara@demo.commons" in result.output and DEMO_PASSWORD in result.output
    coordinator = accounts.authenticate("amara@demo.commons", DEMO_PASSWORD)
    assert any(m.role == "coordinator" for m in coordinator.memberships)
    statuses = set(db.session.scalars(select(Membership.status)))
    assert statuses == {"active", "pending"}  # a request waits for the Riverside coordinator


def test_seed_demo_if_empty_leaves_an_existing_database_alone(runner, make_user):
    make_user()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "not seeding" in result.output
    assert _count(Community) == 0


def test_seed_demo_adds_bulk_members_with_a_progress_bar(runner):
    runner.invoke(args=["seed-demo"])
    before = _count(User)
    result = runner.invoke(args=["seed-demo", "--members", "250"])
    assert result.exit_code == 0, result.output
    assert "Adding 250 members" in result.output
    assert _count(User) == before + 250
    assert _count(Membership) >= before + 250


def test_create_admin_promotes_an_existing_member(runner, make_user):
    user = make_user(email="ops@example.org")
    result = runner.invoke(args=["users", "create-admin", "OPS@example.org", "--password", "x"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.is_admin


def test_create_admin_creates_an_account_with_a_long_enough_password(runner):
    short = runner.invoke(args=["users", "create-admin", "new@example.org", "--password", "short"])
    assert short.exit_code != 0
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None
    result = runner.invoke(
        args=["users", "create-admin", "new@example.org", "--password", "a long password"]
    )
    assert result.exit_code == 0, result.output
    assert accounts.authenticate("new@example.org", "a long password").is_admin


def test_the_demo_has_posts_in_every_category_and_claims_in_every_state(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert set(db.session.scalars(select(Post.category).distinct())) == set(CATEGORIES)
    assert set(db.session.scalars(select(Claim.status).distinct())) == set(CLAIM_STATES)
