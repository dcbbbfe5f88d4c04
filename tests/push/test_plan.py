"""Plan = run: every row the plan calls ready is accepted; the plan's payload is what is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import ddinc
from ddinc import synth
from ddinc.datadog.emulator import Emulator
from ddinc.payloads import PayloadOptions
from ddinc.push import plan, push
from ddinc.synth import mapping_beside
from tests.conftest import ROOT

# The sample exports ddinc synth writes (not its mapping or recipe files).
SAMPLES = sorted(
    ROOT / "data" / name for name in synth.SAMPLES if name.endswith((".csv", ".json", ".jsonl"))
)


def state_resolved(loaded: ddinc.LoadResult) -> pl.Expr:
    """The rows of ``loaded`` whose state is resolved (by row key)."""
    keys = loaded.incidents.filter(pl.col("state") == "resolved")["row_key"]
    return pl.col("row_key").is_in(keys.implode())


def _load(path: Path) -> ddinc.LoadResult:
    return ddinc.load(path, mapping_beside(path))


# One sample in the fast tier, every sample in the full suite (a second each).
@pytest.mark.parametrize(
    "path",
    [
        pytest.param(path, marks=() if index == 0 else pytest.mark.slow, id=path.name)
        for index, path in enumerate(SAMPLES)
    ],
)
def test_every_ready_row_of_every_sample_is_created_without_a_400(
    path: Path, emulator: Emulator, connect: dict[str, Any], tmp_path: Path
) -> None:
    loaded = _load(path)
    options = PayloadOptions(unknown_fields="drop")
    planned = plan(loaded, ledger=tmp_path / "l.db", options=options, **connect)
    ready = {row.row_key: row.payload for row in planned.ready}
    if path.name == "healtharchive_incidents.json":
        # Its records say "[RESOLVED]" but give no resolved time: held, never stamped.
        assert ready == {}
        reasons = planned.frame.filter(state_resolved(loaded))["reason"]
        assert reasons.str.contains("no resolved time").all()
        return
    assert ready, "a sample with nothing ready proves nothing"
    result = push(loaded, ledger=tmp_path / "l.db", options=options, progress=False, **connect)
    assert 400 not in emulator.status_counts()
    assert result.counts()["created"] == len(ready)
    assert result.counts()["held"] == planned.counts()["held"]
    assert sum(result.counts().values()) == loaded.incidents.height
    # The plan's payloads are what the emulator stored.
    stored = {str(i.fields["legacy_id"]): i for i in emulator.incidents}
    assert set(stored) == set(ready)
    for key, payload in ready.items():
        assert payload.request is not None
        attributes = payload.request.data.attributes
        assert stored[key].title == attributes.title
        assert stored[key].declared == attributes.declared
        if attributes.resolved is not None:
            # (Without one, the org stamps a resolved incident with the import time.)
            assert stored[key].resolved == attributes.resolved
    # No time was left for the emulator to stamp with the import time (issue 13).
    for key, incident in stored.items():
        stamped = [
            name
            for name in ("detected", "declared", "resolved")
            if getattr(incident, name) == incident.created
        ]
        assert stamped == [], f"{key}: {stamped} stamped at import"
        if incident.state == "resolved":
            assert incident.resolved is not None
        # The plan says every time and where it came from: the same as stored.
        planned_row = planned.frame.filter(row_key=key).row(0, named=True)
        assert planned_row["detected"] == incident.detected
        assert planned_row["declared"] == incident.declared
        assert planned_row["resolved"] == incident.resolved
        # And the results say it too.
        outcome = result.frame.filter(row_key=key).row(0, named=True)
        assert outcome["detected"] == incident.detected
        assert outcome["detected_from"] == planned_row["detected_from"]
        assert planned_row["detected_from"] in (
            "detected",
            "impact_start",
            "declared",
            "impact_start (--detected-from at load)",
            "declared (--detected-from at load)",
        )


def test_a_row_without_a_detected_time_sends_its_impact_start_and_says_so(
    connect: dict[str, Any], tmp_path: Path
) -> None:
    loaded = _load(ROOT / "data" / "statuspage_incidents.json")
    frame = loaded.incidents
    assert frame["detected"].null_count() == frame.height  # status pages never record it
    planned = plan(loaded, ledger=tmp_path / "l.db", **connect)
    rows = planned.frame.filter(status="ready")
    with_impact = rows.filter(pl.col("detected_from") == "impact_start")
    assert with_impact.height > 0
    starts = dict(frame.select("row_key", "impact_start").iter_rows())
    for row in with_impact.iter_rows(named=True):
        assert row["detected"] == starts[row["row_key"]]
        assert "no detected time recorded: sent as the impact start" in row["notes"]
        assert json.loads(row["payload"])["data"]["attributes"]["detected"] is not None
    # --detected-from still chooses: the load fills it, and the plan says so.
    chosen = ddinc.load(ROOT / "data" / "statuspage_incidents.json", detected_from="declared")
    again = plan(chosen, ledger=tmp_path / "l2.db", **connect).frame.filter(status="ready")
    assert set(again["detected_from"]) == {"declared (--detected-from at load)"}


def test_a_resolved_row_without_a_resolved_time_is_held_with_the_fix(
    connect: dict[str, Any], tmp_path: Path
) -> None:
    loaded = _load(ROOT / "data" / "jira_incidents.csv")
    first = loaded.incidents.filter(pl.col("state") == "resolved").head(1)["row_key"].item()
    no_time = loaded.incidents.with_columns(
        pl.when(pl.col("row_key") == first)
        .then(None)
        .otherwise(pl.col("resolved"))
        .alias("resolved")
    )
    no_declared = no_time.with_columns(
        pl.when(pl.col("row_key") == first)
        .then(None)
        .otherwise(pl.col("declared"))
        .alias("declared")
    )
    for frame, expected in (
        (no_time, "state is resolved but there is no resolved time"),
        (no_declared, "no declared time"),
    ):
        planned = plan(frame, ledger=tmp_path / "l.db", **connect)
        row = planned.frame.filter(row_key=first).row(0, named=True)
        assert row["status"] == "held"
        assert expected in row["reason"]
        assert "ddinc suggest" in row["reason"]


def test_the_plan_reads_the_ledger_created_changed_and_held(
    connect: dict[str, Any], tmp_path: Path
) -> None:
    loaded = _load(ROOT / "data" / "servicenow_event_log.csv")
    ledger = tmp_path / "l.db"
    push(loaded, ledger=ledger, progress=False, **connect)
    again = plan(loaded, ledger=ledger, **connect)
    counts = again.counts()
    assert counts["ready"] == 0
    assert counts["created"] + counts["held"] == loaded.incidents.height
    # The incident table export names the same incidents with other payloads: changed.
    other = _load(ROOT / "data" / "servicenow_incidents.csv")
    changed = plan(other, ledger=ledger, **connect)
    assert changed.counts()["changed"] > 0
    assert changed.frame.filter(status="changed")["reason"].str.contains("not re-sent").all()


def test_where_selects_rows_with_sql(connect: dict[str, Any]) -> None:
    loaded = _load(ROOT / "data" / "jira_incidents.csv")
    planned = plan(loaded, where="severity = 'SEV-2'", **connect)
    assert 0 < len(planned.rows) < loaded.incidents.height
    with pytest.raises(ddinc.ConfigError, match="not a SQL condition"):
        plan(loaded, where="severity ===", **connect)
