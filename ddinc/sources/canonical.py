"""Turn a table of raw legacy records into canonical incidents plus a quarantine.

The engine every source shares: it applies a :class:`~ddinc.sources.mapping.Mapping` to a
:class:`~ddinc.readers.Table`. Invariant: every input row ends up in exactly one place, in an
incident's ``source_rows`` or in the quarantine with its reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from ddinc.errors import LoadError
from ddinc.readers import ROW, ROW_NOTES, Table
from ddinc.rowkey import ROW_KEY, with_row_keys
from ddinc.schema import (
    CANONICAL_SCHEMA,
    QUARANTINE_SCHEMA,
    RAW_FIELDS,
    TIMESTAMPS,
    Severity,
    State,
    field_column,
)
from ddinc.sources.collapse import ID as _ID
from ddinc.sources.collapse import NOTES as _NOTES
from ddinc.sources.collapse import ORDER as _ORDER
from ddinc.sources.collapse import VOCABULARY_FIELDS as _VOCABULARY_FIELDS
from ddinc.sources.collapse import collapse, fill_detected
from ddinc.sources.columns import (
    carried_column,
    list_column,
    notes_column,
    raw_name,
    text_column,
    title_columns,
    vocabulary_columns,
)
from ddinc.sources.mapping import LIST_FIELDS, NOTES, TEXT_FIELDS, Mapping
from ddinc.sources.resolve import record_columns, resolve
from ddinc.sources.specs import label
from ddinc.timeline import timeline_durations
from ddinc.timestamps import DateOrder, normalize_nulls, parse_timestamps

__all__ = ["Canonical", "OnError", "canonicalize"]

OnError = Literal["quarantine", "raise"]

_REASON: Final = "__reason"
_REASON_COLUMN: Final = "__reason_column"
_REASON_VALUE: Final = "__reason_value"


@dataclass(frozen=True)
class Canonical:
    """What a mapping made of one table."""

    incidents: pl.DataFrame
    quarantine: pl.DataFrame
    notes: tuple[str, ...]
    # Columns whose values carried no zone and were read in the mapping's time zone.
    naive_columns: tuple[str, ...] = ()


def canonicalize(table: Table, mapping: Mapping, *, on_error: OnError = "quarantine") -> Canonical:
    """Apply ``mapping`` to ``table``.

    Raises
    ------
    LoadError
        When a column the mapping needs is missing, when no value of a timestamp column can be
        read, or (with ``on_error="raise"``) at the first row that cannot become an incident.
    """
    _require_columns(table, mapping)
    notes: list[str] = list(table.notes)
    original = table
    resolved = resolve(table, mapping)
    table, mapping = resolved.table, resolved.mapping
    notes.extend(f"{table.path.name}: {note}" for note in resolved.notes)
    frame = table.frame

    work = frame.select(
        pl.col(ROW),
        *([pl.col(ROW_NOTES)] if ROW_NOTES in frame.columns else []),
        *[pl.col(p.reason) for p in resolved.problems],
        *[pl.col(p.value) for p in resolved.problems],
        text_column(frame, label(mapping.id)).alias(_ID),
        *[
            text_column(frame, _column(mapping, name)).alias(name)
            for name in TEXT_FIELDS
            if name not in (*_VOCABULARY_FIELDS, "title")
        ],
        *title_columns(frame, _column(mapping, "title")),
        *vocabulary_columns(frame, _column(mapping, "state"), mapping.state, State, "state"),
        *vocabulary_columns(
            frame, _column(mapping, "severity"), mapping.severity, Severity, "severity"
        ),
        *[
            list_column(frame, _column(mapping, name), mapping.list_separator).alias(name)
            for name in LIST_FIELDS
        ],
        notes_column(frame, _column(mapping, NOTES)).alias(NOTES),
        *[
            carried_column(frame, label(column)).alias(field_column(key))
            for key, column in mapping.fields.items()
        ],
        *([_order(frame, mapping.events.order_by)] if mapping.events else []),
    )
    parsed = _timestamps(frame, work, table, mapping)
    work, row_notes = parsed.work, parsed.row_notes
    # A value of the wrong shape is the reason before a missing id (a list where the id's
    # parts belong leaves it missing) and before a date that cannot be read.
    shapes = [(pl.col(p.reason), p.column, p.value) for p in resolved.problems]
    notes.extend(parsed.notes)

    missing_id = pl.col(_ID).is_null()
    reason = pl.coalesce(
        *[text for text, _, _ in shapes],
        pl.when(missing_id).then(pl.lit(f"no incident id in column {label(mapping.id)!r}")),
        *[text for text, _, _ in parsed.reasons],
    )
    work = work.with_columns(reason.alias(_REASON), *_reason_cells(mapping, shapes, parsed.reasons))
    # Notes the reader or resolve left on a row come first; most files have none (no list work).
    if ROW_NOTES in work.columns:
        row_notes = pl.concat_list(pl.col(ROW_NOTES), row_notes).list.drop_nulls()
    work = work.with_columns(row_notes.alias(_NOTES))

    bad = work.filter(pl.col(_REASON).is_not_null())
    if on_error == "raise" and (bad.height or table.rejected):
        _raise_first(table, bad)
    good = work.filter(pl.col(_REASON).is_null())
    if mapping.events:
        incidents, collapsed_notes = collapse(good, mapping)
        notes.extend(collapsed_notes)
    else:
        incidents = good.with_columns(pl.concat_list(pl.col(ROW)).alias("source_rows"))
    incidents, filled = fill_detected(incidents, mapping)
    if filled:
        notes.append(filled)
    incidents = _finish(incidents, table, mapping)
    quarantine = _quarantine(original, mapping, bad)
    return Canonical(incidents, quarantine, tuple(notes), parsed.naive_columns)


# --- columns -----------------------------------------------------------------------------


def _column(mapping: Mapping, name: str) -> str | None:
    """The column feeding ``name`` (once resolved, every entry is a plain column)."""
    spec = mapping.columns.get(name)
    return None if spec is None else label(spec)


def _require_columns(table: Table, mapping: Mapping) -> None:
    available = [c for c in table.frame.columns if c != ROW]
    # Columns a source's prepare step added ("__...") are not the file's.
    if not any(not c.startswith("__") for c in available) and not table.rejected:
        raise LoadError(
            "the file holds no records" if not table.frame.height else "the records hold no values",
            file=table.path,
            hint="check that the export is complete; an empty list exports no incidents",
        )
    missing = mapping.missing_columns(available)
    if not missing:
        return
    column, role, close = missing[0]
    hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
    others = f" ({len(missing) - 1} more missing)" if len(missing) > 1 else ""
    raise LoadError(
        f"the {mapping.source} mapping needs column {column!r} for {role}, "
        f"but the file has no such column{others}",
        file=table.path,
        column=column,
        hint=f"{hint}columns in the file: {', '.join(available[:30])}. "
        "Pass a mapping naming the right column, or check that this is the right source",
    )


def _order(frame: pl.DataFrame, column: str) -> pl.Expr:
    return (
        normalize_nulls(pl.col(column).cast(pl.String)).cast(pl.Float64, strict=False).alias(_ORDER)
    )


# --- timestamps --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    """``work`` with its timestamps parsed, and what the parse found."""

    work: pl.DataFrame
    # (reason text expression, legacy column, raw-text column) per timestamp column
    reasons: list[tuple[pl.Expr, str, str]]
    row_notes: pl.Expr
    notes: list[str]
    naive_columns: tuple[str, ...]


def _timestamps(frame: pl.DataFrame, work: pl.DataFrame, table: Table, mapping: Mapping) -> _Parsed:
    """Parse each mapped timestamp; return reasons for unreadable cells and per-row notes."""
    reasons: list[tuple[pl.Expr, str, str]] = []
    notes: list[str] = []
    note_exprs: list[pl.Expr] = []
    parsed_columns: list[pl.Series] = []
    order = DateOrder(mapping.order) if mapping.order else None
    assumed: list[str] = []
    for name in TIMESTAMPS:
        column = _column(mapping, name)
        if column is None or column not in frame.columns:
            parsed_columns.append(
                pl.Series(name, [None] * frame.height, dtype=pl.Datetime("us", "UTC"))
            )
            parsed_columns.append(pl.Series(raw_name(name), [None] * frame.height, dtype=pl.String))
            continue
        raw = frame.get_column(column)
        raw_text = raw.cast(pl.String) if not isinstance(raw.dtype, pl.String) else raw
        try:
            result = parse_timestamps(
                raw_text,
                tz=mapping.timezone,
                order=order,
                formats=mapping.formats.get(name),
                column=column,
            )
        except LoadError as error:
            # The parser counts positions in the column; the analyst needs the file's row.
            row = frame.get_column(ROW)[error.row - 1] if error.row is not None else None
            raise LoadError(
                error.problem,
                hint=error.hint,
                file=table.path,
                row=row,
                column=column,
                value=error.value,
            ) from None
        parsed_columns.append(result.values.alias(name))
        parsed_columns.append(raw_text.alias(raw_name(name)))
        flags = f"__invalid_{name}"
        parsed_columns.append(result.invalid.alias(flags))
        parsed_columns.append(result.nonexistent.alias(f"__nonexistent_{name}"))
        parsed_columns.append(result.ambiguous.alias(f"__ambiguous_{name}"))
        styles = " / ".join(result.styles) or "no values"
        notes.append(f"{column} -> {name}: read as {styles}")
        notes.extend(result.notes)  # leap seconds, values out of range
        if result.assumed_tz is not None:
            assumed.append(column)
        reasons.append(
            (
                pl.when(pl.col(flags)).then(
                    pl.format(
                        f"column {column!r}: cannot read {{}} as a date and time ({styles})",
                        pl.col(raw_name(name)),
                    )
                ),
                column,
                raw_name(name),
            )
        )
        note_exprs.append(
            pl.when(pl.col(f"__nonexistent_{name}")).then(
                pl.format(
                    f"{name}: local time {{}} does not exist in {mapping.timezone} "
                    "(clocks went forward); left empty",
                    pl.col(raw_name(name)),
                )
            )
        )
        note_exprs.append(
            pl.when(pl.col(f"__ambiguous_{name}")).then(
                pl.format(
                    f"{name}: local time {{}} happened twice in {mapping.timezone} "
                    "(clocks went back), the earlier one was taken",
                    pl.col(raw_name(name)),
                )
            )
        )
    if assumed:
        notes.append(
            f"naive times in {', '.join(assumed)} were taken as {mapping.timezone}"
            + (
                " (assumed: pass tz=... if the export used local time)"
                if mapping.timezone == "UTC"
                else ""
            )
        )
    work = work.with_columns(parsed_columns)
    row_notes = (
        pl.concat_list(note_exprs).list.drop_nulls()
        if note_exprs
        else pl.lit([], dtype=pl.List(pl.String))
    )
    return _Parsed(work, reasons, row_notes, notes, tuple(assumed))


def _reason_cells(
    mapping: Mapping,
    shapes: list[tuple[pl.Expr, str, str]],
    reasons: list[tuple[pl.Expr, str, str]],
) -> list[pl.Expr]:
    """The column and value a row's reason is about (the same precedence as the reason)."""
    missing_id = pl.col(_ID).is_null()

    def cells(found: list[tuple[pl.Expr, str, str]]) -> tuple[list[pl.Expr], list[pl.Expr]]:
        columns: list[pl.Expr] = [
            pl.when(text.is_not_null()).then(pl.lit(column)) for text, column, _ in found
        ]
        values: list[pl.Expr] = [
            pl.when(text.is_not_null()).then(pl.col(raw)) for text, _, raw in found
        ]
        return columns, values

    shape_columns, shape_values = cells(shapes)
    date_columns, date_values = cells(reasons)
    columns = [
        *shape_columns,
        pl.when(missing_id).then(pl.lit(label(mapping.id))),
        *date_columns,
    ]
    values = [*shape_values, pl.when(missing_id).then(pl.lit("", dtype=pl.String)), *date_values]
    # An empty id is shown as missing, not as "".
    value = pl.coalesce(values)
    return [
        pl.coalesce(columns).alias(_REASON_COLUMN),
        pl.when(value == "").then(None).otherwise(value).alias(_REASON_VALUE),
    ]


# --- incidents ---------------------------------------------------------------------------


def _finish(incidents: pl.DataFrame, table: Table, mapping: Mapping) -> pl.DataFrame:
    carried = [c for c in incidents.columns if c.startswith("field.")]
    built = incidents.with_columns(
        pl.lit(None, dtype=pl.String).alias(ROW_KEY),
        pl.lit(mapping.source).alias("source"),
        pl.col(_ID).alias("source_id"),
        pl.lit(str(table.path)).alias("source_file"),
        pl.struct([pl.col(raw_name(name)).alias(name) for name in RAW_FIELDS]).alias("raw"),
    ).with_columns(timeline_durations())
    return with_row_keys(
        built.select(
            [*[pl.col(name).cast(dtype) for name, dtype in CANONICAL_SCHEMA.items()], *carried]
        )
    )


def _quarantine(table: Table, mapping: Mapping, bad: pl.DataFrame) -> pl.DataFrame:
    records = (
        # A filter, not a semi-join: the table is wide and the bad rows are few.
        table.frame.filter(pl.col(ROW).is_in(bad.get_column(ROW).implode()))
        .sort(ROW)
        .select(ROW, record_columns(table.frame.drop(ROW)).alias("record"))
    )
    parsed = bad.select(
        pl.lit(mapping.source).alias("source"),
        pl.lit(str(table.path)).alias("source_file"),
        pl.col(ROW).alias("source_row"),
        pl.col(_ID).alias("source_id"),
        pl.col(_REASON).alias("reason"),
        pl.col(_REASON_COLUMN).alias("column"),
        pl.col(_REASON_VALUE).alias("value"),
    ).join(records, left_on="source_row", right_on=ROW, how="left")
    unread = pl.DataFrame(
        {
            "source": [mapping.source] * len(table.rejected),
            "source_file": [str(table.path)] * len(table.rejected),
            "source_row": [r.row for r in table.rejected],
            "source_id": [None] * len(table.rejected),
            "reason": [r.reason for r in table.rejected],
            "column": [None] * len(table.rejected),
            "value": [None] * len(table.rejected),
            "record": [r.record for r in table.rejected],
        },
        schema=QUARANTINE_SCHEMA,
    )
    return pl.concat(
        [parsed.select(QUARANTINE_SCHEMA.names()).cast(QUARANTINE_SCHEMA), unread]
    ).sort("source_row")


def _raise_first(table: Table, bad: pl.DataFrame) -> None:
    first_bad = bad.sort(ROW).head(1).to_dicts()
    candidates: list[tuple[int, LoadError]] = []
    if first_bad:
        row = first_bad[0]
        candidates.append(
            (
                row[ROW],
                LoadError(
                    # The error names the column itself: no need to say it twice.
                    row[_REASON].removeprefix(f"column {row[_REASON_COLUMN]!r}: "),
                    file=table.path,
                    row=row[ROW],
                    column=row[_REASON_COLUMN],
                    value=row[_REASON_VALUE],
                    hint="fix the value in the export, or load with on_error='quarantine' to set "
                    "such rows aside and carry on",
                ),
            )
        )
    if table.rejected:
        rejected = table.rejected[0]
        candidates.append(
            (
                rejected.row,
                LoadError(
                    rejected.reason,
                    file=table.path,
                    row=rejected.row,
                    value=json.loads(rejected.record) if rejected.record.startswith("[") else None,
                    hint="repair the row in the export, or load with on_error='quarantine'",
                ),
            )
        )
    raise min(candidates, key=lambda c: c[0])[1]
