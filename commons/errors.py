"""Error pages in the site's style, and a 500 that is logged with its request id."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

logger = logging.getLogger("commons.errors")

MESSAGES = {
    400: ("Something was wrong with that request", "Please go back and try again."),
    403: ("You can't do that here", "This page or action is not open to you."),
    404: ("We couldn't find that page", "It may have been moved or removed."),
    405: ("That doesn't work here", "This address can't be used that way."),
    413: ("That file is too big", "Please choose a smaller file."),
    429: (
        "Too many tries",
        "You've tried this too many times in a short while. Please wait a few minutes "
        "and try again.",
    ),
    500: (
        "Something went wrong on our side",
        "It's not your fault. We've noted the problem; please try again in a moment.",
    ),
}


def render_error(code: int, title: str | None = None, detail: str | None = None):
    default_title, default_detail = MESSAGES.get(code, MESSAGES[400])
    context = {
        "code": code,
        "title": title or default_title,
        "detail": detail or default_detail,
        "request_id": g.get("request_id"),
    }
    if request.path.startswith("/api/"):
        return jsonify(error=context["title"], detail=context["detail"]), code
    return render_template("errors/error.html", **context), code


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_error(
            400,
            "This form had expired",
            "Nothing was saved. Go back: what you typed is still in the form. Then send it again.",
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code == 500:
            return _server_error(error)
        return render_error(error.code or 400)

    @app.errorhandler(Exception)
    def _server_error(error: Exception):
        original = getattr(error, "original_exception", None) or error
        if isinstance(original, HTTPException) and not isinstance(original, InternalServerError):
            return render_error(original.code or 400)
        logger.error(
            "unhandled error",
            exc_info=original if isinstance(original, BaseException) else None,
            extra={"fields": {"request_id": g.get("request_id"), "path": request.path}},
        )
        return render_error(500)
