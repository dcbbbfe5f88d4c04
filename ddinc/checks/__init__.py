"""Checks: rules as data over the canonical incident frame, and the report of what fails.

Checks report; they never drop, change or reorder rows, and never raise on bad data::

    report = run_checks(incidents, context=CheckContext(now=...))
    report.counts()                        # check, level, failing, share
    report.failing("reversed_interval")    # the failing rows, with a message each
    incidents.filter(~report.blocking_mask())   # what can be pushed

A custom rule is a :class:`Check` whose predicate returns a polars expression that is True
for failing rows; pass ``[*DEFAULT_CHECKS, my_check]`` to :func:`run_checks`.
"""

from ddinc.checks.duplicates import normalised_title
from ddinc.checks.model import Check, CheckContext, Level
from ddinc.checks.record_rules import TITLE_MAX_CHARS
from ddinc.checks.report import CheckReport, CheckResult, run_checks
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
    "normalised_title",
    "outlier_check",
    "run_checks",
]
