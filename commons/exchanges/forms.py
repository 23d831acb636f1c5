from __future__ import annotations

import json
from typing import Any

from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import Form, strip
from ..timebank.forms import HoursField, id_or_none
from .services import MAX_PEOPLE, MESSAGE_MAX, SKILL_MAX


def _skill_field(label: str, description: str = "") -> StringField:
    return StringField(
        label,
        description=description,
        validators=[
            DataRequired("Please say what will be taught."),
            Length(
                max=SKILL_MAX, message=f"Please name the skill in {SKILL_MAX} characters or fewer."
            ),
        ],
        filters=[strip],
    )


def _member_field() -> SelectField:
    return SelectField(
        "With",
        coerce=id_or_none,
        validate_choice=False,  # the service decides who may exchange with whom, and says why
        validators=[DataRequired("Please choose a member to exchange with.")],
    )


def _message_field() -> TextAreaField:
    return TextAreaField(
        "A message (optional)",
        validators=[
            Length(
                max=MESSAGE_MAX, message=f"Please keep the message under {MESSAGE_MAX} characters."
            )
        ],
        filters=[strip],
    )


class ExchangeForm(Form):
    """What both kinds share: who with, how many hours, a message."""

    member = _member_field()
    message = _message_field()


class SwapForm(ExchangeForm):
    i_teach = _skill_field("What you teach them", "For example: guitar for beginners.")
    they_teach = _skill_field("What they teach you")
    hours = HoursField(
        "Hours per lesson",
        description="How long each of you teaches: 1, 1.5, or 1:30 for an hour and a half.",
        default="1",
        filters=[strip],
    )
    record_hours = BooleanField(
        "Record the hours in the time bank when it's done (each of you gives and gets the same)",
        default=True,
    )


class PaidForm(ExchangeForm):
    direction = RadioField(
        "Who teaches",
        choices=[SelectChoice("me", "I teach them"), SelectChoice("them", "They teach me")],
        default="them",
        validators=[DataRequired("Please say who teaches.")],
    )
    skill = _skill_field("What is taught")
    hours = HoursField(
        "Hours the learner pays",
        description="In quarter hours: 0.5, 1, 1.5, or 1:30 for an hour and a half.",
        default="1",
        filters=[strip],
    )
    record_hours = BooleanField(
        "Move the hours from the learner to the teacher when it's done", default=True
    )


# Six steps of two ids and a skill each (non-ASCII letters escaped as \uXXXX) fit well within
# this; anything longer is not a suggestion we made.
CIRCLE_MAX_CHARS = 10_000


class CircleField(HiddenField):
    """A suggested swap as (teacher id, learner id, skill) steps, sent back as JSON by the
    hub's "Propose" button. Only its shape is checked here; the service checks the rest."""

    steps: list[tuple[int, int, str]]

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.steps = []
        if len(self.data or "") > CIRCLE_MAX_CHARS:
            raise ValueError("This suggestion could not be read; please try again.")
        try:
            raw = json.loads(self.data or "")
        except (TypeError, ValueError, RecursionError):  # RecursionError: "[[[[…" nested deep
            raise ValueError("This suggestion could not be read; please try again.") from None
        if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_PEOPLE:
            raise ValueError("This suggestion could not be read; please try again.")
        for step in raw:
            if (
                not isinstance(step, list)
                or len(step) != 3
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in step[:2])
                or not isinstance(step[2], str)
            ):
                raise ValueError("This suggestion could not be read; please try again.")
            self.steps.append((step[0], step[1], step[2]))

    def pre_validate(self, form: Any) -> None:
        if not getattr(self, "steps", None):
            raise ValidationError("This suggestion could not be read; please try again.")


class SuggestionForm(Form):
    circle = CircleField()
