"""PagerDuty exports: the REST ``incidents`` JSON and the web CSV export.

JSON: ``{"incidents": [...], "limit": N, "offset": 0, "more": false}``; each incident has
``id``, ``incident_number``, ``title``, ``description``, ``status``
(triggered/acknowledged/resolved), ``urgency`` (high/low), ``priority`` (null or
``{"summary": "P1".."P5", ...}``), ``created_at``, ``last_status_change_at``, ``resolved_at``
(ISO 8601 with ``Z``; ``+00:00`` on the ``mixed_date_style`` records), ``service``,
``assignments``, ``teams``, ``escalation_policy``, ``html_url``. People are display names
(``summary``): PagerDuty never exports emails here.

CSV: :data:`CSV_COLUMNS`; times in the exporting user's zone (America/New_York) with the
offset, mostly ``2024-01-12 15:45:00 -0500``, some ``2024-01-12T15:45:00-05:00``;
``teams`` and ``assigned_to`` are ``;``-separated. Both formats render the same incidents
from the same seed, with the same dirt, so they share one truth.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

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
    MIXED_DATE_STYLE,
    NO_ID,
    REVERSED,
    TRAILING_SPACE,
    DirtSpec,
)
from ddinc.synth._records import (
    assemble,
    csv_bytes,
    dirty_ids,
    dirty_titles,
    dumps,
    prepare,
    random_token,
)
from ddinc.synth._sample import Sample

__all__ = [
    "CSV_COLUMNS",
    "CSV_TIMEZONE",
    "DIRT",
    "TIMESTAMPS",
    "pagerduty_csv",
    "pagerduty_json",
    "write_pagerduty",
]

# canonical timestamp -> the legacy field (JSON / CSV) that states it
TIMESTAMPS: Final = {"declared": "created_at / created_on", "resolved": "resolved_at / resolved_on"}

CSV_COLUMNS: Final = (
    "id", "incident_number", "title", "description", "status", "urgency", "priority",
    "service_name", "escalation_policy", "teams", "assigned_to", "created_on",
    "acknowledged_on", "resolved_on", "resolved_by",
)  # fmt: skip
CSV_TIMEZONE: Final = "America/New_York"

# Both formats render the same incidents with the same dirt, so they share one truth.
DIRT: Final[DirtSpec] = {
    NO_ID: 2,
    MISSING_TITLE: 1,
    LONG_TITLE: 1,
    BACKFILLED: 0.03,
    REVERSED: 0.02,
    HOUR_SHIFT: 0.03,
    DUPLICATE: 0.03,
    DUPLICATE_ID: 0.02,
    FREE_TEXT_SEVERITY: 0.03,
    TRAILING_SPACE: 0.03,
    MIXED_DATE_STYLE: 0.10,
}

_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_PRIORITIES: Final = {f"SEV-{i}": f"P{i}" for i in range(1, 6)}
_NO_PRIORITY_RATE: Final = 0.2  # accounts without priorities configured leave it null
_BASE_URL: Final = "https://example.pagerduty.com"


def _iso_z(moment: datetime | None, mixed: bool = False) -> str | None:
    if moment is None:
        return None
    # Some API clients re-serialise times with an explicit offset instead of "Z".
    return moment.isoformat() if mixed else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(moment: datetime | None, mixed: bool) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(CSV_TIMEZONE))
    if mixed:
        return local.isoformat()
    return local.strftime("%Y-%m-%d %H:%M:%S %z")


def _ref(rng: random.Random, kind: str, summary: str, path: str) -> dict[str, Any]:
    ref_id = "P" + random_token(rng, 6, _ALPHABET)
    return {
        "id": ref_id,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"https://api.pagerduty.com/{path}/{ref_id}",
        "html_url": f"{_BASE_URL}/{path}/{ref_id}",
    }


def _incidents(
    n: int, seed: int, spec: DirtSpec
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], random.Random]:
    """One neutral record per incident (both formats render from it), and its truth."""
    if n < 1:
        raise ConfigError(f"n_incidents must be at least 1, not {n}")
    incidents, rng = prepare("pagerduty", seed, n, spec, shifted=("declared", "resolved"))
    tags = [inc["dirt"] for inc in incidents]
    # A reused id comes with its number, as when two exports are merged by hand.
    pairs = dirty_ids(
        rng,
        [f"P{random_token(rng, 6, _ALPHABET)} {1000 + inc['key']}" for inc in incidents],
        tags,
    )
    ids = [pair.split()[0] if pair else None for pair in pairs]
    numbers = [pair.split()[1] if pair else None for pair in pairs]
    titles = dirty_titles(rng, [inc["title"] for inc in incidents], tags)
    records: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    for inc, incident_id, number, title in zip(incidents, ids, numbers, titles, strict=True):
        tag = inc["dirt"]
        spaced = " " if tag == TRAILING_SPACE else ""
        severity = str(inc["severity"])
        if tag == FREE_TEXT_SEVERITY:
            priority: str | None = rng.choice(FREE_TEXT_SEVERITIES)
        elif rng.random() < _NO_PRIORITY_RATE:
            priority = None
        else:
            priority = _PRIORITIES[severity]
        created: datetime = inc["declared"]
        resolved: datetime | None = inc["resolved"]
        acknowledged = None
        if inc["state"] != "active" or rng.random() < 0.5:
            acknowledged = created + timedelta(seconds=rng.randint(20, 900))
            if resolved is not None and tag != REVERSED:
                acknowledged = min(acknowledged, resolved)
        if resolved is not None:
            status = "resolved"
        else:
            status = "acknowledged" if acknowledged else "triggered"
        assignees = [inc["commander_name"]] if inc["commander_name"] else []
        if assignees and rng.random() < 0.2:
            assignees.append(inc["declared_by_name"])
        service = inc["services"][0] if inc["services"] else "legacy-monitoring"
        team = inc["teams"][0]
        records.append(
            {
                "id": incident_id,
                "incident_number": int(number) if number is not None else None,
                "title": title,
                "description": title if rng.random() < 0.7 else f"{title}\nRunbook: see wiki",
                "status": status,
                "urgency": "high" if severity in ("SEV-1", "SEV-2") else "low",
                "priority": priority,
                "service": service,
                "escalation_policy": f"{team} - Primary",
                "teams": [t + spaced for t in inc["teams"]],
                "assignees": [a + spaced for a in assignees],
                "created": created,
                "acknowledged": acknowledged,
                "resolved": resolved,
                "last_change": resolved or acknowledged or created,
                "resolved_by": (assignees[0] if assignees else None) if resolved else None,
                "dirt": tag,
            }
        )
        truth.append(
            {
                "source_id": incident_id,
                "key": inc["key"],
                "dirt": tag,
                "hour_shift": inc["hour_shift"],
                "declared": created,
                "resolved": resolved,
            }
        )
    return records, truth, rng


def _json_record(record: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    priority = None
    if record["priority"] is not None:
        priority = _ref(rng, "priority", record["priority"], "priorities")
        priority["type"] = "priority"
        priority["name"] = record["priority"]
    incident_id = record["id"]
    mixed = record["dirt"] == MIXED_DATE_STYLE
    return {
        "id": incident_id,
        "type": "incident",
        "summary": f"[#{record['incident_number']}] {record['title']}",
        "incident_number": record["incident_number"],
        "title": record["title"],
        "description": record["description"],
        "status": record["status"],
        "urgency": record["urgency"],
        "priority": priority,
        "created_at": _iso_z(record["created"], mixed),
        "last_status_change_at": _iso_z(record["last_change"], mixed),
        "resolved_at": _iso_z(record["resolved"], mixed),
        "service": _ref(rng, "service", record["service"], "services"),
        "assignments": [
            {
                "at": _iso_z(record["acknowledged"] or record["created"], mixed),
                "assignee": _ref(rng, "user", name, "users"),
            }
            for name in record["assignees"]
        ],
        "teams": [_ref(rng, "team", team, "teams") for team in record["teams"]],
        "escalation_policy": _ref(
            rng, "escalation_policy", record["escalation_policy"], "escalation_policies"
        ),
        "html_url": f"{_BASE_URL}/incidents/{incident_id}" if incident_id else None,
        "incident_key": random_token(rng, 32, "0123456789abcdef"),
    }


def pagerduty_json(n_incidents: int = 80, *, seed: int = 7) -> Sample:
    """The REST ``GET /incidents`` answer, all pages in one (see the module docstring)."""
    records, truth, rng = _incidents(n_incidents, seed, DIRT)
    rendered = [_json_record(record, rng) for record in records]
    rendered, truth_frame = assemble(rendered, truth, TIMESTAMPS)
    document = {"incidents": rendered, "limit": len(rendered), "offset": 0, "more": False}
    return Sample("pagerduty", dumps(document), truth_frame, DIRT)


def pagerduty_csv(n_incidents: int = 80, *, seed: int = 7) -> Sample:
    """The web UI's incident CSV export, :data:`CSV_COLUMNS` (see the module docstring)."""
    records, truth, _ = _incidents(n_incidents, seed, DIRT)
    rows = []
    for record in records:
        mixed = record["dirt"] == MIXED_DATE_STYLE
        rows.append(
            [
                record["id"] or "",
                "" if record["incident_number"] is None else str(record["incident_number"]),
                record["title"],
                record["description"],
                record["status"],
                record["urgency"],
                record["priority"] or "",
                record["service"],
                record["escalation_policy"],
                ";".join(record["teams"]),
                ";".join(record["assignees"]),
                _local(record["created"], mixed),
                _local(record["acknowledged"], mixed),
                _local(record["resolved"], mixed),
                record["resolved_by"] or "",
            ]
        )
    rows, truth_frame = assemble(rows, truth, TIMESTAMPS)
    return Sample("pagerduty", csv_bytes(CSV_COLUMNS, rows), truth_frame, DIRT)


def write_pagerduty(
    path: Path, *, n_incidents: int = 80, seed: int = 7, truth: bool = False
) -> Path:
    """Write a PagerDuty export to ``path``: REST JSON for ``.json``, web CSV for ``.csv``."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return pagerduty_json(n_incidents, seed=seed).write(path, truth=truth)
    if suffix == ".csv":
        return pagerduty_csv(n_incidents, seed=seed).write(path, truth=truth)
    raise ConfigError(f"cannot write PagerDuty as {suffix!r}; name the file .json or .csv")
