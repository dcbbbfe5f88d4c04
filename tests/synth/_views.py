"""What a test sees of a sample file, read with the test's own parsers, and shared checks.

Each per-source test reads its file into :class:`View`\\ s (one per data row or JSON record)
without using the generator's code, then :func:`check_against_truth` holds the file to what
the truth frame says was written, and :func:`check_dirt_rates` holds the truth to the
documented rates.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from ddinc.synth import Sample, planned_count, world

TIMES = ("impact_start", "detected", "declared", "resolved", "impact_end")


@dataclass
class View:
    """One record of a file, as the test read it."""

    id: str | None
    title: str | None
    severity: str | None
    stamps: dict[str, datetime | None]
    cells: list[str] = field(default_factory=list)  # every text value, for whitespace checks
    raw: Any = None  # the record as parsed, for equality of duplicates


def csv_table(data: bytes) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file, with Python's csv module (not polars, not ddinc)."""
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    header = next(reader)
    return header, list(reader)


def check_dirt_rates(sample: Sample) -> None:
    """Each tag sits on exactly as many incidents as its documented rate asks for."""
    counts = dict(sample.truth.group_by("dirt").len().iter_rows())
    n = sample.truth.height
    for tag, rate in sample.dirt.items():
        assert counts.get(tag, 0) == planned_count(rate, n), (tag, rate, n, counts.get(tag))
    assert set(counts) - {None} <= set(sample.dirt), "a tag that is not documented"


def check_against_truth(
    sample: Sample,
    views: list[View],
    stated: tuple[str, ...],
    *,
    vocabulary: set[str | None],
    seed: int = 7,
) -> None:
    """The file holds what the truth says, and each record's dirt is visible in it."""
    rows_in_truth = sorted(r for rows in sample.truth["source_rows"].to_list() for r in rows)
    assert rows_in_truth == list(range(1, len(views) + 1)), "every row belongs to one record"
    true = {row["key"]: row for row in world(seed, sample.truth.height).to_dicts()}
    ids: dict[str, set[int]] = {}
    for rec in sample.truth.to_dicts():
        if rec["source_id"] is not None:
            ids.setdefault(rec["source_id"], set()).add(rec["key"])
    for rec in sample.truth.to_dicts():
        view = views[rec["source_rows"][0] - 1]
        for name in stated:
            assert view.stamps[name] == rec[name], (rec["source_rows"], name, rec["dirt"])
        for name in set(TIMES) - set(stated):
            assert rec[name] is None, f"truth states {name}, which the file does not carry"
        _check_identity(rec, view, views, ids)
        _check_text(rec, view, vocabulary)
        _check_times(rec, stated, true[rec["key"]])


def _check_identity(
    rec: dict[str, Any], view: View, views: list[View], ids: dict[str, set[int]]
) -> None:
    tag = rec["dirt"]
    if tag == "no_id":
        assert not view.id
        assert rec["source_id"] is None
    else:
        assert view.id == rec["source_id"]
    if rec["source_id"] is not None:
        # An id is shared only by an incident and the one duplicate_id record reusing it.
        sharing = ids[rec["source_id"]]
        assert len(sharing) <= 2
        if tag == "duplicate_id":
            assert len(sharing) == 2
    # A duplicate's rows come twice: the record's own, then the same again further down.
    rows = rec["source_rows"]
    if tag == "duplicate":
        half = len(rows) // 2
        assert len(rows) == 2 * half
        assert rows[half] > rows[half - 1]
        for original, copy in zip(rows[:half], rows[half:], strict=True):
            assert views[original - 1].raw == views[copy - 1].raw
    else:
        assert rows == list(range(rows[0], rows[0] + len(rows)))


def _check_text(rec: dict[str, Any], view: View, vocabulary: set[str | None]) -> None:
    tag = rec["dirt"]
    if tag == "missing_title":
        assert view.title in ("", "?", None)
    elif tag == "long_title":
        assert len(view.title or "") > 1024
    else:
        assert view.title
        assert 0 < len(view.title.strip()) <= 1024
    if tag == "free_text_severity":
        assert view.severity not in vocabulary
    else:
        assert view.severity in vocabulary, (view.severity, tag)
    spaced = [cell for cell in view.cells if cell != cell.rstrip()]
    if tag == "trailing_space":
        assert spaced
    else:
        assert not spaced, (tag, spaced)


def _check_times(rec: dict[str, Any], stated: tuple[str, ...], true: dict[str, Any]) -> None:
    tag = rec["dirt"]
    times = [rec[name] for name in stated if rec[name] is not None]
    if tag == "backfilled":
        assert len(set(times)) == 1
        assert times[0].minute == 0
    if tag == "reversed":
        assert rec["resolved"] < rec["declared"]
    if tag != "hour_shift":
        assert rec["hour_shift"] == 0
        return
    assert rec["hour_shift"] != 0
    shift = timedelta(hours=rec["hour_shift"])
    world_times = [true[name] for name in TIMES if true[name] is not None]
    moved = [
        name
        for name in stated
        if rec[name] is not None
        and any(abs(rec[name] - shift - t) < timedelta(minutes=1) for t in world_times)
    ]
    assert moved, "no stated time moved by the shift"


def tagged(sample: Sample, tag: str) -> list[dict[str, Any]]:
    """Truth records carrying ``tag``."""
    return sample.truth.filter(pl.col("dirt") == tag).to_dicts()
