"""Statuspage: GitHub's real 2021-2022 history (API JSON), its JSON Lines form, back-filled times.

Expectations come from the JSON itself, read with the standard library, not from the loader.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ddinc import loader
from ddinc.readers import read_table
from ddinc.sources import detect
from ddinc.sources.statuspage import STATUSPAGE
from tests.conftest import shared_path
from tests.sources._samples import assert_every_row_once, assert_matches_truth, committed, truth_of

SAMPLE = ("datasets", "statuspage", "githubstatus_incidents_2021-2022.json")


def iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shared_path(*SAMPLE).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def loaded() -> loader.LoadResult:
    return loader.load(shared_path(*SAMPLE))


def by_id(result: loader.LoadResult) -> dict[str, dict[str, Any]]:
    return {row["source_id"]: row for row in result.incidents.to_dicts()}


def test_real_sample_is_detected_as_statuspage() -> None:
    assert detect(read_table(shared_path(*SAMPLE))) is STATUSPAGE


def test_209_incidents_one_per_record(loaded: loader.LoadResult, document: dict[str, Any]) -> None:
    assert len(document["incidents"]) == 209
    assert loaded.incidents.height == 209
    assert loaded.quarantine.height == 0
    assert loaded.incidents.get_column("source_rows").to_list() == [[n] for n in range(1, 210)]
    ids = [incident["id"] for incident in document["incidents"]]
    assert loaded.incidents.get_column("source_id").to_list() == ids


def test_impact_becomes_severity(loaded: loader.LoadResult, document: dict[str, Any]) -> None:
    # GitHub used minor and major (and none, below) in these two years.
    expected = {"critical": "SEV-1", "major": "SEV-2", "minor": "SEV-3"}
    got = by_id(loaded)
    for incident in document["incidents"]:
        if incident["impact"] in expected:
            assert got[incident["id"]]["severity"] == expected[incident["impact"]], incident["id"]
            assert got[incident["id"]]["raw"]["severity"] == incident["impact"]
    counts = Counter(loaded.incidents.get_column("severity").cast(pl.String).to_list())
    assert (counts["SEV-3"], counts["SEV-2"]) == (168, 34)


def test_impact_none_is_the_mildest_severity_not_missing(loaded: loader.LoadResult) -> None:
    # b40k7ckrs7sp is one of the 7 incidents with "impact": "none".
    row = by_id(loaded)["b40k7ckrs7sp"]
    assert row["raw"]["severity"] == "none"
    assert row["severity"] == "SEV-4"


def test_components_become_services(loaded: loader.LoadResult, document: dict[str, Any]) -> None:
    got = by_id(loaded)
    for incident in document["incidents"]:
        names = [component["name"] for component in incident["components"]]
        assert got[incident["id"]]["services"] == names, incident["id"]
    # By hand: j8bknc99hpyd ("Incident on 2021-03-22 12:36 UTC") hit two components.
    assert got["j8bknc99hpyd"]["services"] == ["Issues", "Pull Requests"]


def test_started_created_resolved_feed_the_timeline(
    loaded: loader.LoadResult, document: dict[str, Any]
) -> None:
    got = by_id(loaded)
    for incident in document["incidents"]:
        row = got[incident["id"]]
        assert row["impact_start"] == iso(incident["started_at"])
        assert row["declared"] == iso(incident["created_at"])
        assert row["resolved"] == iso(incident["resolved_at"])
        assert row["title"] == incident["name"]
        assert row["state"] == "resolved"
    # By hand: impact began 12 ms before the incident was posted.
    first = got["j8bknc99hpyd"]
    assert first["impact_start"] == datetime(2021, 3, 22, 12, 36, 43, 540000, tzinfo=UTC)
    assert first["declared"] == datetime(2021, 3, 22, 12, 36, 43, 552000, tzinfo=UTC)
    # Offsets in the values: nothing was assumed about the zone.
    assert loaded.assumed_timezone is None


def test_backfilled_incident_with_all_equal_times_loads(loaded: loader.LoadResult) -> None:
    # Record 16, xprdw7x7w6j1: created_at == started_at == resolved_at == 2021-02-27T15:00:00Z.
    row = by_id(loaded)["xprdw7x7w6j1"]
    moment = datetime(2021, 2, 27, 15, tzinfo=UTC)
    assert row["source_rows"] == [16]
    assert row["impact_start"] == row["declared"] == row["resolved"] == moment
    assert row["time_to_resolve"].total_seconds() == 0


def test_json_lines_variant_loads_the_same(
    loaded: loader.LoadResult, document: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "githubstatus.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in document["incidents"]) + "\n", "utf-8")
    result = loader.load(path)
    assert result.source == "statuspage"
    assert result.quarantine.height == 0
    columns = ["source_id", "source_rows", "title", "severity", "services", *TIMES]
    assert result.incidents.select(columns).equals(loaded.incidents.select(columns))


TIMES = ["impact_start", "declared", "resolved"]


def test_old_backfilled_and_unusual_statuses_in_json_lines(tmp_path: Path) -> None:
    def record(ident: str, status: str, impact: str, times: tuple[str, str, str | None]) -> str:
        created, started, resolved = times
        return json.dumps(
            {
                "id": ident,
                "name": f"incident {ident}",
                "status": status,
                "impact": impact,
                "created_at": created,
                "started_at": started,
                "resolved_at": resolved,
                "shortlink": f"https://stspg.io/{ident}",
                "incident_updates": [],
                "components": [{"name": "API Requests", "status": "operational"}],
            }
        )

    backfilled = "2014-06-01T00:00:00.000Z"
    lines = [
        record("old", "postmortem", "critical", (backfilled, backfilled, backfilled)),
        record("watch", "monitoring", "minor", ("2022-01-01T10:05:00.000Z",) * 2 + (None,)),
        record("maint", "scheduled", "none", ("2022-01-02T10:00:00.000Z",) * 2 + (None,)),
    ]
    path = tmp_path / "page.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = by_id(loader.load(path))
    old = got["old"]
    assert old["declared"] == old["resolved"] == datetime(2014, 6, 1, tzinfo=UTC)
    # resolved, not completed: Datadog keeps a resolved time only with state resolved.
    assert (old["state"], old["severity"]) == ("resolved", "SEV-1")
    assert got["watch"]["state"] == "stable"
    assert got["watch"]["resolved"] is None
    # Maintenance statuses are not incident states: kept raw, not guessed.
    assert got["maint"]["state"] is None
    assert got["maint"]["raw"]["state"] == "scheduled"


@pytest.mark.parametrize("path", committed("statuspage"))
def test_committed_sample(path: Path) -> None:
    result = loader.load(path)
    assert result.source == "statuspage"
    assert_every_row_once(result)
    truth = truth_of(path)
    if truth is not None:
        assert_matches_truth(result, truth, ("impact_start", "declared", "resolved"))


def test_updates_become_notes_oldest_first_with_time_and_status(
    loaded: loader.LoadResult, document: dict[str, Any]
) -> None:
    got = by_id(loaded)
    for incident in document["incidents"]:
        updates = sorted(
            incident["incident_updates"], key=lambda u: u["display_at"] or u["created_at"]
        )
        expected = [
            f"{u['display_at'] or u['created_at']} {u['status']}: {u['body']}".strip()
            for u in updates
        ]
        assert got[incident["id"]]["notes"] == expected


def test_notes_without_updates_and_never_a_datadog_field(tmp_path: Path) -> None:
    record = {
        "id": "a",
        "name": "Webhooks delayed",
        "status": "resolved",
        "impact": "minor",
        "created_at": "2022-01-01T10:05:00.000Z",
        "shortlink": "https://stspg.io/a",
        "incident_updates": [
            {
                "status": "resolved",
                "body": "Fixed; operating normally.\nThanks",
                "created_at": "2022-01-01T11:00:00.000Z",
                "display_at": None,
            },
            {
                "status": "investigating",
                "body": "Looking",
                "created_at": "2022-01-01T10:05:00.000Z",
                "display_at": "2022-01-01T10:05:00.000Z",
            },
        ],
    }
    bare = {**record, "id": "b", "incident_updates": []}
    path = tmp_path / "page.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps(bare) + "\n", encoding="utf-8")
    result = loader.load(path)
    got = by_id(result)
    assert got["a"]["notes"] == [
        "2022-01-01T10:05:00.000Z investigating: Looking",
        "2022-01-01T11:00:00.000Z resolved: Fixed; operating normally.\nThanks",
    ]
    assert got["b"]["notes"] == []
    assert not [c for c in result.incidents.columns if c.startswith("field.")]
