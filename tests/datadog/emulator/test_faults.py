"""Seeded fault injection: each fault does what it says, and a seed replays the same run."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from ddinc.datadog.emulator import Emulator, EmulatorConfig, FaultKind, Faults
from ddinc.datadog.emulator.faults import FaultInjector
from ddinc.errors import ConfigError
from tests.datadog.emulator.conftest import IMPORT, KEYS, import_body


def run(faults: Faults, requests: int = 1, **options: float) -> tuple[Emulator, list[object]]:
    """Send ``requests`` imports through a fresh emulator; each outcome is a status or an error."""
    emulator = Emulator(EmulatorConfig(faults=faults))
    outcomes: list[object] = []
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS) as c:
        for _ in range(requests):
            try:
                outcomes.append(c.post(IMPORT, json=import_body(), **options).status_code)  # type: ignore[arg-type]
            except httpx.HTTPError as exc:
                outcomes.append(type(exc).__name__)
    return emulator, outcomes


@pytest.mark.parametrize(
    "settings",
    [
        {"drop": 1.5},
        {"drop": -0.1},
        {"error_before_store": 0.6, "error_after_store": 0.6},
        {"latency": -1},
        {"burst_length": 0},
        {"error_status": 404},
    ],
    ids=["above 1", "negative", "sum above 1", "negative latency", "empty burst", "not 5xx"],
)
def test_impossible_fault_settings_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        Faults(**settings)  # type: ignore[arg-type]


def test_error_before_store_is_a_5xx_and_stores_nothing() -> None:
    emulator, outcomes = run(Faults(error_before_store=1.0))
    assert outcomes == [500]
    assert emulator.incidents == []
    assert emulator.requests[-1].status == 500


def test_error_after_store_is_a_5xx_but_the_incident_exists() -> None:
    emulator, outcomes = run(Faults(error_after_store=1.0, error_status=503))
    assert outcomes == [503]
    assert len(emulator.incidents) == 1


def test_the_5xx_body_is_the_api_error_shape() -> None:
    emulator = Emulator()
    emulator.inject(FaultKind.ERROR_BEFORE_STORE)
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS) as c:
        response = c.get("/api/v2/users")
    assert response.status_code == 500
    assert response.json() == {"errors": ["Internal Server Error"]}


def test_drops_close_the_connection_before_or_after_storing() -> None:
    before, outcome_before = run(Faults(drop=1.0))
    after, outcome_after = run(Faults(drop_after_store=1.0))
    assert outcome_before == outcome_after == ["RemoteProtocolError"]
    assert (len(before.incidents), len(after.incidents)) == (0, 1)
    assert before.requests[-1].status == 0


def test_a_slow_answer_times_out_the_client_but_the_incident_is_stored() -> None:
    emulator, outcomes = run(Faults(slow=1.0, slow_delay=30), timeout=0.2)
    assert outcomes == ["ReadTimeout"]
    assert len(emulator.incidents) == 1


def test_a_slow_answer_within_the_timeout_arrives() -> None:
    _, outcomes = run(Faults(slow=1.0, slow_delay=0.01), timeout=30)
    assert outcomes == [201]


def test_latency_beyond_the_timeout_fails_and_nothing_is_stored() -> None:
    emulator, outcomes = run(Faults(latency=30), timeout=0.2)
    assert outcomes == ["ReadTimeout"]
    assert emulator.incidents == []


def test_a_429_burst_refuses_burst_length_requests_in_a_row() -> None:
    emulator = Emulator(EmulatorConfig(faults=Faults(burst_length=3, burst_reset=2)))
    emulator.inject(FaultKind.RATE_LIMITED, operation="ImportIncident")
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS) as c:
        first = c.post(IMPORT, json=import_body())
        rest = [c.post(IMPORT, json=import_body()).status_code for _ in range(3)]
    assert first.status_code == 429
    assert first.headers["x-ratelimit-reset"] == "2"
    assert first.headers["x-ratelimit-remaining"] == "0"
    assert first.json() == {"errors": ["Too many requests"]}
    # A scripted burst is one request; a drawn burst covers burst_length (see below).
    assert rest == [201, 201, 201]


def test_a_drawn_burst_covers_burst_length_requests() -> None:
    injector = FaultInjector(Faults(rate_limited=0.05, burst_length=4, seed=3))
    kinds = [injector.decide("ImportIncident") for _ in range(400)]
    starts = [i for i, k in enumerate(kinds) if k and (i == 0 or kinds[i - 1] is None)]
    assert starts, "seed 3 draws at least one burst in 400 requests"
    for start in starts:
        assert kinds[start : start + 4] == [FaultKind.RATE_LIMITED] * 4


def test_faults_only_hit_the_operations_in_scope() -> None:
    emulator = Emulator(
        EmulatorConfig(
            faults=Faults(error_before_store=1.0, operations=frozenset({"ImportIncident"}))
        )
    )
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS) as c:
        assert c.get("/api/v2/users").status_code == 200
        assert c.post(IMPORT, json=import_body()).status_code == 500


def test_the_drawn_fault_rates_follow_the_probabilities() -> None:
    faults = Faults(error_before_store=0.1, error_after_store=0.2, drop=0.05, seed=11)
    injector = FaultInjector(faults)
    counts = Counter(injector.decide("ImportIncident") for _ in range(4000))
    # Seeded, hence deterministic; the bounds are four standard deviations wide.
    assert 330 <= counts[FaultKind.ERROR_BEFORE_STORE] <= 470
    assert 700 <= counts[FaultKind.ERROR_AFTER_STORE] <= 900
    assert 140 <= counts[FaultKind.DROP] <= 260
    assert counts[FaultKind.SLOW] == counts[FaultKind.RATE_LIMITED] == 0


MIXED = Faults(
    error_before_store=0.15,
    error_after_store=0.15,
    drop=0.05,
    drop_after_store=0.05,
    rate_limited=0.05,
    burst_length=2,
    seed=42,
)


def test_the_same_seed_replays_the_same_faults_and_outcomes() -> None:
    first, outcomes_first = run(MIXED, requests=60)
    second, outcomes_second = run(MIXED, requests=60)
    assert first.fault_log == second.fault_log
    assert outcomes_first == outcomes_second
    assert len(first.fault_log) >= 10  # the run did meet faults
    assert len(first.incidents) == len(second.incidents)


def test_another_seed_gives_another_run() -> None:
    first, _ = run(MIXED, requests=60)
    other, _ = run(Faults(**{**MIXED.__dict__, "seed": 43}), requests=60)
    assert first.fault_log != other.fault_log


def test_scripted_faults_do_not_shift_the_seeded_sequence() -> None:
    plain = FaultInjector(MIXED)
    scripted = FaultInjector(MIXED)
    scripted.inject(FaultKind.SLOW, times=2, operation="GetIncident")
    operations = ["ImportIncident", "GetIncident", "ImportIncident", "GetIncident"] * 20
    for operation in operations:
        plain.decide(operation)
        scripted.decide(operation)
    assert [e for e in scripted.log if not e.scripted] == [
        e for e in plain.log if e.seq not in (1, 3)
    ]
    assert [(e.seq, e.kind) for e in scripted.log if e.scripted] == [(1, "slow"), (3, "slow")]


def test_faults_on_the_real_server_drop_and_time_out_on_the_wire() -> None:
    emulator = Emulator(EmulatorConfig(faults=Faults(slow_delay=30)))
    with emulator.serve() as url, httpx.Client(base_url=url, headers=KEYS, timeout=0.3) as c:
        emulator.inject(FaultKind.DROP_AFTER_STORE)
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(IMPORT, json=import_body("dropped"))
        emulator.inject(FaultKind.SLOW)
        with pytest.raises(httpx.ReadTimeout):
            c.post(IMPORT, json=import_body("slow"))
        assert c.get("/api/v2/users").status_code == 200
    assert [i.title for i in emulator.incidents] == ["dropped", "slow"]
