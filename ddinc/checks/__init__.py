"""Checks: rules as data over the canonical incident frame, and the report of what fails.

Checks report; they never drop, change or reorder rows, and never raise on bad data::

    report = run_checks(incidents, context=CheckContext(now=...))
    report.counts()                        # check, level, failing, share
    report.failing("reversed_interval")    # the failing rows (by row_key), a message each
    report.failing_checks()                # row_key -> names of the checks it fails
    incidents.filter(~pl.col("row_key").is_in(report.blocking_keys()))   # what can be pushed

Rows are named by their ``row_key`` (:mod:`ddinc.rowkey`), with their file rows
(``source_rows``) beside it; a frame built by hand without keys gets them computed.

A custom rule is a :class:`Check` whose predicate returns a polars expression that is True
for failing rows; pass ``[*DEFAULT_CHECKS, my_check]`` to :func:`run_checks`.
"""

from ddinc.checks.duplicates import normalised_title
from ddinc.checks.model import Check, CheckContext, Level
from ddinc.checks.record_rules import TITLE_MAX_CHARS
from ddinc.checks.report import CheckReport, CheckResult, check, run_checks

# the renderer registers itself for CheckReport (ddinc.display)
from ddinc.checks import render as _render  # noqa: F401  isort: skip
from ddinc.checks.rules import DEFAULT_CHECKS
from ddinc.checks.timeline_rules import outlier_check

__all__ = [
    "DEFAULT_CHECKS",
    "TITLE_MAX_CHARS",
    "Check",
    "CheckContext",
    "CheckReport",
    "CheckResult",
    "Level",
    "check",
    "normalised_title",
    "outlier_check",
    "run_checks",
]
