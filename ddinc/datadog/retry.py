"""What to do after each attempt: retries that can never create a duplicate incident.

The rules, by what happened:

============================================  ==============================  =================
what happened                                 reads (GET, DELETE)             writes (import,
                                                                              impact POST)
============================================  ==============================  =================
could not connect (request certainly unsent)  retry with backoff              retry with backoff
429 (not processed, says Datadog)             wait for the reset, retry       wait, retry
timeout, dropped connection after sending     retry with backoff and jitter   outcome UNKNOWN
5xx                                           retry with backoff and jitter   outcome UNKNOWN
other 4xx                                     raise                           raise
============================================  ==============================  =================

A 429 is waited out only up to ``RetryPolicy.max_server_wait`` (default
:data:`~ddinc.datadog.ratelimit.MAX_SERVER_WAIT`): one asking for longer raises
:class:`~ddinc.datadog.errors.RateLimitedError` at once. An answer whose body cannot be decoded
(corrupt compression) is handled as its status says; a 2xx one raises
:class:`~ddinc.datadog.errors.UndecodableResponseError`, or for an import an unknown outcome.

An unknown outcome raises :class:`~ddinc.datadog.errors.OutcomeUnknownError` (for imports
:class:`~ddinc.datadog.errors.ImportOutcomeUnknownError`, carrying the request) so that the push
layer reconciles instead of resending. (The official Python client retries POSTs on 5xx;
that can create duplicates, so this one does not.)

:func:`exchange` is the one retry loop both clients run. It does no I/O: it is a generator
that yields :class:`Wait` (the driver sleeps) or :data:`SEND` (the driver sends the request
and sends back the ``httpx.Response`` or the ``httpx.TransportError``), and returns the final
response. The sync client drives it with ``time.sleep``, the async one with ``asyncio.sleep``.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass
from typing import Final

import httpx

from ddinc.datadog.errors import (
    DatadogConnectionError,
    ImportOutcomeUnknownError,
    OutcomeUnknownError,
    RateLimitedError,
    UndecodableResponseError,
    answered_by_datadog,
    error_from_response,
    request_id_of,
    via_of,
)
from ddinc.datadog.models import error_messages
from ddinc.datadog.operations import Call
from ddinc.datadog.ratelimit import (
    MAX_SERVER_WAIT,
    Pacer,
    RateLimiter,
    RateLimitHeaders,
    Slot,
    wait_after_429,
)

__all__ = [
    "BACKOFF_INITIAL",
    "BACKOFF_MAX",
    "BACKOFF_MULTIPLIER",
    "MAX_CONNECT_ATTEMPTS",
    "MAX_RATE_LIMIT_RETRIES",
    "MAX_READ_ATTEMPTS",
    "SEND",
    "Exchange",
    "Received",
    "RetryPolicy",
    "Send",
    "Undecodable",
    "Wait",
    "exchange",
    "may_have_been_sent",
]

MAX_READ_ATTEMPTS: Final = 4
"""Attempts of a read (GET, DELETE) that times out, loses its connection or gets a 5xx."""

MAX_CONNECT_ATTEMPTS: Final = 4
"""Attempts of any request whose connection could not be opened (so it was never sent)."""

MAX_RATE_LIMIT_RETRIES: Final = 8
"""Retries of one request answered 429, each after the window's reset."""

BACKOFF_INITIAL: Final = 0.5
"""First backoff, in seconds; doubled each attempt up to :data:`BACKOFF_MAX`."""

BACKOFF_MULTIPLIER: Final = 2.0
BACKOFF_MAX: Final = 8.0


# Errors raised before any byte of the request left: resending cannot duplicate anything.
_NOT_SENT: Final = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


def may_have_been_sent(error: httpx.TransportError) -> bool:
    """Whether the server may have received the request before ``error``.

    Examples
    --------
    >>> may_have_been_sent(httpx.ConnectError("refused"))
    False
    >>> may_have_been_sent(httpx.ReadTimeout("no answer"))
    True
    """
    return not isinstance(error, _NOT_SENT)


@dataclass(frozen=True)
class RetryPolicy:
    """The retry limits and backoff; the defaults are the module's named constants."""

    max_read_attempts: int = MAX_READ_ATTEMPTS
    max_connect_attempts: int = MAX_CONNECT_ATTEMPTS
    max_rate_limit_retries: int = MAX_RATE_LIMIT_RETRIES
    backoff_initial: float = BACKOFF_INITIAL
    backoff_multiplier: float = BACKOFF_MULTIPLIER
    backoff_max: float = BACKOFF_MAX
    max_server_wait: float = MAX_SERVER_WAIT
    """Longest wait a server's 429 may impose, in seconds; one asking more raises."""

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), with jitter.

        Half the exponential delay is fixed, half is random ("equal jitter"), so that many
        clients failing together do not retry together, yet none retries at once.

        Examples
        --------
        >>> policy = RetryPolicy()
        >>> rng = random.Random(0)
        >>> [0.25 <= policy.backoff(1, rng) <= 0.5, 4.0 <= policy.backoff(9, rng) <= 8.0]
        [True, True]
        """
        base = min(
            self.backoff_initial * self.backoff_multiplier ** (attempt - 1), self.backoff_max
        )
        return base / 2 + rng.uniform(0, base / 2)


@dataclass(frozen=True)
class Wait:
    """The driver should sleep this many seconds, then resume the exchange with None."""

    seconds: float


class Send:
    """The driver should send the request and resume with the response or transport error."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SEND"


SEND: Final = Send()


@dataclass(frozen=True)
class Undecodable:
    """An answer whose body could not be decoded (corrupt gzip, say): status and headers only.

    The driver sends it back instead of the response when reading the body raised
    ``httpx.DecodingError``: the answer came, so an import may have been applied.
    """

    status: int
    headers: httpx.Headers
    error: httpx.DecodingError

    def without_body(self) -> httpx.Response:
        """The answer with an empty body, for the rules that only need status and headers."""
        kept = [
            (key, value)
            for key, value in self.headers.multi_items()
            if key.lower() not in ("content-encoding", "content-length")
        ]
        return httpx.Response(self.status, headers=kept, content=b"")


Received = httpx.Response | httpx.TransportError | Undecodable
Exchange = Generator[Wait | Send, Received | None, httpx.Response]


def _reason(error: httpx.TransportError) -> str:
    kind = type(error).__name__
    detail = str(error).strip()
    if isinstance(error, httpx.TimeoutException):
        return f"no answer within the timeout ({kind})"
    return f"{kind}: {detail}" if detail else kind


def _unknown(
    call: Call, reason: str, host: str, response: httpx.Response | None
) -> OutcomeUnknownError:
    status = response.status_code if response is not None else None
    messages = error_messages(response.content) if response is not None else []
    request_id = request_id_of(response.headers) if response is not None else None
    if call.request is not None:
        return ImportOutcomeUnknownError(
            reason,
            request=call.request,
            host=host,
            status=status,
            messages=messages,
            request_id=request_id,
        )
    return OutcomeUnknownError(
        reason,
        operation=call.operation,
        host=host,
        status=status,
        messages=messages,
        request_id=request_id,
    )


def _who_answered(response: httpx.Response, host: str) -> str:
    """'Datadog answered 503', unless the answer came from something else on the way."""
    status = response.status_code
    if answered_by_datadog(response.headers, response.content):
        return f"Datadog answered {status}"
    via = via_of(response.headers)
    relayed = f", Via: {via}" if via else ""
    return (
        f"{host} answered {status} without Datadog's headers or error body{relayed}: a proxy "
        "or gateway on the way answered, and may or may not have passed the request on"
    )


def _undecodable(
    call: Call, answer: Undecodable, host: str
) -> UndecodableResponseError | ImportOutcomeUnknownError:
    """The error for a success answer whose body could not be decoded."""
    problem = f"its body could not be decoded: {answer.error}"
    error = UndecodableResponseError(
        problem, operation=call.operation, host=host, status=answer.status
    )
    if call.request is None:
        return error
    unknown = ImportOutcomeUnknownError(
        f"Datadog answered {answer.status} but {problem}, so the incident was probably "
        "created and its id is not known",
        request=call.request,
        host=host,
        status=answer.status,
        request_id=request_id_of(answer.headers),
    )
    unknown.__cause__ = error
    return unknown


def _wait_too_long(
    call: Call, response: httpx.Response, wait: float, cap: float, host: str
) -> RateLimitedError:
    """A 429 asking for a longer wait than the client will sleep."""
    return RateLimitedError(
        response.status_code,
        error_messages(response.content),
        asked_wait=wait,
        max_wait=cap,
        operation=call.operation,
        method=call.method,
        path=call.path,
        host=host,
        request_id=request_id_of(response.headers),
        rate_limit=RateLimitHeaders.parse(response.headers),
    )


@dataclass
class _Failures:
    """How many attempts of one call failed, by kind."""

    reads: int = 0
    connects: int = 0
    throttled: int = 0


def _reserve(pacer: Pacer) -> Generator[Wait, None, Slot]:
    """Wait for a slot from the pacer; give it back if cancelled before sending."""
    while True:
        slot = pacer.reserve()
        if not slot.granted:
            yield Wait(slot.delay)
            continue
        if slot.delay > 0:
            try:
                yield Wait(slot.delay)
            except GeneratorExit:
                pacer.abandon()
                raise
        return slot


def _retry_transport_error(
    call: Call,
    error: httpx.TransportError,
    *,
    failures: _Failures,
    policy: RetryPolicy,
    rng: random.Random,
    host: str,
) -> float:
    """The wait before retrying after ``error``; raises when it must not be retried."""
    if not may_have_been_sent(error):
        failures.connects += 1
        if failures.connects < policy.max_connect_attempts:
            return policy.backoff(failures.connects, rng)
        raise DatadogConnectionError(
            _reason(error), operation=call.operation, host=host, sent=False
        ) from error
    if call.write:
        raise _unknown(call, _reason(error), host, None) from error
    failures.reads += 1
    if failures.reads < policy.max_read_attempts:
        return policy.backoff(failures.reads, rng)
    raise DatadogConnectionError(
        _reason(error), operation=call.operation, host=host, sent=True
    ) from error


def _retry_status(
    call: Call,
    response: httpx.Response,
    *,
    failures: _Failures,
    policy: RetryPolicy,
    rng: random.Random,
    host: str,
) -> float | None:
    """The wait before retrying after an error answer; None when the answer is final."""
    status = response.status_code
    if status == 429 and failures.throttled < policy.max_rate_limit_retries:
        # Not processed: safe to send again once the window resets (the pacer holds us).
        failures.throttled += 1
        return 0.0
    if status >= 500:
        if call.write:
            raise _unknown(call, _who_answered(response, host), host, response)
        failures.reads += 1
        if failures.reads < policy.max_read_attempts:
            return policy.backoff(failures.reads, rng)
    if status == 404 and call.method == "DELETE" and failures.reads:
        return None  # an earlier attempt whose answer was lost did delete it
    raise error_from_response(
        status,
        response.content,
        response.headers,
        operation=call.operation,
        method=call.method,
        path=call.path,
        host=host,
    )


def exchange(
    call: Call,
    *,
    limiter: RateLimiter,
    policy: RetryPolicy,
    rng: random.Random,
    host: str,
) -> Exchange:
    """Run ``call`` to a final answer: pacing, retries, and the mapping of errors.

    Returns
    -------
    httpx.Response
        A 2xx answer; or a 404 to a DELETE retried after an attempt whose outcome was
        unknown (the first attempt deleted it).

    Raises
    ------
    DatadogAPIError
        A subclass for the status, when Datadog answered with an error.
    OutcomeUnknownError
        When a write timed out, lost its connection after sending, or got a 5xx.
    DatadogConnectionError
        When no answer came after the allowed attempts.
    """
    failures = _Failures()
    while True:
        pacer = limiter.pacer(call.operation)
        slot = yield from _reserve(pacer)
        try:
            result = yield SEND
        except GeneratorExit:
            # The driver was cancelled mid-request: free the slot, then let it go.
            pacer.complete(None, status=None, window=slot.window)
            raise
        if result is None:
            pacer.abandon()
            raise RuntimeError("exchange() was resumed without a response after SEND")
        undecodable = result if isinstance(result, Undecodable) else None
        if isinstance(result, Undecodable):
            result = result.without_body()
        if isinstance(result, httpx.TransportError):
            pacer.complete(None, status=None, window=slot.window)
            delay = _retry_transport_error(
                call, result, failures=failures, policy=policy, rng=rng, host=host
            )
            yield Wait(delay)
            continue
        headers = RateLimitHeaders.parse(result.headers)
        retry_after = wait_after_429(result.headers) if result.status_code == 429 else None
        pacer.complete(
            headers, status=result.status_code, retry_after=retry_after, window=slot.window
        )
        limiter.learn(call.operation, headers)
        if retry_after is not None and retry_after > policy.max_server_wait:
            raise _wait_too_long(call, result, retry_after, policy.max_server_wait, host)
        if result.is_success:
            if undecodable is not None:
                raise _undecodable(call, undecodable, host)
            return result
        wait = _retry_status(call, result, failures=failures, policy=policy, rng=rng, host=host)
        if wait is None:
            return result
        if wait > 0:
            yield Wait(wait)
