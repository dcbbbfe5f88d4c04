"""Times proposed from a record's own text: which update, which words, and what is refused."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import ddinc
from ddinc.clean import Recipe, replay, suggest
from ddinc.clean.ops import FillFromText, TextCell
from ddinc.clean.suggest import Suggestion, proposals_recipe
from ddinc.clean.text_times import note_parts, says_resolved
from ddinc.cli import main
from ddinc.schema import TIMESTAMPS
from ddinc.synth import mapping_beside
from tests.clean.conftest import CONTEXT, frame_of, incident
from tests.conftest import ROOT, shared_path

MOMENT = datetime(2022, 5, 1, 12, 0, tzinfo=UTC)
STAMP = "2022-05-01T12:00:00.000Z"


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2022, 5, day, hour, minute, tzinfo=UTC)


def backfilled(notes: list[str]) -> dict[str, Any]:
    return incident(
        source="statuspage",
        **{name: MOMENT for name in TIMESTAMPS if name not in ("detected", "impact_end")},
        detected=None,
        impact_end=None,
        notes=notes,
    )


def found(frame: pl.DataFrame, check: str) -> Suggestion:
    (suggestion,) = [s for s in suggest(frame, context=CONTEXT) if s.check == check]
    return suggestion


def cells(suggestion: Suggestion) -> dict[tuple[str, str], TextCell]:
    (step,) = suggestion.steps
    assert isinstance(step, FillFromText)
    return {(cell.key, cell.column): cell for cell in step.cells}


def test_sentences_that_hedge_never_say_resolved() -> None:
    for text in (
        "We are working to resolve the issue.",
        "We continue to monitor; errors look resolved.",
        "A fix has been implemented and we are monitoring the results.",
        "Some customers are back to normal.",
        "We are investigating; this is not yet resolved.",
        "The issue should be resolved within the hour.",
    ):
        assert not says_resolved(text), text
    for text in (
        "This incident has been resolved.",
        "API Requests is operating normally.",
        "<p>The issue has been resolved&nbsp;and the service is operating normally.</p>",
        "Service is now restored. We will keep watching.",
    ):
        assert says_resolved(text), text


def test_a_back_fill_takes_the_last_update_saying_resolved_not_the_last_update() -> None:
    body = (
        "<ul><li><strong>2022-04-30 22:06:00</strong> - We are investigating errors.</li>"
        "<li><strong>2022-04-30 23:40:00</strong> - We are working to resolve the issue.</li>"
        "<li><strong>2022-05-01 00:12:30</strong> - API Requests is operating normally.</li>"
        "<li><strong>2022-05-01 01:00:00</strong> - We continue to monitor.</li></ul>"
    )
    # Every note is stamped with the back-filled time: the stamps say nothing.
    frame = frame_of(
        backfilled([f"{STAMP} resolved: {body}", f"{STAMP} investigating: Looking."]),
        backfilled([f"{STAMP} resolved: This incident has been resolved."]),
    )
    suggestion = found(frame, "zero_length_incident")
    assert suggestion.rows == 1
    assert "1 record(s) hold no usable time" in suggestion.explanation
    done = replay(frame, suggestion.steps).frame.row(0, named=True)
    assert done["declared"] == done["impact_start"] == at(22, 6, day=30).replace(month=4)
    assert done["resolved"] == datetime(2022, 5, 1, 0, 12, 30, tzinfo=UTC)
    key = frame.row(0, named=True)["row_key"]
    evidence = cells(suggestion)[(key, "resolved")].evidence
    assert evidence == "notes[0]: 2022-05-01 00:12:30 - API Requests is operating normally."


def test_a_resolved_record_without_a_time_takes_its_last_resolving_update() -> None:
    notes = [
        "2022-05-01T12:00:00.000Z investigating: We are investigating.",
        "2022-05-01T12:40:00.000Z investigating: Webhooks is operating normally.",
        "2022-05-01T13:10:00.000Z resolved: This incident has been resolved.",
        "2022-05-01T13:30:00.000Z update: We are working to resolve a follow-up.",
    ]
    frame = frame_of(
        incident(
            impact_start=None,
            declared=at(12),
            resolved=None,
            impact_end=None,
            detected=None,
            notes=notes,
        ),
        incident(resolved=None, impact_end=None, detected=None, notes=notes[:1]),
    )
    suggestion = found(frame, "resolved_time_missing")
    assert suggestion.rows == 1
    done = replay(frame, suggestion.steps).frame
    assert done.row(0, named=True)["resolved"] == at(13, 10)
    assert done.row(1, named=True)["resolved"] is None
    (cell,) = cells(suggestion).values()
    assert cell.evidence.startswith("notes[2]: 2022-05-01T13:10:00.000Z resolved:")


def test_an_aws_style_impact_window_fills_impact_start_and_end() -> None:
    description = (
        '<div><span class="yellowfg"> 12:53 PM PDT</span>&nbsp;Between 12:15 PM and 12:21 PM '
        "PDT we observed increased error rates for EC2 APIs. The issue has been resolved and "
        "the service is operating normally.</div>"
    )
    frame = frame_of(
        incident(
            impact_start=None,
            detected=None,
            declared=at(19, 53),
            resolved=None,
            impact_end=None,
            notes=[description],
        )
    )
    impact = found(frame, "impact_window_in_text")
    resolved = found(frame, "resolved_time_missing")
    done = replay(frame, [*impact.steps, *resolved.steps]).frame.row(0, named=True)
    assert (done["impact_start"], done["impact_end"]) == (at(19, 15), at(19, 21))
    assert done["resolved"] == at(19, 53)
    key = frame.row(0, named=True)["row_key"]
    assert cells(impact)[(key, "impact_start")].evidence == (
        "notes[0]: Between 12:15 PM and 12:21 PM PDT (no date written: day taken from the record)"
    )
    # No date written and no dated note around it: the day is the record's, so a guess,
    # offered disabled (an incident over a day long would read a day short).
    assert impact.needs_review
    assert resolved.needs_review
    assert "days inferred" in impact.title


def test_text_that_would_put_times_out_of_order_is_not_proposed() -> None:
    # The window starts after the record was resolved: one of them is wrong, say nothing.
    frame = frame_of(
        incident(
            impact_start=None,
            impact_end=None,
            declared=at(9),
            resolved=at(10),
            detected=None,
            notes=["from 11:00 AM UTC to 11:30 AM UTC errors rose"],
        )
    )
    assert [s for s in suggest(frame, context=CONTEXT) if s.check == "impact_window_in_text"] == []
    # Detected after the window's end would make time to repair negative: not proposed either.
    late = frame_of(
        incident(
            impact_start=None,
            impact_end=None,
            detected=at(12),
            declared=at(12, 5),
            resolved=at(13),
            notes=["from 11:00 AM UTC to 11:30 AM UTC errors rose"],
        )
    )
    assert [s for s in suggest(late, context=CONTEXT) if s.check == "impact_window_in_text"] == []
    fine = frame_of(
        incident(
            impact_start=None,
            impact_end=None,
            detected=at(11, 10),
            declared=at(12, 5),
            resolved=at(13),
            notes=["from 11:00 AM UTC to 11:30 AM UTC errors rose"],
        )
    )
    assert found(fine, "impact_window_in_text").rows == 1


def test_equal_times_without_a_resolved_time_keep_their_declared_time() -> None:
    # Posted and never closed: impact start = declared, no resolved. The first note's stamp
    # is that same (real) time, not a back-fill's.
    notes = [
        "2022-05-01T12:00:00.000Z investigating: We are investigating.",
        "2022-05-01T13:10:00.000Z resolved: This incident has been resolved.",
    ]
    row = incident(
        impact_start=MOMENT, detected=None, declared=MOMENT, resolved=None, impact_end=None
    )
    frame = frame_of({**row, "notes": notes})
    suggestions = suggest(frame, context=CONTEXT)
    assert not [s for s in suggestions if s.check == "zero_length_incident"]
    done = replay(frame, found(frame, "resolved_time_missing").steps).frame.row(0, named=True)
    assert (done["declared"], done["resolved"]) == (MOMENT, at(13, 10))


def test_time_proposals_with_written_dates_are_enabled_by_default() -> None:
    notes = ["2022-05-01T13:10:00.000Z resolved: This incident has been resolved."]
    frame = frame_of(
        incident(
            impact_start=None,
            detected=None,
            declared=at(12),
            resolved=None,
            impact_end=None,
            notes=notes,
        )
    )
    recipe = proposals_recipe([found(frame, "resolved_time_missing")])
    assert [step.enabled for step in recipe.steps] == [True]


def test_note_parts_reads_only_the_statuspage_form() -> None:
    assert note_parts("2022-05-01T13:10:00Z resolved: ok")[1:] == ("resolved", "ok")
    assert note_parts("13:10 resolved: ok") == (None, None, "13:10 resolved: ok")
    stamp = note_parts("2022-05-01T13:10:00+02:00 identified: x")[0]
    assert stamp is not None
    assert stamp - at(11, 10) == timedelta(0)


# --- measured on exports: each recovered time against an independent reading ---------------

GITHUB = ("datasets", "statuspage", "githubstatus_incidents_2021-2022.json")


def proposed(frame: pl.DataFrame, check: str, column: str) -> dict[str, datetime]:
    """source_id -> the time proposed for ``column`` by the ``check`` group."""
    ids = dict(zip(frame["row_key"], frame["source_id"], strict=True))
    found = [s for s in suggest(frame, context=CONTEXT) if s.check == check]
    return {
        ids[cell.key]: datetime.fromisoformat(str(cell.value))
        for cell in (cells(found[0]).values() if found else [])
        if cell.column == column
    }


@pytest.mark.parametrize("statuses", ["kept", "blanked"])
def test_github_resolved_times_come_back_from_the_default_sources_notes(statuses: str) -> None:
    # Hide every resolved time of GitHub's real history and read it back from the updates
    # the default statuspage source keeps as notes; the independent reading is the JSON's own
    # resolved_at, read with the standard library. Blanking the statuses leaves the prose
    # alone to say which update resolved the incident.
    path = shared_path(*GITHUB)
    document = json.loads(path.read_text(encoding="utf-8"))
    truth = {
        i["id"]: datetime.fromisoformat(i["resolved_at"].replace("Z", "+00:00"))
        for i in document["incidents"]
        if i["status"] in ("resolved", "postmortem") and i["resolved_at"]
    }
    frame = ddinc.load(path).incidents.filter(pl.col("state") == "resolved")
    frame = frame.with_columns(pl.lit(None, dtype=frame.schema["resolved"]).alias("resolved"))
    if statuses == "blanked":
        blank = pl.element().str.replace(r"^(\S+) [a-z_ ]+: ", "${1} update: ")
        frame = frame.with_columns(pl.col("notes").list.eval(blank))
    got = proposed(frame, "resolved_time_missing", "resolved")
    right = [key for key, at in got.items() if abs(at - truth[key]) <= timedelta(seconds=1)]
    assert len(got) == len(right), {k: (got[k], truth[k]) for k in set(got) - set(right)}
    assert len(right) >= 0.9 * len(truth)


def committed(name: str) -> Path:
    return ROOT / "data" / name


def test_health_archive_resolved_times_from_prose_match_a_simpler_reading() -> None:
    # AWS-style updates: "<span> 04:26 AM UTC</span>&nbsp;The issue has been resolved ...".
    # The simpler reading: the one resolving line's clock, on the day posted or the next.
    path = committed("healtharchive_incidents.json")
    frame = ddinc.load(path, source=mapping_beside(path)).incidents
    line = re.compile(r"(\d{2}):(\d{2}) (AM|PM) UTC</span>&nbsp;The issue has been resolved")
    expected = {}
    for row in frame.filter(pl.col("state") == "resolved").iter_rows(named=True):
        match = line.search("".join(row["notes"]))
        if match is None:
            continue
        hour = int(match.group(1)) % 12 + (12 if match.group(3) == "PM" else 0)
        at = row["declared"].replace(hour=hour, minute=int(match.group(2)), second=0)
        expected[row["source_id"]] = at if at >= row["declared"] else at + timedelta(days=1)
    got = proposed(frame, "resolved_time_missing", "resolved")
    assert len(expected) >= 0.9 * frame.filter(pl.col("state") == "resolved").height
    assert got == expected


def test_statuspage_history_back_fills_recovered_with_the_default_source() -> None:
    # No --field: the default source's notes carry the update bodies. The simpler reading:
    # the <strong> time of the "The issue was resolved" line.
    path = committed("statuspage_history.json")
    frame = ddinc.load(path).incidents
    line = re.compile(r"<strong>([\d-]+ [\d:]+)</strong> - The issue was resolved")
    expected = {}
    for row in frame.iter_rows(named=True):
        match = line.search("".join(row["notes"]))
        if match is not None and row["declared"] == row["resolved"]:
            expected[row["source_id"]] = datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
    got = proposed(frame, "zero_length_incident", "resolved")
    assert expected
    assert got == expected
    assert not [c for c in frame.columns if c.startswith("field.")]


def test_the_suggest_command_recovers_back_fills_without_any_field_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "recipe.json"
    assert main(["suggest", str(committed("statuspage_history.json")), "-o", str(out)]) == 0
    recipe = Recipe.model_validate_json(out.read_text(encoding="utf-8"))
    fills = [step for step in recipe.steps if isinstance(step, FillFromText)]
    assert fills
    assert all(step.enabled for step in fills)
    assert {step.text_column for step in fills} == {"notes"}
    assert "back-filled records: real times from their text" in capsys.readouterr().out
