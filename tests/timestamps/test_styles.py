"""Every recognised style, read by hand-worked values (ddinc.timestamps._styles)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from ddinc.timestamps import (
    DateOrder,
)
from ddinc.timestamps._styles import leap_seconds
from tests.timestamps._helpers import only, parse, utc

# -- ISO 8601, RFC 3339, PagerDuty -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-12T15:45:00Z", utc(2024, 1, 12, 15, 45)),
        ("2024-01-12T15:45:00+01:00", utc(2024, 1, 12, 14, 45)),
        ("2024-01-12T15:45:00+0100", utc(2024, 1, 12, 14, 45)),
        ("2024-01-12T15:45:00-05", utc(2024, 1, 12, 20, 45)),
        ("2024-01-12 15:45:00-05:30", utc(2024, 1, 12, 21, 15)),
        ("2024-01-12T15:45Z", utc(2024, 1, 12, 15, 45)),
        ("2024-01-12 15:45+02:00", utc(2024, 1, 12, 13, 45)),
        ("2024-01-12T15:45:00.25+01:00", utc(2024, 1, 12, 14, 45, 0, 250000)),
        ("2024-01-12T15:45:07.123456Z", utc(2024, 1, 12, 15, 45, 7, 123456)),
        ("2024-01-12T15:45:07.000001Z", utc(2024, 1, 12, 15, 45, 7, 1)),
        ("2024-01-12T23:30:00-05:00", utc(2024, 1, 13, 4, 30)),
        # PagerDuty CSV
        ("2024-01-12 15:45:00 UTC", utc(2024, 1, 12, 15, 45)),
        ("2024-01-12T15:45:00-0500", utc(2024, 1, 12, 20, 45)),
        # naive: read in tz (UTC here)
        ("2024-01-12T15:45:00", utc(2024, 1, 12, 15, 45)),
        ("2024-01-12 15:45:07.5", utc(2024, 1, 12, 15, 45, 7, 500000)),
        ("2024-01-12 15:45", utc(2024, 1, 12, 15, 45)),
        ("2024-01-12T15:45", utc(2024, 1, 12, 15, 45)),
        ("2024-01-12", utc(2024, 1, 12)),
        ("2024/01/12 15:45:30", utc(2024, 1, 12, 15, 45, 30)),
    ],
)
def test_iso_styles(text: str, expected: datetime) -> None:
    assert only(text) == expected
    assert only(f"  {text} ") == expected


# -- epoch -----------------------------------------------------------------------------------------


def test_epoch_text_seconds_and_milliseconds_by_digit_count() -> None:
    parsed = parse(["1705074300", "1705074300.5", "1705074300123", "1705074300123.456"])
    # 1705074300 s = 19734 days + 56700 s after 1970-01-01 = 2024-01-12 15:45:00.
    instant = utc(2024, 1, 12, 15, 45)
    assert datetime.fromtimestamp(1705074300, UTC) == instant
    assert parsed.values.to_list() == [
        instant,
        instant + timedelta(milliseconds=500),
        instant + timedelta(milliseconds=123),
        instant + timedelta(microseconds=123456),
    ]
    assert set(parsed.format_codes) == {"epoch-s", "epoch-ms"}
    assert set(parsed.styles) == {"epoch seconds", "epoch milliseconds"}


@pytest.mark.parametrize(
    "text", ["0", "17", "20240112", "17050743001", "17050743001234", "-1705074300"]
)
def test_implausible_epoch_digits_are_invalid(text: str) -> None:
    parsed = parse(["1705074300", text])
    assert parsed.invalid.to_list() == [False, True]


# -- numeric day/month dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5/3/2016 12:00", utc(2016, 3, 5, 12)),
        ("05-03-2016 12:00:33", utc(2016, 3, 5, 12, 0, 33)),
        ("5.3.2016 12:00", utc(2016, 3, 5, 12)),
        ("29/2/2016 01:16", utc(2016, 2, 29, 1, 16)),
        ("5/3/16 12:00", utc(2016, 3, 5, 12)),
        ("5/3/2016", utc(2016, 3, 5)),
        ("05/03/2016 3:45 PM", utc(2016, 3, 5, 15, 45)),
        ("5/3/2016 12:05 AM", utc(2016, 3, 5, 0, 5)),
        ("5/3/2016 12:05 PM", utc(2016, 3, 5, 12, 5)),
        ("5/3/2016 3:45:10 pm", utc(2016, 3, 5, 15, 45, 10)),
    ],
)
def test_day_first_styles(text: str, expected: datetime) -> None:
    assert only(text, order="day_first") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3/15/2016 3:45 PM", utc(2016, 3, 15, 15, 45)),
        ("5/3/2016 12:00", utc(2016, 5, 3, 12)),
        ("03-15-16 23:59:59", utc(2016, 3, 15, 23, 59, 59)),
    ],
)
def test_month_first_styles(text: str, expected: datetime) -> None:
    assert only(text, order=DateOrder.MONTH_FIRST) == expected


def test_two_digit_years_are_not_read_as_year_16() -> None:
    # chrono's %Y alone would give year 16; 69 -> 2069 and 70 -> 1970 like Python's %y.
    assert only("5/3/16 12:00") == utc(2016, 3, 5, 12)
    assert only("5/3/70") == utc(1970, 3, 5)
    assert parse(["5/3/0016 12:00", "5/3/2016 12:00"]).invalid.to_list() == [True, False]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/Jan/24 3:45 PM", utc(2024, 1, 12, 15, 45)),
        ("12/Jan/2024 15:45", utc(2024, 1, 12, 15, 45)),
        ("2/jan/24 12:05 AM", utc(2024, 1, 2, 0, 5)),
        ("12/January/24 3:45 PM", utc(2024, 1, 12, 15, 45)),
        ("12-Jan-2024 15:45:30", utc(2024, 1, 12, 15, 45, 30)),
        ("12 Jan 2024", utc(2024, 1, 12)),
        ("Jan 12, 2024 3:45 PM", utc(2024, 1, 12, 15, 45)),
        ("January 2, 2024 15:45", utc(2024, 1, 2, 15, 45)),
    ],
)
def test_month_name_styles(text: str, expected: datetime) -> None:
    parsed = parse([text])
    assert parsed.values.to_list() == [expected]
    assert parsed.order is None  # month names leave no day/month question


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2016 10:00",  # impossible date
        "2016-02-30",
        "5/3/2016 25:00",
        "5/3/2016 13:00 PM",
        "garbage",
        "2024-01-12T15:45:00Z trailing",  # no partial matching
        "2024-01-12T15:45:00+25:00",
        "12/Foo/24 3:45 PM",
        "5//3/2016",
    ],
)
def test_invalid_values_are_flagged_not_dropped(text: str) -> None:
    parsed = parse(["2024-01-12 15:45", text, "?"])
    assert parsed.invalid.to_list() == [False, True, False]
    assert parsed.values.to_list() == [utc(2024, 1, 12, 15, 45), None, None]
    assert len(parsed.values) == 3


def test_seconds_are_never_dropped() -> None:
    # A minutes-only format must not swallow the seconds of a value that has them.
    parsed = parse(["5/3/2016 12:00", "5/3/2016 12:00:33", "5/3/2016 12:00:33.5"])
    assert parsed.values.to_list() == [
        utc(2016, 3, 5, 12),
        utc(2016, 3, 5, 12, 0, 33),
        utc(2016, 3, 5, 12, 0, 33, 500000),
    ]


# --- leap seconds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-12-31 23:59:60", utc(2016, 12, 31, 23, 59, 59, 999999)),
        ("2016-12-31T23:59:60Z", utc(2016, 12, 31, 23, 59, 59, 999999)),
        ("2016-12-31T23:59:60.5+00:00", utc(2016, 12, 31, 23, 59, 59, 999999)),
        ("31/12/2016 23:59:60", utc(2016, 12, 31, 23, 59, 59, 999999)),
    ],
)
def test_a_leap_second_stays_in_its_minute_and_day(text: str, expected: datetime) -> None:
    # chrono reads second 60 as the next minute: 2017-01-01 00:00, another day and year.
    assert only(text) == expected


def test_a_leap_second_is_said_in_a_note() -> None:
    parsed = parse(["2016-12-31 23:59:60", "2016-12-31 23:59:59", "2016-12-31 23:59"])
    (note,) = parsed.notes
    assert "leap second" in note
    assert "2016-12-31 23:59:60" in note
    assert "1 value" in note


def test_sixty_elsewhere_is_not_a_leap_second() -> None:
    parsed = parse(
        ["2016-12-31 23:59:59", "2016-12-31 23:59"], formats=["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
    )
    assert parsed.notes == ()
    assert leap_seconds(
        pl.Series(["INC-12:34:60x", "60", "10:60", None, "1:00:600"])
    ).to_list() == [True, False, False, False, False]
