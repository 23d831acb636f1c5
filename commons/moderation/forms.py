from __future__ import annotations

from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import Form, strip
from .services import REASON_MAX


def _reason_field() -> TextAreaField:
    return TextAreaField(
        "What is wrong?",
        description="Say what happened, in a few sentences. The coordinators read this; "
        "we don't tell the person you report.",
        validators=[
            DataRequired("Please say what is wrong."),
            Length(max=REASON_MAX, message=f"Please keep this under {REASON_MAX} characters."),
        ],
        filters=[strip],
    )


class ReportForm(Form):
    reason = _reason_field()


class MemberReportForm(Form):
    community = SelectField(
        "Which community's coordinators should read this?",
        coerce=str,
        validate_choice=True,
    )
    reason = _reason_field()
