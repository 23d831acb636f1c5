from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from ..forms import Form, strip
from ..profiles.forms import split_list
from ..timebank.forms import id_or_none
from .services import (
    ABOUT_MAX,
    CAPACITY_MAX,
    CAPACITY_MIN,
    GOAL_TOPIC_MAX,
    MESSAGE_MAX,
    NOTES_MAX,
    TOPIC_MAX,
    TOPICS_MAX,
)

LEVEL_CHOICES = [
    SelectChoice("beginner", "Beginner: just starting"),
    SelectChoice("intermediate", "Intermediate: know the basics"),
    SelectChoice("advanced", "Advanced: want to go further"),
]
GOAL_FORMAT_CHOICES = [
    SelectChoice("", "Either"),
    SelectChoice("in_person", "In person"),
    SelectChoice("online", "Online"),
]


class MentorForm(Form):
    """Becoming a mentor, or changing one's mentor profile."""

    topics = StringField(
        "What you can teach",
        description=(
            f"Separate topics with commas, at most {TOPICS_MAX}: guitar, CV writing, Polish."
        ),
        validators=[DataRequired("Please name at least one thing you can teach.")],
        filters=[strip],
    )
    capacity = IntegerField(
        "How many learners you can take at a time",
        default=1,
        validators=[
            NumberRange(
                CAPACITY_MIN,
                CAPACITY_MAX,
                message=f"Please choose between {CAPACITY_MIN} and {CAPACITY_MAX}.",
            )
        ],
    )
    in_person = BooleanField("In person", default=True)
    online = BooleanField("Online", default=True)
    beginner = BooleanField("Beginners")
    intermediate = BooleanField("Intermediate learners")
    advanced = BooleanField("Advanced learners")
    about = TextAreaField(
        "About you as a mentor (optional)",
        validators=[
            Length(max=ABOUT_MAX, message=f"Please keep this under {ABOUT_MAX} characters.")
        ],
        filters=[strip],
    )
    accepting = BooleanField("I am taking new learners", default=True)

    def validate_topics(self, field: StringField) -> None:
        raw = [part for part in (field.data or "").split(",") if part.strip()]
        if len(raw) > TOPICS_MAX:
            raise ValidationError(f"Please name at most {TOPICS_MAX} topics.")
        if any(len(" ".join(part.split())) > TOPIC_MAX for part in raw):
            raise ValidationError(f"Please keep each topic under {TOPIC_MAX} characters.")

    def validate_online(self, field: BooleanField) -> None:
        if not (self.in_person.data or field.data):
            raise ValidationError("Please choose in person, online, or both.")

    @property
    def topic_list(self) -> list[str]:
        return split_list(self.topics.data, max_items=TOPICS_MAX, max_length=TOPIC_MAX)

    @property
    def level_list(self) -> list[str]:
        return [
            level for level in ("beginner", "intermediate", "advanced") if getattr(self, level).data
        ]


class GoalForm(Form):
    topic = StringField(
        "What you want to learn",
        description="A few words: “guitar”, “using a smartphone”, “Spanish conversation”.",
        validators=[
            DataRequired("Please say what you want to learn."),
            Length(
                max=GOAL_TOPIC_MAX, message=f"Please keep this under {GOAL_TOPIC_MAX} characters."
            ),
        ],
        filters=[strip],
    )
    level = RadioField("Your level", choices=LEVEL_CHOICES, default="beginner")
    format = SelectField("How you would like to meet", choices=GOAL_FORMAT_CHOICES, default="")
    notes = TextAreaField(
        "Anything a mentor should know (optional)",
        validators=[
            Length(max=NOTES_MAX, message=f"Please keep this under {NOTES_MAX} characters.")
        ],
        filters=[strip],
    )


class AskForm(Form):
    topic = StringField(
        "What you would like to learn",
        validators=[
            DataRequired("Please say what you would like to learn."),
            Length(
                max=GOAL_TOPIC_MAX, message=f"Please keep this under {GOAL_TOPIC_MAX} characters."
            ),
        ],
        filters=[strip],
    )
    message = TextAreaField(
        "Your message",
        description="Say hello, what you hope to learn, and when you are usually free.",
        validators=[
            Length(max=MESSAGE_MAX, message=f"Please keep this under {MESSAGE_MAX} characters.")
        ],
        filters=[strip],
    )
    goal = HiddenField(filters=[id_or_none])
    source = HiddenField(default="request")
