"""The mentoring and skill-swap pages on a 20,000-member neighbourhood with 2,000 mentors.

Measured: `/mentorship` as Dora (a demo learner with a goal: the first page of mentors she may
find, her goal's five suggested mentors with reasons, her mentorships), the same page filtered
by topic, and `/exchanges` (her exchanges and the swaps and circles found from every visible
member's skills). Baseline, in the same run: loading every mentor she may find with their
topics, which is what the hub would cost if it showed them all instead of paging and scoring
on plain rows. A ratio near or under 1 says the pages keep up as the neighbourhood grows.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

import config
from commons import create_app
from commons.accounts.models import User
from commons.database import now_utc, write_transaction
from commons.demo import SKILLS, bulk_members, seed_neighbourhood
from commons.extensions import db
from commons.mentorship import permissions
from commons.mentorship.models import MentorProfile, MentorTopic
from commons.profiles.models import AvailabilitySlot

from .client import logged_in
from .timing import median_seconds, report

MEMBERS = 20_000
MENTORS = 2_000


def add_mentors(count: int, seed: int = 5) -> None:
    """Make `count` of the bulk members mentors, each with two topics and an evening a week."""
    rng = random.Random(seed)
    ids = db.session.scalars(
        select(User.id).where(User.email.like("%@bulk.commons")).order_by(User.id).limit(count)
    ).all()
    with write_transaction():
        profile_ids = db.session.scalars(
            insert(MentorProfile).returning(MentorProfile.id, sort_by_parameter_order=True),
            [
                {
                    "user_id": user_id,
                    "about": "",
                    "capacity": rng.randint(1, 3),
                    "active_count": 0,
                    "in_person": True,
                    "online": rng.random() < 0.5,
                    "levels": "",
                    "accepting": True,
                    "created_at": now_utc(),
                    "updated_at": now_utc(),
                }
                for user_id in ids
            ],
        ).all()
        db.session.execute(
            insert(MentorTopic),
            [
                {"profile_id": profile_id, "name": name}
                for profile_id in profile_ids
                for name in rng.sample(SKILLS, 2)
            ],
        )
        db.session.execute(
            insert(AvailabilitySlot),
            [
                {"user_id": user_id, "weekday": rng.randrange(7), "start_minute": 18 * 60,
                 "end_minute": 20 * 60}
                for user_id in ids
            ],
        )  # fmt: skip


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = config.DevelopmentConfig()
        settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{Path(folder) / 'bench.db'}"
        settings.LOG_LEVEL = "WARNING"
        settings.JOBS_BACKEND = "inline"
        app = create_app(settings)
        with app.app_context():
            db.create_all()
            seed_neighbourhood()
            for _ in bulk_members(MEMBERS):
                pass
            add_mentors(MENTORS)
            dora_id = db.session.scalar(select(User.id).where(User.email == "dora@demo.commons"))
        # Requests run outside the benchmark's app context, each in its own, as when served.
        client = logged_in(app, "dora@demo.commons")

        def page(url: str):
            def get() -> None:
                response = client.get(url)
                assert response.status_code == 200, url

            return get

        def load_every_mentor() -> None:
            with app.app_context():
                dora = db.session.get(User, dora_id)
                db.session.scalars(
                    select(MentorProfile)
                    .join(User, User.id == MentorProfile.user_id)
                    .where(permissions.mentors_visible_to(dora))
                    .options(selectinload(MentorProfile.topics), selectinload(MentorProfile.user))
                ).all()

        baseline = median_seconds(load_every_mentor, repeat=7)
        for name, url in (
            ("mentoring hub", "/mentorship"),
            ("mentors by topic", "/mentorship?topic=guitar"),
            ("skill swaps", "/exchanges"),
        ):
            report(
                f"{name}, {MEMBERS} members, {MENTORS} mentors (SQLite)",
                median_seconds(page(url), repeat=7),
                "loading every mentor Dora may find",
                baseline,
            )
