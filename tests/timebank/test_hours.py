"""Hours in words and numbers: how amounts are shown, read from what members type, written to
CSV, and made safe for spreadsheets."""

from __future__ import annotations

import pytest

from commons.timebank.services import (
    InvalidInput,
    decimal_hours,
    format_hours,
    parse_hours,
    spreadsheet_safe,
)


@pytest.mark.parametrize(
    "minutes, shown, signed",
    [
        (0, "0 h", "0 h"),
        (15, "¼ h", "+¼ h"),
        (30, "½ h", "+½ h"),
        (45, "¾ h", "+¾ h"),
        (60, "1 h", "+1 h"),
        (135, "2¼ h", "+2¼ h"),
        (-90, "−1½ h", "−1½ h"),
        (-600, "−10 h", "−10 h"),
        (6000, "100 h", "+100 h"),
        (70, "1 h 10 min", "+1 h 10 min"),  # never a transfer, but never a crash either
    ],
)
def test_hours_are_shown_in_quarters_with_a_true_minus(minutes, shown, signed):
    assert format_hours(minutes) == shown
    assert format_hours(minutes, signed=True) == signed


@pytest.mark.parametrize(
    "minutes, number", [(0, "0"), (15, "0.25"), (90, "1.5"), (-135, "-2.25"), (600, "10")]
)
def test_csv_hours_are_plain_numbers(minutes, number):
    assert decimal_hours(minutes) == number


@pytest.mark.parametrize(
    "typed, minutes",
    [
        ("1", 60),
        ("1.5", 90),
        ("1,5", 90),
        (".75", 45),
        ("0.250", 15),
        ("1:45", 105),
        ("2½", 150),
        ("¾", 45),
        ("3 hours", 180),
        ("1.25h", 75),
        (" 2 ", 120),
        ("100", 6000),
    ],
)
def test_hours_are_read_as_people_write_them(typed, minutes):
    assert parse_hours(typed) == minutes


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Please give a number of hours"),
        ("-1", "positive"),
        ("−1", "positive"),
        ("0", "at least a quarter"),
        ("0:00", "at least a quarter"),
        ("1.1", "quarter hours"),
        ("1:20", "quarter hours"),
        ("1:75", "like 1.5"),
        ("100.25", "At most 100 h"),
        ("9" * 7, "At most 100 h"),
        ("9" * 8, "like 1.5"),
        ("1e3", "like 1.5"),
        ("nan", "like 1.5"),
        ("inf", "like 1.5"),
        ("0x10", "like 1.5"),
        ("1.2.3", "like 1.5"),
        ("١", "like 1.5"),  # other scripts' digits: int() would read them, we ask again
        ("½½", "like 1.5"),
    ],
)
def test_anything_else_is_refused_with_a_message(typed, message):
    with pytest.raises(InvalidInput, match=message):
        parse_hours(typed)


def test_a_floor_may_be_zero():
    assert parse_hours("0", allow_zero=True) == 0


@pytest.mark.parametrize(
    "cell, safe",
    [
        ("=1+1", "'=1+1"),
        ("+44 7700", "'+44 7700"),
        ("-x", "'-x"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Lift = kind", "Lift = kind"),
        ("", ""),
    ],
)
def test_spreadsheet_formulas_are_kept_as_text(cell, safe):
    assert spreadsheet_safe(cell) == safe
