from __future__ import annotations

from wtforms import FloatField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from ..forms import Form, strip
from .services import NeighbourhoodInput


def parse_neighbourhoods(text: str) -> list[NeighbourhoodInput]:
    """One "Name, latitude, longitude" per line; raises ValueError naming the first bad line."""
    places: list[NeighbourhoodInput] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.rsplit(",", 2)]
        try:
            name, lat, lon = parts[0], float(parts[1]), float(parts[2])
        except (IndexError, ValueError) as exc:
            raise ValueError(
                f"Line {number} should read like: Riverside, 51.5010, -0.1200"
            ) from exc
        if not name or len(name) > 80:
            raise ValueError(f"Line {number}: a name needs 1 to 80 characters.")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"Line {number}: that latitude or longitude is off the map.")
        if name.lower() in {p.name.lower() for p in places}:
            raise ValueError(f"Line {number}: {name} is listed twice.")
        places.append(NeighbourhoodInput(name, lat, lon))
    if len(places) > 50:
        raise ValueError("Please list at most 50 neighbourhoods.")
    return places


class CommunityForm(Form):
    name = StringField(
        "Name",
        validators=[
            DataRequired("Please give the community a name."),
            Length(min=3, max=80, message="A name needs 3 to 80 characters."),
        ],
        filters=[strip],
    )
    description = TextAreaField(
        "Description",
        description="Who it is for and what people share here.",
        validators=[Length(max=2000, message="Please keep this under 2000 characters.")],
        filters=[strip],
    )
    join_policy = RadioField(
        "Who can join",
        choices=[
            SelectChoice("open", "Anyone can join straight away"),
            SelectChoice("approval", "A coordinator approves each new member"),
        ],
        default="open",
        validators=[DataRequired("Please choose who can join.")],
    )
    centre_lat = FloatField(
        "Centre latitude",
        description="For example 51.5072. You can find it by long-pressing a map app.",
        validators=[
            InputRequired("Please give the latitude of the centre."),
            NumberRange(-90, 90, "A latitude is between -90 and 90."),
        ],
    )
    centre_lon = FloatField(
        "Centre longitude",
        description="For example -0.1276.",
        validators=[
            InputRequired("Please give the longitude of the centre."),
            NumberRange(-180, 180, "A longitude is between -180 and 180."),
        ],
    )
    radius_km = FloatField(
        "Radius in kilometres",
        default=2.0,
        validators=[
            InputRequired("Please give a radius."),
            NumberRange(0.1, 200, "The radius must be between 0.1 and 200 km."),
        ],
    )
    neighbourhoods = TextAreaField(
        "Neighbourhoods",
        description="Optional. One per line: name, latitude, longitude. Members choose one of "
        "these as their home area; no one's address is ever shown.",
        validators=[Length(max=5000, message="Please keep this list under 5000 characters.")],
    )

    def validate_neighbourhoods(self, field: TextAreaField) -> None:
        try:
            parse_neighbourhoods(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class NeighbourhoodForm(Form):
    name = StringField(
        "Name",
        validators=[DataRequired("Please give a name."), Length(max=80)],
        filters=[strip],
    )
    lat = FloatField(
        "Latitude", validators=[InputRequired("Please give a latitude."), NumberRange(-90, 90)]
    )
    lon = FloatField(
        "Longitude", validators=[InputRequired("Please give a longitude."), NumberRange(-180, 180)]
    )


class LeaveForm(Form):
    successor = SelectField("Who should coordinate after you?", coerce=str, validate_choice=False)


class ActionForm(Form):
    """A button that changes something: only the CSRF token travels with it."""
