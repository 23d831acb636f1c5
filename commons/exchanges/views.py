"""Skill exchanges: direct swaps, swap circles and lessons paid in hours."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exchanges", __name__)
