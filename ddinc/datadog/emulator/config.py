"""How an emulator is set up: its org, keys, rate limits, faults, persistence and clocks."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ddinc.datadog.emulator.faults import Faults
from ddinc.datadog.emulator.org import Org
from ddinc.datadog.emulator.ratelimit import RateLimit
from ddinc.datadog.emulator.validate import PERMISSIONS
from ddinc.errors import ConfigError

__all__ = [
    "DEMO_API_KEY",
    "DEMO_APP_KEY",
    "SEARCH_UNKNOWN_FACET_MODES",
    "EmulatorConfig",
    "ErrorShape",
    "SearchUnknownFacet",
    "utc_now",
]

# Public demo values, not secrets: they open nothing but a local emulator.
DEMO_API_KEY = "ddinc-emulator-api-key"
DEMO_APP_KEY = "ddinc-emulator-app-key"

ErrorShape = Literal["api", "jsonapi"]
SearchUnknownFacet = Literal["match", "empty", "error", "ignore"]
SEARCH_UNKNOWN_FACET_MODES: tuple[SearchUnknownFacet, ...] = ("match", "empty", "error", "ignore")


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass
class EmulatorConfig:
    """Everything an :class:`~ddinc.datadog.emulator.Emulator` can be told.

    Attributes
    ----------
    org
        Users, incident types and fields (default: ``org.json`` shipped with ddinc).
    api_keys, app_keys
        Keys accepted in ``DD-API-KEY`` / ``DD-APPLICATION-KEY`` (default: the demo keys).
        Never shown in the repr.
    read_only_app_keys
        Application keys that may read but lack ``incident_write`` (403 on writes).
    app_key_permissions
        Application keys with exactly the given permissions (``incident_read``,
        ``incident_write``, ``incident_settings_read``, ``user_access_read``): 403 on every
        operation that needs one they lack, as a key whose user misses a role would get.
        Never shown in the repr.
    rate_limit
        Limit of the import endpoint (e.g. ``RateLimit(60, 10)``); None: unlimited, no headers.
    read_rate_limit
        One shared limit for every other endpoint; None: unlimited.
    faults
        Seeded fault injection and added latency (default: none).
    persist
        Journal file (JSON Lines, append-only) that keeps the stored incidents across
        restarts, even a kill -9 (default: memory only).
    now
        Wall clock for ``created``/``modified`` timestamps, timezone-aware.
    clock
        Monotonic seconds for rate-limit windows.
    first_public_id
        ``public_id`` (and ``IR-N`` slug number) of the first incident of a fresh store.
    import_error_shape
        Body of ImportIncident errors: ``"api"`` (``{"errors": ["..."]}``, what the spec
        declares) or ``"jsonapi"`` (``{"errors": [{"title", "detail", "status"}]}``, what
        Datadog's newer incident endpoints send), so a client can be tested against both.
    import_enabled
        False plays an org whose Preview of the import endpoint is not enabled (403).
    search_lag
        Seconds after its creation (by ``now``) before an incident shows in search results;
        reads by id and the list endpoints see it at once. Datadog's search index lags by an
        amount it does not document.
    search_unknown_facet
        How a search on a facet Datadog does not document (an org field other than
        ``state`` and ``severity``) is treated: ``"match"`` (as a field facet), ``"empty"``
        (no results), ``"error"`` (400) or ``"ignore"`` (the term is dropped, the rest of
        the query matches).
    """

    org: Org = field(default_factory=Org.default)
    api_keys: frozenset[str] = field(default=frozenset({DEMO_API_KEY}), repr=False)
    app_keys: frozenset[str] = field(default=frozenset({DEMO_APP_KEY}), repr=False)
    read_only_app_keys: frozenset[str] = field(default=frozenset(), repr=False)
    app_key_permissions: Mapping[str, frozenset[str]] = field(default_factory=dict, repr=False)
    rate_limit: RateLimit | None = None
    read_rate_limit: RateLimit | None = None
    faults: Faults = field(default_factory=Faults)
    persist: Path | None = None
    now: Callable[[], datetime] = utc_now
    clock: Callable[[], float] = time.monotonic
    first_public_id: int = 1
    import_error_shape: ErrorShape = "api"
    import_enabled: bool = True
    search_lag: float = 0.0
    search_unknown_facet: SearchUnknownFacet = "match"

    def __post_init__(self) -> None:
        for permissions in self.app_key_permissions.values():
            unknown = set(permissions) - PERMISSIONS
            if unknown:
                raise ConfigError(
                    f"unknown permission(s) {', '.join(sorted(unknown))}: use "
                    f"{', '.join(sorted(PERMISSIONS))}"
                )
