"""A coordinator's members page on a 20,000-member neighbourhood.

Measured: the page as served (one page of 50, counted in SQL). Baseline, in the same run:
loading every membership of the community with its member, which is what the page would
cost without paging. A ratio well under 1 says the page stays fast as communities grow.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import joinedload

import config
from commons import create_app
from commons.communities.models import Community, Membership
from commons.demo import bulk_members, seed_neighbourhood
from commons.extensions import db

from .client import logged_in
from .timing import median_seconds, report

MEMBERS = 20_000


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = config.DevelopmentConfig()
        settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{Path(folder) / 'bench.db'}"
        settings.LOG_LEVEL = "WARNING"
        app = create_app(settings)
        with app.app_context():
            db.create_all()
            seed_neighbourhood()
            for _ in bulk_members(MEMBERS):
                pass
            community = db.session.scalar(select(Community).where(Community.slug == "northside"))
            client = logged_in(app, "amara@demo.commons")

            def members_page() -> None:
                response = client.get("/communities/northside/members")
                assert response.status_code == 200

            def load_everyone() -> None:
                db.session.scalars(
                    select(Membership)
                    .where(Membership.community_id == community.id)
                    .options(joinedload(Membership.user))
                ).all()
                db.session.expunge_all()

            measured = median_seconds(members_page)
            baseline = median_seconds(load_everyone)
            report(
                f"members page, {MEMBERS} members (SQLite)",
                measured,
                "loading every membership",
                baseline,
            )
