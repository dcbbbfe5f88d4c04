"""Repeated source ids and probable duplicates (same title, overlapping times, other id)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from ddinc.checks import CheckContext, normalised_title, run_checks
from ddinc.checks.duplicates import duplicate_clusters
from tests.checks.conftest import CONTEXT, NOW, failing, incident, incidents, start_of

HOUR = timedelta(hours=1)


def at(day: int, hour: float, until: float | None) -> dict[str, Any]:
    """Declared on ``day`` at ``hour``, resolved ``until`` hours later (None: no resolved)."""
    declared = start_of(day) + timedelta(hours=hour)
    resolved = None if until is None else declared + timedelta(hours=until)
    return {"declared": declared, "resolved": resolved}


def test_repeated_source_id_fails_every_copy() -> None:
    frame = incidents(
        incident(), incident(source_id="PD-0"), incident(), incident(source_id="PD-0")
    )
    assert failing(frame, "duplicate_source_id") == [0, 1, 3]
    message = run_checks(frame, context=CONTEXT).failing("duplicate_source_id")["message"][0]
    assert "appears 3 times" in message
    # File rows (source_rows, 1-based), which a human can find in the export; not positions.
    assert "file rows 1, 2, 4" in message


def test_same_id_in_two_sources_is_not_a_repeat() -> None:
    frame = incidents(incident(), incident(source_id="PD-0", source="opsgenie"))
    assert failing(frame, "duplicate_source_id") == []


def test_blank_ids_are_not_repeats_of_each_other() -> None:
    # They fail source_id_missing instead.
    frame = incidents(incident(source_id=None), incident(source_id=None), incident(source_id=" "))
    assert failing(frame, "duplicate_source_id") == []
    assert failing(frame, "source_id_missing") == [0, 1, 2]


def test_same_title_ignoring_case_and_spacing_and_overlapping_times() -> None:
    frame = incidents(
        incident(title="Checkout  latency", **at(0, 1, 3)),
        incident(title=" checkout LATENCY ", **at(0, 2, 3)),
        incident(title="Checkout latency", **at(0, 5, 1)),  # touches the second one's end
        incident(title="Checkout latency", **at(0, 6 + 1 / 3600, 1)),  # one second after
    )
    assert failing(frame, "probable_duplicate") == [0, 1, 2]


def test_message_names_the_other_ids() -> None:
    frame = incidents(
        incident(title="DB down", **at(0, 1, 3)), incident(title="DB down", **at(0, 2, 1))
    )
    messages = run_checks(frame, context=CONTEXT).failing("probable_duplicate")["message"]
    assert "same title as pagerduty/PD-1," in messages[0]
    assert "same title as pagerduty/PD-0," in messages[1]


def test_message_lists_five_ids_and_counts_the_rest() -> None:
    frame = incidents(*[incident(title="DB down", **at(0, 1, 3)) for _ in range(8)])
    message = run_checks(frame, context=CONTEXT).failing("probable_duplicate")["message"][0]
    assert "PD-1, pagerduty/PD-2, pagerduty/PD-3, pagerduty/PD-4, pagerduty/PD-5 and 2 more" in (
        message
    )


def test_different_titles_or_disjoint_times_are_not_duplicates() -> None:
    frame = incidents(
        incident(title="DB down", **at(0, 1, 3)),
        incident(title="DB down!", **at(0, 1, 3)),
        incident(title="DB down", **at(1, 1, 3)),
    )
    assert failing(frame, "probable_duplicate") == []


def test_without_resolved_time_the_incident_is_its_declared_instant() -> None:
    frame = incidents(
        incident(title="DB down", **at(0, 1, None), state="active"),
        incident(title="DB down", **at(0, 1, None), state="active"),
        incident(title="Disk full", **at(0, 1, None), state="active"),
        incident(title="Disk full", **at(0, 1 + 1 / 3600, None), state="active"),
        # Declared while the other one was open: overlapping.
        incident(title="CPU high", **at(0, 1, 2)),
        incident(title="CPU high", **at(0, 2, None), state="active"),
    )
    assert failing(frame, "probable_duplicate") == [0, 1, 4, 5]


def test_slack_widens_the_intervals() -> None:
    frame = incidents(
        incident(title="DB down", **at(0, 1, 1)), incident(title="DB down", **at(0, 2.5, 1))
    )
    assert failing(frame, "probable_duplicate") == []
    slack = CheckContext(now=NOW, duplicate_slack=timedelta(minutes=30))
    assert failing(frame, "probable_duplicate", slack) == [0, 1]


def test_same_id_twice_is_not_a_probable_duplicate() -> None:
    frame = incidents(
        incident(title="DB down", **at(0, 1, 3)),
        incident(title="DB down", source_id="PD-0", **at(0, 2, 1)),
    )
    assert failing(frame, "probable_duplicate") == []
    assert failing(frame, "duplicate_source_id") == [0, 1]


def test_rows_without_title_or_declared_time_are_not_compared() -> None:
    frame = incidents(
        incident(title=" ", **at(0, 1, 3)),
        incident(title="", **at(0, 1, 3)),
        incident(title="DB down", **{**at(0, 1, 3), "declared": None}),
        incident(title="DB down", **{**at(0, 1, 3), "declared": None}),
    )
    assert failing(frame, "probable_duplicate") == []


def test_normalised_title() -> None:
    frame = pl.DataFrame({"title": ["  DB \t down ", "db down", "\n", None]})
    assert frame.select(normalised_title())["title"].to_list() == ["db down", "db down", None, None]


def _spans() -> st.SearchStrategy[list[tuple[str, int, int | None]]]:
    """(title, declared minute, duration in minutes or None) for a handful of incidents."""
    span = st.tuples(
        st.sampled_from(["a", "A ", "b"]),
        st.integers(0, 300),
        st.one_of(st.none(), st.integers(-30, 120)),
    )
    return st.lists(span, max_size=12)


@settings(max_examples=150, deadline=None)
@given(spans=_spans())
def test_matches_brute_force_pairs_when_ids_are_distinct(
    spans: list[tuple[str, int, int | None]],
) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for title, minute, length in spans:
        declared = base + timedelta(minutes=minute)
        resolved = None if length is None else declared + timedelta(minutes=length)
        rows.append(incident(title=title, declared=declared, resolved=resolved))
    frame = incidents(*rows)

    def interval(i: int) -> tuple[datetime, datetime]:
        _, minute, length = spans[i]
        ends = [base + timedelta(minutes=minute), base + timedelta(minutes=minute + (length or 0))]
        return min(ends), max(ends)

    expected = set()
    for i, j in itertools.combinations(range(len(spans)), 2):
        (a0, a1), (b0, b1) = interval(i), interval(j)
        same_title = spans[i][0].strip().lower() == spans[j][0].strip().lower()
        if same_title and a0 <= b1 and b0 <= a1:
            expected |= {i, j}
    assert failing(frame, "probable_duplicate") == sorted(expected)


def test_clusters_stay_fast_for_one_title_shared_by_many() -> None:
    # A pairwise comparison would build 10^10 pairs here; sorting does not.
    n = 100_000
    frame = pl.DataFrame(
        {
            "row": pl.int_range(n, eager=True),
            "row_key": [f"pd:{i}" for i in range(n)],
            "source": ["pd"] * n,
            "source_id": [str(i) for i in range(n)],
            "title": ["Same"] * n,
            "declared": pl.datetime_range(
                datetime(2020, 1, 1, tzinfo=UTC),
                datetime(2020, 1, 1, tzinfo=UTC) + (n - 1) * HOUR,
                "1h",
                eager=True,
            ),
        }
    ).with_columns(resolved=pl.col("declared") + pl.duration(minutes=90))
    clusters = duplicate_clusters(frame, CONTEXT)
    # Every incident overlaps the next one: a single cluster of everything.
    assert clusters.height == n
    assert clusters["cluster"].n_unique() == 1
