"""The data a recipe was made on, so that a replay can tell the wrong file from next week's.

A recipe names rows by key and by facet; on another dataset a facet still matches (every
ServiceNow row "fails title_missing"), so a recipe made for one export would silently rewrite
another. :class:`MadeOn` records the source, the row count, the SHA-256 of the sorted row keys
(what the data was, exactly) and a sample of :data:`SAMPLE_SIZE` row keys, the ones with the
smallest hashes: a uniform sample, from which :func:`shared_fraction` estimates the share of
the recipe's rows the new data holds with one ``is_in`` over the new keys (exact up to
:data:`SAMPLE_SIZE` rows; within a few percent above). Checking costs no sort and no hash of
the new data, so a replay on 1M rows does not pay for it.

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


def _keys(frame: pl.DataFrame) -> pl.Series:
    return frame.get_column(ROW_KEY).cast(pl.String).drop_nulls()


def _digest(keys: pl.Series) -> str:
    # One string for the whole column: a Python loop over 1M keys would cost a second.
    text = keys.sort().str.join("\n").item()
    return hashlib.sha256(str(text).encode("utf-8")).hexdigest()


def _sample(keys: pl.Series) -> list[str]:
    """The :data:`SAMPLE_SIZE` keys of smallest hash (a uniform sample, whatever the order).

    Which keys the hash picks may change with polars' version; the sample stays a uniform
    one, and checking only looks the sampled keys up, so an older recipe checks the same way.
    """
    hashed = pl.DataFrame({"key": keys, "hash": keys.hash(seed=0)})
    # Twice the sample first, so duplicate keys (each with the same hash) cannot shrink it.
    smallest = hashed.bottom_k(2 * SAMPLE_SIZE, by="hash").unique("key").sort("hash", "key")
    return smallest.get_column("key").head(SAMPLE_SIZE).to_list()


def sources_of(frame: pl.DataFrame) -> str:
    """The sources of ``frame``'s rows, sorted and ``", "``-joined (``""`` when unknown)."""
    if "source" not in frame.columns:
        return ""
    return ", ".join(sorted(frame.get_column("source").cast(pl.String).drop_nulls().unique()))


def fingerprint(frame: pl.DataFrame) -> MadeOn:
    """The fingerprint of ``frame`` (a canonical frame with ``row_key``)."""
    keys = _keys(frame)
    return MadeOn(
        source=sources_of(frame),
        rows=frame.height,
        keys_sha256=_digest(keys),
        key_sample=_sample(keys),
    )


def shared_fraction(made_on: MadeOn, frame: pl.DataFrame) -> float:
    """The share (0 to 1) of the recipe's rows that ``frame`` holds, estimated from the sample.

    A recipe made on no rows fits any data (1.0).
    """
    if not made_on.key_sample:
        return 1.0 if made_on.rows == 0 else 0.0
    sample = pl.Series(made_on.key_sample, dtype=pl.String).unique()
    # The new keys looked up in the small sample, not the other way round: no 1M-key set.
    keys = _keys(frame)
    found = keys.filter(keys.is_in(sample.implode())).n_unique()
    return found / sample.len()
