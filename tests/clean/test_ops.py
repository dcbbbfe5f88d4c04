"""Every recipe operation on hand-built frames: what changes, what is skipped and why."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from pydantic import ValidationError

from ddinc.clean import (
    Deselect,
    Exclude,
    FillFrom,
    FillFromText,
    Include,
    MapPerson,
    MapValues,
    MergeCluster,
    Recipe,
    Reparse,
    Select,
    SetCell,
    SetValues,
    Shift,
    TextCell,
    Where,
    replay,
)
from tests.clean.conftest import CONTEXT, frame_of, incident, start_of


def _row(frame: pl.DataFrame, key: str) -> dict[str, object]:
    return frame.filter(pl.col("row_key") == key).row(0, named=True)


def test_set_cell_changes_only_its_row_and_leaves_the_original_alone() -> None:
    frame = frame_of(incident(), incident())
    before = frame.clone()
    done = replay(
        frame,
        [
            SetCell(
                key="pagerduty:PD-1", column="title", expected="Checkout latency 1", value="Fixed"
            )
        ],
    )
    assert done.frame["title"].to_list() == ["Checkout latency 0", "Fixed"]
    assert done.steps[0].status == "applied"
    assert frame.equals(before)


def test_set_cell_skips_a_row_whose_value_changed_since() -> None:
    frame = frame_of(incident(title="Renamed upstream"))
    done = replay(
        frame, [SetCell(key="pagerduty:PD-0", column="title", expected="Old", value="New")]
    )
    assert done.frame["title"].to_list() == ["Renamed upstream"]
    assert done.steps[0].status == "skipped"
    assert "expected 'Old'" in done.steps[0].reasons[0]


def test_set_cell_on_a_timestamp_recomputes_durations() -> None:
    frame = frame_of(incident())
    declared = start_of(0) + timedelta(minutes=19)
    new = declared + timedelta(minutes=41)
    step = SetCell(
        key="pagerduty:PD-0",
        column="declared",
        expected=declared.isoformat(),
        value=new.isoformat().replace("+00:00", "Z"),
    )
    row = replay(frame, [step]).frame.row(0, named=True)
    assert row["declared"] == new
    assert row["time_to_declare"] == new - row["detected"]


def test_invalid_values_are_refused_when_the_step_is_built() -> None:
    with pytest.raises(ValidationError, match="not one of"):
        SetCell(key="k", column="state", expected=None, value="closed")
    with pytest.raises(ValidationError, match="no offset"):
        SetCell(key="k", column="declared", expected=None, value="2024-01-01T10:00:00")
    with pytest.raises(ValidationError, match="cannot be edited"):
        SetCell(key="k", column="row_key", expected=None, value="x")


def test_set_values_on_a_facet_scope() -> None:
    frame = frame_of(
        incident(state="active", resolved=None), incident(), incident(state="active", resolved=None)
    )
    step = SetValues(column="severity", value="SEV-1", where=Where(facets={"state": ["active"]}))
    done = replay(frame, [step])
    assert done.frame["severity"].to_list() == ["SEV-1", "SEV-2", "SEV-1"]
    assert done.steps[0].changed == 2


def test_set_values_with_expected_skips_changed_rows() -> None:
    frame = frame_of(incident(severity="SEV-3"), incident(severity="SEV-4"))
    step = SetValues(
        column="severity",
        value="SEV-1",
        keys=["pagerduty:PD-0", "pagerduty:PD-1"],
        expected={"pagerduty:PD-0": "SEV-3", "pagerduty:PD-1": "SEV-3"},
    )
    done = replay(frame, [step])
    assert done.frame["severity"].to_list() == ["SEV-1", "SEV-4"]
    assert done.steps[0].status == "partial"


def test_map_values_maps_list_entries_and_deduplicates() -> None:
    frame = frame_of(incident(teams=["DB", "db", "net"]), incident(teams=["web"]))
    done = replay(frame, [MapValues(column="teams", mapping={"DB": "db"})])
    assert done.frame["teams"].to_list() == [["db", "net"], ["web"]]
    assert done.steps[0].changed == 1


def test_merge_cluster_is_a_map_into_one_value() -> None:
    frame = frame_of(incident(commander="Ann Lee"), incident(commander="ann lee"), incident())
    step = MergeCluster(column="commander", values=["Ann Lee", "ann lee"], into="Ann Lee")
    assert step.mapping == {"ann lee": "Ann Lee"}
    done = replay(frame, [step])
    assert done.frame["commander"].to_list() == ["Ann Lee", "Ann Lee", "ann@example.com"]


def test_reparse_reads_the_raw_text_with_the_given_format_and_zone() -> None:
    frame = frame_of(incident(raw_declared="05/03/2023 09:19"), incident(raw_declared="garbage"))
    step = Reparse(column="declared", format="%d/%m/%Y %H:%M", timezone="Europe/Paris")
    done = replay(frame, [step])
    first = done.frame.row(0, named=True)["declared"]
    assert first.isoformat() == "2023-03-05T08:19:00+00:00"
    assert done.frame.row(1, named=True)["declared"] == frame.row(1, named=True)["declared"]
    assert done.steps[0].status == "partial"


def test_shift_by_hours_and_by_zone_change() -> None:
    frame = frame_of(incident())
    resolved = frame.row(0, named=True)["resolved"]
    by_hours = replay(frame, [Shift(columns=["resolved"], hours=-2)]).frame
    assert by_hours.row(0, named=True)["resolved"] == resolved - timedelta(hours=2)
    # Read as UTC, but the wall clock was UTC+2: the instant is 2 h earlier.
    by_zone = replay(
        frame, [Shift(columns=["resolved"], from_zone="UTC", to_zone="Etc/GMT-2")]
    ).frame
    assert by_zone.row(0, named=True)["resolved"] == resolved - timedelta(hours=2)


def test_shift_with_expected_skips_rows_that_moved() -> None:
    frame = frame_of(incident(), incident())
    expected = {"pagerduty:PD-0": {"resolved": "1999-01-01T00:00:00+00:00"}}
    step = Shift(
        columns=["resolved"], hours=1, keys=["pagerduty:PD-0", "pagerduty:PD-1"], expected=expected
    )
    done = replay(frame, [step])
    assert done.steps[0].changed == 1
    assert done.steps[0].skipped == 1
    assert (
        _row(done.frame, "pagerduty:PD-0")["resolved"] == _row(frame, "pagerduty:PD-0")["resolved"]
    )


def test_fill_from_fills_only_missing_values() -> None:
    frame = frame_of(incident(detected=None), incident())
    done = replay(frame, [FillFrom(column="detected", from_column="declared")])
    assert done.frame["detected"][0] == frame["declared"][0]
    assert done.frame["detected"][1] == frame["detected"][1]
    assert done.steps[0].changed == 1


def test_fill_from_text_keeps_its_evidence_and_checks_expected() -> None:
    frame = frame_of(incident())
    declared = frame["declared"][0].isoformat()
    cell = TextCell(
        key="pagerduty:PD-0",
        column="declared",
        expected=declared,
        value="2023-03-01T08:00:00+00:00",
        evidence="field.updates: 2023-03-01 08:00 - Investigating",
    )
    step = FillFromText(text_column="field.updates", cells=[cell])
    assert "Investigating" in Recipe(steps=[step]).to_json()
    assert replay(frame, [step]).frame["declared"][0].hour == 8
    stale = cell.model_copy(update={"expected": "2020-01-01T00:00:00+00:00"})
    again = replay(frame, [step.model_copy(update={"cells": [stale]})])
    assert again.steps[0].status == "skipped"


def test_map_person_is_trimmed_and_case_insensitive() -> None:
    frame = frame_of(incident(commander=" Ann Lee ", declared_by="ANN LEE"), incident())
    done = replay(frame, [MapPerson(person="ann lee", email="ann.lee@example.com")])
    row = done.frame.row(0, named=True)
    assert (row["commander"], row["declared_by"]) == ("ann.lee@example.com",) * 2
    assert done.steps[0].changed == 1


def test_exclude_include_select_deselect() -> None:
    frame = frame_of(incident(), incident(), incident())
    keys = ["pagerduty:PD-0", "pagerduty:PD-1"]
    done = replay(frame, [Exclude(keys=["pagerduty:PD-1"]), Select(keys=keys)])
    assert done.frame["row_key"].to_list() == ["pagerduty:PD-0", "pagerduty:PD-2"]
    assert done.selected_keys == ["pagerduty:PD-0"]
    back = replay(
        frame,
        [
            Exclude(keys=["pagerduty:PD-1"]),
            Select(keys=keys),
            Include(keys=["pagerduty:PD-1"]),
            Deselect(keys=["pagerduty:PD-0"]),
        ],
    )
    assert back.frame.height == 3
    assert back.selected_keys == ["pagerduty:PD-1"]


def test_where_on_failing_checks_runs_the_checks_of_the_moment() -> None:
    frame = frame_of(incident(), incident(state="active"))  # resolved time while active
    step = Exclude(where=Where(facets={"check": ["resolved_time_while_open"]}))
    done = replay(frame, [step], check_context=CONTEXT)
    assert done.excluded_keys == ["pagerduty:PD-1"]


def test_keys_and_where_together_are_refused() -> None:
    with pytest.raises(ValidationError, match="not both"):
        Exclude(keys=["a"], where=Where(facets={}))
