"""Exported CSV: flat, failing checks per row, Excel's BOM, and never an input overwritten."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import ddinc
from ddinc.errors import ConfigError
from ddinc.export import failing_check_names, flatten_incidents, write_csv
from ddinc.schema import CANONICAL_SCHEMA, empty_quarantine
from ddinc.sources.canonical_csv import FAILING_CHECKS, quarantine_path
from ddinc.timeline import with_timeline

T0 = datetime(2024, 1, 12, 15, 45, tzinfo=UTC)


def one_incident(**overrides: object) -> pl.DataFrame:
    row: dict[str, object] = dict.fromkeys(CANONICAL_SCHEMA.names())
    row.update(
        row_key="jira:OPS-1",
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
    # Exact decimal seconds: 2 h and 250 microseconds.
    assert flat["time_to_resolve_s"] == "7200.00025"
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
    assert_frame_equal(ddinc.load(target).incidents, one_incident())


def test_quarantine_path_sits_beside_the_export() -> None:
    assert quarantine_path("a/b/clean.csv") == Path("a/b/clean.quarantine.csv")


def test_excel_option_writes_a_bom_and_reads_back(tmp_path: Path) -> None:
    target = tmp_path / "cleaned.csv"
    write_csv(one_incident(title="Café ☕"), target, empty_quarantine(), excel=True)
    assert target.read_bytes().startswith(b"\xef\xbb\xbfrow_key,")
    assert quarantine_path(target).read_bytes().startswith(b"\xef\xbb\xbf")
    assert_frame_equal(ddinc.load(target).incidents, one_incident(title="Café ☕"))


# --- failing checks per row ------------------------------------------------------------------


def test_each_row_names_the_checks_it_fails(tmp_path: Path) -> None:
    # One incident without a title, one resolved before it was declared, one clean.
    frame = pl.concat(
        [
            one_incident(row_key="a", source_id="A", title=None),
            one_incident(row_key="b", source_id="B", resolved=T0 - timedelta(hours=1)),
            one_incident(row_key="c", source_id="C"),
        ]
    )
    report = ddinc.run_checks(frame)
    target = tmp_path / "cleaned.csv"
    write_csv(frame, target, report=report)
    written = pl.read_csv(target, infer_schema=False)
    assert written.columns[:2] == ["row_key", FAILING_CHECKS]
    names = dict(written.select("row_key", FAILING_CHECKS).iter_rows())
    # Independently of the helper: every (row, check) pair of report.failing() is in the cell.
    expected: dict[str, list[str]] = {"a": [], "b": [], "c": []}
    for check in report.counts().get_column("check"):
        failing = report.failing(check)
        keys = (
            failing.get_column("row_key").to_list()
            if "row_key" in failing.columns  # reports that name rows by key
            else [frame.get_column("row_key")[row] for row in failing.get_column("row")]
        )
        for key in keys:
            expected[key].append(check)
    assert expected["a"]
    assert expected["b"]
    for key, checks in expected.items():
        assert (names[key] or "").split("; ") == (checks or [""]), key
    # The column is derived: dropped on reading, the frame comes back as it was.
    assert_frame_equal(ddinc.load(target).incidents, frame)


def test_failing_check_names_is_empty_for_clean_rows() -> None:
    frame = one_incident()
    names = failing_check_names(frame, ddinc.run_checks(frame))
    assert names.name == FAILING_CHECKS
    assert names.dtype == pl.List(pl.String)
    assert names.len() == 1


# --- where the export goes ------------------------------------------------------------------------


@pytest.mark.parametrize("beside", [False, True])
def test_an_input_is_never_overwritten(tmp_path: Path, beside: bool) -> None:
    source = tmp_path / ("q.quarantine.csv" if beside else "in.csv")
    source.write_text("original", encoding="utf-8")
    # -o in.csv overwrites the input; -o q.csv would put its quarantine over q.quarantine.csv.
    target = tmp_path / ("q.csv" if beside else "in.csv")
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        write_csv(one_incident(), target, empty_quarantine(), inputs=[source])
    assert source.read_text(encoding="utf-8") == "original"


def test_an_input_reached_through_a_symlink_is_not_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("original", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        write_csv(one_incident(), link, inputs=[source])
    assert source.read_text(encoding="utf-8") == "original"


def test_a_directory_as_target_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory; name the CSV file"):
        write_csv(one_incident(), tmp_path)


def test_a_target_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        write_csv(one_incident(), blocker / "out" / "cleaned.csv")


def test_a_path_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / ("x" * 300 + ".csv")
    with pytest.raises(ConfigError, match=r"cannot write the export \(File name too long\)"):
        write_csv(one_incident(), target)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="Permission denied"):
            write_csv(one_incident(), folder / "cleaned.csv")
    finally:
        folder.chmod(0o700)
