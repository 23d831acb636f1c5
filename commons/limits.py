"""Rate limits on what members create, counted per member and only when something was saved."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, request
from flask_login import current_user

from .extensions import limiter


def per_member() -> str:
    # Limits are checked before the view (and its login check) runs: a visitor falls back to
    # their address and is then sent to log in by the view.
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return f"address:{request.remote_addr}"


def only_saved(response: Response) -> bool:
    """A form sent back to be corrected does not use up the member's allowance."""
    return response.status_code < 400


def member_limit(config_key: str) -> Callable:
    """Limit POSTs to a route per member, at the rate named by `config_key` (e.g. "20 per hour")."""
    return limiter.limit(
        lambda: current_app.config[config_key],
        key_func=per_member,
        methods=["POST"],
        deduct_when=only_saved,
    )
