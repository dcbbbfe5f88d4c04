"""Shorthands shared by the timestamp tests: a String column parsed, one value read, UTC."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial

import polars as pl

from ddinc.timestamps import ParsedTimestamps, parse_timestamps

__all__ = ["only", "parse", "utc"]

utc = partial(datetime, tzinfo=UTC)


def parse(values: Sequence[str | None], **kwargs: object) -> ParsedTimestamps:
    return parse_timestamps(pl.Series("t", values, dtype=pl.String), **kwargs)  # type: ignore[arg-type]


def only(value: str, **kwargs: object) -> datetime | None:
    parsed = parse([value], **kwargs)
    assert parsed.invalid.to_list() == [False], f"{value!r} was flagged invalid"
    result: datetime | None = parsed.values[0]
    return result
