"""Detection: day/month order per column, styles from a sample (ddinc.timestamps._detect)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from ddinc.errors import LoadError
from ddinc.timestamps import (
    DateOrder,
    parse_timestamps,
)
from tests.timestamps._helpers import parse, utc

# -- day/month order detection ---------------------------------------------------------------------


def test_first_number_above_12_proves_day_first() -> None:
    parsed = parse(["5/3/2016 12:00", "13/3/2016 12:00"])
    assert parsed.order is DateOrder.DAY_FIRST
    assert parsed.values.to_list() == [utc(2016, 3, 5, 12), utc(2016, 3, 13, 12)]
    assert not any("assumed" in style for style in parsed.styles)


def test_second_number_above_12_proves_month_first() -> None:
    parsed = parse(["5/3/2016 12:00", "3/15/2016 3:45 PM"])
    assert parsed.order is DateOrder.MONTH_FIRST
    assert parsed.values.to_list() == [utc(2016, 5, 3, 12), utc(2016, 3, 15, 15, 45)]


def test_nothing_proves_either_order_day_first_is_assumed_and_said() -> None:
    parsed = parse(["5/3/2016 12:00", "1/2/2016 08:00"])
    assert parsed.order is DateOrder.DAY_FIRST
    assert parsed.values.to_list() == [utc(2016, 3, 5, 12), utc(2016, 2, 1, 8)]
    assert parsed.styles == ("D/M/YYYY HH:MM, day-first assumed",)


def test_order_is_none_without_numeric_dates() -> None:
    assert parse(["2024-01-12T15:45:00Z"]).order is None


def test_proof_far_down_a_long_column_is_found() -> None:
    # Thousands of ambiguous values, then one that only reads month-first: the proof must be
    # found whatever part of the column a sample looks at.
    values = ["5/3/2016 12:00"] * 4000 + ["3/15/2016 12:00"]
    parsed = parse(values)
    assert parsed.order is DateOrder.MONTH_FIRST
    assert parsed.values[0] == utc(2016, 5, 3, 12)
    assert parsed.values[-1] == utc(2016, 3, 15, 12)
    assert not parsed.invalid.any()


def test_contradicting_column_names_column_and_both_values() -> None:
    with pytest.raises(LoadError) as info:
        parse_timestamps(
            pl.Series(["13/1/2016 10:00", "5/3/2016 12:00", "1/13/2016 10:00"]), column="opened_at"
        )
    message = str(info.value)
    assert "opened_at" in message
    assert "13/1/2016 10:00" in message
    assert "1/13/2016 10:00" in message
    assert "order=" in message
    assert info.value.column == "opened_at"


def test_contradiction_far_apart_in_a_long_column() -> None:
    values = ["13/1/2016 10:00"] + ["5/3/2016 12:00"] * 3000 + ["1/13/2016 10:00"]
    with pytest.raises(LoadError, match=r"13/1/2016 10:00.*1/13/2016 10:00"):
        parse(values, column="closed_at")


def test_given_order_flags_the_other_order_invalid() -> None:
    parsed = parse(["13/1/2016 10:00", "1/13/2016 10:00", "5/3/2016 12:00"], order="day_first")
    assert parsed.invalid.to_list() == [False, True, False]
    assert parsed.values.to_list() == [utc(2016, 1, 13, 10), None, utc(2016, 3, 5, 12)]
    assert parsed.order is DateOrder.DAY_FIRST


def test_long_column_whose_style_changes_halfway() -> None:
    # An export appended to over the years: one style per era, each era thousands of rows.
    values = (
        ["13/3/2016 12:00"] * 3000 + ["2016-03-13T12:00:00Z"] * 3000 + ["13/Mar/16 12:00 PM"] * 3000
    )
    parsed = parse([*values, "?", "garbage"])
    assert parsed.values.to_list()[:9000] == [utc(2016, 3, 13, 12)] * 9000
    assert parsed.invalid.to_list()[9000:] == [False, True]
    assert sorted(parsed.format_codes) == sorted(
        ["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S%.f%#z", "%d/%B/%y %I:%M %p"]
    )


def test_styles_are_listed_most_rows_first() -> None:
    values = ["2016-03-05T12:00:00Z"] + ["13/3/2016 12:00"] * 50 + ["05-03-2016 12:00"] * 5
    parsed = parse(values)
    assert parsed.format_codes == ("%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M", "%Y-%m-%dT%H:%M:%S%.f%#z")
    assert parsed.styles[0] == "D/M/YYYY HH:MM"


def test_unproven_twelve_hour_dates_are_taken_month_first_and_say_so() -> None:
    # 2/1 and 3/4 prove nothing; a 12-hour clock is a US export, and the US writes month first.
    parsed = parse_timestamps(pl.Series(["2/1/2024 9:05:07 AM", "3/4/2024 1:00 PM"]))
    assert parsed.values.to_list() == [
        datetime(2024, 2, 1, 9, 5, 7, tzinfo=UTC),
        datetime(2024, 3, 4, 13, 0, tzinfo=UTC),
    ]
    assert parsed.order == DateOrder.MONTH_FIRST
    assert all("month-first assumed" in style for style in parsed.styles)


def test_unproven_24_hour_dates_stay_day_first() -> None:
    parsed = parse_timestamps(pl.Series(["2/1/2024 09:05", "3/4/2024 13:00"]))
    assert parsed.order == DateOrder.DAY_FIRST
    assert parsed.values.to_list()[0] == datetime(2024, 1, 2, 9, 5, tzinfo=UTC)
