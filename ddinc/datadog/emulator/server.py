"""A real HTTP server for the emulator: uvicorn in a background thread, loopback only.

``serve(app)`` binds (port 0 picks a free port), waits until uvicorn accepts connections,
yields the base URL and shuts the server down on exit. Several servers can run at once, each
in its own thread and event loop. Connections the app drops on purpose
(:class:`~ddinc.datadog.emulator.faults.ConnectionDroppedError`) are closed without a response, as
a crashed proxy would.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from ddinc.datadog.emulator.faults import ConnectionDroppedError
from ddinc.errors import ConfigError

__all__ = [
    "SHUTDOWN_TIMEOUT",
    "STARTUP_TIMEOUT",
    "is_loopback",
    "listening_socket",
    "serve",
]

STARTUP_TIMEOUT = 10.0  # seconds to wait for uvicorn to listen
SHUTDOWN_TIMEOUT = 10.0  # seconds to wait for the server thread to end
_GRACEFUL_SHUTDOWN = 1  # seconds uvicorn lets open requests finish


class _HideShutdownCancellation(logging.Filter):
    """Drop uvicorn's traceback for requests cancelled at shutdown (slow-response faults)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, asyncio.CancelledError):
            return False
        return "graceful shutdown exceeded" not in record.getMessage()


_SHUTDOWN_FILTER = _HideShutdownCancellation()


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _DropConnections:
    """Close the client connection without a response when the app raises ConnectionDroppedError."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except ConnectionDroppedError:
            # uvicorn's request cycle owns the socket; its ``send`` is a bound method of it.
            cycle = getattr(send, "__self__", None)
            transport = getattr(cycle, "transport", None)
            if transport is None:
                raise
            transport.close()
            # Let uvicorn notice the disconnect, so that it does not answer 500 instead.
            for _ in range(3):
                await asyncio.sleep(0)


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port``, in the caller's thread (a busy port fails here)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on connections of such sockets,
    # and without it every answer waits ~40 ms for a delayed ACK (Nagle).
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host.strip("[]"), port))
    except OSError as exc:
        listener.close()
        raise ConfigError(
            f"the emulator cannot listen on {host}:{port} ({exc.strerror}): choose another "
            f"port, or 0 for any free one"
        ) from exc
    return listener


@contextlib.contextmanager
def serve(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` on ``host:port`` in a background thread; yield ``http://host:port``.

    Raises
    ------
    ConfigError
        When ``host`` is not a loopback address, or the server cannot listen (port in use).
    """
    if not is_loopback(host):
        raise ConfigError(
            f"the emulator only listens on loopback addresses (127.0.0.1, ::1, localhost), "
            f"not {host!r}: it accepts public demo keys"
        )
    listener = listening_socket(host, port)
    bound = listener.getsockname()[1]
    config = uvicorn.Config(
        _DropConnections(app),
        http="h11",
        loop="asyncio",
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN,
    )
    server = uvicorn.Server(config)
    logging.getLogger("uvicorn.error").addFilter(_SHUTDOWN_FILTER)  # idempotent
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[listener])
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"ddinc-emulator-{host}:{bound}", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if failure or not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(SHUTDOWN_TIMEOUT)
            listener.close()
            reason = failure[0] if failure else "timeout"
            raise ConfigError(f"the emulator did not start on {host}:{bound} ({reason})")
        time.sleep(0.005)
    url_host = f"[{host.strip('[]')}]" if ":" in host else host
    try:
        yield f"http://{url_host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT)
        listener.close()
