"""Group commit: what a worker awaits is on disk before it goes on; batches share commits."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from ddinc.push.journal import Journal
from ddinc.push.ledger import Ledger, created_change, outcome_change, sending_change


def _on_disk(path: Path) -> dict[str, str]:
    """Statuses as another connection (another process would) reads them: committed only."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return dict(db.execute("SELECT row_key, status FROM records").fetchall())


def test_commit_returns_once_the_change_is_committed(tmp_path: Path) -> None:
    path = tmp_path / "l.ledger"
    with Ledger(path) as ledger:

        async def main() -> dict[str, str]:
            journal = Journal(ledger)
            await journal.commit(sending_change("a", "run", "h"))
            return _on_disk(path)

        assert asyncio.run(main()) == {"a": "sending"}


def test_workers_of_one_turn_share_one_transaction(tmp_path: Path) -> None:
    path = tmp_path / "l.ledger"
    with Ledger(path) as ledger:
        journal = Journal(ledger)
        seen: list[dict[str, str]] = []

        async def worker(key: str) -> None:
            await journal.commit(sending_change(key, "run", "h"))
            seen.append(_on_disk(path))

        async def main() -> None:
            await asyncio.gather(*(worker(f"k{i:02d}") for i in range(32)))

        asyncio.run(main())
        assert journal.transactions == 1
        # Every worker saw its own row (and all the others) committed before going on.
        assert all(len(rows) == 32 and set(rows.values()) == {"sending"} for rows in seen)


def test_a_recorded_outcome_is_committed_before_a_later_commit_returns(tmp_path: Path) -> None:
    path = tmp_path / "l.ledger"
    with Ledger(path) as ledger:
        journal = Journal(ledger)

        async def main() -> dict[str, str]:
            await journal.commit(sending_change("a", "run", "h"))
            journal.record(
                created_change(
                    "a", "run", incident_id="i", public_id=1, url=None, impact_pending=False
                )
            )
            journal.record(outcome_change("b", "run", "failed", "400"))
            assert _on_disk(path) == {"a": "sending"}  # not waited for: still queued
            await journal.commit(sending_change("c", "run", "h"))
            return _on_disk(path)

        assert asyncio.run(main()) == {"a": "created", "b": "failed", "c": "sending"}
        assert ledger.events("a").get_column("status").to_list() == ["sending", "created"]


def test_flush_commits_what_is_queued(tmp_path: Path) -> None:
    path = tmp_path / "l.ledger"
    with Ledger(path) as ledger:
        journal = Journal(ledger)

        async def main() -> None:
            journal.record(outcome_change("a", "run", "unknown", "timeout"))
            journal.flush()  # before the loop turns: at once
            assert _on_disk(path) == {"a": "unknown"}

        asyncio.run(main())


def test_a_failed_commit_reaches_the_waiters_and_every_later_flush(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.ledger")
    journal = Journal(ledger)
    ledger.close()  # every write now fails

    async def main() -> None:
        with pytest.raises(sqlite3.ProgrammingError):
            await journal.commit(sending_change("a", "run", "h"))
        with pytest.raises(sqlite3.ProgrammingError):
            await journal.commit(sending_change("b", "run", "h"))

    asyncio.run(main())
    with pytest.raises(sqlite3.ProgrammingError):
        journal.flush()
