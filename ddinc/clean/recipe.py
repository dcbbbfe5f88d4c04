"""A recipe: the ordered steps of a cleaning session, saved as versioned JSON, replayed on demand.

The loaded frame is never changed: the cleaned frame is always ``original + recipe``.
:func:`replay` applies the steps one by one; before each it checks that the columns the step
needs exist, and it reports per step what changed, what was skipped and why, instead of
all or nothing. Durations are recomputed after every step that moves a timestamp; the checks
are run only when a step filters on them (and by whoever shows the result).

A recipe records the data it was made on (:mod:`ddinc.clean.fingerprint`). :meth:`Recipe.apply`
refuses data holding under half of those rows (``force=True`` applies anyway), and refuses a
replay in which a step changed no row or excluded more than half of the rows
(``allow_partial=True`` keeps it): a facet still matches on the wrong file, so "applied" alone
does not mean "meant".

>>> from ddinc.clean import SetCell
>>> recipe = Recipe(steps=[SetCell(key="jira:OPS-1", column="title", expected="Dsk full",
...                                value="Disk full")])
>>> Recipe.from_json(recipe.to_json()) == recipe
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ddinc.checks import CheckContext, CheckReport, run_checks
from ddinc.clean.fingerprint import MadeOn, fingerprint, shared_fraction, sources_of
from ddinc.clean.ops import Context, Op, Operation, SetCell, write_cells
from ddinc.clean.recipe_json import (
    RECIPE_FORMAT,
    RECIPE_VERSION,
    parse_recipe,
    validation_message,
)
from ddinc.clean.values import EXCLUDED, SELECTED, positions_of, to_python
from ddinc.errors import ConfigError
from ddinc.rowkey import ROW_KEY
from ddinc.schema import TIMESTAMPS
from ddinc.timeline import with_timeline

__all__ = [
    "MIN_SHARED",
    "RECIPE_FORMAT",
    "RECIPE_VERSION",
    "Applied",
    "CheckCache",
    "Recipe",
    "RecipeMismatchError",
    "RecipePartialError",
    "Replay",
    "ReplayReport",
    "StepReport",
    "apply_step",
    "apply_traced",
    "replay",
    "set_cells",
    "with_marks",
    "write_pending",
]

MIN_SHARED: Final = 0.5
"""A recipe applies to data holding at least this share of the rows it was made on."""


class RecipeMismatchError(ConfigError):
    """The data holds under :data:`MIN_SHARED` of the rows the recipe was made on."""

    exit_status = 2


class RecipePartialError(ConfigError):
    """A replay in which some step changed no row or excluded more than half of the rows.

    ``replay`` holds the whole replay, to look at before deciding to keep it. On the command
    line the status is 1 (the data was read; the recipe did not do what it says).
    """

    exit_status = 1

    def __init__(self, message: str, replay: Replay) -> None:
        super().__init__(message)
        self.replay = replay


class Recipe(BaseModel):
    """The steps of a cleaning session, in order."""

    model_config = ConfigDict(extra="forbid")

    format: str = RECIPE_FORMAT
    version: int = RECIPE_VERSION
    description: str = ""
    made_on: MadeOn | None = None
    """The data the recipe was made on (``None`` in recipes written before version 2)."""
    steps: list[Operation] = Field(default_factory=list)

    def to_json(self) -> str:
        """The recipe as indented JSON."""
        return self.model_dump_json(indent=2, exclude_defaults=False)

    @classmethod
    def from_json(cls, text: str | bytes, *, where: str = "recipe") -> Recipe:
        """Read a recipe written by :meth:`to_json` (``where`` names it in errors).

        The text is data from anyone: see :mod:`ddinc.clean.recipe_json` for what is checked.
        """
        envelope, steps = parse_recipe(text, where=where)
        try:
            recipe = cls.model_validate({**envelope, "steps": []}, strict=True)
        except ValidationError as error:
            raise ConfigError(f"{where}: {validation_message(error)}") from None
        return recipe.model_copy(update={"steps": steps})

    def fingerprinted(self, frame: pl.DataFrame) -> Recipe:
        """This recipe, recording ``frame`` as the data it was made on."""
        return self.model_copy(update={"made_on": fingerprint(frame), "version": RECIPE_VERSION})

    def check_data(self, frame: pl.DataFrame, *, force: bool = False) -> float | None:
        """The share of the recipe's rows ``frame`` holds (``None``: the recipe records none).

        Raises :class:`RecipeMismatchError` under :data:`MIN_SHARED`, unless ``force``.
        """
        if self.made_on is None or ROW_KEY not in frame.columns:
            return None
        shared = shared_fraction(self.made_on, frame)
        if shared < MIN_SHARED and not force:
            here = sources_of(frame)
            raise RecipeMismatchError(
                f"this recipe was made on {self.made_on.describe()}; this data ({frame.height} "
                f"row(s){f' of {here}' if here else ''}) holds {shared:.0%} of those rows: it "
                "looks like a recipe for another export. Apply it anyway with force=True"
            )
        return shared

    def save(self, path: str | Path) -> Path:
        """Write the recipe as JSON to ``path`` (its folder is created when missing)."""
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(self.to_json() + "\n", encoding="utf-8")
        except OSError as error:
            raise ConfigError(
                f"cannot write the recipe to {target}: {error.strerror or error}; "
                "choose a writable file path"
            ) from None
        return target

    @classmethod
    def load(cls, path: str | Path) -> Recipe:
        """Read a recipe saved by :meth:`save`."""
        source = Path(path)
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot read recipe {source}: {error.strerror}") from None
        return cls.from_json(text, where=str(source))

    def apply(
        self,
        frame: pl.DataFrame,
        *,
        check_context: CheckContext | None = None,
        known_emails: Collection[str] | None = None,
        force: bool = False,
        allow_partial: bool = False,
    ) -> Replay:
        """Replay every step on ``frame`` (see :func:`replay`).

        Parameters
        ----------
        force
            Apply even to data holding under half of the rows the recipe was made on.
        allow_partial
            Keep a replay in which some step changed no row or excluded more than half of
            the rows (:attr:`Replay.problems`); without it, :class:`RecipePartialError`.
        """
        shared = self.check_data(frame, force=force)
        notes = []
        if self.made_on is None:
            notes.append(
                "the recipe records no data it was made on (written before ddinc recorded it): "
                "applied without checking that it is for this data"
            )
        elif shared is not None and shared < MIN_SHARED:
            notes.append(
                f"applied with force to data holding {shared:.0%} of the rows it was made on"
            )
        done = replay(frame, self.steps, check_context=check_context, known_emails=known_emails)
        done = dataclasses.replace(
            done, description=self.description, made_on=self.made_on, notes=tuple(notes)
        )
        if done.problems and not allow_partial:
            lines = "; ".join(f"step {s.index + 1}: {done.problem(s)}" for s in done.problems)
            raise RecipePartialError(
                f"the recipe did not do what it says here: {lines}; if that is what you meant, "
                "keep the result with allow_partial=True",
                done,
            )
        return done


@dataclass(frozen=True)
class StepReport:
    """What one step did on one replay.

    ``status`` is ``applied`` (nothing skipped), ``partial`` (some rows skipped), ``skipped``
    (nothing applied: rows absent or changed), ``disabled`` (a proposal not accepted),
    ``missing columns`` or ``failed`` (the step could not run; ``reasons`` says why).
    """

    index: int
    kind: str
    description: str
    status: str
    changed: int
    skipped: int
    reasons: tuple[str, ...]

    def line(self) -> str:
        """The step's report as one line (plus indented reasons)."""
        head = (
            f"step {self.index + 1} {self.status}: {self.description} "
            f"(changed {self.changed}, skipped {self.skipped})"
        )
        return "\n".join([head, *(f"    {reason}" for reason in self.reasons)])


@dataclass(frozen=True)
class Replay:
    """A replay: the frames it made and the per-step report."""

    marked: pl.DataFrame
    """Every row, edited, with the ``__excluded`` and ``__selected`` marks."""
    steps: tuple[StepReport, ...]
    description: str = ""
    """The recipe's description (empty for steps replayed without a recipe)."""
    made_on: MadeOn | None = None
    notes: tuple[str, ...] = ()
    """What the reader should know about the replay as a whole (no record of the data...)."""

    @property
    def frame(self) -> pl.DataFrame:
        """The cleaned frame: excluded rows left out, marks dropped."""
        return self.marked.filter(~pl.col(EXCLUDED)).drop(EXCLUDED, SELECTED)

    @property
    def selected_keys(self) -> list[str]:
        """Row keys selected for the push (excluded rows never are)."""
        picked = self.marked.filter(pl.col(SELECTED) & ~pl.col(EXCLUDED))
        return picked.get_column(ROW_KEY).to_list()

    @property
    def excluded_keys(self) -> list[str]:
        """Row keys left out of the cleaned frame."""
        return self.marked.filter(pl.col(EXCLUDED)).get_column(ROW_KEY).to_list()

    @property
    def complete(self) -> bool:
        """True when every enabled step applied in full."""
        return all(step.status in ("applied", "disabled") for step in self.steps)

    def problem(self, step: StepReport) -> str | None:
        """Why ``step`` may not mean what it says here (``None`` when nothing is amiss).

        An enabled step that changed no row (on the wrong data a facet still matches, a key
        does not), or an ``exclude`` leaving out more than half of the rows.
        """
        if step.status == "disabled":
            return None
        if step.changed == 0:
            return f"{step.kind} changed no row ({step.status})"
        if step.kind == "exclude" and step.changed * 2 > self.marked.height:
            return f"exclude left out {step.changed} of {self.marked.height} rows (over half)"
        return None

    @property
    def problems(self) -> tuple[StepReport, ...]:
        """The steps with a :meth:`problem`."""
        return tuple(step for step in self.steps if self.problem(step) is not None)

    def summary(self) -> ReplayReport:
        """What the replay did, for a report to show (see :class:`ReplayReport`)."""
        changed = sum(step.changed for step in self.steps if step.kind not in _MARKS)
        return ReplayReport(
            description=self.description,
            made_on=self.made_on.describe() if self.made_on is not None else None,
            steps=len(self.steps),
            applied=sum(step.status == "applied" for step in self.steps),
            disabled=tuple(step for step in self.steps if step.status == "disabled"),
            not_applied=tuple(
                step for step in self.steps if step.status not in ("applied", "disabled")
            ),
            problems=tuple((step, str(self.problem(step))) for step in self.problems),
            cells_changed=changed,
            rows=self.marked.height,
            rows_excluded=len(self.excluded_keys),
            notes=self.notes,
        )

    def report_text(self) -> str:
        """The per-step report, one step a line, then the notes and the steps to look at."""
        if not self.steps:
            return "\n".join(["recipe: no steps", *self.notes])
        applied = sum(step.status == "applied" for step in self.steps)
        head = f"recipe: {applied} of {len(self.steps)} step(s) applied in full"
        if self.made_on is not None:
            head += f" (made on {self.made_on.describe()})"
        lines = [head, *(step.line() for step in self.steps)]
        lines += [f"note: {note}" for note in self.notes]
        lines += [f"look at step {s.index + 1}: {self.problem(s)}" for s in self.problems]
        return "\n".join(lines)

    def to_dicts(self) -> list[dict[str, Any]]:
        """The per-step report as JSON-serialisable dicts."""
        return [
            {**step.__dict__, "reasons": list(step.reasons), "problem": self.problem(step)}
            for step in self.steps
        ]


# Steps that mark rows (excluded, selected) rather than change cells.
_MARKS: Final = frozenset({"exclude", "include", "select", "deselect"})


# Steps a report lists word for word in each group (a week of cell edits can be thousands).
_LISTED: Final = 10


def _first(lines: Iterable[str]) -> list[str]:
    kept = list(lines)
    more = len(kept) - _LISTED
    return kept[:_LISTED] + ([f"... and {more} more"] if more > 0 else [])


@dataclass(frozen=True)
class ReplayReport:
    """Which recipe was applied, what it changed and what it left out: for a report to render.

    Computed once from a :class:`Replay` (:meth:`Replay.summary`); :meth:`to_dict` is the
    JSON a renderer or ``--json`` output takes, :meth:`lines` the plain text.
    """

    description: str
    made_on: str | None
    """What the recipe was made on, in words (``None``: an older recipe recording nothing)."""
    steps: int
    applied: int
    disabled: tuple[StepReport, ...]
    """Steps left out on purpose: proposals not accepted."""
    not_applied: tuple[StepReport, ...]
    """Steps applied in part or not at all (rows absent or changed, columns missing)."""
    problems: tuple[tuple[StepReport, str], ...]
    cells_changed: int
    """Values the editing steps changed, as each step counts them (a cell, or a row)."""
    rows: int
    rows_excluded: int
    notes: tuple[str, ...]

    def lines(self) -> list[str]:
        """The report as plain lines."""
        name = self.description or "a recipe"
        made = f", made on {self.made_on}" if self.made_on else ""
        lines = [
            f"recipe applied: {name}{made}",
            f"{self.applied} of {self.steps} step(s) applied in full; {self.cells_changed} "
            f"value(s) changed; {self.rows_excluded} of {self.rows} row(s) left out",
        ]
        lines += _first(f"left out (disabled): {step.description}" for step in self.disabled)
        lines += _first(
            f"not applied in full ({step.status}): {step.description}" for step in self.not_applied
        )
        lines += _first(
            f"to look at: step {step.index + 1}: {problem}" for step, problem in self.problems
        )
        lines += [f"note: {note}" for note in self.notes]
        return lines

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-serialisable data."""

        def step(report: StepReport) -> dict[str, Any]:
            return {**report.__dict__, "index": report.index + 1, "reasons": list(report.reasons)}

        return {
            "description": self.description,
            "made_on": self.made_on,
            "steps": self.steps,
            "applied": self.applied,
            "disabled": [step(report) for report in self.disabled],
            "not_applied": [step(report) for report in self.not_applied],
            "problems": [{**step(report), "problem": text} for report, text in self.problems],
            "cells_changed": self.cells_changed,
            "rows": self.rows,
            "rows_excluded": self.rows_excluded,
            "notes": list(self.notes),
        }


def with_marks(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with false ``__excluded`` / ``__selected`` marks, unless it has them."""
    missing = [
        pl.lit(False).alias(name) for name in (EXCLUDED, SELECTED) if name not in frame.columns
    ]
    return frame.with_columns(missing) if missing else frame


class CheckCache:
    """The check report of the frame of the moment, computed at most once per frame."""

    def __init__(self, context: CheckContext | None) -> None:
        self._context = context
        self._frame: pl.DataFrame | None = None
        self._report: CheckReport | None = None

    def __call__(self, frame: pl.DataFrame) -> CheckReport:
        if self._frame is not frame or self._report is None:
            self._report = run_checks(frame, context=self._context)
            self._frame = frame
        return self._report


def apply_step(
    frame: pl.DataFrame, index: int, step: Op, context: Context
) -> tuple[pl.DataFrame, StepReport]:
    """Apply one step, catching what makes it unappliable into its report."""
    applied = apply_traced(frame, index, step, context)
    return applied.frame, applied.report


@dataclass(frozen=True)
class Applied:
    """One step applied: the new frame, its report, and the rows it changed if known."""

    frame: pl.DataFrame
    report: StepReport
    touched: np.ndarray | None
    """Positions of the changed rows (``None``: the step does not say; compare frames)."""


def apply_traced(frame: pl.DataFrame, index: int, step: Op, context: Context) -> Applied:
    """:func:`apply_step`, also saying which rows changed when the step knows it."""
    kind = str(getattr(step, "kind", type(step).__name__))

    def report(status: str, changed: int = 0, skipped: int = 0, *reasons: str) -> StepReport:
        return StepReport(index, kind, step.describe(), status, changed, skipped, reasons)

    nothing = np.zeros(0, dtype=np.int64)
    if not step.enabled:
        return Applied(
            frame,
            report("disabled", 0, 0, "a proposal not accepted: enable it to apply it"),
            nothing,
        )
    missing = sorted(step.columns_needed() - set(frame.columns))
    if missing:
        reason = f"the export lacks {', '.join(missing)}"
        return Applied(frame, report("missing columns", 0, 0, reason), nothing)
    try:
        outcome = step.apply(frame, context)
    except ConfigError as error:
        return Applied(frame, report("failed", 0, 0, str(error)), nothing)
    result = outcome.frame
    if step.columns_needed() & set(TIMESTAMPS):
        result = with_timeline(result)
    if outcome.skipped == 0:
        status = "applied"
    elif outcome.changed:
        status = "partial"
    else:
        status = "skipped"
    made = report(status, outcome.changed, outcome.skipped, *outcome.reasons)
    return Applied(result, made, outcome.touched)


def replay(
    frame: pl.DataFrame,
    steps: Sequence[Op],
    *,
    check_context: CheckContext | None = None,
    known_emails: Collection[str] | None = None,
) -> Replay:
    """Apply ``steps`` in order to ``frame`` (which is left as it is).

    Parameters
    ----------
    frame
        A canonical frame (it must carry ``row_key``).
    steps
        The operations; disabled ones are reported, not applied.
    check_context
        The parameters of the checks a ``check`` facet filter runs.
    known_emails
        Emails of the Datadog users, for the ``people`` facet.
    """
    if ROW_KEY not in frame.columns:
        raise ConfigError(
            "the frame has no row_key column; load it with ddinc.load (or add keys with "
            "ddinc.rowkey.with_row_keys) so steps can find their rows"
        )
    context = Context(
        report=CheckCache(check_context),
        known_emails=frozenset(known_emails) if known_emails is not None else None,
    )
    current = with_marks(frame)
    reports: list[StepReport] = []
    index = 0
    while index < len(steps):
        # A run of single-cell edits is applied as one write per column (each step still
        # gets its own report): at 1M rows, copying a column once per edit would dominate.
        run = 0
        while index + run < len(steps) and _batchable(steps[index + run], current):
            run += 1
        if run > 1:
            cells = [(index + offset, steps[index + offset]) for offset in range(run)]
            current, batch = set_cells(current, cells)  # type: ignore[arg-type]
            reports.extend(batch)
            index += run
            continue
        current, step_report = apply_step(current, index, steps[index], context)
        reports.append(step_report)
        index += 1
    return Replay(current, tuple(reports))


def _batchable(step: Op, frame: pl.DataFrame) -> bool:
    return isinstance(step, SetCell) and step.enabled and step.column in frame.columns


def set_cells(
    frame: pl.DataFrame, steps: Sequence[tuple[int, SetCell]]
) -> tuple[pl.DataFrame, list[StepReport]]:
    """Apply consecutive :class:`SetCell` steps with one write per column.

    The outcome is the same as applying them one by one: each step compares its expected
    value with the cell as the steps before it left it.
    """
    found = positions_of(frame, [step.key for _, step in steps])
    pending: dict[str, dict[int, object]] = {}
    reports = []
    for index, step in steps:
        column = step.column
        dtype = frame.schema[column]
        updates = pending.setdefault(column, {})
        position = found.get(step.key)
        reason = ""
        changed = 0
        if position is None:
            reason = f"{step.key}: not in this export"
        else:
            current = updates.get(position, frame.get_column(column)[position])
            if current != to_python(column, step.expected, dtype):
                reason = (
                    f"{step.key}: {column} is {current!r} now, the step expected {step.expected!r}"
                )
            else:
                new = to_python(column, step.value, dtype)
                changed = int(new != current)
                updates[position] = new
        status = "skipped" if reason else "applied"
        reasons = (reason,) if reason else ()
        reports.append(
            StepReport(
                index, step.kind, step.describe(), status, changed, int(bool(reason)), reasons
            )
        )
    return write_pending(frame, pending), reports


def write_pending(frame: pl.DataFrame, pending: dict[str, dict[int, object]]) -> pl.DataFrame:
    """``frame`` with cell values written, ``{column: {position: value}}``: one write per
    column, cells already holding their value left alone, durations recomputed when a
    timestamp was written."""
    for column, updates in pending.items():
        original = frame.get_column(column)
        real = {p: v for p, v in updates.items() if v != original[p]}
        frame = write_cells(frame, column, real)
    if set(pending) & set(TIMESTAMPS):
        frame = with_timeline(frame)
    return frame
