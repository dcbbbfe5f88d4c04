"""A cloud provider's public status history: one JSON array of incident objects.

Shaped like the history big cloud providers publish (``incidents.json``): ``id``, ``number``,
``begin`` (impact start), ``created`` (posted), ``end``, ``modified``, ``external_desc``,
``severity`` (high / medium / low), ``status_impact``, ``updates[]`` (newest first, each with
``affected_locations[]``), ``most_recent_update`` (an object: its ``status`` is the
incident's), ``affected_products[]`` (objects with ``title`` and ``id``) and ``uri``. Times
are ISO 8601 with a ``+00:00`` offset. No built-in source reads it: ``cloudstatus_mapping.toml``
beside the sample maps it with paths (``most_recent_update.status``,
``affected_products[].title``), which is the point of the sample.
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
    FREE_TEXT_SEVERITY,
    LONG_TITLE,
    MISSING_TITLE,
    NO_ID,
    REVERSED,
    TRAILING_SPACE,
    DirtSpec,
)
from ddinc.synth._records import assemble, dirty_ids, dirty_titles, dumps, prepare, random_token
from ddinc.synth._sample import Sample

__all__ = ["DIRT", "MAPPING_TOML", "TIMESTAMPS", "cloudstatus_json", "write_cloudstatus_mapping"]

TIMESTAMPS: Final = {"impact_start": "begin", "declared": "created", "resolved": "end"}

DIRT: Final[DirtSpec] = {
    NO_ID: 1,
    MISSING_TITLE: 1,
    LONG_TITLE: 1,
    BACKFILLED: 0.03,
    REVERSED: 0.03,
    DUPLICATE: 0.02,
    DUPLICATE_ID: 0.02,
    FREE_TEXT_SEVERITY: 0.03,
    TRAILING_SPACE: 0.03,
}

MAPPING_TOML: Final = """\
# How ddinc reads cloudstatus_incidents.json: a cloud provider's status history (a JSON array).
source = "cloudstatus"
id = "id"

[columns]
title = "external_desc"
state = "most_recent_update.status"        # a key of a nested object
severity = "severity"
impact_start = "begin"
declared = "created"
resolved = "end"
services = "affected_products[].title"     # the title of each object of the list

[fields]
summary = "most_recent_update.text"        # carried as Datadog's summary field

[severity]
high = "SEV-2"
medium = "SEV-3"
low = "SEV-4"

[state]
AVAILABLE = "resolved"
SERVICE_OUTAGE = "active"
SERVICE_DISRUPTION = "active"
SERVICE_INFORMATION = "stable"
"""

_SEVERITY: Final = {"SEV-1": "high", "SEV-2": "high", "SEV-3": "medium", "SEV-4": "low"}
_IMPACT: Final = {
    "high": "SERVICE_OUTAGE",
    "medium": "SERVICE_DISRUPTION",
    "low": "SERVICE_INFORMATION",
}
_FREE: Final = ("severe", "Medium-High", "n/a", "sev2")
_LOCATIONS: Final = (
    ("Belgium (europe-west1)", "europe-west1"),
    ("Iowa (us-central1)", "us-central1"),
    ("Tokyo (asia-northeast1)", "asia-northeast1"),
    ("Multi-region: us", "us"),
)
_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _records(n: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    incidents, rng = prepare("cloudstatus", seed, n, DIRT, shifted=())
    tags = [inc["dirt"] for inc in incidents]
    ids = dirty_ids(rng, [random_token(rng, 20, _ALPHABET) for _ in incidents], tags)
    # A long title cut mid-sentence must not end in a space: that is another dirt's mark.
    titles = [t.rstrip() for t in dirty_titles(rng, [inc["title"] for inc in incidents], tags)]
    product_ids: dict[str, str] = {}
    records: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    for number, (inc, incident_id, title) in enumerate(zip(incidents, ids, titles, strict=True)):
        tag = inc["dirt"]
        begin: datetime = inc["impact_start"] or inc["detected"]
        created: datetime = inc["declared"]
        end: datetime | None = inc["resolved"]
        severity = _SEVERITY.get(str(inc["severity"]), "low")
        written_severity = rng.choice(_FREE) if tag == FREE_TEXT_SEVERITY else severity
        space = " " if tag == TRAILING_SPACE else ""
        products = [
            {
                "title": service + space,
                "id": product_ids.setdefault(service, random_token(rng, 20, _ALPHABET)),
            }
            for service in inc["services"]
        ]
        locations = [
            {"title": name, "id": key} for name, key in rng.sample(_LOCATIONS, rng.randint(1, 2))
        ]
        steps: list[tuple[datetime, str, str]] = [
            (created, "SERVICE_DISRUPTION", f"We are investigating an issue with {title}.")
        ]
        if inc["state"] == "stable":
            steps.append(
                (created + timedelta(minutes=30), "SERVICE_INFORMATION", "Mitigation in place.")
            )
        if end is not None:
            steps.append((end, "AVAILABLE", "The issue has been resolved for all affected users."))
        updates = [
            {
                "created": _iso(at),
                "modified": _iso(at),
                "when": _iso(at),
                "text": text,
                "status": status,
                "affected_locations": locations,
            }
            for at, status, text in reversed(steps)
        ]
        records.append(
            {
                "id": incident_id,
                "number": str(10000 + number * 7 + rng.randint(0, 6)),
                "begin": _iso(begin),
                "created": _iso(created),
                "end": _iso(end),
                "modified": _iso(max(t for t in (begin, created, end) if t is not None)),
                "external_desc": title + space,
                "updates": updates,
                "most_recent_update": updates[0],
                "status_impact": _IMPACT[severity],
                "severity": written_severity,
                "service_key": random_token(rng, 20, _ALPHABET),
                "service_name": products[0]["title"] if products else "Multiple Products",
                "affected_products": products,
                "uri": f"incidents/{incident_id}",
                "currently_affected_locations": locations if end is None else [],
                "previously_affected_locations": locations if end is not None else [],
            }
        )
        truth.append(
            {
                "source_id": incident_id,
                "key": inc["key"],
                "dirt": tag,
                "hour_shift": inc["hour_shift"],
                "impact_start": begin,
                "declared": created,
                "resolved": end,
            }
        )
    # The history lists the newest incident first.
    return records[::-1], truth[::-1]


def cloudstatus_json(n_incidents: int = 80, *, seed: int = 7) -> Sample:
    """The status history as the provider publishes it (see the module docstring)."""
    if n_incidents < 1:
        raise ConfigError(f"n_incidents must be at least 1, not {n_incidents}")
    records, truth = _records(n_incidents, seed)
    out, frame = assemble(records, truth, TIMESTAMPS)
    return Sample("cloudstatus", dumps(out), frame, DIRT)


def write_cloudstatus_mapping(path: Path) -> Path:
    """Write the sample's TOML mapping to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MAPPING_TOML, encoding="utf-8")
    return path
