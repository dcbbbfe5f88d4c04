"""The one way ddinc writes a CSV: no cell a spreadsheet would run, and every cell read back.

Every CSV ddinc writes (the canonical export and its quarantine, the people table beside a
ledger, the report's statistics) goes through this module, so a value taken from a legacy
export (a commander named ``=HYPERLINK(...)``, a team named ``@SUM(1)``) reaches the analyst's
spreadsheet as text, never as a formula:

- a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
  leading ``'``, as OWASP recommends ("CSV injection"); so that this can be undone exactly, a
  text that starts with ``'`` gets one more. Header names are treated the same way;
- numbers (numeric columns, and text columns named as ``numbers``) are written as they are:
  ``-60`` is minus sixty, not a formula;
- reading back undoes it: one leading ``'`` is dropped from every text cell and header name,
  and header names are read by Python's ``csv``: polars keeps a quoted header's doubled
  quotes, so a column ``field.say "hi"`` would come back with its quotes doubled.

>>> neutralise("=1+1"), neutralise("'quoted"), neutralise("ok")
("'=1+1", "''quoted", 'ok')
>>> restore("'=1+1"), restore("''quoted"), restore("ok")
('=1+1', "'quoted", 'ok')
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import IO, Final

import polars as pl

__all__ = [
    "FORMULA_STARTS",
    "cells",
    "neutralise",
    "neutralised",
    "read_cells",
    "read_rows",
    "read_table",
    "restore",
    "restored",
    "write_cells",
    "write_rows",
    "write_table",
]

# What makes a spreadsheet evaluate a cell (OWASP, "CSV injection").
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_QUOTE: Final = "'"
_NEEDS_QUOTE: Final = "^[" + re.escape("".join((*FORMULA_STARTS, _QUOTE))) + "]"
_BOM: Final = "\ufeff"


# --- cells ---------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """``text`` with a ``'`` before it where a spreadsheet would run it, or it starts with ``'``."""
    return _QUOTE + text if text.startswith((*FORMULA_STARTS, _QUOTE)) else text


def restore(text: str) -> str:
    """Undo :func:`neutralise`: drop one leading ``'``."""
    return text[1:] if text.startswith(_QUOTE) else text


def neutralised(text: pl.Expr) -> pl.Expr:
    """:func:`neutralise` as an expression over a text column."""
    return pl.when(text.str.contains(_NEEDS_QUOTE)).then(_QUOTE + text).otherwise(text)


def restored(text: pl.Expr) -> pl.Expr:
    """:func:`restore` as an expression over a text column."""
    return pl.when(text.str.starts_with(_QUOTE)).then(text.str.slice(1)).otherwise(text)


def _is_number(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() or dtype == pl.Boolean


def cells(frame: pl.DataFrame, *, numbers: Collection[str] = ()) -> pl.DataFrame:
    """``frame`` as CSV cells: every column that is not a number becomes neutralised text.

    Columns named in ``numbers`` hold numbers written as text (exact decimal seconds, say)
    and are kept as they are. Timestamps are written by polars (they start with a digit).
    """
    exprs = []
    for name, dtype in frame.schema.items():
        if name in numbers or _is_number(dtype) or isinstance(dtype, pl.Datetime | pl.Date):
            exprs.append(pl.col(name))
        else:
            exprs.append(neutralised(pl.col(name).cast(pl.String)).alias(name))
    return frame.select(exprs)


# --- files ---------------------------------------------------------------------------------


def write_cells(frame: pl.DataFrame, target: Path | IO[bytes], *, excel: bool = False) -> None:
    """Write ``frame``, whose cells :func:`cells` already made safe, with safe header names.

    ``excel`` starts the file with the UTF-8 byte order mark Excel needs to read accents.
    """
    header = {name: neutralise(name) for name in frame.columns}
    renamed = frame.rename({k: v for k, v in header.items() if k != v})
    renamed.write_csv(target, include_bom=excel)


def write_table(
    frame: pl.DataFrame,
    target: Path | IO[bytes],
    *,
    excel: bool = False,
    numbers: Collection[str] = (),
) -> None:
    """Write ``frame`` as a formula-safe CSV (see the module docstring)."""
    write_cells(cells(frame, numbers=numbers), target, excel=excel)


def write_rows(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], *, excel: bool = False
) -> None:
    """Write rows of text (a small hand-filled table) as a formula-safe CSV."""
    encoding = "utf-8-sig" if excel else "utf-8"
    with path.open("w", newline="", encoding=encoding) as handle:
        # The default "\r\n" line end makes csv quote a lone "\r" or "\n" in a cell.
        writer = csv.writer(handle)
        writer.writerow([neutralise(name) for name in header])
        writer.writerows([neutralise(cell) for cell in row] for row in rows)


def read_rows(path: Path) -> list[list[str]]:
    """The rows of a CSV written by :func:`write_rows` (the header first), cells restored.

    A row typed by hand in a spreadsheet reads as typed: a spreadsheet saves ``'=x`` as ``=x``.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [[restore(cell) for cell in row] for row in csv.reader(handle)]


def _header(path: Path) -> list[str] | None:
    """The header names of the CSV at ``path`` as Python's ``csv`` reads them (quotes undone)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle), None)
    except (UnicodeDecodeError, csv.Error):
        return None


def read_cells(path: Path) -> pl.DataFrame:
    """Every cell of a CSV as text, as written (not restored); header names restored exactly.

    An unquoted empty cell is null and a quoted ``""`` stays ``""``. Raises what polars raises
    for a file that is not CSV (callers say what to do).
    """
    frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
    header = _header(path)
    if header is not None and len(header) == frame.width:
        names = [restore(name.removeprefix(_BOM)) for name in header]
        if len(set(names)) == len(names):
            frame.columns = names
    return frame


def read_table(
    path: Path, schema: dict[str, pl.DataType] | pl.Schema | None = None
) -> pl.DataFrame:
    """A CSV written by :func:`write_table`, read back: text restored, ``schema``'s dtypes cast.

    Columns ``schema`` does not name, or names as text, are restored text.
    """
    frame = read_cells(path)
    wanted = dict(schema or {})
    exprs = []
    for name in frame.columns:
        dtype = wanted.get(name, pl.String())
        column = pl.col(name)
        if dtype == pl.String:
            exprs.append(restored(column).alias(name))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(column.str.to_datetime(time_unit=dtype.time_unit).cast(dtype))
        else:
            exprs.append(column.cast(dtype))
    return frame.select(exprs)
