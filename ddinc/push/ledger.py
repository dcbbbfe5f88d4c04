"""The ledger: a SQLite file that says, for every row key, what happened to it in Datadog.

One row per record (``records``), keyed by row key, with its status:

``planned``     selected and ready, not sent yet;
``sending``     the request is about to leave (committed *before* sending);
``created``     Datadog answered 201: ``incident_id``, ``public_id`` and ``url`` are set;
``failed``      Datadog refused it, or it was never sent: nothing was created (``reason``);
``unknown``     a timeout, dropped connection or 5xx after sending: it may exist;
``not_created`` reconcile looked it up and it does not exist: it may be sent again;
``deleted``     rollback deleted the incident.

Plus the hash of the payload sent, the run that last wrote the record (``run_id``) and the
run that sent it (``send_run``, kept when reconcile settles the record later), when it was
first sent (``first_sent``), how a ``created`` was learned (``learned``: ``sent``, Datadog
answered 201 to our request; ``reconciled``, reconcile found it after our send; ``adopted``,
anything else, such as a version 1 ledger's reconcile, which may have adopted an incident
created elsewhere: rollback leaves those alone), and the customer-impact step
(``impact_status``: ``pending``, ``sending``, ``created``, ``failed``, ``unknown``). Every
change is also appended to ``events`` (an audit trail), and every run to ``runs``; every
lookup reconcile makes (when, which query, what it found, its verdict) to ``lookups``.

One writer at a time: a push, reconcile or rollback holds an exclusive lock on the sidecar
file ``<ledger>.lock`` (``flock``; a byte lock on Windows) from before it plans until its
run ends. The operating system frees the lock when the process dies, SIGKILL included, so a
killed run never leaves the ledger locked. A second writer waits a few seconds, then refuses with
:class:`LedgerBusyError`. Readers (``ddinc ledger``, a dry run) take no lock. Taking the lock
also writes to the file, so a read-only ledger or a full disk is refused
(:class:`LedgerWriteError`) before anything is sent. Within a run a record is *claimed*
before its request leaves: ``sending`` is written only over ``planned``, ``not_created`` or
``failed`` (compare and set), never over ``created``, ``sending`` or ``unknown``.

A ledger belongs to one Datadog target, recorded on first use: its API root
(``meta.target``) and, since one site serves many orgs, the ids of the org's incident types
(``meta.org_incident_types``, UUIDs of one org). A run against another root, or keys that
reach an org holding none of those types, is refused (:class:`LedgerTargetError`) before
anything is sent or deleted.

Durability: WAL journal with ``synchronous=NORMAL``, written from the one thread that opened
the ledger (SQLite refuses other threads). Each ``mark_*`` call is one transaction; a push
groups the changes of its workers into fewer transactions (:mod:`ddinc.push.journal`), but a
record's ``sending`` is always committed before its request leaves. What that survives:

- a killed process (SIGKILL, a crash, a closed notebook kernel) at any instant: a committed
  transaction is in the WAL file, which the operating system holds even if the process dies
  before SQLite checkpoints it; the next open replays it. At worst a record is left
  ``sending`` (or its outcome, not yet committed, is lost, leaving it ``sending``), which
  ``reconcile`` resolves by looking it up in Datadog;
- what it does not survive: a power cut or kernel panic may lose the last transactions
  (NORMAL does not fsync the WAL at every commit; FULL would, at a few milliseconds each).
  The ledger stays consistent (SQLite's atomic commit), but a record whose request left
  might read ``planned`` again, and the next push would send it again. Keep the ledger on
  local disk; after a machine crash, look up the last records in Datadog before pushing.

The ledger never holds keys: only row keys, ids, hashes, reasons and the API root.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, Literal, Self

import polars as pl

from ddinc.errors import ConfigError

__all__ = [
    "CLAIMABLE",
    "LOCK_WAIT",
    "SCHEMA_VERSION",
    "STATUSES",
    "Change",
    "ImpactStatus",
    "Learned",
    "Ledger",
    "LedgerBusyError",
    "LedgerRecord",
    "LedgerTargetError",
    "LedgerWriteError",
    "Status",
    "claim_change",
    "claim_impact_change",
    "created_change",
    "impact_change",
    "outcome_change",
    "release_change",
    "release_impact_change",
    "sending_change",
]

Status = Literal["planned", "sending", "created", "failed", "unknown", "not_created", "deleted"]
ImpactStatus = Literal["pending", "sending", "created", "failed", "unknown"]
STATUSES: Final[tuple[Status, ...]] = (
    "planned",
    "sending",
    "created",
    "failed",
    "unknown",
    "not_created",
    "deleted",
)
Learned = Literal["sent", "reconciled", "adopted"]
CLAIMABLE: Final[tuple[Status, ...]] = ("planned", "not_created", "failed")
"""The statuses a run may claim (turn into ``sending``): nothing of them exists in Datadog."""
SCHEMA_VERSION: Final = 2
LOCK_WAIT: Final = 3.0
"""Seconds a second writer waits for the ledger's lock before refusing."""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT, started TEXT NOT NULL,
    finished TEXT, summary TEXT
);
CREATE TABLE IF NOT EXISTS records (
    row_key TEXT PRIMARY KEY, status TEXT NOT NULL, title TEXT, payload_hash TEXT,
    run_id TEXT, incident_id TEXT, public_id INTEGER, url TEXT, reason TEXT,
    impact_status TEXT, impact_id TEXT, impact_reason TEXT, updated TEXT NOT NULL,
    learned TEXT, send_run TEXT, first_sent TEXT
);
CREATE INDEX IF NOT EXISTS records_status ON records (status);
CREATE INDEX IF NOT EXISTS records_run ON records (run_id);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, run_id TEXT, row_key TEXT,
    status TEXT NOT NULL, detail TEXT
);
CREATE TABLE IF NOT EXISTS lookups (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, run_id TEXT, row_key TEXT NOT NULL,
    lookup TEXT NOT NULL, query TEXT, found TEXT, verdict TEXT
);
"""

_COLUMNS: Final = (
    "row_key",
    "status",
    "title",
    "payload_hash",
    "run_id",
    "incident_id",
    "public_id",
    "url",
    "reason",
    "impact_status",
    "impact_id",
    "impact_reason",
    "updated",
    "learned",
    "send_run",
    "first_sent",
)
_FRAME_SCHEMA: Final = {name: (pl.Int64 if name == "public_id" else pl.String) for name in _COLUMNS}


def _try_lock(handle: IO[str]) -> bool:
    """Take the exclusive lock of ``handle``'s file without waiting; whether it was taken.

    Both kinds end with the process (the OS releases them), so a killed run frees the ledger.
    """
    if sys.platform == "win32":  # no flock: lock the file's first byte instead
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _target(base_url: str) -> str:
    """One spelling per API root: ``HTTP://Host:1/`` and ``http://host:1`` are one target."""
    scheme, _, rest = base_url.strip().rstrip("/").partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


@dataclass(frozen=True)
class LedgerRecord:
    """One record of the ledger."""

    row_key: str
    status: Status
    title: str | None
    payload_hash: str | None
    run_id: str | None
    incident_id: str | None
    public_id: int | None
    url: str | None
    reason: str | None
    impact_status: ImpactStatus | None
    impact_id: str | None
    impact_reason: str | None
    updated: str
    learned: Learned | None = None
    send_run: str | None = None
    first_sent: str | None = None


class LedgerBusyError(ConfigError):
    """Another run (push, reconcile, rollback) is writing this ledger."""


class LedgerTargetError(ConfigError):
    """The ledger records runs against another Datadog than the one asked for."""


class LedgerWriteError(ConfigError):
    """The ledger file cannot be written (read-only, full disk, I/O error)."""


def _write_error(path: Path, error: sqlite3.Error, when: str) -> LedgerWriteError:
    problem = str(error)
    if "readonly" in problem or "read-only" in problem:
        fix = "make it writable (and its folder), or copy it to a writable place and use the copy"
    elif "full" in problem:
        fix = "free space on its disk, then run again"
    else:
        fix = "check the file and its disk, then run again"
    return LedgerWriteError(f"cannot write the ledger {path} ({problem}) {when}: {fix}")


# Version 1 ledgers had no send_run, first_sent or learned: read them from the audit trail.
# A created record whose last "created" event was a reconcile find may be another ledger's
# incident (version 1 reconcile adopted any match): "adopted", which rollback leaves alone.
_MIGRATE_1_TO_2: Final = (
    "ALTER TABLE records ADD COLUMN learned TEXT",
    "ALTER TABLE records ADD COLUMN send_run TEXT",
    "ALTER TABLE records ADD COLUMN first_sent TEXT",
    "UPDATE records SET "
    "send_run = (SELECT e.run_id FROM events e WHERE e.row_key = records.row_key "
    "AND e.status = 'sending' ORDER BY e.seq DESC LIMIT 1), "
    "first_sent = (SELECT MIN(e.at) FROM events e WHERE e.row_key = records.row_key "
    "AND e.status = 'sending')",
    "UPDATE records SET learned = CASE WHEN (SELECT e.detail FROM events e "
    "WHERE e.row_key = records.row_key AND e.status = 'created' ORDER BY e.seq DESC LIMIT 1) "
    "LIKE 'found by reconcile%' THEN 'adopted' ELSE 'sent' END WHERE status = 'created'",
)


class Ledger:
    """A ledger file, opened for reading and writing from the calling thread.

    Parameters
    ----------
    path
        The SQLite file; created when absent.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.exists() and self.path.is_dir():
            raise ConfigError(f"ledger {self.path} is a directory: give a file name")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock: IO[str] | None = None
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            version = self.meta("schema_version")
            if version is None:
                self.set_meta("schema_version", str(SCHEMA_VERSION))
            elif version == "1":
                self._upgrade_from_1()
        except sqlite3.OperationalError as error:
            if "readonly" in str(error) or "full" in str(error):
                raise _write_error(self.path, error, "while opening it") from None
            raise ConfigError(
                f"{self.path} cannot be used as a ledger ({error}): give a new file name or an "
                "existing ddinc ledger"
            ) from None
        except sqlite3.DatabaseError as error:
            raise ConfigError(
                f"{self.path} cannot be used as a ledger ({error}): give a new file name or an "
                "existing ddinc ledger"
            ) from None
        if version is not None and version not in ("1", str(SCHEMA_VERSION)):
            raise ConfigError(
                f"ledger {self.path} has schema version {version}; this ddinc reads "
                f"{SCHEMA_VERSION}: use the ddinc that wrote it, or a new ledger file"
            )

    def _upgrade_from_1(self) -> None:
        # Checked again inside the write transaction: two processes opening one version 1
        # ledger at once upgrade it once.
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                if self.meta("schema_version") == "1":
                    for sql in _MIGRATE_1_TO_2:
                        self._db.execute(sql)
                    self._db.execute(
                        "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                        (str(SCHEMA_VERSION),),
                    )
        except sqlite3.OperationalError as error:
            raise _write_error(
                self.path, error, "while upgrading it to this ddinc's format"
            ) from None

    # -- one writer ----------------------------------------------------------------------------

    @property
    def lock_path(self) -> Path:
        """The sidecar file whose lock says who writes this ledger."""
        return self.path.with_name(self.path.name + ".lock")

    @property
    def locked(self) -> bool:
        """Whether this object holds the ledger's lock."""
        return self._lock is not None

    def lock(self, kind: str = "run", *, wait: float | None = None) -> None:
        """Become the ledger's one writer (no-op when already), then prove the file writable.

        ``wait``: seconds to wait for another writer to end (default :data:`LOCK_WAIT`).

        Raises
        ------
        LedgerBusyError
            Another process (or another :class:`Ledger` object) holds the lock after ``wait``
            seconds.
        LedgerWriteError
            The file cannot be written: read-only, or its disk is full.
        """
        if self._lock is not None:
            return
        try:
            handle = self.lock_path.open("a+", encoding="utf-8")
        except OSError as error:
            raise LedgerWriteError(
                f"cannot create the lock file {self.lock_path} of the ledger {self.path} "
                f"({error.strerror}): make its folder writable, or use a ledger in a writable "
                "folder"
            ) from None
        deadline = time.monotonic() + (LOCK_WAIT if wait is None else wait)
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                holder = ""
                with contextlib.suppress(OSError):  # Windows refuses to read a locked byte
                    handle.seek(0)
                    holder = handle.read().strip()
                handle.close()
                raise LedgerBusyError(
                    f"the ledger {self.path} is in use by {holder or 'another ddinc run'}: "
                    "wait for it to end and run again (one push, reconcile or rollback at a "
                    "time per ledger), or give another --ledger file for a separate push"
                ) from None
            time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} ({kind} since {_now()})\n")
        handle.flush()
        self._lock = handle
        try:
            # A write now: a read-only file or a full disk fails here, before anything is sent.
            self.set_meta("writer", f"{kind} {_now()}")
        except BaseException:
            self.unlock()
            raise

    def unlock(self) -> None:
        """Stop being the ledger's writer (the lock also ends with the process)."""
        handle, self._lock = self._lock, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.truncate(0)
            handle.close()  # closing the file releases the flock

    # -- target ----------------------------------------------------------------------------------

    @property
    def target(self) -> str | None:
        """The Datadog API root this ledger pushed to (or of its first run, for old ledgers)."""
        recorded = self.meta("target")
        if recorded is not None:
            return recorded
        row = self._db.execute(
            "SELECT target FROM runs WHERE target IS NOT NULL ORDER BY started LIMIT 1"
        ).fetchone()
        return None if row is None else _target(str(row[0]))

    def check_target(self, target: str) -> None:
        """Refuse ``target`` when the ledger records another one.

        Raises
        ------
        LedgerTargetError
            Naming both targets and what to do.
        """
        recorded = self.target
        if recorded is not None and recorded != _target(target):
            raise LedgerTargetError(
                f"the ledger {self.path} belongs to {recorded}, not {_target(target)}: its "
                f"records say what exists there only. Give --base-url/DD_SITE for {recorded}, "
                f"or a new --ledger file to push to {_target(target)}"
            )

    def check_org(self, incident_type_ids: Iterable[str]) -> None:
        """Refuse an org none of whose incident types the ledger saw when it first pushed.

        A site (``api.datadoghq.com``) serves many orgs: the API root alone does not say
        which one the keys reach. Incident type ids are UUIDs of one org, and an org always
        keeps at least one type; adding types changes nothing.

        Raises
        ------
        LedgerTargetError
            None of the recorded types is in this org.
        """
        recorded = self.meta("org_incident_types")
        if recorded is None:
            return
        current = {str(type_id).lower() for type_id in incident_type_ids}
        if current.isdisjoint(recorded.split(",")):
            raise LedgerTargetError(
                f"the ledger {self.path} belongs to another Datadog org on {self.target}: none "
                f"of the incident types it saw there ({recorded}) exists in the org these keys "
                "reach. Use the keys of the ledger's org, or a new --ledger file for this org"
            )

    def bind_org(self, incident_type_ids: Iterable[str]) -> None:
        """Record the org's incident types on first push; refuse another org (see
        :meth:`check_org`)."""
        ids = sorted({str(type_id).lower() for type_id in incident_type_ids})
        self.check_org(ids)
        if ids and self.meta("org_incident_types") is None:
            self.set_meta("org_incident_types", ",".join(ids))

    def bind_target(self, target: str) -> None:
        """Record ``target`` on first use; refuse another one (see :meth:`check_target`)."""
        self.check_target(target)
        if self.meta("target") is None:
            self.set_meta("target", _target(target))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (and end this object's lock)."""
        self.unlock()
        self._db.close()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # -- meta and runs -----------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        """A setting stored with the ledger (schema version, provenance field, target)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        self.apply(
            [
                (
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
            ]
        )

    def start_run(self, kind: str, target: str | None) -> str:
        """Record the start of a push, reconcile or rollback; return its run id.

        Takes the ledger's lock (:meth:`lock`, held until :meth:`finish_run` or
        :meth:`close`) and binds the ledger to ``target`` (:meth:`bind_target`).
        """
        self.lock(kind)
        if target is not None:
            self.bind_target(target)
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
        self.apply(
            [
                (
                    "INSERT INTO runs (run_id, kind, target, started) VALUES (?, ?, ?, ?)",
                    (run_id, kind, target, _now()),
                )
            ]
        )
        return run_id

    def finish_run(self, run_id: str, summary: dict[str, Any]) -> None:
        """Record the end of a run, with its counts, and end the lock."""
        self.apply(
            [
                (
                    "UPDATE runs SET finished = ?, summary = ? WHERE run_id = ?",
                    (_now(), json.dumps(summary, sort_keys=True), run_id),
                )
            ]
        )
        self.unlock()

    def runs(self) -> pl.DataFrame:
        """Every run, oldest first."""
        rows = self._db.execute(
            "SELECT run_id, kind, target, started, finished, summary FROM runs ORDER BY started"
        ).fetchall()
        names = ("run_id", "kind", "target", "started", "finished", "summary")
        return pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")

    # -- records -----------------------------------------------------------------------------

    def get(self, row_key: str) -> LedgerRecord | None:
        """The record of ``row_key``, or None."""
        row = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM records WHERE row_key = ?", (row_key,)
        ).fetchone()
        return None if row is None else LedgerRecord(*row)

    def records(
        self, statuses: Iterable[str] | None = None, *, run_id: str | None = None
    ) -> list[LedgerRecord]:
        """Records, optionally only with these statuses, or sent or last written by one run."""
        query = f"SELECT {', '.join(_COLUMNS)} FROM records WHERE 1 = 1"
        params: list[str] = []
        if statuses is not None:
            wanted = list(statuses)
            query += f" AND status IN ({', '.join('?' * len(wanted))})"
            params.extend(wanted)
        if run_id is not None:
            query += " AND (run_id = ? OR send_run = ?)"
            params.extend((run_id, run_id))
        return [LedgerRecord(*row) for row in self._db.execute(query + " ORDER BY row_key", params)]

    def lookup(self, row_keys: Sequence[str]) -> dict[str, LedgerRecord]:
        """The records of these row keys that exist."""
        found: dict[str, LedgerRecord] = {}
        for start in range(0, len(row_keys), 500):
            chunk = list(row_keys[start : start + 500])
            rows = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM records "
                f"WHERE row_key IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            found.update((row[0], LedgerRecord(*row)) for row in rows)
        return found

    def frame(self) -> pl.DataFrame:
        """Every record as a frame."""
        rows = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM records ORDER BY row_key"
        ).fetchall()
        return pl.DataFrame(rows, schema=_FRAME_SCHEMA, orient="row")

    def counts(self) -> dict[str, int]:
        """How many records have each status (every status listed)."""
        counted = dict(
            self._db.execute("SELECT status, COUNT(*) FROM records GROUP BY status").fetchall()
        )
        return {status: int(counted.get(status, 0)) for status in STATUSES}

    def impact_counts(self) -> dict[str, int]:
        """How many records have each impact status (records without impact left out)."""
        rows = self._db.execute(
            "SELECT impact_status, COUNT(*) FROM records WHERE impact_status IS NOT NULL "
            "GROUP BY impact_status"
        ).fetchall()
        return {str(status): int(count) for status, count in rows}

    def events(self, row_key: str | None = None) -> pl.DataFrame:
        """The audit trail, oldest first (of one record when ``row_key`` is given)."""
        query = "SELECT seq, at, run_id, row_key, status, detail FROM events"
        params: tuple[str, ...] = ()
        if row_key is not None:
            query += " WHERE row_key = ?"
            params = (row_key,)
        rows = self._db.execute(query + " ORDER BY seq", params).fetchall()
        schema = {"seq": pl.Int64, **dict.fromkeys(("at", "run_id", "row_key"), pl.String)}
        schema.update(status=pl.String, detail=pl.String)
        return pl.DataFrame(rows, schema=schema, orient="row")

    # -- changes: each one commit -----------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection (for tests and tools; write through the methods)."""
        return self._db

    def apply(self, changes: Iterable[Change]) -> list[int]:
        """Commit ``changes`` (from the ``*_change`` builders) in one transaction, in order.

        Either all of them are committed or none: a process killed during the commit leaves
        the ledger as it was before. This is how :class:`ddinc.push.journal.Journal` writes a
        batch of records at once (group commit). Returns how many rows each statement
        changed (a claim that changed none was not granted).

        Raises
        ------
        LedgerWriteError
            The file could not be written (read-only, full disk): nothing was committed.
        """
        counts: list[int] = []
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                for sql, params in changes:
                    counts.append(self._db.execute(sql, params).rowcount)
        except sqlite3.OperationalError as error:
            raise _write_error(self.path, error, "nothing of this change was saved") from None
        return counts

    def claim(self, row_key: str, run_id: str, payload_hash: str) -> bool:
        """Claim a record for sending (see :func:`claim_change`); whether it was granted."""
        return self.apply(claim_change(row_key, run_id, payload_hash))[0] == 1

    def mark_planned(self, run_id: str, rows: Sequence[tuple[str, str | None, str]]) -> None:
        """Record ``(row_key, title, payload_hash)`` as planned, in one commit.

        Only records that are new, failed or not created become planned: nothing that may
        exist in Datadog is ever downgraded.
        """
        now = _now()
        self.apply((_PLANNED_SQL, (key, title, digest, run_id, now)) for key, title, digest in rows)

    def mark_sending(self, row_key: str, run_id: str, payload_hash: str) -> None:
        """Committed before the import request leaves (unconditionally: see :meth:`claim`)."""
        self.apply(sending_change(row_key, run_id, payload_hash))

    def mark_created(
        self,
        row_key: str,
        run_id: str,
        *,
        incident_id: str,
        public_id: int | None,
        url: str | None,
        impact_pending: bool,
        detail: str | None = None,
        learned: Learned = "reconciled",
    ) -> None:
        """Datadog created the incident: found by reconcile after our send (``learned``
        ``reconciled``, the default here: a push records its 201s through the journal), or
        ``adopted`` (found, but not known to come from this ledger's send)."""
        self.apply(
            created_change(
                row_key,
                run_id,
                incident_id=incident_id,
                public_id=public_id,
                url=url,
                impact_pending=impact_pending,
                detail=detail,
                learned=learned,
            )
        )

    def mark_failed(self, row_key: str, run_id: str, reason: str) -> None:
        """Datadog refused it, or it was never sent."""
        self.apply(outcome_change(row_key, run_id, "failed", reason))

    def mark_unknown(self, row_key: str, run_id: str, reason: str) -> None:
        """It may have been created: reconcile before sending it again."""
        self.apply(outcome_change(row_key, run_id, "unknown", reason))

    def mark_not_created(self, row_key: str, run_id: str, reason: str) -> None:
        """Reconcile found no such incident: a later push may send it."""
        self.apply(_upsert(row_key, run_id, "not_created", reason, reason=reason, incident_id=None))

    def mark_deleted(self, row_key: str, run_id: str, incident_id: str) -> None:
        """Rollback deleted the incident."""
        self.apply(
            _upsert(row_key, run_id, "deleted", incident_id, impact_status=None, learned=None)
        )

    def mark_impact(
        self,
        row_key: str,
        run_id: str,
        status: ImpactStatus,
        *,
        impact_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        """The customer-impact step of a created record."""
        self.apply(impact_change(row_key, run_id, status, impact_id=impact_id, reason=reason))

    # -- reconcile's lookups: why a record was judged created or not ------------------------

    def record_lookups(
        self, run_id: str, rows: Iterable[tuple[str, str, str | None, str, str]]
    ) -> None:
        """Keep ``(row_key, lookup, query, found, verdict)`` rows of one reconcile, one commit."""
        now = _now()
        sql = (
            "INSERT INTO lookups (at, run_id, row_key, lookup, query, found, verdict) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        self.apply((sql, (now, run_id, *row)) for row in rows)

    def lookups(self, row_key: str | None = None) -> pl.DataFrame:
        """Every lookup reconcile made, oldest first (of one record when ``row_key`` is given)."""
        query = "SELECT seq, at, run_id, row_key, lookup, query, found, verdict FROM lookups"
        params: tuple[str, ...] = ()
        if row_key is not None:
            query += " WHERE row_key = ?"
            params = (row_key,)
        rows = self._db.execute(query + " ORDER BY seq", params).fetchall()
        names = ("at", "run_id", "row_key", "lookup", "query", "found", "verdict")
        schema = {"seq": pl.Int64, **dict.fromkeys(names, pl.String)}
        return pl.DataFrame(rows, schema=schema, orient="row")

    def send_times(self) -> dict[str, tuple[str, str]]:
        """Row key -> (first, last) time a ``sending`` was committed for it (ISO 8601, UTC)."""
        rows = self._db.execute(
            "SELECT row_key, MIN(at), MAX(at) FROM events WHERE status = 'sending' GROUP BY row_key"
        ).fetchall()
        return {str(key): (str(first), str(last)) for key, first, last in rows}


# -- changes: (SQL, parameters) pairs that Ledger.apply commits -----------------------------

Change = tuple[str, tuple[Any, ...]]
"""One statement of a ledger change. The SQL texts are a small fixed set, so sqlite3's
statement cache prepares each once per connection and reuses it."""

_PLANNED_SQL: Final = (
    "INSERT INTO records (row_key, status, title, payload_hash, run_id, updated) "
    "VALUES (?, 'planned', ?, ?, ?, ?) ON CONFLICT (row_key) DO UPDATE SET "
    "status = 'planned', title = excluded.title, "
    "payload_hash = excluded.payload_hash, run_id = excluded.run_id, "
    "reason = NULL, updated = excluded.updated "
    "WHERE records.status IN ('planned', 'failed', 'not_created', 'deleted')"
)
_EVENT_SQL: Final = (
    "INSERT INTO events (at, run_id, row_key, status, detail) VALUES (?, ?, ?, ?, ?)"
)
_IMPACT_SQL: Final = (
    "UPDATE records SET impact_status = ?, impact_id = COALESCE(?, impact_id), "
    "impact_reason = ?, updated = ? WHERE row_key = ?"
)


@functools.cache
def _upsert_sql(names: tuple[str, ...]) -> str:
    return (
        f"INSERT INTO records (row_key, {', '.join(names)}) "
        f"VALUES (?, {', '.join('?' * len(names))}) ON CONFLICT (row_key) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in names)
    )


def _upsert(
    row_key: str, run_id: str | None, status: str, detail: str | None, **values: object
) -> list[Change]:
    now = _now()
    columns = {"status": status, "run_id": run_id, "updated": now, **values}
    return [
        (_upsert_sql(tuple(columns)), (row_key, *columns.values())),
        (_EVENT_SQL, (now, run_id, row_key, status, detail)),
    ]


def sending_change(row_key: str, run_id: str, payload_hash: str) -> list[Change]:
    """The record is about to be sent, whatever its status (tests and tools; a push claims)."""
    now = _now()
    return _upsert(
        row_key,
        run_id,
        "sending",
        None,
        payload_hash=payload_hash,
        reason=None,
        send_run=run_id,
        first_sent=now,
    )


_CLAIM_SQL: Final = (
    "UPDATE records SET status = 'sending', payload_hash = ?, run_id = ?, send_run = ?, "
    "first_sent = COALESCE(first_sent, ?), reason = NULL, learned = NULL, updated = ? "
    f"WHERE row_key = ? AND status IN ({', '.join(repr(s) for s in CLAIMABLE)})"
)
# Written only when the statement before it changed a row: a refused claim leaves no event.
_CLAIM_EVENT_SQL: Final = (
    "INSERT INTO events (at, run_id, row_key, status, detail) "
    "SELECT ?, ?, ?, ?, ? WHERE changes() > 0"
)


def claim_change(row_key: str, run_id: str, payload_hash: str) -> list[Change]:
    """Claim the record for sending: ``sending`` only over a claimable status.

    The first statement changes one row when the claim is granted, none when the record is
    ``created``, ``sending``, ``unknown`` (another run holds it, or it may exist) or absent.
    """
    now = _now()
    return [
        (_CLAIM_SQL, (payload_hash, run_id, run_id, now, now, row_key)),
        (_CLAIM_EVENT_SQL, (now, run_id, row_key, "sending", None)),
    ]


def release_change(row_key: str, run_id: str, reason: str) -> list[Change]:
    """Give back a claim whose request never left: ``planned`` again, with ``reason``.

    Only this run's own ``sending`` is released (a no-op when the claim was not granted).
    """
    now = _now()
    return [
        (
            "UPDATE records SET status = 'planned', reason = ?, updated = ? "
            "WHERE row_key = ? AND status = 'sending' AND run_id = ?",
            (reason, now, row_key, run_id),
        ),
        (_CLAIM_EVENT_SQL, (now, run_id, row_key, "planned", reason)),
    ]


def claim_impact_change(row_key: str, run_id: str) -> list[Change]:
    """Claim a created record's customer impact for sending: ``pending``, ``failed``, or none
    yet (a record reconcile found never had its impact sent)."""
    now = _now()
    return [
        (
            "UPDATE records SET impact_status = 'sending', impact_reason = NULL, updated = ? "
            "WHERE row_key = ? AND status = 'created' "
            "AND (impact_status IS NULL OR impact_status IN ('pending', 'failed'))",
            (now, row_key),
        ),
        (_CLAIM_EVENT_SQL, (now, run_id, row_key, "impact_sending", None)),
    ]


def release_impact_change(row_key: str, run_id: str, reason: str) -> list[Change]:
    """Give back an impact claim whose request never left: ``pending`` again."""
    now = _now()
    return [
        (
            "UPDATE records SET impact_status = 'pending', impact_reason = ?, updated = ? "
            "WHERE row_key = ? AND impact_status = 'sending'",
            (reason, now, row_key),
        ),
        (_CLAIM_EVENT_SQL, (now, run_id, row_key, "impact_pending", reason)),
    ]


def created_change(
    row_key: str,
    run_id: str,
    *,
    incident_id: str,
    public_id: int | None,
    url: str | None,
    impact_pending: bool,
    detail: str | None = None,
    learned: Learned = "sent",
) -> list[Change]:
    """Datadog created the incident (``learned``: how we know it is ours, see the module)."""
    return _upsert(
        row_key,
        run_id,
        "created",
        detail or incident_id,
        incident_id=incident_id,
        public_id=public_id,
        url=url,
        reason=None,
        impact_status="pending" if impact_pending else None,
        learned=learned,
    )


def outcome_change(
    row_key: str, run_id: str, status: Literal["failed", "unknown"], reason: str
) -> list[Change]:
    """The request failed (nothing created) or its outcome is unknown (it may exist)."""
    return _upsert(row_key, run_id, status, reason, reason=reason)


def impact_change(
    row_key: str,
    run_id: str,
    status: ImpactStatus,
    *,
    impact_id: str | None = None,
    reason: str | None = None,
) -> list[Change]:
    """The customer-impact step of a created record."""
    now = _now()
    return [
        (_IMPACT_SQL, (status, impact_id, reason, now, row_key)),
        (_EVENT_SQL, (now, run_id, row_key, f"impact_{status}", reason or impact_id)),
    ]
