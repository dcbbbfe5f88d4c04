"""Honest statistics of incident durations: per phase and group, with bootstrap intervals.

Incident durations are long-tailed, so ddinc reports medians and upper percentiles, never a
mean, each with a bootstrap confidence interval, and always says from how many incidents a
value was measured and why the rest were not::

    stats = phase_stats(incidents, "severity")        # PhaseStats; .table is a polars frame
    stats.table                                       # one row per (group, phase)
    stats                                             # renders as HTML in a notebook
    compare_periods(incidents, "resolve", split="2024-01-01")   # is the change more than noise?

Durations that are not real (zero-length back-fills, reversed intervals) are left out by
default (:func:`ddinc.timeline.duration_exclusions`); ``include_unreal=True`` keeps them.
"""

from ddinc.stats.compare import Comparison, compare, compare_periods, detectable_change
from ddinc.stats.phases import (
    NONE_GROUP,
    PHASE_ALIASES,
    STATISTICS,
    PhaseStats,
    grouped,
    phase_names,
    phase_stats,
    phase_values,
)
from ddinc.stats.units import human_duration

# the renderer registers itself for PhaseStats (ddinc.display)
from ddinc.stats import render as _render  # noqa: F401  isort: skip

__all__ = [
    "NONE_GROUP",
    "PHASE_ALIASES",
    "STATISTICS",
    "Comparison",
    "PhaseStats",
    "compare",
    "compare_periods",
    "detectable_change",
    "grouped",
    "human_duration",
    "phase_names",
    "phase_stats",
    "phase_values",
]
