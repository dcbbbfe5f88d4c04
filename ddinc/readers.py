"""Read a legacy export file into a frame of raw values, one row per input record.

Readers do not interpret values: CSV cells stay text, JSON scalars become text, nested JSON
objects are flattened to ``parent.child`` columns and lists are kept as lists. Every row gets
``ROW``, its 1-based position in the file (data rows for CSV, the record's position for JSON).

Records that cannot be read at all (a CSV line with more cells than the header, a JSON Lines
line that is not JSON) are not dropped: they come back in :attr:`Table.rejected`, so the loader
can quarantine them with the reason.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import fastexcel
import polars as pl

from ddinc.csv_records import BadRecord, strict_records
from ddinc.encodings import decode, wide_encoding
from ddinc.errors import LoadError

__all__ = [
    "OBJECT_VALUE",
    "ROW",
    "ROW_NOTES",
    "SINGLE_VALUE",
    "FileKind",
    "Rejected",
    "Table",
    "file_kind",
    "read_header",
    "read_json",
    "read_table",
]

ROW: Final = "__row"

# "frame": an already-loaded polars frame handed to ddinc.load.
FileKind = Literal["csv", "json", "jsonl", "parquet", "excel", "frame"]

_SUFFIXES: Final[dict[str, FileKind]] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
}

# Keys under which APIs wrap their list of records.
_CONTAINER_KEYS: Final = ("incidents", "data", "items", "records", "results", "issues", "alerts")


@dataclass(frozen=True)
class Rejected:
    """An input record that could not be read, with why."""

    row: int
    reason: str
    record: str


@dataclass(frozen=True)
class Table:
    """Raw records of one file, as read."""

    path: Path
    kind: FileKind
    frame: pl.DataFrame
    rejected: tuple[Rejected, ...] = ()
    notes: tuple[str, ...] = field(default=())
    # For JSON: top-level keys beside the records (e.g. Statuspage's "page"), for detection.
    container: str | None = None


def file_kind(path: Path) -> FileKind:
    """The kind of file ``path`` is, from its suffix."""
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(_SUFFIXES))
        raise LoadError(
            f"cannot tell the file type from the suffix {path.suffix!r}",
            file=path,
            hint=f"rename it to one of {known}",
        )
    return kind


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    separator: str | None = None,
    columns: Sequence[str] | None = None,
) -> Table:
    """Read ``path`` into a :class:`Table` of raw values.

    ``columns`` limits a CSV read to those columns (the loader passes the ones its mapping
    reads: on wide exports this halves the read).

    Raises
    ------
    LoadError
        When the file is missing, empty, or not the kind its suffix says.
    """
    path = Path(path)
    if not path.is_file():
        raise LoadError(
            "file not found" if not path.exists() else "not a file",
            file=path,
            hint="check the path; relative paths are relative to the current directory "
            f"({Path.cwd()})",
        )
    kind = file_kind(path)
    if kind == "csv":
        return _read_csv(path, separator, columns)
    if kind == "json":
        return _read_json(path)
    if kind == "jsonl":
        return _read_jsonl(path)
    if kind == "parquet":
        return _finish(path, kind=kind, frame=_guard(path, lambda: pl.read_parquet(path)))
    return _finish(path, kind=kind, frame=_guard(path, lambda: _read_excel(path, sheet)))


def _guard(path: Path, read: Any) -> pl.DataFrame:
    try:
        frame: pl.DataFrame = read()
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise LoadError(
            f"cannot read the file: {error}",
            file=path,
            hint="check that the file is complete and of the type its suffix says",
        ) from None
    return frame


def _read_excel(path: Path, sheet: str | None) -> pl.DataFrame:
    # Every cell as text, like CSV: the loader decides what is a date. Empty rows are kept
    # (as in CSV) so that row numbers stay the sheet's own: dropping them shifted every later
    # row and pointed the analyst at the wrong line.
    if path.stat().st_size == 0:
        raise LoadError("the file is empty", file=path, hint="export it again from the legacy tool")
    try:
        if sheet is None:
            return pl.read_excel(path, infer_schema_length=0, drop_empty_rows=False)
        return pl.read_excel(path, sheet_name=sheet, infer_schema_length=0, drop_empty_rows=False)
    except fastexcel.FastExcelError as error:
        # calamine's message is a multi-line trace ("Context: 0: ..."); its first line says it.
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise LoadError(
            f"cannot open the workbook ({first.removeprefix('calamine error: ')})",
            file=path,
            hint="check that the download is complete and that it really is an Excel workbook; "
            "open it in Excel and save it again as .xlsx, or export the sheet as CSV",
        ) from None


def _finish(
    path: Path,
    *,
    kind: FileKind,
    frame: pl.DataFrame,
    rejected: tuple[Rejected, ...] = (),
    notes: tuple[str, ...] = (),
    container: str | None = None,
) -> Table:
    if ROW not in frame.columns:
        frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    return Table(path, kind, frame, rejected, notes, container)


# --- CSV ---------------------------------------------------------------------------------


_HEAD_BYTES: Final = 64 * 1024


def _decode(path: Path, data: bytes) -> tuple[bytes, tuple[str, ...]]:
    """UTF-8 bytes of ``data``, decoding UTF-16/32 and Windows-1252 files, with a note if so."""
    return decode(data, path)


def _needs_decoding(head: bytes) -> bool:
    """Whether polars cannot be handed the file as it is: UTF-16/32, or CR-only line ends."""
    return wide_encoding(head) is not None or _cr_only(head)


def _cr_only(head: bytes) -> bool:
    # Classic Mac OS (and Excel's "CSV (Macintosh)") ends lines with CR alone; polars reads
    # such a file as one long header.
    return b"\r" in head and b"\n" not in head


def _sniff_separator(head: str) -> str:
    first = head.splitlines()[0] if head else ""
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def read_header(path: str | Path) -> list[str] | None:
    """The column names of a CSV file, read from its first line, or None when that cannot be
    done cheaply and safely (not CSV, not UTF-8, repeated names): then read it whole.
    """
    path = Path(path)
    if not path.is_file() or file_kind(path) != "csv":
        return None
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if _needs_decoding(head) or not head.strip():
        return None
    sep = _sniff_separator(head.decode("utf-8", errors="replace"))
    try:
        names = pl.read_csv(path, n_rows=0, infer_schema=False, separator=sep).columns
    except pl.exceptions.PolarsError:
        return None
    return None if any("_duplicated_" in name for name in names) else names


def _project(frame: pl.DataFrame, columns: Sequence[str] | None) -> pl.DataFrame:
    if columns is None:
        return frame
    keep = set(columns) | {ROW}
    return frame.select([name for name in frame.columns if name in keep])


def _read_csv(path: Path, separator: str | None, columns: Sequence[str] | None) -> Table:
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if not head.strip() and path.stat().st_size <= len(head):
        raise LoadError("the file is empty", file=path, hint="export it again from the legacy tool")
    if not _needs_decoding(head):
        # The fast path: polars reads the file itself, no copy through Python.
        sep = separator or _sniff_separator(head.decode("utf-8", errors="replace"))
        try:
            frame = pl.read_csv(
                path,
                infer_schema=False,
                separator=sep,
                raise_if_empty=False,
                columns=list(columns) if columns is not None else None,
            )
        except pl.exceptions.PolarsError:
            pass  # not UTF-8, ragged rows or broken quotes: handled below
        else:
            return _finish(path, kind="csv", frame=frame)
    data, notes = _decode(path, path.read_bytes())
    if _cr_only(data):
        data = data.replace(b"\r", b"\n")
        notes = (*notes, f"{path.name}: lines end with CR alone (classic Mac OS); read as lines")
    sep = separator or _sniff_separator(data[:_HEAD_BYTES].decode("utf-8", errors="replace"))
    try:
        frame = pl.read_csv(data, infer_schema=False, separator=sep, raise_if_empty=False)
    except pl.exceptions.PolarsError:
        # Ragged rows or broken quotes: polars cannot say which; Python's csv can, row by row.
        table = _read_csv_slowly(path, data, sep, notes)
        return dataclasses.replace(table, frame=_project(table.frame, columns))
    return _finish(path, kind="csv", frame=_project(frame, columns), notes=notes)


def _read_csv_slowly(path: Path, data: bytes, sep: str, notes: tuple[str, ...]) -> Table:
    """Read record by record, setting aside (in ``rejected``) what cannot be read safely.

    Every physical line ends up in a row or in ``rejected``: a quote that never closes would
    otherwise make the rest of the file one cell, and that is silent data loss.
    """
    records = strict_records(data.decode("utf-8-sig"), sep)
    try:
        first = next(records)
    except StopIteration:
        raise LoadError("the file has no header row", file=path) from None
    if isinstance(first, BadRecord):
        raise LoadError(
            f"the header (line {first.first_line}) cannot be read: {first.problem}",
            file=path,
            hint="fix the header line of the export, or export it again",
        )
    names = _unique_names(first.cells)
    good: list[list[str | None]] = []
    rows: list[int] = []
    rejected: list[Rejected] = []
    number = 0
    for record in records:
        if isinstance(record, BadRecord):
            for line in record.lines:
                number += 1
                rejected.append(Rejected(number, record.problem, json.dumps([line])))
            continue
        number += 1
        cells = record.cells
        if len(cells) > len(names):
            rejected.append(
                Rejected(
                    number,
                    f"row has {len(cells)} cells but the header has {len(names)}",
                    json.dumps(cells, ensure_ascii=False),
                )
            )
            continue
        padded: list[str | None] = [c if c != "" else None for c in cells]
        padded += [None] * (len(names) - len(cells))
        good.append(padded)
        rows.append(number)
    frame = pl.DataFrame(good, schema=dict.fromkeys(names, pl.String), orient="row")
    frame = frame.with_columns(pl.Series(ROW, rows, dtype=pl.Int64))
    return _finish(path, kind="csv", frame=frame, rejected=tuple(rejected), notes=notes)


def _unique_names(header: list[str]) -> list[str]:
    """Header names made unique the way polars does it (``name_duplicated_0``)."""
    seen: dict[str, int] = {}
    names = []
    for name in header:
        if name in seen:
            names.append(f"{name}_duplicated_{seen[name]}")
            seen[name] += 1
        else:
            names.append(name)
            seen[name] = 0
    return names


# --- JSON --------------------------------------------------------------------------------

# Working column of per-record notes from the reader (e.g. a key written twice), merged into
# the incident's ``load_notes``.
ROW_NOTES: Final = "__row_notes"
# Prefix of a working column flagging, for a column where some records hold a list and others
# one value, the records that held one value (read as a one-item list).
SINGLE_VALUE: Final = "__single_value."
# How many records a file's note names before saying how many more there are.
_LISTED: Final = 10
# Prefix of a working column holding, for a key where some records hold an object and others
# a value, the object as JSON text in the records that held one (the key's own column is null
# there): resolve sets those records aside, so an object is never read as a missing value.
OBJECT_VALUE: Final = "__object_value."


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once (the last won)."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = _Object(pairs)
    if len(result) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        result.repeated = tuple(key for key, n in counts.items() if n > 1)
    return result


def _repeated_keys(record: dict[str, Any], prefix: str = "") -> list[str]:
    """Keys written twice anywhere in ``record`` (``parent.child`` for nested objects)."""
    found = [f"{prefix}{key}" for key in getattr(record, "repeated", ())]
    for key, value in record.items():
        if isinstance(value, dict):
            found += _repeated_keys(value, f"{prefix}{key}.")
    return found


def _parse_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_object)
    except RecursionError:
        raise LoadError(
            "the JSON is nested too deeply to read",
            file=path,
            hint="incident exports are a few levels deep; check that this is the right file",
        ) from None


def _flatten(
    record: dict[str, Any], prefix: str = "", objects: dict[str, str] | None = None
) -> dict[str, Any]:
    """Nested objects become ``parent.child`` keys; scalars become text; lists stay lists.

    ``objects`` collects each object's key and JSON text, for keys other records give a value.
    """
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if objects is not None:
                objects[name] = _dumps(value)
            flat.update(_flatten(value, f"{name}.", objects))
        elif isinstance(value, list):
            flat[name] = [_scalar_or_object(item) for item in value]
        else:
            flat[name] = _text(value)
    return flat


def _scalar_or_object(item: Any) -> Any:
    if isinstance(item, dict):
        return {
            key: _text(value) if not isinstance(value, dict | list) else json.dumps(value)
            for key, value in item.items()
        }
    if isinstance(item, list):
        return json.dumps(item)
    return _text(item)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _records_frame(
    path: Path, records: list[dict[str, Any]], rows: list[int]
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The flattened records as a frame, built column by column, and notes on odd shapes.

    Built here rather than by polars' inference, which either stops the whole load on one
    odd record (a list in one, text in another) or silently mangles values (a list of objects
    beside a list of names).
    """
    objects: list[dict[str, str]] = [{} for _ in records]
    try:
        flat = [
            _flatten(record, objects=found) for record, found in zip(records, objects, strict=True)
        ]
    except RecursionError:
        raise LoadError(
            "the JSON is nested too deeply to read",
            file=path,
            hint="incident exports are a few levels deep; check that this is the right file",
        ) from None
    names = list(dict.fromkeys(name for record in flat for name in record))
    columns: list[pl.Series] = []
    notes: list[str] = []
    odd = _objects_among_values(objects, set(names))
    for name in names:
        new, note = _column(name, [record.get(name) for record in flat])
        columns.extend(new)
        notes.extend(note)
    for name, held in odd.items():
        columns.append(pl.Series(f"{OBJECT_VALUE}{name}", held, dtype=pl.String))
        count = sum(text is not None for text in held)
        notes.append(f"{name}: {count} record(s) hold an object where the others hold a value")
    repeated = [_repeated_keys(record) for record in records]
    if any(repeated):
        columns.append(
            pl.Series(
                ROW_NOTES,
                [
                    [
                        f"the record gives key {key!r} more than once; the last value was kept"
                        for key in keys
                    ]
                    for keys in repeated
                ],
                dtype=pl.List(pl.String),
            )
        )
        # Which key of which record: the analyst checks those records in the file.
        found = [
            f"record {row} ({', '.join(map(repr, keys))})"
            for row, keys in zip(rows, repeated, strict=True)
            if keys
        ]
        shown = ", ".join(found[:_LISTED]) + (
            f" and {len(found) - _LISTED} more" if len(found) > _LISTED else ""
        )
        notes.append(
            f"{len(found)} record(s) give a key more than once; the last value was kept: {shown}"
        )
    if not columns:
        # Records without a single key: a placeholder row column (the caller sets the real
        # one) gives the frame its height.
        return pl.DataFrame({ROW: pl.Series(ROW, [0] * len(flat), dtype=pl.Int64)}), tuple(notes)
    return pl.DataFrame(columns, height=len(flat)), tuple(notes)


def _objects_among_values(
    objects: list[dict[str, str]], names: set[str]
) -> dict[str, list[str | None]]:
    """Keys where some records hold an object and others a value: per key, the object's JSON
    text in the records that held one (null in the others)."""
    odd: dict[str, list[str | None]] = {}
    for at, found in enumerate(objects):
        for name, text in found.items():
            if name not in names:
                continue  # an object in every record that has the key: its keys are columns
            odd.setdefault(name, [None] * len(objects))[at] = text
    return odd


def _column(name: str, values: list[Any]) -> tuple[list[pl.Series], tuple[str, ...]]:
    """One column of flattened values: text, a list of text, or a list of objects (and, when
    records mix one value and lists, a flag of the records that held one value)."""
    if not any(isinstance(value, list) for value in values):
        return [pl.Series(name, values, dtype=pl.String)], ()
    notes: tuple[str, ...] = ()
    extra: list[pl.Series] = []
    if any(value is not None and not isinstance(value, list) for value in values):
        notes = (
            f"{name}: some records hold one value, others a list; single values were "
            "read as one-item lists",
        )
        single = [value is not None and not isinstance(value, list) for value in values]
        extra.append(pl.Series(f"{SINGLE_VALUE}{name}", single, dtype=pl.Boolean))
        values = [
            value if value is None or isinstance(value, list) else [value] for value in values
        ]
    items = [item for value in values if value for item in value if item is not None]
    if items and all(isinstance(item, dict) for item in items):
        keys = dict.fromkeys(key for item in items for key in item)
        dtype = pl.List(pl.Struct(dict.fromkeys(keys, pl.String)))
        return [pl.Series(name, values, dtype=dtype), *extra], notes
    if any(isinstance(item, dict) for item in items):
        notes = (
            *notes,
            f"{name}: lists mix objects and plain values; objects were kept as JSON text",
        )
        values = [
            None
            if value is None
            else [json.dumps(item) if isinstance(item, dict) else item for item in value]
            for value in values
        ]
    return [pl.Series(name, values, dtype=pl.List(pl.String)), *extra], notes


def _records_list(path: Path, document: Any, records: str | None) -> tuple[Any, str | None]:
    """The list of records in a JSON document, and the key it was under.

    ``records`` names the key (dots walk into objects); otherwise a top-level list, the one
    non-empty list under a usual key (``incidents``, ``data``...), or the one non-empty list
    of the object. An empty list is never a candidate: ``{"archive": [...], "current": []}``
    holds its records in ``archive``.
    """
    if records is not None:
        value = document
        for part in records.split("."):
            if not isinstance(value, dict) or part not in value:
                names = (
                    [k for k, v in document.items() if isinstance(v, list)]
                    if isinstance(document, dict)
                    else []
                )
                raise LoadError(
                    f"the JSON has no key {records!r} holding the records",
                    file=path,
                    hint=f"its lists are under {', '.join(names)}" if names else "it holds no list",
                )
            value = value[part]
        if not isinstance(value, list):
            raise LoadError(f"{records!r} in the JSON is not a list of records", file=path)
        return value, records
    if not isinstance(document, dict):
        return document, None
    lists = {key: value for key, value in document.items() if isinstance(value, list)}
    filled = [key for key, value in lists.items() if value]
    usual = [key for key in _CONTAINER_KEYS if key in filled]
    candidates = usual or filled
    if len(candidates) == 1:
        return document[candidates[0]], candidates[0]
    if not candidates and lists:
        key = next((k for k in _CONTAINER_KEYS if k in lists), next(iter(lists)))
        return [], key  # only empty lists: a file with no records
    raise LoadError(
        "cannot tell which list in this JSON object holds the records"
        + (f" (candidates: {', '.join(candidates)})" if candidates else " (it holds no list)"),
        file=path,
        hint=(
            f'name it in the mapping: records = "{candidates[0]}" (Python: records=...)'
            if candidates
            else "give a file whose top level is a list of records, or an object with one list"
        ),
    )


def read_json(path: str | Path, *, records: str | None = None) -> Table:
    """Read a JSON export: a list of records, or an object holding one.

    ``records`` names the key of the list holding the records, when the object holds several
    (``"archive"`` for ``{"archive": [...], "current": []}``).
    """
    path = Path(path)
    data, notes = _decode(path, path.read_bytes())
    try:
        document = _parse_json(path, data.decode("utf-8-sig"))
    except json.JSONDecodeError as error:
        raise LoadError(
            f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}",
            file=path,
            hint="if the file holds one JSON object per line, name it .jsonl",
        ) from None
    document, container = _records_list(path, document, records)
    if not isinstance(document, list):
        raise LoadError("the JSON holds no list of records", file=path)
    rejected: list[Rejected] = []
    found: list[dict[str, Any]] = []
    rows: list[int] = []
    for number, item in enumerate(document, start=1):
        if isinstance(item, dict):
            found.append(item)
            rows.append(number)
        else:
            rejected.append(Rejected(number, "record is not a JSON object", _dumps(item)))
    frame, shapes = _records_frame(path, found, rows)
    frame = frame.with_columns(pl.Series(ROW, rows, dtype=pl.Int64))
    notes = (*notes, *(f"{path.name}: {note}" for note in shapes))
    return _finish(
        path, kind="json", frame=frame, rejected=tuple(rejected), notes=notes, container=container
    )


def _dumps(item: Any) -> str:
    try:
        return json.dumps(item, ensure_ascii=False)
    except (RecursionError, ValueError):
        return "<nested too deeply to show>"


def _read_json(path: Path) -> Table:
    return read_json(path)


def _read_jsonl(path: Path) -> Table:
    rejected: list[Rejected] = []
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    text, notes = _decode(path, path.read_bytes())
    number = 0
    for line in text.decode("utf-8-sig").splitlines():
        if not line.strip():
            continue  # blank lines are layout, not records
        number += 1
        try:
            item = json.loads(line, object_pairs_hook=_object)
        except json.JSONDecodeError as error:
            rejected.append(Rejected(number, f"not valid JSON: {error.msg}", line))
            continue
        except RecursionError:
            rejected.append(Rejected(number, "the line is nested too deeply to read", line))
            continue
        if not isinstance(item, dict):
            rejected.append(Rejected(number, "line is not a JSON object", line))
            continue
        records.append(item)
        rows.append(number)
    if number == 0:
        raise LoadError("the file is empty", file=path, hint="export it again from the legacy tool")
    frame, shapes = _records_frame(path, records, rows)
    frame = frame.with_columns(pl.Series(ROW, rows, dtype=pl.Int64))
    notes = (*notes, *(f"{path.name}: {note}" for note in shapes))
    return _finish(path, kind="jsonl", frame=frame, rejected=tuple(rejected), notes=notes)
