"""Running checks over a canonical frame, and the report that holds what they found.

:func:`run_checks` computes everything once: one ``select`` evaluates every predicate, then
each failing check's rows get their messages. The :class:`CheckReport` is plain data (frames
and counts); :mod:`ddinc.checks.render` turns it into text and HTML. Checks report and never
change, drop or reorder the incidents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from ddinc.checks._text import render_template, text
from ddinc.checks.detection import DetectionGap, detection_gap, detection_note
from ddinc.checks.model import LEVEL_DTYPE, Check, CheckContext, Level
from ddinc.checks.rules import DEFAULT_CHECKS
from ddinc.display import to_html, to_text
from ddinc.errors import ConfigError
from ddinc.rowkey import ROW_KEY, with_row_keys
from ddinc.schema import RAW_FIELDS, TIMESTAMPS, Timestamp
from ddinc.timeline import with_timeline

if TYPE_CHECKING:
    from ddinc.loader import LoadResult

__all__ = ["KEY_COLUMNS", "ROW", "CheckReport", "CheckResult", "check", "run_checks"]

ROW: Final = "row"
"""Internal 0-based position column of the frame checks read; never shown in a report."""
KEY_COLUMNS: Final = (ROW_KEY, "source", "source_id", "source_rows", "title")
"""The columns every failing-rows view starts with, before ``check``, ``level``, ``message``.

``row_key`` names the incident for every later step; ``source_rows`` (1-based data rows of the
export file) helps a human find it in the file."""

_LOAD_NOTES: Final = "load_notes"
_TEXT_COLUMNS: Final = ("source", "source_id", "title", "state", "severity")
_BASE_SCHEMA: Final[dict[str, pl.DataType]] = {
    ROW_KEY: pl.String(),
    "source": pl.String(),
    "source_id": pl.String(),
    "source_rows": pl.List(pl.Int64()),
    "title": pl.String(),
    "check": pl.String(),
    "level": LEVEL_DTYPE,
    "message": pl.String(),
}


@dataclass(frozen=True, eq=False)
class CheckResult:
    """What one check found: its failing rows (possibly none)."""

    check: Check
    rows: pl.DataFrame
    """Failing rows: row_key, source, source_id, source_rows, title, check, level, message,
    then the involved columns."""
    n_incidents: int

    @property
    def name(self) -> str:
        """The check's name."""
        return self.check.name

    @property
    def level(self) -> Level:
        """The check's level."""
        return self.check.level

    @property
    def n_failing(self) -> int:
        """How many incidents fail this check."""
        return self.rows.height

    @property
    def share(self) -> float:
        """Failing incidents over all incidents (0.0 for an empty frame)."""
        return self.n_failing / self.n_incidents if self.n_incidents else 0.0

    def __repr__(self) -> str:
        return f"CheckResult({self.name!r}, {self.level.value}, failing={self.n_failing})"


@dataclass(frozen=True, eq=False)
class CheckReport:
    """Every check's result over one frame, with the notes a loader wants shown.

    Rows are named by ``row_key`` (:mod:`ddinc.rowkey`), never by position: a key stays the
    same when the frame is filtered, sorted, or loaded again from next week's export.
    """

    results: tuple[CheckResult, ...]
    notes: tuple[str, ...]
    n_incidents: int
    context: CheckContext
    keys: pl.Series
    """The ``row_key`` of every incident checked, in the frame's order."""
    detection: DetectionGap
    """Incidents without a detected time, and what ``--detected-from`` would fill."""

    @property
    def detected_missing(self) -> int:
        """How many incidents have no ``detected`` time (a note says what to do about it)."""
        return self.detection.missing

    def result(self, name: str) -> CheckResult:
        """The result of the check ``name``."""
        for result in self.results:
            if result.name == name:
                return result
        known = ", ".join(result.name for result in self.results)
        raise ConfigError(f"no check named {name!r} in this report; known checks: {known}")

    def _selected(self, name: str | None, level: Level | str | None) -> list[CheckResult]:
        selected = [self.result(name)] if name is not None else list(self.results)
        if level is not None:
            try:
                wanted = Level(level)
            except ValueError:
                allowed = ", ".join(item.value for item in Level)
                raise ConfigError(f"level {level!r} is not one of {allowed}") from None
            selected = [result for result in selected if result.level == wanted]
        return selected

    def failing(self, name: str | None = None, level: Level | str | None = None) -> pl.DataFrame:
        """The failing rows, one per (incident, check), in check order then frame order.

        Columns: row_key, source, source_id, source_rows, title, check, level, message, then
        the columns the selected checks involve (null where a check does not involve one).
        """
        selected = self._selected(name, level)
        frames = [result.rows for result in selected if result.n_failing]
        if not frames:
            involved = {
                column: dtype
                for result in selected
                for column, dtype in result.rows.schema.items()
                if column not in _BASE_SCHEMA
            }
            return pl.DataFrame(schema={**_BASE_SCHEMA, **involved})
        return pl.concat(frames, how="diagonal_relaxed")

    def failing_checks(self, level: Level | str | None = None) -> pl.DataFrame:
        """Every incident's failing checks: ``row_key``, ``checks`` (list of names).

        One row per incident checked, in the frame's order; ``checks`` is empty for a row that
        passes everything, and lists names in report order (errors first). ``level`` keeps
        only the checks of that level. Join it on ``row_key`` to write the names per row.
        """
        selected = [result for result in self._selected(None, level) if result.n_failing]
        keys = self.keys.to_frame(ROW_KEY)
        empty = pl.lit([], dtype=pl.List(pl.String))
        if not selected:
            return keys.with_columns(checks=empty)
        pairs = pl.concat(
            [
                result.rows.select(
                    ROW_KEY,
                    pl.lit(order, dtype=pl.Int32).alias("order"),
                    pl.lit(result.name, dtype=pl.String).alias("check"),
                )
                for order, result in enumerate(selected)
            ]
        )
        names = pairs.group_by(ROW_KEY).agg(checks=pl.col("check").sort_by("order"))
        return keys.join(names, on=ROW_KEY, how="left", maintain_order="left").with_columns(
            pl.col("checks").fill_null(empty)
        )

    def counts(self) -> pl.DataFrame:
        """One row per check: check, level, failing, share."""
        return pl.DataFrame(
            {
                "check": [result.name for result in self.results],
                "level": [result.level.value for result in self.results],
                "failing": [result.n_failing for result in self.results],
                "share": [result.share for result in self.results],
            },
            schema={
                "check": pl.String,
                "level": LEVEL_DTYPE,
                "failing": pl.Int64,
                "share": pl.Float64,
            },
        )

    def _keys_at(self, level: Level) -> pl.Series:
        frames = [r.rows.get_column(ROW_KEY) for r in self.results if r.level == level]
        if not frames:
            return pl.Series(ROW_KEY, [], dtype=pl.String)
        return pl.concat(frames).unique(maintain_order=True)

    def blocking_keys(self) -> list[str]:
        """The ``row_key`` of every incident that fails at least one error check.

        In report order (first check first); ``frame.filter(~pl.col("row_key").is_in(keys))``
        keeps what can be pushed.
        """
        return self._keys_at(Level.ERROR).to_list()

    def blocking_mask(self) -> pl.Series:
        """Boolean Series aligned with the frame checked, True where an error blocks the push.

        ``frame.filter(~report.blocking_mask())`` keeps what can be pushed, as long as
        ``frame`` is the frame that was checked, in the same order; after a filter or a sort,
        use :meth:`blocking_keys` with the ``row_key`` column instead.
        """
        return self.keys.is_in(self._keys_at(Level.ERROR).implode()).alias("blocking")

    @property
    def n_errors(self) -> int:
        """How many incidents fail at least one error check."""
        return self._keys_at(Level.ERROR).len()

    @property
    def n_warnings(self) -> int:
        """How many incidents fail at least one warning check."""
        return self._keys_at(Level.WARNING).len()

    @property
    def blocking(self) -> bool:
        """True when at least one incident fails an error check."""
        return any(result.n_failing for result in self.results if result.level == Level.ERROR)

    def to_dict(self, max_rows: int | None = 20) -> dict[str, Any]:
        """A JSON-serialisable summary, with up to ``max_rows`` failing rows per check."""
        checks = []
        for result in self.results:
            rows = result.rows.select(ROW_KEY, "source", "source_id", "source_rows", "message")
            shown = rows if max_rows is None else rows.head(max_rows)
            checks.append(
                {
                    "name": result.name,
                    "level": result.level.value,
                    "description": result.check.description,
                    "failing": result.n_failing,
                    "share": result.share,
                    "rows": shown.to_dicts(),
                    "rows_truncated": shown.height < rows.height,
                }
            )
        return {
            "n_incidents": self.n_incidents,
            "blocking": self.blocking,
            "n_errors": self.n_errors,
            "n_warnings": self.n_warnings,
            "notes": list(self.notes),
            "detection": self.detection.to_dict(),
            "context": self.context.to_dict(),
            "checks": checks,
        }

    def to_html(self, max_rows: int = 20) -> str:
        """A self-contained HTML summary, with up to ``max_rows`` failing rows per check."""
        return to_html(self, max_rows=max_rows)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return (
            f"CheckReport(n_incidents={self.n_incidents}, checks={len(self.results)}, "
            f"n_errors={self.n_errors}, n_warnings={self.n_warnings})"
        )

    def __str__(self) -> str:
        return to_text(self)


def _conform(incidents: pl.DataFrame) -> pl.DataFrame:
    """The frame checks read: text state/severity, UTC timestamps, fresh durations, ``row``.

    Raises :class:`ConfigError` when a column the checks read is absent or cannot be read;
    that is a frame built by hand, not dirty data.
    """
    schema = incidents.schema
    needed = (*_TEXT_COLUMNS, *TIMESTAMPS)
    missing = [name for name in needed if name not in schema]
    if missing:
        raise ConfigError(
            f"the frame lacks column(s) {', '.join(missing)}; load it with a ddinc source "
            "or conform it to ddinc.schema.CANONICAL_SCHEMA"
        )
    for name in TIMESTAMPS:
        dtype = schema[name]
        if isinstance(dtype, pl.Null):
            continue
        if not isinstance(dtype, pl.Datetime) or dtype.time_zone is None:
            raise ConfigError(
                f"column {name} is {dtype}, not a timezone-aware datetime; parse it with a "
                "ddinc source, or call .dt.replace_time_zone(<the export's zone>) on it"
            )
    for name in _TEXT_COLUMNS:
        if isinstance(schema[name], pl.List | pl.Struct | pl.Array):
            raise ConfigError(f"column {name} is {schema[name]}; it must hold text")
    raw = schema.get("raw")
    raw_fields = {f.name for f in raw.fields} if isinstance(raw, pl.Struct) else set()
    raw_struct = pl.struct(
        [
            pl.col("raw").struct.field(name).cast(pl.String)
            if name in raw_fields
            else pl.lit(None, dtype=pl.String).alias(name)
            for name in RAW_FIELDS
        ]
    )
    timestamps = [
        pl.col(name).cast(Timestamp)
        if isinstance(schema[name], pl.Null)
        else pl.col(name).dt.convert_time_zone("UTC").cast(Timestamp)
        for name in TIMESTAMPS
    ]
    notes = (
        pl.col(_LOAD_NOTES).cast(pl.List(pl.String))
        if _LOAD_NOTES in schema
        else pl.lit([], dtype=pl.List(pl.String))
    )
    source_rows = (
        pl.col("source_rows").cast(pl.List(pl.Int64))
        if "source_rows" in schema
        else pl.lit(None, dtype=pl.List(pl.Int64))
    )
    # A column already called "row" would clash with the position; ours wins in the copy.
    conformed = (
        _keyed(incidents)
        .drop(ROW, strict=False)
        .with_columns(
            *(pl.col(name).cast(pl.String) for name in _TEXT_COLUMNS),
            *timestamps,
            source_rows=source_rows,
            raw=raw_struct,
            **{_LOAD_NOTES: notes},
        )
    )
    return with_timeline(conformed).with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64))


def _keyed(incidents: pl.DataFrame) -> pl.DataFrame:
    """``incidents`` with a usable ``row_key``: its own, or one computed for a hand-built frame.

    A frame from :func:`ddinc.load` carries its keys. A frame built by hand without them
    (no column, or only nulls) gets them from :func:`ddinc.rowkey.with_row_keys`. Keys that are
    partly missing or repeated cannot name rows, which is a frame problem, not dirty data.
    """
    if ROW_KEY not in incidents.columns or incidents.get_column(ROW_KEY).null_count() == (
        incidents.height
    ):
        return with_row_keys(incidents)
    keys = incidents.get_column(ROW_KEY).cast(pl.String)
    missing = keys.null_count()
    repeated = keys.filter(keys.is_duplicated()).unique(maintain_order=True)
    if missing or repeated.len():
        problem = (
            f"{missing} row(s) have no row_key"
            if missing
            else f"row_key {', '.join(repr(k) for k in repeated.head(3).to_list())} repeats"
        )
        raise ConfigError(
            f"the frame's row_key column cannot name its rows: {problem}. Keys come from "
            "ddinc.load; for a frame put together by hand (e.g. two loads concatenated), "
            "recompute them with ddinc.rowkey.with_row_keys(frame)"
        )
    return incidents.with_columns(keys)


def _failing_rows(
    work: pl.DataFrame, check: Check, context: CheckContext, mask: pl.Series
) -> pl.DataFrame:
    involved = [name for name in check.columns if name not in KEY_COLUMNS]
    unknown = [name for name in involved if name not in work.schema]
    if unknown:
        raise ConfigError(
            f"check {check.name}: involved column(s) {', '.join(unknown)} are not in the frame"
        )
    # A row-wise message needs only the failing rows. Any other may look at the whole frame
    # (windows, quartiles): its details are computed over all rows, then the message is
    # rendered for the failing rows only (rendering text is what costs, at a million rows).
    values: dict[str, pl.Expr] = {
        name: text(pl.col(name), dtype) for name, dtype in work.schema.items()
    }
    if check.row_wise:
        scope = work.filter(mask)
        values.update(check.details(scope, context))
    else:
        details = check.details(work, context)
        hidden = {f"__detail_{i}": expr for i, expr in enumerate(details.values())}
        scope = work.with_columns(**hidden).filter(mask)
        values.update((name, pl.col(column)) for name, column in zip(details, hidden, strict=True))
    message = render_template(check.message, values, owner=check.name)
    rows = scope.select(
        *KEY_COLUMNS,
        pl.lit(check.name, dtype=pl.String).alias("check"),
        pl.lit(check.level.value, dtype=LEVEL_DTYPE).alias("level"),
        message.alias("message"),
        *involved,
    )
    return rows


def run_checks(
    incidents: pl.DataFrame,
    checks: Sequence[Check] = DEFAULT_CHECKS,
    *,
    context: CheckContext | None = None,
    notes: Sequence[str] = (),
) -> CheckReport:
    """Run ``checks`` over ``incidents`` and report what fails; the frame is left as it is.

    Parameters
    ----------
    incidents
        A canonical incident frame (:data:`ddinc.schema.CANONICAL_SCHEMA`); durations are
        recomputed from the timestamps, so stale ones do not matter.
    checks
        The checks to run, with distinct names.
    context
        Parameters of the run; :class:`CheckContext` defaults (now = the current time).
    notes
        Loader notes to show with the report.
    """
    context = context or CheckContext()
    names = [check.name for check in checks]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(f"check name(s) {', '.join(repeated)} given twice; names must be unique")
    # One chunk per column: polars 2.1 panics rendering string messages over a filtered frame
    # whose string columns come in several chunks (a concatenation of loads).
    work = _conform(incidents).rechunk()
    # with_columns, not select: a predicate that returns a scalar still gives one value per row.
    aliases = {check.name: f"__check__{check.name}" for check in checks}
    masks = work.with_columns(
        check.predicate(work, context).fill_null(False).cast(pl.Boolean).alias(aliases[check.name])
        for check in checks
    ).select(aliases.values())
    results = []
    for check in checks:
        mask = masks[aliases[check.name]]
        if mask.any():
            rows = _failing_rows(work, check, context, mask)
        else:
            rows = _failing_rows(work.clear(), check, context, mask.clear())
        results.append(CheckResult(check=check, rows=rows, n_incidents=incidents.height))
    all_notes = list(notes)
    if context.assumed_timezone:
        all_notes.append(
            f"Naive timestamps were assumed to be in {context.assumed_timezone}; if the export "
            "used another zone, every affected time is off by whole hours."
        )
    detection = detection_gap(work)
    note = detection_note(detection, context)
    if note:
        all_notes.append(note)
    return CheckReport(
        results=tuple(results),
        notes=tuple(all_notes),
        n_incidents=incidents.height,
        context=context,
        keys=work.get_column(ROW_KEY),
        detection=detection,
    )


def check(result: LoadResult, checks: Sequence[Check] | None = None, **context: Any) -> CheckReport:
    """Run the checks on a load's incidents, with its notes, assumed time zone and detection.

    ``context`` keywords go to :class:`~ddinc.checks.CheckContext` (``now``, ...)::

        result = ddinc.load("export.csv")
        report = ddinc.check(result)
    """
    settings: dict[str, Any] = {
        "assumed_timezone": result.assumed_timezone,
        "detected_from": result.detected_from,
        **context,
    }
    return run_checks(
        result.incidents,
        DEFAULT_CHECKS if checks is None else checks,
        context=CheckContext(**settings),
        notes=result.notes,
    )
