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
change is also appended to ``events`` (an audit trail), and every run to ``runs``.

Durability: WAL journal, one commit per change, before and after every request, from the one
thread that opened the ledger (SQLite refuses other threads). A process killed at any instant
leaves the last committed state: at worst a record ``sending``, which ``reconcile`` resolves.
(``synchronous=NORMAL``: safe against a killed process; a power cut may lose the last
commits.) The ledger never holds keys: only row keys, ids, hashes, reasons and the API root.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
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
    "ImpactStatus",
    "Ledger",
    "LedgerRecord",
    "Status",
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

    def _write(self, statements: Iterator[tuple[str, tuple[Any, ...]]]) -> None:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            for sql, params in statements:
                self._db.execute(sql, params)

    def _set(
        self,
        row_key: str,
        run_id: str | None,
        status: str,
        detail: str | None,
        **values: object,
    ) -> None:
        now = _now()
        columns = {"status": status, "run_id": run_id, "updated": now, **values}

        def statements() -> Iterator[tuple[str, tuple[Any, ...]]]:
            names = list(columns)
            yield (
                f"INSERT INTO records (row_key, {', '.join(names)}) "
                f"VALUES (?, {', '.join('?' * len(names))}) ON CONFLICT (row_key) DO UPDATE SET "
                + ", ".join(f"{name} = excluded.{name}" for name in names),
                (row_key, *columns.values()),
            )
            yield (
                "INSERT INTO events (at, run_id, row_key, status, detail) VALUES (?, ?, ?, ?, ?)",
                (now, run_id, row_key, status, detail),
            )

        self._write(statements())

    def mark_planned(self, run_id: str, rows: Sequence[tuple[str, str | None, str]]) -> None:
        """Record ``(row_key, title, payload_hash)`` as planned, in one commit.

        Only records that are new, failed or not created become planned: nothing that may
        exist in Datadog is ever downgraded.
        """
        now = _now()

        def statements() -> Iterator[tuple[str, tuple[Any, ...]]]:
            for row_key, title, digest in rows:
                yield (
                    "INSERT INTO records (row_key, status, title, payload_hash, run_id, updated) "
                    "VALUES (?, 'planned', ?, ?, ?, ?) ON CONFLICT (row_key) DO UPDATE SET "
                    "status = 'planned', title = excluded.title, "
                    "payload_hash = excluded.payload_hash, run_id = excluded.run_id, "
                    "reason = NULL, updated = excluded.updated "
                    "WHERE records.status IN ('planned', 'failed', 'not_created', 'deleted')",
                    (row_key, title, digest, run_id, now),
                )

        self._write(statements())

    def mark_sending(self, row_key: str, run_id: str, payload_hash: str) -> None:
        """Committed before the import request leaves."""
        self._set(row_key, run_id, "sending", None, payload_hash=payload_hash, reason=None)

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
        self._set(
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

    def mark_failed(self, row_key: str, run_id: str, reason: str) -> None:
        """Datadog refused it, or it was never sent."""
        self._set(row_key, run_id, "failed", reason, reason=reason)

    def mark_unknown(self, row_key: str, run_id: str, reason: str) -> None:
        """It may have been created: reconcile before sending it again."""
        self._set(row_key, run_id, "unknown", reason, reason=reason)

    def mark_not_created(self, row_key: str, run_id: str, reason: str) -> None:
        """Reconcile found no such incident: a later push may send it."""
        self._set(row_key, run_id, "not_created", reason, reason=reason, incident_id=None)

    def mark_deleted(self, row_key: str, run_id: str, incident_id: str) -> None:
        """Rollback deleted the incident."""
        self._set(row_key, run_id, "deleted", incident_id, impact_status=None)

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
        now = _now()

        def statements() -> Iterator[tuple[str, tuple[Any, ...]]]:
            yield (
                "UPDATE records SET impact_status = ?, impact_id = COALESCE(?, impact_id), "
                "impact_reason = ?, updated = ? WHERE row_key = ?",
                (status, impact_id, reason, now, row_key),
            )
            yield (
                "INSERT INTO events (at, run_id, row_key, status, detail) VALUES (?, ?, ?, ?, ?)",
                (now, run_id, row_key, f"impact_{status}", reason or impact_id),
            )

        self._write(statements())
