"""The committed samples in ``data/`` and their truth files, for the source tests.

A sample ``data/<name>.<ext>`` may have ``data/<name>.truth.csv`` beside it (written by
:mod:`ddinc.synth`): one row per record with its id, its 1-based data rows, its dirt tag and the
timestamps as the file states them, in UTC. Tests compare what a loader read with that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ddinc.loader import LoadResult
from tests.conftest import ROOT

DATA = ROOT / "data"
_SUFFIXES = {".csv", ".json", ".jsonl", ".xlsx", ".parquet"}


def committed(source: str) -> list[Any]:
    """Parameters for each committed sample of ``source`` (one skipping param when none)."""
    paths = sorted(
        path
        for path in DATA.glob(f"*{source}*")
        if path.suffix in _SUFFIXES and not path.name.endswith(".truth.csv")
    )
    if paths:
        return [pytest.param(path, id=path.name) for path in paths]
    reason = f"no committed {source} sample in {DATA} yet"
    return [pytest.param(None, id="absent", marks=pytest.mark.skip(reason=reason))]


def truth_of(path: Path) -> pl.DataFrame | None:
    """The truth frame of the sample at ``path``, or None when it has none."""
    truth_file = path.with_name(f"{path.stem}.truth.csv")
    if not truth_file.exists():
        return None
    times = ("impact_start", "detected", "declared", "resolved", "impact_end")
    raw = pl.read_csv(truth_file, infer_schema=False)
    return raw.with_columns(
        pl.col("source_rows").str.split(";").cast(pl.List(pl.Int64)),
        *(
            pl.col(name).str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_zone="UTC")
            for name in times
            if name in raw.columns
        ),
    )


def assert_every_row_once(result: LoadResult) -> None:
    """Every input row is in exactly one incident or in the quarantine."""
    rows = result.incidents.get_column("source_rows").explode().drop_nulls().to_list()
    rows += result.quarantine.get_column("source_row").to_list()
    assert sorted(rows) == list(range(1, result.rows_read + 1))


def assert_matches_truth(
    result: LoadResult, truth: pl.DataFrame, times: tuple[str, ...], *, event_log: bool = False
) -> None:
    """Each record with an id became incidents whose ``times`` equal the truth's.

    In an event log, two incidents sharing an id (``duplicate_id`` dirt) are one group of
    events to the loader: nothing can tell them apart, so they are left out of the comparison.
    """
    shared = (
        truth.filter(pl.col("source_id").is_not_null())
        .group_by("source_id")
        .agg(pl.col("key").n_unique().alias("n"))
        .filter(pl.col("n") > 1)
        .get_column("source_id")
        .to_list()
    )
    by_row: dict[int, dict[str, Any]] = {}
    for incident in result.incidents.to_dicts():
        for row in incident["source_rows"]:
            by_row[row] = incident
    quarantined = set(result.quarantine.get_column("source_row").to_list())
    for record in truth.to_dicts():
        rows = record["source_rows"]
        if record["source_id"] is None:
            assert set(rows) <= quarantined, f"record without id at rows {rows} was loaded"
            continue
        if event_log and record["source_id"] in shared:
            continue
        for row in rows:
            assert row in by_row, f"row {row} ({record['dirt']}) did not become an incident"
            incident = by_row[row]
            assert incident["source_id"] == record["source_id"].strip()
            for name in times:
                if any(_happened_twice(note, name) for note in incident["load_notes"]):
                    continue  # an ambiguous local time: the loader takes the earlier, noted
                assert incident[name] == record[name], (row, name, record["dirt"])


def _happened_twice(note: str, name: str) -> bool:
    return note.startswith(f"{name}: ") and "happened twice" in note
