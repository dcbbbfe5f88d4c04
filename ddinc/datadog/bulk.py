"""Many imports at once, with bounded concurrency and one outcome per record.

Every record ends as exactly one :class:`ImportOutcome`:

- ``created``: Datadog answered 201; ``incident_id`` is the new incident;
- ``failed``: Datadog refused it (``error`` is a :class:`~ddinc.datadog.errors.DatadogAPIError`)
  or it could never be sent (:class:`~ddinc.datadog.errors.DatadogConnectionError`); nothing
  was created, so it can be fixed and sent again;
- ``unknown``: a timeout, a dropped connection or a 5xx after sending
  (:class:`~ddinc.datadog.errors.ImportOutcomeUnknownError`); reconcile before resending.

Outcomes come in completion order; ``index`` is the record's position in the input. A 401 or
403 stops the run: no new record is sent, the ones in flight finish and are reported, then
the error is raised (every later record would fail the same way).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Final, Literal

from ddinc.datadog.errors import (
    DatadogAPIError,
    DatadogConnectionError,
    ForbiddenError,
    ImportOutcomeUnknownError,
    UnauthorizedError,
)
from ddinc.datadog.models import IncidentImportRequest, IncidentImportResponse
from ddinc.errors import ConfigError, DatadogError

__all__ = [
    "DEFAULT_CONCURRENCY",
    "FATAL_ERRORS",
    "ImportOutcome",
    "OutcomeStatus",
    "import_many_async",
    "import_many_sync",
]

DEFAULT_CONCURRENCY: Final = 16
"""Imports in flight at once; the pacer keeps them under the rate limit whatever this is."""

FATAL_ERRORS: Final = (UnauthorizedError, ForbiddenError)
"""Errors after which every other record would fail the same way."""

OutcomeStatus = Literal["created", "failed", "unknown"]


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


def _check_concurrency(concurrency: int) -> None:
    if concurrency < 1:
        raise ConfigError(f"concurrency {concurrency} is below 1: use 1 for one at a time.")


def _failed_or_unknown(
    index: int, request: IncidentImportRequest, error: DatadogError
) -> ImportOutcome:
    status: OutcomeStatus = "unknown" if isinstance(error, ImportOutcomeUnknownError) else "failed"
    return ImportOutcome(index, request, status, error=error)


_EXPECTED: Final = (DatadogAPIError, DatadogConnectionError, ImportOutcomeUnknownError)


def import_many_sync(
    requests: Iterable[IncidentImportRequest],
    import_one: Callable[[IncidentImportRequest], IncidentImportResponse],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Generator[ImportOutcome, None, None]:
    """Run ``import_one`` over ``requests`` on ``concurrency`` threads, yielding outcomes."""
    _check_concurrency(concurrency)
    fatal: list[DatadogAPIError] = []
    stop = threading.Event()

    def run(index: int, request: IncidentImportRequest) -> ImportOutcome:
        try:
            return ImportOutcome(index, request, "created", response=import_one(request))
        except _EXPECTED as error:
            if isinstance(error, FATAL_ERRORS):
                fatal.append(error)
                stop.set()
            return _failed_or_unknown(index, request, error)

    source = enumerate(requests)
    # An unexpected error (the source failing to build a request, a bug) stops sending, but
    # the imports in flight may create incidents: their outcomes are yielded before it is raised.
    failure: list[Exception] = []
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ddinc-import") as pool:
        pending: set[Future[ImportOutcome]] = set()
        try:
            while True:
                while not stop.is_set() and len(pending) < concurrency:
                    try:
                        item = next(source, None)
                    except Exception as error:
                        failure.append(error)
                        stop.set()
                        break
                    if item is None:
                        break
                    pending.add(pool.submit(run, *item))
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        outcome = future.result()
                    except Exception as error:
                        failure.append(error)
                        stop.set()
                        continue
                    yield outcome
        finally:
            # Stopped early (by the caller or an error): send nothing new, let in-flight finish.
            stop.set()
            wait(pending)
    if failure:
        raise failure[0]
    if fatal:
        raise fatal[0]


async def import_many_async(
    requests: Iterable[IncidentImportRequest],
    import_one: Callable[[IncidentImportRequest], Awaitable[IncidentImportResponse]],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> AsyncGenerator[ImportOutcome, None]:
    """Run ``import_one`` over ``requests`` with ``concurrency`` tasks, yielding outcomes."""
    _check_concurrency(concurrency)
    fatal: list[DatadogAPIError] = []
    stop = asyncio.Event()
    done_marker = object()
    queue: asyncio.Queue[ImportOutcome | object] = asyncio.Queue()
    source = enumerate(requests)

    async def worker() -> None:
        try:
            while not stop.is_set():
                item = next(source, None)
                if item is None:
                    return
                index, request = item
                try:
                    outcome = ImportOutcome(
                        index, request, "created", response=await import_one(request)
                    )
                except _EXPECTED as error:
                    if isinstance(error, FATAL_ERRORS):
                        fatal.append(error)
                        stop.set()
                    outcome = _failed_or_unknown(index, request, error)
                queue.put_nowait(outcome)
        finally:
            queue.put_nowait(done_marker)

    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        finished = 0
        while finished < len(tasks):
            item = await queue.get()
            if item is done_marker:
                finished += 1
            elif isinstance(item, ImportOutcome):
                yield item
        await asyncio.gather(*tasks)  # re-raises a worker's unexpected error
    finally:
        # Stopped early (by the caller or an error): send nothing new, let in-flight finish.
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    if fatal:
        raise fatal[0]
