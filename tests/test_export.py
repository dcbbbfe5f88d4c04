"""Exported CSV is flat, ISO 8601 UTC, durations in seconds, and reads back to the same values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from ddinc.export import flatten_incidents, quarantine_path, write_csv
from ddinc.schema import CANONICAL_SCHEMA, empty_quarantine
from ddinc.timeline import with_timeline

T0 = datetime(2024, 1, 12, 15, 45, tzinfo=UTC)


def one_incident(**overrides: object) -> pl.DataFrame:
    row: dict[str, object] = dict.fromkeys(CANONICAL_SCHEMA.names())
    row.update(
        source="jira",
        source_id="OPS-1",
        source_file="x.csv",
        source_rows=[3],
        title='Disk full, "db-1"',
        state="resolved",
        severity="SEV-2",
        teams=["db", "storage"],
        services=[],
        declared=T0,
        resolved=T0 + timedelta(hours=2, microseconds=250),
        raw={"state": "Done", "severity": "High", "declared": "12/Jan/24 3:45 PM"},
        load_notes=[],
    )
    row.update(overrides)
    return with_timeline(pl.DataFrame([row], schema=CANONICAL_SCHEMA))


def test_flat_columns_and_formats() -> None:
    flat = flatten_incidents(one_incident()).row(0, named=True)
    assert flat["declared"] == "2024-01-12T15:45:00Z"
    assert flat["resolved"] == "2024-01-12T17:45:00.000250Z"
    assert flat["time_to_resolve_s"] == 7200.00025
    assert flat["teams"] == "db; storage"
    assert flat["services"] == ""
    assert flat["raw.severity"] == "High"
    assert flat["severity"] == "SEV-2"
    assert flat["detected"] is None


def test_written_csv_reads_back(tmp_path: Path) -> None:
    target = tmp_path / "out" / "cleaned.csv"
    written = write_csv(one_incident(), target, empty_quarantine())
    assert written == [target, tmp_path / "out" / "cleaned.quarantine.csv"]
    back = pl.read_csv(target, infer_schema=False)
    assert back.get_column("title").item() == 'Disk full, "db-1"'
    parsed = back.get_column("declared").str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_zone="UTC")
    assert parsed.item() == T0
    assert pl.read_csv(written[1]).columns == empty_quarantine().columns


def test_quarantine_path_sits_beside_the_export() -> None:
    assert quarantine_path("a/b/clean.csv") == Path("a/b/clean.quarantine.csv")
