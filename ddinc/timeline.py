"""Timeline durations as composable polars expressions.

Definitions follow Datadog's incident analytics:

- time to detect  = detected   - impact_start
- time to declare = declared   - detected
- time to resolve = resolved   - declared
- time to repair  = impact_end - detected

A missing timestamp gives a missing duration, never zero. Negative durations are kept: they
are reversed intervals, which :mod:`ddinc.checks` reports rather than hides.

>>> from datetime import datetime, timezone
>>> t = lambda h: datetime(2024, 1, 1, h, tzinfo=timezone.utc)
>>> frame = pl.DataFrame({"detected": [t(10), None], "declared": [t(12), t(13)]})
>>> frame.select(time_to_declare().dt.total_hours())
shape: (2, 1)
┌─────────────────┐
│ time_to_declare │
│ ---             │
│ i64             │
╞═════════════════╡
│ 2               │
│ null            │
└─────────────────┘
"""

from __future__ import annotations

from typing import Final

import polars as pl

from ddinc.schema import DURATIONS

__all__ = [
    "DEFINITIONS",
    "time_to_declare",
    "time_to_detect",
    "time_to_repair",
    "time_to_resolve",
    "timeline_durations",
    "timeline_summary",
    "with_timeline",
]

# duration name -> (from timestamp, to timestamp)
DEFINITIONS: Final[dict[str, tuple[str, str]]] = {
    "time_to_detect": ("impact_start", "detected"),
    "time_to_declare": ("detected", "declared"),
    "time_to_resolve": ("declared", "resolved"),
    "time_to_repair": ("detected", "impact_end"),
}
if tuple(DEFINITIONS) != DURATIONS:  # pragma: no cover - guards the schema
    raise RuntimeError("timeline definitions and schema durations disagree")


def _between(name: str) -> pl.Expr:
    start, end = DEFINITIONS[name]
    return (pl.col(end) - pl.col(start)).cast(pl.Duration("us")).alias(name)


def time_to_detect() -> pl.Expr:
    """``detected - impact_start``, named ``time_to_detect``."""
    return _between("time_to_detect")


def time_to_declare() -> pl.Expr:
    """``declared - detected``, named ``time_to_declare``."""
    return _between("time_to_declare")


def time_to_resolve() -> pl.Expr:
    """``resolved - declared``, named ``time_to_resolve``."""
    return _between("time_to_resolve")


def time_to_repair() -> pl.Expr:
    """``impact_end - detected``, named ``time_to_repair``."""
    return _between("time_to_repair")


def timeline_durations() -> list[pl.Expr]:
    """All four durations, in canonical order."""
    return [_between(name) for name in DURATIONS]


def with_timeline(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its four duration columns (re)computed from its timestamps.

    Call it after any edit of a timestamp so that durations never go stale.
    """
    return frame.with_columns(timeline_durations())


SUMMARY_QUANTILES: Final = (0.5, 0.75, 0.9, 0.95)


def timeline_summary(incidents: pl.DataFrame) -> pl.DataFrame:
    """Per duration: how many incidents it could be measured from, and its percentiles in seconds.

    Plain sample percentiles for a first look; :mod:`ddinc.stats` adds confidence intervals.
    Negative durations (reversed intervals) are counted, not hidden: see the checks.
    """
    rows = []
    for name in DURATIONS:
        seconds = (
            incidents.get_column(name).dt.total_seconds(fractional=True).drop_nulls()
            if name in incidents.columns
            else pl.Series(name, [], dtype=pl.Float64)
        )
        row: dict[str, object] = {
            "duration": name,
            "measured": seconds.len(),
            "of": incidents.height,
            "negative": int((seconds < 0).sum()),
        }
        for q in SUMMARY_QUANTILES:
            value = seconds.quantile(q, interpolation="linear") if seconds.len() else None
            row[f"p{round(q * 100)}_s"] = value
        rows.append(row)
    return pl.DataFrame(rows)
