"""A recipe: the ordered steps of a cleaning session, saved as versioned JSON, replayed on demand.

The loaded frame is never changed: the cleaned frame is always ``original + recipe``.
:func:`replay` applies the steps one by one; before each it checks that the columns the step
needs exist, and it reports per step what changed, what was skipped and why, instead of
all or nothing. Durations are recomputed after every step that moves a timestamp; the checks
are run only when a step filters on them (and by whoever shows the result).

>>> from ddinc.clean import SetCell
>>> recipe = Recipe(steps=[SetCell(key="jira:OPS-1", column="title", expected="Dsk full",
...                                value="Disk full")])
>>> Recipe.from_json(recipe.to_json()) == recipe
True
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ddinc.checks import CheckContext, CheckReport, run_checks
from ddinc.clean.ops import Context, Op, Operation, SetCell, write_cells
from ddinc.clean.values import EXCLUDED, SELECTED, positions_of, to_python
from ddinc.errors import ConfigError
from ddinc.rowkey import ROW_KEY
from ddinc.schema import TIMESTAMPS
from ddinc.timeline import with_timeline

__all__ = [
    "RECIPE_FORMAT",
    "RECIPE_VERSION",
    "CheckCache",
    "Recipe",
    "Replay",
    "StepReport",
    "apply_step",
    "replay",
    "set_cells",
    "with_marks",
]

RECIPE_FORMAT: Final = "ddinc-recipe"
RECIPE_VERSION: Final = 1


class Recipe(BaseModel):
    """The steps of a cleaning session, in order."""

    model_config = ConfigDict(extra="forbid")

    format: str = RECIPE_FORMAT
    version: int = RECIPE_VERSION
    description: str = ""
    steps: list[Operation] = Field(default_factory=list)

    def to_json(self) -> str:
        """The recipe as indented JSON."""
        return self.model_dump_json(indent=2, exclude_defaults=False)

    @classmethod
    def from_json(cls, text: str, *, where: str = "recipe") -> Recipe:
        """Read a recipe written by :meth:`to_json` (``where`` names it in errors)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{where}: not JSON ({error}); is it a ddinc recipe?") from None
        if not isinstance(data, dict) or data.get("format") != RECIPE_FORMAT:
            raise ConfigError(f'{where}: not a ddinc recipe (no "format": "{RECIPE_FORMAT}")')
        version = data.get("version")
        if not isinstance(version, int) or version > RECIPE_VERSION:
            raise ConfigError(
                f"{where}: recipe version {version!r} is newer than this ddinc reads "
                f"({RECIPE_VERSION}); upgrade ddinc"
            )
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            problem = error.errors()[0]
            place = ".".join(str(part) for part in problem["loc"])
            raise ConfigError(f"{where}: {place}: {problem['msg']}") from None

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
    ) -> Replay:
        """Replay every step on ``frame`` (see :func:`replay`)."""
        return replay(frame, self.steps, check_context=check_context, known_emails=known_emails)


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

    def report_text(self) -> str:
        """The per-step report, one step a line."""
        if not self.steps:
            return "recipe: no steps"
        applied = sum(step.status == "applied" for step in self.steps)
        head = f"recipe: {applied} of {len(self.steps)} step(s) applied in full"
        return "\n".join([head, *(step.line() for step in self.steps)])

    def to_dicts(self) -> list[dict[str, Any]]:
        """The per-step report as JSON-serialisable dicts."""
        return [{**step.__dict__, "reasons": list(step.reasons)} for step in self.steps]


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
    kind = str(getattr(step, "kind", type(step).__name__))

    def report(status: str, changed: int = 0, skipped: int = 0, *reasons: str) -> StepReport:
        return StepReport(index, kind, step.describe(), status, changed, skipped, reasons)

    if not step.enabled:
        return frame, report("disabled", 0, 0, "a proposal not accepted: enable it to apply it")
    missing = sorted(step.columns_needed() - set(frame.columns))
    if missing:
        return frame, report("missing columns", 0, 0, f"the export lacks {', '.join(missing)}")
    try:
        outcome = step.apply(frame, context)
    except ConfigError as error:
        return frame, report("failed", 0, 0, str(error))
    result = outcome.frame
    if step.columns_needed() & set(TIMESTAMPS):
        result = with_timeline(result)
    if outcome.skipped == 0:
        status = "applied"
    elif outcome.changed:
        status = "partial"
    else:
        status = "skipped"
    return result, report(status, outcome.changed, outcome.skipped, *outcome.reasons)


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
    for column, updates in pending.items():
        original = frame.get_column(column)
        real = {p: v for p, v in updates.items() if v != original[p]}
        frame = write_cells(frame, column, real)
    if set(pending) & set(TIMESTAMPS):
        frame = with_timeline(frame)
    return frame, reports
