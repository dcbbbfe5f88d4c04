"""Turn a mapping's entries into plain columns of a table, and check each has the right shape.

Before the canonical engine reads a table, every entry of the mapping becomes one column:

- a path into nested values (``most_recent_update.status`` on a frame of objects,
  ``affected_products[].title``) and every spec (``const``, ``pattern``, ``concat``, an
  expression) is computed into a working column named as the entry is written, so messages
  speak the mapping's language;
- a column whose values have the wrong shape for what it feeds is dealt with where it lives:
  a column of objects, or of lists of objects, cannot be text (a :class:`~ddinc.errors.LoadError`
  that shows how to pick a key); a *record* holding a list, a duration or bytes where one
  value belongs is set aside with that reason (a :class:`Problem`), the other records load;
  so is a JSON record holding an object where the other records hold a value (the reader
  flags it), whatever the column feeds;
- NUL characters in a title are noted per row: Datadog will not accept them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from ddinc.errors import LoadError
from ddinc.readers import OBJECT_VALUE, ROW, ROW_NOTES, SINGLE_VALUE, Table
from ddinc.schema import TIMESTAMPS
from ddinc.sources.mapping import LIST_FIELDS, TEXT_FIELDS, Mapping
from ddinc.sources.specs import (
    ITEMS,
    ColumnSpec,
    Computed,
    Concat,
    Const,
    Pattern,
    label,
    path_root,
)
from ddinc.timestamps import normalize_nulls

__all__ = ["Problem", "Resolved", "record_columns", "resolve"]

# Roles whose column must hold one value per record; the others may hold lists.
_ONE_VALUE: Final = ("id", *TEXT_FIELDS, *TIMESTAMPS, "event order")
_NUL: Final = "\x00"
# How many rows a load note names before saying how many more there are.
_LISTED: Final = 10


@dataclass(frozen=True)
class Problem:
    """Records a column holds in a shape the mapping cannot use: set aside with the reason."""

    reason: str  # working column: the reason text, null where the record is fine
    column: str  # the mapping entry, as written
    value: str  # working column: the value, as text, shown in the quarantine


@dataclass(frozen=True)
class Resolved:
    """``table`` with a plain column for every entry of ``mapping``."""

    table: Table
    mapping: Mapping
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()
    """What the load should say about the file (titles holding NUL characters)."""


def resolve(table: Table, mapping: Mapping) -> Resolved:
    """Compute the entries of ``mapping`` over ``table`` (see the module docstring).

    Raises
    ------
    LoadError
        When a path leads nowhere, an expression cannot be computed, or a column of objects
        is mapped where text or a list of text belongs.
    """
    frame = table.frame
    added: dict[str, pl.Expr] = {}
    plain: dict[str, str] = {}
    for role, spec in mapping.entries().items():
        name = label(spec)
        plain[role] = name
        if isinstance(spec, str) and spec in frame.columns:
            continue
        if isinstance(spec, str) and path_root(spec, frame.columns) is None:
            continue  # an optional column the file lacks: the engine leaves it missing
        if name not in added:
            added[name] = _spec_expr(table, spec).alias(name)
    if added:
        frame = _computed(table, frame, added)
    if mapping.events is not None:
        plain["event order"] = mapping.events.order_by

    problems: list[Problem] = []
    frame = _objects_among_values(frame, plain.values(), problems)
    problem_columns: dict[str, pl.Expr] = {}
    replaced: dict[str, pl.Expr] = {}
    for role, name in plain.items():
        if name not in frame.columns or name in replaced:
            continue
        dtype = frame.schema[name]
        _refuse_objects(table, role, name, dtype)
        if role in _ONE_VALUE:
            shaped = _one_value(frame, name, dtype, len(problems))
        else:
            shaped = _text_or_list(name, dtype, len(problems))
        if shaped is not None:
            replacement, problem, columns = shaped
            replaced[name] = replacement.alias(name)
            problem_columns.update(columns)
            problems.append(problem)
    if replaced:
        # The reasons read the values as they were, before the replacement.
        frame = frame.with_columns(*problem_columns.values()).with_columns(*replaced.values())
    title = plain.get("title")
    notes: tuple[str, ...] = ()
    if title in frame.columns and frame.schema[title] == pl.String:
        frame, notes = _note_nul(frame, title)

    resolved_mapping = dataclasses.replace(
        mapping,
        id=plain["id"],
        columns={name: plain[name] for name in mapping.columns},
        fields={key: plain[f"field {key}"] for key in mapping.fields},
    )
    return Resolved(
        dataclasses.replace(table, frame=frame), resolved_mapping, tuple(problems), notes
    )


def record_columns(frame: pl.DataFrame) -> pl.Expr:
    """The record of each row as JSON text, for the quarantine: the file's own columns only
    (working columns start with ``__``), bytes as hex, which JSON cannot hold."""
    columns = []
    for name, dtype in frame.schema.items():
        if name.startswith("__"):
            continue
        if dtype == pl.Binary:
            columns.append(pl.col(name).bin.encode("hex"))
        elif dtype == pl.Object:
            continue
        else:
            columns.append(pl.col(name))
    if not columns:
        return pl.lit("{}")
    return pl.struct(columns).struct.json_encode()


# --- specs -------------------------------------------------------------------------------


def _text(table: Table, column: str) -> pl.Expr:
    """A column or path as text, for specs that work on text."""
    if column in table.frame.columns:
        expr, dtype = pl.col(column), table.frame.schema[column]
    else:
        expr, dtype = _path(table, column)
    single = f"{SINGLE_VALUE}{column}"
    if isinstance(dtype, pl.List) and single in table.frame.columns:
        # Records mix one value and lists: the values are read, and the records holding a
        # list get no text here (the column's own entry sets them aside, saying why).
        first = expr.list.first().cast(pl.String)
        return normalize_nulls(pl.when(pl.col(single)).then(first).otherwise(None))
    if isinstance(dtype, pl.List | pl.Struct | pl.Array) or dtype in (pl.Binary, pl.Object):
        raise LoadError(
            f"column {column!r} holds {_shape(dtype)}, not text",
            file=table.path,
            column=column,
            hint="pattern and concat read text columns; name a key or one value instead",
        )
    if isinstance(dtype, pl.Duration):
        return expr.dt.to_string()
    return normalize_nulls(expr.cast(pl.String))


def _spec_expr(table: Table, spec: str | ColumnSpec) -> pl.Expr:
    if isinstance(spec, str):
        return _path(table, spec)[0]
    if isinstance(spec, Const):
        return pl.lit(spec.value, dtype=pl.String)
    if isinstance(spec, Pattern):
        group = 1 if re.compile(spec.regex).groups else 0
        return _text(table, spec.column).str.extract(spec.regex, group)
    if isinstance(spec, Concat):
        return pl.concat_str([_text(table, c) for c in spec.columns], separator=spec.sep)
    assert isinstance(spec, Computed)
    return spec.expr


def _computed(table: Table, frame: pl.DataFrame, added: dict[str, pl.Expr]) -> pl.DataFrame:
    try:
        return frame.with_columns(added.values())
    except pl.exceptions.PolarsError as error:
        first = str(error).strip().splitlines()[0]
        raise LoadError(
            f"cannot compute the mapping's entries {', '.join(map(repr, added))}: {first}",
            file=table.path,
            hint="check the expressions and the columns they name "
            f"(columns in the file: {', '.join(c for c in frame.columns if c != ROW)[:300]})",
        ) from None


def _path(table: Table, path: str) -> tuple[pl.Expr, pl.DataType]:
    """The expression a path leads to, and its dtype: ``a.b`` an object's key, ``a[]`` each
    item of a list (``a[].b``: the ``b`` of each object of the list)."""
    frame = table.frame
    root = path_root(path, frame.columns)
    if root is None:
        raise LoadError(f"no column {path!r}", file=table.path, column=path)
    rest = path[len(root) :]
    steps = re.findall(r"\[\]|\.[^.\[]+", rest)
    if "".join(steps) != rest:
        raise LoadError(
            f"cannot read the path {path!r}",
            file=table.path,
            column=path,
            hint="write keys with dots and list items with []: most_recent_update.status, "
            "affected_products[].title",
        )
    return _walk(table, path, at=root, expr=pl.col(root), dtype=frame.schema[root], steps=steps)


def _walk(
    table: Table, path: str, *, at: str, expr: pl.Expr, dtype: Any, steps: list[str]
) -> tuple[pl.Expr, pl.DataType]:
    if not steps:
        return expr, dtype
    step, rest = steps[0], steps[1:]
    if step == ITEMS:
        if not isinstance(dtype, pl.List):
            raise LoadError(
                f"{at!r} holds {_shape(dtype)}, not a list, so {path!r} cannot take its items",
                file=table.path,
                column=path,
                hint=f"drop the [] after {at!r}",
            )
        inner, inner_dtype = _walk(
            table, path, at=at + ITEMS, expr=pl.element(), dtype=dtype.inner, steps=rest
        )
        return expr.list.eval(inner), pl.List(inner_dtype)
    key = step[1:]
    if isinstance(dtype, pl.Struct):
        fields = {f.name: f.dtype for f in dtype.fields}
        if key not in fields:
            raise LoadError(
                f"{at!r} has no key {key!r}",
                file=table.path,
                column=path,
                hint=f"its keys are {', '.join(fields)}",
            )
        return _walk(
            table,
            path,
            at=f"{at}.{key}",
            expr=expr.struct.field(key),
            dtype=fields[key],
            steps=rest,
        )
    if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
        raise LoadError(
            f"{at!r} holds a list of objects",
            file=table.path,
            column=path,
            hint=f"take the key of each item with []: {at}[].{key}",
        )
    raise LoadError(
        f"{at!r} holds {_shape(dtype)}, which has no key {key!r}",
        file=table.path,
        column=path,
        hint="nested values inside lists of objects are kept as JSON text: map the key above "
        "them, or flatten the file first",
    )


# --- shapes ------------------------------------------------------------------------------


def _shape(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.List | pl.Array):
        inner = dtype.inner
        return "lists of objects" if isinstance(inner, pl.Struct) else "lists"
    if isinstance(dtype, pl.Struct):
        return "objects"
    if isinstance(dtype, pl.Duration):
        return "durations"
    if dtype == pl.Binary:
        return "bytes"
    return f"{dtype} values"


def _refuse_objects(table: Table, role: str, name: str, dtype: pl.DataType) -> None:
    """Objects, or lists of objects, can feed nothing whole: the analyst picks a key."""
    feeds = "the incident id" if role == "id" else role
    if isinstance(dtype, pl.Struct):
        keys = [f.name for f in dtype.fields]
        raise LoadError(
            f"{name!r} holds objects, mapped to {feeds}",
            file=table.path,
            column=name,
            hint=f"map one of its keys instead, e.g. {name}.{keys[0] if keys else 'key'} "
            f"(keys: {', '.join(keys) or 'none'})",
        )
    if isinstance(dtype, pl.List | pl.Array) and isinstance(
        dtype.inner, pl.Struct | pl.List | pl.Array
    ):
        inner = dtype.inner
        where = "teams or services" if role in LIST_FIELDS else f"{feeds}, which holds one value"
        if not isinstance(inner, pl.Struct):
            raise LoadError(
                f"{name!r} holds lists of lists, mapped to {feeds}",
                file=table.path,
                column=name,
                hint=f"flatten them before loading (a computed entry can): a list of names suits "
                f"{where}",
            )
        keys = [f.name for f in inner.fields]
        example = f"{name}[].{keys[0]}" if keys else f"{name}[]"
        raise LoadError(
            f"{name!r} holds lists of objects, mapped to {feeds}",
            file=table.path,
            column=name,
            hint=f"pick a key of each item, e.g. {example} (keys: {', '.join(keys) or 'none'}); "
            f"a list of names suits {where}",
        )


def _problem_columns(index: int, bad: pl.Expr, reason: str, value: pl.Expr) -> dict[str, pl.Expr]:
    return {
        f"__problem_{index}": pl.when(bad).then(pl.lit(reason)).alias(f"__problem_{index}"),
        f"__problem_value_{index}": pl.when(bad).then(value).alias(f"__problem_value_{index}"),
    }


def _objects_among_values(
    frame: pl.DataFrame, names: Iterable[str], problems: list[Problem]
) -> pl.DataFrame:
    """Set aside the records that held an object where the other records hold a value (the
    reader kept the object's JSON text beside the column): whatever the column feeds, an
    object is not one of its values, and its absence from the column is not a missing value."""
    problem_columns: dict[str, pl.Expr] = {}
    for name in dict.fromkeys(names):
        held = f"{OBJECT_VALUE}{name}"
        if held not in frame.columns:
            continue
        index = len(problems)
        reason = (
            f"column {name!r}: holds an object where the other records hold a value; write "
            f"one value there in the export (or map one of its keys, {name}.<key>) and load again"
        )
        problem_columns.update(
            _problem_columns(index, pl.col(held).is_not_null(), reason, pl.col(held))
        )
        problems.append(Problem(f"__problem_{index}", name, f"__problem_value_{index}"))
    return frame.with_columns(*problem_columns.values()) if problem_columns else frame


def _one_value(
    frame: pl.DataFrame, name: str, dtype: pl.DataType, index: int
) -> tuple[pl.Expr, Problem, dict[str, pl.Expr]] | None:
    """A column feeding one value per record: records holding a list, a duration or bytes are
    set aside. A JSON record that held one value where others hold lists keeps it."""
    column = pl.col(name)
    if isinstance(dtype, pl.List | pl.Array):
        single = f"{SINGLE_VALUE}{name}"
        kept = pl.col(single) if single in frame.columns else pl.lit(False)
        bad = column.is_not_null() & ~kept
        items = column.cast(pl.List(pl.String))
        shown = pl.concat_str(
            pl.lit('["'), items.list.join('", "'), pl.lit('"]'), ignore_nulls=True
        )
        shown = pl.when(items.list.len() == 0).then(pl.lit("[]")).otherwise(shown)
        replacement = pl.when(kept).then(items.list.first()).otherwise(None)
        what = "a list where one value belongs; write one value there in the export and load again"
    elif isinstance(dtype, pl.Duration):
        bad, shown = column.is_not_null(), column.dt.to_string()
        replacement, what = pl.lit(None, dtype=pl.String), "a duration where text or a time belongs"
    elif dtype in (pl.Binary, pl.Object):
        bad = column.is_not_null()
        shown = column.bin.encode("hex") if dtype == pl.Binary else pl.lit("<object>")
        replacement, what = pl.lit(None, dtype=pl.String), "bytes where text belongs"
    else:
        return None
    reason = f"column {name!r}: holds {what}"
    columns = _problem_columns(index, bad, reason, shown)
    return replacement, Problem(f"__problem_{index}", name, f"__problem_value_{index}"), columns


def _text_or_list(
    name: str, dtype: pl.DataType, index: int
) -> tuple[pl.Expr, Problem, dict[str, pl.Expr]] | None:
    """A column feeding text or a list of text (teams, services, carried fields)."""
    if not (isinstance(dtype, pl.Duration) or dtype in (pl.Binary, pl.Object)):
        return None
    column = pl.col(name)
    shown = (
        column.dt.to_string()
        if isinstance(dtype, pl.Duration)
        else column.bin.encode("hex")
        if dtype == pl.Binary
        else pl.lit("<object>")
    )
    reason = f"column {name!r}: holds {_shape(dtype)[:-1]} where text belongs"
    columns = _problem_columns(index, column.is_not_null(), reason, shown)
    problem = Problem(f"__problem_{index}", name, f"__problem_value_{index}")
    return pl.lit(None, dtype=pl.String), problem, columns


def _note_nul(frame: pl.DataFrame, title: str) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Note titles holding NUL characters, per row and for the file (which rows).

    The text is kept as written (the loaded frame is the export as it is; a recipe step
    removes them, and the push holds such a title until then: what Datadog does with a NUL
    is not recorded anywhere).
    """
    has_nul = pl.col(title).str.contains(_NUL, literal=True)
    rows = frame.filter(has_nul).get_column(ROW).to_list()
    if not rows:
        return frame, ()
    note = pl.when(has_nul).then(
        pl.lit(
            "title: holds NUL characters (\\x00), kept as written; the push holds the row "
            "until a recipe step removes them"
        )
    )
    existing = (
        pl.col(ROW_NOTES) if ROW_NOTES in frame.columns else pl.lit([], dtype=pl.List(pl.String))
    )
    shown = ", ".join(map(str, rows[:_LISTED])) + (
        f" and {len(rows) - _LISTED} more" if len(rows) > _LISTED else ""
    )
    summary = (
        f"{title}: {len(rows)} record(s) hold NUL characters (\\x00) in the title (rows "
        f"{shown}): kept as written; remove them with a recipe step (set_cell) before "
        "pushing, which holds them until then"
    )
    frame = frame.with_columns(pl.concat_list(existing, note).list.drop_nulls().alias(ROW_NOTES))
    return frame, (summary,)
