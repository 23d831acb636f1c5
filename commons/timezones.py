"""Members' clocks. Every time is stored in UTC and shown on the reader's own clock
(`User.timezone`), so a session at 18:00 in London reads 13:00 in New York, and a date near
midnight falls on the reader's day, not the server's."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_of(user: object | None) -> ZoneInfo:
    """The member's time zone; UTC for visitors or a zone name the system doesn't know."""
    name = getattr(user, "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(moment: datetime, user: object | None) -> datetime:
    """A UTC instant on the member's clock (aware, in their zone)."""
    return moment.astimezone(zone_of(user))
