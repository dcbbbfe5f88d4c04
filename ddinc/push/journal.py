"""Group commit: the ledger writes of a push's workers, batched into few transactions.

A push has up to ``concurrency`` requests in flight on one event loop. Committing each
ledger change alone costs a transaction per change (two or more per request), run on the
loop's thread where it holds up every worker. The journal queues changes instead and commits
everything queued in one transaction, once per turn of the event loop: the workers that woke
in the same turn (a burst of answers, the start of the run) share one commit.

A request goes through one call, :meth:`Journal.exchange`: claim, send, record.

- the claim (``sending`` over a claimable status, compare and set) waits until its
  transaction is committed, and the request leaves only if it was granted: **no request
  leaves before its ``sending`` row is on disk**, and none for a record another run holds;
- the outcome (created, failed, unknown, decided once by :func:`ddinc.datadog.outcome.classify`)
  does not wait; it is committed with the next batch, at the latest when the worker's next
  claim is (a batch commits in queue order) or when the run :meth:`flushes <Journal.flush>`;
- cancelled before its request left, the claim is released (``planned`` again, "not sent:
  interrupted"); cancelled while in flight, the outcome is ``unknown``.

:meth:`Journal.commit` and :meth:`Journal.record` are the two halves, for other writes.

A process killed before an outcome's batch commits leaves that record ``sending``, exactly as
if it had been killed while the request was in flight: reconcile resolves it. If a commit
fails (a full disk, a locked file), every worker waiting on it gets the error, no request of
that batch leaves, and the run stops with the error.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from ddinc.datadog.outcome import Sent, send_one
from ddinc.push.ledger import Change, Ledger

__all__ = ["Journal"]

_T = TypeVar("_T")


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
        # Each entry: changes, and the future of a commit() waiting for their row counts.
        self._queued: list[tuple[list[Change], asyncio.Future[list[int]] | None]] = []
        self._scheduled = False
        self._failure: BaseException | None = None

    def record(self, changes: Iterable[Change]) -> None:
        """Queue ``changes``; they are committed with the next batch (do not wait)."""
        self._queued.append((list(changes), None))
        self._schedule()

    async def commit(self, changes: Iterable[Change]) -> list[int]:
        """Queue ``changes``; once they (and all queued before) are committed, return how many
        rows each of them changed."""
        waiter: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._queued.append((list(changes), waiter))
        self._schedule()
        return await waiter

    async def exchange(
        self,
        call: Callable[[], Awaitable[_T]],
        *,
        claim: Sequence[Change],
        release: Sequence[Change],
        settle: Callable[[Sent[_T]], Iterable[Change]],
    ) -> Sent[_T] | None:
        """One request with its ledger writes: claim, send, record; None when not claimed.

        ``claim``'s first statement must change one row when granted (see
        :func:`~ddinc.push.ledger.claim_change`); ``release`` gives the claim back when the
        run is cancelled before the request leaves; ``settle`` turns the outcome into the
        changes recorded. An unexpected exception (a bug) is recorded ``unknown``, then raised.
        """
        try:
            granted = (await self.commit(claim))[0] == 1
        except BaseException:
            self.record(release)  # a no-op unless the claim was committed
            raise
        if not granted:
            return None
        try:
            sent = await send_one(call)
        except BaseException:
            self.record(settle(Sent.interrupted()))
            raise
        self.record(settle(sent))
        if sent.unexpected and sent.error is not None:
            raise sent.error
        return sent

    def flush(self) -> None:
        """Commit everything queued now, in one transaction (at the end of a run, and on errors).

        After a failed commit the journal is broken: this and every later call raise that
        error, and nothing more is written (the records involved stay ``sending``).
        """
        queued, self._queued = self._queued, []
        self._scheduled = False
        counts: list[int] = []
        try:
            if self._failure is not None:
                raise self._failure
            if queued:
                counts = self.ledger.apply(change for changes, _ in queued for change in changes)
                self.transactions += 1
        except Exception as error:
            self._failure = error
            for _, waiter in queued:
                if waiter is not None and not waiter.done():
                    waiter.set_exception(error)
            raise
        start = 0
        for changes, waiter in queued:
            end = start + len(changes)
            if waiter is not None and not waiter.done():  # a cancelled worker's is done
                waiter.set_result(counts[start:end])
            start = end

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
