"""Undo and redo over a recipe: the session's edits, with the cleaned frame kept current.

:class:`History` holds the loaded frame (never changed), the steps done so far and the steps
undone (for redo). Doing a step applies it to the current frame only; undoing one returns to a
kept snapshot when there is one (the last few steps), else replays the remaining steps from
the loaded frame: the cleaned frame is always ``original + steps``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

import polars as pl

from ddinc.checks import CheckContext
from ddinc.clean.fingerprint import MadeOn, fingerprint
from ddinc.clean.ops import Context, Op
from ddinc.clean.recipe import CheckCache, Recipe, Replay, StepReport, apply_step, with_marks

__all__ = ["History"]

# Snapshots kept for instant undo. Each shares the unchanged columns of the one before, but an
# edit of a column at 1M rows copies that column, so only the last few are kept.
_SNAPSHOTS: Final = 4


class History:
    """The steps of a session over one loaded frame, with undo and redo.

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
        self._context = Context(
            report=CheckCache(check_context),
            known_emails=frozenset(known_emails) if known_emails is not None else None,
        )
        self._steps: list[Op] = []
        self._reports: list[StepReport] = []
        self._undone: list[Op] = []
        self._snapshots: list[pl.DataFrame | None] = []
        self._base = with_marks(original)
        self._current = self._base
        for step in recipe.steps if recipe else ():
            self._push(step)

    def _push(self, step: Op) -> StepReport:
        self._snapshots.append(self._current)
        if len(self._snapshots) > _SNAPSHOTS:
            self._snapshots[-_SNAPSHOTS - 1] = None
        self._current, report = apply_step(self._current, len(self._steps), step, self._context)
        self._steps.append(step)
        self._reports.append(report)
        return report

    def do(self, step: Op) -> StepReport:
        """Apply ``step`` on top of the current frame; it clears what could be redone."""
        self._undone.clear()
        return self._push(step)

    def undo(self) -> Op | None:
        """Take back the last step (``None`` when there is none)."""
        if not self._steps:
            return None
        step = self._steps.pop()
        self._reports.pop()
        snapshot = self._snapshots.pop()
        self._undone.append(step)
        if snapshot is not None:
            self._current = snapshot
        else:
            self._rebuild()
        return step

    def redo(self) -> Op | None:
        """Apply again the last undone step (``None`` when there is none)."""
        if not self._undone:
            return None
        step = self._undone.pop()
        self._push(step)
        return step

    def _rebuild(self) -> None:
        steps = list(self._steps)
        self._steps, self._reports, self._snapshots = [], [], []
        self._current = self._base
        for step in steps:
            self._push(step)

    @property
    def can_undo(self) -> bool:
        """True when there is a step to undo."""
        return bool(self._steps)

    @property
    def can_redo(self) -> bool:
        """True when there is an undone step to redo."""
        return bool(self._undone)

    @property
    def steps(self) -> tuple[Op, ...]:
        """The steps done, oldest first."""
        return tuple(self._steps)

    @property
    def reports(self) -> tuple[StepReport, ...]:
        """What each step did when it was applied."""
        return tuple(self._reports)

    @property
    def recipe(self) -> Recipe:
        """The steps done, as a recipe to save (recording the loaded frame as its data)."""
        if self._made_on is None:
            self._made_on = fingerprint(self.original)
        return Recipe(steps=list(self._steps), made_on=self._made_on)

    @property
    def replay(self) -> Replay:
        """The current state as a :class:`Replay` (marked frame and step reports)."""
        return Replay(self._current, tuple(self._reports))

    @property
    def marked(self) -> pl.DataFrame:
        """Every row, edited, with the excluded/selected marks."""
        return self._current

    @property
    def frame(self) -> pl.DataFrame:
        """The cleaned frame: original + steps, excluded rows left out."""
        return self.replay.frame

    def __repr__(self) -> str:
        return f"History({len(self._steps)} step(s), {len(self._undone)} to redo)"
