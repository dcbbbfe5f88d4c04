"""``ddinc.load``: one call from a legacy export to canonical incidents and a quarantine."""

from __future__ import annotations

import html
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ddinc.errors import ConfigError
from ddinc.readers import ROW, Table, file_kind, read_header, read_json, read_table
from ddinc.rowkey import with_row_keys
from ddinc.sources import Mapping, Source, detect, get_source
from ddinc.sources.canonical import OnError, canonicalize
from ddinc.sources.canonical_csv import CanonicalSource
from ddinc.sources.mapping_file import read_mapping
from ddinc.sources.specs import ColumnSpec

__all__ = [
    "LoadResult",
    "PathLike",
    "load",
]

PathLike = str | Path


@dataclass(frozen=True)
class LoadResult:
    """Canonical incidents, the rows that could not become incidents, and what was decided.

    Attributes
    ----------
    incidents
        One row per incident, columns as :data:`ddinc.schema.CANONICAL_SCHEMA` (+ carried
        ``field.*`` columns).
    quarantine
        One row per input row set aside, with its reason (:data:`ddinc.schema.QUARANTINE_SCHEMA`).
    source
        Name of the source used.
    notes
        What the loader chose or assumed (detected source, date styles, assumed time zone).
    rows_read
        Input rows seen, over all files: every one is in ``incidents.source_rows`` or in
        ``quarantine``.
    assumed_timezone
        The zone naive times were taken in, when the analyst did not say (else ``None``).
    detected_from
        Where missing detected times were taken from (``"impact_start"``, ``"declared"``), or
        ``None`` when they were left missing; the check report says which.
    """

    incidents: pl.DataFrame
    quarantine: pl.DataFrame
    source: str
    notes: tuple[str, ...]
    rows_read: int
    assumed_timezone: str | None = None
    detected_from: str | None = None

    def summary(self) -> dict[str, object]:
        """Counts for a script or a log line."""
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "incidents": self.incidents.height,
            "quarantined_rows": self.quarantine.height,
            "notes": list(self.notes),
        }

    def __repr__(self) -> str:
        return (
            f"LoadResult({self.source}: {self.incidents.height} incidents from "
            f"{self.rows_read} rows, {self.quarantine.height} rows quarantined)"
        )

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(note)}</li>" for note in self.notes)
        return (
            f"<p><b>{html.escape(repr(self))}</b></p><ul>{notes}</ul>"
            + self.incidents.head(10)._repr_html_()
        )


def load(
    data: PathLike | Sequence[PathLike] | pl.DataFrame,
    source: str | Path | Source | Mapping | None = None,
    *,
    tz: str | None = None,
    order: str | None = None,
    fields: MappingABC[str, str | ColumnSpec] | None = None,
    severity: MappingABC[str, str] | None = None,
    state: MappingABC[str, str] | None = None,
    sheet: str | None = None,
    on_error: OnError = "quarantine",
    columns: MappingABC[str, str | ColumnSpec] | None = None,
    detected_from: str | None = None,
    records: str | None = None,
) -> LoadResult:
    """Load a legacy export into canonical incidents.

    Parameters
    ----------
    data
        A file path (CSV, JSON, JSON Lines, Parquet, Excel), several paths of the same source,
        or an already-loaded polars frame.
    source
        A built-in source name (see ``ddinc.sources.SOURCES``), a :class:`Source`, a
        :class:`Mapping` for any other file, or the path of a TOML mapping file. ``None``
        detects the source and says which in ``notes``.
    tz
        IANA zone of naive times in the export (default: the source's, usually UTC, noted as
        assumed).
    order
        ``"day_first"`` or ``"month_first"`` for numeric dates (default: detected per column).
    fields
        Extra Datadog field key -> legacy column, carried as ``field.<key>``.
    severity, state
        Extra vocabulary entries (legacy value -> Datadog value), merged over the source's.
    sheet
        Excel sheet name (default: the first).
    on_error
        ``"quarantine"`` (default) sets unreadable rows aside with their reason;
        ``"raise"`` stops at the first with a :class:`~ddinc.errors.LoadError`.
    columns
        Canonical field -> legacy column, path or spec, merged over the source's mapping: a
        built-in source adjusted without copying it (``columns={"detected": "started_at"}``).
    detected_from
        ``"impact_start"`` or ``"declared"``: take a missing detected time from that
        timestamp (noted, and marked in ``raw.detected``). Default: detected stays missing.
    records
        For a JSON object holding several lists, the key of the one holding the records.

    Examples
    --------
    >>> result = ddinc.load("data/servicenow_event_log.csv")  # doctest: +SKIP
    >>> result.incidents, result.quarantine  # doctest: +SKIP
    >>> ddinc.load("h.json", "statuspage", columns={"detected": "started_at"})  # doctest: +SKIP
    """
    if on_error not in ("quarantine", "raise"):
        raise ConfigError(f"on_error must be 'quarantine' or 'raise', not {on_error!r}")
    if isinstance(source, Path):
        source = str(source)
    if isinstance(source, str) and source.endswith(".toml"):
        source = read_mapping(source)
    options = _Options(
        tz, order, fields, severity, state, sheet, on_error, columns, detected_from, records
    )
    if isinstance(data, pl.DataFrame):
        table = _frame_table(data)
        chosen, notes = _choose(table, source)
        return _load_table(table, chosen, notes, options)
    paths = [data] if isinstance(data, str | Path) else _paths(data)
    if not paths:
        raise ConfigError("load() got an empty list of files")
    return _combine([_load_path(Path(path), source, options) for path in paths])


def _paths(data: object) -> list[PathLike]:
    """``data`` as a list of paths; anything else (a pandas frame...) is refused, not iterated:
    iterating a frame yields its column names, which were then looked for as files.
    """
    if isinstance(data, Sequence) and all(isinstance(item, str | Path) for item in data):
        return list(data)
    kind = type(data).__name__
    hint = (
        "collect it first: load(lazy.collect(), ...)"
        if isinstance(data, pl.LazyFrame)
        else "for a pandas frame, convert it first: load(pl.from_pandas(frame), ...)"
    )
    raise ConfigError(
        f"load() reads a file path, a list of file paths or a polars DataFrame, not a {kind}; "
        + hint
    )


@dataclass(frozen=True)
class _Options:
    tz: str | None
    order: str | None
    fields: MappingABC[str, str | ColumnSpec] | None
    severity: MappingABC[str, str] | None
    state: MappingABC[str, str] | None
    sheet: str | None
    on_error: OnError
    columns: MappingABC[str, str | ColumnSpec] | None = None
    detected_from: str | None = None
    records: str | None = None


def _frame_table(frame: pl.DataFrame) -> Table:
    if ROW in frame.columns:
        frame = frame.drop(ROW)
    frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    return Table(Path("<frame>"), "frame", frame)


def _choose(
    table: Table, source: str | Source | Mapping | None
) -> tuple[Source | Mapping, list[str]]:
    """The source (or the analyst's mapping) for ``table``, and a note when it was detected."""
    if isinstance(source, Mapping | Source):
        return source, []
    if source is None:
        chosen = detect(table)
        return chosen, [f"{table.path.name}: detected source {chosen.name!r}"]
    return get_source(source), []


def _adjusted(mapping: Mapping, options: _Options) -> Mapping:
    changes: dict[str, object] = {}
    if options.tz is not None:
        changes["timezone"] = options.tz
    if options.order is not None:
        changes["order"] = options.order
    if options.detected_from is not None:
        changes["detected_from"] = options.detected_from
    if options.records is not None:
        changes["records"] = options.records
    for name in ("fields", "severity", "state", "columns"):
        value = getattr(options, name)
        if value:
            changes[name] = value
    return mapping.replace(**changes) if changes else mapping


def _load_path(path: Path, source: str | Source | Mapping | None, options: _Options) -> LoadResult:
    names = read_header(path)
    if names is None:
        table = _read(path, source, options)
        chosen, notes = _choose(table, source)
        if isinstance(chosen, CanonicalSource) and table.kind == "csv":
            return _read_back(path, chosen, notes, options)
        return _load_table(table, chosen, notes, options)
    # A CSV whose header is known: choose the mapping first, then read only what it reads.
    header = Table(path, "csv", pl.DataFrame(schema=dict.fromkeys(names, pl.String)))
    chosen, notes = _choose(header, source)
    if isinstance(chosen, CanonicalSource):
        return _read_back(path, chosen, notes, options)
    if isinstance(chosen, Source) and chosen.prepare is not None:
        return _load_table(read_table(path), chosen, notes, options)
    mapping = _adjusted(
        chosen.mapping_for(header) if isinstance(chosen, Source) else chosen, options
    )
    wanted = set(mapping.legacy_columns())
    columns = [name for name in names if name in wanted]
    # A missing column is reported with the file's other columns as suggestions: read them all.
    whole = len(columns) == len(names) or bool(mapping.missing_columns(names))
    table = read_table(path, columns=None if whole else columns)
    return _canonical(table, mapping, notes, options)


def _read_back(
    path: Path, chosen: CanonicalSource, notes: list[str], options: _Options
) -> LoadResult:
    """A canonical CSV ddinc wrote: read as written, nothing re-parsed, collapsed or re-keyed."""
    given = [
        n
        for n in (
            "tz",
            "order",
            "fields",
            "severity",
            "state",
            "sheet",
            "columns",
            "detected_from",
            "records",
        )
        if getattr(options, n)
    ]
    if given:
        raise ConfigError(
            f"{path} is a canonical CSV written by ddinc (source 'ddinc'): its values are "
            f"already canonical, so {', '.join(f'{n}=' for n in given)} cannot apply; "
            "load the legacy export with them instead"
        )
    read = chosen.read(path)
    return LoadResult(
        read.incidents, read.quarantine, chosen.name, (*notes, *read.notes), read.rows_read
    )


def _read(path: Path, source: str | Source | Mapping | None, options: _Options) -> Table:
    """Read a file that is not a CSV with a plain header; a JSON object's list of records is
    the one the options or the mapping name."""
    records = options.records
    if records is None:
        mappings = (
            [source]
            if isinstance(source, Mapping)
            else source.mappings
            if isinstance(source, Source)
            else []
        )
        records = next((m.records for m in mappings if m.records is not None), None)
    if records is not None and file_kind(path) == "json" and path.is_file():
        return read_json(path, records=records)
    return read_table(path, sheet=options.sheet)


def _load_table(
    table: Table, chosen: Source | Mapping, notes: list[str], options: _Options
) -> LoadResult:
    if isinstance(chosen, Source):
        if chosen.prepare is not None:
            table = chosen.prepare(table)
        mapping = chosen.mapping_for(table)
    else:
        mapping = chosen
    return _canonical(table, _adjusted(mapping, options), notes, options)


def _canonical(table: Table, mapping: Mapping, notes: list[str], options: _Options) -> LoadResult:
    canonical = canonicalize(table, mapping, on_error=options.on_error)
    rows_read = table.frame.height + len(table.rejected)
    # Only UTC is ever assumed: a zone named by the analyst or the mapping is a statement.
    naive = bool(canonical.naive_columns)
    assumed = "UTC" if options.tz is None and mapping.timezone == "UTC" and naive else None
    return LoadResult(
        canonical.incidents,
        canonical.quarantine,
        mapping.source,
        (*notes, *canonical.notes),
        rows_read,
        assumed,
        mapping.detected_from,
    )


def _combine(results: list[LoadResult]) -> LoadResult:
    if len(results) == 1:
        return results[0]
    names = sorted({r.source for r in results})
    # An id in two files is a duplicate of the whole load: keys are made unique across files.
    incidents = with_row_keys(pl.concat([r.incidents for r in results], how="diagonal_relaxed"))
    quarantine = pl.concat([r.quarantine for r in results])
    assumed = next((r.assumed_timezone for r in results if r.assumed_timezone), None)
    return LoadResult(
        incidents,
        quarantine,
        "+".join(names),
        tuple(note for r in results for note in r.notes),
        sum(r.rows_read for r in results),
        assumed,
        next((r.detected_from for r in results if r.detected_from), None),
    )
