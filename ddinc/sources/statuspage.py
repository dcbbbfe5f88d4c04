"""Atlassian Statuspage: the API's ``{"incidents": [...]}`` JSON, or JSON Lines of incidents.

``started_at`` is when impact began (editable by the poster), ``created_at`` when the incident
was posted (declared), ``resolved_at`` when it was marked resolved. Affected ``components``
become services. Maintenance statuses (scheduled, in_progress, verifying, completed) are not
incident states and stay unmapped, so the checks flag them.

``postmortem`` (a postmortem was published) maps to ``resolved``, not ``completed``: Datadog
accepts a resolved time only with state ``resolved``, and ``completed`` is optional per org.
Pass ``state={"postmortem": "completed"}`` to ``ddinc.load`` where the org uses it.
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


def _component_names(table: Table) -> Table:
    """Replace the list of component objects by the list of their names."""
    frame = table.frame
    dtype = frame.schema.get("components")
    if (
        isinstance(dtype, pl.List)
        and isinstance(dtype.inner, pl.Struct)
        and any(f.name == "name" for f in dtype.inner.fields)
    ):
        names = pl.col("components").list.eval(pl.element().struct.field("name"))
    else:
        names = pl.lit([], dtype=pl.List(pl.String))
    return dataclasses.replace(table, frame=frame.with_columns(names.alias(_COMPONENT_NAMES)))


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
    prepare=_component_names,
)
