from __future__ import annotations

from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import Form, strip
from .queue import NOTE_MAX, WARNING_MAX
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


class ActionForm(Form):
    """One report's actions in the queue (each button posts to its own address), or lifting a
    suspension. The note goes in the audit log; for a warning it is what the member reads."""

    note = TextAreaField(
        "Note",
        description="For the log. For a warning, the words the member receives "
        f"(at most {WARNING_MAX} characters).",
        validators=[
            Length(max=NOTE_MAX, message=f"Please keep the note under {NOTE_MAX} characters.")
        ],
        filters=[strip],
    )


def action_prefix(report_id: int) -> str:
    """Each report's form has its own field names and ids on the queue page."""
    return f"report-{report_id}"


def lift_prefix(member_id: int) -> str:
    return f"lift-{member_id}"
