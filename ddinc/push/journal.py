"""Group commit: the ledger writes of a push's workers, batched into few transactions.

A push has up to ``concurrency`` requests in flight on one event loop. Committing each
ledger change alone costs a transaction per change (two or more per request), run on the
loop's thread where it holds up every worker. The journal queues changes instead and commits
everything queued in one transaction, once per turn of the event loop: the workers that woke
in the same turn (a burst of answers, the start of the run) share one commit.

Two kinds of write, and the guarantee:

- :meth:`Journal.commit` (``sending`` before an import or an impact leaves) waits until its
  transaction is committed: **no request leaves before its ``sending`` row is on disk**.
- :meth:`Journal.record` (an outcome: created, failed, unknown) does not wait; it is
  committed with the next batch, at the latest when the worker's next ``sending`` is (a
  batch commits in queue order) or when the run :meth:`flushes <Journal.flush>` at its end.

A process killed before an outcome's batch commits leaves that record ``sending``, exactly as
if it had been killed while the request was in flight: reconcile resolves it. If a commit
fails (a full disk, a locked file), every worker waiting on it gets the error, no request of
that batch leaves, and the run stops with the error.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from ddinc.push.ledger import Change, Ledger

__all__ = ["Journal"]


class Journal:
    """Batched writes to ``ledger`` from the tasks of one event loop (create it on that loop).

    Parameters
    ----------
    ledger
        The ledger written; only this journal writes to it while the push runs.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.transactions = 0
        """How many transactions it committed (for benchmarks and tests)."""
        self._queued: list[Change] = []
        self._waiting: list[asyncio.Future[None]] = []
        self._scheduled = False
        self._failure: BaseException | None = None

    def record(self, changes: Iterable[Change]) -> None:
        """Queue ``changes``; they are committed with the next batch (do not wait)."""
        self._queued.extend(changes)
        self._schedule()

    async def commit(self, changes: Iterable[Change]) -> None:
        """Queue ``changes`` and return once they (and all queued before) are committed."""
        self._queued.extend(changes)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._schedule()
        await waiter

    def flush(self) -> None:
        """Commit everything queued now, in one transaction (at the end of a run, and on errors).

        After a failed commit the journal is broken: this and every later call raise that
        error, and nothing more is written (the records involved stay ``sending``).
        """
        queued, self._queued = self._queued, []
        waiting, self._waiting = self._waiting, []
        self._scheduled = False
        try:
            if self._failure is not None:
                raise self._failure
            if queued:
                self.ledger.apply(queued)
                self.transactions += 1
        except Exception as error:
            self._failure = error
            for waiter in waiting:
                if not waiter.done():
                    waiter.set_exception(error)
            raise
        for waiter in waiting:
            if not waiter.done():  # a cancelled worker's waiter is done already
                waiter.set_result(None)

    def _schedule(self) -> None:
        if self._scheduled:
            return
        self._scheduled = True
        # call_soon runs after the callbacks already ready in this turn: every worker woken
        # in the same turn queues its change before the batch commits.
        asyncio.get_running_loop().call_soon(self._flush_soon)

    def _flush_soon(self) -> None:
        # A failure is handed to the waiters, and raised again by every later flush().
        with contextlib.suppress(Exception):
            self.flush()
