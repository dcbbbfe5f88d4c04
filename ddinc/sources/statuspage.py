"""Atlassian Statuspage: the API's ``{"incidents": [...]}`` JSON, or JSON Lines of incidents.

``started_at`` is when impact began (editable by the poster), ``created_at`` when the incident
was posted (declared), ``resolved_at`` when it was marked resolved. Affected ``components``
become services. Maintenance statuses (scheduled, in_progress, verifying, completed) are not
incident states and stay unmapped, so the checks flag them.

``postmortem`` (a postmortem was published) maps to ``resolved``, not ``completed``: Datadog
accepts a resolved time only with state ``resolved``, and ``completed`` is optional per org.
Pass ``state={"postmortem": "completed"}`` to ``ddinc.load`` where the org uses it.

Every update in ``incident_updates`` becomes one of the incident's ``notes``, oldest first:
``<display_at> <status>: <body>`` (``created_at`` where ``display_at`` is missing), so that the
suggestions can read each update's time, its status and the times its body states (a
back-filled record keeps its real times only there).
"""

from __future__ import annotations

import dataclasses
from typing import Final

import polars as pl

from ddinc.readers import Table
from ddinc.sources.mapping import Mapping
from ddinc.sources.source import Source

__all__ = [
    "SEVERITY",
    "STATE",
    "STATUSPAGE",
    "STATUSPAGE_MAPPING",
]

SEVERITY: Final = {"critical": "SEV-1", "major": "SEV-2", "minor": "SEV-3", "none": "SEV-4"}

STATE: Final = {
    "investigating": "active",
    "identified": "active",
    "monitoring": "stable",
    "resolved": "resolved",
    "postmortem": "resolved",
}

_COMPONENT_NAMES: Final = "__component_names"
_UPDATE_NOTES: Final = "__update_notes"


def _item_keys(dtype: pl.DataType | None) -> set[str]:
    """The keys of a list of objects' items; empty for any other shape."""
    if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
        return {f.name for f in dtype.inner.fields}
    return set()


def _update_notes(dtype: pl.DataType | None) -> pl.Expr:
    """Each update as ``<time> <status>: <body>``, oldest first (ISO times sort as text)."""
    names = _item_keys(dtype)
    if "body" not in names:
        return pl.lit([], dtype=pl.List(pl.String))
    update = pl.element()
    stamps = [
        update.struct.field(k).cast(pl.String) for k in ("display_at", "created_at") if k in names
    ]
    status = update.struct.field("status").cast(pl.String) if "status" in names else pl.lit(None)
    note = pl.format(
        "{} {}: {}",
        pl.coalesce(*stamps, pl.lit("")),
        status.fill_null("update"),
        update.struct.field("body").cast(pl.String).fill_null(""),
    ).str.strip_chars()
    notes = pl.col("incident_updates").list.eval(note).list.sort()
    return notes.fill_null(pl.lit([], dtype=pl.List(pl.String)))


def _prepare(table: Table) -> Table:
    """Component objects -> their names; updates -> notes."""
    frame = table.frame
    if "name" in _item_keys(frame.schema.get("components")):
        names = pl.col("components").list.eval(pl.element().struct.field("name"))
    else:
        names = pl.lit([], dtype=pl.List(pl.String))
    notes = _update_notes(frame.schema.get("incident_updates"))
    return dataclasses.replace(
        table,
        frame=frame.with_columns(names.alias(_COMPONENT_NAMES), notes.alias(_UPDATE_NOTES)),
    )


STATUSPAGE_MAPPING: Final = Mapping(
    source="statuspage",
    id="id",
    columns={
        "title": "name",
        "state": "status",
        "severity": "impact",
        "impact_start": "started_at",
        "declared": "created_at",
        "resolved": "resolved_at",
        "services": _COMPONENT_NAMES,
        "notes": _UPDATE_NOTES,
    },
    severity=SEVERITY,
    state=STATE,
    optional=frozenset({"impact_start", "resolved"}),
)

STATUSPAGE: Final = Source(
    name="statuspage",
    description="Atlassian Statuspage incidents: API JSON {'incidents': [...]} or JSON Lines",
    mappings=(STATUSPAGE_MAPPING,),
    signatures=(
        frozenset({"id", "name", "status", "impact", "created_at", "shortlink"}),
        frozenset({"id", "name", "status", "impact", "created_at", "incident_updates"}),
    ),
    kinds=frozenset({"json", "jsonl"}),
    prepare=_prepare,
)
