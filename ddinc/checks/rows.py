"""Checks re-run on some rows of a frame: what a step touched, or the one record on screen.

Most checks are row-local (:attr:`~ddinc.checks.model.Check.row_wise`): their verdict for a
row depends on that row alone, so after an edit they can be re-run on the rows it touched, at
a cost in the number of those rows, not in the size of the frame. The frame-wide checks
(repeated ids, probable duplicates, whole-hour offsets, outliers) compare rows with each other
and need :func:`~ddinc.checks.run_checks` over the whole frame::

    verdicts = failing_rows_of(frame, context=context, written={"state"}, at=touched)
    verdicts["state_unmapped"]       # numpy bools over frame[touched], as run_checks says
    row_messages(frame[[position]], context=context)    # check, level, message of one record

``verdicts`` holds only the checks that read a written column: the others cannot have changed.

Only the columns the chosen predicates read are conformed (cast, converted to UTC, durations
recomputed), the way :func:`~ddinc.checks.run_checks` conforms the whole frame, and no message
is rendered.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from ddinc.checks.model import Check, CheckContext
from ddinc.checks.report import _LOAD_NOTES, _TEXT_COLUMNS, KEY_COLUMNS, ROW, _conform, run_checks
from ddinc.checks.rules import DEFAULT_CHECKS
from ddinc.errors import ConfigError
from ddinc.rowkey import ROW_KEY
from ddinc.schema import RAW_FIELDS, TIMESTAMPS, Timestamp
from ddinc.timeline import DEFINITIONS

__all__ = ["columns_read", "failing_rows_of", "row_local_checks", "row_messages"]

_RAW: Final = "raw"
_SOURCE_ROWS: Final = "source_rows"
# What a computed row key is made of (ddinc.rowkey), when the frame carries none.
_KEY_SOURCES: Final = frozenset({"source", "source_id", "title", "raw"})


def row_local_checks(checks: Sequence[Check] = DEFAULT_CHECKS) -> tuple[Check, ...]:
    """The checks among ``checks`` whose verdict and message for a row read that row alone."""
    return tuple(check for check in checks if check.row_wise)


def _conformed_reads(check: Check, conformed: pl.DataFrame, context: CheckContext) -> set[str]:
    """The columns of the conformed frame ``check``'s predicate reads (``row`` included)."""
    return set(check.predicate(conformed, context).meta.root_names())


def _to_input_columns(names: Collection[str], frame: pl.DataFrame) -> frozenset[str]:
    """Conformed column names -> the columns of ``frame`` they are derived from."""
    found: set[str] = set()
    for name in names:
        if name == ROW:
            # The position in the whole frame: whatever the predicate computed from the frame
            # with it (probable duplicates) may have read any column.
            found.update(frame.columns)
        elif name in DEFINITIONS:
            # run_checks recomputes durations from the timestamps; stale ones do not count.
            found.update(DEFINITIONS[name])
        elif name == ROW_KEY and (
            ROW_KEY not in frame.columns or frame.get_column(ROW_KEY).null_count() == frame.height
        ):
            found.update(_KEY_SOURCES)
        else:
            found.add(name)
    return frozenset(found)


def columns_read(check: Check, frame: pl.DataFrame, context: CheckContext) -> frozenset[str]:
    """The columns of ``frame`` whose values ``check``'s predicate reads.

    Taken from the predicate built for ``frame`` (``Expr.meta.root_names``), in the frame's
    own terms: a duration names the two timestamps :func:`~ddinc.checks.run_checks` recomputes
    it from, a predicate reading the row position (it computed something over the whole
    frame) names every column. Writing a column outside this set cannot change the check's
    verdict on any row. Costs the same at any frame size (it looks at the schema only).
    """
    return _to_input_columns(_conformed_reads(check, _conform(frame.clear()), context), frame)


def _conformed_column(name: str, schema: pl.Schema) -> pl.Expr:
    """Column ``name`` as run_checks' conforming step makes it (durations aside)."""
    dtype = schema.get(name)
    if name in _TEXT_COLUMNS:
        return pl.col(name).cast(pl.String)
    if name in TIMESTAMPS:
        if isinstance(dtype, pl.Null):
            return pl.col(name).cast(Timestamp)
        return pl.col(name).dt.convert_time_zone("UTC").cast(Timestamp)
    if name == _RAW:
        fields = {f.name for f in dtype.fields} if isinstance(dtype, pl.Struct) else set()
        return pl.struct(
            [
                pl.col(_RAW).struct.field(field).cast(pl.String)
                if field in fields
                else pl.lit(None, dtype=pl.String).alias(field)
                for field in RAW_FIELDS
            ]
        ).alias(_RAW)
    if name == _LOAD_NOTES:
        if dtype is None:
            return pl.lit([], dtype=pl.List(pl.String)).alias(name)
        return pl.col(name).cast(pl.List(pl.String))
    if name == _SOURCE_ROWS:
        if dtype is None:
            return pl.lit(None, dtype=pl.List(pl.Int64)).alias(name)
        return pl.col(name).cast(pl.List(pl.Int64))
    if name == ROW_KEY:
        return pl.col(name).cast(pl.String)
    if dtype is None:
        raise ConfigError(f"a check reads column {name!r}, which the frame lacks")
    return pl.col(name)


def _conform_only(rows: pl.DataFrame, names: Collection[str]) -> pl.DataFrame:
    """``rows`` reduced to the conformed columns ``names`` (in run_checks' terms)."""
    schema = rows.schema
    durations = [name for name in names if name in DEFINITIONS]
    base = {name for name in names if name not in DEFINITIONS}
    base.update(column for name in durations for column in DEFINITIONS[name])
    if ROW_KEY in base and (
        ROW_KEY not in schema or rows.get_column(ROW_KEY).null_count() == rows.height
    ):
        # A computed key depends on the other rows (a repeated id gets a digest).
        raise ConfigError(
            "a check reads row_key, and these rows carry none; give them the whole frame's "
            "keys (ddinc.rowkey.with_row_keys on the whole frame) before re-checking a part"
        )
    conformed = rows.select(_conformed_column(name, schema) for name in sorted(base))
    return conformed.with_columns(
        (pl.col(DEFINITIONS[name][1]) - pl.col(DEFINITIONS[name][0]))
        .cast(pl.Duration("us"))
        .alias(name)
        for name in durations
    )


def failing_rows_of(
    rows: pl.DataFrame,
    checks: Sequence[Check] = DEFAULT_CHECKS,
    *,
    context: CheckContext,
    written: Collection[str] | None = None,
    at: npt.ArrayLike | None = None,
) -> dict[str, npt.NDArray[np.bool_]]:
    """Which of ``rows`` fail each row-local check, exactly as run_checks on a whole frame says.

    Parameters
    ----------
    rows
        Some rows of a canonical frame (the rows a step touched, say), in any order; or the
        whole frame, with ``at``.
    checks
        The checks to consider; only the row-local ones (:func:`row_local_checks`) are run.
    context
        The parameters the whole frame's checks ran with.
    written
        The columns the step wrote: only checks whose predicate reads one of them
        (:func:`columns_read`) are run, the others' verdicts cannot have changed. None runs
        every row-local check.
    at
        Positions in ``rows`` of the rows to check (e.g. the rows a step touched in the whole
        frame), in any order. Cheaper than passing ``frame[at]``: only the columns the
        predicates read are gathered. Keep that frame in one chunk (``rechunk()`` once):
        gathering from a struct column in 8 chunks costs ~70 ms at a million rows, even for
        one row (polars 2.1), against 0.4 ms in one chunk.

    Returns
    -------
    dict
        Check name -> boolean array over ``rows`` (over ``at`` when given; True where the row
        fails), in the order of ``checks``, for the checks that were run.

    Costs O(len(rows)): predicates only, over the columns they read; no message is rendered.
    """
    names = [check.name for check in checks]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(f"check name(s) {', '.join(repeated)} given twice; names must be unique")
    # The conforming step's own validation (columns present, aware timestamps), on no rows.
    shape = _conform(rows.clear())
    wanted = None if written is None else frozenset(written)
    chosen: list[tuple[Check, pl.Expr]] = []
    reads: set[str] = set()
    for check in row_local_checks(checks):
        predicate = check.predicate(shape, context)
        read = set(predicate.meta.root_names())
        if ROW in read:
            raise ConfigError(
                f"check {check.name} is marked row_wise but its predicate reads the row "
                "position, i.e. something computed over the whole frame; set row_wise=False"
            )
        if wanted is not None and not (_to_input_columns(read, rows) & wanted):
            continue
        chosen.append((check, predicate))
        reads |= read
    if not chosen:
        return {}
    if at is not None:
        inputs = _to_input_columns(reads, rows) & set(rows.columns)
        positions = pl.Series("at", np.asarray(at), dtype=pl.Int64)
        rows = rows.select(sorted(inputs))[positions]
    work = _conform_only(rows, reads)
    aliases = {check.name: f"__check__{check.name}" for check, _ in chosen}
    # with_columns, not select: a predicate that returns a scalar still gives one value per row.
    masks = work.with_columns(
        predicate.fill_null(False).cast(pl.Boolean).alias(aliases[check.name])
        for check, predicate in chosen
    ).select(aliases.values())
    return {
        name: masks.get_column(alias).to_numpy().astype(np.bool_, copy=False)
        for name, alias in aliases.items()
    }


def row_messages(
    rows: pl.DataFrame,
    checks: Sequence[Check] = DEFAULT_CHECKS,
    *,
    context: CheckContext,
) -> pl.DataFrame:
    """The row-local checks ``rows`` fail, with their messages: for a record view.

    One row per (row, failing check), in check order then row order: ``row_key``, ``source``,
    ``source_id``, ``source_rows``, ``title``, ``check``, ``level``, ``message``. Meant for a
    few rows (rendering messages is what costs); ``rows`` should carry the whole frame's
    ``row_key``. Frame-wide checks are left out: their verdict needs every row.
    """
    local = row_local_checks(checks)
    verdicts = failing_rows_of(rows, local, context=context)
    # Building a message costs ~5 ms a check whatever the rows: only the failing ones pay it.
    failing = [check for check in local if verdicts[check.name].any()]
    report = run_checks(rows, failing, context=context)
    return report.failing().select(*KEY_COLUMNS, "check", "level", "message")
