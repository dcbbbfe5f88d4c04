"""Recipe operations: every edit an analyst makes, as a typed, JSON-serialisable value.

Each operation names its rows by row key (``keys``) or by the facets of the moment
(``where``), never by position, and where it replaces values it records the value it expects
to find: replayed on a fresh export, a row whose value changed since is *skipped and
reported*, never overwritten. :meth:`Op.apply` is pure: it returns a new frame (polars shares
the untouched columns) and an :class:`Outcome` saying how many rows changed and why others
were skipped.

The operations, by ``kind``: ``set_cell``, ``set_values`` (state, severity... on a scope),
``map_values`` (mass edit), ``merge_cluster``, ``reparse`` (a timestamp column from its raw
text with an explicit format or zone), ``shift`` (by hours or a time zone change),
``fill_from`` (a timestamp from another), ``fill_from_text`` (from the record's own text),
``map_person`` (a legacy person to a Datadog user's email), ``exclude`` / ``include``, and
``select`` / ``deselect`` (rows for the push).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ddinc.checks import CheckReport
from ddinc.clean.facets import Where, where_mask
from ddinc.clean.values import (
    EXCLUDED,
    SELECTED,
    JsonValue,
    as_index,
    is_editable,
    positions_of,
    to_python,
    true_positions,
)
from ddinc.errors import ConfigError
from ddinc.people_match import person_key, person_keys
from ddinc.rowkey import ROW_KEY
from ddinc.schema import TIMESTAMPS

__all__ = [
    "MAX_REASONS",
    "Context",
    "Deselect",
    "Exclude",
    "FillFrom",
    "FillFromText",
    "Include",
    "MapPerson",
    "MapValues",
    "MergeCluster",
    "Op",
    "Operation",
    "Outcome",
    "Reparse",
    "Select",
    "SetCell",
    "SetValues",
    "Shift",
    "TextCell",
    "assign",
    "like_chunks",
    "write_cells",
]

# How many skip reasons an outcome keeps word for word (the count is always exact).
MAX_REASONS = 20


@dataclass
class Outcome:
    """What one step did to one frame."""

    frame: pl.DataFrame
    changed: int = 0
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)
    touched: np.ndarray | None = None
    """Positions of the rows the step changed, when it knows them (``None``: not known)."""

    def skip(self, reason: str, count: int = 1) -> None:
        """Count ``count`` skipped rows, keeping the first reasons."""
        self.skipped += count
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(reason)


@dataclass
class Context:
    """What a step may need beyond the frame: the checks of the frame, the known users."""

    report: Callable[[pl.DataFrame], CheckReport]
    known_emails: frozenset[str] | None = None
    scope: np.ndarray | None = None
    """The rows a ``where`` selects on this frame (a boolean array), when the caller already
    knows them (the Cleaner reads them from its facet index): a step then does not evaluate
    its filter."""


class Op(BaseModel):
    """Base of every operation: frozen, strict about unknown keys, with an on/off switch.

    ``enabled=False`` keeps a step in the recipe without applying it (a proposal the analyst
    has not accepted); ``note`` says why the step exists (e.g. which text a time came from).
    ``confidence`` labels a step proposed by ``ddinc suggest``: ``"safe"`` (enabled: evidence
    a person would accept unread) or ``"guess"`` (written disabled, for review); ``None`` for
    an analyst's own edit.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    note: str = ""
    confidence: Literal["safe", "guess"] | None = None

    def columns_needed(self) -> set[str]:
        """Columns the step reads or writes; a replay checks them before applying."""
        return set()

    def columns_written(self) -> set[str]:
        """Columns the step may change (a superset is safe: whoever caches a column's
        derived data drops it for these)."""
        return self.columns_needed() - {ROW_KEY, "raw"}

    def describe(self) -> str:
        """One line for a history list."""
        raise NotImplementedError

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        """The step applied to ``frame`` (a new frame; ``frame`` is not changed)."""
        raise NotImplementedError


class _Scoped(Op):
    """An operation over the rows named by ``keys`` or selected by ``where`` (not both)."""

    keys: list[str] | None = None
    where: Where | None = None

    @model_validator(mode="after")
    def _one_scope(self) -> _Scoped:
        if self.keys is not None and self.where is not None:
            raise ConfigError(f"{type(self).__name__}: give keys or where, not both")
        return self

    def scope_text(self) -> str:
        if self.keys is not None:
            return f"{len(self.keys)} row(s)"
        if self.where is not None:
            return self.where.describe()
        return "every row"

    def _given_scope(self, frame: pl.DataFrame, context: Context) -> np.ndarray | None:
        """The caller's mask of the rows ``where`` selects on ``frame``, if it gave one."""
        given = context.scope
        if self.where is not None and given is not None and len(given) == frame.height:
            return given
        return None

    def positions(self, frame: pl.DataFrame, context: Context, outcome: Outcome) -> np.ndarray:
        """Positions of the rows in scope (as :meth:`mask`, without a round trip through polars
        when the caller gave the scope)."""
        given = self._given_scope(frame, context)
        if given is not None:
            found: np.ndarray = np.flatnonzero(given)
            return found
        return true_positions(self.mask(frame, context, outcome))

    def mask(self, frame: pl.DataFrame, context: Context, outcome: Outcome) -> pl.Series:
        """True for the rows in scope; keys not in the frame are reported as skipped."""
        if self.keys is not None:
            found = positions_of(frame, self.keys)
            for key in self.keys:
                if key not in found:
                    outcome.skip(f"{key}: not in this export")
            return _positions_mask(frame.height, list(found.values()))
        given = self._given_scope(frame, context)
        if given is not None:
            return pl.Series("mask", given, dtype=pl.Boolean)
        if self.where is not None:
            return where_mask(
                frame, self.where, lambda: context.report(frame), context.known_emails
            )
        return pl.Series("mask", [True] * frame.height, dtype=pl.Boolean)


def _positions_mask(height: int, positions: list[int]) -> pl.Series:
    return pl.int_range(height, dtype=pl.Int64, eager=True).is_in(
        pl.Series(positions, dtype=pl.Int64)
    )


def _check_column(column: str) -> str:
    if not is_editable(column):
        raise ConfigError(
            f"column {column!r} cannot be edited; editable columns are the description, the "
            "timestamps and carried field.* columns"
        )
    return column


def write_cells(frame: pl.DataFrame, column: str, updates: dict[int, object]) -> pl.DataFrame:
    """``frame`` with ``column`` set at the given positions (one column copied, not the frame)."""
    if not updates:
        return frame
    old = frame.get_column(column)
    positions = pl.Series("pos", list(updates), dtype=pl.Int64)
    values = pl.Series(column, list(updates.values()), dtype=old.dtype)
    if isinstance(old.dtype, pl.List | pl.Struct):
        # scatter does not take nested values: join the few new ones in instead.
        patch = pl.DataFrame({"__pos": positions, "__new": values})
        new = (
            frame.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("__pos"), pl.col(column))
            .join(patch, on="__pos", how="left", maintain_order="left")
            .select(
                pl.when(pl.col("__pos").is_in(positions.implode()))
                .then(pl.col("__new"))
                .otherwise(pl.col(column))
                .alias(column)
            )
            .to_series()
        )
    else:
        new = old.clone().scatter(positions, values)
    return frame.with_columns(like_chunks(new, old))


def assign(frame: pl.DataFrame, *exprs: Any) -> pl.DataFrame:
    """``frame.with_columns(*exprs)``, each new column cut into the frame's own chunks."""
    new = frame.select(*exprs)
    reference = frame.get_column(ROW_KEY) if ROW_KEY in frame.columns else None
    columns = [
        like_chunks(new.get_column(name), reference)
        if reference is not None
        else new.get_column(name)
        for name in new.columns
    ]
    return frame.with_columns(columns)


def like_chunks(new: pl.Series, old: pl.Series) -> pl.Series:
    """``new`` cut into the chunks of ``old`` (zero-copy slices).

    A frame whose columns are chunked differently (a Parquet read gives several chunks; a
    rewritten column has one) is rechunked whole by the next frame-level operation: at 1M
    rows that costs more than the edit itself, at every step.
    """
    if old.n_chunks() <= 1 or new.n_chunks() != 1 or new.len() != old.len():
        return new
    pieces, offset = [], 0
    for chunk in old.get_chunks():
        pieces.append(new.slice(offset, chunk.len()))
        offset += chunk.len()
    return pl.concat(pieces, rechunk=False)


def _set_keyed(
    frame: pl.DataFrame,
    column: str,
    cells: list[tuple[str, JsonValue, JsonValue]],
    outcome: Outcome,
) -> pl.DataFrame:
    """Set ``(key, expected, value)`` cells, skipping rows absent or holding another value."""
    dtype = frame.schema[column]
    found = positions_of(frame, [key for key, _, _ in cells])
    updates: dict[int, object] = {}
    series = frame.get_column(column)
    for key, expected, value in cells:
        position = found.get(key)
        if position is None:
            outcome.skip(f"{key}: not in this export")
            continue
        current = series[position]
        if current != to_python(column, expected, dtype):
            outcome.skip(f"{key}: {column} is {current!r} now, the step expected {expected!r}")
            continue
        new = to_python(column, value, dtype)
        if new != current:
            updates[position] = new
    outcome.changed += len(updates)
    return write_cells(frame, column, updates)


class SetCell(Op):
    """Set one cell of the row ``key``, if it still holds ``expected``."""

    kind: Literal["set_cell"] = "set_cell"
    key: str
    column: str
    expected: JsonValue
    value: JsonValue

    @model_validator(mode="after")
    def _valid(self) -> SetCell:
        _check_column(self.column)
        to_python(self.column, self.value)
        to_python(self.column, self.expected)
        return self

    def columns_needed(self) -> set[str]:
        return {ROW_KEY, self.column}

    def describe(self) -> str:
        return f"set {self.column} of {self.key}: {self.expected!r} -> {self.value!r}"

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        outcome = Outcome(frame)
        cells = [(self.key, self.expected, self.value)]
        outcome.frame = _set_keyed(frame, self.column, cells, outcome)
        return outcome


class SetValues(_Scoped):
    """Set ``column`` to ``value`` on a scope (e.g. the state of every row of a facet).

    ``expected`` (key -> value), when given, skips rows that no longer hold their value.
    """

    kind: Literal["set_values"] = "set_values"
    column: str
    value: JsonValue
    expected: dict[str, JsonValue] | None = None

    @model_validator(mode="after")
    def _valid(self) -> SetValues:
        _check_column(self.column)
        to_python(self.column, self.value)
        return self

    def columns_needed(self) -> set[str]:
        return {ROW_KEY, self.column}

    def describe(self) -> str:
        return f"set {self.column} to {self.value!r} on {self.scope_text()}"

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        outcome = Outcome(frame)
        if self.expected is not None and self.keys is not None:
            cells = [(key, self.expected.get(key), self.value) for key in self.keys]
            outcome.frame = _set_keyed(frame, self.column, cells, outcome)
            return outcome
        dtype = frame.schema[self.column]
        value = to_python(self.column, self.value, dtype)
        if isinstance(dtype, pl.List | pl.Struct | pl.Array):
            mask = self.mask(frame, context, outcome)
            new = pl.lit(value, dtype=dtype)
            differs = frame.select(pl.col(self.column).ne_missing(new)).to_series()
            touched = true_positions(mask & differs)
            outcome.frame = assign(
                frame,
                pl.when(mask).then(new).otherwise(pl.col(self.column)).alias(self.column),
            )
        else:
            # Compare and write the rows in scope only: O(scope), plus one column copy.
            old = frame.get_column(self.column)
            in_scope = self.positions(frame, context, outcome)
            differs = old.gather(as_index(in_scope)).ne_missing(pl.Series([value], dtype=dtype))
            touched = in_scope[differs.to_numpy()]
            scalar: Any = value  # a Python value of the column's type (to_python made it)
            written = old.clone().scatter(as_index(touched), scalar) if len(touched) else old
            outcome.frame = frame.with_columns(like_chunks(written, old))
        outcome.changed = len(touched)
        outcome.touched = touched
        return outcome


def _map_expr(column: str, mapping: dict[str, str | None], dtype: pl.DataType) -> pl.Expr:
    col = pl.col(column)
    if isinstance(dtype, pl.List):
        mapped = col.list.eval(pl.element().replace(mapping))
        # A merge can make two entries equal ("DB", "db" -> "db"): keep each once.
        return mapped.list.eval(pl.element().drop_nulls()).list.unique(maintain_order=True)
    return col.cast(pl.String).replace(mapping).cast(dtype)


class MapValues(_Scoped):
    """Replace values of ``column`` (old -> new) on a scope: a mass edit.

    Only rows holding one of the old values change, so the old values are what it expects.
    In a list column (teams, services) each entry is mapped.
    """

    kind: Literal["map_values"] = "map_values"
    column: str
    mapping: dict[str, str | None]

    @model_validator(mode="after")
    def _valid(self) -> MapValues:
        _check_column(self.column)
        for value in self.mapping.values():
            to_python(self.column, value)
        return self

    def columns_needed(self) -> set[str]:
        return {ROW_KEY, self.column}

    def describe(self) -> str:
        pairs = ", ".join(f"{old!r} -> {new!r}" for old, new in list(self.mapping.items())[:4])
        more = f" (+{len(self.mapping) - 4})" if len(self.mapping) > 4 else ""
        return f"map {self.column}: {pairs}{more} on {self.scope_text()}"

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        outcome = Outcome(frame)
        mask = self.mask(frame, context, outcome)
        dtype = frame.schema[self.column]
        mapped = _map_expr(self.column, self.mapping, dtype)
        new = frame.select(
            pl.when(pl.Series(mask)).then(mapped).otherwise(pl.col(self.column)).alias(self.column)
        ).to_series()
        outcome.changed = int(new.ne_missing(frame.get_column(self.column)).sum())
        outcome.frame = assign(frame, new)
        return outcome


class MergeCluster(MapValues):
    """Merge a cluster of near-duplicate values of ``column`` into one (``into``)."""

    kind: Literal["merge_cluster"] = "merge_cluster"  # type: ignore[assignment]
    values: list[str]
    into: str
    mapping: dict[str, str | None] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _mapping(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("mapping"):
            values, into = data.get("values", []), data.get("into")
            data = {**data, "mapping": {v: into for v in values if v != into}}
        return data

    def describe(self) -> str:
        shown = ", ".join(repr(v) for v in self.values[:4])
        more = f" (+{len(self.values) - 4})" if len(self.values) > 4 else ""
        return f"merge {self.column} {shown}{more} into {self.into!r}"


def _timestamp_column(column: str) -> str:
    if column not in TIMESTAMPS:
        raise ConfigError(
            f"{column!r} is not a timestamp column; use one of {', '.join(TIMESTAMPS)}"
        )
    return column


class Reparse(_Scoped):
    """Parse ``column`` again from the raw text the loader saw, with an explicit format/zone.

    ``format`` is a chrono format (``%d/%m/%Y %H:%M``); ``timezone`` the IANA zone of naive
    text. Rows whose text does not parse keep their value and are reported.
    """

    kind: Literal["reparse"] = "reparse"
    column: str
    format: str | None = None
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _valid(self) -> Reparse:
        _timestamp_column(self.column)
        return self

    def columns_needed(self) -> set[str]:
        return {ROW_KEY, self.column, "raw"}

    def describe(self) -> str:
        return f"re-parse {self.column} as {self.format or 'ISO 8601'} in {self.timezone}"

    def parsed(self) -> pl.Expr:
        """The column parsed from its raw text (null where it does not parse)."""
        text = pl.col("raw").struct.field(self.column).str.strip_chars()
        if self.format is None:
            parsed = text.str.to_datetime(time_unit="us", strict=False, time_zone="UTC")
            return parsed
        naive = text.str.to_datetime(self.format, time_unit="us", strict=False)
        if "%z" in self.format or "%#z" in self.format or "%+" in self.format:
            return naive.dt.convert_time_zone("UTC")
        local = naive.dt.replace_time_zone(self.timezone, ambiguous="earliest", non_existent="null")
        return local.dt.convert_time_zone("UTC")

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        outcome = Outcome(frame)
        mask = self.mask(frame, context, outcome)
        try:
            new = frame.select(self.parsed().alias("new")).to_series()
        except pl.exceptions.PolarsError as error:
            raise ConfigError(f"re-parse {self.column}: {error}") from None
        raw_present = frame.select(
            pl.col("raw").struct.field(self.column).str.strip_chars().ne("").fill_null(False)
        ).to_series()
        failed = mask & raw_present & new.is_null()
        if failed.any():
            outcome.skip(f"{int(failed.sum())} row(s): raw text does not parse", int(failed.sum()))
        use = mask & new.is_not_null()
        column = frame.get_column(self.column)
        outcome.changed = int((use & new.ne_missing(column)).sum())
        outcome.frame = assign(
            frame, pl.when(pl.Series(use)).then(new).otherwise(column).alias(self.column)
        )
        return outcome


class Shift(_Scoped):
    """Move timestamps: by ``hours``, or re-read as wall-clock time of another zone.

    ``from_zone``/``to_zone``: the times were read as ``from_zone`` wall clock but were
    ``to_zone``'s (the time zone change a systematic whole-hour offset calls for).
    ``expected`` (key -> column -> value), when given, skips rows that changed since.
    """

    kind: Literal["shift"] = "shift"
    columns: list[str]
    hours: float | None = None
    from_zone: str | None = None
    to_zone: str | None = None
    expected: dict[str, dict[str, JsonValue]] | None = None

    @model_validator(mode="after")
    def _valid(self) -> Shift:
        for column in self.columns:
            _timestamp_column(column)
        if self.hours is not None and not math.isfinite(self.hours):
            raise ConfigError(f"shift: hours must be a finite number, not {self.hours!r}")
        zones = self.from_zone is not None and self.to_zone is not None
        if (self.hours is None) == (not zones):
            raise ConfigError("shift: give hours, or from_zone and to_zone (one of the two)")
        return self

    def columns_needed(self) -> set[str]:
        return {ROW_KEY, *self.columns}

    def describe(self) -> str:
        how = (
            f"by {self.hours:+g}h"
            if self.hours is not None
            else f"from {self.from_zone} to {self.to_zone} wall clock"
        )
        return f"shift {', '.join(self.columns)} {how} on {self.scope_text()}"

    def shifted(self, column: str) -> pl.Expr:
        """``column`` moved as this step says."""
        col = pl.col(column)
        if self.hours is not None:
            return col + pl.duration(microseconds=round(self.hours * 3_600_000_000))
        wall = col.dt.convert_time_zone(str(self.from_zone)).dt.replace_time_zone(None)
        local = wall.dt.replace_time_zone(
            str(self.to_zone), ambiguous="earliest", non_existent="null"
        )
        return local.dt.convert_time_zone("UTC")

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        outcome = Outcome(frame)
        mask = self.mask(frame, context, outcome)
        if self.expected is not None and self.keys is not None:
            found = positions_of(frame, self.keys)
            stale = []
            for key, position in found.items():
                for column, value in self.expected.get(key, {}).items():
                    current = frame.get_column(column)[position]
                    if current != to_python(column, value):
                        outcome.skip(f"{key}: {column} is {current!r} now, expected {value!r}")
                        stale.append(position)
                        break
            mask = mask & ~_positions_mask(frame.height, stale)
        before = frame.select(self.columns)
        outcome.frame = assign(
            frame,
            *(
                pl.when(pl.Series(mask)).then(self.shifted(c)).otherwise(pl.col(c)).alias(c)
                for c in self.columns
            ),
        )
        after = outcome.frame.select(self.columns)
        changed = pl.any_horizontal([after[c].ne_missing(before[c]) for c in self.columns])
        outcome.changed = int(pl.select(changed).to_series().sum())
        return outcome


class FillFrom(_Scoped):
    """Fill a missing timestamp from another column (``detected`` from ``declared``...)."""

    kind: Literal["fill_from"] = "fill_from"
    column: str
    from_column: str

    @model_validator(mode="after")
    def _valid(self) -> FillFrom:
        _timestamp_column(self.column)
        _timestamp_column(self.from_column)
        return self

    def columns_needed(self) -> set[str]:
        return {ROW_KEY, self.column, self.from_column}

    def describe(self) -> str:
        return f"fill missing {self.column} from {self.from_column} on {self.scope_text()}"

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        outcome = Outcome(frame)
        mask = self.mask(frame, context, outcome)
        fill = frame.select(
            pl.col(self.column).is_null() & pl.col(self.from_column).is_not_null()
        ).to_series()
        use = mask & fill
        outcome.changed = int(use.sum())
        outcome.frame = assign(
            frame,
            pl.when(pl.Series(use))
            .then(pl.col(self.from_column))
            .otherwise(pl.col(self.column))
            .alias(self.column),
        )
        return outcome


class TextCell(BaseModel):
    """A time read from a record's text: the cell, what it replaces, the words it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    column: str
    expected: JsonValue
    value: JsonValue
    evidence: str


class FillFromText(Op):
    """Set timestamps from times written in the records' own text (``text_column``), or a
    missing title from the record's own text columns (``category / subcategory / symptom``).

    One step for a whole accepted proposal (several columns of several rows), so that one
    undo takes it back.
    """

    kind: Literal["fill_from_text"] = "fill_from_text"
    text_column: str
    cells: list[TextCell]

    @model_validator(mode="after")
    def _valid(self) -> FillFromText:
        for item in self.cells:
            if item.column != "title":  # a title built from the record's own text columns
                _timestamp_column(item.column)
            to_python(item.column, item.value)
        return self

    @property
    def columns(self) -> list[str]:
        """The columns written: the title, then timestamps in timeline order."""
        written = {item.column for item in self.cells}
        return [name for name in ("title", *TIMESTAMPS) if name in written]

    def columns_needed(self) -> set[str]:
        return {ROW_KEY, *self.columns}

    def describe(self) -> str:
        rows = len({item.key for item in self.cells})
        return f"set {', '.join(self.columns)} of {rows} row(s) from times in {self.text_column}"

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        outcome = Outcome(frame)
        for column in self.columns:
            cells = [(c.key, c.expected, c.value) for c in self.cells if c.column == column]
            outcome.frame = _set_keyed(outcome.frame, column, cells, outcome)
        return outcome


class MapPerson(Op):
    """Replace a legacy person (a display name...) by a Datadog user's email, in every row.

    A row names the person when its value has the same :func:`~ddinc.people_match.person_key`
    (trimmed, single-spaced, case-folded): the one rule payloads and the Cleaner use too."""

    kind: Literal["map_person"] = "map_person"
    person: str
    email: str
    user_id: str | None = None
    columns: list[str] = Field(default_factory=lambda: ["commander", "declared_by"])

    @model_validator(mode="after")
    def _valid(self) -> MapPerson:
        for column in self.columns:
            _check_column(column)
        return self

    def columns_needed(self) -> set[str]:
        return {ROW_KEY, *self.columns}

    def describe(self) -> str:
        return f"map person {self.person!r} to {self.email}"

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        outcome = Outcome(frame)
        wanted = person_key(self.person)
        updates = []
        changed = pl.lit(False)
        for column in self.columns:
            match = pl.lit(person_keys(frame.get_column(column))) == wanted
            changed = changed | match.fill_null(False)
            updates.append(pl.when(match).then(pl.lit(self.email)).otherwise(pl.col(column)))
        outcome.changed = int(frame.select(changed).to_series().sum())
        outcome.frame = assign(
            frame, *(u.alias(c) for u, c in zip(updates, self.columns, strict=True))
        )
        return outcome


class _Mark(_Scoped):
    """Set or clear a row mark (excluded, selected) on a scope."""

    def _mark(self, frame: pl.DataFrame, context: Context, name: str, on: bool) -> Outcome:
        outcome = Outcome(frame)
        mask = self.mask(frame, context, outcome)
        current = (
            frame.get_column(name)
            if name in frame.columns
            else pl.Series(name, [False] * frame.height, dtype=pl.Boolean)
        )
        changed = mask & (current != on)
        outcome.touched = true_positions(changed)
        outcome.changed = len(outcome.touched)
        outcome.frame = assign(
            frame, pl.when(pl.Series(mask)).then(pl.lit(on)).otherwise(current).alias(name)
        )
        return outcome

    def columns_needed(self) -> set[str]:
        return {ROW_KEY}

    def columns_written(self) -> set[str]:
        return {SELECTED if isinstance(self, Select | Deselect) else EXCLUDED}


class Exclude(_Mark):
    """Leave rows out of the cleaned frame (kept in the recipe, so they can come back)."""

    kind: Literal["exclude"] = "exclude"

    def describe(self) -> str:
        return f"exclude {self.scope_text()}"

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        return self._mark(frame, context, EXCLUDED, True)


class Include(_Mark):
    """Bring excluded rows back."""

    kind: Literal["include"] = "include"

    def describe(self) -> str:
        return f"include {self.scope_text()}"

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        return self._mark(frame, context, EXCLUDED, False)


class Select(_Mark):
    """Select rows for the push."""

    kind: Literal["select"] = "select"

    def describe(self) -> str:
        return f"select {self.scope_text()} for the push"

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        return self._mark(frame, context, SELECTED, True)


class Deselect(_Mark):
    """Take rows out of the push selection."""

    kind: Literal["deselect"] = "deselect"

    def describe(self) -> str:
        return f"deselect {self.scope_text()}"

    def apply(self, frame: pl.DataFrame, context: Context) -> Outcome:
        return self._mark(frame, context, SELECTED, False)


Operation = Annotated[
    SetCell
    | SetValues
    | MapValues
    | MergeCluster
    | Reparse
    | Shift
    | FillFrom
    | FillFromText
    | MapPerson
    | Exclude
    | Include
    | Select
    | Deselect,
    Field(discriminator="kind"),
]
"""Any operation, told apart by its ``kind`` when read from JSON."""
