"""Seeded fault injection: what a real network and a real Datadog do to a client now and then.

Faults, per request of an operation in scope, chosen by one draw of a seeded generator:

``error_before_store``
    a 5xx before anything is stored (a retry is safe, but the client cannot know that);
``error_after_store``
    the request is processed (an import IS stored), then answered with a 5xx;
``slow``
    processed, then answered after ``slow_delay`` seconds, beyond a client's timeout;
``drop`` / ``drop_after_store``
    the connection is closed without any response, before or after processing;
``rate_limited``
    a burst of ``burst_length`` consecutive 429s (not processed), with ``x-ratelimit-*``
    headers whose ``reset`` is ``burst_reset`` seconds.

``latency`` is added to every request. Every in-scope request consumes exactly one draw,
whatever happens to it, so the n-th request of a run meets the same fault in every run with
the same seed: a failing run can be replayed. Tests that need one fault at one moment use
:meth:`FaultInjector.inject`, which does not disturb the seeded sequence.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ddinc.datadog.emulator.ratelimit import RateLimit
from ddinc.errors import ConfigError, DatadogError

__all__ = [
    "ConnectionDroppedError",
    "FaultEvent",
    "FaultInjector",
    "FaultKind",
    "FaultMiddleware",
    "Faults",
]


class FaultKind(StrEnum):
    """What happens to one request."""

    RATE_LIMITED = "rate_limited"
    ERROR_BEFORE_STORE = "error_before_store"
    ERROR_AFTER_STORE = "error_after_store"
    SLOW = "slow"
    DROP = "drop"
    DROP_AFTER_STORE = "drop_after_store"


class ConnectionDroppedError(DatadogError):
    """Raised by the emulator app to close the connection without answering (a fault).

    The emulator's server and transports turn it into a closed connection; it only reaches
    code that mounts :attr:`Emulator.app` on another server.
    """


@dataclass(frozen=True)
class Faults:
    """Fault probabilities (each in [0, 1], together at most 1), delays and the seed.

    ``operations`` limits the probabilistic faults to these operation ids (such as
    ``"ImportIncident"``); None means every operation.
    """

    latency: float = 0.0
    error_before_store: float = 0.0
    error_after_store: float = 0.0
    slow: float = 0.0
    slow_delay: float = 5.0
    drop: float = 0.0
    drop_after_store: float = 0.0
    rate_limited: float = 0.0
    burst_length: int = 5
    burst_reset: int = 1
    error_status: int = 500
    seed: int = 0
    operations: frozenset[str] | None = None

    def __post_init__(self) -> None:
        chances = self.chances()
        if any(not 0.0 <= p <= 1.0 for p in chances.values()) or sum(chances.values()) > 1.0:
            raise ConfigError(
                f"fault probabilities must each be in [0, 1] and add up to at most 1, got {chances}"
            )
        if self.latency < 0 or self.slow_delay < 0:
            raise ConfigError("latency and slow_delay are seconds and cannot be negative")
        if self.burst_length < 1 or self.burst_reset < 1:
            raise ConfigError("burst_length and burst_reset must be at least 1")
        if not 500 <= self.error_status <= 599:
            raise ConfigError(f"error_status must be a 5xx status, got {self.error_status}")

    def chances(self) -> dict[FaultKind, float]:
        """The probability of each fault kind starting on one request."""
        return {
            FaultKind.RATE_LIMITED: self.rate_limited,
            FaultKind.ERROR_BEFORE_STORE: self.error_before_store,
            FaultKind.ERROR_AFTER_STORE: self.error_after_store,
            FaultKind.SLOW: self.slow,
            FaultKind.DROP: self.drop,
            FaultKind.DROP_AFTER_STORE: self.drop_after_store,
        }


@dataclass(frozen=True)
class FaultEvent:
    """A fault that happened: the request's sequence number, its operation and the fault."""

    seq: int
    operation: str
    kind: FaultKind
    scripted: bool = False


class FaultInjector:
    """Decides, per request, which fault (if any) it meets; thread-safe."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)
        self._lock = threading.Lock()
        self._seq = 0
        self._burst_left = 0
        self._script: deque[tuple[FaultKind, str | None]] = deque()
        self.log: list[FaultEvent] = []

    def inject(
        self, kind: FaultKind | str, *, times: int = 1, operation: str | None = None
    ) -> None:
        """Make the next ``times`` requests of ``operation`` (None: any) meet ``kind``.

        A scripted ``rate_limited`` refuses one request per time (no burst).
        """
        kind = FaultKind(kind)
        with self._lock:
            self._script.extend([(kind, operation)] * times)

    def decide(self, operation: str) -> FaultKind | None:
        """The fault the next request of ``operation`` meets, or None."""
        with self._lock:
            in_scope = self.faults.operations is None or operation in self.faults.operations
            draw = self._random.random() if in_scope else None
            seq = self._seq
            self._seq += 1
            # Drawn first even when a scripted fault overrides it, so that the seeded
            # sequence (bursts included) stays the same with or without scripts.
            kind = self._from_draw(draw)
            scripted = next((s for s in self._script if s[1] in (None, operation)), None)
            if scripted is not None:
                self._script.remove(scripted)
                self.log.append(FaultEvent(seq, operation, scripted[0], scripted=True))
                return scripted[0]
            if kind is not None:
                self.log.append(FaultEvent(seq, operation, kind))
            return kind

    def _from_draw(self, draw: float | None) -> FaultKind | None:
        if draw is None:
            return None
        if self._burst_left:
            self._burst_left -= 1
            return FaultKind.RATE_LIMITED
        threshold = 0.0
        for kind, chance in self.faults.chances().items():
            threshold += chance
            if draw < threshold:
                if kind is FaultKind.RATE_LIMITED:
                    self._burst_left = self.faults.burst_length - 1
                return kind
        return None


class FaultMiddleware:
    """ASGI middleware applying latency and the injector's decisions.

    ``classify`` names a request's operation; ``limits`` gives the rate limit whose name and
    numbers a burst's 429 headers report (defaults stand in for operations without one).
    """

    def __init__(
        self,
        app: ASGIApp,
        injector: FaultInjector,
        classify: Callable[[Scope], str | None],
        limits: Mapping[str, RateLimit],
    ) -> None:
        self.app = app
        self.injector = injector
        self.classify = classify
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Delay, then pass the request through or fail it as decided."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        faults = self.injector.faults
        if faults.latency:
            await asyncio.sleep(faults.latency)
        operation = self.classify(scope)
        kind = self.injector.decide(operation) if operation else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        if kind in (FaultKind.ERROR_AFTER_STORE, FaultKind.DROP_AFTER_STORE, FaultKind.SLOW):
            answer = await _run_collecting(self.app, scope, receive)
            if kind is FaultKind.SLOW:
                await asyncio.sleep(faults.slow_delay)
                for message in answer:
                    await send(message)
                return
        if kind in (FaultKind.DROP, FaultKind.DROP_AFTER_STORE):
            raise ConnectionDroppedError(f"fault injection: {kind} on {operation}")
        if kind is FaultKind.RATE_LIMITED:
            response = JSONResponse(
                {"errors": ["Too many requests"]},
                status_code=429,
                headers=self._burst_headers(str(operation)),
            )
        else:
            status = faults.error_status
            response = JSONResponse({"errors": [HTTPStatus(status).phrase]}, status_code=status)
        await response(scope, receive, send)

    def _burst_headers(self, operation: str) -> dict[str, str]:
        faults = self.injector.faults
        rule = self.limits.get(operation) or RateLimit(
            faults.burst_length, faults.burst_reset, "emulator_burst"
        )
        return {
            "x-ratelimit-limit": str(rule.limit),
            "x-ratelimit-period": str(rule.period),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(faults.burst_reset),
            "x-ratelimit-name": rule.name,
        }


async def _run_collecting(app: ASGIApp, scope: Scope, receive: Receive) -> list[Message]:
    """Run the app to the end, keeping its response messages instead of sending them."""
    messages: list[Message] = []

    async def keep(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, keep)
    return messages
