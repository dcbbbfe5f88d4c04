"""Checks on one incident's timeline: order, range, back-filled and shifted times, outliers.

Every timestamp is compared as a UTC instant; durations come from :mod:`ddinc.timeline`
(recomputed by :func:`ddinc.checks.run_checks`). Decisions worth knowing:

- ``reversed_interval`` (ERROR) covers every span that would be negative: the four durations
  and the impact window (``impact_end`` before ``impact_start``). ``timestamps_out_of_order``
  (WARNING) covers the other pairs of ``impact_start <= detected <= declared <= resolved``
  that have only missing timestamps between them, so one slip is reported once.
- ``whole_hour_offset`` is a hint, not a verdict: it fires on a negative span of 1..14 whole
  hours (within a minute), or on a positive one when most of a source's incidents share the
  same whole-hour value for that span (two columns written in different zones); never when
  both values were written with explicit offsets (see :mod:`ddinc.checks.evidence`).
- Hints follow the evidence of the raw text: a day/month swap is suggested only for values
  read from an all-numeric date style, a time zone slip only for values without an offset.
- Every order check (``reversed_interval``, ``timestamps_out_of_order``,
  ``impact_after_resolution``) ignores gaps under ``CheckContext.order_tolerance`` (1 s):
  two systems stamping one event differ by milliseconds (GitHub's ``started_at`` and
  ``created_at``), and an error-level check must not block a push over clock noise. The
  statistics still leave every negative duration out (:func:`ddinc.timeline.duration_exclusions`);
  messages show the real gap.
- Outliers are judged per duration column over the whole frame, on log seconds of the
  values of at least the order tolerance; zero, negative and sub-tolerance spans belong to
  other checks and would stretch log quartiles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Final

import polars as pl

from ddinc.checks._text import (
    duration_text,
    join_when,
    literal_texts,
    pair_texts,
    timestamp_text,
)
from ddinc.checks.evidence import explicit, naive, numeric_date, swappable
from ddinc.checks.model import Check, CheckContext, Level
from ddinc.errors import ConfigError
from ddinc.schema import DURATIONS, TIMESTAMPS
from ddinc.timeline import DEFINITIONS, zero_length

__all__ = [
    "IMPACT_AFTER_RESOLUTION",
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
# (earlier, later, the timestamps between them), for pairs that are not adjacent in the chain;
# impact_start after resolved has a check of its own (impact_after_resolution).
_GAP_PAIRS: Final = tuple(
    (_CHAIN[i], _CHAIN[j], _CHAIN[i + 1 : j])
    for i in range(len(_CHAIN))
    for j in range(i + 2, len(_CHAIN))
    if (_CHAIN[i], _CHAIN[j]) != ("impact_start", "resolved")
)


def _out_of_order(earlier: str, later: str, context: CheckContext) -> pl.Expr:
    """``later`` before ``earlier`` by at least the context's order tolerance."""
    gap = pl.col(earlier) - pl.col(later)
    return (gap > timedelta(0)) & (gap >= context.order_tolerance)


def _any_reversed(context: CheckContext) -> pl.Expr:
    # Missing timestamps make a missing comparison, which here means "not reversed".
    return pl.any_horizontal(
        [_out_of_order(start, end, context) for _, start, end in _INTERVALS]
    ).fill_null(False)


def _hint(earlier: str, later: str) -> pl.Expr:
    """Why ``later`` may read before ``earlier``, from what their raw texts show.

    A day/month swap is only suggested when both were read from an all-numeric date style
    and one of them could be read either way; a time zone slip only when a value carried no
    offset. Two values with explicit offsets (or epoch numbers) name their instants, so the
    record itself says the events happened in that order.
    """
    both_explicit = explicit(earlier) & explicit(later)
    if (earlier, later) in (("declared", "resolved"), ("detected", "resolved")):
        recorded = (
            f"both times carry explicit offsets, so this is neither a day/month swap nor a "
            f"time zone slip: the incident was {earlier} after it was resolved, i.e. posted "
            f"after the impact ended (a late or back-filled record); its {earlier} time is "
            "not when the response began"
        )
    else:
        recorded = (
            "both times carry explicit offsets, so this is neither a day/month swap nor a "
            "time zone slip: one of them was recorded late, by hand or by another system"
        )
    swap = numeric_date(earlier) & numeric_date(later) & (swappable(earlier) | swappable(later))
    slip = naive(earlier) | naive(later)
    return pl.concat_str(
        [
            pl.when(both_explicit).then(pl.lit(recorded)),
            pl.when(~both_explicit & swap).then(
                pl.lit(
                    "both were read from a numeric date style: was a day and month read the "
                    "wrong way round?"
                )
            ),
            pl.when(~both_explicit & slip).then(
                pl.lit(
                    "a time without an offset was read in an assumed zone: were the two "
                    "written in different time zones?"
                )
            ),
        ],
        separator="; ",
        ignore_nulls=True,
    ).replace("", None)


def _with_hint(text: pl.Expr, earlier: str, later: str) -> pl.Expr:
    hint = _hint(earlier, later)
    fallback = pl.lit(" (check which of the two is wrong)")
    return pl.concat_str(
        [text, pl.when(hint.is_not_null()).then(pl.format(": {}", hint)).otherwise(fallback)]
    )


def _before(earlier: str, later: str) -> pl.Expr:
    """``"<later> T1 is before <earlier> T2 by <gap>"``, the two times never looking equal."""
    shown_later, shown_earlier = pair_texts(pl.col(later), pl.col(earlier))
    return pl.format(
        f"{later} {{}} is before {earlier} {{}} by {{}}",
        shown_later,
        shown_earlier,
        duration_text(pl.col(earlier) - pl.col(later)),
    )


def _reversed_details(frame: pl.DataFrame, context: CheckContext) -> Mapping[str, pl.Expr]:
    parts = [
        (
            _out_of_order(start, end, context),
            _with_hint(pl.format(f"{{}} ({label} negative)", _before(start, end)), start, end),
        )
        for label, start, end in _INTERVALS
    ]
    return {"reversed": join_when(parts)}


REVERSED_INTERVAL: Final = Check(
    name="reversed_interval",
    level=Level.ERROR,
    description="A later event recorded before an earlier one, so a duration (or the impact "
    "window) would be negative; gaps under the order tolerance (1 s by default) are clock "
    "noise, not reversal.",
    message="reversed interval: {reversed}. Fix the earlier or the later time, or exclude "
    "the incident from the statistics",
    predicate=lambda frame, context: _any_reversed(context),
    columns=TIMESTAMPS,
    details=_reversed_details,
    row_wise=True,
)


def _gap_violations(context: CheckContext) -> list[tuple[pl.Expr, pl.Expr]]:
    return [
        (
            _out_of_order(earlier, later, context)
            & pl.all_horizontal([pl.col(name).is_null() for name in between]),
            _with_hint(_before(earlier, later), earlier, later),
        )
        for earlier, later, between in _GAP_PAIRS
    ]


TIMESTAMPS_OUT_OF_ORDER: Final = Check(
    name="timestamps_out_of_order",
    level=Level.WARNING,
    description="Timestamps out of the order impact_start <= detected <= declared <= resolved "
    "where the ones between are missing (no duration is negative, but one is wrong); gaps "
    "under the order tolerance (1 s by default) are clock noise, not disorder.",
    message="out of order: {order}",
    predicate=lambda frame, context: pl.any_horizontal([c for c, _ in _gap_violations(context)]),
    columns=_CHAIN,
    details=lambda frame, context: {"order": join_when(_gap_violations(context))},
    row_wise=True,
)

IMPACT_AFTER_RESOLUTION: Final = Check(
    name="impact_after_resolution",
    level=Level.WARNING,
    description="Impact started after the incident was resolved, with no negative duration "
    "to show it (no Datadog duration spans the two): the impact cannot begin after its "
    "incident is over.",
    message="impact after resolution: {gap}",
    # A negative duration on the row is already an error naming the slip: say it once.
    predicate=lambda frame, context: (
        _out_of_order("impact_start", "resolved", context) & ~_any_reversed(context)
    ),
    columns=("impact_start", "resolved", "impact_end"),
    details=lambda frame, context: {
        "gap": _with_hint(_before("impact_start", "resolved"), "impact_start", "resolved")
    },
    row_wise=True,
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
    row_wise=True,
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
    row_wise=True,
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
    # One definition with the statistics, which leave these rows out.
    predicate=lambda frame, context: zero_length(),
    columns=TIMESTAMPS,
    details=lambda frame, context: {
        "present": _present_count().cast(pl.String),
        "at": timestamp_text(pl.min_horizontal(TIMESTAMPS)),
    },
    row_wise=True,
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
        # Two values written with explicit offsets name their instants: no zone was assumed,
        # so no zone can be wrong (the reversed or odd span is another check's to report).
        assumed = ~(explicit(start) & explicit(end)).fill_null(False)
        flag = exact & ((micros < 0) | consistent) & assumed
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
    "or the same whole-hour value for most of a source, between times not both written with "
    "an offset: the mark of naive times read in the wrong time zone.",
    message="{offsets}: a whole number of hours, typical of a time zone mistake (naive times "
    "read in the wrong zone, or two columns written in different zones).{zone_note}",
    predicate=lambda frame, context: pl.any_horizontal(
        [flag for flag, _ in _whole_hour_flags(context)]
    ),
    columns=TIMESTAMPS,
    details=_whole_hour_details,
)


def _log_seconds(name: str, context: CheckContext) -> pl.Expr:
    """log(seconds) of the measured values of ``name``; null for the others.

    Zero and negative spans are back-fills and reversed intervals (other checks report them),
    and spans under the order tolerance are two clocks disagreeing, not a response lasting
    57 ms: on a log scale any of them would stretch the quartiles by orders of magnitude.
    """
    micros = pl.col(name).dt.total_microseconds()
    floor = max(1, int(context.order_tolerance.total_seconds() * _US_PER_SECOND))
    return pl.when(micros >= floor).then((micros.cast(pl.Float64) / _US_PER_SECOND).log())


def _outlier_threshold(name: str, context: CheckContext) -> pl.Expr:
    """Q3 + k * IQR of log seconds over the measured values of ``name`` (a scalar)."""
    logs = _log_seconds(name, context)
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
        logs = _log_seconds(name, context)
        enough = logs.count() >= context.outlier_min_samples
        return enough & (logs > _outlier_threshold(name, context))

    def details(frame: pl.DataFrame, context: CheckContext) -> Mapping[str, pl.Expr]:
        seconds = _outlier_threshold(name, context).exp().clip(upper_bound=_MAX_SECONDS)
        # Computed once here: inside the message's expression tree polars would recompute the
        # column's quantiles for every reference (0.4 s a check at a million rows).
        micros = frame.select((seconds * _US_PER_SECOND).cast(pl.Int64, strict=False)).item()
        factor = f"{context.outlier_factor:g}"
        return {
            "threshold": duration_text(pl.duration(microseconds=pl.lit(micros, dtype=pl.Int64))),
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
    IMPACT_AFTER_RESOLUTION,
    ZERO_LENGTH_INCIDENT,
    WHOLE_HOUR_OFFSET,
    *OUTLIER_CHECKS,
)
"""Checks on one record's timestamps (the outlier thresholds look at the whole column)."""
