""" "Export my data": each feature contributes what the member created in it.

Features register an exporter instead of accounts importing every feature, so adding a
feature (posts, messages, hours) adds its part of the export without touching this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..database import now_utc
from .models import User

Exporter = Callable[[User], Any]
Eraser = Callable[[User], None]
_exporters: dict[str, Exporter] = {}
_erasers: list[Eraser] = []


def exporter(section: str) -> Callable[[Exporter], Exporter]:
    def register(function: Exporter) -> Exporter:
        _exporters[section] = function
        return function

    return register


def eraser(function: Eraser) -> Eraser:
    """Register a function that removes a feature's personal data of a deleted member; it runs
    inside the deletion's transaction."""
    _erasers.append(function)
    return function


def erase_member_data(user: User) -> None:
    for function in _erasers:
        function(user)


def export_member_data(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {"exported_at": now_utc().isoformat(), "format": "commons-export/1"}
    for section, function in sorted(_exporters.items()):
        data[section] = function(user)
    return data


@exporter("account")
def _account(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "created_at": user.created_at.isoformat(),
        "bio": user.bio,
        "languages": user.languages,
        "timezone": user.timezone,
        "neighbourhood": user.neighbourhood.label if user.neighbourhood else None,
        "skills_to_share": user.skill_names("share"),
        "wants_to_learn": user.skill_names("learn"),
        "availability": [slot.label for slot in user.slots],
        "notifications": {
            "email": user.notify_email,
            "claims": user.notify_claims,
            "messages": user.notify_messages,
            "community": user.notify_community,
        },
    }
