"""A seeded population of true incidents: the ground truth every sample is rendered from.

:func:`world` draws ``n`` incidents with a realistic, long-tailed timeline. Each phase
duration is lognormal (incident durations are close to lognormal: see DOMAIN.md), and the
time to resolve grows as severity falls::

    impact_start --detect--> detected --declare--> declared --resolve--> resolved
                                 `------ repair ------> impact_end (between detected and resolved)

Everything is drawn column by column from one :class:`random.Random`, so the same seed gives
the same incidents on every machine, and 200,000 incidents take about a second.

>>> w = world(seed=7, n=3)
>>> w.select("key", "severity", "state").to_dicts()[0]["key"]
0
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from typing import Final

import polars as pl

from ddinc.errors import ConfigError
from ddinc.schema import Severity, State, Timestamp

__all__ = [
    "END",
    "IMPACT_END_UNKNOWN_RATE",
    "IMPACT_START_UNKNOWN_RATE",
    "NO_COMMANDER_RATE",
    "NO_ROOT_CAUSE_RATE",
    "NO_SERVICE_RATE",
    "OPEN_RATE",
    "SERVICES",
    "START",
    "TEAMS",
    "WORLD_SCHEMA",
    "people",
    "world",
]

START: Final = datetime(2022, 1, 1, tzinfo=UTC)
END: Final = datetime(2024, 12, 31, tzinfo=UTC)

# team -> the services it owns; an incident's first team owns its first service.
TEAMS: Final[dict[str, tuple[str, ...]]] = {
    "Payments": ("payments-gateway", "billing-worker"),
    "Checkout": ("checkout-api", "cart-service"),
    "Identity": ("auth-service", "sso-bridge"),
    "Search": ("search-api", "search-indexer"),
    "Platform": ("k8s-control-plane", "service-mesh"),
    "Data": ("events-pipeline", "warehouse-loader"),
    "Mobile": ("mobile-bff", "push-notifier"),
    "Storage": ("postgres-primary", "object-store"),
}
SERVICES: Final[dict[str, str]] = {
    service: team for team, services in TEAMS.items() for service in services
}

_SYMPTOMS: Final = (
    "elevated 5xx error rate",
    "p99 latency above SLO",
    "degraded performance",
    "partial outage",
    "full outage",
    "failed deployment had to be rolled back",
    "connection pool exhausted",
    "TLS certificate expired",
    "queue backlog growing",
    "DNS resolution failures",
    "login failures for some users",
    "stale data shown to customers",
    "webhook deliveries delayed",
    "disk full on primary node",
    "memory leak after release",
)
_ROOT_CAUSES: Final = (
    "bad deploy",
    "configuration change",
    "expired certificate",
    "capacity exhausted",
    "third-party provider outage",
    "database failover",
    "network partition",
    "dependency upgrade",
)
_FIRST: Final = (
    "Ana", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiroshi", "Inès", "José",
    "Kavya", "Lars", "Maya", "Noah", "Olga", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
)  # fmt: skip
_LAST: Final = (
    "Silva", "Okafor", "Müller", "Nguyen", "Dubois", "Kowalski", "Haddad", "Tanaka",
    "Núñez", "O'Brien", "Larsen", "Patel", "Rossi", "Kim", "Fischer", "Moreau",
)  # fmt: skip

_SEVERITIES: Final = ("SEV-1", "SEV-2", "SEV-3", "SEV-4", "SEV-5")
_SEVERITY_WEIGHTS: Final = (4, 14, 40, 30, 12)
# Median time to resolve (seconds) per severity: lower severities wait longer for attention.
_RESOLVE_MEDIAN: Final = dict(zip(_SEVERITIES, (3600, 5400, 10800, 21600, 43200), strict=True))
_DETECT_MEDIAN, _DETECT_SIGMA = 300.0, 1.2
_DECLARE_MEDIAN, _DECLARE_SIGMA = 600.0, 1.0
_RESOLVE_SIGMA: Final = 1.1
_CLOSE_MEDIAN, _CLOSE_SIGMA = 3 * 86400.0, 0.5  # ServiceNow-style auto-close days later

_TEXT_COLUMNS: Final = (
    "title", "commander", "commander_name", "declared_by", "declared_by_name",
    "first_service", "second_service", "root_cause",
)  # fmt: skip

OPEN_RATE: Final = 0.06  # incidents still active or stable at export time
IMPACT_START_UNKNOWN_RATE: Final = 0.08
IMPACT_END_UNKNOWN_RATE: Final = 0.08
NO_COMMANDER_RATE: Final = 0.04
NO_SERVICE_RATE: Final = 0.05
NO_ROOT_CAUSE_RATE: Final = 0.30
_OPEN_WINDOW_S: Final = 7 * 86400

WORLD_SCHEMA: Final = pl.Schema(
    {
        "key": pl.Int64(),
        "title": pl.String(),
        "severity": Severity,
        "state": State,
        "commander": pl.String(),
        "commander_name": pl.String(),
        "declared_by": pl.String(),
        "declared_by_name": pl.String(),
        "teams": pl.List(pl.String()),
        "services": pl.List(pl.String()),
        "root_cause": pl.String(),
        "impact_start": Timestamp,
        "detected": Timestamp,
        "declared": Timestamp,
        "resolved": Timestamp,
        "impact_end": Timestamp,
        "closed": Timestamp,
    }
)


def _ascii(text: str) -> str:
    table = str.maketrans("éèñúüç'", "eenuuc-")
    return text.lower().translate(table).replace("--", "-")


def people(seed: int = 7, n: int = 40) -> list[tuple[str, str]]:
    """``n`` distinct people as ``(display name, email)``, emails at example.com.

    >>> people(7, 2)[0][1].endswith("@example.com")
    True
    """
    rng = random.Random(f"people:{seed}")
    names = [f"{first} {last}" for first in _FIRST for last in _LAST]
    chosen = rng.sample(names, min(n, len(names)))
    return [(name, _ascii(name).replace(" ", ".") + "@example.com") for name in chosen]


def _lognormal(rng: random.Random, median: float, sigma: float, n: int) -> list[float]:
    mu = math.log(median)
    return [math.exp(mu + sigma * rng.gauss()) for _ in range(n)]


def world(
    seed: int = 7, n: int = 100, *, start: datetime = START, end: datetime = END
) -> pl.DataFrame:
    """The true incidents: ``n`` rows of :data:`WORLD_SCHEMA`, in chronological order.

    Parameters
    ----------
    seed
        Same seed, same incidents (byte for byte once rendered).
    n
        How many incidents.
    start, end
        Timezone-aware bounds of ``impact_start``; incidents still open at export time
        (``state`` active or stable, no ``resolved``) start in the last week before ``end``.

    Returns
    -------
    polars.DataFrame
        ``key`` is 0..n-1 in order of occurrence. ``commander``/``declared_by`` are emails and
        ``*_name`` their display names. ``closed`` is when the legacy ticket was closed (days
        after ``resolved``); it is not a canonical timestamp. Missing values are genuinely
        unknown: ``impact_start`` (8 %), ``impact_end`` (8 % of resolved), ``commander`` (4 %),
        ``services`` empty (5 %), ``root_cause`` (30 %).
    """
    if n < 0:
        raise ConfigError(f"n must be zero or more, not {n}; pass the number of incidents wanted")
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise ConfigError("start and end must be timezone-aware with start < end")
    rng = random.Random(f"world:{seed}")
    span = (end - start).total_seconds()
    is_open = [rng.random() < OPEN_RATE for _ in range(n)]
    offsets = [
        span - rng.random() * _OPEN_WINDOW_S if open_ else rng.random() * span for open_ in is_open
    ]
    order = sorted(range(n), key=offsets.__getitem__)
    is_open = [is_open[i] for i in order]
    base = int(start.timestamp())
    end_s = int(end.timestamp())
    impact_start = [base + int(offsets[i]) for i in order]

    severity = rng.choices(_SEVERITIES, weights=_SEVERITY_WEIGHTS, k=n)
    detect = _lognormal(rng, _DETECT_MEDIAN, _DETECT_SIGMA, n)
    declare = _lognormal(rng, _DECLARE_MEDIAN, _DECLARE_SIGMA, n)
    resolve = [
        math.exp(math.log(_RESOLVE_MEDIAN[sev]) + _RESOLVE_SIGMA * rng.gauss()) for sev in severity
    ]
    repair_share = [0.4 + 0.6 * rng.random() for _ in range(n)]
    close = _lognormal(rng, _CLOSE_MEDIAN, _CLOSE_SIGMA, n)
    detected = [s + max(1, int(d)) for s, d in zip(impact_start, detect, strict=True)]
    declared = [t + max(1, int(d)) for t, d in zip(detected, declare, strict=True)]
    resolved = [t + max(60, int(d)) for t, d in zip(declared, resolve, strict=True)]
    impact_end = [
        t + int((r - t) * share)
        for t, r, share in zip(detected, resolved, repair_share, strict=True)
    ]
    closed = [r + int(c) for r, c in zip(resolved, close, strict=True)]

    state = [rng.choice(("active", "stable")) if o else "resolved" for o in is_open]
    unknown_start = [rng.random() < IMPACT_START_UNKNOWN_RATE for _ in range(n)]
    unknown_end = [rng.random() < IMPACT_END_UNKNOWN_RATE for _ in range(n)]

    staff = people(seed)
    commanders = rng.choices(staff, k=n)
    no_commander = [rng.random() < NO_COMMANDER_RATE for _ in range(n)]
    declarers = rng.choices(staff, k=n)
    service_names = list(SERVICES)
    first_service = rng.choices(service_names, k=n)
    second_service = [
        other if rng.random() < 0.25 and (other := rng.choice(service_names)) != first else None
        for first in first_service
    ]
    no_service = [rng.random() < NO_SERVICE_RATE for _ in range(n)]
    symptoms = rng.choices(_SYMPTOMS, k=n)
    titles = [f"{svc}: {sym}" for svc, sym in zip(first_service, symptoms, strict=True)]
    root_cause = [
        None if rng.random() < NO_ROOT_CAUSE_RATE else rng.choice(_ROOT_CAUSES) for _ in range(n)
    ]

    def stamps(values: list[int], missing: list[bool]) -> pl.Series:
        micros = [None if m else v * 1_000_000 for v, m in zip(values, missing, strict=True)]
        return pl.Series(micros, dtype=pl.Int64).cast(Timestamp)

    never = [False] * n
    closed_missing = [o or c > end_s for o, c in zip(is_open, closed, strict=True)]
    end_missing = [o or u for o, u in zip(is_open, unknown_end, strict=True)]
    # Lists are built by polars: a Python list of lists is 20x slower to turn into a Series.
    first, second = pl.col("first_service"), pl.col("second_service")
    return (
        pl.DataFrame(
            {
                "key": pl.Series(range(n), dtype=pl.Int64),
                "no_service": pl.Series(no_service, dtype=pl.Boolean),
                "title": titles,
                "severity": pl.Series(severity, dtype=Severity),
                "state": pl.Series(state, dtype=State),
                "commander": [
                    None if m else c[1] for c, m in zip(commanders, no_commander, strict=True)
                ],
                "commander_name": [
                    None if m else c[0] for c, m in zip(commanders, no_commander, strict=True)
                ],
                "declared_by": [d[1] for d in declarers],
                "declared_by_name": [d[0] for d in declarers],
                "first_service": first_service,
                "second_service": second_service,
                "root_cause": root_cause,
                "impact_start": stamps(impact_start, unknown_start),
                "detected": stamps(detected, never),
                "declared": stamps(declared, never),
                "resolved": stamps(resolved, is_open),
                "impact_end": stamps(impact_end, end_missing),
                "closed": stamps(closed, closed_missing),
            },
            # Every column typed, so that an empty world has the same schema.
            schema_overrides=dict.fromkeys(_TEXT_COLUMNS, pl.String),
        )
        .with_columns(
            teams=pl.concat_list(
                first.replace_strict(SERVICES), second.replace_strict(SERVICES, default=None)
            )
            .list.drop_nulls()
            .list.unique(maintain_order=True),
            services=pl.when(pl.col("no_service"))
            .then(pl.concat_list(first).list.head(0))
            .otherwise(pl.concat_list(first, second).list.drop_nulls()),
        )
        .select(WORLD_SCHEMA.names())
        .cast(WORLD_SCHEMA)
    )
