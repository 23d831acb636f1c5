"""Forms for proposing a time, cancelling, private notes and thanks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wtforms import (
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..forms import Form, strip
from .services import (
    DURATIONS,
    NOTE_MAX,
    PLACE_MAX,
    REASON_MAX,
    URL_MAX,
)

OTHER_TIME = "other"
PICK_FORMAT = "%Y-%m-%dT%H:%M"


def duration_words(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} minutes"
    words = {0: "", 15: "¼", 30: "½", 45: "¾"}
    return f"{hours}{words[rest]} hour{'s' if minutes > 60 else ''}"


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class SessionTimeForm(Form):
    """A time on the member's own clock, how long, and where. `when` is one of the suggested
    times (a radio button: one click) or "other", and then `day` and `at` say when."""

    when = StringField("When", filters=[strip])
    day = DateField("Date", validators=[Optional()])
    at = TimeField("Time", validators=[Optional()])
    duration = SelectField(
        "How long",
        choices=[SelectChoice(m, duration_words(m)) for m in DURATIONS],
        coerce=int,
        default=60,
    )
    place = StringField(
        "Where you'll meet",
        description="A place you both know, like “the library, first floor”. "
        "Or leave it empty and give a video link.",
        validators=[
            Length(max=PLACE_MAX, message=f"Please keep this under {PLACE_MAX} characters.")
        ],
        filters=[strip],
    )
    video_url = StringField(
        "Video link",
        description="For meeting online: a link starting with https://",
        validators=[Length(max=URL_MAX, message=f"Please keep this under {URL_MAX} characters.")],
        filters=[strip],
    )
    sequence = HiddenField(filters=[_int_or_none])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.picked() is None:
            if self.day.data is None and not self.day.errors:
                self.day.errors = [*self.day.errors, "Please choose a date."]
                ok = False
            if self.at.data is None and not self.at.errors:
                self.at.errors = [*self.at.errors, "Please choose a time, like 18:30."]
                ok = False
        return ok

    def picked(self) -> datetime | None:
        """The suggested time chosen, if one was (a wall time on the member's clock)."""
        value = self.when.data or ""
        if not value or value == OTHER_TIME:
            return None
        try:
            return datetime.strptime(value, PICK_FORMAT)
        except ValueError:
            return None

    def wall_time(self) -> datetime:
        """The chosen time on the member's own clock (naive); call after validate()."""
        picked = self.picked()
        if picked is not None:
            return picked
        assert self.day.data is not None and self.at.data is not None
        return datetime.combine(self.day.data, self.at.data)


class CancelForm(Form):
    reason = TextAreaField(
        "Why you are cancelling",
        description="A few words; the other side will read them.",
        validators=[
            DataRequired("Please say why, in a few words: the other side will read it."),
            Length(max=REASON_MAX, message=f"Please keep this under {REASON_MAX} characters."),
        ],
        filters=[strip],
    )


class NoteForm(Form):
    body = TextAreaField(
        "My private note",
        description="Only you can see this: what you covered, what to practise next.",
        validators=[Length(max=NOTE_MAX, message=f"Please keep this under {NOTE_MAX} characters.")],
        filters=[strip],
    )


class ActionForm(Form):
    """Confirm and mark done: the CSRF token, and the version of the session the member saw."""

    sequence = HiddenField(filters=[_int_or_none])
