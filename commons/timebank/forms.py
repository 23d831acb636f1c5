from __future__ import annotations

from typing import Any

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import Form, strip
from .services import (
    FLOOR_MAX_MINUTES,
    FLOOR_TOO_LOW,
    MEMO_MAX,
    InvalidInput,
    parse_hours,
)


def id_or_none(value: Any) -> int | None:
    """A chosen member, goal or exchange, as an id; anything else (empty, not a number) is
    None. Any number passes: the services find no row for one no row can have."""
    if isinstance(value, int):
        return value
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class HoursField(StringField):
    """Hours as people write them ("1.5", "1:30", "2¼"); `minutes` holds the parsed value."""

    minutes: int | None = None

    def pre_validate(self, form: Any) -> None:
        self.minutes = None
        try:
            self.minutes = self.parse(self.data or "")
        except InvalidInput as exc:
            raise ValidationError(str(exc)) from None

    def parse(self, text: str) -> int:
        return parse_hours(text)


class FloorHoursField(HoursField):
    def parse(self, text: str) -> int:
        return parse_hours(text, allow_zero=True, most=FLOOR_MAX_MINUTES, too_much=FLOOR_TOO_LOW)


def _member_field(label: str) -> SelectField:
    return SelectField(
        label,
        coerce=id_or_none,
        validate_choice=False,  # the service decides who can trade with whom, and says why
        validators=[DataRequired("Please choose a neighbour.")],
    )


class TransferForm(Form):
    """Sending hours, or asking for them: the same fields, said the other way round."""

    member = _member_field("Neighbour")
    hours = HoursField(
        "Hours",
        description="In quarter hours: 0.25, 0.5, 1.75, or 1:30 for an hour and a half.",
        filters=[strip],
    )
    memo = StringField(
        "What for",
        validators=[
            DataRequired("Please say what the hours are for."),
            Length(max=MEMO_MAX, message=f"Please keep this under {MEMO_MAX} characters."),
        ],
        filters=[strip],
    )
    claim = SelectField(
        "Pays for (optional)",
        description="One of your exchanges with this neighbour, if the hours are for it.",
        coerce=id_or_none,
        validate_choice=False,
    )
    session = SelectField(
        "Or pays for a mentorship session (optional)",
        description="One of your sessions with this neighbour, if the hours are for it.",
        coerce=id_or_none,
        validate_choice=False,
    )
    exchange = SelectField(
        "Or pays for a skill exchange (optional)",
        description="One of your skill exchanges with this neighbour, if the hours are for it.",
        coerce=id_or_none,
        validate_choice=False,
    )


class SendForm(TransferForm):
    member = _member_field("Send to")


class RequestForm(TransferForm):
    member = _member_field("Who owes you the hours")


class ReverseForm(Form):
    memo = StringField(
        "Why you are giving them back (optional)",
        validators=[Length(max=MEMO_MAX, message=f"Please keep this under {MEMO_MAX} characters.")],
        filters=[strip],
    )


class FloorForm(Form):
    hours_below_zero = FloorHoursField(
        "How far below zero a member may go, in hours",
        description="0 means nobody can spend hours they haven't earned. The default is 10.",
        filters=[strip],
    )
