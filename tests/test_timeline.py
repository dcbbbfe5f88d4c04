"""Durations follow Datadog's definitions; missing timestamps give missing durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from ddinc.schema import DURATIONS, TIMESTAMPS, Timestamp
from ddinc.timeline import (
    DEFINITIONS,
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


def test_summary_counts_measured_incidents_and_negative_ones() -> None:
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
    assert (resolve["measured"], resolve["of"], resolve["negative"]) == (3, 4, 1)
    assert resolve["p50_s"] == 3600.0
    assert summary["time_to_detect"]["measured"] == 0
    assert summary["time_to_detect"]["p50_s"] is None
