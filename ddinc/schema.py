"""The canonical incident frame: the one definition every other module refers to.

One row per incident, the same columns whatever legacy system it came from. Columns come
in groups, in this order:

- ``row_key``: the incident's stable name for every later step (:mod:`ddinc.rowkey`);
- provenance: ``source``, ``source_id``, ``source_file``, ``source_rows`` (1-based data rows of
  the file that made this incident: several for event logs);
- description: ``title``, ``state``, ``severity``, ``commander``, ``declared_by``, ``teams``,
  ``services``, ``incident_type``, ``visibility``;
- timeline: ``impact_start``, ``detected``, ``declared``, ``resolved``, ``impact_end`` (all
  timezone-aware UTC);
- durations: ``time_to_detect``, ``time_to_declare``, ``time_to_resolve``, ``time_to_repair``
  (see :mod:`ddinc.timeline`);
- ``raw``: a struct holding the text the parser saw for every parsed value (title, state,
  severity, timestamps);
- ``load_notes``: what the loader noticed about the values (ambiguous or non-existent local
  times), one line each, for the checks to report;
- ``notes``: the record's own narrative, one text per update or comment (a Statuspage
  update reads ``2021-03-24T15:57:40.976Z resolved: <body>``), in the order written; read by
  the suggestions that recover times from text, never sent to Datadog as a field;
- then any number of carried legacy columns, each named ``field.<datadog field key>``.

Rows that cannot become incidents go to the quarantine frame (:data:`QUARANTINE_SCHEMA`),
one row per input row, with the reason.
"""

from __future__ import annotations

from typing import Final

import polars as pl

__all__ = [
    "CANONICAL_SCHEMA",
    "DURATIONS",
    "FIELD_PREFIX",
    "QUARANTINE_SCHEMA",
    "RAW_FIELDS",
    "SEVERITIES",
    "STATES",
    "TIMESTAMPS",
    "VISIBILITIES",
    "Duration",
    "Raw",
    "Severity",
    "State",
    "Timestamp",
    "carried_fields",
    "empty_incidents",
    "empty_quarantine",
    "field_column",
]

STATES: Final = ("active", "stable", "resolved", "completed")
SEVERITIES: Final = ("UNKNOWN", "SEV-0", "SEV-1", "SEV-2", "SEV-3", "SEV-4", "SEV-5")
VISIBILITIES: Final = ("organization", "private")

State: Final = pl.Enum(STATES)
Severity: Final = pl.Enum(SEVERITIES)
Timestamp: Final = pl.Datetime("us", "UTC")
Duration: Final = pl.Duration("us")

# In timeline order: impact_start <= detected <= declared <= resolved; impact_end >= impact_start.
TIMESTAMPS: Final = ("impact_start", "detected", "declared", "resolved", "impact_end")
DURATIONS: Final = ("time_to_detect", "time_to_declare", "time_to_resolve", "time_to_repair")

# Every value a loader parses (rather than copies) keeps its raw text here.
RAW_FIELDS: Final = ("title", "state", "severity", *TIMESTAMPS)
Raw: Final = pl.Struct(dict.fromkeys(RAW_FIELDS, pl.String))

_CANONICAL_COLUMNS: dict[str, pl.DataType] = {
    # Built from source and source id, never from positions: see ddinc.rowkey.
    "row_key": pl.String(),
    "source": pl.String(),
    "source_id": pl.String(),
    "source_file": pl.String(),
    "source_rows": pl.List(pl.Int64),
    "title": pl.String(),
    "state": State,
    "severity": Severity,
    "commander": pl.String(),
    "declared_by": pl.String(),
    "teams": pl.List(pl.String),
    "services": pl.List(pl.String),
    "incident_type": pl.String(),
    "visibility": pl.String(),
    **dict.fromkeys(TIMESTAMPS, Timestamp),
    **dict.fromkeys(DURATIONS, Duration),
    "raw": Raw,
    # What the loader noticed about this incident's values (e.g. an ambiguous local time).
    "load_notes": pl.List(pl.String),
    # The record's own words (updates, comments, work notes): evidence, not a Datadog field.
    "notes": pl.List(pl.String),
}
CANONICAL_SCHEMA: Final = pl.Schema(_CANONICAL_COLUMNS)

QUARANTINE_SCHEMA: Final = pl.Schema(
    {
        "source": pl.String,
        "source_file": pl.String,
        "source_row": pl.Int64,
        "source_id": pl.String,
        "reason": pl.String,
        "column": pl.String,
        "value": pl.String,
        # The row as JSON: every column ddinc read from it (for a CSV, the columns its mapping
        # uses; the file itself holds the rest at source_row).
        "record": pl.String,
    }
)

FIELD_PREFIX: Final = "field."


def field_column(key: str) -> str:
    """Name of the column that carries the Datadog field ``key``.

    >>> field_column("root_cause")
    'field.root_cause'
    """
    return FIELD_PREFIX + key


def carried_fields(frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
    """Datadog field keys carried by ``frame`` beyond the canonical columns, in column order."""
    names = frame.collect_schema().names()
    return [name.removeprefix(FIELD_PREFIX) for name in names if name.startswith(FIELD_PREFIX)]


def empty_incidents() -> pl.DataFrame:
    """A canonical frame with no rows."""
    return pl.DataFrame(schema=CANONICAL_SCHEMA)


def empty_quarantine() -> pl.DataFrame:
    """A quarantine frame with no rows."""
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)
