"""Rate limits with Datadog's ``x-ratelimit-*`` headers, and a 429 when a window is used up.

Datadog limits each endpoint family with a fixed window: ``x-ratelimit-limit`` requests per
``x-ratelimit-period`` seconds, ``x-ratelimit-remaining`` left in the current window and
``x-ratelimit-reset`` seconds until it resets, all integer strings, lower-case names, plus
``x-ratelimit-name``. Windows here are aligned on multiples of the period on the limiter's
clock, and ``reset`` is rounded up, so a client that waits ``reset`` seconds always lands in
a fresh window. A 429 means the request was not processed.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ddinc.errors import ConfigError

__all__ = ["RateDecision", "RateLimit", "RateLimitMiddleware", "RateLimiter"]


@dataclass(frozen=True)
class RateLimit:
    """``limit`` requests per ``period`` seconds, reported under ``name``."""

    limit: int
    period: int
    name: str = "incidents_import"

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period < 1:
            raise ConfigError(
                f"a rate limit needs limit >= 1 and period >= 1 second, "
                f"got {self.limit}/{self.period}"
            )

    @classmethod
    def parse(cls, text: str, name: str = "incidents_import") -> RateLimit:
        """Read ``"60/10"`` (60 requests per 10 seconds)."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if match is None:
            raise ConfigError(
                f"rate limit {text!r} is not LIMIT/PERIOD, e.g. 60/10 for 60 requests per 10 s"
            )
        return cls(int(match[1]), int(match[2]), name)


@dataclass(frozen=True)
class RateDecision:
    """Whether one request may proceed, and the headers to answer it with."""

    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    """A fixed-window counter for one :class:`RateLimit`, safe to share between threads."""

    def __init__(self, rule: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.rule = rule
        self._clock = clock
        self._lock = threading.Lock()
        self._window = -1
        self._used = 0

    def acquire(self) -> RateDecision:
        """Count one request in the current window."""
        with self._lock:
            now = self._clock()
            window = math.floor(now / self.rule.period)
            if window != self._window:
                self._window, self._used = window, 0
            allowed = self._used < self.rule.limit
            if allowed:
                self._used += 1
            reset = max(1, math.ceil((window + 1) * self.rule.period - now))
            remaining = self.rule.limit - self._used
        return RateDecision(allowed, self.headers(remaining, reset))

    def headers(self, remaining: int, reset: int) -> dict[str, str]:
        """The five ``x-ratelimit-*`` headers for these numbers."""
        return {
            "x-ratelimit-limit": str(self.rule.limit),
            "x-ratelimit-period": str(self.rule.period),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-name": self.rule.name,
        }


class RateLimitMiddleware:
    """ASGI middleware: 429 when the operation's window is used up, headers on every answer.

    ``classify`` names the operation of a request (or None for unknown routes, which are
    not limited); ``limiters`` maps operation names to their limiter.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiters: Mapping[str, RateLimiter],
        classify: Callable[[Scope], str | None],
    ) -> None:
        self.app = app
        self.limiters = limiters
        self.classify = classify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request through the operation's limiter."""
        operation = self.classify(scope) if scope["type"] == "http" else None
        limiter = self.limiters.get(operation) if operation else None
        if limiter is None:
            await self.app(scope, receive, send)
            return
        decision = limiter.acquire()
        if not decision.allowed:
            response = JSONResponse(
                {"errors": ["Too many requests"]}, status_code=429, headers=decision.headers
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in decision.headers.items():
                    headers[key] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
