"""Shared steps of the record-by-record writers (every source but the ServiceNow event log).

A writer :func:`prepare`\\ s the incidents (world + dirt + bent timestamps), renders one record
per incident with its own rules, then :func:`assemble`\\ s the records with their truth, which
appends the copies of ``duplicate`` records at the end, as concatenated exports do.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import polars as pl

from ddinc.synth._dirt import (
    DUPLICATE,
    DUPLICATE_ID,
    LONG_TITLE,
    MISSING_TITLE,
    NO_ID,
    DirtSpec,
    apply_time_dirt,
    assign_dirt,
    long_title,
)
from ddinc.synth._sample import finish_truth
from ddinc.synth._world import world

__all__ = [
    "T",
    "assemble",
    "csv_bytes",
    "dirty_ids",
    "dirty_titles",
    "dumps",
    "prepare",
    "random_token",
]

T = TypeVar("T")

_TIME_COLUMNS = ("impact_start", "detected", "declared", "resolved", "impact_end", "closed")


def prepare(
    source: str,
    seed: int,
    n: int,
    spec: DirtSpec,
    *,
    shifted: Sequence[str],
    precision: str = "1s",
) -> tuple[list[dict[str, Any]], random.Random]:
    """The ``n`` incidents of ``world(seed, n)`` with dirt, as dicts, and the writer's rng.

    Each dict holds the world's columns (timestamps as aware datetimes, bent by the dirt and
    truncated to ``precision``), ``dirt`` and ``hour_shift``. The rng is seeded from
    ``source`` and ``seed``, so two writers never share draws.
    """
    rng = random.Random(f"{source}:{seed}")
    frame = world(seed, n)
    shiftable = frame.select(pl.any_horizontal(pl.col(shifted).is_not_null())).to_series()
    tags = assign_dirt(rng, spec, frame["resolved"].is_not_null().to_list(), shiftable.to_list())
    frame = frame.with_columns(dirt=pl.Series(tags, dtype=pl.String))
    frame = apply_time_dirt(frame, rng, columns=_TIME_COLUMNS, shifted=shifted)
    frame = frame.with_columns(pl.col(c).dt.truncate(precision) for c in _TIME_COLUMNS)
    return frame.to_dicts(), rng


def dirty_ids(rng: random.Random, ids: list[str], tags: Sequence[str | None]) -> list[str | None]:
    """``ids`` with ``no_id`` records blanked and ``duplicate_id`` ones reusing a clean id."""
    clean = [i for i, tag in enumerate(tags) if tag is None]
    out: list[str | None] = list(ids)
    for i, tag in enumerate(tags):
        if tag == NO_ID:
            out[i] = None
        elif tag == DUPLICATE_ID and clean:
            out[i] = ids[rng.choice(clean)]
    return out


def dirty_titles(
    rng: random.Random, titles: list[str], tags: Sequence[str | None], missing: str = ""
) -> list[str]:
    """``titles`` with the ``missing_title`` one set to ``missing`` and ``long_title`` padded."""
    out = list(titles)
    for i, tag in enumerate(tags):
        if tag == MISSING_TITLE:
            out[i] = missing
        elif tag == LONG_TITLE:
            out[i] = long_title(out[i], rng)
    return out


def random_token(rng: random.Random, length: int, alphabet: str) -> str:
    """A random id such as Statuspage's ``tztj066g5m12``."""
    return "".join(rng.choices(alphabet, k=length))


def assemble(
    records: list[T],
    truth: Sequence[Mapping[str, Any]],
    timestamps: Mapping[str, str],
) -> tuple[list[T], pl.DataFrame]:
    """Records in file order, with ``duplicate`` copies appended, and the truth frame.

    Parameters
    ----------
    records
        One rendered record per incident, in file order.
    truth
        One mapping per record: ``source_id``, ``key``, ``dirt``, ``hour_shift`` and the
        written instants under canonical names.
    timestamps
        The canonical timestamps this source states (keys of the writer's ``TIMESTAMPS``);
        others are left null in the truth.
    """
    rows: list[list[int]] = [[i + 1] for i in range(len(records))]
    out = list(records)
    for i, row in enumerate(truth):
        if row["dirt"] == DUPLICATE:
            out.append(records[i])
            rows[i].append(len(out))
    frame = pl.DataFrame(
        {
            "source_id": pl.Series([r["source_id"] for r in truth], dtype=pl.String),
            "source_rows": pl.Series(rows, dtype=pl.List(pl.Int64)),
            "key": pl.Series([r["key"] for r in truth], dtype=pl.Int64),
            "dirt": pl.Series([r["dirt"] for r in truth], dtype=pl.String),
            "hour_shift": pl.Series([r["hour_shift"] for r in truth], dtype=pl.Int64),
            **{
                name: pl.Series([r.get(name) for r in truth], dtype=pl.Datetime("us", "UTC"))
                for name in timestamps
            },
        }
    )
    return out, finish_truth(frame)


def dumps(document: object) -> bytes:
    """JSON as the APIs write it: UTF-8, no ASCII escaping, newline at the end."""
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """A CSV file's bytes: ``header`` then ``rows``, ``\\n`` line ends, as legacy tools write."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()
