"""Time zones: naive values in ``tz``, offsets over ``tz``, DST gaps and overlaps
(ddinc.timestamps._zones)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import polars as pl
import pytest

from ddinc.errors import ConfigError
from ddinc.schema import Timestamp
from ddinc.timestamps import (
    parse_timestamps,
)
from tests.timestamps._helpers import parse, utc


def test_offsets_ignore_tz_and_naive_values_use_it() -> None:
    parsed = parse(["2024-01-12T15:45:00Z", "2024-01-12 15:45"], tz="America/New_York")
    # 15:45 EST (UTC-5) is 20:45 UTC; the "Z" value is already UTC.
    assert parsed.values.to_list() == [utc(2024, 1, 12, 15, 45), utc(2024, 1, 12, 20, 45)]
    assert parsed.assumed_tz == "America/New_York"


def test_assumed_tz_is_none_when_every_value_carries_its_zone() -> None:
    parsed = parse(
        ["2024-01-12T15:45:00Z", "1705074300", "2024-01-12 15:45:00 UTC"], tz="Asia/Tokyo"
    )
    assert parsed.assumed_tz is None
    assert parsed.values.to_list() == [utc(2024, 1, 12, 15, 45)] * 3


# -- time zones and DST ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "text", "expected", "nonexistent", "ambiguous"),
    [
        # Europe/London: 2024-03-31 01:00 GMT -> 02:00 BST; 2024-10-27 02:00 BST -> 01:00 GMT.
        ("Europe/London", "2024-03-31 01:30", None, True, False),
        ("Europe/London", "2024-10-27 01:30", utc(2024, 10, 27, 0, 30), False, True),
        ("Europe/London", "2024-06-01 12:00", utc(2024, 6, 1, 11), False, False),
        ("Europe/London", "2024-01-12 12:00", utc(2024, 1, 12, 12), False, False),
        # America/New_York: 2024-03-10 02:00 EST -> 03:00 EDT; 2024-11-03 02:00 EDT -> 01:00 EST.
        ("America/New_York", "2024-03-10 02:30", None, True, False),
        ("America/New_York", "2024-11-03 01:30", utc(2024, 11, 3, 5, 30), False, True),
        ("America/New_York", "2024-01-12 10:45", utc(2024, 1, 12, 15, 45), False, False),
        ("America/New_York", "7/4/2024 12:00", utc(2024, 7, 4, 16), False, False),
    ],
)
def test_dst_gap_and_overlap(
    tz: str, text: str, expected: datetime | None, nonexistent: bool, ambiguous: bool
) -> None:
    parsed = parse(["2024-02-01 00:00", text], tz=tz, order="month_first")
    assert parsed.values[1] == expected
    assert parsed.nonexistent.to_list() == [False, nonexistent]
    assert parsed.ambiguous.to_list() == [False, ambiguous]
    assert parsed.invalid.to_list() == [False, False]  # a DST gap is not a typo


def test_dst_flags_in_a_mixed_column() -> None:
    parsed = parse(
        ["31/3/2024 01:30", "2024-03-31T01:30:00Z", "27/10/2024 01:30", "2024-10-27 01:30"],
        tz="Europe/London",
    )
    assert parsed.values.to_list() == [
        None,
        utc(2024, 3, 31, 1, 30),
        utc(2024, 10, 27, 0, 30),
        utc(2024, 10, 27, 0, 30),
    ]
    assert parsed.nonexistent.to_list() == [True, False, False, False]
    assert parsed.ambiguous.to_list() == [False, False, True, True]


def test_unknown_zone_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"Mars/Base.*Europe/London"):
        parse(["2024-01-12"], tz="Mars/Base")


# -- already typed input ---------------------------------------------------------------------------


def test_naive_datetimes_are_read_in_tz() -> None:
    raw = pl.Series([datetime(2024, 3, 31, 1, 30), datetime(2024, 1, 12, 15, 45), None])
    parsed = parse_timestamps(raw, tz="Europe/London")
    assert parsed.values.to_list() == [None, utc(2024, 1, 12, 15, 45), None]
    assert parsed.nonexistent.to_list() == [True, False, False]
    assert parsed.assumed_tz == "Europe/London"


def test_aware_datetimes_are_converted_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    raw = pl.Series([datetime(2024, 1, 12, 17, 45, tzinfo=plus_two)]).dt.convert_time_zone(
        "Europe/Paris"
    )
    parsed = parse_timestamps(raw, tz="America/New_York")
    assert parsed.values.dtype == Timestamp
    assert parsed.values.to_list() == [utc(2024, 1, 12, 15, 45)]
    assert parsed.assumed_tz is None


def test_dates_are_midnight_in_tz() -> None:
    parsed = parse_timestamps(pl.Series([date(2024, 1, 12)]), tz="Asia/Kolkata")
    assert parsed.values.to_list() == [utc(2024, 1, 11, 18, 30)]  # IST is UTC+5:30
