"""Each suggestion on synthetic records: what it proposes, from which text, and what it leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from ddinc.checks import CheckContext
from ddinc.clean import replay, suggest
from ddinc.clean.suggest import nearest_state, proposals_recipe, read_update_times
from ddinc.schema import TIMESTAMPS
from tests.clean.conftest import CONTEXT, frame_of, incident, start_of

MOMENT = datetime(2012, 5, 1, 12, 0, tzinfo=UTC)
UPDATES = (
    "<ul><li><strong>2011-07-28 03:06:00</strong> - We are investigating errors.</li>"
    "<li><strong>2011-07-28 03:40:00</strong> - A fix is deployed, monitoring.</li>"
    "<li><strong>2011-07-28 04:12:30</strong> - This incident has been resolved.</li>"
    "<li><strong>2011-07-28 05:00:00</strong> - Postmortem to follow.</li></ul>"
)


def _backfilled(text: str | None) -> dict[str, object]:
    return incident(
        source="statuspage",
        **{name: MOMENT for name in TIMESTAMPS if name not in ("detected", "impact_end")},
        detected=None,
        impact_end=None,
        **{"field.updates": text},
    )


def test_update_times_are_read_from_html_in_time_order() -> None:
    times = read_update_times(UPDATES)
    assert next(t.isoformat() for t, _ in times) == "2011-07-28T03:06:00+00:00"
    assert len(times) == 4
    assert "resolved" in times[2][1]
    assert read_update_times("2024-01-01T10:00:00+02:00 began")[0][0].hour == 8
    assert read_update_times("no times here") == []


def test_backfilled_records_get_their_times_from_their_text() -> None:
    frame = frame_of(_backfilled(UPDATES), _backfilled("nothing dated"), incident())
    (found,) = [s for s in suggest(frame, context=CONTEXT) if s.check == "zero_length_incident"]
    assert found.rows == 1
    assert "1 record(s) hold no time" in found.explanation
    done = replay(frame, found.steps)
    row = done.frame.row(0, named=True)
    assert row["impact_start"] == row["declared"] == datetime(2011, 7, 28, 3, 6, tzinfo=UTC)
    # The last update that says resolved, not the last update.
    assert row["resolved"] == datetime(2011, 7, 28, 4, 12, 30, tzinfo=UTC)
    assert row["time_to_resolve"] == timedelta(hours=1, minutes=6, seconds=30)
    (step,) = found.steps
    evidence = {cell.column: cell.evidence for cell in step.cells}  # type: ignore[attr-defined]
    assert evidence["resolved"].startswith("field.updates: 2011-07-28 04:12:30")
    assert "investigating" in evidence["declared"]
    # The record without times is untouched and still fails the check.
    assert done.frame.row(1, named=True)["declared"] == MOMENT
    preview = found.preview(frame)
    assert set(preview["column"]) == {"impact_start", "declared", "resolved"}


def test_systematic_whole_hour_offset_proposes_a_zone_change() -> None:
    # Eight records whose resolved is exactly declared + 2h: resolved written in UTC+2.
    # Naive text (no offset): only then can a zone have been assumed wrongly.
    rows = [
        incident(
            resolved=start_of(i) + timedelta(minutes=19, hours=2),
            raw_resolved=f"2023-03-01 1{i}:19",
            raw_declared=f"2023-03-01 0{i}:19",
        )
        for i in range(8)
    ]
    frame = frame_of(*rows)
    context = CheckContext(now=CONTEXT.now)
    (found,) = [s for s in suggest(frame, context=context) if s.check == "whole_hour_offset"]
    (step,) = found.steps
    assert step.to_zone == "Etc/GMT-2"  # type: ignore[attr-defined]
    assert step.columns == ["resolved"]  # type: ignore[attr-defined]
    fixed = replay(frame, found.steps).frame
    assert (fixed["resolved"] == fixed["declared"]).all()


def test_unmapped_state_proposes_the_nearest_value_disabled() -> None:
    frame = frame_of(
        incident(state=None, raw_state="Closed"), incident(state=None, raw_state="Closed")
    )
    (found,) = [s for s in suggest(frame, context=CONTEXT) if s.check == "state_unmapped"]
    assert found.needs_review
    assert found.rows == 2
    (step,) = found.steps
    assert not step.enabled
    # Not applied unasked: replaying the proposal as written changes nothing.
    assert replay(frame, found.steps).frame["state"].to_list() == [None, None]
    assert set(found.preview(frame)["after"]) == {"resolved"}
    recipe = proposals_recipe([found])
    assert not recipe.steps[0].enabled
    assert nearest_state("Work in progress") == "active"


def test_near_duplicate_teams_and_people_propose_merges() -> None:
    frame = frame_of(
        incident(teams=["Payments"], commander="Ann Lee"),
        incident(teams=["payments"], commander="ann  lee"),
        incident(teams=["payments"]),
    )
    found = [s for s in suggest(frame, context=CONTEXT) if s.check == "near_duplicate_values"]
    titles = sorted(s.title for s in found)
    assert titles == [
        "commander: merge 2 spellings into 'Ann Lee'",
        "teams: merge 2 spellings into 'payments'",
    ]
    merged = replay(frame, [step for s in found for step in s.steps]).frame
    assert merged["teams"].to_list() == [["payments"]] * 3


def test_a_clean_frame_gets_no_suggestions() -> None:
    assert suggest(frame_of(incident(), incident()), context=CONTEXT) == []
    assert isinstance(frame_of(incident()), pl.DataFrame)


def _resolved_without_time(text: str | None) -> dict[str, object]:
    return incident(
        source="statuspage",
        state="resolved",
        declared=datetime(2011, 7, 28, 3, 0, tzinfo=UTC),
        resolved=None,
        impact_end=None,
        **{"field.updates": text},
    )


def test_a_resolved_record_without_a_resolved_time_gets_it_from_its_text() -> None:
    # The push holds such a record (Datadog would stamp the import time): the text says when.
    frame = frame_of(_resolved_without_time(UPDATES), _resolved_without_time("no date"))
    (found,) = [s for s in suggest(frame, context=CONTEXT) if s.check == "resolved_time_missing"]
    assert found.rows == 1
    assert "1 record(s) hold no such update" in found.explanation
    done = replay(frame, found.steps)
    assert done.frame["resolved"].to_list() == [datetime(2011, 7, 28, 4, 12, 30, tzinfo=UTC), None]
    (step,) = found.steps
    (cell,) = step.cells  # type: ignore[attr-defined]
    assert cell.evidence.startswith("field.updates: 2011-07-28 04:12:30")
