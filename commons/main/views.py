"""The front page and the probes load balancers ask."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import text

from ..claims import services as claims
from ..communities import services as communities
from ..extensions import db
from ..posts import services as posts

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("main/landing.html", communities=communities.directory(limit=6))
    return render_template(
        "main/dashboard.html",
        my_communities=communities.communities_of(current_user),
        pending=communities.communities_of(current_user, status="pending"),
        claims_dashboard=claims.claims_for_dashboard(current_user),
        my_posts=posts.posts_of(current_user),
        display_status=posts.display_status,
    )


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to answer means not ready
        db.session.rollback()
        return {"status": "unavailable", "database": "not answering"}, 503
    return {"status": "ok", "database": "ok"}
