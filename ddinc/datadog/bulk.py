"""Many imports at once, with bounded concurrency and exactly one outcome per started record.

Every record whose import was started ends as exactly one :class:`ImportOutcome`:

- ``created``: Datadog answered 201; ``incident_id`` is the new incident;
- ``failed``: Datadog refused it (``error`` is a :class:`~ddinc.datadog.errors.DatadogAPIError`)
  or it could never be sent (:class:`~ddinc.datadog.errors.DatadogConnectionError`); nothing
  was created, so it can be fixed and sent again;
- ``unknown``: a timeout, a dropped connection, a 5xx or an unreadable answer after sending,
  a run interrupted or cancelled while it was in flight, or an unexpected error
  (``error`` is an :class:`~ddinc.datadog.errors.ImportOutcomeUnknownError`); reconcile
  before resending.

The contract the push layer relies on (``on_start`` / ``on_outcome``)
---------------------------------------------------------------------
``import_many_sync(requests, import_one, *, concurrency, on_start=None, on_outcome=None)``
and ``import_many_async(...)`` (and the clients' ``import_many``, which call them):

1. A record is *started* when it is taken from ``requests`` and handed to a worker. Just
   before that, ``on_start(index, request)`` is called (write-ahead: a crash after this call
   leaves the record "in doubt", never "not sent"). If ``on_start`` raises, that record is
   not sent and gets no outcome; the run stops as on any error (below).
2. Every started record gets exactly one outcome, passed to ``on_outcome(outcome)`` exactly
   once, before the same outcome is yielded. This holds whatever the consumer does: it may
   iterate to the end, ``break`` (which closes the generator), call ``close()`` /
   ``aclose()``, or stop because an error is raised. On an early stop nothing new is started,
   the imports in flight finish, and their outcomes go to ``on_outcome`` (they can no longer
   be yielded). An import whose end cannot be known (the run was interrupted by
   ``KeyboardInterrupt``, the task was cancelled, an unexpected exception) gets an ``unknown``
   outcome.
3. Sync: ``on_start`` and ``on_outcome`` are called in the thread that iterates or closes the
   generator, one at a time, never in a worker thread: a SQLite connection opened in that
   thread may be used in them. Async: they are called in the event loop's thread (from the
   worker tasks, as soon as each outcome settles, even if nobody iterates any more).
4. Outcomes come in completion order; ``index`` is the record's position in ``requests``.
5. If ``on_outcome`` raises, nothing new is started, the in-flight outcomes are still passed
   to it (each call attempted), and the first callback error is raised at the end.
6. A 401 or 403 stops the run the same way (every later record would fail alike), and so
   does a 429 asking for a longer wait than ``RetryPolicy.max_server_wait``; the error is
   raised after the outcomes. Which errors these are, and whether an error is ``failed`` or
   ``unknown``, is decided by :func:`ddinc.datadog.outcome.classify`, the one classification
   the push uses too. An error from ``requests`` itself (building a request
   failed) stops the run too, and is raised after the in-flight outcomes.

Python closes a sync generator abandoned by ``break`` as soon as the ``for`` loop drops it;
one kept in a variable is closed when the variable goes: wrap it in ``contextlib.closing``
(``contextlib.aclosing`` for the async one) to make the moment explicit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass
from typing import Final

from ddinc.datadog.errors import DatadogAPIError, ImportOutcomeUnknownError
from ddinc.datadog.models import IncidentImportRequest, IncidentImportResponse
from ddinc.datadog.outcome import OutcomeStatus, classify
from ddinc.errors import ConfigError, DatadogError

__all__ = [
    "DEFAULT_CONCURRENCY",
    "ImportOutcome",
    "OutcomeCallback",
    "OutcomeStatus",
    "StartCallback",
    "import_many_async",
    "import_many_sync",
]

DEFAULT_CONCURRENCY: Final = 16
"""Imports in flight at once; the pacer keeps them under the rate limit whatever this is."""


@dataclass(frozen=True)
class ImportOutcome:
    """How one record's import ended."""

    index: int
    request: IncidentImportRequest
    status: OutcomeStatus
    response: IncidentImportResponse | None = None
    error: DatadogError | None = None

    @property
    def incident_id(self) -> str | None:
        """The created incident's UUID, when created."""
        return self.response.incident_id if self.response is not None else None

    @property
    def title(self) -> str:
        """The record's title."""
        return self.request.title


OutcomeCallback = Callable[[ImportOutcome], None]
"""Called once per started record with its outcome (see the module docstring)."""

StartCallback = Callable[[int, IncidentImportRequest], None]
"""Called with ``(index, request)`` just before a record is handed to a worker."""


def _check_concurrency(concurrency: int) -> None:
    if concurrency < 1:
        raise ConfigError(f"concurrency {concurrency} is below 1: use 1 for one at a time.")


def _unknown(index: int, request: IncidentImportRequest, reason: str, host: str) -> ImportOutcome:
    """An outcome for an import that may have been sent but whose end nobody saw."""
    error = ImportOutcomeUnknownError(reason, request=request, host=host)
    return ImportOutcome(index, request, "unknown", error=error)


def _unexpected(error: BaseException) -> str:
    return f"the import ended with an unexpected {type(error).__name__} after it was started"


class _Run:
    """What one run shares between its loop and its workers: stop flag and first errors."""

    def __init__(self, on_outcome: OutcomeCallback | None, host: str) -> None:
        self.on_outcome = on_outcome
        self.host = host
        self.fatal: list[DatadogAPIError] = []
        self.failure: list[BaseException] = []

    def attempt(
        self, index: int, request: IncidentImportRequest, error: Exception
    ) -> ImportOutcome:
        """The outcome of an import that raised ``error`` (see :func:`classify`)."""
        sent = classify(error)
        if sent.unexpected:
            self.failure.append(error)
            return _unknown(index, request, _unexpected(error), self.host)
        if sent.stops_run and isinstance(error, DatadogAPIError):
            self.fatal.append(error)
        if sent.status == "unknown" and not isinstance(error, ImportOutcomeUnknownError):
            # Unknown for another reason (sent, then no answer): say so with the request.
            return _unknown(index, request, sent.reason or str(error), self.host)
        assert isinstance(error, DatadogError)  # not unexpected: a Datadog outcome
        return ImportOutcome(index, request, sent.status, error=error)

    def deliver(self, outcome: ImportOutcome) -> BaseException | None:
        """Hand ``outcome`` to the callback; its error, if it raised, is kept and returned."""
        if self.on_outcome is None:
            return None
        try:
            self.on_outcome(outcome)
        except Exception as error:
            self.failure.append(error)
            return error
        return None

    @property
    def stopping(self) -> bool:
        return bool(self.fatal or self.failure)

    def raise_first(self) -> None:
        if self.failure:
            raise self.failure[0]
        if self.fatal:
            raise self.fatal[0]


def import_many_sync(
    requests: Iterable[IncidentImportRequest],
    import_one: Callable[[IncidentImportRequest], IncidentImportResponse],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_start: StartCallback | None = None,
    on_outcome: OutcomeCallback | None = None,
    host: str = "Datadog",
) -> Generator[ImportOutcome, None, None]:
    """Run ``import_one`` over ``requests`` on ``concurrency`` threads, yielding outcomes.

    See the module docstring for the contract of ``on_start`` and ``on_outcome``; ``host``
    names the server in the messages of outcomes made up here (interrupted, unexpected).

    Raises
    ------
    ConfigError
        At once, when ``concurrency`` is below 1.
    """
    _check_concurrency(concurrency)
    return _sync_outcomes(
        requests, import_one, concurrency=concurrency, on_start=on_start, run=_Run(on_outcome, host)
    )


def _sync_outcomes(
    requests: Iterable[IncidentImportRequest],
    import_one: Callable[[IncidentImportRequest], IncidentImportResponse],
    *,
    concurrency: int,
    on_start: StartCallback | None,
    run: _Run,
) -> Generator[ImportOutcome, None, None]:
    source = enumerate(requests)
    pending: dict[Future[IncidentImportResponse], tuple[int, IncidentImportRequest]] = {}

    def settle(future: Future[IncidentImportResponse]) -> ImportOutcome:
        index, request = pending.pop(future)
        try:
            return ImportOutcome(index, request, "created", response=future.result())
        except Exception as error:
            return run.attempt(index, request, error)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ddinc-import") as pool:
        try:
            while True:
                while not run.stopping and len(pending) < concurrency:
                    try:
                        item = next(source, None)
                        if item is not None and on_start is not None:
                            on_start(*item)
                    except Exception as error:
                        run.failure.append(error)
                        break
                    if item is None:
                        break
                    pending[pool.submit(import_one, item[1])] = item
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    # Popped one at a time: if the consumer stops at this yield, the rest of
                    # ``done`` is still pending and gets its outcome in the drain below.
                    outcome = settle(future)
                    run.deliver(outcome)
                    yield outcome
        finally:
            # Raised here, not after: when the generator is being closed, this is the only
            # moment a failing callback can still be reported (close() raises it).
            callback_error = _drain_sync(pending, settle, run)
            if callback_error is not None:
                raise callback_error
    run.raise_first()


def _drain_sync(
    pending: dict[Future[IncidentImportResponse], tuple[int, IncidentImportRequest]],
    settle: Callable[[Future[IncidentImportResponse]], ImportOutcome],
    run: _Run,
) -> BaseException | None:
    """Wait for the imports in flight and hand their outcomes to the callback.

    Returns the callback's first error during the drain: when the generator is being closed
    it cannot be raised later, so the caller raises it at once.
    """
    first: BaseException | None = None
    try:
        for future in as_completed(list(pending)):
            error = run.deliver(settle(future))
            first = first or error
    except BaseException:
        # Interrupted while waiting (Ctrl-C): what is still in flight ends unknown.
        for future, (index, request) in list(pending.items()):
            future.cancel()
            reason = "the run was interrupted while this import was in flight"
            run.deliver(_unknown(index, request, reason, run.host))
        pending.clear()
        raise
    return first


def import_many_async(
    requests: Iterable[IncidentImportRequest],
    import_one: Callable[[IncidentImportRequest], Awaitable[IncidentImportResponse]],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_start: StartCallback | None = None,
    on_outcome: OutcomeCallback | None = None,
    host: str = "Datadog",
) -> AsyncGenerator[ImportOutcome, None]:
    """Run ``import_one`` over ``requests`` with ``concurrency`` tasks, yielding outcomes.

    See the module docstring for the contract of ``on_start`` and ``on_outcome``.

    Raises
    ------
    ConfigError
        At once, when ``concurrency`` is below 1.
    """
    _check_concurrency(concurrency)
    run = _Run(on_outcome, host)
    return _async_outcomes(_AsyncWorkers(requests, import_one, on_start, run), concurrency, run)


class _AsyncWorkers:
    """The tasks of one async run: each takes the next record, imports it, settles it."""

    def __init__(
        self,
        requests: Iterable[IncidentImportRequest],
        import_one: Callable[[IncidentImportRequest], Awaitable[IncidentImportResponse]],
        on_start: StartCallback | None,
        run: _Run,
    ) -> None:
        self.source = enumerate(requests)
        self.import_one = import_one
        self.on_start = on_start
        self.run = run
        self.stop = asyncio.Event()
        self.done_marker = object()
        self.queue: asyncio.Queue[ImportOutcome | object] = asyncio.Queue()

    def settle(self, outcome: ImportOutcome) -> None:
        # The callback runs here, in the worker, so that an outcome reaches it even when the
        # consumer has stopped iterating and not closed the generator yet.
        self.run.deliver(outcome)
        if self.run.stopping:
            self.stop.set()
        self.queue.put_nowait(outcome)

    async def one(self, index: int, request: IncidentImportRequest) -> None:
        try:
            response = await self.import_one(request)
        except asyncio.CancelledError:
            reason = "the run was cancelled while this import was in flight"
            self.settle(_unknown(index, request, reason, self.run.host))
            raise
        except Exception as error:
            self.settle(self.run.attempt(index, request, error))
        else:
            self.settle(ImportOutcome(index, request, "created", response=response))

    async def worker(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    item = next(self.source, None)
                    if item is not None and self.on_start is not None:
                        self.on_start(*item)
                except Exception as error:
                    self.run.failure.append(error)
                    self.stop.set()
                    return
                if item is None:
                    return
                await self.one(*item)
        finally:
            self.queue.put_nowait(self.done_marker)


async def _async_outcomes(
    workers: _AsyncWorkers, concurrency: int, run: _Run
) -> AsyncGenerator[ImportOutcome, None]:
    tasks = [asyncio.create_task(workers.worker()) for _ in range(concurrency)]
    try:
        finished = 0
        while finished < len(tasks):
            item = await workers.queue.get()
            if item is workers.done_marker:
                finished += 1
            elif isinstance(item, ImportOutcome):
                yield item
    finally:
        # Stopped early (by the caller or an error): start nothing new, let in-flight finish
        # (their outcomes reach the callback from the workers). If this wait is cancelled, the
        # workers are cancelled with it and report their imports as unknown.
        workers.stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    run.raise_first()
