"""Mentorship sessions: proposing and agreeing times, reminders, notes, thanks, calendar feeds."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sessions", __name__)
