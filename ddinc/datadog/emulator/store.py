"""What the emulator has stored: incidents, their impacts and the ``public_id`` counter.

The store is shared by every way of reaching the emulator (in-process transports and real
servers in their own threads), so each operation holds one lock. With a ``path`` it persists
to an append-only journal (JSON Lines): every change appends one line, so an import costs the
same with 10 or 100,000 incidents stored. The line is written (to the operating system)
before the change is visible, so a process killed at any moment (``kill -9``) keeps every
incident a client was told about; :meth:`Store.sync` also fsyncs, for power loss, and the app
awaits it in a worker thread before answering, with one fsync shared by all the writes
waiting (group commit), so the event loop never waits on the disk. A restart replays the
journal, then rewrites it compacted (atomically). ``public_id`` is never handed out twice,
even for incidents deleted since. A state file of the earlier whole-JSON format (version 1)
is read and converted.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ddinc.errors import ConfigError

__all__ = ["FieldValue", "Store", "StoredImpact", "StoredIncident"]

FieldValue = str | list[str] | None

_FORMAT = "ddinc-emulator-state"
_VERSION = 1  # the whole-file JSON format, read for compatibility
_JOURNAL_FORMAT = "ddinc-emulator-journal"
_JOURNAL_VERSION = 2
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
    """Incidents and impacts, thread-safe, optionally persisted to a journal at ``path``.

    Parameters
    ----------
    path
        Journal file to replay at start (when it exists) and to append every change to.
    first_public_id
        The ``public_id`` of the first incident of a fresh store.
    """

    def __init__(self, path: Path | None = None, *, first_public_id: int = 1) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._incidents: dict[str, StoredIncident] = {}
        self._impacts: dict[str, StoredImpact] = {}
        self._next_public_id = first_public_id
        self._journal: _Journal | None = None
        if path is not None and path.exists():
            self._load(path)
            # Compacted: the journal holds the state, not the history that led to it.
            _write_atomically(path, "".join(_line(r) for r in self._snapshot()))
        if path is not None:
            self._journal = _Journal(path)

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
            self._append(_incident_record(incident))
            self._incidents[incident.id] = incident
            self._next_public_id += 1
            return incident

    def delete_incident(self, incident_id: str) -> bool:
        """Remove an incident and its impacts; False when it was not there."""
        with self._lock:
            if incident_id not in self._incidents:
                return False
            self._append({"op": "delete", "id": incident_id})
            self._apply_delete(incident_id)
            return True

    def add_impact(self, impact: StoredImpact, *, modified: datetime) -> StoredImpact | None:
        """Store an impact and touch its incident; None when the incident is gone."""
        with self._lock:
            if impact.incident_id not in self._incidents:
                return None
            self._append(_impact_record(impact, modified))
            self._apply_impact(impact, modified)
            return impact

    def clear(self) -> None:
        """Forget every incident and impact; the ``public_id`` counter keeps counting."""
        with self._lock:
            self._append({"op": "clear"})
            self._incidents.clear()
            self._impacts.clear()

    def sync(self) -> None:
        """Make every change so far survive a power loss too (fsync); cheap when done already.

        Blocking: the app calls it in a worker thread. Concurrent callers share one fsync.
        """
        if self._journal is not None:
            self._journal.sync()

    # -- persistence ---------------------------------------------------------------------

    def _append(self, record: dict[str, Any]) -> None:
        # Written before the change is applied: if the write fails, nothing changed.
        if self._journal is not None:
            self._journal.append(_line(record))

    def _apply_delete(self, incident_id: str) -> None:
        self._incidents.pop(incident_id, None)
        for impact_id in [k for k, v in self._impacts.items() if v.incident_id == incident_id]:
            del self._impacts[impact_id]

    def _apply_impact(self, impact: StoredImpact, modified: datetime) -> None:
        incident = self._incidents.get(impact.incident_id)
        if incident is not None:
            self._impacts[impact.id] = impact
            self._incidents[incident.id] = replace(incident, modified=modified)

    def _snapshot(self) -> Iterator[dict[str, Any]]:
        yield {"format": _JOURNAL_FORMAT, "version": _JOURNAL_VERSION}
        yield {"op": "counter", "next_public_id": self._next_public_id}
        for incident in sorted(self._incidents.values(), key=lambda i: i.public_id):
            yield _incident_record(incident)
        for impact in self._impacts.values():
            yield _impact_record(impact, None)

    def _load(self, path: Path) -> None:
        hint = "delete it to start empty, or point --persist at another file"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise ConfigError(f"emulator state file {path} is unreadable ({exc}): {hint}") from exc
        try:
            if _is_journal(text):
                self._replay(_journal_records(text), path, hint)
            else:
                self._load_whole(text, path, hint)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"{path} is damaged ({exc}): {hint}") from exc
        highest = max((i.public_id for i in self._incidents.values()), default=0)
        self._next_public_id = max(self._next_public_id, highest + 1)

    def _replay(self, records: Iterable[dict[str, Any]], path: Path, hint: str) -> None:
        for number, record in enumerate(records):
            if number == 0:
                if record.get("version") != _JOURNAL_VERSION:
                    raise ConfigError(
                        f"{path} has journal version {record.get('version')!r}, this ddinc "
                        f"reads {_JOURNAL_VERSION}: {hint}"
                    )
                continue
            op = record["op"]
            if op == "incident":
                incident = StoredIncident(**_undump(record["incident"], _TIMESTAMPS))
                self._incidents[incident.id] = incident
                self._next_public_id = max(self._next_public_id, incident.public_id + 1)
            elif op == "impact":
                impact = StoredImpact(**_undump(record["impact"], _IMPACT_TIMESTAMPS))
                # A snapshot's impact line does not touch its incident: it is stored as is.
                modified = record.get("modified")
                owner = self._incidents.get(impact.incident_id)
                if modified is not None:
                    self._apply_impact(impact, datetime.fromisoformat(modified))
                elif owner is not None:
                    self._apply_impact(impact, owner.modified)
            elif op == "delete":
                self._apply_delete(record["id"])
            elif op == "clear":
                self._incidents.clear()
                self._impacts.clear()
            elif op == "counter":
                self._next_public_id = max(self._next_public_id, int(record["next_public_id"]))
            else:
                raise ValueError(f"line {number + 1}: unknown operation {op!r}")

    def _load_whole(self, text: str, path: Path, hint: str) -> None:
        """The version 1 format: one JSON object rewritten after every change."""
        try:
            state = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"emulator state file {path} is unreadable ({exc}): {hint}") from exc
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ConfigError(f"{path} is not an emulator state file: {hint}")
        if state.get("version") != _VERSION:
            raise ConfigError(
                f"{path} has state version {state.get('version')!r}, this ddinc reads "
                f"{_VERSION}: {hint}"
            )
        incidents = [StoredIncident(**_undump(i, _TIMESTAMPS)) for i in state["incidents"]]
        impacts = [StoredImpact(**_undump(i, _IMPACT_TIMESTAMPS)) for i in state["impacts"]]
        self._next_public_id = max(int(state["next_public_id"]), self._next_public_id)
        self._incidents = {i.id: i for i in incidents}
        self._impacts = {i.id: i for i in impacts}


class _Journal:
    """An append-only file: each line reaches the OS at once; fsyncs are shared (group commit).

    The file is opened for each write and each fsync rather than held open: an emulator has
    no close, and a handle left to the garbage collector is a ResourceWarning.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._written = 0  # lines written
        self._synced = 0  # lines known to be on disk
        self._sync_lock = threading.Lock()

    def append(self, line: str) -> None:
        """Write one line; the caller holds the store's lock, so lines never interleave."""
        data = line.encode("utf-8")
        if not self.path.exists() or self.path.stat().st_size == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            header = {"format": _JOURNAL_FORMAT, "version": _JOURNAL_VERSION}
            data = _line(header).encode("utf-8") + data
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(data)
            while view:  # in the OS's hands once written: a killed process loses nothing
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        self._written += 1

    def sync(self) -> None:
        """fsync what was written so far, unless a concurrent caller's fsync covered it."""
        wanted = self._written
        with self._sync_lock:
            if self._synced >= wanted:
                return
            covered = self._written
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self._synced = covered


def _is_journal(text: str) -> bool:
    try:
        head = json.loads(text.split("\n", 1)[0])
    except ValueError:
        return False
    return isinstance(head, dict) and head.get("format") == _JOURNAL_FORMAT


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _incident_record(incident: StoredIncident) -> dict[str, Any]:
    return {"op": "incident", "incident": _dump(asdict(incident), _TIMESTAMPS)}


def _impact_record(impact: StoredImpact, modified: datetime | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "op": "impact",
        "impact": _dump(asdict(impact), _IMPACT_TIMESTAMPS),
    }
    if modified is not None:
        record["modified"] = modified.isoformat()
    return record


def _journal_records(text: str) -> Iterator[dict[str, Any]]:
    """The journal's records; a last line cut short (killed mid-write) is no change at all."""
    lines = text.split("\n")
    complete, tail = lines[:-1], lines[-1]
    for line in complete:
        if line.strip():
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError(f"a journal line is not an object: {line[:80]!r}")
            yield record
    del tail  # never acknowledged: its 201 was never sent


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
