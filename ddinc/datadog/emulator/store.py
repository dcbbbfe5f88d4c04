"""What the emulator has stored: incidents, their impacts and the ``public_id`` counter.

The store is shared by every way of reaching the emulator (in-process transports and real
servers in their own threads), so each operation holds one lock. With a ``path`` it persists
to one JSON file after every change, written atomically (temporary file, fsync, rename): a
restarted emulator keeps every incident a client was told about, and never hands out a
``public_id`` twice, even for incidents that were deleted since.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ddinc.errors import ConfigError

__all__ = ["FieldValue", "Store", "StoredImpact", "StoredIncident"]

FieldValue = str | list[str] | None

_FORMAT = "ddinc-emulator-state"
_VERSION = 1
_TIMESTAMPS = ("created", "modified", "detected", "declared", "resolved")
_IMPACT_TIMESTAMPS = ("start_at", "end_at", "created", "modified")


@dataclass(frozen=True)
class StoredIncident:
    """One incident as stored; ``fields`` holds every field of its type, defaults applied."""

    id: str
    public_id: int
    title: str
    incident_type_uuid: str
    visibility: str
    fields: dict[str, FieldValue]
    created: datetime
    modified: datetime
    detected: datetime
    declared: datetime
    resolved: datetime | None
    created_by_id: str
    declared_by_id: str
    commander_id: str | None = None

    @property
    def slug(self) -> str:
        """The ``IR-<public_id>`` reference Datadog shows."""
        return f"IR-{self.public_id}"

    @property
    def state(self) -> str | None:
        """The ``state`` field's value."""
        value = self.fields.get("state")
        return value if isinstance(value, str) else None

    @property
    def severity(self) -> str:
        """The ``severity`` field's value (``UNKNOWN`` when unset)."""
        value = self.fields.get("severity")
        return value if isinstance(value, str) else "UNKNOWN"


@dataclass(frozen=True)
class StoredImpact:
    """One customer impact of an incident."""

    id: str
    incident_id: str
    description: str
    start_at: datetime
    end_at: datetime | None
    created: datetime
    modified: datetime
    created_by_id: str
    fields: dict[str, Any] = field(default_factory=dict)


class Store:
    """Incidents and impacts, thread-safe, optionally persisted to ``path``.

    Parameters
    ----------
    path
        JSON file to load at start (when it exists) and to rewrite after every change.
    first_public_id
        The ``public_id`` of the first incident of a fresh store.
    """

    def __init__(self, path: Path | None = None, *, first_public_id: int = 1) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._incidents: dict[str, StoredIncident] = {}
        self._impacts: dict[str, StoredImpact] = {}
        self._next_public_id = first_public_id
        if path is not None and path.exists():
            self._load(path)

    # -- reads ---------------------------------------------------------------------------

    @property
    def next_public_id(self) -> int:
        """The ``public_id`` the next import will get."""
        return self._next_public_id

    def incidents(self) -> list[StoredIncident]:
        """Every incident, in creation order."""
        with self._lock:
            return sorted(self._incidents.values(), key=lambda i: i.public_id)

    def incident(self, incident_id: str) -> StoredIncident | None:
        """One incident by id, or None."""
        with self._lock:
            return self._incidents.get(incident_id)

    def impacts(self, incident_id: str | None = None) -> list[StoredImpact]:
        """Impacts of one incident (or all), in creation order."""
        with self._lock:
            found = [
                i
                for i in self._impacts.values()
                if incident_id is None or i.incident_id == incident_id
            ]
        return sorted(found, key=lambda i: (i.created, i.id))

    # -- writes --------------------------------------------------------------------------

    def add_incident(self, build: Callable[[int], StoredIncident]) -> StoredIncident:
        """Store the incident ``build(public_id)`` returns, with the next ``public_id``."""
        with self._lock:
            incident = build(self._next_public_id)
            if incident.id in self._incidents:
                raise ValueError(f"incident id {incident.id} already stored")
            self._incidents[incident.id] = incident
            self._next_public_id += 1
            self._save()
            return incident

    def delete_incident(self, incident_id: str) -> bool:
        """Remove an incident and its impacts; False when it was not there."""
        with self._lock:
            if self._incidents.pop(incident_id, None) is None:
                return False
            for impact_id in [k for k, v in self._impacts.items() if v.incident_id == incident_id]:
                del self._impacts[impact_id]
            self._save()
            return True

    def add_impact(self, impact: StoredImpact, *, modified: datetime) -> StoredImpact | None:
        """Store an impact and touch its incident; None when the incident is gone."""
        with self._lock:
            incident = self._incidents.get(impact.incident_id)
            if incident is None:
                return None
            self._impacts[impact.id] = impact
            self._incidents[incident.id] = replace(incident, modified=modified)
            self._save()
            return impact

    def clear(self) -> None:
        """Forget every incident and impact; the ``public_id`` counter keeps counting."""
        with self._lock:
            self._incidents.clear()
            self._impacts.clear()
            self._save()

    # -- persistence ---------------------------------------------------------------------

    def _save(self) -> None:
        if self.path is None:
            return
        state = {
            "format": _FORMAT,
            "version": _VERSION,
            "next_public_id": self._next_public_id,
            "incidents": [_dump(asdict(i), _TIMESTAMPS) for i in self._incidents.values()],
            "impacts": [_dump(asdict(i), _IMPACT_TIMESTAMPS) for i in self._impacts.values()],
        }
        _write_atomically(self.path, json.dumps(state, indent=1, ensure_ascii=False))

    def _load(self, path: Path) -> None:
        hint = "delete it to start empty, or point --persist at another file"
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"emulator state file {path} is unreadable ({exc}): {hint}") from exc
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ConfigError(f"{path} is not an emulator state file: {hint}")
        if state.get("version") != _VERSION:
            raise ConfigError(
                f"{path} has state version {state.get('version')!r}, this ddinc reads "
                f"{_VERSION}: {hint}"
            )
        try:
            incidents = [StoredIncident(**_undump(i, _TIMESTAMPS)) for i in state["incidents"]]
            impacts = [StoredImpact(**_undump(i, _IMPACT_TIMESTAMPS)) for i in state["impacts"]]
            next_public_id = int(state["next_public_id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path} is damaged ({exc}): {hint}") from exc
        self._incidents = {i.id: i for i in incidents}
        self._impacts = {i.id: i for i in impacts}
        highest = max((i.public_id for i in incidents), default=0)
        self._next_public_id = max(next_public_id, highest + 1, self._next_public_id)


def _dump(record: dict[str, Any], timestamps: tuple[str, ...]) -> dict[str, Any]:
    for key in timestamps:
        if record[key] is not None:
            record[key] = record[key].isoformat()
    return record


def _undump(record: dict[str, Any], timestamps: tuple[str, ...]) -> dict[str, Any]:
    record = dict(record)
    for key in timestamps:
        if record.get(key) is not None:
            record[key] = datetime.fromisoformat(record[key])
    return record


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves either the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
