"""Atlassian Statuspage exports: the API's ``{"page": ..., "incidents": [...]}`` and JSON Lines.

Records look like GitHub's public status history: ``id``, ``name``, ``status``, ``impact``,
``created_at``, ``updated_at``, ``monitoring_at``, ``resolved_at``, ``started_at``,
``shortlink``, ``page_id``, ``incident_updates[]`` (newest first) and ``components[]``; times
are ISO 8601 UTC with milliseconds and ``Z``; newest incident first. Back-filled incidents
have ``created_at == started_at == resolved_at`` on the hour and an ``updated_at`` weeks later.

:func:`statuspage_history` is a page's long history migrated from an older tool: most records
are back-filled, and their real times survive only in the text of the last update, as an HTML
list (``<li><strong>2011-07-28 03:06:00</strong> - ... resolved</li>``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import polars as pl

from ddinc.errors import ConfigError
from ddinc.synth._dirt import (
    BACKFILLED,
    DUPLICATE,
    DUPLICATE_ID,
    FREE_TEXT_SEVERITY,
    HOUR_SHIFT,
    LONG_TITLE,
    MISSING_TITLE,
    NO_ID,
    REVERSED,
    TRAILING_SPACE,
    DirtSpec,
)
from ddinc.synth._records import (
    assemble,
    dirty_ids,
    dirty_titles,
    dumps,
    prepare,
    random_token,
)
from ddinc.synth._sample import Sample
from ddinc.synth._world import world

__all__ = [
    "DIRT",
    "HISTORY_DIRT",
    "PAGE",
    "TIMESTAMPS",
    "statuspage_history",
    "statuspage_json",
    "statuspage_jsonl",
    "write_statuspage",
]

# canonical timestamp -> the legacy field that states it
TIMESTAMPS: Final = {
    "impact_start": "started_at",
    "declared": "created_at",
    "resolved": "resolved_at",
}

DIRT: Final[DirtSpec] = {
    NO_ID: 2,
    MISSING_TITLE: 1,
    LONG_TITLE: 1,
    BACKFILLED: 0.05,
    REVERSED: 0.02,
    HOUR_SHIFT: 0.03,
    DUPLICATE: 0.02,
    DUPLICATE_ID: 0.02,
    FREE_TEXT_SEVERITY: 0.03,
    TRAILING_SPACE: 0.03,
}

# A history migrated from an older tool: most of its records were typed in after the fact.
HISTORY_DIRT: Final[DirtSpec] = {
    NO_ID: 1,
    BACKFILLED: 0.6,
    REVERSED: 0.02,
    DUPLICATE: 0.02,
    TRAILING_SPACE: 0.03,
}

PAGE: Final = {"id": "x4kd0q7wz2mb", "name": "Example Cloud", "url": "https://status.example.com"}
_ALPHABET: Final = "abcdefghijklmnopqrstuvwxyz0123456789"
_IMPACTS: Final = {
    "SEV-1": "critical",
    "SEV-2": "major",
    "SEV-3": "minor",
    "SEV-4": "minor",
    "SEV-5": "none",
}
_FREE_IMPACTS: Final = ("high", "Major outage", "sev2", "degraded")
_COMPONENTS_CREATED: Final = "2019-11-13T18:02:40.064Z"


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _real_times(inc: dict[str, Any], real: dict[str, Any]) -> str:
    """The real timeline of a back-filled record, as the older tool wrote it in the text."""
    started = real["impact_start"] or real["detected"]
    steps = [
        (started, f"Impact began: {inc['title']}"),
        (real["declared"], "Investigating"),
        (real["resolved"], "The issue was resolved"),
    ]
    items = "".join(
        f"<li><strong>{at:%Y-%m-%d %H:%M:%S}</strong> - {text}</li>" for at, text in steps
    )
    return f"<p>Migrated from our previous status page.</p><ul>{items}</ul>"


def _records(
    n: int, seed: int, *, history: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    source, spec = ("statuspage_history", HISTORY_DIRT) if history else ("statuspage", DIRT)
    incidents, rng = prepare(source, seed, n, spec, shifted=("impact_start", "detected"))
    real = {row["key"]: row for row in world(seed, n).to_dicts()} if history else {}
    tags = [inc["dirt"] for inc in incidents]
    ids = dirty_ids(rng, [random_token(rng, 12, _ALPHABET) for _ in incidents], tags)
    no_id_spelling = iter(rng.sample([None, ""], 2) * n)
    ids = [next(no_id_spelling) if tag == NO_ID else i for i, tag in zip(ids, tags, strict=True)]
    titles = dirty_titles(rng, [inc["title"] for inc in incidents], tags)
    component_ids: dict[str, str] = {}
    records: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    for inc, incident_id, title in zip(incidents, ids, titles, strict=True):
        tag = inc["dirt"]
        exact = tag == BACKFILLED

        def ms(exact: bool = exact) -> timedelta:
            return timedelta(0) if exact else timedelta(milliseconds=rng.randint(0, 999))

        created: datetime = inc["declared"] + ms()
        started: datetime = (inc["impact_start"] or inc["detected"]) + ms()
        resolved: datetime | None = inc["resolved"] + ms() if inc["resolved"] else None
        monitoring = None
        if inc["state"] == "stable" or (inc["impact_end"] and rng.random() < 0.3):
            monitoring = (inc["impact_end"] or inc["detected"] + timedelta(minutes=40)) + ms()
        latest = max(t for t in (created, started, resolved, monitoring) if t is not None)
        updated = latest + (
            timedelta(days=rng.randint(5, 40)) if exact else timedelta(seconds=rng.randint(0, 9))
        )
        if inc["state"] == "resolved":
            status = "postmortem" if rng.random() < 0.15 else "resolved"
        elif inc["state"] == "stable":
            status = "monitoring"
        else:
            status = rng.choice(("investigating", "identified"))
        severity = str(inc["severity"])
        impact = rng.choice(_FREE_IMPACTS) if tag == FREE_TEXT_SEVERITY else _IMPACTS[severity]
        name = title + "  " if tag == TRAILING_SPACE else title
        service_names: list[str] = inc["services"]
        components = []
        for position, service in enumerate(service_names, start=1):
            component_id = component_ids.setdefault(service, random_token(rng, 12, _ALPHABET))
            components.append(
                {
                    "id": component_id,
                    "name": service + (" " if tag == TRAILING_SPACE else ""),
                    "status": "operational",
                    "created_at": _COMPONENTS_CREATED,
                    "updated_at": _iso(updated),
                    "position": position,
                    "description": None,
                    "showcase": False,
                    "start_date": None,
                    "group_id": None,
                    "page_id": PAGE["id"],
                    "group": False,
                    "only_show_if_degraded": False,
                }
            )
        steps: list[tuple[str, datetime, str]] = [
            ("investigating", created, f"We are investigating reports of {title}.")
        ]
        if monitoring is not None:
            steps.append(
                ("monitoring", monitoring, "A fix has been implemented and we are monitoring.")
            )
        if resolved is not None:
            body = (
                _real_times(inc, real[inc["key"]])
                if history and tag == BACKFILLED
                else "This incident has been resolved."
            )
            steps.append(("resolved", resolved, body))
        updates = [
            {
                "id": random_token(rng, 12, _ALPHABET),
                "status": step,
                "body": body,
                "incident_id": incident_id,
                "created_at": _iso(at),
                "updated_at": _iso(at),
                "display_at": _iso(at),
                "affected_components": None,
                "deliver_notifications": not exact,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for step, at, body in reversed(steps)
        ]
        records.append(
            {
                "id": incident_id,
                "name": name,
                "status": status,
                "created_at": _iso(created),
                "updated_at": _iso(updated),
                "monitoring_at": _iso(monitoring),
                "resolved_at": _iso(resolved),
                "impact": impact,
                "shortlink": "https://stspg.io/" + random_token(rng, 12, _ALPHABET),
                "started_at": _iso(started),
                "page_id": PAGE["id"],
                "incident_updates": updates,
                "components": components,
            }
        )
        truth.append(
            {
                "source_id": incident_id or None,
                "key": inc["key"],
                "dirt": tag,
                "hour_shift": inc["hour_shift"],
                "impact_start": started,
                "declared": created,
                "resolved": resolved,
            }
        )
    # The API lists the newest incident first.
    return records[::-1], truth[::-1]


def _sample(
    n_incidents: int, seed: int, *, history: bool = False
) -> tuple[list[dict[str, Any]], pl.DataFrame]:
    if n_incidents < 1:
        raise ConfigError(f"n_incidents must be at least 1, not {n_incidents}")
    records, truth = _records(n_incidents, seed, history=history)
    return assemble(records, truth, TIMESTAMPS)


def statuspage_json(n_incidents: int = 60, *, seed: int = 7) -> Sample:
    """The page history as the Statuspage API returns it (see the module docstring)."""
    records, truth = _sample(n_incidents, seed)
    return Sample("statuspage", dumps({"page": PAGE, "incidents": records}), truth, DIRT)


def statuspage_jsonl(n_incidents: int = 60, *, seed: int = 7) -> Sample:
    """The same incidents as :func:`statuspage_json`, one JSON object per line."""
    records, truth = _sample(n_incidents, seed)
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    return Sample("statuspage", lines.encode(), truth, DIRT)


def statuspage_history(n_incidents: int = 60, *, seed: int = 7) -> Sample:
    """A page history with most records back-filled (see the module docstring)."""
    records, truth = _sample(n_incidents, seed, history=True)
    return Sample("statuspage", dumps({"page": PAGE, "incidents": records}), truth, HISTORY_DIRT)


def write_statuspage(
    path: Path, *, n_incidents: int = 60, seed: int = 7, truth: bool = False
) -> Path:
    """Write a Statuspage export to ``path``: JSON for ``.json``, JSON Lines for ``.jsonl``."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return statuspage_json(n_incidents, seed=seed).write(path, truth=truth)
    if suffix == ".jsonl":
        return statuspage_jsonl(n_incidents, seed=seed).write(path, truth=truth)
    raise ConfigError(f"cannot write Statuspage as {suffix!r}; name the file .json or .jsonl")
