"""Tests for ddinc.timestamps: every style read by hand-worked values, then properties.

Expected instants are worked out by hand (offsets subtracted, DST rules of the zone), or by
Python's own ``datetime`` where a rule is mechanical, never by the code under test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import partial

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

from ddinc.errors import ConfigError, LoadError
from ddinc.schema import Timestamp
from ddinc.timestamps import (
    NULL_SPELLINGS,
    DateOrder,
    ParsedTimestamps,
    normalize_nulls,
    parse_timestamps,
)
from tests.conftest import shared_path

utc = partial(datetime, tzinfo=UTC)


def parse(values: Sequence[str | None], **kwargs: object) -> ParsedTimestamps:
    return parse_timestamps(pl.Series("t", values, dtype=pl.String), **kwargs)  # type: ignore[arg-type]


def only(value: str, **kwargs: object) -> datetime | None:
    parsed = parse([value], **kwargs)
    assert parsed.invalid.to_list() == [False], f"{value!r} was flagged invalid"
    result: datetime | None = parsed.values[0]
    return result


# -- null spellings --------------------------------------------------------------------------------


def test_brief_null_spellings_are_all_listed() -> None:
    wanted = {"", "?", "N/A", "n/a", "NA", "na", "null", "NULL", "Null", "None", "none"}
    wanted |= {"nil", "-", "--", "nan", "NaN", "NaT", "#N/A", "(none)"}
    assert wanted <= set(NULL_SPELLINGS)
    assert len(set(NULL_SPELLINGS)) == len(NULL_SPELLINGS)


def test_normalize_nulls_strips_and_nulls_every_spelling() -> None:
    padded = [f" \t{spelling}  " for spelling in NULL_SPELLINGS]
    frame = pl.DataFrame({"x": [*padded, "  x y ", "unknown", "nullx"]})
    out = frame.select(normalize_nulls(pl.col("x"))).to_series().to_list()
    assert out == [None] * len(NULL_SPELLINGS) + ["x y", "unknown", "nullx"]


def test_unknown_is_flagged_invalid_not_treated_as_missing() -> None:
    parsed = parse(["2024-01-12 15:45", "unknown", "?"])
    assert parsed.invalid.to_list() == [False, True, False]


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


def test_values_are_microsecond_utc_and_keep_length_and_name() -> None:
    parsed = parse(["2024-01-12T15:45:07.123456Z", None, "x"])
    assert parsed.values.dtype == Timestamp
    assert parsed.values.name == "t"
    for flags in (parsed.invalid, parsed.nonexistent, parsed.ambiguous):
        assert flags.dtype == pl.Boolean
        assert len(flags) == 3
        assert flags.null_count() == 0


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


def test_epoch_numbers() -> None:
    raw = pl.Series("t", [1705074300, 1705074300123, 5, None])
    parsed = parse_timestamps(raw)
    instant = utc(2024, 1, 12, 15, 45)
    assert parsed.values.to_list() == [instant, instant + timedelta(milliseconds=123), None, None]
    assert parsed.invalid.to_list() == [False, False, True, False]
    floats = parse_timestamps(pl.Series([1705074300.25, float("nan"), float("inf"), None]))
    assert floats.values[0] == instant + timedelta(milliseconds=250)
    assert floats.invalid.to_list() == [False, False, True, False]


def test_epoch_numbers_none_plausible_raise() -> None:
    with pytest.raises(LoadError, match="epoch") as info:
        parse_timestamps(pl.Series("closed", [0, 0, 17]))
    assert info.value.column == "closed"


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


# -- mixed columns, invalid values, formats --------------------------------------------------------


def test_mixed_styles_in_one_column_all_parse() -> None:
    parsed = parse(
        ["5/3/2016 12:00", "05-03-2016 12:00", "2016-03-05T12:00:00", "5.3.2016 12:00:00", "?"]
    )
    assert parsed.values.to_list() == [utc(2016, 3, 5, 12)] * 4 + [None]
    assert not parsed.invalid.any()
    assert len(parsed.styles) == len(parsed.format_codes) == 4


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


def test_repeated_garbage_in_a_long_column_is_flagged_row_by_row() -> None:
    values = ["13/3/2016 12:00", "unknown", "TBD", "?"] * 1000
    parsed = parse(values)
    assert parsed.invalid.sum() == 2000
    assert parsed.invalid.to_list()[:4] == [False, True, True, False]
    assert parsed.values.null_count() == 3000


def test_formats_override_detection_in_the_given_order() -> None:
    values = ["5/3/2016", "3/15/2016", "2016-03-05"]
    day_first = parse(values, formats=["%d/%m/%Y", "%m/%d/%Y"])
    assert day_first.values.to_list() == [utc(2016, 3, 5), utc(2016, 3, 15), None]
    assert day_first.invalid.to_list() == [False, False, True]  # ISO was not among formats
    assert day_first.format_codes == ("%d/%m/%Y", "%m/%d/%Y")
    month_first = parse(values, formats=["%m/%d/%Y", "%d/%m/%Y"])
    assert month_first.values.to_list()[:2] == [utc(2016, 5, 3), utc(2016, 3, 15)]


def test_formats_accept_epoch_codes_and_unusual_layouts() -> None:
    parsed = parse(["1705074300123", "15:45 12/01/2024"], formats=["epoch-ms", "%H:%M %d/%m/%Y"])
    instant = utc(2024, 1, 12, 15, 45)
    assert parsed.values.to_list() == [instant + timedelta(milliseconds=123), instant]


def test_formats_check_four_digit_years_too() -> None:
    parsed = parse(["5/3/16", "5/3/2016"], formats=["%d/%m/%Y"])
    assert parsed.invalid.to_list() == [True, False]


# -- nothing readable ------------------------------------------------------------------------------


def test_column_with_no_readable_value_raises_with_column_value_and_hint() -> None:
    with pytest.raises(LoadError) as info:
        parse_timestamps(pl.Series(["?", "  soon ", "later"]), column="resolved")
    error = info.value
    assert error.column == "resolved"
    assert error.value == "soon"
    assert error.row == 2
    assert "formats=" in error.hint


def test_no_readable_value_with_formats_names_them() -> None:
    with pytest.raises(LoadError, match=r"%d/%m/%Y"):
        parse(["2016-03-05"], formats=["%d/%m/%Y"])


@pytest.mark.parametrize("values", [[], [None, None], ["?", " ", "N/A"]])
def test_column_with_nothing_in_it_does_not_raise(values: list[str | None]) -> None:
    parsed = parse(values)
    assert parsed.values.null_count() == len(values)
    assert not parsed.invalid.any()
    assert parsed.styles == ()
    assert parsed.assumed_tz is None


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


@pytest.mark.parametrize(
    "kwargs",
    [{"order": "dmy"}, {"formats": []}, {"formats": "%d/%m/%Y"}, {"tz": ""}],
)
def test_bad_arguments_are_config_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        parse(["2024-01-12"], **kwargs)


def test_unsupported_dtype_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Boolean"):
        parse_timestamps(pl.Series("flag", [True]))


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


def test_categorical_text_is_read() -> None:
    raw = pl.Series(["2024-01-12 15:45", "?"], dtype=pl.Categorical)
    assert parse_timestamps(raw).values.to_list() == [utc(2024, 1, 12, 15, 45), None]


# -- real exports ----------------------------------------------------------------------------------


def test_servicenow_event_log_columns() -> None:
    path = shared_path("datasets", "servicenow", "incident_event_log.sample.csv")
    frame = pl.read_csv(path, infer_schema=False)
    for name in ("opened_at", "sys_created_at", "sys_updated_at", "resolved_at", "closed_at"):
        raw = frame[name]
        parsed = parse_timestamps(raw, column=name)
        expected = [
            None if v == "?" else datetime.strptime(v, "%d/%m/%Y %H:%M").replace(tzinfo=UTC)
            for v in raw.to_list()
        ]
        assert parsed.values.to_list() == expected, name
        assert not parsed.invalid.any()
        assert parsed.order is DateOrder.DAY_FIRST
    assert parse_timestamps(frame["opened_at"]).values[0] == utc(2016, 2, 29, 1, 16)


def test_statuspage_history_timestamps() -> None:
    path = shared_path("datasets", "statuspage", "githubstatus_incidents_2021-2022.json")
    incidents = json.loads(path.read_text())["incidents"]
    for key in ("created_at", "started_at", "resolved_at"):
        raw = pl.Series(key, [incident[key] for incident in incidents], dtype=pl.String)
        parsed = parse_timestamps(raw, tz="Europe/Berlin")  # offsets win over tz
        expected = [None if v is None else datetime.fromisoformat(v) for v in raw.to_list()]
        assert parsed.values.to_list() == expected, key
        assert parsed.assumed_tz is None


# -- properties ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """A hand-written way to print an instant, and how much of it the text keeps."""

    name: str
    render: Callable[[datetime, datetime, Callable[[int], bool]], str]  # (instant, wall, coin)
    precision: timedelta
    order: DateOrder | None = None
    aware: bool = False


def _pad(n: int, coin: Callable[[int], bool]) -> str:
    return f"{n:02d}" if coin(0) else str(n)


def _offset(instant: datetime, coin: Callable[[int], bool]) -> tuple[datetime, str]:
    hours = (instant.microsecond % 27) - 13  # a deterministic spread of offsets from -13 to +13
    local = instant + timedelta(hours=hours)
    if hours == 0 and coin(1):
        return local, "Z"
    sign = "+" if hours >= 0 else "-"
    if coin(2):
        return local, f"{sign}{abs(hours):02d}:00"
    return local, f"{sign}{abs(hours):02d}00" if coin(3) else f"{sign}{abs(hours):02d}"


def _twelve(t: datetime, coin: Callable[[int], bool], seconds: bool) -> str:
    hour = t.hour % 12 or 12
    text = f"{_pad(hour, coin)}:{t.minute:02d}" + (f":{t.second:02d}" if seconds else "")
    return text + (" PM" if t.hour >= 12 else " AM")


def _numeric(order: DateOrder, sep: str, year: int, clock: str) -> Style:
    def render(_: datetime, t: datetime, coin: Callable[[int], bool]) -> str:
        day, month = _pad(t.day, coin), _pad(t.month, coin)
        first, second = (day, month) if order is DateOrder.DAY_FIRST else (month, day)
        y = f"{t.year:04d}" if year == 4 else f"{t.year % 100:02d}"
        times = {
            "": "",
            "hm": f" {t.hour:02d}:{t.minute:02d}",
            "hms": f" {t.hour:02d}:{t.minute:02d}:{t.second:02d}",
            "12h": " " + _twelve(t, coin, seconds=False),
        }
        return f"{first}{sep}{second}{sep}{y}{times[clock]}"

    precision = {"": timedelta(days=1), "hms": timedelta(seconds=1)}.get(
        clock, timedelta(minutes=1)
    )
    return Style(f"{order.value} {sep} {year} {clock}", render, precision, order)


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _iso_offset(instant: datetime, _: datetime, coin: Callable[[int], bool]) -> str:
    local, offset = _offset(instant, coin)
    return local.strftime("%Y-%m-%dT%H:%M:%S.%f") + offset


ORDER_FREE = [
    Style("iso offset us", _iso_offset, timedelta(microseconds=1), aware=True),
    Style(
        "iso offset minutes",
        lambda i, _, c: "{:%Y-%m-%d %H:%M}{}".format(*_offset(i, c)),
        timedelta(minutes=1),
        aware=True,
    ),
    Style(
        "pagerduty",
        lambda i, _, c: i.strftime("%Y-%m-%d %H:%M:%S UTC"),
        timedelta(seconds=1),
        aware=True,
    ),
    Style("iso naive T", lambda _, t, c: t.strftime("%Y-%m-%dT%H:%M:%S"), timedelta(seconds=1)),
    Style(
        "iso naive ms",
        lambda _, t, c: t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        timedelta(milliseconds=1),
    ),
    Style("iso date", lambda _, t, c: t.strftime("%Y-%m-%d"), timedelta(days=1)),
    Style(
        "epoch s",
        lambda i, _, c: str(int(i.timestamp())),
        timedelta(seconds=1),
        aware=True,
    ),
    Style(
        "epoch s fraction",
        lambda i, _, c: f"{int(i.timestamp())}.{i.microsecond:06d}",
        timedelta(microseconds=1),
        aware=True,
    ),
    Style(
        "epoch ms",
        lambda i, _, c: str(int(i.timestamp()) * 1000 + i.microsecond // 1000),
        timedelta(milliseconds=1),
        aware=True,
    ),
    Style(
        "jira",
        lambda _, t, c: f"{t.day}/{MONTHS[t.month - 1]}/{t.year % 100:02d} " + _twelve(t, c, False),
        timedelta(minutes=1),
    ),
    Style(
        "jira 24h",
        lambda _, t, c: (
            f"{_pad(t.day, c)}/{MONTHS[t.month - 1]}/{t.year} {t.hour:02d}:{t.minute:02d}"
        ),
        timedelta(minutes=1),
    ),
    Style(
        "month name first",
        lambda _, t, c: f"{MONTHS[t.month - 1]} {t.day}, {t.year} " + _twelve(t, c, True),
        timedelta(seconds=1),
    ),
]
NUMERIC = {
    order: [
        _numeric(order, sep, year, clock)
        for sep in "/-."
        for year in (4, 2)
        for clock in ("", "hm", "hms", "12h")
    ]
    for order in DateOrder
}
ZONES = {
    "UTC": timedelta(0),
    "Etc/GMT-5": timedelta(hours=5),
    "Asia/Kolkata": timedelta(hours=5, minutes=30),
}

# 1974..2068: inside both the epoch ranges and two-digit-year pivots (69 -> 2069).
instants = st.datetimes(
    min_value=datetime(1974, 1, 1), max_value=datetime(2068, 12, 30), timezones=st.just(UTC)
)


def _truncate(instant: datetime, wall_offset: timedelta, precision: timedelta) -> datetime:
    """The instant the text can still say: truncated in wall-clock time, like the text."""
    wall = instant.replace(tzinfo=None) + wall_offset
    epoch = datetime(1970, 1, 1)
    kept = epoch + (wall - epoch) // precision * precision
    return (kept - wall_offset).replace(tzinfo=UTC)


@st.composite
def rendered(draw: st.DrawFn, styles: list[Style], zone: str) -> tuple[str, datetime]:
    instant = draw(instants)
    style = draw(st.sampled_from(styles))
    bits = draw(st.lists(st.booleans(), min_size=4, max_size=4))
    wall = instant.replace(tzinfo=None) + ZONES[zone]
    text = style.render(instant, wall, lambda i: bits[i])
    if style.aware:
        # Its own offset or epoch: the text truncates in its own local time, which is a whole
        # number of hours from UTC, so truncating in UTC gives the same instant.
        return text, _truncate(instant, timedelta(0), style.precision)
    return text, _truncate(instant, ZONES[zone], style.precision)


@st.composite
def columns(draw: st.DrawFn) -> tuple[list[tuple[str, datetime]], str, DateOrder | None]:
    zone = draw(st.sampled_from(sorted(ZONES)))
    order = draw(st.sampled_from([None, DateOrder.DAY_FIRST, DateOrder.MONTH_FIRST]))
    # Without a given order, only day-first numbers: a month-first column whose days are all
    # <= 12 is legitimately read day-first (the documented assumption).
    numeric = NUMERIC[order or DateOrder.DAY_FIRST]
    pool = draw(st.lists(st.sampled_from([*ORDER_FREE, *numeric]), min_size=1, max_size=4))
    cells = draw(st.lists(rendered(pool, zone), min_size=1, max_size=30))
    return cells, zone, order


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    style=st.sampled_from(
        [*ORDER_FREE, *NUMERIC[DateOrder.DAY_FIRST], *NUMERIC[DateOrder.MONTH_FIRST]]
    ),
    data=st.data(),
)
def test_property_each_style_round_trips(style: Style, data: st.DataObject) -> None:
    zone = data.draw(st.sampled_from(sorted(ZONES)))
    cells = data.draw(st.lists(rendered([style], zone), min_size=1, max_size=10))
    texts, expected = zip(*cells, strict=True)
    parsed = parse(list(texts), tz=zone, order=style.order)
    assert parsed.values.to_list() == list(expected), texts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(column=columns())
def test_property_mixed_styles_round_trip(
    column: tuple[list[tuple[str, datetime]], str, DateOrder | None],
) -> None:
    cells, zone, order = column
    texts, expected = zip(*cells, strict=True)
    parsed = parse(list(texts), tz=zone, order=order)
    assert parsed.values.to_list() == list(expected), texts
    assert not parsed.invalid.any()


date_like = st.from_regex(
    r"\A\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}( \d{1,2}:\d{1,2}(:\d{1,2})?( [AP]M)?)?\Z"
) | st.from_regex(
    r"\A\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?\Z"
)
any_text = st.one_of(
    st.none(),
    st.text(max_size=25),
    st.sampled_from(NULL_SPELLINGS),
    date_like,
    st.from_regex(r"\A\d{1,14}(\.\d{1,8})?\Z"),
)


def _check_invariants(raw: list[str | None], parsed: ParsedTimestamps) -> None:
    n = len(raw)
    assert [len(parsed.values), len(parsed.invalid)] == [n, n]
    assert [len(parsed.nonexistent), len(parsed.ambiguous)] == [n, n]
    assert parsed.values.dtype == Timestamp
    present = pl.select(normalize_nulls(pl.lit(pl.Series(raw, dtype=pl.String)))).to_series()
    rows = zip(
        present.is_not_null(),
        parsed.values.is_not_null(),
        parsed.invalid,
        parsed.nonexistent,
        parsed.ambiguous,
        strict=True,
    )
    for text, (has_text, has_value, invalid, gap, overlap) in zip(raw, rows, strict=True):
        if has_text:  # never silently null: exactly one of read, invalid, DST gap
            assert [has_value, invalid, gap].count(True) == 1, text
        else:
            assert [has_value, invalid, gap, overlap] == [False] * 4, text
        assert not overlap or has_value, text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.lists(any_text, max_size=25),
    order=st.sampled_from(list(DateOrder)),
    tz=st.sampled_from(["UTC", "Europe/London", "America/New_York"]),
)
def test_property_every_value_is_read_or_flagged(
    raw: list[str | None], order: DateOrder, tz: str
) -> None:
    raw = [*raw, "2024-01-12T15:45:00Z"]  # one readable value: no "nothing readable" error
    _check_invariants(raw, parse(raw, order=order, tz=tz))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.lists(any_text, min_size=1, max_size=25))
def test_property_detected_order_is_read_or_flagged(raw: list[str | None]) -> None:
    raw = [*raw, "2024-01-12T15:45:00Z"]
    outcome: ParsedTimestamps | LoadError
    try:
        outcome = parse(raw)
    except LoadError as error:
        outcome = error
    if isinstance(outcome, ParsedTimestamps):
        _check_invariants(raw, outcome)
        return
    # The only reason left to raise: the column proves both orders. Then each given order
    # must read the column, flagging the values of the other order.
    assert "day-first and month-first" in str(outcome)
    for order in DateOrder:
        given_order = parse(raw, order=order)
        _check_invariants(raw, given_order)
        assert given_order.invalid.any()


whitespace = st.text(alphabet=" \t\n\r", max_size=3)


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(
        st.tuples(whitespace, st.sampled_from(NULL_SPELLINGS), whitespace), min_size=1, max_size=20
    ),
    with_value=st.booleans(),
)
def test_property_null_spellings_are_null_and_not_invalid(
    cells: list[tuple[str, str, str]], with_value: bool
) -> None:
    raw: list[str | None] = [left + spelling + right for left, spelling, right in cells]
    if with_value:
        raw.append("5/3/2016 12:00")
    parsed = parse(raw)
    assert parsed.values.to_list()[: len(cells)] == [None] * len(cells)
    assert parsed.invalid.to_list() == [False] * len(raw)
    assert not parsed.nonexistent.any()
    assert not parsed.ambiguous.any()
