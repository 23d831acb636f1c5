from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import Form, strip
from .models import BODY_MAX, TITLE_MAX


class AnnouncementForm(Form):
    title = StringField(
        "Title",
        validators=[
            DataRequired("Please give the announcement a title."),
            Length(max=TITLE_MAX, message=f"Please keep the title under {TITLE_MAX} characters."),
        ],
        filters=[strip],
    )
    body = TextAreaField(
        "Announcement",
        description="Every member gets it in their notifications, and by email if they asked "
        "for news from their coordinators.",
        validators=[
            DataRequired("Please write the announcement."),
            Length(
                max=BODY_MAX, message=f"Please keep the announcement under {BODY_MAX} characters."
            ),
        ],
        filters=[strip],
    )
