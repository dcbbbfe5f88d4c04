"""Opsgenie samples: the alert CSV (epoch milliseconds) and the API JSON of the same alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ddinc.errors import ConfigError
from ddinc.synth import NULL_SPELLINGS, opsgenie_csv, opsgenie_json, write_opsgenie
from tests.synth._views import View, check_against_truth, check_dirt_rates, csv_table, tagged

PRIORITIES: set[str | None] = {"P1", "P2", "P3", "P4", "P5"}
HEADER = [
    "AlertId", "TinyId", "Alias", "Message", "Description", "Status", "Priority", "Source",
    "Owner", "Teams", "Tags", "CreatedAt", "UpdatedAt", "AcknowledgedAt", "ClosedAt",
    "AcknowledgedBy", "ClosedBy",
]  # fmt: skip
JSON_KEYS = {
    "id", "tinyId", "alias", "message", "description", "status", "priority", "source", "owner",
    "teams", "tags", "createdAt", "updatedAt", "acknowledgedAt", "closedAt", "acknowledgedBy",
    "closedBy",
}  # fmt: skip


def at(ms: int | str | None) -> datetime | None:
    if ms in (None, ""):
        return None
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


def test_csv_holds_what_its_truth_says() -> None:
    sample = opsgenie_csv(80)
    header, rows = csv_table(sample.data)
    assert header == HEADER
    records = [dict(zip(header, row, strict=True)) for row in rows]
    for record in records:
        for column in ("CreatedAt", "UpdatedAt", "AcknowledgedAt", "ClosedAt"):
            value = record[column]
            assert value == "" or (value.isdigit() and len(value) == 13), (column, value)
        assert record["Status"] in ("open", "acked", "closed")
    views = [
        View(
            id=r["AlertId"] or None,
            title=r["Message"],
            severity=r["Priority"],
            stamps={"declared": at(r["CreatedAt"]), "resolved": at(r["ClosedAt"])},
            cells=[r["Message"], r["Owner"], *r["Teams"].split(",")],
            raw=r,
        )
        for r in records
    ]
    check_dirt_rates(sample)
    check_against_truth(sample, views, ("declared", "resolved"), vocabulary=PRIORITIES)
    for rec in tagged(sample, "null_spelling"):
        record = records[rec["source_rows"][0] - 1]
        assert record["Owner"] in NULL_SPELLINGS
        assert record["Description"] in NULL_SPELLINGS
    for rec in tagged(sample, "display_name"):
        assert "@" not in records[rec["source_rows"][0] - 1]["Owner"]
    clean = [records[rec["source_rows"][0] - 1] for rec in tagged(sample, "reversed")]
    assert all("@" in record["Owner"] or not record["Owner"] for record in clean)
    assert any("," in record["Teams"] for record in records), "a multi-team cell"


def test_json_is_the_same_alerts() -> None:
    sample = opsgenie_json(80)
    alerts = json.loads(sample.data)["data"]
    _, rows = csv_table(opsgenie_csv(80).data)
    assert len(alerts) == len(rows)
    for alert, row in zip(alerts, rows, strict=True):
        assert set(alert) == JSON_KEYS
        assert alert["createdAt"] == int(row[11])
        assert alert["closedAt"] == (int(row[14]) if row[14] else None)
        assert isinstance(alert["tags"], list)
        assert all(set(team) == {"name"} for team in alert["teams"])
    assert sample.truth.equals(opsgenie_csv(80).truth)


def test_writer_refuses_other_suffixes(tmp_path: Path) -> None:
    assert "data" in json.loads(write_opsgenie(tmp_path / "o.json", n_incidents=5).read_bytes())
    with pytest.raises(ConfigError, match=r"\.csv or \.json"):
        write_opsgenie(tmp_path / "o.jsonl")
