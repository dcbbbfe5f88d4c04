"""Undo and redo over a recipe: the session's edits, with the cleaned frame kept current.

:class:`History` holds the loaded frame (never changed), the steps done so far and the steps
undone (for redo, and to show greyed in a history list). The cleaned frame is always
``original + steps``. Two things keep a click fast on a large frame:

- a single-cell edit (:class:`~ddinc.clean.ops.SetCell`) is not written into the frame at
  once: it lands in a small *overlay* (position, column -> value), read through by
  :meth:`History.rows` and :meth:`History.cell`. The overlay is written into the frame, one
  column copy per edited column, the first time the whole frame is needed (:attr:`marked`);
- every other step keeps a snapshot of the frame before it (the last few), so undoing it is
  instant; older ones are rebuilt by replaying the steps from the loaded frame.

After each change :attr:`touched` says which row positions it may have changed (``None``:
any), so that whoever shows the frame updates only those rows.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import polars as pl

from ddinc.checks import CheckContext
from ddinc.clean.fingerprint import MadeOn, fingerprint
from ddinc.clean.ops import Context, Op, SetCell, write_cells
from ddinc.clean.recipe import (
    CheckCache,
    Recipe,
    Replay,
    StepReport,
    apply_traced,
    replay,
    with_marks,
    write_pending,
)
from ddinc.clean.values import as_index, positions_of, to_python, true_positions
from ddinc.rowkey import ROW_KEY
from ddinc.schema import DURATIONS, TIMESTAMPS
from ddinc.timeline import with_timeline

__all__ = ["History"]

# Snapshots kept for instant undo. Each shares the unchanged columns of the one before, but an
# edit of a column at 1M rows copies that column, so only the last few are kept.
_SNAPSHOTS: Final = 4
# Above this share of the rows, a step counts as having touched every row.
_MANY: Final = 0.25
_NO_ROWS: Final = np.zeros(0, dtype=np.int64)


@dataclass
class _Cell:
    """A single-cell edit as the overlay holds it: where, and the value before and after."""

    position: int
    column: str
    old: object
    new: object


@dataclass
class _Done:
    step: Op
    report: StepReport
    cell: _Cell | None
    snapshot: pl.DataFrame | None
    touched: np.ndarray | None


class History:
    """The steps of a session over one loaded frame, with undo, redo and jumps.

    Parameters
    ----------
    original
        The loaded canonical frame; it is never changed.
    recipe
        Steps to start from (e.g. a recipe saved last week), replayed at once.
    check_context, known_emails
        As for :func:`ddinc.clean.recipe.replay`.
    force
        Replay ``recipe`` even on data holding under half of the rows it was made on
        (otherwise :class:`~ddinc.clean.recipe.RecipeMismatchError`).
    """

    def __init__(
        self,
        original: pl.DataFrame,
        recipe: Recipe | None = None,
        *,
        check_context: CheckContext | None = None,
        known_emails: Collection[str] | None = None,
        force: bool = False,
    ) -> None:
        if recipe is not None:
            recipe.check_data(original, force=force)
        self.original = original
        self._made_on: MadeOn | None = None
        self._check_context = check_context
        self._context = Context(
            report=CheckCache(check_context),
            known_emails=frozenset(known_emails) if known_emails is not None else None,
        )
        self._done: list[_Done] = []
        # Undone steps, with where a cell step found its row (so a redo need not search).
        self._undone: list[tuple[Op, int | None]] = []
        self._overlay: dict[tuple[int, str], object] = {}
        base = with_marks(original)
        # One chunk per column: gathering a page from a frame read in chunks (Parquet) costs
        # O(rows), from one chunk O(page). Steps keep the chunking they find.
        if any(column.n_chunks() > 1 for column in base.get_columns()):
            base = base.rechunk()
        self._base = base
        self._current = self._base
        self.touched: np.ndarray | None = None
        """Row positions the last change may have changed (``None``: any row)."""
        if recipe is not None and recipe.steps:
            done = replay(
                self._base,
                recipe.steps,
                check_context=check_context,
                known_emails=self._context.known_emails,
            )
            self._current = done.marked
            self._done = [
                _Done(step, report, None, None, None)
                for step, report in zip(recipe.steps, done.steps, strict=True)
            ]
            self.touched = None

    # --- changes ---------------------------------------------------------------------------

    def do(
        self, step: Op, *, position: int | None = None, scope: np.ndarray | None = None
    ) -> StepReport:
        """Apply ``step`` on top of the current frame; it clears what could be redone.

        ``position`` is where the caller saw the row of a :class:`SetCell` (checked, so a
        wrong hint only costs a search). ``scope`` is the mask of the rows the step's
        ``where`` selects on the current frame, when the caller knows it (the Cleaner's facet
        index): it must be exactly what the filter would select.
        """
        self._undone.clear()
        return self._push(step, position, scope)

    def _push(
        self, step: Op, position: int | None = None, scope: np.ndarray | None = None
    ) -> StepReport:
        index = len(self._done)
        if isinstance(step, SetCell) and step.enabled and step.column in self._current.columns:
            return self._push_cell(index, step, position)
        self._flush()
        before = self._current
        context = self._context if scope is None else replace(self._context, scope=scope)
        applied = apply_traced(before, index, step, context)
        self._current, report = applied.frame, applied.report
        if applied.touched is not None:
            self.touched = applied.touched
        else:
            self.touched = _changed_rows(before, self._current, step)
        self._done.append(_Done(step, report, None, before, self.touched))
        self._forget_old_snapshots()
        return report

    def _push_cell(self, index: int, step: SetCell, hint: int | None) -> StepReport:
        frame, column = self._current, step.column
        position = hint
        if (
            position is None
            or not (0 <= position < frame.height)
            or (frame.get_column(ROW_KEY)[position] != step.key)
        ):
            position = positions_of(frame, [step.key]).get(step.key)

        def report(status: str, changed: int, *reasons: str) -> StepReport:
            skipped = int(status == "skipped")
            return StepReport(index, step.kind, step.describe(), status, changed, skipped, reasons)

        cell = None
        if position is None:
            result = report("skipped", 0, f"{step.key}: not in this export")
        else:
            dtype = frame.schema[column]
            current = self.cell(position, column)
            if current != to_python(column, step.expected, dtype):
                result = report(
                    "skipped",
                    0,
                    f"{step.key}: {column} is {current!r} now, the step expected {step.expected!r}",
                )
            else:
                new = to_python(column, step.value, dtype)
                cell = _Cell(position, column, current, new)
                self._overlay[(position, column)] = new
                result = report("applied", int(new != current))
        self.touched = _NO_ROWS if cell is None else np.array([cell.position], dtype=np.int64)
        self._done.append(_Done(step, result, cell, None, self.touched))
        return result

    def undo(self) -> Op | None:
        """Take back the last step (``None`` when there is none)."""
        if not self._done:
            return None
        done = self._done.pop()
        self._undone.append((done.step, done.cell.position if done.cell else None))
        if done.cell is not None:
            self._overlay[(done.cell.position, done.cell.column)] = done.cell.old
        elif done.snapshot is not None:
            # Every overlay entry came from steps after this one, all undone by now.
            self._overlay.clear()
            self._current = done.snapshot
        elif done.touched is not None and not done.touched.size:
            pass  # the step changed nothing
        else:
            self._rebuild()
        self.touched = done.touched
        return done.step

    def redo(self, *, scope: np.ndarray | None = None) -> Op | None:
        """Apply again the last undone step (``None`` when there is none); ``scope`` as for
        :meth:`do`, for that step."""
        if not self._undone:
            return None
        step, position = self._undone.pop()
        self._push(step, position, scope)
        return step

    @property
    def next_redo(self) -> Op | None:
        """The step :meth:`redo` would apply (``None``: nothing to redo)."""
        return self._undone[-1][0] if self._undone else None

    def goto(self, count: int) -> np.ndarray | None:
        """Undo or redo until ``count`` steps are done; the rows touched on the way."""
        count = max(0, min(count, len(self._done) + len(self._undone)))
        touched: list[np.ndarray] = []
        every = False
        while len(self._done) > count:
            self.undo()
            every = every or self.touched is None
            touched.append(self.touched if self.touched is not None else _NO_ROWS)
        while len(self._done) < count:
            self.redo()
            every = every or self.touched is None
            touched.append(self.touched if self.touched is not None else _NO_ROWS)
        self.touched = None if every else np.unique(np.concatenate([_NO_ROWS, *touched]))
        return self.touched

    def _rebuild(self) -> None:
        steps = [done.step for done in self._done]
        done = replay(
            self._base,
            steps,
            check_context=self._check_context,
            known_emails=self._context.known_emails,
        )
        self._overlay.clear()
        self._current = done.marked
        self._done = [
            _Done(step, report, None, None, None)
            for step, report in zip(steps, done.steps, strict=True)
        ]

    def _forget_old_snapshots(self) -> None:
        kept = 0
        for done in reversed(self._done):
            if done.snapshot is None:
                continue
            kept += 1
            if kept > _SNAPSHOTS:
                done.snapshot = None

    def _flush(self) -> None:
        """Write the overlay into the frame: one column copy per edited column."""
        if not self._overlay:
            return
        by_column: dict[str, dict[int, object]] = {}
        for (position, column), value in self._overlay.items():
            by_column.setdefault(column, {})[position] = value
        frame = write_pending(self._current, by_column)
        self._overlay.clear()
        # The cell steps now live in the frame: undoing one writes its old value back into
        # the overlay, which is still right.
        self._current = frame

    # --- reading ---------------------------------------------------------------------------

    def cell(self, position: int, column: str) -> object:
        """The current value at ``position`` of ``column`` (edits included)."""
        key = (position, column)
        if key in self._overlay:
            return self._overlay[key]
        return self._current.get_column(column)[position]

    def rows(
        self, positions: pl.Series | Sequence[int] | np.ndarray, columns: Sequence[str]
    ) -> pl.DataFrame:
        """The current ``columns`` of the rows at ``positions`` (edits included), in that order.

        Durations asked for are recomputed for edited rows, so they follow their timestamps.
        """
        index = as_index(positions)
        if not self._overlay:
            return self._current.select(columns).gather(index)
        # Only the overlay's rows need a lookup: a bulk step may read 100,000s of rows.
        asked = index.to_numpy()
        edited_at = np.array(sorted({p for p, _ in self._overlay}), dtype=np.int64)
        hits = np.flatnonzero(np.isin(asked, edited_at))
        wanted = {int(asked[i]): int(i) for i in hits}
        edited = [(p, c) for (p, c) in self._overlay if p in wanted]
        durations = [name for name in DURATIONS if name in columns]
        timed = durations and any(column in TIMESTAMPS for _, column in edited)
        # Durations follow edited timestamps: read the timestamps too, recompute, drop them.
        read = list(dict.fromkeys([*columns, *(TIMESTAMPS if timed else ())]))
        picked = self._current.select(read).gather(index)
        patches: dict[str, dict[int, object]] = {}
        for position, column in edited:
            if column in read:
                patches.setdefault(column, {})[wanted[position]] = self._overlay[(position, column)]
        for column, updates in patches.items():
            picked = write_cells(picked, column, updates)
        if timed:
            picked = with_timeline(picked)
        return picked.select(columns)

    def column(self, name: str) -> pl.Series:
        """The current column ``name`` (written from the overlay first if it was edited)."""
        if any(column == name for _, column in self._overlay):
            self._flush()
        return self._current.get_column(name)

    @property
    def has_pending(self) -> bool:
        """True when cell edits wait in the overlay (reading :attr:`marked` writes them)."""
        return bool(self._overlay)

    @property
    def can_undo(self) -> bool:
        """True when there is a step to undo."""
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        """True when there is an undone step to redo."""
        return bool(self._undone)

    @property
    def steps(self) -> tuple[Op, ...]:
        """The steps done, oldest first."""
        return tuple(done.step for done in self._done)

    @property
    def undone(self) -> tuple[Op, ...]:
        """The steps undone, in the order a redo would apply them again."""
        return tuple(step for step, _ in reversed(self._undone))

    @property
    def reports(self) -> tuple[StepReport, ...]:
        """What each step did when it was applied."""
        return tuple(done.report for done in self._done)

    @property
    def recipe(self) -> Recipe:
        """The steps done, as a recipe to save (recording the loaded frame as its data)."""
        if self._made_on is None:
            self._made_on = fingerprint(self.original)
        return Recipe(steps=list(self.steps), made_on=self._made_on)

    @property
    def replay(self) -> Replay:
        """The current state as a :class:`Replay` (marked frame and step reports)."""
        return Replay(self.marked, self.reports)

    @property
    def height(self) -> int:
        """Rows of the frame (steps mark rows, they never add or remove any)."""
        return self._current.height

    @property
    def schema(self) -> pl.Schema:
        """Columns and dtypes of the frame."""
        return self._current.schema

    @property
    def marked(self) -> pl.DataFrame:
        """Every row, edited, with the excluded/selected marks."""
        self._flush()
        return self._current

    @property
    def frame(self) -> pl.DataFrame:
        """The cleaned frame: original + steps, excluded rows left out."""
        return self.replay.frame

    def __repr__(self) -> str:
        return f"History({len(self._done)} step(s), {len(self._undone)} to redo)"


def _changed_rows(before: pl.DataFrame, after: pl.DataFrame, step: Op) -> np.ndarray | None:
    """Positions where ``after`` differs from ``before`` in the columns ``step`` writes."""
    if after is before:
        return _NO_ROWS
    if after.height != before.height:
        return None
    names = [name for name in after.columns if name != ROW_KEY and name in before.columns]
    written = step.columns_needed() - {ROW_KEY, "raw"}
    candidates = [name for name in names if name in written or name.startswith("__")]
    if written & set(TIMESTAMPS):
        candidates += [name for name in DURATIONS if name in names]
    changed = pl.Series("changed", [False] * after.height, dtype=pl.Boolean)
    for name in dict.fromkeys(candidates):
        old, new = before.get_column(name), after.get_column(name)
        if old.dtype != new.dtype:
            return None
        changed = changed | old.ne_missing(new).fill_null(True)
    count = int(changed.sum())
    if count > _MANY * max(after.height, 1):
        return None
    return true_positions(changed)
