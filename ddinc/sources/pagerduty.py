"""PagerDuty: the REST API's ``{"incidents": [...]}`` JSON and the web app's CSV export.

The REST shape nests what we need in objects and lists of objects: ``priority.summary``
(``P1``..``P5``, or ``priority: null`` on accounts without priorities), ``service.summary``,
``teams[].summary`` and ``assignments[].assignee.summary``. :func:`prepare` pulls those names
out into flat helper columns, so one mapping reads them. The CSV export already has them flat
(``priority``, ``service_name``) with ``teams`` and ``assigned_to`` ``;``-separated, and times
such as ``2024-01-12 15:45:00 -0500`` or ``2024-01-12T15:45:00-05:00``.

Decisions, so nobody has to guess them again:

- **Severity comes from priority only.** ``P1``..``P5`` -> ``SEV-1``..``SEV-5``. Urgency is
  *not* a fallback: high/low urgency says whether PagerDuty pages someone now or at office
  hours, which is a notification rule, not the impact scale severity is. An incident without a
  priority gets no severity (the checks flag it) and keeps its urgency in ``field.urgency``. An
  analyst who does want urgency as severity says so in one line::

      PAGERDUTY.mappings[0].replace(
          columns={"severity": "urgency"}, severity={"high": "SEV-2", "low": "SEV-4"}
      )

- **acknowledged -> active, not stable.** Acknowledging means a responder has taken the page;
  Datadog's ``stable`` means the impact is contained, which an acknowledgement does not say.
  ``triggered`` -> ``active``, ``resolved`` -> ``resolved``.
- **resolved only for resolved incidents.** Datadog accepts ``resolved`` only with state
  ``resolved``, so a ``resolved_at`` / ``resolved_on`` on an incident whose status is anything
  else (it should not happen, but exports get edited) is left out rather than sent.
- ``created_at`` is when the incident was opened: it feeds ``declared``. The first assignee is
  the commander; the incident ``id`` (stable, unlike the per-account ``incident_number``) is the
  source id.
"""

from __future__ import annotations

import dataclasses
from typing import Final

import polars as pl

from ddinc.readers import Table
from ddinc.sources.mapping import Mapping
from ddinc.sources.source import Source

__all__ = [
    "COMMANDER_COLUMN",
    "CSV_EXPORT",
    "PAGERDUTY",
    "REST_JSON",
    "SEVERITY",
    "SEVERITY_COLUMN",
    "STATE",
    "TEAMS_COLUMN",
    "prepare",
]

SEVERITY: Final = {"P1": "SEV-1", "P2": "SEV-2", "P3": "SEV-3", "P4": "SEV-4", "P5": "SEV-5"}

STATE: Final = {"triggered": "active", "acknowledged": "active", "resolved": "resolved"}

# Helper columns made by prepare(); the mappings read these instead of the nested originals.
SEVERITY_COLUMN: Final = "__pagerduty_priority"
TEAMS_COLUMN: Final = "__pagerduty_teams"
COMMANDER_COLUMN: Final = "__pagerduty_commander"


def _has_field(dtype: pl.DataType | None, key: str) -> bool:
    """Whether ``dtype`` is a list of objects that have ``key``."""
    return (
        isinstance(dtype, pl.List)
        and isinstance(dtype.inner, pl.Struct)
        and key in {f.name for f in dtype.inner.fields}
    )


def _names(frame: pl.DataFrame, column: str, key: str) -> pl.Expr:
    """The ``key`` of every object in a list-of-objects column, as a list of text."""
    dtype = frame.schema.get(column)
    if _has_field(dtype, key):
        return pl.col(column).list.eval(pl.element().struct.field(key).cast(pl.String))
    return pl.lit([], dtype=pl.List(pl.String))


def _first_assignee(frame: pl.DataFrame) -> pl.Expr:
    # Readers keep an object nested inside a list item as JSON text.
    if _has_field(frame.schema.get("assignments"), "assignee"):
        return (
            pl.col("assignments")
            .list.first()
            .struct.field("assignee")
            .cast(pl.String)
            .str.json_path_match("$.summary")
        )
    return pl.lit(None, dtype=pl.String)


# Helpers keep each column's shape (a record holding a list where text belongs stays a list):
# the mapping engine sets such records aside, with the column and value, in one place.


def _text_or_null(frame: pl.DataFrame, column: str) -> pl.Expr:
    if column in frame.columns:
        return pl.col(column)
    return pl.lit(None, dtype=pl.String)


def _only_if_resolved(frame: pl.DataFrame, column: str) -> pl.Expr:
    value = pl.col(column)
    if frame.schema.get("status") != pl.String:
        return value  # no status, or one the engine will set aside: nothing to decide on
    status = pl.col("status").str.strip_chars().str.to_lowercase()
    unresolved = status.is_not_null() & (status != "resolved")
    return pl.when(unresolved).then(None).otherwise(value).alias(column)


def prepare(table: Table) -> Table:
    """Flatten PagerDuty's nested names and drop ``resolved`` times of unresolved incidents.

    Adds the helper columns the mappings read. A field absent from a file (a REST export of an
    account without priorities has no ``priority.summary``) gives an empty helper, not an
    error: only the columns PagerDuty always writes are required.
    """
    frame = table.frame
    if "created_on" in frame.columns:  # web CSV: names are already flat
        helpers = [
            _text_or_null(frame, "assigned_to")
            .cast(pl.String)
            .str.split(";")
            .list.first()
            .str.strip_chars()
            .alias(COMMANDER_COLUMN),
        ]
    else:  # REST JSON
        helpers = [
            _text_or_null(frame, "priority.summary").alias(SEVERITY_COLUMN),
            _names(frame, "teams", "summary").alias(TEAMS_COLUMN),
            _first_assignee(frame).alias(COMMANDER_COLUMN),
        ]
    # In place, so load notes and errors name the column the analyst knows.
    helpers += [
        _only_if_resolved(frame, column)
        for column in ("resolved_at", "resolved_on")
        if column in frame.columns
    ]
    return dataclasses.replace(table, frame=frame.with_columns(helpers))


REST_JSON: Final = Mapping(
    source="pagerduty",
    id="id",
    columns={
        "title": "title",
        "state": "status",
        "severity": SEVERITY_COLUMN,
        "commander": COMMANDER_COLUMN,
        "teams": TEAMS_COLUMN,
        "services": "service.summary",
        "declared": "created_at",
        "resolved": "resolved_at",
        "notes": "description",
    },
    fields={"urgency": "urgency"},
    severity=SEVERITY,
    state=STATE,
    optional=frozenset({"services", "resolved", "notes"}),
)

CSV_EXPORT: Final = Mapping(
    source="pagerduty",
    id="id",
    columns={
        "title": "title",
        "state": "status",
        "severity": "priority",
        "commander": COMMANDER_COLUMN,
        "teams": "teams",
        "services": "service_name",
        "declared": "created_on",
        "resolved": "resolved_on",
        "notes": "description",
    },
    fields={"urgency": "urgency"},
    severity=SEVERITY,
    state=STATE,
    list_separator=";",
    optional=frozenset({"teams", "services", "resolved", "notes"}),
)

PAGERDUTY: Final = Source(
    name="pagerduty",
    description="PagerDuty incidents: REST API JSON {'incidents': [...]} or the web CSV export",
    mappings=(REST_JSON, CSV_EXPORT),
    signatures=(
        frozenset({"id", "incident_number", "title", "status", "urgency", "created_at"}),
        frozenset({"id", "incident_number", "title", "status", "urgency", "created_on"}),
    ),
    kinds=frozenset({"json", "jsonl", "csv", "excel"}),
    prepare=prepare,
)
