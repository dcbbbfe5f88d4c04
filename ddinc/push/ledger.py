"""The ledger: a SQLite file that says, for every row key, what happened to it in Datadog.

One row per record (``records``), keyed by row key, with its status:

``planned``     selected and ready, not sent yet;
``sending``     the request is about to leave (committed *before* sending);
``created``     Datadog answered 201: ``incident_id``, ``public_id`` and ``url`` are set;
``failed``      Datadog refused it, or it was never sent: nothing was created (``reason``);
``unknown``     a timeout, dropped connection or 5xx after sending: it may exist;
``not_created`` reconcile looked it up and it does not exist: it may be sent again;
``deleted``     rollback deleted the incident.

Plus the hash of the payload sent and the run that sent it, and the customer-impact step
(``impact_status``: ``pending``, ``sending``, ``created``, ``failed``, ``unknown``). Every
change is also appended to ``events`` (an audit trail), and every run to ``runs``; every
lookup reconcile makes (when, which query, what it found, its verdict) to ``lookups``.

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

import functools
import json
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, Self

import polars as pl

from ddinc.errors import ConfigError

__all__ = [
    "SCHEMA_VERSION",
    "STATUSES",
    "Change",
    "ImpactStatus",
    "Ledger",
    "LedgerRecord",
    "Status",
    "created_change",
    "impact_change",
    "outcome_change",
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
SCHEMA_VERSION: Final = 1

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT, started TEXT NOT NULL,
    finished TEXT, summary TEXT
);
CREATE TABLE IF NOT EXISTS records (
    row_key TEXT PRIMARY KEY, status TEXT NOT NULL, title TEXT, payload_hash TEXT,
    run_id TEXT, incident_id TEXT, public_id INTEGER, url TEXT, reason TEXT,
    impact_status TEXT, impact_id TEXT, impact_reason TEXT, updated TEXT NOT NULL
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
)
_FRAME_SCHEMA: Final = {name: (pl.Int64 if name == "public_id" else pl.String) for name in _COLUMNS}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


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
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            raise ConfigError(
                f"{self.path} cannot be used as a ledger ({error}): give a new file name or an "
                "existing ddinc ledger"
            ) from None
        version = self.meta("schema_version")
        if version is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif int(version) != SCHEMA_VERSION:
            raise ConfigError(
                f"ledger {self.path} has schema version {version}; this ddinc reads "
                f"{SCHEMA_VERSION}"
            )

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
        """Close the file."""
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
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def start_run(self, kind: str, target: str | None) -> str:
        """Record the start of a push, reconcile or rollback; return its run id."""
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
        self._db.execute(
            "INSERT INTO runs (run_id, kind, target, started) VALUES (?, ?, ?, ?)",
            (run_id, kind, target, _now()),
        )
        return run_id

    def finish_run(self, run_id: str, summary: dict[str, Any]) -> None:
        """Record the end of a run, with its counts."""
        self._db.execute(
            "UPDATE runs SET finished = ?, summary = ? WHERE run_id = ?",
            (_now(), json.dumps(summary, sort_keys=True), run_id),
        )

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
        """Records, optionally only with these statuses or last written by one run."""
        query = f"SELECT {', '.join(_COLUMNS)} FROM records WHERE 1 = 1"
        params: list[str] = []
        if statuses is not None:
            wanted = list(statuses)
            query += f" AND status IN ({', '.join('?' * len(wanted))})"
            params.extend(wanted)
        if run_id is not None:
            query += " AND run_id = ?"
            params.append(run_id)
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

    def apply(self, changes: Iterable[Change]) -> None:
        """Commit ``changes`` (from the ``*_change`` builders) in one transaction, in order.

        Either all of them are committed or none: a process killed during the commit leaves
        the ledger as it was before. This is how :class:`ddinc.push.journal.Journal` writes a
        batch of records at once (group commit).
        """
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            for sql, params in changes:
                self._db.execute(sql, params)

    def mark_planned(self, run_id: str, rows: Sequence[tuple[str, str | None, str]]) -> None:
        """Record ``(row_key, title, payload_hash)`` as planned, in one commit.

        Only records that are new, failed or not created become planned: nothing that may
        exist in Datadog is ever downgraded.
        """
        now = _now()
        self.apply((_PLANNED_SQL, (key, title, digest, run_id, now)) for key, title, digest in rows)

    def mark_sending(self, row_key: str, run_id: str, payload_hash: str) -> None:
        """Committed before the import request leaves."""
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
    ) -> None:
        """Datadog created the incident (answered 201, or found by reconcile)."""
        self.apply(
            created_change(
                row_key,
                run_id,
                incident_id=incident_id,
                public_id=public_id,
                url=url,
                impact_pending=impact_pending,
                detail=detail,
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
        self.apply(_upsert(row_key, run_id, "deleted", incident_id, impact_status=None))

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
    """The record is about to be sent (commit it before the request leaves)."""
    return _upsert(row_key, run_id, "sending", None, payload_hash=payload_hash, reason=None)


def created_change(
    row_key: str,
    run_id: str,
    *,
    incident_id: str,
    public_id: int | None,
    url: str | None,
    impact_pending: bool,
    detail: str | None = None,
) -> list[Change]:
    """Datadog created the incident."""
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
