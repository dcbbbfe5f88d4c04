"""parse_timestamps as a whole: its result, epoch numbers, formats, errors, typed input and
real exports (ddinc.timestamps._parse)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from ddinc.errors import ConfigError, LoadError
from ddinc.schema import Timestamp
from ddinc.timestamps import (
    DateOrder,
    parse_timestamps,
)
from tests.conftest import shared_path
from tests.timestamps._helpers import parse, utc


def test_values_are_microsecond_utc_and_keep_length_and_name() -> None:
    parsed = parse(["2024-01-12T15:45:07.123456Z", None, "x"])
    assert parsed.values.dtype == Timestamp
    assert parsed.values.name == "t"
    for flags in (parsed.invalid, parsed.nonexistent, parsed.ambiguous):
        assert flags.dtype == pl.Boolean
        assert len(flags) == 3
        assert flags.null_count() == 0


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
