"""Jira Service Management: the issue search CSV export ("Export Excel CSV (all fields)").

Jira writes a multi-value field as one column *per value*, all under the same header: an
issue with two components fills two ``Component/s`` columns. Readers make the copies unique
the way polars does (``Component/s_duplicated_0``..., or ``Component/s_1``... from Excel);
:func:`prepare` merges them back into one list of services.

Dates are written in the exporting user's locale and zone, by default like
``12/Jan/24 3:45 PM``. They carry no offset: pass ``tz=`` with the zone of the user who
exported (the load notes say when UTC was assumed).

Decisions:

- Priority: both Jira schemes map to five severities, ``Highest``/``Blocker`` ->
  ``SEV-1`` .. ``Lowest``/``Trivial`` -> ``SEV-5``.
- Status: work not yet done or being done (``Open``, ``To Do``, ``In Progress``,
  ``Work in progress``, ``Waiting for support``...) -> ``active``; work paused on someone
  outside the team (``Pending``, ``Waiting for customer``, ``On hold``) -> ``stable``, as with
  ServiceNow's "Awaiting ..." states; ``Resolved`` / ``Done`` / ``Closed`` -> ``resolved``.
- ``Canceled`` / ``Declined`` / ``Won't do`` are left unmapped on purpose: such a request was
  never worked as an incident, so calling it resolved would put a fake time-to-resolve into
  the analytics. The checks flag them and the analyst decides to drop them or map them.
- ``Created`` -> declared, ``Resolved`` -> resolved, the optional custom fields
  ``Impact Start`` / ``Impact End`` -> the impact window; ``Assignee`` is the commander and
  ``Reporter`` declared the incident. ``Issue key`` (``INC-42``) is the source id.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Final

import polars as pl

from ddinc.readers import Table
from ddinc.sources.mapping import Mapping
from ddinc.sources.source import Source

__all__ = [
    "COMPONENTS_COLUMN",
    "JIRA",
    "JSM_CSV",
    "NOTES_COLUMN",
    "SEVERITY",
    "STATE",
    "prepare",
]

SEVERITY: Final = {
    "Highest": "SEV-1",
    "High": "SEV-2",
    "Medium": "SEV-3",
    "Low": "SEV-4",
    "Lowest": "SEV-5",
    "Blocker": "SEV-1",
    "Critical": "SEV-2",
    "Major": "SEV-3",
    "Minor": "SEV-4",
    "Trivial": "SEV-5",
}

STATE: Final = {
    "Open": "active",
    "To Do": "active",
    "New": "active",
    "Reopened": "active",
    "In Progress": "active",
    "Work in progress": "active",
    "Under investigation": "active",
    "Escalated": "active",
    "Waiting for support": "active",
    "Pending": "stable",
    "Waiting for customer": "stable",
    "On hold": "stable",
    "Resolved": "resolved",
    "Done": "resolved",
    "Closed": "resolved",
}

COMPONENTS_COLUMN: Final = "__jira_components"

# "Component/s", then the copies readers made of the repeated header.
_COMPONENTS: Final = re.compile(r"^Component/s(?:_duplicated_\d+|_\d+)?$")
# The narrative: its description, then each comment ("<date>;<author id>;<body>").
_NARRATIVE: Final = re.compile(r"^(?:Description|Comment(?:_duplicated_\d+|_\d+)?)$")
NOTES_COLUMN: Final = "__notes"


def _component_columns(columns: list[str]) -> list[str]:
    return [column for column in columns if _COMPONENTS.match(column)]


def prepare(table: Table) -> Table:
    """Merge the repeated ``Component/s`` columns into one list, and the description and
    repeated ``Comment`` columns into the notes (each in column order)."""
    added = []
    columns = _component_columns(table.frame.columns)
    if columns:
        merged = pl.concat_list(pl.col(c).cast(pl.String) for c in columns).list.drop_nulls()
        added.append(merged.alias(COMPONENTS_COLUMN))
    narrative = [c for c in table.frame.columns if _NARRATIVE.match(c)]
    if narrative:
        texts = pl.concat_list(pl.col(c).cast(pl.String) for c in narrative).list.drop_nulls()
        added.append(texts.alias(NOTES_COLUMN))
    if not added:
        return table
    return dataclasses.replace(table, frame=table.frame.with_columns(added))


JSM_CSV: Final = Mapping(
    source="jira",
    id="Issue key",
    columns={
        "title": "Summary",
        "state": "Status",
        "severity": "Priority",
        "commander": "Assignee",
        "declared_by": "Reporter",
        "services": COMPONENTS_COLUMN,
        "declared": "Created",
        "resolved": "Resolved",
        "impact_start": "Custom field (Impact Start)",
        "impact_end": "Custom field (Impact End)",
        "notes": NOTES_COLUMN,
    },
    severity=SEVERITY,
    state=STATE,
    optional=frozenset(
        {
            "commander",
            "declared_by",
            "services",
            "resolved",
            "impact_start",
            "impact_end",
            "notes",
        }
    ),
)

JIRA: Final = Source(
    name="jira",
    description="Jira Service Management issue CSV export (repeated Component/s columns)",
    mappings=(JSM_CSV,),
    signatures=(frozenset({"Issue key", "Summary", "Status", "Priority", "Created"}),),
    kinds=frozenset({"csv", "excel"}),
    prepare=prepare,
)
