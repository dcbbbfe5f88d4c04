"""The emulator's own ASGI middleware: which operation a request is, who asks, what happened.

- :func:`classifier` names the spec operation of a request, once per request;
- :class:`AuthMiddleware` refuses missing or unknown keys (see :func:`~.validate.check_keys`);
- :class:`LogMiddleware` records every answer (:class:`RequestRecord`) before the client
  can see it, so that a test reading the log right after a response is never behind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, MutableSequence, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ddinc.datadog.emulator.config import EmulatorConfig
from ddinc.datadog.emulator.render import api_error
from ddinc.datadog.emulator.validate import OPERATION_PERMISSIONS, check_keys

__all__ = ["AuthMiddleware", "Classify", "LogMiddleware", "RequestRecord", "classifier"]

Classify = Callable[[Scope], str | None]
_SCOPE_KEY = "ddinc.emulator.operation"  # a namespaced extension key of the ASGI scope


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator answered: status 0 means the connection was dropped."""

    method: str
    path: str
    operation: str | None
    status: int


def classifier(routes: Sequence[Route]) -> Classify:
    """A function naming the operation (route name) a request scope is for, or None."""

    def classify(scope: Scope) -> str | None:
        if _SCOPE_KEY not in scope:
            scope[_SCOPE_KEY] = next(
                (r.name for r in routes if r.matches(scope)[0] is Match.FULL), None
            )
        operation: str | None = scope[_SCOPE_KEY]
        return operation

    return classify


class AuthMiddleware:
    """401/403 in the ``{"errors": [...]}`` shape for requests without valid keys."""

    def __init__(
        self,
        app: ASGIApp,
        config: EmulatorConfig,
        classify: Classify,
        *,
        write_operations: Collection[str],
        user_operations: Collection[str],
    ) -> None:
        self.app = app
        self.config = config
        self.classify = classify
        self.write_operations = write_operations
        self.user_operations = user_operations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the key headers of a known operation, then pass the request on."""
        operation = self.classify(scope) if scope["type"] == "http" else None
        if operation is not None:
            headers = Request(scope).headers
            problem = check_keys(
                headers.get("dd-api-key"),
                headers.get("dd-application-key"),
                api_keys=self.config.api_keys,
                app_keys=self.config.app_keys,
                read_only_app_keys=self.config.read_only_app_keys,
                app_key_permissions=self.config.app_key_permissions,
                write=operation in self.write_operations,
                needs=OPERATION_PERMISSIONS.get(operation, frozenset()),
                users_endpoint=operation in self.user_operations,
            )
            if problem is not None:
                response = JSONResponse(api_error(*problem.messages), status_code=problem.status)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class LogMiddleware:
    """Append a :class:`RequestRecord` per request and count statuses."""

    def __init__(
        self,
        app: ASGIApp,
        log: MutableSequence[RequestRecord],
        counts: Counter[int],
        classify: Classify,
    ) -> None:
        self.app = app
        self.log = log
        self.counts = counts
        self.classify = classify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, recording its status when the answer starts (0 if none)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        recorded = False

        def record(status: int) -> None:
            nonlocal recorded
            recorded = True
            operation = self.classify(scope)
            self.log.append(RequestRecord(scope["method"], scope["path"], operation, status))
            self.counts[status] += 1

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                record(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if not recorded:  # a dropped connection, or a handler that failed
                record(0)
