"""Spreadsheet import and export of a community's offers, needs and claims."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("imports", __name__)
