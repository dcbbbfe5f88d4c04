"""Time zones: checking a zone name, and wall-clock time -> UTC with DST gaps and overlaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import polars as pl

from ddinc.errors import ConfigError

__all__ = ["checked_tz", "falses", "localize", "to_utc", "within_range"]

# What Python's datetime (and so to_dicts, to_html, every request model) can hold, as polars'
# microseconds since the epoch. polars holds wider years: year 10000 reaches a user as an
# OverflowError, or as "+10000-01-01" in an export.
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_US: Final = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
_MAX_US: Final = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


def falses(n: int) -> pl.Series:
    return pl.repeat(False, n, dtype=pl.Boolean, eager=True)


def localize(naive: pl.Series, tz: str) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Wall-clock time in ``tz`` -> (UTC instants, nonexistent, ambiguous)."""
    nonexistent, ambiguous = falses(len(naive)), falses(len(naive))
    if tz == "UTC":
        return naive.dt.replace_time_zone("UTC"), nonexistent, ambiguous
    # One full pass that nulls both DST troubles, then the (few) troubled rows again.
    local = naive.dt.replace_time_zone(tz, ambiguous="null", non_existent="null")
    trouble = naive.is_not_null() & local.is_null()
    if trouble.any():
        rows = trouble.arg_true()
        earliest = naive.gather(rows).dt.replace_time_zone(
            tz, ambiguous="earliest", non_existent="null"
        )
        local = local.scatter(rows, earliest)
        nonexistent = nonexistent.scatter(rows, earliest.is_null())
        ambiguous = ambiguous.scatter(rows, earliest.is_not_null())
    return local.dt.convert_time_zone("UTC"), nonexistent, ambiguous


def within_range(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``values`` (UTC) nulled outside the years 1-9999, and where that was done.

    A local time can leave the range only once converted: 9999-12-31 23:00 in New York is
    year 10000 in UTC, 0001-01-01 00:30 in Paris is year 0. So this runs after conversion.
    """
    micros = values.to_physical()
    outside = (micros.is_not_null() & ~micros.is_between(_MIN_US, _MAX_US)).alias("outside")
    if not outside.any():
        return values, outside
    return values.scatter(outside.arg_true(), None), outside


def to_utc(parsed: pl.Series, tz: str) -> tuple[pl.Series, pl.Series, pl.Series]:
    if parsed.dtype.time_zone is None:  # type: ignore[attr-defined]
        return localize(parsed, tz)
    return parsed, falses(len(parsed)), falses(len(parsed))


def checked_tz(tz: str) -> str:
    if not isinstance(tz, str) or not tz:
        raise ConfigError(f"tz must be an IANA time zone name such as 'Europe/London', not {tz!r}")
    try:
        pl.Series([None], dtype=pl.Datetime("us")).dt.replace_time_zone(tz)
    except pl.exceptions.PolarsError:
        raise ConfigError(
            f"unknown time zone {tz!r}: pass an IANA name such as 'UTC', 'Europe/London' "
            "or 'America/New_York'"
        ) from None
    return tz
