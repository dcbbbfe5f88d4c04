"""Checks on one incident's timeline: order, range, back-filled and shifted times, outliers.

Every timestamp is compared as a UTC instant; durations come from :mod:`ddinc.timeline`
(recomputed by :func:`ddinc.checks.run_checks`). Decisions worth knowing:

- ``reversed_interval`` (ERROR) covers every span that would be negative: the four durations
  and the impact window (``impact_end`` before ``impact_start``). ``timestamps_out_of_order``
  (WARNING) covers the other pairs of ``impact_start <= detected <= declared <= resolved``
  that have only missing timestamps between them, so one slip is reported once.
- ``whole_hour_offset`` is a hint, not a verdict: it fires on a negative span of 1..14 whole
  hours (within a minute), or on a positive one when most of a source's incidents share the
  same whole-hour value for that span (two columns written in different zones).
- Outliers are judged per duration column over the whole frame, on log seconds of the
  positive values; zero and negative spans belong to other checks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import polars as pl

from ddinc.checks._text import duration_text, join_when, literal_texts, timestamp_text
from ddinc.checks.model import Check, CheckContext, Level
from ddinc.errors import ConfigError
from ddinc.schema import DURATIONS, TIMESTAMPS
from ddinc.timeline import DEFINITIONS

__all__ = [
    "OUTLIER_CHECKS",
    "REVERSED_INTERVAL",
    "TIMELINE_CHECKS",
    "TIMESTAMPS_OUT_OF_ORDER",
    "TIMESTAMP_IN_FUTURE",
    "TIMESTAMP_TOO_OLD",
    "WHOLE_HOUR_OFFSET",
    "ZERO_LENGTH_INCIDENT",
    "outlier_check",
]

_US_PER_SECOND: Final = 1_000_000
_US_PER_HOUR: Final = 3_600 * _US_PER_SECOND
# Guard for the outlier threshold: past this many seconds (~285,000 years) a duration cannot
# be represented in microseconds, so the threshold is capped rather than overflowing.
_MAX_SECONDS: Final = 9.0e12

# (label, start, end): every span that must not be negative.
_INTERVALS: Final = (
    *((name, start, end) for name, (start, end) in DEFINITIONS.items()),
    ("impact_window", "impact_start", "impact_end"),
)
_CHAIN: Final = ("impact_start", "detected", "declared", "resolved")
# (earlier, later, the timestamps between them), for pairs that are not adjacent in the chain.
_GAP_PAIRS: Final = tuple(
    (_CHAIN[i], _CHAIN[j], _CHAIN[i + 1 : j])
    for i in range(len(_CHAIN))
    for j in range(i + 2, len(_CHAIN))
)


def _reversed(start: str, end: str) -> pl.Expr:
    return pl.col(end) < pl.col(start)


def _reversed_details(frame: pl.DataFrame, context: CheckContext) -> Mapping[str, pl.Expr]:
    parts = [
        (
            _reversed(start, end),
            pl.format(
                f"{end} {{}} is before {start} {{}} ({label} {{}})",
                timestamp_text(pl.col(end)),
                timestamp_text(pl.col(start)),
                duration_text(pl.col(end) - pl.col(start)),
            ),
        )
        for label, start, end in _INTERVALS
    ]
    return {"reversed": join_when(parts)}


REVERSED_INTERVAL: Final = Check(
    name="reversed_interval",
    level=Level.ERROR,
    description="A later event recorded before an earlier one, so a duration (or the impact "
    "window) would be negative.",
    message="reversed interval: {reversed}; fix the earlier or the later time (a day/month "
    "swap or a time zone slip is the usual cause)",
    predicate=lambda frame, context: pl.any_horizontal(
        [_reversed(start, end) for _, start, end in _INTERVALS]
    ),
    columns=TIMESTAMPS,
    details=_reversed_details,
)


def _gap_violations() -> list[tuple[pl.Expr, pl.Expr]]:
    return [
        (
            (pl.col(later) < pl.col(earlier))
            & pl.all_horizontal([pl.col(name).is_null() for name in between]),
            pl.format(
                f"{later} {{}} is before {earlier} {{}}",
                timestamp_text(pl.col(later)),
                timestamp_text(pl.col(earlier)),
            ),
        )
        for earlier, later, between in _GAP_PAIRS
    ]


TIMESTAMPS_OUT_OF_ORDER: Final = Check(
    name="timestamps_out_of_order",
    level=Level.WARNING,
    description="Timestamps out of the order impact_start <= detected <= declared <= resolved "
    "where the ones between are missing (no duration is negative, but one is wrong).",
    message="out of order: {order}; check which of the two is wrong",
    predicate=lambda frame, context: pl.any_horizontal([c for c, _ in _gap_violations()]),
    columns=_CHAIN,
    details=lambda frame, context: {"order": join_when(_gap_violations())},
)


def _outside(context: CheckContext, *, future: bool) -> list[tuple[pl.Expr, pl.Expr]]:
    bound = pl.lit(context.now if future else context.earliest, dtype=pl.Datetime("us", "UTC"))
    return [
        (
            pl.col(name) > bound if future else pl.col(name) < bound,
            pl.format(f"{name} {{}}", timestamp_text(pl.col(name))),
        )
        for name in TIMESTAMPS
    ]


TIMESTAMP_IN_FUTURE: Final = Check(
    name="timestamp_in_future",
    level=Level.ERROR,
    description="A timestamp after now: usually a day/month swap, a wrong year or a "
    "placeholder date.",
    message="in the future (now is {now}): {late}; fix the date (day/month swap? wrong year?)",
    predicate=lambda frame, context: pl.any_horizontal(
        [c for c, _ in _outside(context, future=True)]
    ),
    columns=TIMESTAMPS,
    details=lambda frame, context: {
        "late": join_when(_outside(context, future=True)),
        **literal_texts(now=context.now.strftime("%Y-%m-%dT%H:%M:%SZ")),
    },
)

TIMESTAMP_TOO_OLD: Final = Check(
    name="timestamp_too_old",
    level=Level.ERROR,
    description="A timestamp before the earliest plausible date (1990 by default): usually "
    "epoch 0, a two-digit year or milliseconds read as seconds.",
    message="before {earliest}: {early}; fix the date (placeholder? two-digit year? epoch unit?)",
    predicate=lambda frame, context: pl.any_horizontal(
        [c for c, _ in _outside(context, future=False)]
    ),
    columns=TIMESTAMPS,
    details=lambda frame, context: {
        "early": join_when(_outside(context, future=False)),
        **literal_texts(earliest=context.earliest.strftime("%Y-%m-%dT%H:%M:%SZ")),
    },
)


def _present_count() -> pl.Expr:
    return pl.sum_horizontal([pl.col(name).is_not_null().cast(pl.Int32) for name in TIMESTAMPS])


ZERO_LENGTH_INCIDENT: Final = Check(
    name="zero_length_incident",
    level=Level.WARNING,
    description="At least two timestamps, all equal: a back-filled record whose durations are "
    "zero by construction, not measured.",
    message="all {present} timestamps are {at}: a back-filled record; its zero durations "
    "would skew the statistics, so exclude it from them or fix the times",
    predicate=lambda frame, context: (
        (_present_count() >= 2) & (pl.min_horizontal(TIMESTAMPS) == pl.max_horizontal(TIMESTAMPS))
    ),
    columns=TIMESTAMPS,
    details=lambda frame, context: {
        "present": _present_count().cast(pl.String),
        "at": timestamp_text(pl.min_horizontal(TIMESTAMPS)),
    },
)


def _whole_hour_flags(context: CheckContext) -> list[tuple[pl.Expr, pl.Expr]]:
    tolerance = context.hour_offset_tolerance.total_seconds() * _US_PER_SECOND
    flags = []
    for label, start, end in _INTERVALS:
        span = pl.col(end) - pl.col(start)
        micros = span.dt.total_microseconds().cast(pl.Float64)
        hours = (micros / _US_PER_HOUR).round()
        exact = ((micros - hours * _US_PER_HOUR).abs() <= tolerance) & hours.abs().is_between(
            1, context.hour_offset_max_hours
        )
        # How many incidents of this source have exactly the same whole-hour value, against
        # how many have a non-zero value at all.
        same = pl.len().over("source", pl.when(exact).then(hours))
        nonzero = (micros != 0).sum().over("source")
        consistent = (same >= context.hour_offset_min_rows) & (
            same >= context.hour_offset_share * nonzero
        )
        flag = exact & ((micros < 0) | consistent)
        flags.append((flag, pl.format(f"{label} = {{}}", duration_text(span))))
    return flags


def _whole_hour_details(frame: pl.DataFrame, context: CheckContext) -> Mapping[str, pl.Expr]:
    zone = context.assumed_timezone
    note = f" Naive times were read as {zone}; was that the export's zone?" if zone else ""
    return {"offsets": join_when(_whole_hour_flags(context)), **literal_texts(zone_note=note)}


WHOLE_HOUR_OFFSET: Final = Check(
    name="whole_hour_offset",
    level=Level.WARNING,
    description="A span that is a whole number of hours (1-14, within a minute) and negative, "
    "or the same whole-hour value for most of a source: the mark of naive times read in the "
    "wrong time zone.",
    message="{offsets}: a whole number of hours, typical of a time zone mistake (naive times "
    "read in the wrong zone, or two columns written in different zones).{zone_note}",
    predicate=lambda frame, context: pl.any_horizontal(
        [flag for flag, _ in _whole_hour_flags(context)]
    ),
    columns=TIMESTAMPS,
    details=_whole_hour_details,
)


def _log_seconds(name: str) -> pl.Expr:
    micros = pl.col(name).dt.total_microseconds()
    return pl.when(micros > 0).then((micros.cast(pl.Float64) / _US_PER_SECOND).log())


def _outlier_threshold(name: str, context: CheckContext) -> pl.Expr:
    """Q3 + k * IQR of log seconds over the positive values of ``name`` (a scalar)."""
    logs = _log_seconds(name)
    q1 = logs.quantile(0.25, interpolation="linear")
    q3 = logs.quantile(0.75, interpolation="linear")
    # A column of near-identical durations has an IQR near 0, which would flag every value a
    # second above Q3; a spread below a factor of 2 is taken as a factor of 2.
    spread = pl.max_horizontal(q3 - q1, pl.lit(math.log(2)))
    return q3 + context.outlier_factor * spread


def outlier_check(name: str) -> Check:
    """The outlier check of the duration column ``name`` (e.g. ``time_to_resolve``).

    Durations are close to lognormal, so the rule works on ``log(seconds)``: a value beyond
    ``Q3 + k * IQR`` (k = ``CheckContext.outlier_factor``) of the positive values fails, when
    the column has at least ``CheckContext.outlier_min_samples`` of them.
    """

    if name not in DEFINITIONS:
        raise ConfigError(
            f"no duration column {name!r}; outlier checks exist for {', '.join(DEFINITIONS)}"
        )

    def predicate(frame: pl.DataFrame, context: CheckContext) -> pl.Expr:
        logs = _log_seconds(name)
        enough = logs.count() >= context.outlier_min_samples
        return enough & (logs > _outlier_threshold(name, context))

    def details(frame: pl.DataFrame, context: CheckContext) -> Mapping[str, pl.Expr]:
        seconds = _outlier_threshold(name, context).exp().clip(upper_bound=_MAX_SECONDS)
        micros = (seconds * _US_PER_SECOND).cast(pl.Int64, strict=False)
        factor = f"{context.outlier_factor:g}"
        return {
            "threshold": duration_text(pl.duration(microseconds=micros)),
            **literal_texts(factor=factor),
        }

    start, end = DEFINITIONS[name]
    return Check(
        name=f"{name}_outlier",
        level=Level.WARNING,
        description=f"{name} far longer than the rest (log-scale Q3 + k*IQR): often a wrong "
        "year, or an incident closed long after it ended; it would dominate means.",
        message=f"{name} is {{{name}}}, beyond {{threshold}} (Q3 + {{factor}}*IQR of log "
        f"durations); check {start} and {end}",
        predicate=predicate,
        columns=(start, end, name),
        details=details,
    )


OUTLIER_CHECKS: Final = tuple(outlier_check(name) for name in DURATIONS)
"""One outlier check per duration column."""

TIMELINE_CHECKS: Final = (
    REVERSED_INTERVAL,
    TIMESTAMP_IN_FUTURE,
    TIMESTAMP_TOO_OLD,
    TIMESTAMPS_OUT_OF_ORDER,
    ZERO_LENGTH_INCIDENT,
    WHOLE_HOUR_OFFSET,
    *OUTLIER_CHECKS,
)
"""Checks on one record's timestamps (the outlier thresholds look at the whole column)."""
