"""Rate-limit headers and the pacer that keeps concurrent requests under the limit.

The pacer is pure bookkeeping over a clock, so most of these tests run it inside a small
discrete-event simulation of a fixed-window rate limiter (as Datadog and the emulator
implement it): simulated time, no sleeping, and exact counts per window.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddinc.datadog.ratelimit import (
    MAX_SERVER_WAIT,
    MIN_RATE_LIMIT_WAIT,
    PROBE_POLL_INTERVAL,
    RATE_LIMIT_FALLBACK_WAIT,
    Pacer,
    RateLimiter,
    RateLimitHeaders,
    Slot,
    wait_after_429,
)
from tests.conftest import shared_path


def test_the_recorded_429_headers_parse() -> None:
    recorded = json.loads(
        shared_path("datadog", "recorded", "ratelimit_429_headers_logs_fixture.json").read_text()
    )
    headers = recorded["interactions"][0]["response"]["headers"]
    parsed = RateLimitHeaders.parse(headers)
    assert parsed == RateLimitHeaders(
        limit=10, period=10.0, remaining=9, reset=3.0, name="logs_public_search_api"
    )
    assert wait_after_429(headers) == pytest.approx(3.05)


def test_missing_or_garbled_headers_are_none_never_an_error() -> None:
    full = {
        "x-ratelimit-limit": "10",
        "x-ratelimit-period": "10",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "4",
    }
    assert RateLimitHeaders.parse(full) is not None
    for key in full:
        assert RateLimitHeaders.parse({k: v for k, v in full.items() if k != key}) is None
    assert RateLimitHeaders.parse({**full, "x-ratelimit-limit": "ten"}) is None
    assert RateLimitHeaders.parse({**full, "x-ratelimit-period": "0"}) is None
    assert RateLimitHeaders.parse({**full, "x-ratelimit-reset": "nan"}) is None


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "x-ratelimit-limit",
                "x-ratelimit-period",
                "x-ratelimit-remaining",
                "x-ratelimit-reset",
                "x-ratelimit-name",
                "other",
            ]
        ),
        st.text(max_size=8),
    )
)
def test_parsing_any_headers_never_raises(headers: dict[str, str]) -> None:
    parsed = RateLimitHeaders.parse(headers)
    if parsed is not None:
        assert min(parsed.limit, parsed.period) > 0
        assert min(parsed.remaining, parsed.reset) >= 0
    assert wait_after_429(headers) >= MIN_RATE_LIMIT_WAIT


def test_the_wait_after_a_429_prefers_reset_then_retry_after() -> None:
    assert wait_after_429({"Retry-After": "2"}) == pytest.approx(2.05)
    assert wait_after_429({"x-ratelimit-reset": "0"}) == MIN_RATE_LIMIT_WAIT
    assert wait_after_429({}) == RATE_LIMIT_FALLBACK_WAIT


# ------------------------------------------------------------------------- pacer, step by step


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def headers(limit: int, period: float, remaining: int, reset: float) -> RateLimitHeaders:
    return RateLimitHeaders(limit, period, remaining, reset, "incidents_import")


def take(pacer: Pacer, clock: FakeClock) -> float:
    """Ask until granted, letting simulated time pass as told; the slot's start time."""
    for _ in range(1000):
        slot = pacer.reserve()
        if slot.granted:
            return clock.now + slot.delay
        clock.now += slot.delay
    raise AssertionError("never granted")


def test_until_the_limit_is_known_one_request_probes_alone() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    first = pacer.reserve()
    assert first.granted
    assert first.delay == 0
    assert pacer.reserve() == Slot(PROBE_POLL_INTERVAL, granted=False)
    pacer.complete(headers(100, 10, 99, 10), status=201)
    assert pacer.reserve().granted


def test_an_answer_without_limits_unleashes_everything() -> None:
    pacer = Pacer(clock=FakeClock())
    assert pacer.reserve().granted
    pacer.complete(None, status=201)
    slots = [pacer.reserve() for _ in range(50)]
    assert all(slot.granted and slot.delay == 0 for slot in slots)


def test_a_lost_answer_does_not_count_as_knowing_the_limit() -> None:
    pacer = Pacer(clock=FakeClock())
    assert pacer.reserve().granted
    pacer.complete(None, status=None)  # timeout: we learned nothing
    assert pacer.reserve().granted
    assert not pacer.reserve().granted  # still probing


def test_the_window_budget_is_spent_at_once_then_held_until_the_reset() -> None:
    # Fixed windows: what remains may be used at once; spreading it evenly only loses time.
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.reserve()
    pacer.complete(headers(10, 10, 9, 6), status=201)
    slots = [pacer.reserve() for _ in range(9)]
    assert all(slot.granted and slot.delay == 0 for slot in slots)
    held = pacer.reserve()
    assert not held.granted
    assert held.delay == pytest.approx(6)


def test_a_new_window_is_probed_by_one_request_before_its_budget_is_spent() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.reserve()
    pacer.complete(headers(3, 10, 0, 5), status=201)
    clock.now += 5
    probe = pacer.reserve()
    assert probe.granted
    assert not pacer.reserve().granted  # the others wait for the probe's answer
    pacer.complete(headers(3, 10, 2, 10), status=201, window=probe.window)
    assert [pacer.reserve().granted for _ in range(3)] == [True, True, False]


def test_a_late_answer_from_an_earlier_window_is_not_read_as_news() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.reserve()
    pacer.complete(headers(5, 10, 4, 2), status=201)
    old = pacer.reserve()
    clock.now += 3  # the window ended while ``old`` was in flight
    probe = pacer.reserve()
    pacer.complete(headers(5, 10, 4, 9), status=201, window=probe.window)
    pacer.complete(headers(5, 10, 0, 0), status=201, window=old.window)  # said in the old one
    # 4 left, less ``old`` which was in flight when the probe's answer came; not 0.
    assert pacer.state().remaining_estimate == 3
    assert pacer.reserve().granted


def test_a_learned_limit_expires_with_its_window_when_answers_stop_stating_one() -> None:
    # A burst of 429s with tiny limits (a proxy, a fault), then answers without headers: the
    # tiny limit must not pace the rest of the run.
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.reserve()
    pacer.complete(None, status=201)
    slot = pacer.reserve()
    pacer.complete(headers(5, 1, 0, 1), status=429, window=slot.window)
    assert pacer.state().limit == 5
    clock.now += 2
    probe = pacer.reserve()
    assert probe.granted
    pacer.complete(None, status=201, window=probe.window)
    assert pacer.state().limit is None
    assert all(pacer.reserve() == Slot(0.0, True, pacer.reserve().window) for _ in range(50))


def test_no_answer_can_make_the_pacer_wait_longer_than_its_cap() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock, max_wait=30)
    pacer.reserve()
    pacer.complete(headers(10, 1e9, 0, 1e8), status=201)
    assert 0 < pacer.reserve().delay <= 30
    slot = Pacer(clock=clock).reserve()
    capped = Pacer(clock=clock)
    capped.reserve()
    capped.complete(headers(10, 1e9, 0, 1e8), status=429, retry_after=1e8, window=slot.window)
    assert capped.reserve().delay <= MAX_SERVER_WAIT


def test_an_exhausted_window_holds_everyone_until_it_resets() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.reserve()
    pacer.complete(headers(10, 10, 0, 4), status=201)  # someone else used the window up
    slot = pacer.reserve()
    assert not slot.granted
    assert slot.delay == pytest.approx(4)
    assert take(pacer, clock) == pytest.approx(104)


def test_a_429_holds_every_caller_for_its_reset() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.reserve()
    pacer.complete(headers(10, 10, 5, 8), status=201)
    slot = pacer.reserve()
    assert slot.granted
    clock.now += 5  # the window had 3 s left; another client used it up
    pacer.complete(headers(10, 10, 0, 3), status=429, retry_after=3.05, window=slot.window)
    held = pacer.reserve()
    assert not held.granted
    assert held.delay >= 3.05 - 1e-9
    assert pacer.state().throttled == 1
    before = clock.now
    assert take(pacer, clock) >= before + held.delay - 1e-9


def test_an_abandoned_slot_is_given_back() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.reserve()
    pacer.complete(headers(3, 10, 1, 10), status=201)
    take(pacer, clock)
    assert pacer.state().remaining_estimate == 0
    pacer.abandon()
    assert pacer.state().remaining_estimate == 1
    assert take(pacer, clock) < 110  # still in this window


def test_operations_that_share_a_bucket_share_a_pacer() -> None:
    limiter = RateLimiter(clock=FakeClock())
    search, get = limiter.pacer("SearchIncidents"), limiter.pacer("GetIncident")
    assert search is not get
    limiter.learn("SearchIncidents", headers(100, 10, 99, 10))
    shared = RateLimitHeaders(100, 10, 98, 10, "incidents_import")
    limiter.learn("GetIncident", shared)
    assert limiter.pacer("GetIncident") is limiter.pacer("SearchIncidents")
    assert set(limiter.states()) == {"SearchIncidents", "GetIncident"}


# ------------------------------------------------------------------------- pacer, simulated


@dataclass
class FixedWindowServer:
    """Datadog-style limiter: ``limit`` per window of ``period`` s, windows at ``phase``."""

    limit: int
    period: float
    phase: float
    round_reset: Callable[[float], float]
    others_per_window: int = 0  # requests of another client sharing the bucket
    counts: dict[int, int] = field(default_factory=dict)

    def answer(self, at: float) -> tuple[int, RateLimitHeaders]:
        window = math.floor((at - self.phase) / self.period)
        used = self.counts.get(window, self.others_per_window)
        reset = self.round_reset(self.phase + (window + 1) * self.period - at)
        if used >= self.limit:
            return 429, RateLimitHeaders(self.limit, self.period, 0, reset, "bucket")
        self.counts[window] = used + 1
        return 201, RateLimitHeaders(
            self.limit, self.period, self.limit - used - 1, reset, "bucket"
        )


@dataclass
class Run:
    throttled: int
    elapsed: float
    busiest_window: int


def simulate(
    server: FixedWindowServer, n: int, concurrency: int, latency: tuple[float, float], seed: int
) -> Run:
    """``concurrency`` workers import ``n`` records through one pacer, in simulated time."""
    rng = random.Random(seed)
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    events: list[tuple[float, int, Callable[[], None]]] = []
    sequence = [0]
    left, done, throttled, finished = [n], [0], [0], [0.0]

    def at(time: float, action: Callable[[], None]) -> None:
        sequence[0] += 1
        heapq.heappush(events, (time, sequence[0], action))

    def worker() -> None:
        if left[0] <= 0:
            return
        slot = pacer.reserve()
        if not slot.granted:
            at(now[0] + slot.delay, worker)
            return
        left[0] -= 1
        sent = now[0] + slot.delay
        there, back = rng.uniform(*latency) / 2, rng.uniform(*latency) / 2

        def arrive() -> None:
            status, answer = server.answer(sent + there)

            def respond() -> None:
                pacer.complete(
                    answer,
                    status=status,
                    retry_after=answer.wait_after_429() if status == 429 else None,
                    window=slot.window,
                )
                if status == 429:
                    throttled[0] += 1
                    left[0] += 1
                else:
                    done[0] += 1
                    finished[0] = now[0]
                worker()

            at(sent + there + back, respond)

        at(sent + there, arrive)

    for _ in range(concurrency):
        at(0.0, worker)
    while events:
        now[0], _, action = heapq.heappop(events)
        action()
    assert done[0] == n
    return Run(throttled[0], finished[0], max(server.counts.values()))


@settings(max_examples=40, deadline=None)
@given(
    limit=st.integers(5, 300),
    period=st.sampled_from([10.0, 30.0, 60.0]),
    phase=st.floats(0, 60),
    rounding=st.sampled_from([math.ceil, math.floor]),
    concurrency=st.integers(1, 32),
    latency=st.tuples(st.floats(0.0, 0.3), st.floats(0.0, 0.5)).map(sorted),
    seed=st.integers(0, 2**16),
)
def test_a_lone_client_never_exceeds_the_limit_and_finishes_within_the_windows_it_needs(
    *,
    limit: int,
    period: float,
    phase: float,
    rounding: Callable[[float], float],
    concurrency: int,
    latency: list[float],
    seed: int,
) -> None:
    server = FixedWindowServer(limit, period, phase, rounding)
    # Enough workers that latency, not the pacer, is never the bottleneck.
    concurrency = max(concurrency, math.ceil(2 * latency[1] * limit / period) + 1)
    n = limit * 4
    run = simulate(server, n, concurrency, (latency[0], latency[1]), seed)
    # A reset rounded up (the emulator) never lets a probe in early; one rounded down can, once:
    # that 429 teaches the pacer to wait a second longer at every later window.
    assert run.throttled <= (0 if rounding is math.ceil else 1)
    assert run.busiest_window <= limit
    # The budget is spent at once: n = 4 limits need the first (partial) window and three
    # more resets; each reset costs at most a rounding second, the probe and the latency.
    assert run.elapsed <= 4 * period + 3 * (1 + 2 * latency[1]) + 2 * latency[1]


@settings(max_examples=25, deadline=None)
@given(
    limit=st.integers(20, 200),
    share=st.floats(0.1, 0.9),
    rounding=st.sampled_from([math.ceil, math.floor]),
    seed=st.integers(0, 2**16),
)
def test_a_client_sharing_the_bucket_slows_down_instead_of_bouncing(
    limit: int, share: float, rounding: Callable[[float], float], seed: int
) -> None:
    others = int(limit * share)
    server = FixedWindowServer(limit, 10.0, 3.3, rounding, others_per_window=others)
    n = (limit - others) * 3
    run = simulate(server, n, 16, (0.02, 0.08), seed)
    assert run.busiest_window <= limit
    # At most one 429: the one that teaches the pacer that reset is rounded down.
    assert run.throttled <= 1
    assert n / run.elapsed >= 0.65 * (limit - others) / 10.0
