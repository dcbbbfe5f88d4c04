"""Opsgenie exports: the alert CSV and the API's ``{"data": [...]}`` JSON.

CSV: :data:`CSV_COLUMNS`; the ``*At`` columns are epoch MILLISECONDS (empty when absent);
``Status`` open/acked/closed; ``Priority`` P1..P5; ``Teams`` and ``Tags`` comma-separated
inside one quoted cell; ``Owner``, ``AcknowledgedBy``, ``ClosedBy`` are emails. JSON: the same
alerts with camelCase keys, ``teams`` as ``[{"name": ...}]``, ``tags`` as a list and times as
epoch-millisecond integers. Both files render the same alerts from the same seed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from ddinc.errors import ConfigError
from ddinc.synth._dirt import (
    BACKFILLED,
    DISPLAY_NAME,
    DUPLICATE,
    DUPLICATE_ID,
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
    "DIRT",
    "TIMESTAMPS",
    "opsgenie_csv",
    "opsgenie_json",
    "write_opsgenie",
]

# canonical timestamp -> the legacy field (CSV / JSON) that states it
TIMESTAMPS: Final = {"declared": "CreatedAt / createdAt", "resolved": "ClosedAt / closedAt"}

CSV_COLUMNS: Final = (
    "AlertId", "TinyId", "Alias", "Message", "Description", "Status", "Priority", "Source",
    "Owner", "Teams", "Tags", "CreatedAt", "UpdatedAt", "AcknowledgedAt", "ClosedAt",
    "AcknowledgedBy", "ClosedBy",
)  # fmt: skip

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
    DISPLAY_NAME: 0.06,
    NULL_SPELLING: 0.05,
}

_HEX: Final = "0123456789abcdef"
_FREE_PRIORITIES: Final = ("High", "p2", "Critical", "P2-ish", "sev1")
_SOURCES: Final = ("Datadog", "Prometheus", "API", "Email", "CloudWatch")


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _alerts(n: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The alerts as JSON-shaped dicts (plus a private ``_spelled`` set) and their truth."""
    if n < 1:
        raise ConfigError(f"n_incidents must be at least 1, not {n}")
    # Typed-in (migrated) times are off, not the ones the system stamped.
    incidents, rng = prepare("opsgenie", seed, n, DIRT, shifted=("declared", "resolved"))
    tags = [inc["dirt"] for inc in incidents]
    ids = dirty_ids(rng, [_alert_id(rng, inc["declared"]) for inc in incidents], tags)
    titles = dirty_titles(rng, [inc["title"] for inc in incidents], tags)
    alerts: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    for inc, alert_id, title in zip(incidents, ids, titles, strict=True):
        tag = inc["dirt"]
        jitter = timedelta(milliseconds=0 if tag == BACKFILLED else rng.randint(0, 999))
        created: datetime = inc["declared"] + jitter
        closed: datetime | None = inc["resolved"] + jitter if inc["resolved"] else None
        acked = None
        if inc["state"] != "active" or rng.random() < 0.5:
            acked = created + timedelta(seconds=rng.randint(15, 1200))
        status = "closed" if closed else ("acked" if acked else "open")
        owner = inc["commander"]
        if tag == DISPLAY_NAME and inc["commander_name"]:
            owner = inc["commander_name"]
        spelled: set[str] = set()
        description = inc["root_cause"] and f"Root cause: {inc['root_cause']}"
        if tag == NULL_SPELLING:
            owner, description = None, None
            spelled = {"owner", "description"}
        if tag == TRAILING_SPACE and owner:
            owner += " "
        severity = str(inc["severity"])
        priority = rng.choice(_FREE_PRIORITIES) if tag == FREE_TEXT_SEVERITY else f"P{severity[-1]}"
        teams = [t + (" " if tag == TRAILING_SPACE else "") for t in inc["teams"]]
        latest = max(t for t in (created, acked, closed) if t is not None)
        alerts.append(
            {
                "id": alert_id,
                "tinyId": str(100 + inc["key"]) if alert_id else None,
                "alias": random_token(rng, 16, _HEX),
                "message": title,
                "description": description,
                "status": status,
                "priority": priority,
                "source": rng.choice(_SOURCES),
                "owner": owner,
                "teams": [{"name": team} for team in teams],
                "tags": ["prod", *(f"service:{s}" for s in inc["services"])],
                "createdAt": _ms(created),
                "updatedAt": _ms(latest + timedelta(seconds=rng.randint(0, 60))),
                "acknowledgedAt": _ms(acked),
                "closedAt": _ms(closed),
                "acknowledgedBy": (owner or inc["declared_by"]) if acked else None,
                "closedBy": (owner or inc["declared_by"]) if closed else None,
                "_spelled": spelled,
            }
        )
        truth.append(
            {
                "source_id": alert_id,
                "key": inc["key"],
                "dirt": tag,
                "hour_shift": inc["hour_shift"],
                "declared": created,
                "resolved": closed,
            }
        )
    # Opsgenie lists the newest alert first.
    return alerts[::-1], truth[::-1]


def _alert_id(rng: random.Random, created: datetime) -> str:
    parts = [random_token(rng, size, _HEX) for size in (8, 4, 4, 4, 12)]
    return "-".join(parts) + f"-{int(created.timestamp() * 1000)}"


def opsgenie_json(n_incidents: int = 80, *, seed: int = 7) -> Sample:
    """The alerts as the Opsgenie API lists them (see the module docstring)."""
    alerts, truth = _alerts(n_incidents, seed)
    public = [{k: v for k, v in alert.items() if k != "_spelled"} for alert in alerts]
    records, truth_frame = assemble(public, truth, TIMESTAMPS)
    return Sample("opsgenie", dumps({"data": records}), truth_frame, DIRT)


def opsgenie_csv(n_incidents: int = 80, *, seed: int = 7) -> Sample:
    """The alert CSV export, :data:`CSV_COLUMNS` (see the module docstring)."""
    alerts, truth = _alerts(n_incidents, seed)
    rng = random.Random(f"opsgenie-csv:{seed}")

    def cell(alert: dict[str, Any], key: str, value: object) -> str:
        if value is None or value == "":
            return rng.choice(NULL_SPELLINGS) if key in alert["_spelled"] else ""
        return str(value)

    rows = [
        [
            cell(alert, "id", alert["id"]),
            cell(alert, "tinyId", alert["tinyId"]),
            alert["alias"],
            alert["message"],
            cell(alert, "description", alert["description"]),
            alert["status"],
            alert["priority"],
            alert["source"],
            cell(alert, "owner", alert["owner"]),
            ",".join(team["name"] for team in alert["teams"]),
            ",".join(alert["tags"]),
            cell(alert, "createdAt", alert["createdAt"]),
            cell(alert, "updatedAt", alert["updatedAt"]),
            cell(alert, "acknowledgedAt", alert["acknowledgedAt"]),
            cell(alert, "closedAt", alert["closedAt"]),
            cell(alert, "acknowledgedBy", alert["acknowledgedBy"]),
            cell(alert, "closedBy", alert["closedBy"]),
        ]
        for alert in alerts
    ]
    rows, truth_frame = assemble(rows, truth, TIMESTAMPS)
    return Sample("opsgenie", csv_bytes(CSV_COLUMNS, rows), truth_frame, DIRT)


def write_opsgenie(
    path: Path, *, n_incidents: int = 80, seed: int = 7, truth: bool = False
) -> Path:
    """Write an Opsgenie export to ``path``: alert CSV for ``.csv``, API JSON for ``.json``."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return opsgenie_csv(n_incidents, seed=seed).write(path, truth=truth)
    if suffix == ".json":
        return opsgenie_json(n_incidents, seed=seed).write(path, truth=truth)
    raise ConfigError(f"cannot write Opsgenie as {suffix!r}; name the file .csv or .json")
