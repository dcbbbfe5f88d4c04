"""Opsgenie: the alert/incident CSV export and the API's ``{"data": [...]}`` JSON.

Both carry times as epoch **milliseconds** (``CreatedAt`` / ``createdAt``, empty or absent when
the event did not happen), which the shared timestamp parser reads by their digit count (12-13
digits), so the raw text kept for each incident is the exported number. Teams come
comma-separated in one CSV cell (``"Payments, Platform"``) and as objects in the JSON
(``[{"name": "Payments"}]``), whose names :func:`prepare` pulls out.

Decisions:

- ``P1``..``P5`` -> ``SEV-1``..``SEV-5``.
- ``open`` -> ``active``; ``acked`` -> ``active``, not ``stable``: an acknowledgement says a
  responder took the alert, not that the impact is contained (the same call as PagerDuty's
  ``acknowledged``). ``closed`` (alerts) and ``resolved`` (incidents) -> ``resolved``.
- ``CreatedAt`` -> ``declared``, ``ClosedAt`` -> ``resolved``, ``Owner`` -> commander, the
  message is the title, ``AlertId`` / ``id`` the source id.
"""

from __future__ import annotations

import dataclasses
from typing import Final

import polars as pl

from ddinc.readers import Table
from ddinc.sources.mapping import Mapping
from ddinc.sources.source import Source

__all__ = [
    "API_JSON",
    "CSV_EXPORT",
    "OPSGENIE",
    "SEVERITY",
    "STATE",
    "TEAMS_COLUMN",
    "prepare",
]

SEVERITY: Final = {"P1": "SEV-1", "P2": "SEV-2", "P3": "SEV-3", "P4": "SEV-4", "P5": "SEV-5"}

STATE: Final = {
    "open": "active",
    "acked": "active",
    "acknowledged": "active",
    "closed": "resolved",
    "resolved": "resolved",
}

# The JSON's team names, pulled out of its list of objects by prepare().
TEAMS_COLUMN: Final = "__opsgenie_teams"


def _team_names(frame: pl.DataFrame) -> pl.Expr:
    dtype = frame.schema.get("teams")
    if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
        if "name" in {f.name for f in dtype.inner.fields}:
            return pl.col("teams").list.eval(pl.element().struct.field("name").cast(pl.String))
        return pl.lit([], dtype=pl.List(pl.String))
    if isinstance(dtype, pl.List):  # a list of plain names
        return pl.col("teams").cast(pl.List(pl.String))
    return pl.lit([], dtype=pl.List(pl.String))


def prepare(table: Table) -> Table:
    """Add the list of team names of the API JSON (the CSV's ``Teams`` cell needs nothing)."""
    if "teams" not in table.frame.columns:
        return table
    frame = table.frame.with_columns(_team_names(table.frame).alias(TEAMS_COLUMN))
    return dataclasses.replace(table, frame=frame)


CSV_EXPORT: Final = Mapping(
    source="opsgenie",
    id="AlertId",
    columns={
        "title": "Message",
        "state": "Status",
        "severity": "Priority",
        "commander": "Owner",
        "teams": "Teams",
        "declared": "CreatedAt",
        "resolved": "ClosedAt",
        "notes": "Description",
    },
    severity=SEVERITY,
    state=STATE,
    # Opsgenie writes "Payments, Platform" in one quoted cell.
    list_separator=",",
    optional=frozenset({"commander", "teams", "resolved", "notes"}),
)

API_JSON: Final = Mapping(
    source="opsgenie",
    id="id",
    columns={
        "title": "message",
        "state": "status",
        "severity": "priority",
        "commander": "owner",
        "teams": TEAMS_COLUMN,
        "declared": "createdAt",
        "resolved": "closedAt",
        "notes": "description",
    },
    severity=SEVERITY,
    state=STATE,
    optional=frozenset({"commander", "teams", "resolved", "notes"}),
)

OPSGENIE: Final = Source(
    name="opsgenie",
    description="Opsgenie alerts/incidents: CSV export or API JSON {'data': [...]} (epoch ms)",
    mappings=(CSV_EXPORT, API_JSON),
    signatures=(
        frozenset({"AlertId", "TinyId", "Message", "Status", "Priority", "CreatedAt"}),
        frozenset({"id", "tinyId", "message", "status", "priority", "createdAt"}),
    ),
    kinds=frozenset({"csv", "excel", "json", "jsonl"}),
    prepare=prepare,
)
