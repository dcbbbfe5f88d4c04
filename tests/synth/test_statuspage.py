"""Statuspage samples: the API JSON shape of a real page history, and the JSON Lines variant."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ddinc.errors import ConfigError
from ddinc.synth import statuspage_json, statuspage_jsonl, write_statuspage
from tests.conftest import shared_path
from tests.synth._views import View, check_against_truth, check_dirt_rates, tagged

ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
IMPACTS: set[str | None] = {"none", "minor", "major", "critical"}
STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}


def at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def views(incidents: list[dict[str, Any]]) -> list[View]:
    return [
        View(
            id=incident["id"],
            title=incident["name"],
            severity=incident["impact"],
            stamps={
                "impact_start": at(incident["started_at"]),
                "declared": at(incident["created_at"]),
                "resolved": at(incident["resolved_at"]),
            },
            cells=[incident["name"], *(c["name"] for c in incident["components"])],
            raw=incident,
        )
        for incident in incidents
    ]


def test_json_has_the_shape_of_a_real_statuspage_history() -> None:
    real = json.loads(
        shared_path("datasets", "statuspage", "githubstatus_incidents_2021-2022.json").read_bytes()
    )
    document = json.loads(statuspage_json(60).data)
    assert set(document) == set(real) == {"page", "incidents"}
    assert set(document["page"]) == set(real["page"])
    real_keys = set(real["incidents"][0])
    real_update = set(real["incidents"][0]["incident_updates"][0])
    real_component = next(set(i["components"][0]) for i in real["incidents"] if i["components"])
    for incident in document["incidents"]:
        assert set(incident) == real_keys
        assert all(set(update) == real_update for update in incident["incident_updates"])
        assert all(set(c) == real_component for c in incident["components"])
        assert incident["status"] in STATUSES
        for key in ("created_at", "updated_at", "started_at", "resolved_at", "monitoring_at"):
            assert incident[key] is None or ISO_MS_Z.match(incident[key]), (key, incident[key])
        assert (incident["resolved_at"] is None) == (
            incident["status"] not in ("resolved", "postmortem")
        )


def test_json_holds_what_its_truth_says() -> None:
    sample = statuspage_json(60)
    check_dirt_rates(sample)
    check_against_truth(
        sample,
        views(json.loads(sample.data)["incidents"]),
        ("impact_start", "declared", "resolved"),
        vocabulary=IMPACTS,
    )


def test_back_filled_incidents_look_like_real_ones() -> None:
    sample = statuspage_json(60)
    incidents = json.loads(sample.data)["incidents"]
    for rec in tagged(sample, "backfilled"):
        incident = incidents[rec["source_rows"][0] - 1]
        assert incident["created_at"] == incident["started_at"] == incident["resolved_at"]
        assert incident["created_at"].endswith(":00:00.000Z")
        assert incident["updated_at"] > incident["resolved_at"]


def test_jsonl_is_the_same_incidents_one_per_line() -> None:
    lines = statuspage_jsonl(60).data.decode().splitlines()
    assert [json.loads(line) for line in lines] == json.loads(statuspage_json(60).data)["incidents"]
    assert statuspage_jsonl(60).truth.equals(statuspage_json(60).truth)


def test_writer_picks_the_format_from_the_suffix(tmp_path: Path) -> None:
    json_path = write_statuspage(tmp_path / "a.json", n_incidents=10)
    lines_path = write_statuspage(tmp_path / "a.jsonl", n_incidents=10, truth=True)
    assert json.loads(json_path.read_bytes())["page"]
    assert len(lines_path.read_text().splitlines()) >= 10
    assert (tmp_path / "a.truth.csv").exists()
    with pytest.raises(ConfigError, match=r"\.json or \.jsonl"):
        write_statuspage(tmp_path / "a.csv")


# --- the migrated history: back-filled records, real times in the update text ----------------

REAL_TIME = re.compile(r"<li><strong>(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})</strong> - ([^<]*)</li>")


def test_history_is_mostly_backfilled_with_real_times_in_the_text() -> None:
    from ddinc.synth import statuspage_history, world

    sample = statuspage_history(60)
    incidents = json.loads(sample.data)["incidents"]
    check_against_truth(
        sample,
        views(incidents),
        ("impact_start", "declared", "resolved"),
        vocabulary=IMPACTS,
    )
    check_dirt_rates(sample)
    true = {row["key"]: row for row in world(7, 60).to_dicts()}
    backfilled = tagged(sample, "backfilled")
    assert len(backfilled) == 36
    for record in backfilled:
        incident = incidents[record["source_rows"][0] - 1]
        assert incident["created_at"] == incident["started_at"] == incident["resolved_at"]
        text = incident["incident_updates"][0]["body"]
        times = [datetime.strptime(t, "%Y-%m-%d %H:%M:%S") for t, _ in REAL_TIME.findall(text)]
        assert len(times) == 3
        resolved = true[record["key"]]["resolved"].replace(microsecond=0, tzinfo=None)
        assert times[-1] == resolved
        assert times[0] <= times[1] <= times[2]
    others = [i for i in incidents if i["created_at"] != i["resolved_at"]]
    assert others
    assert not any("<li>" in u["body"] for i in others for u in i["incident_updates"])
