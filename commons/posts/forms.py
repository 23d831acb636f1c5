from __future__ import annotations

import secrets

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import Form, strip
from .models import CATEGORIES, DAY_PARTS, WEEKDAY_KEYS, WEEKDAY_NAMES


class PostForm(Form):
    kind = RadioField(
        "What is it?",
        choices=[SelectChoice("offer", "I can offer this"), SelectChoice("need", "I need this")],
        validators=[DataRequired("Please choose offer or need.")],
    )
    title = StringField(
        "Title",
        description="A few words, like: Ladder to lend, or Lift to the clinic on Tuesday.",
        validators=[
            DataRequired("Please give a title."),
            Length(max=120, message="A title can be at most 120 characters."),
        ],
        filters=[strip],
    )
    description = TextAreaField(
        "Description",
        description="Details that help a neighbour decide. No address or phone number, please.",
        validators=[Length(max=4000, message="Please keep the description under 4000 characters.")],
        filters=[strip],
    )
    category = SelectField(
        "Category",
        choices=[SelectChoice(key, label) for key, label in CATEGORIES.items()],
        validators=[DataRequired("Please choose a category.")],
    )
    tags = StringField(
        "Tags",
        description="Optional words to help people find it, separated by commas.",
        validators=[Length(max=300, message="Please keep the tags under 300 characters.")],
        filters=[strip],
    )
    community = SelectField("Community", coerce=str, validate_choice=True)
    capacity = IntegerField(
        "How many people can it serve?",
        description="For offers only. Needs are for one helper.",
        default=1,
        validators=[
            InputRequired("Please give a number."),
            NumberRange(1, 100, "A number from 1 to 100, please."),
        ],
    )
    when = SelectMultipleField(
        "When suits you? (optional)",
        description="Tick the times you are usually free for this. It helps us suggest a match.",
        choices=[
            SelectChoice(f"{day}-{part}", f"{name} {part}")
            for day, name in zip(WEEKDAY_KEYS, WEEKDAY_NAMES, strict=True)
            for part in DAY_PARTS
        ],
        validate_choice=True,
    )
    visibility = RadioField(
        "Who can see it?",
        choices=[
            SelectChoice("community", "Members of this community"),
            SelectChoice("linked", "Members of this community and its linked neighbours"),
            SelectChoice("public", "Anyone, even people without an account"),
        ],
        default="community",
        validators=[DataRequired("Please choose who can see it.")],
    )
    is_standing = BooleanField("This is ongoing (it never expires)")
    lifetime_days = IntegerField(
        "Days until it expires",
        default=30,
        validators=[Optional(), NumberRange(1, 90, "Between 1 and 90 days, please.")],
    )
    on_behalf_of = StringField(
        "Posting for a neighbour? Their name",
        description="Coordinators only: for a neighbour without an account or internet.",
        validators=[Length(max=80, message="A name can be at most 80 characters.")],
        filters=[strip],
    )
    request_key = HiddenField(filters=[strip])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.request_key.data:
            self.request_key.data = secrets.token_urlsafe(16)


def split_tags(text: str | None) -> list[str]:
    tags = []
    for raw in (text or "").split(","):
        tag = " ".join(raw.split()).lower().lstrip("#")[:40]
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:10]
