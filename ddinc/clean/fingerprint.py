"""The data a recipe was made on, so that a replay can tell the wrong file from next week's.

A recipe names rows by key and by facet; on another dataset a facet still matches (every
ServiceNow row "fails title_missing"), so a recipe made for one export would silently rewrite
another. :class:`MadeOn` records the source, the row count and a digest of the row keys: the
SHA-256 of the sorted keys (the same data, exactly) and an evenly spaced sample of the sorted
keys, from which :func:`shared_fraction` estimates how many of the recipe's rows the new
data holds without storing every key (the sample is exact up to :data:`SAMPLE_SIZE` rows).

>>> import polars as pl
>>> frame = pl.DataFrame({"row_key": ["jira:OPS-1", "jira:OPS-2"], "source": ["jira"] * 2})
>>> made_on = fingerprint(frame)
>>> made_on.rows, made_on.source, shared_fraction(made_on, frame)
(2, 'jira', 1.0)
>>> shared_fraction(made_on, frame.head(1))
0.5
"""

from __future__ import annotations

import hashlib
from typing import Final

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from ddinc.rowkey import ROW_KEY

__all__ = ["SAMPLE_SIZE", "MadeOn", "fingerprint", "shared_fraction", "sources_of"]

SAMPLE_SIZE: Final = 256
"""Row keys a recipe keeps as its sample (an estimate within a few percent above this)."""


class MadeOn(BaseModel):
    """What a recipe was made on: source(s), row count, a digest and a sample of the row keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    source: str
    rows: int = Field(ge=0)
    keys_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    key_sample: list[str] = Field(max_length=SAMPLE_SIZE)

    def describe(self) -> str:
        """One line: what the recipe was made on."""
        return f"{self.rows} row(s) of {self.source or 'an unnamed source'}"


def _sorted_keys(frame: pl.DataFrame) -> pl.Series:
    return frame.get_column(ROW_KEY).cast(pl.String).drop_nulls().unique().sort()


def _digest(keys: pl.Series) -> str:
    # One string for the whole column: a Python loop over 1M keys would cost a second.
    return hashlib.sha256(keys.str.join("\n").item().encode("utf-8")).hexdigest()


def sources_of(frame: pl.DataFrame) -> str:
    """The sources of ``frame``'s rows, sorted and ``", "``-joined (``""`` when unknown)."""
    if "source" not in frame.columns:
        return ""
    return ", ".join(sorted(frame.get_column("source").cast(pl.String).drop_nulls().unique()))


def fingerprint(frame: pl.DataFrame) -> MadeOn:
    """The fingerprint of ``frame`` (a canonical frame with ``row_key``)."""
    keys = _sorted_keys(frame)
    if keys.len() <= SAMPLE_SIZE:
        sample = keys.to_list()
    else:
        step = keys.len() / SAMPLE_SIZE
        sample = keys.gather([int(i * step) for i in range(SAMPLE_SIZE)]).to_list()
    return MadeOn(
        source=sources_of(frame),
        rows=frame.height,
        keys_sha256=_digest(keys),
        key_sample=sample,
    )


def shared_fraction(made_on: MadeOn, frame: pl.DataFrame) -> float:
    """The share (0 to 1) of the recipe's rows that ``frame`` holds, estimated from the sample.

    1.0 when the keys are exactly those the recipe was made on.
    """
    if not made_on.key_sample:
        return 1.0 if made_on.rows == 0 else 0.0
    keys = _sorted_keys(frame)
    if _digest(keys) == made_on.keys_sha256:
        return 1.0
    sample = pl.Series(made_on.key_sample, dtype=pl.String)
    return float(sample.is_in(keys.implode()).sum()) / sample.len()
