"""One request, one outcome: the only place that decides "created, failed or unknown".

Every write ddinc sends (an incident import, a customer impact; one at a time in a push, many
at once in :mod:`ddinc.datadog.bulk`) ends through :func:`classify`:

- ``created``: the server answered success; ``value`` is the parsed answer;
- ``failed``: nothing was created, it may be fixed and sent again: the server refused it
  (:class:`~ddinc.datadog.errors.DatadogAPIError`), it never left
  (:class:`~ddinc.datadog.errors.DatadogConnectionError` with ``sent=False``), or it was
  refused before sending (:class:`~ddinc.errors.InvalidRequestError`);
- ``unknown``: it may exist, look it up before sending it again: a timeout, a dropped
  connection or a 5xx after sending (:class:`~ddinc.datadog.errors.OutcomeUnknownError`, or a
  connection error with ``sent=True``), a success answer that could not be read, or an
  unexpected exception after the request was started (``unexpected``: a bug, which the caller
  records, then raises).

``stops_run`` says when every later request would end the same way, so a run should stop
sending: a 401, a 403, or a 429 asking for a longer wait than the client's cap
(``RetryPolicy.max_server_wait``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, TypeVar

from ddinc.datadog.errors import (
    DatadogAPIError,
    DatadogConnectionError,
    ForbiddenError,
    OutcomeUnknownError,
    RateLimitedError,
    UnauthorizedError,
)
from ddinc.errors import DatadogError, InvalidRequestError

__all__ = ["INTERRUPTED", "OutcomeStatus", "Sent", "classify", "send_one"]

OutcomeStatus = Literal["created", "failed", "unknown"]
_T = TypeVar("_T")

INTERRUPTED: Final = "interrupted while in flight"
"""The reason of a request whose run was cancelled or interrupted after it left."""


@dataclass(frozen=True)
class Sent(Generic[_T]):
    """How one request ended."""

    status: OutcomeStatus
    value: _T | None = None
    """The parsed answer, when created."""
    error: BaseException | None = None
    """What ended it, when not created."""
    reason: str | None = None
    """Why it failed or is unknown, in words (for the ledger and the results)."""
    stops_run: bool = False
    """Every later request would end the same way: stop sending."""
    unexpected: bool = False
    """An exception that is no Datadog outcome (a bug): record ``unknown``, then raise it."""

    @classmethod
    def interrupted(cls) -> Sent[Any]:
        """The outcome of a request cancelled or interrupted while in flight."""
        return cls("unknown", reason=INTERRUPTED)


def _stops_run(error: DatadogAPIError) -> bool:
    # A 429 asking for more than the client's cap would hold every later request for the cap
    # and then fail it the same way.
    too_long = isinstance(error, RateLimitedError) and error.asked_wait is not None
    return too_long or isinstance(error, (UnauthorizedError, ForbiddenError))


def classify(error: Exception) -> Sent[Any]:
    """The outcome of a request that raised ``error`` after it was started."""
    if isinstance(error, OutcomeUnknownError):
        return Sent("unknown", error=error, reason=error.reason)
    if isinstance(error, DatadogConnectionError):
        if error.sent:
            return Sent("unknown", error=error, reason=error.reason)
        return Sent("failed", error=error, reason=str(error))
    if isinstance(error, DatadogAPIError):
        return Sent("failed", error=error, reason=str(error), stops_run=_stops_run(error))
    if isinstance(error, InvalidRequestError):
        return Sent("failed", error=error, reason=str(error))
    if isinstance(error, DatadogError):  # a success answer that could not be read
        return Sent("unknown", error=error, reason=str(error))
    reason = f"the request ended with an unexpected {type(error).__name__} after it was started"
    return Sent("unknown", error=error, reason=reason, unexpected=True)


async def send_one(call: Callable[[], Awaitable[_T]]) -> Sent[_T]:
    """Send one request (``call``) and return its outcome; never raises an ``Exception``.

    A cancellation or ``KeyboardInterrupt`` goes through: the caller records
    :meth:`Sent.interrupted` for it.
    """
    try:
        value = await call()
    except Exception as error:
        return classify(error)
    return Sent("created", value)
