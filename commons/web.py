"""Helpers every view uses: page-or-partial rendering, safe redirects, template globals."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import IntegerConverter, Map

from .database import MAX_ID
from .extensions import htmx
from .forms import Form
from .timezones import local, zone_of


def render_page_or_partial(
    page: str, partial: str, status: int = 200, *, flashes: bool = True, **context: Any
):
    """The whole page for a normal request, only the partial for htmx (the page includes it).

    `flashes=False` for sections a page loads by itself after it is shown: they must leave
    the page's messages ("Your post is up") alone."""
    if htmx and not htmx.boosted:
        body = render_template(partial, **context)
        if not flashes:
            return body, status
        # Flashes travel with the partial and land in the page's live region (out of band).
        return body + render_template("components/_flashes.html", oob=True), status
    return render_template(page, **context), status


class RowIdConverter(IntegerConverter):
    """`<int:...>` for row ids: 1 to MAX_ID, so `/posts/99999999999` does not match (404)."""

    def __init__(self, map: Map, *args, **kwargs) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def query_arg(name: str, limit: int) -> str:
    """A text parameter of the query string, cut to `limit`, without NUL characters."""
    return request.args.get(name, "").replace("\x00", "")[:limit]


def form_error_status(form: Form) -> int:
    """422 for input the user can correct in place; the form is shown again with their input."""
    return 422 if form.errors else 400


def safe_next_url(target: str | None, fallback: str = "main.index") -> str:
    """Only a path on this site: no scheme, no host, no `//` or `\\` tricks, no `javascript:`."""
    if target:
        target = target.strip()
        parts = urlsplit(target.replace("\\", "/"))
        if (
            target.startswith("/")
            and not target.startswith("//")
            and not target.startswith("/\\")
            and not parts.scheme
            and not parts.netloc
            and "\n" not in target
            and "\r" not in target
        ):
            return target
    return url_for(fallback)


# htmx settings that keep it CSP-friendly (no eval, no injected styles or scripts) and let
# 409 and 422 answers (a refused action, a form to correct) replace their target.
HTMX_CONFIG = {
    "includeIndicatorStyles": False,
    "allowEval": False,
    "allowScriptTags": False,
    "selfRequestsOnly": True,
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "409|422", "swap": True},
        {"code": "[45]..", "swap": False, "error": True},
    ],
}


def local_time(moment: datetime, format: str) -> str:
    """`{{ post.created_at|local('%d %b %Y') }}`: a stored UTC time on the reader's clock."""
    return local(moment, current_user).strftime(format)


def my_zone() -> str:
    """The reader's time zone by name ("Europe/London"), to say beside a time."""
    return zone_of(current_user).key


def init_template_helpers(app: Flask) -> None:
    from .posts.visibility import is_from_elsewhere
    from .profiles.models import WEEKDAYS

    app.jinja_env.globals.update(
        WEEKDAYS=WEEKDAYS,
        htmx_config=HTMX_CONFIG,
        is_from_elsewhere=is_from_elsewhere,
        my_zone=my_zone,
    )
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def redirect_to(location: str):
    """A redirect that htmx follows as a full navigation (HX-Redirect) and browsers as a 303."""
    if htmx:
        return "", 200, {"HX-Redirect": location}
    return redirect(location, code=303)
