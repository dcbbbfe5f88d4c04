"""The canonical CSV: how ``ddinc export`` writes the canonical frame, and how it reads back.

One format, both directions, so that ``ddinc.load("cleaned.csv")`` gives exactly the frame that
was exported (the ``ddinc`` source, detected from the header). Every cell is text a spreadsheet
shows as it is:

- timestamps as ISO 8601 UTC, ``2024-01-12T15:45:00Z``, with ``.000250`` when there is a
  fraction (microseconds kept);
- durations in seconds as exact decimals, ``7200.00025`` or ``-60``, in ``<name>_s`` columns: a
  spreadsheet reads them as numbers;
- lists (``teams``, ``services``, ``load_notes``, ``source_rows``, list-valued carried fields)
  as items joined by ``"; "``, where an item's own ``;`` is written ``\\;`` and its ``\\`` is
  written ``\\\\``; an empty list is an empty cell, a null item ``\\N``, an empty item ``\\E``.
  A carried field holding lists is named ``field.<key>[]``;
- the ``raw`` struct spread over ``raw.<field>`` columns;
- a missing value is an empty cell and an empty text is ``""``: the CSV quoting tells them apart;
- a text cell a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a
  tab or a carriage return) is prefixed with ``'`` as OWASP recommends; so that this can be
  undone exactly, a text that starts with ``'`` gets one more (:mod:`ddinc.safe_csv`, the one
  writer of every CSV ddinc writes). Durations are numbers and are never prefixed: ``-60`` is
  minus sixty seconds, not a formula.

A ``failing_checks`` column (written by :func:`ddinc.export.write_csv` when given a check
report) is derived data: it is dropped on reading, and the checks run again on what was read.

>>> frame = pl.DataFrame({"title": ["=1+1", "'quoted", "ok"], "teams": [["a; b"], [], None]})
>>> flat = flatten(frame)
>>> flat.rows()
[("'=1+1", 'a\\\\; b'), ("''quoted", ''), ('ok', None)]
>>> unflatten(flat).rows()
[('=1+1', ['a; b']), ("'quoted", []), ('ok', None)]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from ddinc.errors import LoadError
from ddinc.readers import Table
from ddinc.rowkey import ROW_KEY
from ddinc.safe_csv import FORMULA_STARTS, neutralised, read_cells, restored
from ddinc.schema import (
    CANONICAL_SCHEMA,
    DURATIONS,
    FIELD_PREFIX,
    QUARANTINE_SCHEMA,
    TIMESTAMPS,
    Severity,
    State,
    Timestamp,
    empty_quarantine,
)
from ddinc.sources.mapping import Mapping
from ddinc.sources.source import Source

__all__ = [
    "CANONICAL_CSV",
    "FAILING_CHECKS",
    "FORMULA_STARTS",
    "LIST_SEPARATOR",
    "CanonicalFile",
    "CanonicalSource",
    "flatten",
    "flatten_quarantine",
    "quarantine_path",
    "read_canonical_csv",
    "unflatten",
    "unflatten_quarantine",
]

LIST_SEPARATOR: Final = "; "
FAILING_CHECKS: Final = "failing_checks"
_SECONDS: Final = "_s"
_LIST_MARK: Final = "[]"
_RAW: Final = "raw"
_NULL_ITEM: Final = "\\N"
_EMPTY_ITEM: Final = "\\E"
_LISTS: Final[dict[str, pl.DataType]] = {
    name: dtype for name, dtype in CANONICAL_SCHEMA.items() if isinstance(dtype, pl.List)
}
_ENUMS: Final[dict[str, pl.DataType]] = {"state": State, "severity": Severity}
_DECIMAL: Final = r"^(-)?(\d+)(?:\.(\d{1,6}))?$"


def quarantine_path(path: str | Path) -> Path:
    """Where the quarantine of an export written to ``path`` goes: ``name.quarantine.csv``.

    >>> quarantine_path("out/cleaned.csv").as_posix()
    'out/cleaned.quarantine.csv'
    """
    path = Path(path)
    return path.with_name(f"{path.stem}.quarantine{path.suffix or '.csv'}")


# --- cells -------------------------------------------------------------------------------------


def _restored_series(text: pl.Series) -> pl.Series:
    return text.to_frame().select(restored(pl.col(text.name))).to_series()


def _list_text(column: pl.Expr) -> pl.Expr:
    item = pl.element().cast(pl.String)
    escaped = item.str.replace_all("\\", "\\\\", literal=True).str.replace_all(
        ";", "\\;", literal=True
    )
    coded = (
        pl.when(item.is_null())
        .then(pl.lit(_NULL_ITEM))
        .when(item == "")
        .then(pl.lit(_EMPTY_ITEM))
        .otherwise(escaped)
    )
    return column.list.eval(coded).list.join(LIST_SEPARATOR)


def _items(cell: str) -> list[str | None]:
    """One list cell's items, escapes undone (the slow path: the cell holds a backslash)."""
    items: list[str | None] = []
    current: list[str] = []
    start = i = 0
    while True:
        if i == len(cell) or cell.startswith(LIST_SEPARATOR, i):
            coded = cell[start:i]
            items.append(
                None if coded == _NULL_ITEM else "" if coded == _EMPTY_ITEM else "".join(current)
            )
            if i == len(cell):
                return items
            i = start = i + len(LIST_SEPARATOR)
            current = []
        elif cell[i] == "\\" and cell[i + 1 : i + 2] in ("\\", ";"):
            current.append(cell[i + 1])
            i += 2
        else:
            current.append(cell[i])
            i += 1


def _split_lists(text: pl.Series) -> pl.Series:
    """List cells back to lists of text: ``""`` is the empty list, null stays null."""
    escaped = text.str.contains("\\", literal=True).fill_null(False)
    plain = text.str.split(LIST_SEPARATOR)
    plain = pl.select(
        pl.when(text == "").then(pl.lit([], dtype=pl.List(pl.String))).otherwise(plain)
    ).to_series()
    if not escaped.any():
        return plain.alias(text.name)
    values = plain.to_list()
    for position in escaped.arg_true().to_list():
        values[position] = _items(text[position])
    return pl.Series(text.name, values, dtype=pl.List(pl.String))


def _seconds_text(column: pl.Expr) -> pl.Expr:
    """A duration as exact decimal seconds: ``7200``, ``7200.00025``, ``-0.5``."""
    micros = column.dt.total_microseconds()
    whole = (micros.abs() // 1_000_000).cast(pl.String)
    fraction = (micros.abs() % 1_000_000).cast(pl.String).str.zfill(6).str.strip_chars_end("0")
    sign = pl.when(micros < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    dot = pl.when(fraction == "").then(pl.lit("")).otherwise("." + fraction)
    return pl.concat_str(sign, whole, dot)


# --- the incidents -----------------------------------------------------------------------------


def _iso_utc(column: pl.Expr) -> pl.Expr:
    utc = column.dt.convert_time_zone("UTC")
    whole = utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    fractional = utc.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
    return pl.when(utc.dt.microsecond() == 0).then(whole).otherwise(fractional)


def flatten(incidents: pl.DataFrame) -> pl.DataFrame:
    """``incidents`` as the canonical CSV's columns: text everywhere, formulas neutralised.

    Columns keep their order; durations become ``<name>_s`` (exact decimal seconds, never
    neutralised), ``raw`` becomes ``raw.<field>`` columns, a list-valued carried field
    ``field.<key>[]``.
    """
    exprs: list[pl.Expr] = []
    for name, dtype in incidents.schema.items():
        column = pl.col(name)
        if name in DURATIONS:
            exprs.append(_seconds_text(column).alias(name + _SECONDS))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(neutralised(_iso_utc(column)).alias(name))
        elif isinstance(dtype, pl.Struct):
            exprs.extend(
                neutralised(column.struct.field(f.name).cast(pl.String)).alias(f"{name}.{f.name}")
                for f in dtype.fields
            )
        elif isinstance(dtype, pl.List):
            carried = name.startswith(FIELD_PREFIX)
            exprs.append(neutralised(_list_text(column)).alias(name + _LIST_MARK * carried))
        else:
            exprs.append(neutralised(column.cast(pl.String)).alias(name))
    return incidents.select(exprs)


def _bad_cells(text: pl.Series, parsed: pl.Series, what: str, hint: str, file: Path | None) -> None:
    """Raise a LoadError at the first cell of ``text`` that ``parsed`` could not read."""
    failed = text.is_not_null() & parsed.is_null()
    if failed.any():
        at = int(failed.arg_true()[0])
        raise LoadError(
            f"cannot read this cell as {what}",
            hint=hint,
            file=file,
            row=at + 1,
            column=text.name,
            value=text[at],
        )


_REWRITE: Final = "export the incidents again with `ddinc export` (or ddinc.write_csv)"


def _timestamp(text: pl.Series, file: Path | None) -> pl.Series:
    parsed = (
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="us", strict=False)
        .dt.replace_time_zone("UTC")
        .cast(Timestamp)
    )
    hint = "write it as ISO 8601 UTC, such as 2024-01-12T15:45:00Z, or " + _REWRITE
    _bad_cells(text, parsed, "an ISO 8601 UTC time", hint, file)
    return parsed


def _duration(text: pl.Series, name: str, file: Path | None) -> pl.Series:
    parts = text.str.extract_groups(_DECIMAL).struct.unnest()
    micros = parts.select(
        (
            pl.col("2").cast(pl.Int64) * 1_000_000
            + pl.col("3").str.pad_end(6, "0").cast(pl.Int64).fill_null(0)
        )
        * pl.when(pl.col("1").is_null()).then(1).otherwise(-1)
    ).to_series()
    parsed = micros.cast(pl.Duration("us")).alias(name)
    hint = "write durations as decimal seconds, such as 7200 or -0.25, or " + _REWRITE
    _bad_cells(text, parsed, "a duration in seconds", hint, file)
    return parsed


def _typed(text: pl.Series, dtype: pl.DataType, file: Path | None) -> pl.Series:
    if dtype == pl.String:
        return text
    parsed = text.cast(dtype, strict=False)
    allowed = ", ".join(getattr(dtype, "categories", pl.Series()).to_list())
    what = f"one of {allowed}" if allowed else f"a {dtype}"
    _bad_cells(text, parsed, what, _REWRITE, file)
    return parsed


def _list(text: pl.Series, dtype: pl.DataType, file: Path | None) -> pl.Series:
    items = _split_lists(text)
    inner = dtype.inner if isinstance(dtype, pl.List) else pl.String
    if inner == pl.String:
        return items
    exploded = items.explode(empty_as_null=False)
    parsed = exploded.cast(inner, strict=False)
    _bad_cells(exploded, parsed, f"a list of {inner}", _REWRITE, None)
    return items.cast(pl.List(inner))


def unflatten(flat: pl.DataFrame, *, file: Path | None = None) -> pl.DataFrame:
    """The canonical frame a frame of :func:`flatten`'s columns (all text) came from.

    ``failing_checks`` is dropped. Raises :class:`LoadError` naming the row, column and value
    of a cell that cannot be read back.
    """
    flat = flat.drop(FAILING_CHECKS, strict=False)
    columns: dict[str, pl.Series] = {}
    raw: dict[str, pl.Series] = {}
    for name in flat.columns:
        cell = flat.get_column(name).cast(pl.String)
        duration = name.removesuffix(_SECONDS)
        if name.endswith(_SECONDS) and duration in DURATIONS:
            columns[duration] = _duration(cell, duration, file)
            continue
        text = _restored_series(cell)
        if name.startswith(_RAW + "."):
            raw[name.removeprefix(_RAW + ".")] = text.alias(name.removeprefix(_RAW + "."))
            columns.setdefault(_RAW, text)  # placeholder keeps the column's position
        elif name in TIMESTAMPS:
            columns[name] = _timestamp(text, file)
        elif name in _LISTS:
            columns[name] = _list(text, _LISTS[name], file)
        elif name.startswith(FIELD_PREFIX) and name.endswith(_LIST_MARK):
            columns[name.removesuffix(_LIST_MARK)] = _list(text, pl.List(pl.String), file).alias(
                name.removesuffix(_LIST_MARK)
            )
        elif name in _ENUMS:
            columns[name] = _typed(text, _ENUMS[name], file)
        else:
            columns[name] = text
    if raw:
        columns[_RAW] = pl.DataFrame(list(raw.values())).to_struct(_RAW)
    return pl.DataFrame([series.alias(name) for name, series in columns.items()])


# --- the quarantine ------------------------------------------------------------------------------


def flatten_quarantine(quarantine: pl.DataFrame) -> pl.DataFrame:
    """The quarantine as CSV columns: numbers stay numbers, text is neutralised."""
    return quarantine.select(
        neutralised(pl.col(name).cast(pl.String)).alias(name)
        if not dtype.is_numeric()
        else pl.col(name)
        for name, dtype in quarantine.schema.items()
    )


def unflatten_quarantine(flat: pl.DataFrame, *, file: Path | None = None) -> pl.DataFrame:
    """The quarantine frame a frame of :func:`flatten_quarantine`'s columns (as text) came from."""
    columns = []
    for name in flat.columns:
        text = flat.get_column(name).cast(pl.String)
        dtype = QUARANTINE_SCHEMA.get(name, pl.String())
        if dtype.is_numeric():
            columns.append(_typed(text, dtype, file))
        else:
            columns.append(_restored_series(text))
    return pl.DataFrame(columns)


# --- files ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CanonicalFile:
    """What a canonical CSV (and the quarantine beside it) holds."""

    incidents: pl.DataFrame
    quarantine: pl.DataFrame
    notes: tuple[str, ...]
    rows_read: int
    """Legacy rows behind these incidents and the quarantine, as when they were first loaded."""


def _read_text(path: Path) -> pl.DataFrame:
    try:
        # Every cell as text: an unquoted empty cell is null, a quoted "" stays "".
        return read_cells(path)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise LoadError(
            f"cannot read it as a canonical CSV ({error})".splitlines()[0],
            file=path,
            hint=_REWRITE,
        ) from None


def read_canonical_csv(path: str | Path) -> CanonicalFile:
    """Read a canonical CSV, and the quarantine beside it when there is one.

    Nothing is recomputed: ``row_key`` is read, rows are neither collapsed nor re-keyed, and
    durations are the ones written.
    """
    path = Path(path)
    incidents = unflatten(_read_text(path), file=path)
    beside = quarantine_path(path)
    notes = [f"{path.name}: a canonical CSV written by ddinc, read back as written"]
    if beside.is_file():
        quarantine = unflatten_quarantine(_read_text(beside), file=beside)
        notes.append(f"{path.name}: quarantine read from {beside.name}")
    else:
        quarantine = empty_quarantine()
    rows = (
        int(incidents.get_column("source_rows").list.len().sum())
        if "source_rows" in incidents.columns
        else incidents.height
    )
    return CanonicalFile(incidents, quarantine, tuple(notes), rows + quarantine.height)


# --- the source ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CanonicalSource(Source):
    """The ``ddinc`` source: a canonical CSV, read back by :func:`read_canonical_csv`.

    The loader reads files of this source as they are written, without the mapping engine.
    """

    def read(self, path: Path) -> CanonicalFile:
        """Read the canonical CSV at ``path``."""
        return read_canonical_csv(path)


def _not_a_file(table: Table) -> Table:
    raise LoadError(
        "this table has the columns of a canonical CSV, which ddinc reads back from the file",
        file=table.path,
        hint="pass the path of the CSV that ddinc export wrote, not a frame read from it",
    )


CANONICAL_CSV: Final = CanonicalSource(
    name="ddinc",
    description="a canonical CSV written by ddinc export, read back exactly as written",
    mappings=(Mapping(source="ddinc", id=ROW_KEY),),
    signatures=(frozenset({ROW_KEY, "source", "source_id", "source_file", "source_rows"}),),
    kinds=frozenset({"csv"}),
    prepare=_not_a_file,
)
