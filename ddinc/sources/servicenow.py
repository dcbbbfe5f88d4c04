"""ServiceNow: the incident audit event log (many rows per incident) and the incident table.

The event log (e.g. UCI dataset #498) has one row per audit event; rows of one ``number``
collapse to one incident in ``sys_mod_count`` order: the earliest ``opened_at`` (events that
disagree are noted on the incident), the last state, priority, assignee and ``resolved_at``.
Dates are day-first in more than one style (``29/2/2016 01:16``, ``29-02-2016 01:16``); ``?``
means missing.
"""

from __future__ import annotations

from typing import Final

from ddinc.sources.mapping import EventLog, Mapping
from ddinc.sources.source import Source

__all__ = [
    "EVENT_LOG",
    "INCIDENT_TABLE",
    "SERVICENOW",
    "SEVERITY",
    "STATE",
]

SEVERITY: Final = {
    "1 - Critical": "SEV-1",
    "2 - High": "SEV-2",
    "3 - Moderate": "SEV-3",
    "4 - Low": "SEV-4",
    "5 - Planning": "SEV-5",
    "1": "SEV-1",
    "2": "SEV-2",
    "3": "SEV-3",
    "4": "SEV-4",
    "5": "SEV-5",
}

# Numeric codes are those of ServiceNow's incident.state choice list. Canceled is left
# unmapped on purpose: whether a canceled incident belongs in Datadog is the analyst's call.
STATE: Final = {
    "New": "active",
    "Active": "active",
    "In Progress": "active",
    "Awaiting User Info": "stable",
    "Awaiting Problem": "stable",
    "Awaiting Vendor": "stable",
    "Awaiting Evidence": "stable",
    "Awaiting Change": "stable",
    "On Hold": "stable",
    "Resolved": "resolved",
    "Closed": "resolved",
    "1": "active",
    "2": "active",
    "3": "stable",
    "6": "resolved",
    "7": "resolved",
}

_COMMON: Final = {
    "commander": "assigned_to",
    "declared_by": "opened_by",
    "teams": "assignment_group",
    "services": "cmdb_ci",
    "declared": "opened_at",
    "resolved": "resolved_at",
    "title": "short_description",
    # The journal of work notes, where an export has it (the UCI audit log has none);
    # --column notes=comments names another.
    "notes": "work_notes",
}

EVENT_LOG: Final = Mapping(
    source="servicenow",
    id="number",
    columns={**_COMMON, "state": "incident_state", "severity": "priority"},
    severity=SEVERITY,
    state=STATE,
    order="day_first",
    optional=frozenset({"title", "services", "commander", "notes"}),
    events=EventLog(order_by="sys_mod_count"),
)

INCIDENT_TABLE: Final = Mapping(
    source="servicenow",
    id="number",
    columns={**_COMMON, "state": "state", "severity": "priority"},
    severity=SEVERITY,
    state=STATE,
    optional=frozenset({"services", "commander", "declared_by", "teams", "notes"}),
)

SERVICENOW: Final = Source(
    name="servicenow",
    description="ServiceNow incident audit event log or incident table export (CSV/Excel)",
    mappings=(EVENT_LOG, INCIDENT_TABLE),
    signatures=(
        frozenset({"number", "incident_state", "sys_mod_count"}),
        frozenset({"number", "short_description", "opened_at", "priority"}),
    ),
    kinds=frozenset({"csv", "excel", "parquet"}),
)
