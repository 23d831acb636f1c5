"""Rendered browse results, kept in each worker process while nothing they show has changed.

Rendering a page of twenty cards through the ORM and Jinja costs several times more than the
queries behind it, and browsing repeats itself: the same first page, the same few filters,
a member paging back and forth. So the results block is rendered once and reused until it
may be out of date:

- it is keyed on who is looking (`visibility_key`: viewers with equal keys see the same
  posts, at the same distances) and on the query string;
- it is stamped with the newest change to any post when it was rendered, so a new, edited,
  claimed, closed or hidden post makes the next request render afresh;
- it is kept at most `MAX_AGE`, and never past the first expiry among the posts it shows,
  which bounds what the stamp cannot see (a member renaming themselves, time passing).

Each worker keeps its own entries (a bounded LRU): nothing to share, as the stamp is read from
the database on every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup

MAX_AGE = timedelta(seconds=30)
MAX_ENTRIES = 512


@dataclass(frozen=True)
class _Entry:
    stamp: datetime | None
    rendered_at: datetime
    good_until: datetime
    html: Markup


class RenderedResults:
    """A bounded, thread-safe map from (viewer key, query) to rendered HTML."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get_or_render(
        self,
        key: Hashable,
        stamp: datetime | None,
        now: datetime,
        render: Callable[[], tuple[Markup, datetime | None]],
    ) -> Markup:
        """The cached HTML for `key` if still good at `now` for `stamp`; else `render()`, which
        returns the HTML and the first moment it stops being true (an expiry), if any."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and _still_good(entry, stamp, now):
                self._entries.move_to_end(key)
                return entry.html
        html, ends_at = render()
        good_until = now + MAX_AGE if ends_at is None else min(now + MAX_AGE, ends_at)
        with self._lock:
            self._entries[key] = _Entry(stamp, now, good_until, html)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _still_good(entry: _Entry, stamp: datetime | None, now: datetime) -> bool:
    # `now` before the rendering means the clock was set back (tests travel in time): re-render.
    return entry.stamp == stamp and entry.rendered_at <= now < entry.good_until
