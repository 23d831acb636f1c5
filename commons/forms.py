"""The base of every form in the app."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm


def drop_nul(value: Any) -> Any:
    """NUL means nothing in text, and PostgreSQL refuses to store it (a 500, not a message)."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def strip(value: Any) -> Any:
    """Leading and trailing spaces are never meant; passwords don't use this filter."""
    return value.strip() if isinstance(value, str) else value


class Form(FlaskForm):
    """A FlaskForm (CSRF on) whose every field drops NUL characters before its own filters."""

    class Meta:
        def bind_field(self, form, unbound_field, options):  # type: ignore[no-untyped-def]
            own = unbound_field.kwargs.get("filters", ())
            return unbound_field.bind(form=form, **{**options, "filters": [drop_nul, *own]})
