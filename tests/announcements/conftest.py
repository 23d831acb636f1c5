"""Announcement fixtures: the moderation tests' ladder (a post to report, to suspend its author)
and the jobs tests' Redis queue of a test's own."""

from __future__ import annotations

from tests.jobs.conftest import redis_app  # noqa: F401 - fixtures, used by name
from tests.moderation.conftest import ladder  # noqa: F401
