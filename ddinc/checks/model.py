"""What a check is: a named, levelled rule over the canonical frame, kept as data.

A :class:`Check` does not look at rows one by one. Its ``predicate`` returns a polars
expression that is True for every *failing* row, so that all checks of a run are evaluated
together in one ``select``. Its ``message`` is a template an analyst can read, filled per
failing row from frame columns and from the check's own ``details`` expressions.

The run-time parameters of every rule (the "now" to compare against, the outlier factor, the
slack for duplicates...) live in one :class:`CheckContext`, so that a test or a notebook can
pin them and a report can say which values it used.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

import polars as pl

from ddinc.errors import ConfigError

__all__ = [
    "LEVEL_DTYPE",
    "Check",
    "CheckContext",
    "Details",
    "Level",
    "Predicate",
    "no_details",
]


class Level(StrEnum):
    """How serious a failing check is."""

    ERROR = "error"
    """The row cannot be pushed as it is: the import would reject it or import something wrong."""
    WARNING = "warning"
    """The row can be pushed, but an analyst should look at it first."""


LEVEL_DTYPE: Final = pl.Enum([level.value for level in Level])


@dataclass(frozen=True)
class CheckContext:
    """The parameters every check may read, pinned for one run.

    Parameters
    ----------
    now
        Timestamps after this instant are "in the future". Defaults to the current time;
        tests pass a fixed one. Must be timezone-aware; it is converted to UTC.
    earliest
        Timestamps before this instant are too old to be real incident history.
    outlier_factor
        ``k`` in the outlier rule ``log(duration) > Q3 + k * IQR`` (over durations of at least
        ``order_tolerance``).
    outlier_min_samples
        Below this many measured values in a duration column, no outliers are reported: the
        quartiles of a handful of values say nothing. 15 lets a history of ~30 incidents, half
        of them back-filled, still show a 1,400-hour incident among 2-hour ones.
    hour_offset_tolerance
        How close to a whole number of hours a duration must be to count as "whole hours".
    hour_offset_max_hours
        Largest whole-hour offset that a time zone mistake can explain (UTC-12..UTC+14).
    hour_offset_share, hour_offset_min_rows
        A positive whole-hour duration is suspicious when at least ``hour_offset_min_rows``
        incidents of the same source, and at least this share of its non-zero values of that
        duration, are the same exact number of hours.
    duplicate_slack
        Widens each ``[declared, resolved]`` interval by this much at its end before looking
        for overlaps between incidents with the same title.
    assumed_timezone
        The zone a loader assumed for naive times, if any; the report says so.
    order_tolerance
        Two timestamps out of order by less than this are taken as in order by every order
        check (``reversed_interval``, ``timestamps_out_of_order``,
        ``impact_after_resolution``): fields set by two systems often differ by
        milliseconds. The durations keep their real (tiny negative) value, which the
        statistics leave out as they leave out every negative span.
    detected_from
        Where the loader took a missing detected time from (``"impact_start"`` or
        ``"declared"``), if the analyst chose to; the report's note on detection says so.
    """

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    earliest: datetime = datetime(1990, 1, 1, tzinfo=UTC)
    outlier_factor: float = 3.0
    outlier_min_samples: int = 15
    hour_offset_tolerance: timedelta = timedelta(minutes=1)
    hour_offset_max_hours: int = 14
    hour_offset_share: float = 0.5
    hour_offset_min_rows: int = 5
    duplicate_slack: timedelta = timedelta(0)
    assumed_timezone: str | None = None
    order_tolerance: timedelta = timedelta(seconds=1)
    detected_from: str | None = None

    def __post_init__(self) -> None:
        for name in ("now", "earliest"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ConfigError(
                    f"CheckContext.{name} must be timezone-aware, got naive {value.isoformat()}; "
                    "pass e.g. datetime(2024, 1, 1, tzinfo=UTC)"
                )
            object.__setattr__(self, name, value.astimezone(UTC))
        if self.earliest >= self.now:
            raise ConfigError(
                f"CheckContext.earliest ({self.earliest.isoformat()}) must be before "
                f"now ({self.now.isoformat()})"
            )
        if not (math.isfinite(self.outlier_factor) and self.outlier_factor > 0):
            raise ConfigError(
                f"CheckContext.outlier_factor must be a positive number, got {self.outlier_factor}"
            )
        if self.outlier_min_samples < 4:
            raise ConfigError(
                "CheckContext.outlier_min_samples must be at least 4 (quartiles need values), "
                f"got {self.outlier_min_samples}"
            )
        if not timedelta(0) <= self.hour_offset_tolerance < timedelta(minutes=30):
            raise ConfigError(
                "CheckContext.hour_offset_tolerance must be between 0 and 30 minutes, "
                f"got {self.hour_offset_tolerance}"
            )
        if not 1 <= self.hour_offset_max_hours <= 26:
            raise ConfigError(
                "CheckContext.hour_offset_max_hours must be between 1 and 26, "
                f"got {self.hour_offset_max_hours}"
            )
        if not 0 < self.hour_offset_share <= 1:
            raise ConfigError(
                f"CheckContext.hour_offset_share must be in (0, 1], got {self.hour_offset_share}"
            )
        if self.hour_offset_min_rows < 2:
            raise ConfigError(
                f"CheckContext.hour_offset_min_rows must be at least 2, "
                f"got {self.hour_offset_min_rows}"
            )
        if not timedelta(0) <= self.order_tolerance <= timedelta(hours=1):
            raise ConfigError(
                "CheckContext.order_tolerance must be between 0 and 1 hour, "
                f"got {self.order_tolerance}"
            )
        if self.detected_from not in (None, "impact_start", "declared"):
            raise ConfigError(
                f"CheckContext.detected_from must be 'impact_start', 'declared' or None, "
                f"got {self.detected_from!r}"
            )
        if self.duplicate_slack < timedelta(0):
            raise ConfigError(
                f"CheckContext.duplicate_slack must not be negative, got {self.duplicate_slack}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON-serialisable values (instants in ISO 8601, spans in seconds)."""
        return {
            "now": self.now.isoformat(),
            "earliest": self.earliest.isoformat(),
            "outlier_factor": self.outlier_factor,
            "outlier_min_samples": self.outlier_min_samples,
            "hour_offset_tolerance_seconds": self.hour_offset_tolerance.total_seconds(),
            "hour_offset_max_hours": self.hour_offset_max_hours,
            "hour_offset_share": self.hour_offset_share,
            "hour_offset_min_rows": self.hour_offset_min_rows,
            "duplicate_slack_seconds": self.duplicate_slack.total_seconds(),
            "assumed_timezone": self.assumed_timezone,
            "order_tolerance_seconds": self.order_tolerance.total_seconds(),
            "detected_from": self.detected_from,
        }


Predicate = Callable[[pl.DataFrame, CheckContext], pl.Expr]
"""``(frame, context) -> expression`` that is True for failing rows (null counts as passing).

The frame is given so that a predicate may look at its schema or precompute something; most
predicates ignore it and return a plain row-wise or window expression."""

Details = Callable[[pl.DataFrame, CheckContext], Mapping[str, pl.Expr]]
"""``(frame, context) -> {name: String expression}``: extra values for the message template,
evaluated over the whole frame (so window expressions see every row)."""


def no_details(frame: pl.DataFrame, context: CheckContext) -> Mapping[str, pl.Expr]:
    """The :data:`Details` of a check whose message needs only frame columns."""
    return {}


_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


@dataclass(frozen=True)
class Check:
    """One rule: what it looks for, how serious it is, and how to tell the analyst.

    Parameters
    ----------
    name
        Stable snake_case id, used in JSON output, recipes and docs.
    level
        :class:`Level`; an ``error`` blocks the push, a ``warning`` does not.
    description
        One line: what the check looks for and why it matters.
    message
        Per-row template, ``{name}`` fields naming frame columns or ``details`` keys, e.g.
        ``"resolved {resolved} is before declared {declared}"``. No format specs.
    predicate
        See :data:`Predicate`.
    columns
        The columns involved, shown next to each failing row.
    details
        See :data:`Details`.
    row_wise
        True when the check is row-local: its verdict (the predicate) and its message for a
        row depend on that row alone and on the context (no window, no aggregate, no
        quantile, no ``frame`` rows or row position; the frame's schema is fine). Messages
        are then rendered for the failing rows only, which keeps a report of a million
        incidents fast, and :mod:`ddinc.checks.rows` re-runs the check on just the rows an
        edit touched. Leave False when the predicate or a detail looks at other rows.
    """

    name: str
    level: Level
    description: str
    message: str
    predicate: Predicate
    columns: tuple[str, ...] = ()
    details: Details = no_details
    row_wise: bool = False

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ConfigError(
                f"check name {self.name!r} is not snake_case; use lowercase words joined by '_'"
            )
        try:
            object.__setattr__(self, "level", Level(self.level))
        except ValueError:
            allowed = ", ".join(level.value for level in Level)
            raise ConfigError(
                f"check {self.name}: level {self.level!r} is not one of {allowed}"
            ) from None
        if not self.description.strip() or "\n" in self.description:
            raise ConfigError(f"check {self.name}: the description must be one non-empty line")
        if not self.message.strip():
            raise ConfigError(f"check {self.name}: the message template must not be empty")
        object.__setattr__(self, "columns", tuple(self.columns))
