"""A rendered sample: the bytes of one legacy export and the truth about every record in it.

The truth frame (:data:`TRUTH_SCHEMA`) has one row per incident record the file holds, in
file order, so a loader test can compare what it read with what was written:

- ``source_id``: the id as written (``None`` for a ``no_id`` record);
- ``source_rows``: the 1-based data rows (CSV: header not counted; JSON: position in the list)
  that hold the record; several for an event log, two for a ``duplicate``;
- ``key``: the :func:`~ddinc.synth.world` incident it renders;
- ``dirt``: the dirt tag of the record (see :mod:`ddinc.synth._dirt`), or ``None``;
- ``hour_shift``: hours the record's typed times are off by (0 unless ``hour_shift``);
- the canonical timestamps *as the file states them*, in UTC, after dirt and at the file's
  precision (``None`` where the file has no value, or holds a local time that does not exist).
  Which legacy column feeds which timestamp is each writer module's ``TIMESTAMPS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import polars as pl

from ddinc.schema import TIMESTAMPS, Timestamp

__all__ = ["TRUTH_SCHEMA", "Sample", "finish_truth", "truth_path", "write_truth"]

TRUTH_SCHEMA: Final = pl.Schema(
    {
        "source_id": pl.String(),
        "source_rows": pl.List(pl.Int64()),
        "key": pl.Int64(),
        "dirt": pl.String(),
        "hour_shift": pl.Int64(),
        **dict.fromkeys(TIMESTAMPS, Timestamp),
    }
)


def truth_path(path: Path) -> Path:
    """Where the truth of the sample at ``path`` is written: ``<stem>.truth.csv`` beside it.

    >>> truth_path(Path("data/x.csv")).as_posix()
    'data/x.truth.csv'
    """
    return path.with_name(f"{path.stem}.truth.csv")


@dataclass(frozen=True)
class Sample:
    """One rendered export, ready to write.

    Attributes
    ----------
    source
        The ddinc source name that reads it (``servicenow``, ``statuspage``, ...).
    data
        The file's bytes.
    truth
        One row per incident record, :data:`TRUTH_SCHEMA`.
    dirt
        The dirt rates the sample was made with (tag -> rate or count).
    """

    source: str
    data: bytes
    truth: pl.DataFrame
    dirt: Mapping[str, float | int] = field(default_factory=dict)

    def write(self, path: Path, *, truth: bool = False) -> Path:
        """Write the file to ``path`` (and its truth beside it when asked); return ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.data)
        if truth:
            write_truth(self.truth, truth_path(path))
        return path


def write_truth(truth: pl.DataFrame, path: Path) -> Path:
    """Write a truth frame as CSV: rows joined by ``;``, times ISO 8601 with ``Z``."""
    flat = truth.with_columns(
        pl.col("source_rows").cast(pl.List(pl.String)).list.join(";"),
        *(pl.col(name).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ") for name in TIMESTAMPS),
    )
    flat.write_csv(path)
    return path


def finish_truth(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` reduced to :data:`TRUTH_SCHEMA`, adding missing timestamps as nulls."""
    missing = [
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in TRUTH_SCHEMA.items()
        if name not in frame.columns
    ]
    return frame.with_columns(missing).select(TRUTH_SCHEMA.names()).cast(TRUTH_SCHEMA)
