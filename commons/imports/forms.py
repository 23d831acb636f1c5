"""The upload form, the column chooser (its choices are the file's own columns), the import
button's form."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectChoice, SelectField

from ..forms import Form
from .models import SpreadsheetImport
from .services import ALL_NEEDS, ALL_OFFERS, FIELDS


class UploadForm(Form):
    file = FileField(
        "Your CSV file",
        description="At most 10,000 rows and 5 MB, saved as CSV UTF-8.",
        validators=[FileRequired("Please choose a CSV file.")],
    )


NOT_IN_FILE = SelectChoice("", "\u2014 not in my file \u2014")


class MappingForm(Form):
    """One select per field of a post; built per file (the choices are its columns)."""

    @classmethod
    def for_columns(
        cls, columns: tuple[tuple[str, str], ...], record: SpreadsheetImport
    ) -> MappingForm:
        """The form for this file, showing the saved (or guessed) choice until one is sent."""

        class _Mapping(cls):  # type: ignore[valid-type,misc]
            pass

        for field in FIELDS:
            choices = [NOT_IN_FILE, *(SelectChoice(value, label) for value, label in columns)]
            if field.key == "kind":
                choices += [
                    SelectChoice(ALL_OFFERS, "Every row is an offer"),
                    SelectChoice(ALL_NEEDS, "Every row is a need"),
                ]
            setattr(
                _Mapping,
                field.key,
                SelectField(
                    field.label + ("" if field.required else " (optional)"),
                    choices=choices,
                    description=field.explanation[0].upper() + field.explanation[1:],
                    validate_choice=True,
                ),
            )
        saved = record.mapping
        return _Mapping(data={f.key: saved.get(f.key, "") for f in FIELDS})

    def chosen(self) -> dict[str, str]:
        return {f.key: getattr(self, f.key).data or "" for f in FIELDS}


class ImportForm(Form):
    skip_bad_rows = BooleanField("Skip the rows with errors: I know they will not be imported.")
