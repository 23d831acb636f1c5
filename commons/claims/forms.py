from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import Form, strip
from .services import MESSAGE_MAX, ON_BEHALF_MAX, THANKS_MAX


class ClaimForm(Form):
    message = TextAreaField(
        "Your message",
        description="Say hello, and when or how you could meet. Only the two of you see it.",
        validators=[
            Length(max=MESSAGE_MAX, message=f"Please keep this under {MESSAGE_MAX} characters.")
        ],
        filters=[strip],
    )
    on_behalf_of = StringField(
        "On behalf of (optional)",
        description="Coordinators: the name of a neighbour without an account you answer for.",
        validators=[
            Optional(),
            Length(max=ON_BEHALF_MAX, message=f"A name needs at most {ON_BEHALF_MAX} characters."),
        ],
        filters=[strip],
    )


class MessageForm(Form):
    body = TextAreaField(
        "Message",
        validators=[
            DataRequired("Please write a message."),
            Length(
                max=MESSAGE_MAX, message=f"Please keep a message under {MESSAGE_MAX} characters."
            ),
        ],
        filters=[strip],
    )


class ThanksForm(Form):
    note = TextAreaField(
        "Your thanks",
        description="A few words about what it meant to you. It shows on their profile.",
        validators=[
            DataRequired("Please write a few words of thanks."),
            Length(max=THANKS_MAX, message=f"Please keep this under {THANKS_MAX} characters."),
        ],
        filters=[strip],
    )
