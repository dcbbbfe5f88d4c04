"""A service-health archive: ``{"archive": [...], "current": []}``, as some providers publish.

Each archived event has ``service_name``, ``service`` (a key such as ``object-store-eu``),
``summary`` (the title behind a state prefix: ``[RESOLVED] ...``, ``[Informational] ...``),
``date`` (epoch seconds, as text: when the event was posted), ``status`` (a code) and
``description`` (HTML with the updates, times in the provider's own words). There is no id:
``service`` and ``date`` together name an event. ``current`` is empty outside an ongoing
event. ``healtharchive_mapping.toml`` beside the sample reads it with the mapping features
this shape needs: ``records``, ``concat``, ``pattern`` and ``const``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Final

from ddinc.errors import ConfigError
from ddinc.synth._dirt import DUPLICATE, MISSING_TITLE, NO_ID, TRAILING_SPACE, DirtSpec
from ddinc.synth._records import assemble, dumps, prepare
from ddinc.synth._sample import Sample

__all__ = [
    "DIRT",
    "MAPPING_TOML",
    "TIMESTAMPS",
    "healtharchive_json",
    "write_healtharchive_mapping",
]

TIMESTAMPS: Final = {"declared": "date"}

DIRT: Final[DirtSpec] = {
    NO_ID: 1,
    MISSING_TITLE: 1,
    DUPLICATE: 0.03,
    TRAILING_SPACE: 0.03,
}

MAPPING_TOML: Final = """\
# How ddinc reads healtharchive_incidents.json: {"archive": [...], "current": []}.
source = "healtharchive"
records = "archive"                                   # the list holding the records
id = {concat = ["service", "date"], sep = "-"}        # no id: service and time name an event

[columns]
title = {column = "summary", pattern = '^(?:\\[\\w+\\]\\s*)?(.+)$'}   # the title without its prefix
state = {column = "summary", pattern = '^\\[(\\w+)\\]'}              # the prefix: [RESOLVED]
declared = "date"                                     # epoch seconds
services = "service_name"
notes = "description"                                 # updates, times in prose: never sent

[fields]
detection_method = {const = "other"}   # the same for every record: an org dropdown value

[state]
Informational = "resolved"
"""

_PREFIX: Final = {"resolved": "[RESOLVED] ", "stable": "[Informational] ", "active": ""}


def _description(inc: dict[str, Any]) -> str:
    times = [(inc["declared"], "We are investigating increased error rates.")]
    if inc["resolved"] is not None:
        times.append(
            (inc["resolved"], "The issue has been resolved and the service is operating normally.")
        )
    items = "".join(
        f'<div><span class="yellowfg"> {at:%I:%M %p} UTC</span>&nbsp;{text}</div>'
        for at, text in times
    )
    return items


def _records(n: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    incidents, rng = prepare("healtharchive", seed, n, DIRT, shifted=())
    records: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    for inc in incidents:
        tag = inc["dirt"]
        declared: datetime = inc["declared"]
        services: list[str] = inc["services"] or ["status-page"]
        service = None if tag == NO_ID else f"{services[0]}-{rng.choice(('eu', 'us', 'ap'))}"
        summary = "" if tag == MISSING_TITLE else _PREFIX[str(inc["state"])] + str(inc["title"])
        name = services[0] + (" " if tag == TRAILING_SPACE else "")
        date = str(int(declared.timestamp()))
        records.append(
            {
                "service_name": name,
                "summary": summary,
                "date": date,
                "status": "1" if inc["state"] == "resolved" else "2",
                "details": "",
                "description": _description(inc),
                "service": service,
            }
        )
        truth.append(
            {
                "source_id": None if service is None else f"{service}-{date}",
                "key": inc["key"],
                "dirt": tag,
                "hour_shift": inc["hour_shift"],
                "declared": declared,
            }
        )
    return records, truth


def healtharchive_json(n_incidents: int = 60, *, seed: int = 7) -> Sample:
    """The archive (see the module docstring); ``current`` is empty."""
    if n_incidents < 1:
        raise ConfigError(f"n_incidents must be at least 1, not {n_incidents}")
    records, truth = _records(n_incidents, seed)
    out, frame = assemble(records, truth, TIMESTAMPS)
    return Sample("healtharchive", dumps({"archive": out, "current": []}), frame, DIRT)


def write_healtharchive_mapping(path: Path) -> Path:
    """Write the sample's TOML mapping to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MAPPING_TOML, encoding="utf-8")
    return path
