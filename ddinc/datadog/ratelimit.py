"""Reading Datadog's rate-limit headers and pacing requests so they stay under the limit.

Datadog answers every call with ``x-ratelimit-limit`` (requests per window),
``x-ratelimit-period`` (window seconds), ``x-ratelimit-remaining``, ``x-ratelimit-reset``
(seconds until the window resets) and ``x-ratelimit-name`` (the bucket). A 429 means the
request was not processed. Datadog's windows are fixed and calendar aligned: what remains is a
budget for the current window that may be spent at once, and it refills when the window
resets. It is not a rate to spread evenly.

:class:`Pacer` keeps one bucket under its limit for any number of concurrent callers,
threads or tasks. It is pure bookkeeping over an injectable clock (it never sleeps): a caller
asks :meth:`Pacer.reserve` for a slot, sleeps the returned delay in its own way, sends, and
reports the answer with :meth:`Pacer.complete`. The rules:

1. Until the first answer tells the limit, one request at a time (a probe), so a burst of
   concurrent first requests cannot overrun a small limit.
2. While the window's budget (``x-ratelimit-remaining``, net of the requests in flight) lasts,
   every caller starts at once: concurrency is the only bound.
3. When the budget is spent, nobody starts until the window resets. Then one request probes
   the new window; its answer releases the new budget. (If the server rounded ``reset`` down
   and the probe was early, the pacer waits a second longer at every later window.)
4. After a 429, nobody starts until its ``x-ratelimit-reset`` has passed.
5. A learned limit lives as long as its window: when the window has ended and an answer comes
   without rate-limit headers, the limit is forgotten (one burst of 429s from a proxy or a
   fault must not slow the rest of the run).
6. No wait the server asks for is longer than ``max_wait`` (:data:`MAX_SERVER_WAIT` by
   default); the retry loop raises :class:`~ddinc.datadog.errors.RateLimitedError` when a
   429 asks for more.

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
    "MAX_SERVER_WAIT",
    "MIN_RATE_LIMIT_WAIT",
    "PROBE_POLL_INTERVAL",
    "RATE_LIMIT_FALLBACK_WAIT",
    "Pacer",
    "PacerState",
    "RateLimitHeaders",
    "RateLimiter",
    "Slot",
    "wait_after_429",
]

MAX_SERVER_WAIT: Final = 120.0
"""Longest wait, in seconds, that a server's answer can impose (``x-ratelimit-reset`` or
``Retry-After``); a 429 asking for more raises instead (``RetryPolicy.max_server_wait``)."""

PROBE_POLL_INTERVAL: Final = 0.01
"""How often a caller waiting behind a probe asks again, in seconds."""

RATE_LIMIT_FALLBACK_WAIT: Final = 1.0
"""Wait after a 429 that carries no ``x-ratelimit-reset``, in seconds."""

MIN_RATE_LIMIT_WAIT: Final = 0.2
"""Shortest wait after a 429: a reset of ``0`` still means 'not yet'."""

_RESET_PADDING: Final = 0.05
_RESET_RESOLUTION: Final = 1.0


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
    """A pacer's answer: wait ``delay`` seconds, then send if ``granted``, else ask again.

    ``window`` numbers the pacer's window the slot was granted in; hand it back to
    :meth:`Pacer.complete` so that a late answer to a request of an earlier window is not
    read as news about the current one.
    """

    delay: float
    granted: bool
    window: int | None = None


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
    max_wait
        Longest wait an answer can impose, in seconds (see :data:`MAX_SERVER_WAIT`).
    clock
        Monotonic seconds; injectable so tests can simulate time.
    """

    def __init__(
        self, *, max_wait: float = MAX_SERVER_WAIT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not max_wait > 0:
            raise ValueError("max_wait must be positive")
        self._max_wait = max_wait
        self._clock = clock
        self._lock = threading.Lock()
        self._known = False  # an answer has arrived (limited or not)
        self._limit: int | None = None
        self._period: float | None = None
        self._name: str | None = None
        # This window's budget is limit - ours - others: ``_ours`` counts the requests granted
        # in it (and those in flight when it began), ``_others`` is the least that the answers
        # prove other clients used. Subtracting every request in flight from each answer's
        # remaining instead would count ours twice and leave a tenth of each window unused.
        self._ours = 0
        self._others = 0
        self._before_roll = (0, 0, 0)  # ours, others and in flight when the window rolled
        self._window_end = 0.0
        self._window = 0  # numbers the windows this pacer has assumed, for late answers
        self._window_seen = False  # an answer has confirmed the current window
        self._probing = False  # a request probes a window not yet confirmed
        self._in_flight = 0
        self._hold_until = 0.0  # after a 429, nobody starts before this
        self._margin = 0.0  # added to the window end before assuming a fresh window
        self._throttled = 0  # 429 answers seen

    # -- the two calls every request makes -------------------------------------------------

    def reserve(self) -> Slot:
        """Reserve a start for one request; pair every granted slot with :meth:`complete`."""
        with self._lock:
            now = self._clock()
            if now < self._hold_until:
                return Slot(self._hold_until - now, granted=False)
            if not self._known:
                return self._probe(now)
            if self._limit is None:
                self._in_flight += 1
                return Slot(0.0, granted=True, window=self._window)
            self._roll_window(now)
            if not self._window_seen:
                return self._probe(now)
            if self._remaining() <= 0:
                wake = self._window_end + self._margin
                return Slot(max(wake - now, PROBE_POLL_INTERVAL), granted=False)
            self._ours += 1
            self._in_flight += 1
            return Slot(0.0, granted=True, window=self._window)

    def _remaining(self) -> int:
        return (self._limit or 0) - self._ours - self._others

    def _probe(self, now: float) -> Slot:
        """One request alone, to learn the limit or confirm a new window."""
        if self._probing:
            return Slot(PROBE_POLL_INTERVAL, granted=False)
        self._probing = True
        self._in_flight += 1
        self._ours += 1
        return Slot(0.0, granted=True, window=self._window)

    def complete(
        self,
        headers: RateLimitHeaders | None,
        *,
        status: int | None,
        retry_after: float | None = None,
        window: int | None = None,
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
            headers' reset. Capped at ``max_wait``.
        window
            The granted slot's ``window``; None counts the answer as one of this window.
        """
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            now = self._clock()
            late = window is not None and window != self._window
            if not late:
                self._probing = False
            throttled = status == 429
            if throttled:
                self._throttled += 1
                wait = retry_after
                if wait is None:
                    wait = RATE_LIMIT_FALLBACK_WAIT if headers is None else headers.wait_after_429()
                self._hold_until = max(self._hold_until, now + min(wait, self._max_wait))
            if late:
                return  # an answer to a request of an earlier window: no news about this one
            if headers is not None:
                self._observe(headers, now)
            elif status is not None and not throttled:
                self._answered_without_limits(now)

    def abandon(self) -> None:
        """Give back a granted slot whose request was never sent."""
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            self._probing = False
            self._ours = max(self._ours - 1, 0)

    # -- bookkeeping ------------------------------------------------------------------------

    def _answered_without_limits(self, now: float) -> None:
        self._known = True
        if self._limit is not None and (not self._window_seen or now >= self._window_end):
            # The learned limit's window is over and the server no longer states one.
            self._limit = self._period = self._name = None
            self._window += 1

    def _observe(self, headers: RateLimitHeaders, now: float) -> None:
        first = self._limit is None
        self._known = True
        self._limit, self._period, self._name = headers.limit, headers.period, headers.name
        end = now + min(headers.reset, self._max_wait)
        counted = headers.limit - headers.remaining  # by the server, this answer's request too
        # Answers of one window disagree on its end by the rounding of reset and the latency;
        # those of the next one say about a period later.
        slack = headers.period / 2
        if not first and not self._window_seen and end < self._window_end - slack:
            # We assumed a fresh window but the server still counts the old one: our estimate
            # of its end was early (reset rounded down); go back to it, wait longer next time.
            self._margin = _RESET_RESOLUTION
            self._window_end = end
            self._ours += self._before_roll[0] - self._before_roll[2]
            self._others = max(self._before_roll[1], counted - self._ours)
        elif first or end > self._window_end + slack or end < self._window_end - slack:
            # A new window: this answer's request and every one in flight may count in it.
            self._window_end = end
            self._ours = self._in_flight + 1
            self._others = max(counted - self._ours, 0)
            # Answers to requests granted before now may still tell of the old window.
            self._window += 1
        else:
            # Within one window the earliest end is the tightest (reset is whole seconds:
            # rounded up, each answer overshoots the end).
            self._window_end = min(self._window_end, end) if self._window_seen else end
            self._others = max(self._others, counted - self._ours)
        self._window_seen = True

    def _roll_window(self, now: float) -> None:
        if self._limit is None or self._period is None or now < self._window_end + self._margin:
            return
        # The window we knew has ended: assume a fresh one, to be confirmed by a probe.
        # At least one: ``now - end - margin`` can round to just below zero.
        periods = max(math.floor((now - self._window_end - self._margin) / self._period) + 1, 1)
        self._window_end += periods * self._period
        # What the old window's count was, in case the probe finds it is not over yet.
        self._before_roll = (self._ours, self._others, self._in_flight)
        self._ours = self._in_flight  # sent late in the old window, they may count in this one
        self._others = 0
        self._window_seen = False
        self._probing = False
        self._window += 1

    def state(self) -> PacerState:
        """What the pacer currently knows."""
        with self._lock:
            now = self._clock()
            limited = self._limit is not None
            return PacerState(
                name=self._name,
                limit=self._limit,
                period=self._period,
                remaining_estimate=self._remaining() if limited else None,
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
        self, *, max_wait: float = MAX_SERVER_WAIT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._max_wait = max_wait
        self._clock = clock
        self._lock = threading.Lock()
        self._by_operation: dict[str, Pacer] = {}
        self._by_name: dict[str, Pacer] = {}

    def pacer(self, operation: str) -> Pacer:
        """The pacer of an operation."""
        with self._lock:
            found = self._by_operation.get(operation)
            if found is None:
                found = Pacer(max_wait=self._max_wait, clock=self._clock)
                self._by_operation[operation] = found
            return found

    def learn(self, operation: str, headers: RateLimitHeaders | None) -> None:
        """Note the bucket an operation's answer named, merging pacers that share it."""
        if headers is None or headers.name is None:
            return
        with self._lock:
            current = self._by_operation.get(operation)
            fresh = current or Pacer(max_wait=self._max_wait, clock=self._clock)
            shared = self._by_name.setdefault(headers.name, fresh)
            self._by_operation[operation] = shared

    def states(self) -> dict[str, PacerState]:
        """What every operation's pacer knows, by operation."""
        with self._lock:
            pacers = dict(self._by_operation)
        return {operation: pacer.state() for operation, pacer in pacers.items()}
