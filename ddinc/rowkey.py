"""The row key: how every later step (checks, cleaning, push, ledger) names an incident.

A row key is built from what the legacy system itself calls the record, never from where the
row sits in a file, so that next week's export of the same system gives the same keys:

- ``"<source>:<source id>"``, e.g. ``"servicenow:INC0010042"``;
- an id that occurs more than once in one load (the ``duplicate_source_id`` check flags it) is
  told apart by a digest of the record's own text: ``"servicenow:INC0010042~3f9a0c2b1d"``.
  Two duplicates with identical text as well get ``#2``, ``#3``... in file order: nothing in the
  records can tell them apart, and being identical, which one gets which key does not matter;
- a record without an id (only possible for frames built by hand) is keyed by its digest:
  ``"spreadsheet:~3f9a0c2b1d"``.

The digest is SHA-256 (not polars' ``hash``, whose values change between polars versions).

>>> frame = pl.DataFrame(
...     {"source": ["jira", "jira", "jira"], "source_id": ["OPS-1", "OPS-2", "OPS-2"],
...      "title": ["Disk full", "DNS", "DNS down"]}
... )
>>> with_row_keys(frame).get_column("row_key").to_list()
['jira:OPS-1', 'jira:OPS-2~a8bdeaba30', 'jira:OPS-2~096d78c7f6']
"""

from __future__ import annotations

import hashlib
import json
from typing import Final

import polars as pl

__all__ = ["ROW_KEY", "row_keys", "with_row_keys"]

ROW_KEY: Final = "row_key"
_DIGEST_LENGTH: Final = 10
# What a record says about itself: its id as written, its title, the raw text of its values.
_CONTENT: Final = ("source_id", "title", "raw")


def _digest(record: dict[str, object]) -> str:
    text = json.dumps(record, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_DIGEST_LENGTH]


def row_keys(frame: pl.DataFrame) -> pl.Series:
    """The row key of every row of a canonical ``frame`` (needs ``source`` and ``source_id``)."""
    base = pl.format("{}:{}", pl.col("source").fill_null(""), pl.col("source_id").fill_null(""))
    plain = frame.select(base.alias(ROW_KEY)).get_column(ROW_KEY)
    blank = frame.select(
        pl.col("source_id").is_null() | (pl.col("source_id").str.strip_chars() == "")
    ).to_series()
    ambiguous = plain.is_duplicated() | blank
    if not ambiguous.any():
        return plain
    content = [name for name in _CONTENT if name in frame.columns]
    positions = ambiguous.arg_true().to_list()
    records = frame[positions].select(content).to_dicts() if content else [{}] * len(positions)
    keys = plain.to_list()
    for position, record in zip(positions, records, strict=True):
        stem = keys[position] if not blank[position] else f"{frame['source'][position] or ''}:"
        keys[position] = f"{stem}~{_digest(record)}"
    # Identical text as well: number them in file order (nothing else tells them apart).
    seen: dict[str, int] = {}
    for position in positions:
        key = keys[position]
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            keys[position] = f"{key}#{seen[key]}"
    return pl.Series(ROW_KEY, keys, dtype=pl.String)


def with_row_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its ``row_key`` column (re)computed, as the first column."""
    keys = row_keys(frame)
    rest = [name for name in frame.columns if name != ROW_KEY]
    return frame.with_columns(keys).select(ROW_KEY, *rest)
