"""The :class:`Emulator`: one local Datadog org, reachable in-process or over HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from starlette.types import ASGIApp

from ddinc.datadog.emulator.app import OPERATIONS, AppState, build_app
from ddinc.datadog.emulator.config import EmulatorConfig
from ddinc.datadog.emulator.faults import FaultEvent, FaultInjector, FaultKind
from ddinc.datadog.emulator.middleware import RequestRecord
from ddinc.datadog.emulator.org import Org, User
from ddinc.datadog.emulator.ratelimit import RateLimiter
from ddinc.datadog.emulator.server import serve
from ddinc.datadog.emulator.store import Store, StoredImpact, StoredIncident
from ddinc.datadog.emulator.transport import EmulatorTransport, SyncEmulatorTransport
from ddinc.errors import ConfigError

__all__ = ["Emulator"]


class Emulator:
    """A local emulator of the Datadog endpoints ddinc uses, with its own state.

    Examples
    --------
    In-process, no socket (async)::

        emulator = Emulator()
        async with httpx.AsyncClient(transport=emulator.transport(),
                                     base_url="http://emulator.local") as client: ...

    A real server on a free loopback port::

        with Emulator().serve() as url:   # "http://127.0.0.1:PORT"
            ...
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        if self.config.now().tzinfo is None:
            raise ConfigError(
                "EmulatorConfig.now must return timezone-aware datetimes, "
                "e.g. lambda: datetime(2025, 1, 1, tzinfo=UTC)"
            )
        limiters: dict[str, RateLimiter] = {}
        if self.config.read_rate_limit is not None:
            shared = RateLimiter(self.config.read_rate_limit, self.config.clock)
            limiters = {op: shared for op in OPERATIONS if op != "ImportIncident"}
        if self.config.rate_limit is not None:
            limiters["ImportIncident"] = RateLimiter(self.config.rate_limit, self.config.clock)
        self.store = Store(self.config.persist, first_public_id=self.config.first_public_id)
        self.injector = FaultInjector(self.config.faults)
        self._state = AppState(self.config, self.store, self.injector, limiters)
        self.app: ASGIApp = build_app(self._state)

    def __repr__(self) -> str:
        return f"Emulator(org={self.org.name!r}, incidents={len(self.store.incidents())})"

    # -- reaching it ---------------------------------------------------------------------

    def transport(self) -> EmulatorTransport:
        """An async httpx transport onto this emulator (``httpx.AsyncClient(transport=...)``)."""
        return EmulatorTransport(self.app)

    def sync_transport(self) -> SyncEmulatorTransport:
        """A sync httpx transport onto this emulator (``httpx.Client(transport=...)``)."""
        return SyncEmulatorTransport(self.app)

    def serve(
        self, host: str = "127.0.0.1", port: int = 0
    ) -> contextlib.AbstractContextManager[str]:
        """Serve over HTTP in a background thread; the context yields the base URL."""
        return serve(self.app, host, port)

    # -- state for tests and notebooks ---------------------------------------------------

    @property
    def org(self) -> Org:
        """The org served (users, incident types, fields)."""
        return self.config.org

    @property
    def users(self) -> tuple[User, ...]:
        """The org's users."""
        return self.config.org.users

    @property
    def incidents(self) -> list[StoredIncident]:
        """Every stored incident, in creation order."""
        return self.store.incidents()

    @property
    def impacts(self) -> list[StoredImpact]:
        """Every stored impact, in creation order."""
        return self.store.impacts()

    @property
    def requests(self) -> list[RequestRecord]:
        """The most recent requests answered (status 0: dropped), oldest first."""
        return list(self._state.log)

    def status_counts(self) -> dict[int, int]:
        """How many requests got each status since the start (0: dropped connection)."""
        return dict(self._state.status_counts)

    @property
    def fault_log(self) -> list[FaultEvent]:
        """The faults injected so far, in request order."""
        return list(self.injector.log)

    def inject(
        self, kind: FaultKind | str, *, times: int = 1, operation: str | None = None
    ) -> None:
        """Make the next ``times`` requests of ``operation`` (None: any) meet fault ``kind``."""
        self.injector.inject(kind, times=times, operation=operation)

    def incidents_where(self, **fields: str) -> Iterator[StoredIncident]:
        """Stored incidents whose fields have these values, e.g. ``state="resolved"``."""
        for incident in self.store.incidents():
            if all(incident.fields.get(k) == v for k, v in fields.items()):
                yield incident
