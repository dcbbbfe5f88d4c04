"""Reading Datadog's rate-limit headers and pacing requests so they stay under the limit.

Datadog answers every call with ``x-ratelimit-limit`` (requests per window),
``x-ratelimit-period`` (window seconds), ``x-ratelimit-remaining``, ``x-ratelimit-reset``
(seconds until the window resets) and ``x-ratelimit-name`` (the bucket). A 429 means the
request was not processed.

:class:`Pacer` keeps one bucket under its limit for any number of concurrent callers,
threads or tasks. It is pure bookkeeping over an injectable clock (it never sleeps): a caller
asks :meth:`Pacer.reserve` for a slot, sleeps the returned delay in its own way, sends, and
reports the answer with :meth:`Pacer.complete`. Three rules:

1. Until the first answer tells the limit, one request at a time (a probe), so a burst of
   concurrent first requests cannot overrun a small limit.
2. Then requests start evenly spaced at :data:`PACING_SAFETY` times the advertised rate, or
   slower when less than that is left in the window (another client shares the bucket).
   A slot is granted at most one spacing ahead, so that answers in between are heeded.
3. When the estimate of what is left in the window reaches zero, nobody starts until the
   window resets; after a 429, nobody starts until its ``x-ratelimit-reset`` has passed.

``reset`` has whole-second resolution, so windows of a second or two are paced conservatively
(no 429s, but well under the rate); Datadog's windows are ten seconds or more.

:class:`RateLimiter` maps operations to pacers and merges operations that turn out to share a
bucket (same ``x-ratelimit-name``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

__all__ = [
    "MIN_RATE_LIMIT_WAIT",
    "PACING_SAFETY",
    "PROBE_POLL_INTERVAL",
    "RATE_LIMIT_FALLBACK_WAIT",
    "Pacer",
    "PacerState",
    "RateLimitHeaders",
    "RateLimiter",
    "Slot",
    "wait_after_429",
]

PACING_SAFETY: Final = 0.95
"""Fraction of the advertised rate the pacer aims at: room for clock skew and jitter."""

PROBE_POLL_INTERVAL: Final = 0.01
"""How often a caller waiting behind the probe asks again, in seconds."""

RATE_LIMIT_FALLBACK_WAIT: Final = 1.0
"""Wait after a 429 that carries no ``x-ratelimit-reset``, in seconds."""

MIN_RATE_LIMIT_WAIT: Final = 0.2
"""Shortest wait after a 429: a reset of ``0`` still means 'not yet'."""

_RESET_PADDING: Final = 0.05
_RESET_RESOLUTION: Final = 1.0
_LOOKAHEAD_TOLERANCE: Final = 1e-3


@dataclass(frozen=True)
class RateLimitHeaders:
    """The ``x-ratelimit-*`` headers of one answer.

    Examples
    --------
    >>> RateLimitHeaders.parse({"x-ratelimit-limit": "60", "x-ratelimit-period": "10",
    ...     "x-ratelimit-remaining": "59", "x-ratelimit-reset": "7",
    ...     "x-ratelimit-name": "incidents_import"})
    RateLimitHeaders(limit=60, period=10.0, remaining=59, reset=7.0, name='incidents_import')
    >>> RateLimitHeaders.parse({"content-type": "application/json"}) is None
    True
    """

    limit: int
    period: float
    remaining: int
    reset: float
    name: str | None = None

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> RateLimitHeaders | None:
        """The headers, or None when they are absent or unreadable (lenient: never raises)."""
        lowered = {key.lower(): value for key, value in headers.items()}
        try:
            limit = int(lowered["x-ratelimit-limit"])
            period = float(lowered["x-ratelimit-period"])
            remaining = int(lowered["x-ratelimit-remaining"])
            reset = float(lowered["x-ratelimit-reset"])
        except (KeyError, ValueError):
            return None
        finite = all(math.isfinite(v) for v in (period, reset))
        if limit <= 0 or period <= 0 or remaining < 0 or reset < 0 or not finite:
            return None
        return cls(limit, period, remaining, reset, lowered.get("x-ratelimit-name") or None)

    def wait_after_429(self) -> float:
        """How long to wait before retrying a request this 429 answer refused."""
        return max(self.reset + _RESET_PADDING, MIN_RATE_LIMIT_WAIT)


def wait_after_429(headers: Mapping[str, str]) -> float:
    """Seconds to wait after a 429: ``x-ratelimit-reset``, else ``Retry-After``, else a default."""
    parsed = RateLimitHeaders.parse(headers)
    if parsed is not None:
        return parsed.wait_after_429()
    lowered = {key.lower(): value for key, value in headers.items()}
    for key in ("x-ratelimit-reset", "retry-after"):
        try:
            seconds = float(lowered[key])
        except (KeyError, ValueError):
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return max(seconds + _RESET_PADDING, MIN_RATE_LIMIT_WAIT)
    return RATE_LIMIT_FALLBACK_WAIT


@dataclass(frozen=True)
class Slot:
    """A pacer's answer: wait ``delay`` seconds, then send if ``granted``, else ask again."""

    delay: float
    granted: bool


@dataclass(frozen=True)
class PacerState:
    """A snapshot of what a pacer knows, for notebooks and benchmarks."""

    name: str | None
    limit: int | None
    period: float | None
    remaining_estimate: int | None
    seconds_to_reset: float | None
    in_flight: int
    throttled: int


class Pacer:
    """Keeps one rate-limit bucket under its limit for concurrent callers.

    Parameters
    ----------
    safety
        Fraction of the advertised rate to aim at.
    clock
        Monotonic seconds; injectable so tests can simulate time.
    """

    def __init__(
        self, *, safety: float = PACING_SAFETY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not 0 < safety <= 1:
            raise ValueError("safety must be in (0, 1]")
        self._safety = safety
        self._clock = clock
        self._lock = threading.Lock()
        self._known = False  # an answer has arrived (limited or not)
        self._limit: int | None = None
        self._period: float | None = None
        self._name: str | None = None
        self._remaining = 0  # estimate of what is left in the window, net of in-flight requests
        self._window_end = 0.0
        self._window_seen = False  # an answer has confirmed the current window
        self._next_start = 0.0
        self._in_flight = 0
        self._hold_until = 0.0  # after a 429, nobody starts before this
        self._margin = 0.0  # added to the window end before assuming a fresh window
        self._throttled = 0  # 429 answers seen

    # -- the two calls every request makes -------------------------------------------------

    def reserve(self) -> Slot:
        """Reserve a start time for one request; pair every granted slot with :meth:`complete`."""
        with self._lock:
            now = self._clock()
            if now < self._hold_until:
                return Slot(self._hold_until - now, granted=False)
            if not self._known:
                if self._in_flight:
                    return Slot(PROBE_POLL_INTERVAL, granted=False)
                self._in_flight += 1
                self._next_start = now  # the probe's start: pacing counts from it
                return Slot(0.0, granted=True)
            if self._limit is None or self._period is None:
                self._in_flight += 1
                return Slot(0.0, granted=True)
            self._roll_window(now)
            if self._remaining <= 0:
                wake = self._window_end + self._margin
                return Slot(max(wake - now, PROBE_POLL_INTERVAL), granted=False)
            start = max(now, self._next_start)
            spread = self._period / (self._limit * self._safety)
            if start - now > spread + _LOOKAHEAD_TOLERANCE:
                # Too far ahead: ask again nearer the time, when answers in between have
                # told more (a slot once granted cannot be taken back).
                return Slot(start - now - spread, granted=False)
            # Spread what is left over what is left of the window, minus the header's resolution
            # (whole seconds): optimistic on purpose, the zero-remaining rule above is the guard.
            left = max(self._window_end - _RESET_RESOLUTION - start, 0.0) / self._remaining
            self._next_start = start + max(spread, left)
            self._remaining -= 1
            self._in_flight += 1
            return Slot(start - now, granted=True)

    def complete(
        self,
        headers: RateLimitHeaders | None,
        *,
        status: int | None,
        retry_after: float | None = None,
    ) -> None:
        """Record how a granted request ended.

        Parameters
        ----------
        headers
            Its rate-limit headers, when the answer had them.
        status
            The HTTP status, or None when no answer came (connection lost, timeout).
        retry_after
            For a 429, how long nobody may start (see :func:`wait_after_429`); defaults to the
            headers' reset.
        """
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            now = self._clock()
            throttled = status == 429
            if throttled:
                self._throttled += 1
            if headers is not None:
                self._observe(headers, now)
            elif status is not None and not throttled:
                self._known = True  # answered without limits: nothing to pace
            if throttled:
                wait = retry_after
                if wait is None:
                    wait = RATE_LIMIT_FALLBACK_WAIT if headers is None else headers.wait_after_429()
                self._hold_until = max(self._hold_until, now + wait)

    def abandon(self) -> None:
        """Give back a granted slot whose request was never sent."""
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            if self._limit is not None:
                self._remaining += 1

    # -- bookkeeping ------------------------------------------------------------------------

    def _observe(self, headers: RateLimitHeaders, now: float) -> None:
        first = self._limit is None
        self._known = True
        self._limit, self._period, self._name = headers.limit, headers.period, headers.name
        if first:
            self._next_start += headers.period / (headers.limit * self._safety)
        end = now + headers.reset
        # Requests still in flight may not be counted in this answer yet: assume they are not.
        remaining = headers.remaining - self._in_flight
        slack = min(_RESET_RESOLUTION, headers.period / 2)
        if first or end > self._window_end + slack:
            self._window_end, self._remaining = end, remaining  # a new window
        elif end < self._window_end - slack:
            if self._window_seen:
                return  # a late answer from an earlier window: it says nothing about this one
            # We assumed a fresh window but the server still counts the old one: our estimate
            # of its end was early (reset rounded down?); go back, and wait longer next time.
            self._window_end, self._remaining = end, remaining
            self._margin = _RESET_RESOLUTION
        else:
            # Answers arrive out of order: within a window, the lowest count is the truest.
            self._window_end = max(self._window_end, end)
            self._remaining = min(self._remaining, remaining)
        self._window_seen = True

    def _roll_window(self, now: float) -> None:
        if self._limit is None or self._period is None or now < self._window_end + self._margin:
            return
        # The window we knew has ended without news: assume a fresh one.
        periods = math.floor((now - self._window_end - self._margin) / self._period) + 1
        self._window_end += periods * self._period
        self._remaining = self._limit - self._in_flight
        self._window_seen = False

    def state(self) -> PacerState:
        """What the pacer currently knows."""
        with self._lock:
            now = self._clock()
            limited = self._limit is not None
            return PacerState(
                name=self._name,
                limit=self._limit,
                period=self._period,
                remaining_estimate=self._remaining if limited else None,
                seconds_to_reset=max(self._window_end - now, 0.0) if limited else None,
                in_flight=self._in_flight,
                throttled=self._throttled,
            )


class RateLimiter:
    """One :class:`Pacer` per rate-limit bucket, found by operation and merged by name.

    Before its first answer an operation has a pacer of its own; when an answer names the
    bucket (``x-ratelimit-name``) and another operation already paces that bucket, both use
    the same pacer from then on.
    """

    def __init__(
        self, *, safety: float = PACING_SAFETY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._safety = safety
        self._clock = clock
        self._lock = threading.Lock()
        self._by_operation: dict[str, Pacer] = {}
        self._by_name: dict[str, Pacer] = {}

    def pacer(self, operation: str) -> Pacer:
        """The pacer of an operation."""
        with self._lock:
            found = self._by_operation.get(operation)
            if found is None:
                found = Pacer(safety=self._safety, clock=self._clock)
                self._by_operation[operation] = found
            return found

    def learn(self, operation: str, headers: RateLimitHeaders | None) -> None:
        """Note the bucket an operation's answer named, merging pacers that share it."""
        if headers is None or headers.name is None:
            return
        with self._lock:
            current = self._by_operation.get(operation)
            fresh = current or Pacer(safety=self._safety, clock=self._clock)
            shared = self._by_name.setdefault(headers.name, fresh)
            self._by_operation[operation] = shared

    def states(self) -> dict[str, PacerState]:
        """What every operation's pacer knows, by operation."""
        with self._lock:
            pacers = dict(self._by_operation)
        return {operation: pacer.state() for operation, pacer in pacers.items()}
