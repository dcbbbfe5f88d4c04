"""Time zones: checking a zone name, and wall-clock time -> UTC with DST gaps and overlaps."""

from __future__ import annotations

import polars as pl

from ddinc.errors import ConfigError

__all__ = ["checked_tz", "falses", "localize", "to_utc"]


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
