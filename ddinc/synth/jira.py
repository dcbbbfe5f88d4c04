"""Jira Service Management CSV export of incident issues.

Header :data:`CSV_COLUMNS`, with ``Component/s`` REPEATED: Jira writes one column per value of
a multi-value field (here up to two services). Dates are in the exporting user's locale and
zone (``12/Jan/24 3:45 PM``; the exporting user is on UTC); priorities Highest..Lowest;
statuses from the service desk's workflow; Assignee and Reporter are display names.
``Custom field (Impact Start)`` / ``(Impact End)`` are typed in by responders.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from ddinc.errors import ConfigError
from ddinc.synth._dirt import (
    BACKFILLED,
    DUPLICATE,
    DUPLICATE_ID,
    FREE_TEXT_SEVERITIES,
    FREE_TEXT_SEVERITY,
    HOUR_SHIFT,
    LONG_TITLE,
    MISSING_TITLE,
    NO_ID,
    NULL_SPELLING,
    NULL_SPELLINGS,
    REVERSED,
    TRAILING_SPACE,
    DirtSpec,
)
from ddinc.synth._records import assemble, csv_bytes, dirty_ids, dirty_titles, prepare
from ddinc.synth._sample import Sample
from ddinc.synth._world import END

__all__ = [
    "CSV_COLUMNS",
    "DIRT",
    "TIMESTAMPS",
    "jira_csv",
    "jira_date",
    "write_jira",
]

CSV_COLUMNS: Final = (
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority", "Resolution",
    "Assignee", "Reporter", "Created", "Updated", "Resolved", "Component/s", "Component/s",
    "Labels", "Custom field (Impact Start)", "Custom field (Impact End)",
)  # fmt: skip

# canonical timestamp -> the legacy column that states it
TIMESTAMPS: Final = {
    "impact_start": "Custom field (Impact Start)",
    "declared": "Created",
    "resolved": "Resolved",
    "impact_end": "Custom field (Impact End)",
}

DIRT: Final[DirtSpec] = {
    NO_ID: 2,
    MISSING_TITLE: 1,
    LONG_TITLE: 1,
    BACKFILLED: 0.03,
    REVERSED: 0.03,
    HOUR_SHIFT: 0.04,
    DUPLICATE: 0.02,
    DUPLICATE_ID: 0.02,
    FREE_TEXT_SEVERITY: 0.03,
    TRAILING_SPACE: 0.04,
    NULL_SPELLING: 0.05,
}

_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_PRIORITIES: Final = {
    "SEV-1": "Highest",
    "SEV-2": "High",
    "SEV-3": "Medium",
    "SEV-4": "Low",
    "SEV-5": "Lowest",
}
_STATUSES: Final = {
    "resolved": (("Resolved", 45), ("Closed", 30), ("Done", 20), ("Canceled", 5)),
    "active": (("Open", 40), ("In Progress", 40), ("Work in progress", 20)),
    "stable": (("Pending", 100),),
}
_PROJECT: Final = "OPS"


def jira_date(moment: datetime | None) -> str:
    """``moment`` the way Jira's default English locale writes it: ``12/Jan/24 3:45 PM``.

    >>> from datetime import datetime
    >>> jira_date(datetime(2024, 1, 12, 15, 45)), jira_date(datetime(2024, 1, 2, 0, 5))
    ('12/Jan/24 3:45 PM', '02/Jan/24 12:05 AM')
    """
    if moment is None:
        return ""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    day = f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment.year % 100:02d}"
    return f"{day} {hour}:{moment.minute:02d} {half}"


def jira_csv(n_incidents: int = 80, *, seed: int = 7) -> Sample:
    """The issue search CSV export (see the module docstring)."""
    if n_incidents < 1:
        raise ConfigError(f"n_incidents must be at least 1, not {n_incidents}")
    incidents, rng = prepare(
        "jira",
        seed,
        n_incidents,
        DIRT,
        shifted=("impact_start", "impact_end"),
        precision="1m",
    )
    tags = [inc["dirt"] for inc in incidents]
    keys = dirty_ids(rng, [f"{_PROJECT}-{100 + inc['key']}" for inc in incidents], tags)
    titles = dirty_titles(rng, [inc["title"] for inc in incidents], tags)
    rows: list[list[str]] = []
    truth: list[dict[str, Any]] = []
    for inc, key, title in zip(incidents, keys, titles, strict=True):
        tag = inc["dirt"]
        spaced = " " if tag == TRAILING_SPACE else ""
        names, weights = zip(*_STATUSES[str(inc["state"])], strict=True)
        status = rng.choices(names, weights=weights)[0]
        severity = str(inc["severity"])
        priority = (
            rng.choice(FREE_TEXT_SEVERITIES) if tag == FREE_TEXT_SEVERITY else _PRIORITIES[severity]
        )
        resolved: datetime | None = inc["resolved"]
        latest = max(t for t in (inc["declared"], resolved) if t is not None)
        # Edited a while after the last change, but not after the export.
        updated = min(latest + timedelta(minutes=rng.randint(1, 4000)), max(latest, END))
        impact_start: datetime | None = inc["impact_start"]
        impact_end: datetime | None = inc["impact_end"]
        start_cell, end_cell = jira_date(impact_start), jira_date(impact_end)
        if tag == NULL_SPELLING:
            impact_end = None
            end_cell = rng.choice(NULL_SPELLINGS)
            if impact_start is None:
                start_cell = rng.choice(NULL_SPELLINGS)
        services: list[str] = inc["services"]
        rows.append(
            [
                title,
                key or "",
                "" if key is None else str(10000 + inc["key"]),
                "Incident",
                status + spaced,
                priority,
                ("Done" if status != "Canceled" else "Won't Do") if resolved else "",
                (inc["commander_name"] or "") + (spaced if inc["commander_name"] else ""),
                inc["declared_by_name"],
                jira_date(inc["declared"]),
                jira_date(updated),
                jira_date(resolved),
                services[0] if services else "",
                services[1] if len(services) > 1 else "",
                inc["teams"][0].lower(),
                start_cell,
                end_cell,
            ]
        )
        truth.append(
            {
                "source_id": key,
                "key": inc["key"],
                "dirt": tag,
                "hour_shift": inc["hour_shift"],
                "impact_start": impact_start,
                "declared": inc["declared"],
                "resolved": resolved,
                "impact_end": impact_end,
            }
        )
    # Jira's issue navigator exports newest first.
    rows, truth_frame = assemble(rows[::-1], truth[::-1], TIMESTAMPS)
    return Sample("jira", csv_bytes(CSV_COLUMNS, rows), truth_frame, DIRT)


def write_jira(path: Path, *, n_incidents: int = 80, seed: int = 7, truth: bool = False) -> Path:
    """Write :func:`jira_csv` to ``path`` (and its truth if asked)."""
    if path.suffix.lower() != ".csv":
        raise ConfigError(f"Jira exports are CSV; name the file .csv, not {path.suffix!r}")
    return jira_csv(n_incidents, seed=seed).write(path, truth=truth)
