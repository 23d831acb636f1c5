from __future__ import annotations

from zoneinfo import available_timezones

from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import Form, strip
from .models import WEEKDAYS

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIMEZONES = sorted(available_timezones() - {"localtime", "Factory"})


class ProfileForm(Form):
    bio = TextAreaField(
        "About you",
        description="A few words neighbours will see. No address or phone number, please.",
        validators=[Length(max=1000, message="Please keep this under 1000 characters.")],
        filters=[strip],
    )
    skills_share = StringField(
        "Skills I can share",
        description="Separate them with commas, for example: guitar, bike repair, Spanish",
        validators=[Length(max=500, message="Please keep this list under 500 characters.")],
    )
    skills_learn = StringField(
        "Things I want to learn",
        description="Separate them with commas.",
        validators=[Length(max=500, message="Please keep this list under 500 characters.")],
    )
    languages = StringField(
        "Languages I speak",
        description="Separate them with commas, for example: English, Polish",
        validators=[Length(max=200, message="Please keep this under 200 characters.")],
        filters=[strip],
    )
    neighbourhood = SelectField(
        "My neighbourhood",
        description="Only its name is shown, never your address.",
        coerce=str,
        validate_choice=True,
    )
    timezone = SelectField("My time zone", choices=[SelectChoice(tz) for tz in TIMEZONES])


class SlotForm(Form):
    weekday = SelectField(
        "Day",
        choices=[SelectChoice(str(i), DAY_NAMES[i]) for i in range(len(WEEKDAYS))],
        coerce=str,
    )
    start = TimeField("From", validators=[DataRequired("Please give a start time.")])
    end = TimeField("Until", validators=[DataRequired("Please give an end time.")])

    def validate_end(self, field: TimeField) -> None:
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError("The end time must be after the start time.")


class NotificationsForm(Form):
    notify_email = RadioField(
        "Email me",
        choices=[
            SelectChoice("immediate", "Straight away"),
            SelectChoice("digest", "Once a day, in one email"),
            SelectChoice("off", "Never (I'll check the site)"),
        ],
        validators=[DataRequired("Please choose how often to get email.")],
    )
    notify_claims = BooleanField("When someone answers my posts or my answers change")
    notify_messages = BooleanField("When I get a new message")
    notify_community = BooleanField("News from my communities' coordinators")


def split_list(text: str | None, max_items: int = 20, max_length: int = 60) -> list[str]:
    """ "guitar, Bike repair,,guitar" -> ["guitar", "bike repair"]: trimmed, lower-case, unique."""
    seen: list[str] = []
    for raw in (text or "").split(","):
        item = " ".join(raw.split()).lower()[:max_length]
        if item and item not in seen:
            seen.append(item)
    return seen[:max_items]
