"""Durations follow Datadog's definitions; missing timestamps give missing durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.checks import CheckContext, run_checks
from ddinc.checks.timeline_rules import REVERSED_INTERVAL, ZERO_LENGTH_INCIDENT
from ddinc.errors import ConfigError
from ddinc.rowkey import with_row_keys
from ddinc.schema import DURATIONS, TIMESTAMPS, Timestamp
from ddinc.timeline import (
    DEFINITIONS,
    EXCLUSION_REASONS,
    PHASE_DEFINITIONS,
    PHASES,
    duration_exclusions,
    impact_to_declare,
    impact_to_resolve,
    phase,
    time_to_declare,
    time_to_detect,
    time_to_repair,
    time_to_resolve,
    timeline_summary,
    with_timeline,
)

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def frame(**columns: list[datetime | None]) -> pl.DataFrame:
    height = max(len(values) for values in columns.values())
    data = {name: columns.get(name, [None] * height) for name in TIMESTAMPS}
    return pl.DataFrame(data, schema=dict.fromkeys(TIMESTAMPS, Timestamp))


def test_each_duration_is_the_documented_difference() -> None:
    f = frame(
        impact_start=[T0],
        detected=[T0 + timedelta(minutes=5)],
        declared=[T0 + timedelta(minutes=20)],
        resolved=[T0 + timedelta(hours=3)],
        impact_end=[T0 + timedelta(hours=2)],
    )
    out = f.select(time_to_detect(), time_to_declare(), time_to_resolve(), time_to_repair())
    assert out.row(0) == (
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=2, minutes=40),
        timedelta(hours=1, minutes=55),
    )


def test_missing_timestamp_gives_missing_duration_not_zero() -> None:
    f = frame(declared=[T0], resolved=[None])
    assert f.select(time_to_resolve()).item() is None


def test_reversed_interval_stays_negative() -> None:
    f = frame(declared=[T0], resolved=[T0 - timedelta(hours=1)])
    assert f.select(time_to_resolve()).item() == -timedelta(hours=1)


def test_definitions_cover_schema_durations_in_order() -> None:
    assert tuple(DEFINITIONS) == DURATIONS


stamp = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
)


@given(st.lists(st.tuples(*[stamp] * len(TIMESTAMPS)), max_size=20))
def test_with_timeline_matches_pairwise_python_differences(
    rows: list[tuple[datetime | None, ...]],
) -> None:
    f = pl.DataFrame(rows, schema=dict.fromkeys(TIMESTAMPS, Timestamp), orient="row")
    out = with_timeline(f)
    for row in out.iter_rows(named=True):
        for name, (start, end) in DEFINITIONS.items():
            if row[start] is None or row[end] is None:
                assert row[name] is None
            else:
                assert row[name] == row[end] - row[start]


def test_summary_leaves_out_reversed_intervals_by_default_and_says_why() -> None:
    f = with_timeline(
        frame(
            declared=[T0, T0, T0, None],
            resolved=[
                T0 + timedelta(hours=1),
                T0 + timedelta(hours=3),
                T0 - timedelta(hours=1),
                T0,
            ],
        )
    )
    summary = {row["duration"]: row for row in timeline_summary(f).iter_rows(named=True)}
    resolve = summary["time_to_resolve"]
    # Four incidents: one lacks declared (missing), one is reversed (left out), two measured.
    assert (resolve["measured"], resolve["of"], resolve["missing"]) == (2, 4, 1)
    assert (resolve["left_out"], resolve["left_out_reasons"]) == (1, "1 reversed_interval")
    assert resolve["p50_s"] == 2 * 3600.0  # halfway between 1 h and 3 h
    assert summary["time_to_detect"]["measured"] == 0
    assert summary["time_to_detect"]["p50_s"] is None


def test_include_unreal_puts_the_left_out_durations_back() -> None:
    f = frame(
        declared=[T0, T0, T0],
        resolved=[T0 + timedelta(hours=2), T0 - timedelta(hours=1), T0],
    )
    default = timeline_summary(f).row(2, named=True)
    everything = timeline_summary(f, include_unreal=True).row(2, named=True)
    assert default["duration"] == everything["duration"] == "time_to_resolve"
    assert (default["measured"], default["left_out"]) == (1, 2)
    assert default["left_out_reasons"] == "1 reversed_interval; 1 zero_length_incident"
    assert (everything["measured"], everything["left_out"], everything["negative"]) == (3, 0, 1)
    assert everything["left_out_reasons"] == ""
    assert everything["p50_s"] == 0.0


def test_back_filled_rows_are_left_out_of_every_phase_they_measure() -> None:
    # created = started = resolved: every measured phase is 0 by construction.
    f = frame(impact_start=[T0, T0], declared=[T0, T0], resolved=[T0, T0 + timedelta(hours=5)])
    summary = {row["duration"]: row for row in timeline_summary(f).iter_rows(named=True)}
    for name in ("time_to_resolve", "impact_to_declare", "impact_to_resolve"):
        assert summary[name]["left_out_reasons"] == "1 zero_length_incident", name
    assert summary["impact_to_resolve"]["p50_s"] == 5 * 3600.0
    # impact_to_declare is 0 for the second row too, but that row is not a back-fill.
    assert (summary["impact_to_declare"]["measured"], summary["impact_to_declare"]["p50_s"]) == (
        1,
        0.0,
    )


def test_summary_shows_impact_delays_as_rows_of_their_own() -> None:
    f = frame(
        impact_start=[T0],
        declared=[T0 + timedelta(minutes=30)],
        resolved=[T0 + timedelta(hours=4)],
    )
    summary = timeline_summary(f)
    assert summary["duration"].to_list() == list(PHASES)
    assert PHASES[-2:] == ("impact_to_declare", "impact_to_resolve")
    rows = {row["duration"]: row for row in summary.iter_rows(named=True)}
    assert rows["impact_to_declare"]["p50_s"] == 1800.0
    assert rows["impact_to_resolve"]["p50_s"] == 4 * 3600.0
    # No detected time: the Datadog durations that need it are missing, not zero.
    assert rows["time_to_detect"]["missing"] == 1
    assert rows["time_to_declare"]["missing"] == 1


def test_detected_set_from_impact_start_by_construction_needs_no_special_case() -> None:
    # What --detected-from impact_start produces: detected == impact_start on every row.
    starts = [T0, T0 + timedelta(days=1)]
    f = frame(
        impact_start=starts,
        detected=starts,
        declared=[s + timedelta(minutes=10) for s in starts],
        resolved=[s + timedelta(hours=1) for s in starts],
    )
    rows = {row["duration"]: row for row in timeline_summary(f).iter_rows(named=True)}
    assert (rows["time_to_detect"]["measured"], rows["time_to_detect"]["p50_s"]) == (2, 0.0)
    assert rows["time_to_declare"]["p50_s"] == rows["impact_to_declare"]["p50_s"] == 600.0


def test_summary_reads_a_frame_lacking_timestamp_columns() -> None:
    f = pl.DataFrame({"declared": [T0], "resolved": [T0 + timedelta(hours=1)]})
    rows = {row["duration"]: row for row in timeline_summary(f).iter_rows(named=True)}
    assert rows["time_to_resolve"]["p50_s"] == 3600.0
    assert rows["impact_to_resolve"]["missing"] == 1


def test_phase_refuses_an_unknown_name() -> None:
    with pytest.raises(ConfigError, match="impact_to_resolve"):
        phase("time_to_lunch")


def test_delay_expressions_are_the_documented_differences() -> None:
    f = frame(impact_start=[T0], declared=[T0 + timedelta(hours=1)], resolved=[T0])
    assert f.select(impact_to_declare(), impact_to_resolve()).row(0) == (
        timedelta(hours=1),
        timedelta(0),
    )
    assert PHASE_DEFINITIONS["impact_to_declare"] == ("impact_start", "declared")


@given(st.lists(st.tuples(*[stamp] * len(TIMESTAMPS)), max_size=20))
def test_exclusions_agree_with_the_checks_that_flag_the_rows(
    rows: list[tuple[datetime | None, ...]],
) -> None:
    f = pl.DataFrame(rows, schema=dict.fromkeys(TIMESTAMPS, Timestamp), orient="row")
    f = f.with_columns(
        source=pl.lit("s"),
        source_id=pl.lit("i"),
        title=pl.lit("t"),
        state=pl.lit(None),
        severity=pl.lit(None),
    )
    f = with_row_keys(f)
    # The statistics leave out every negative span; the check forgives sub-second ones by
    # default (clock noise), so the two agree where the tolerance is zero.
    exact = CheckContext(order_tolerance=timedelta(0))
    report = run_checks(f, [ZERO_LENGTH_INCIDENT, REVERSED_INTERVAL], context=exact)
    keys = f.get_column("row_key").to_list()
    zero_keys = set(report.failing("zero_length_incident")["row_key"].to_list())
    reversed_keys = set(report.failing("reversed_interval")["row_key"].to_list())
    zero_rows = {i for i, key in enumerate(keys) if key in zero_keys}
    reversed_rows = {i for i, key in enumerate(keys) if key in reversed_keys}
    reasons = f.select(**duration_exclusions())
    for position, row in enumerate(reasons.iter_rows(named=True)):
        for name in DURATIONS:
            if row[name] == "zero_length_incident":
                assert position in zero_rows
            if row[name] == "reversed_interval":
                assert position in reversed_rows
        # A back-filled row with at least one measured duration is left out of all of them.
        if position in zero_rows:
            assert all(row[name] in (None, "zero_length_incident") for name in PHASES)
        assert set(row.values()) <= {None, *EXCLUSION_REASONS}
