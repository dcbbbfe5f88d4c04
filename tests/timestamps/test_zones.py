"""Time zones: naive values in ``tz``, offsets over ``tz``, DST gaps and overlaps
(ddinc.timestamps._zones)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest

import ddinc
from ddinc.checks import check
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


# --- the range Python can hold, checked after conversion ---------------------------------


def test_year_9999_local_time_that_becomes_year_10000_in_utc_is_invalid() -> None:
    parsed = parse(["9999-12-31 23:00", "2024-01-12 15:45"], tz="America/New_York")
    # 23:00 EST on the last day Python can hold is 04:00 UTC on 10000-01-01.
    assert parsed.invalid.to_list() == [True, False]
    assert parsed.values.to_list() == [None, utc(2024, 1, 12, 20, 45)]
    (note,) = parsed.notes
    assert "1-9999" in note
    assert "9999-12-31 23:00" in note


def test_year_1_local_time_that_falls_below_year_1_in_utc_is_invalid() -> None:
    # Tokyo's local mean time at year 1 is UTC+9:18:59: 00:30 there is year 0 in UTC.
    raw = pl.Series("t", [datetime(1, 1, 1, 0, 30), datetime(2024, 1, 12, 15, 45)])
    parsed = parse_timestamps(raw, tz="Asia/Tokyo")
    assert parsed.invalid.to_list() == [True, False]
    assert parsed.values[0] is None
    assert any("1-9999" in note for note in parsed.notes)


def test_values_at_the_edges_of_the_range_stay_valid() -> None:
    parsed = parse(
        ["9999-12-31 23:59:59.999999", "0001-01-01 00:00"],
        formats=["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"],
    )
    assert parsed.values.to_list()[0] == utc(9999, 12, 31, 23, 59, 59, 999999)
    assert parsed.invalid.to_list()[0] is False
    assert parsed.notes == ()


def test_every_valid_value_is_a_python_datetime() -> None:
    raw = ["9999-12-31 20:00", "9999-12-31 23:59", "1000-01-01 00:00", "2024-01-12 15:45"]
    for tz in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"):
        parsed = parse(raw, tz=tz)
        # to_list builds Python datetimes: year 10000 raised OverflowError here before.
        values = parsed.values.to_list()
        assert all(v is None or 1 <= v.year <= 9999 for v in values)
        # Nothing here is missing or in a DST gap: a null is an invalid value, and back.
        assert (parsed.values.is_null() == parsed.invalid).all()


def test_a_load_quarantines_the_year_10000_row_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    path.write_text("id,title,declared\n1,a,9999-12-31 23:00\n2,b,2024-01-12 10:45\n")
    mapping = ddinc.Mapping(
        source="s",
        id="id",
        columns={"title": "title", "declared": "declared"},
        timezone="America/New_York",
    )
    result = ddinc.load(path, mapping)
    assert result.quarantine.get_column("source_row").to_list() == [1]
    assert any("1-9999" in note for note in result.notes)
    # These raised OverflowError, and the export wrote "+10000-01-01".
    result.incidents.to_dicts()
    check(result).to_html()
    ddinc.write_csv(result.incidents, tmp_path / "out.csv", result.quarantine)
    assert "+10000" not in (tmp_path / "out.csv").read_text()
