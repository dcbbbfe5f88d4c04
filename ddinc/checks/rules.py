"""The default catalogue: every built-in check, in the order reports list them (errors first).

The rules themselves live by subject: :mod:`ddinc.checks.record_rules` (id, title, state,
severity, loader notes), :mod:`ddinc.checks.timeline_rules` (order, range, back-filled and
shifted times, outliers) and :mod:`ddinc.checks.duplicates` (repeated ids, probable
duplicates). Each is a :class:`~ddinc.checks.model.Check` value; a notebook can pick from
them, or add its own: ``run_checks(frame, [*DEFAULT_CHECKS, my_check])``.
"""

from __future__ import annotations

from typing import Final

from ddinc.checks.duplicates import DUPLICATE_SOURCE_ID, PROBABLE_DUPLICATE
from ddinc.checks.model import Check
from ddinc.checks.record_rules import (
    LOAD_NOTE,
    RESOLVED_TIME_MISSING,
    RESOLVED_TIME_WHILE_OPEN,
    SEVERITY_UNMAPPED,
    SOURCE_ID_MISSING,
    STATE_MISSING,
    STATE_UNMAPPED,
    TITLE_MISSING,
    TITLE_TOO_LONG,
)
from ddinc.checks.timeline_rules import (
    IMPACT_AFTER_RESOLUTION,
    OUTLIER_CHECKS,
    REVERSED_INTERVAL,
    TIMESTAMP_IN_FUTURE,
    TIMESTAMP_TOO_OLD,
    TIMESTAMPS_OUT_OF_ORDER,
    WHOLE_HOUR_OFFSET,
    ZERO_LENGTH_INCIDENT,
)

__all__ = ["DEFAULT_CHECKS"]

DEFAULT_CHECKS: Final[tuple[Check, ...]] = (
    SOURCE_ID_MISSING,
    DUPLICATE_SOURCE_ID,
    TITLE_MISSING,
    TITLE_TOO_LONG,
    STATE_MISSING,
    STATE_UNMAPPED,
    RESOLVED_TIME_WHILE_OPEN,
    REVERSED_INTERVAL,
    TIMESTAMP_IN_FUTURE,
    TIMESTAMP_TOO_OLD,
    SEVERITY_UNMAPPED,
    RESOLVED_TIME_MISSING,
    TIMESTAMPS_OUT_OF_ORDER,
    IMPACT_AFTER_RESOLUTION,
    ZERO_LENGTH_INCIDENT,
    WHOLE_HOUR_OFFSET,
    *OUTLIER_CHECKS,
    PROBABLE_DUPLICATE,
    LOAD_NOTE,
)
"""Every default check, errors first."""
