"""Group commit: what a worker awaits is on disk before it goes on; batches share commits;
one exchange per request: claimed, sent, recorded, given back when it never left."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ddinc.datadog import DatadogConnectionError
from ddinc.datadog.outcome import INTERRUPTED, Sent
from ddinc.push.journal import Journal
from ddinc.push.ledger import (
    Change,
    Ledger,
    claim_change,
    created_change,
    outcome_change,
    release_change,
    sending_change,
)


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


def _claimable(ledger: Ledger, *keys: str) -> None:
    ledger.mark_planned("run", [(key, None, "h") for key in keys])


def _settle(key: str) -> Callable[[Sent[str]], list[Change]]:
    def settle(sent: Sent[str]) -> list[Change]:
        if sent.status == "created":
            return created_change(
                key, "run", incident_id=str(sent.value), public_id=1, url=None, impact_pending=False
            )
        return outcome_change(key, "run", sent.status, sent.reason or "")

    return settle


def _exchange(journal: Journal, key: str, call: Callable[[], Awaitable[str]]) -> Any:
    return journal.exchange(
        call,
        claim=claim_change(key, "run", "h"),
        release=release_change(key, "run", "not sent: interrupted"),
        settle=_settle(key),
    )


def test_an_exchange_claims_sends_and_records_once(tmp_path: Path) -> None:
    path = tmp_path / "l.ledger"
    with Ledger(path) as ledger:
        _claimable(ledger, "a")
        calls: list[str] = []

        async def call() -> str:
            calls.append("sent")
            assert _on_disk(path) == {"a": "sending"}  # claimed on disk before it left
            return "incident-a"

        async def main() -> tuple[Any, Any]:
            journal = Journal(ledger)
            first = await _exchange(journal, "a", call)
            second = await _exchange(journal, "a", call)  # created: not claimable again
            journal.flush()
            return first, second

        first, second = asyncio.run(main())
        assert (first.status, first.value, second) == ("created", "incident-a", None)
        assert calls == ["sent"]
        assert _on_disk(path) == {"a": "created"}


def test_an_exchange_classifies_a_refusal_and_raises_a_bug_after_recording_it(
    tmp_path: Path,
) -> None:
    with Ledger(tmp_path / "l.ledger") as ledger:
        _claimable(ledger, "a", "b")

        async def refused() -> str:
            raise DatadogConnectionError("refused", operation="Op", host="h", sent=False)

        async def buggy() -> str:
            raise KeyError("bug")

        async def main() -> Any:
            journal = Journal(ledger)
            try:
                sent = await _exchange(journal, "a", refused)
                with pytest.raises(KeyError):
                    await _exchange(journal, "b", buggy)
                return sent
            finally:
                journal.flush()

        sent = asyncio.run(main())
        assert (sent.status, sent.stops_run) == ("failed", False)
        assert ledger.get("a").status == "failed"  # type: ignore[union-attr]
        b = ledger.get("b")
        assert b is not None
        assert (b.status, b.reason) == ("unknown", sent_unexpectedly("KeyError"))


def sent_unexpectedly(name: str) -> str:
    return f"the request ended with an unexpected {name} after it was started"


def test_cancelled_before_its_request_left_a_claim_is_given_back(tmp_path: Path) -> None:
    path = tmp_path / "l.ledger"
    with Ledger(path) as ledger:
        _claimable(ledger, "a")
        calls: list[str] = []

        async def call() -> str:
            calls.append("sent")
            return "never"

        async def main() -> None:
            journal = Journal(ledger)
            task = asyncio.create_task(_exchange(journal, "a", call))
            await asyncio.sleep(0)  # the claim is queued, its commit scheduled
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            journal.flush()

        asyncio.run(main())
        assert calls == []
        a = ledger.get("a")
        assert a is not None
        assert (a.status, a.reason) == ("planned", "not sent: interrupted")
        assert ledger.events("a").get_column("status").to_list() == ["sending", "planned"]


def test_cancelled_in_flight_a_request_is_unknown(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.ledger") as ledger:
        _claimable(ledger, "a")

        async def main() -> None:
            journal = Journal(ledger)
            started = asyncio.Event()

            async def call() -> str:
                started.set()
                await asyncio.Event().wait()  # no answer, ever
                return "never"

            task = asyncio.create_task(_exchange(journal, "a", call))
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            journal.flush()

        asyncio.run(main())
        a = ledger.get("a")
        assert a is not None
        assert (a.status, a.reason) == ("unknown", INTERRUPTED)
