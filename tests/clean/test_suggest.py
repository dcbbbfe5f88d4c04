"""Each suggestion on synthetic records: what it proposes, from which text, and what it leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from ddinc.checks import CheckContext
from ddinc.clean import replay, suggest
from ddinc.clean.suggest import nearest_state, proposals_recipe
from ddinc.errors import ConfigError
from ddinc.rowkey import ROW_KEY
from ddinc.schema import TIMESTAMPS
from ddinc.timestamps.prose import read_times
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


def test_update_times_are_read_from_html_by_the_prose_reader() -> None:
    # Suggestions read times through ddinc.timestamps.prose: HTML, offsets, nothing invented.
    times = read_times(UPDATES)
    assert [t.at.isoformat() for t in times] == [
        "2011-07-28T03:06:00+00:00",
        "2011-07-28T03:40:00+00:00",
        "2011-07-28T04:12:30+00:00",
        "2011-07-28T05:00:00+00:00",
    ]
    assert "resolved" in UPDATES[times[2].span[1] : times[3].span[0]]
    assert read_times("2024-01-01T10:00:00+02:00 began")[0].at.hour == 8
    assert read_times("no times here") == []


def test_backfilled_records_get_their_times_from_their_text() -> None:
    frame = frame_of(_backfilled(UPDATES), _backfilled("nothing dated"), incident())
    (found,) = [s for s in suggest(frame, context=CONTEXT) if s.check == "zero_length_incident"]
    assert found.rows == 1
    assert "1 record(s) hold no usable time" in found.explanation
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
    # A pattern over many rows, not a time cited from a record: offered, not applied.
    assert (found.enabled, found.kind) == (False, "time_zone")
    assert not proposals_recipe([found]).steps[0].enabled


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


def test_spellings_merge_enabled_into_the_well_formed_value_and_people_never() -> None:
    frame = frame_of(
        incident(teams=["Identity , Checkout"], commander="Ann Lee"),
        incident(teams=["Identity , Checkout"], commander="ann  lee"),
        incident(teams=["Identity, Checkout"], commander="ben.larsen@example.com"),
        incident(commander="ines.larsen@example.com"),
    )
    found = [s for s in suggest(frame, context=CONTEXT) if s.check == "near_duplicate_values"]
    assert [(s.title, s.enabled, s.kind) for s in found] == [
        (
            "teams: 2 spellings of 'Identity, Checkout' (case, spacing, punctuation)",
            True,
            "spelling",
        )
    ]
    merged = replay(frame, [step for s in found for step in s.steps]).frame
    assert merged["teams"].to_list()[:3] == [["Identity, Checkout"]] * 3
    assert merged["commander"].to_list() == frame["commander"].to_list()
    recipe = proposals_recipe(found)
    assert [(step.enabled, step.confidence) for step in recipe.steps] == [(True, "safe")]


def test_fuzzy_clusters_are_disabled_guesses_with_evidence() -> None:
    frame = frame_of(
        incident(services=["checkout-api"]),
        incident(services=["checkout-api"]),
        incident(services=["chekcout-api"]),
        incident(services=["Cloud Firestore"]),
        incident(services=["Cloud Filestore"]),
    )
    (found,) = [s for s in suggest(frame, context=CONTEXT) if s.check == "near_duplicate_values"]
    assert not found.enabled
    assert found.confidence == "guess"
    assert "'checkout-api' (2), 'chekcout-api' (1)" in found.explanation
    assert "1 edit(s)" in found.explanation
    recipe = proposals_recipe([found])
    assert [(step.enabled, step.confidence) for step in recipe.steps] == [(False, "guess")]
    # Written disabled, the step is kept in the recipe but changes nothing.
    assert replay(frame, recipe.steps).frame["services"].to_list() == frame["services"].to_list()


def test_a_merge_suggestion_takes_any_target() -> None:
    frame = frame_of(incident(teams=["db-team"]), incident(teams=["DB team"]))
    (found,) = [s for s in suggest(frame, context=CONTEXT) if s.check == "near_duplicate_values"]
    for target in ("db-team", "Databases"):
        chosen = found.with_target(target)
        assert chosen.steps[0].into == target  # type: ignore[attr-defined]
        assert target in chosen.title
        done = replay(frame, chosen.steps).frame
        assert done["teams"].to_list() == [[target]] * 2
    (state,) = [
        s
        for s in suggest(frame_of(incident(state=None, raw_state="Closed")), context=CONTEXT)
        if s.check == "state_unmapped"
    ]
    with pytest.raises(ConfigError, match="only merges"):
        state.with_target("x")


def test_a_missing_title_is_built_from_named_columns_disabled() -> None:
    frame = frame_of(incident(title=None), incident(title=" "), incident(title="Disk full"))
    parts = pl.DataFrame(
        {
            ROW_KEY: frame[ROW_KEY],
            "category": ["Category 11", None, "Category 2"],
            "subcategory": ["Subcategory 89", None, "Sub 1"],
            "u_symptom": ["Symptom 378", "  ", "Symptom 1"],
        }
    )
    (found,) = [
        s for s in suggest(frame, context=CONTEXT, title_parts=parts) if s.check == "title_missing"
    ]
    assert not found.enabled
    assert found.kind == "title"
    assert found.rows == 1
    assert "1 record(s) have none" in found.explanation
    done = replay(frame, [step.model_copy(update={"enabled": True}) for step in found.steps])
    assert done.frame["title"].to_list() == [
        "Category 11 / Subcategory 89 / Symptom 378",
        " ",
        "Disk full",
    ]
    assert not [s for s in suggest(frame, context=CONTEXT) if s.check == "title_missing"]


def test_a_clean_frame_gets_no_suggestions() -> None:
    assert suggest(frame_of(incident(), incident()), context=CONTEXT) == []
    assert isinstance(frame_of(incident()), pl.DataFrame)
