"""Mentor profiles, learning goals, finding mentors and mentorship requests."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("mentorship", __name__)
