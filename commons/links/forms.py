from __future__ import annotations

from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length

from ..forms import Form, strip
from .models import SCOPES
from .services import MESSAGE_MAX

NOTHING_FLOWS = "Choose at least one thing to share: offers, needs or mentors."
TOO_LONG = f"Please keep the message under {MESSAGE_MAX} characters."


class ScopeForm(Form):
    """What flows across a link. Several of these share a page, so each gets a prefix."""

    offers = BooleanField("Offers", default=True)
    needs = BooleanField("Needs", default=True)
    mentors = BooleanField("Mentors")

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        valid = super().validate(extra_validators)
        if not self.scopes:
            self.offers.errors = [*self.offers.errors, NOTHING_FLOWS]
            return False
        return valid

    @property
    def scopes(self) -> list[str]:
        return [name for name in SCOPES if getattr(self, name).data]

    @property
    def scope_error(self) -> str:
        return " ".join(self.offers.errors)


class ProposeForm(ScopeForm):
    message = TextAreaField(
        "Message to their coordinators",
        description="Optional. Who you are and why linking would help both communities.",
        validators=[Length(max=MESSAGE_MAX, message=TOO_LONG)],
        filters=[strip],
    )


def propose_prefix(community_id: int) -> str:
    return f"to-{community_id}"


def scope_prefix(link_id: int) -> str:
    return f"link-{link_id}"
