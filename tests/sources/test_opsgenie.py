"""Opsgenie: the CSV export and the API JSON, both with epoch-millisecond times."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddinc import loader
from ddinc.readers import read_table
from ddinc.sources import detect
from ddinc.sources.opsgenie import API_JSON, CSV_EXPORT, OPSGENIE, prepare
from tests.sources._samples import assert_every_row_once, assert_matches_truth, committed, truth_of

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HEADER = [
    "AlertId", "TinyId", "Alias", "Message", "Description", "Status", "Priority", "Source",
    "Owner", "Teams", "Tags", "CreatedAt", "UpdatedAt", "AcknowledgedAt", "ClosedAt",
    "AcknowledgedBy", "ClosedBy",
]  # fmt: skip

# 2024-01-12 15:45:00.123 UTC: 1705017600 is 2024-01-12 00:00 UTC, plus 15:45 = 56700 s.
CREATED_MS = (1705017600 + 56700) * 1000 + 123


def at(millis: int) -> datetime:
    return EPOCH + timedelta(milliseconds=millis)


def csv_row(alert: str, **cells: str) -> list[str]:
    defaults = {
        "AlertId": alert, "TinyId": alert[-1], "Alias": f"alias-{alert}",
        "Message": f"alert {alert}",
        "Description": "", "Status": "closed", "Priority": "P1", "Source": "datadog",
        "Owner": "ann@example.com", "Teams": "Payments, Platform", "Tags": "db,disk",
        "CreatedAt": str(CREATED_MS), "UpdatedAt": str(CREATED_MS + 5000),
        "AcknowledgedAt": str(CREATED_MS + 60_000), "ClosedAt": str(CREATED_MS + 3_600_000),
        "AcknowledgedBy": "ann@example.com", "ClosedBy": "ann@example.com",
    }  # fmt: skip
    defaults.update(cells)
    return [defaults[name] for name in HEADER]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def by_id(result: loader.LoadResult) -> dict[str, dict[str, Any]]:
    return {row["source_id"]: row for row in result.incidents.to_dicts()}


def test_epoch_constant_is_the_documented_instant() -> None:
    assert at(CREATED_MS) == datetime(2024, 1, 12, 15, 45, 0, 123000, tzinfo=UTC)


def test_csv_export(tmp_path: Path) -> None:
    rows = [
        csv_row("a1"),
        csv_row("a2", Status="open", Priority="P3", Owner="", Teams="Search", ClosedAt=""),
        csv_row("a3", Status="acked", Priority="P5", Teams="", AcknowledgedAt="", ClosedAt=""),
    ]
    path = write_csv(tmp_path / "alerts.csv", rows)
    table = read_table(path)
    assert detect(table) is OPSGENIE
    assert OPSGENIE.mapping_for(prepare(table)) is CSV_EXPORT
    result = loader.load(path)
    assert result.quarantine.height == 0
    got = by_id(result)
    first = got["a1"]
    assert first["title"] == "alert a1"
    assert (first["state"], first["severity"]) == ("resolved", "SEV-1")
    assert first["declared"] == datetime(2024, 1, 12, 15, 45, 0, 123000, tzinfo=UTC)
    assert first["resolved"] == datetime(2024, 1, 12, 16, 45, 0, 123000, tzinfo=UTC)
    assert first["raw"]["declared"] == str(CREATED_MS)  # the exported number, as written
    assert first["teams"] == ["Payments", "Platform"]
    assert first["commander"] == "ann@example.com"
    second = got["a2"]
    assert (second["state"], second["severity"], second["resolved"]) == ("active", "SEV-3", None)
    assert (second["commander"], second["teams"]) == (None, ["Search"])
    third = got["a3"]
    # acked is a responder taking the alert, not contained impact: active, not stable.
    assert (third["state"], third["severity"]) == ("active", "SEV-5")
    assert not third["teams"]
    # Epoch times carry no zone question.
    assert result.assumed_timezone is None


def test_unreadable_epoch_is_quarantined_with_its_text(tmp_path: Path) -> None:
    rows = [csv_row("a1"), csv_row("a2", CreatedAt="12 Jan")]
    result = loader.load(write_csv(tmp_path / "alerts.csv", rows))
    assert result.incidents.get_column("source_id").to_list() == ["a1"]
    row = result.quarantine.to_dicts()[0]
    assert (row["source_row"], row["column"], row["value"]) == (2, "CreatedAt", "12 Jan")


def api_alert(ident: str, **fields: Any) -> dict[str, Any]:
    alert = {
        "id": ident,
        "tinyId": ident[-1],
        "alias": f"alias-{ident}",
        "message": f"alert {ident}",
        "description": "",
        "status": "closed",
        "priority": "P2",
        "source": "datadog",
        "owner": "bob@example.com",
        "teams": [{"name": "Storage"}, {"name": "Data"}],
        "tags": ["disk"],
        "createdAt": CREATED_MS,
        "updatedAt": CREATED_MS + 1,
        "acknowledgedAt": CREATED_MS + 2_000,
        "closedAt": CREATED_MS + 90_000,
    }
    alert.update(fields)
    return alert


def test_api_json(tmp_path: Path) -> None:
    open_alert = api_alert("b2", status="open", priority="P4", teams=[])
    for key in ("closedAt", "acknowledgedAt", "owner"):
        del open_alert[key]
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps({"data": [api_alert("b1"), open_alert], "took": 0.1}), "utf-8")
    table = read_table(path)
    assert detect(table) is OPSGENIE
    assert OPSGENIE.mapping_for(prepare(table)) is API_JSON
    result = loader.load(path)
    assert result.quarantine.height == 0
    got = by_id(result)
    first = got["b1"]
    assert (first["state"], first["severity"]) == ("resolved", "SEV-2")
    assert first["teams"] == ["Storage", "Data"]
    assert first["declared"] == at(CREATED_MS)
    assert first["resolved"] == at(CREATED_MS + 90_000)
    second = got["b2"]
    assert (second["state"], second["severity"], second["resolved"]) == ("active", "SEV-4", None)
    assert (second["teams"], second["commander"]) == ([], None)


def test_api_json_without_any_closed_alert_still_loads(tmp_path: Path) -> None:
    alert = api_alert("c1", status="open")
    del alert["closedAt"]
    path = tmp_path / "open.json"
    path.write_text(json.dumps({"data": [alert]}), encoding="utf-8")
    got = loader.load(path).incidents.to_dicts()[0]
    assert (got["state"], got["resolved"]) == ("active", None)


@settings(max_examples=60, deadline=None)
@given(
    created=st.integers(min_value=10**11, max_value=10**13 - 1),
    duration=st.integers(min_value=0, max_value=10**10),
)
def test_epoch_milliseconds_round_trip(
    tmp_path_factory: pytest.TempPathFactory, created: int, duration: int
) -> None:
    closed = created + duration
    rows = [csv_row("a1", CreatedAt=str(created), ClosedAt=str(closed) if closed < 10**13 else "")]
    path = write_csv(tmp_path_factory.mktemp("og") / "alerts.csv", rows)
    got = loader.load(path).incidents.to_dicts()[0]
    assert got["declared"] == at(created)
    assert got["resolved"] == (at(closed) if closed < 10**13 else None)


@pytest.mark.parametrize("path", committed("opsgenie"))
def test_committed_sample(path: Path) -> None:
    result = loader.load(path)
    assert result.source == "opsgenie"
    assert_every_row_once(result)
    truth = truth_of(path)
    if truth is not None:
        assert_matches_truth(result, truth, ("declared", "resolved"))
