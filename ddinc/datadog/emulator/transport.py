"""In-process httpx transports onto the emulator app: no socket, same behaviour.

:class:`EmulatorTransport` (async) and :class:`SyncEmulatorTransport` (sync, running the app on
its own event loop thread) both translate what a real server would do on the wire: a dropped
connection becomes :class:`httpx.RemoteProtocolError`, and the request's read timeout (the
``timeout`` extension httpx clients set) becomes :class:`httpx.ReadTimeout`. As with a real
server, a request whose answer timed out may still have been processed.
"""

from __future__ import annotations

import asyncio
import threading

import httpx
from starlette.types import ASGIApp

from ddinc.datadog.emulator.faults import ConnectionDroppedError

__all__ = ["EmulatorTransport", "SyncEmulatorTransport"]


class EmulatorTransport(httpx.ASGITransport):
    """An async transport that calls the emulator app directly."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app=app, client=("127.0.0.1", 50000))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Run one request through the app, with the read timeout and drops of a real server."""
        timeouts = request.extensions.get("timeout") or {}
        read_timeout = timeouts.get("read")
        try:
            if read_timeout is None:
                return await super().handle_async_request(request)
            return await asyncio.wait_for(super().handle_async_request(request), read_timeout)
        except ConnectionDroppedError as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from exc
        except TimeoutError as exc:
            raise httpx.ReadTimeout("timed out waiting for the emulator", request=request) from exc


class SyncEmulatorTransport(httpx.BaseTransport):
    """A sync transport running the emulator app on a private event loop thread.

    Close it (closing the ``httpx.Client`` that owns it does) to stop the thread.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._transport = EmulatorTransport(app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="ddinc-emulator-sync-transport", daemon=True
        )
        self._thread.start()
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request and wait for its complete response."""
        if self._closed:
            raise RuntimeError("this SyncEmulatorTransport is closed; make a new one")
        inner = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=request.read(),
            extensions=request.extensions,
        )
        future = asyncio.run_coroutine_threadsafe(self._round_trip(inner), self._loop)
        status, headers, body = future.result()
        return httpx.Response(status, headers=headers, content=body, request=request)

    async def _round_trip(
        self, request: httpx.Request
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        response = await self._transport.handle_async_request(request)
        body = await response.aread()
        return response.status_code, response.headers.raw, body

    def close(self) -> None:
        """Stop the loop thread."""
        if self._closed:
            return
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
