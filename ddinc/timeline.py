"""Timeline durations as composable polars expressions.

Definitions follow Datadog's incident analytics:

- time to detect  = detected   - impact_start
- time to declare = declared   - detected
- time to resolve = resolved   - declared
- time to repair  = impact_end - detected

A missing timestamp gives a missing duration, never zero. Negative durations are kept: they
are reversed intervals, which :mod:`ddinc.checks` reports rather than hides.

Two delays sit beside the four durations, outside the canonical schema, because most legacy
tools record when impact started and when the incident was declared but never a detection
time: ``impact_to_declare`` (declared - impact_start) and ``impact_to_resolve`` (resolved -
impact_start). The six together are the *phases* that :mod:`ddinc.stats` reports.

Some durations are not real measurements: a back-filled record whose timestamps are all equal
has zero durations by construction, and a reversed interval gives a negative one.
:func:`duration_exclusions` names, per phase and row, why a duration is left out of
statistics; the checks and the statistics share that one definition.

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

from ddinc.errors import ConfigError
from ddinc.schema import DURATIONS, TIMESTAMPS

__all__ = [
    "DEFINITIONS",
    "DELAYS",
    "EXCLUSION_REASONS",
    "PHASES",
    "PHASE_DEFINITIONS",
    "REVERSED",
    "SUMMARY_QUANTILES",
    "ZERO_LENGTH",
    "duration_exclusions",
    "impact_to_declare",
    "impact_to_resolve",
    "phase",
    "time_to_declare",
    "time_to_detect",
    "time_to_repair",
    "time_to_resolve",
    "timeline_durations",
    "timeline_summary",
    "with_timeline",
    "zero_length",
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


# Delays from the start of impact, reported beside the four durations (not in the schema).
DELAYS: Final[dict[str, tuple[str, str]]] = {
    "impact_to_declare": ("impact_start", "declared"),
    "impact_to_resolve": ("impact_start", "resolved"),
}
PHASE_DEFINITIONS: Final[dict[str, tuple[str, str]]] = {**DEFINITIONS, **DELAYS}
PHASES: Final = tuple(PHASE_DEFINITIONS)
"""The six phases statistics report: the four durations, then the two delays."""

ZERO_LENGTH: Final = "zero_length_incident"
REVERSED: Final = "reversed_interval"
EXCLUSION_REASONS: Final = (ZERO_LENGTH, REVERSED)
"""Why a duration can be left out of statistics, named after the checks that flag it."""


def _between(name: str) -> pl.Expr:
    start, end = PHASE_DEFINITIONS[name]
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


def impact_to_declare() -> pl.Expr:
    """``declared - impact_start``, named ``impact_to_declare``."""
    return _between("impact_to_declare")


def impact_to_resolve() -> pl.Expr:
    """``resolved - impact_start``, named ``impact_to_resolve``."""
    return _between("impact_to_resolve")


def phase(name: str) -> pl.Expr:
    """The phase ``name`` (one of :data:`PHASES`) computed from the timestamps.

    >>> phase("impact_to_resolve").meta.output_name()
    'impact_to_resolve'
    """
    if name not in PHASE_DEFINITIONS:
        raise ConfigError(f"no phase {name!r}; phases are {', '.join(PHASES)}")
    return _between(name)


def zero_length() -> pl.Expr:
    """True where at least two timestamps are present and all of them are equal.

    The mark of a back-filled record (``zero_length_incident`` in :mod:`ddinc.checks`): its
    durations are zero by construction, not measured.
    """
    present = pl.sum_horizontal([pl.col(name).is_not_null().cast(pl.Int32) for name in TIMESTAMPS])
    return (present >= 2) & (pl.min_horizontal(TIMESTAMPS) == pl.max_horizontal(TIMESTAMPS))


def duration_exclusions(phases: tuple[str, ...] = PHASES) -> dict[str, pl.Expr]:
    """Per phase, why each row's duration is left out of statistics, or null to keep it.

    The reason is ``"zero_length_incident"`` for a measured duration of a back-filled record
    (see :func:`zero_length`) and ``"reversed_interval"`` for a negative duration. A missing
    duration has no reason here: it is missing, not left out. Each expression is named after
    its phase and needs the five timestamp columns.

    >>> from datetime import datetime, timezone
    >>> t = lambda h: datetime(2024, 1, 1, h, tzinfo=timezone.utc)
    >>> frame = pl.DataFrame(
    ...     {"impact_start": [None, None, None], "detected": [None, None, None],
    ...      "declared": [t(9), t(9), t(9)], "resolved": [t(11), t(9), t(8)],
    ...      "impact_end": [None, None, None]},
    ...     schema={name: pl.Datetime("us", "UTC") for name in TIMESTAMPS},
    ... )
    >>> frame.select(duration_exclusions(("time_to_resolve",))["time_to_resolve"])["time_to_resolve"].to_list()
    [None, 'zero_length_incident', 'reversed_interval']
    """  # noqa: E501
    reasons = {}
    for name in phases:
        span = phase(name)
        reasons[name] = (
            pl.when(span.is_not_null() & zero_length())
            .then(pl.lit(ZERO_LENGTH))
            .when(span < pl.duration(microseconds=0))
            .then(pl.lit(REVERSED))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias(name)
        )
    return reasons


SUMMARY_QUANTILES: Final = (0.5, 0.75, 0.9, 0.95)


def _conformed(incidents: pl.DataFrame) -> pl.DataFrame:
    """``incidents`` with every timestamp column present (absent ones as null UTC)."""
    missing = [name for name in TIMESTAMPS if name not in incidents.columns]
    return incidents.with_columns(
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias(name) for name in missing
    )


def timeline_summary(incidents: pl.DataFrame, *, include_unreal: bool = False) -> pl.DataFrame:
    """Per phase: how many incidents it was measured from, what was left out, percentiles.

    One row per phase of :data:`PHASES`: the four Datadog durations, then the delays from
    impact start to declaration and to resolution (labelled rows of their own, so they show
    whatever the source records about detection). Durations are recomputed from the
    timestamps. By default the durations that are not real (see :func:`duration_exclusions`)
    are left out of the percentiles and counted in ``left_out`` with their reasons;
    ``include_unreal=True`` puts them back (``left_out`` is then 0).

    Columns: ``duration``, ``measured`` (values behind the percentiles), ``of`` (incidents),
    ``missing`` (a timestamp absent), ``left_out``, ``left_out_reasons`` (e.g.
    ``"3 zero_length_incident; 1 reversed_interval"``, empty when none), ``negative`` (negative
    values among those measured), then ``p50_s`` .. ``p95_s`` in seconds (null when nothing
    was measured). Plain sample percentiles for a first look: :mod:`ddinc.stats` adds
    confidence intervals.
    """
    work = _conformed(incidents)
    exclusions = duration_exclusions()
    frame = work.select(
        *(phase(name).dt.total_seconds(fractional=True).alias(name) for name in PHASES),
        *(exclusions[name].alias(f"{name}__why") for name in PHASES),
    )
    rows = []
    for name in PHASES:
        seconds, why = frame.get_column(name), frame.get_column(f"{name}__why")
        measured = seconds.is_not_null()
        left_out = measured & why.is_not_null() & (not include_unreal)
        kept = seconds.filter(measured & ~left_out)
        counts = (
            why.filter(left_out)
            .value_counts(name="n")
            .sort(["n", why.name], descending=[True, False])
        )
        reasons = "; ".join(f"{n} {reason}" for reason, n in counts.iter_rows())
        row: dict[str, object] = {
            "duration": name,
            "measured": kept.len(),
            "of": work.height,
            "missing": int((~measured).sum()),
            "left_out": int(left_out.sum()),
            "left_out_reasons": reasons,
            "negative": int((kept < 0).sum()),
        }
        for q in SUMMARY_QUANTILES:
            value = kept.quantile(q, interpolation="linear") if kept.len() else None
            row[f"p{round(q * 100)}_s"] = value
        rows.append(row)
    schema: dict[str, pl.DataType] = {
        "duration": pl.String(),
        **{name: pl.Int64() for name in ("measured", "of", "missing", "left_out")},
        "left_out_reasons": pl.String(),
        "negative": pl.Int64(),
        **{f"p{round(q * 100)}_s": pl.Float64() for q in SUMMARY_QUANTILES},
    }
    return pl.DataFrame(rows, schema=schema, orient="row")
