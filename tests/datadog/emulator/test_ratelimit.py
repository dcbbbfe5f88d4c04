"""Rate limits: real ``x-ratelimit-*`` headers, 429 when a window is used up, reset."""

from __future__ import annotations

import json
import math

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.datadog.emulator import Emulator, EmulatorConfig, RateLimit
from ddinc.datadog.emulator.ratelimit import RateLimiter
from ddinc.errors import ConfigError
from tests.conftest import shared_path
from tests.datadog.emulator.conftest import IMPORT, KEYS, import_body

HEADERS = (
    "x-ratelimit-limit",
    "x-ratelimit-period",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-name",
)


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def rate_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("x-ratelimit")}


def test_parse_reads_limit_slash_period() -> None:
    assert RateLimit.parse("60/10") == RateLimit(60, 10, "incidents_import")
    assert RateLimit.parse(" 5 / 1 ", "reads") == RateLimit(5, 1, "reads")


@pytest.mark.parametrize("text", ["60", "60/", "a/b", "60/10/1", "0/10", "10/0", "-1/5"])
def test_parse_refuses_anything_else_saying_the_form(text: str) -> None:
    with pytest.raises(ConfigError, match=r"60/10|>= 1"):
        RateLimit.parse(text)


def test_headers_are_the_recorded_names_as_integer_strings() -> None:
    fixture = json.loads(
        shared_path("datadog", "recorded", "ratelimit_429_headers_logs_fixture.json").read_text()
    )
    real = {
        k for k in fixture["interactions"][0]["response"]["headers"] if k.startswith("x-ratelimit")
    }
    decision = RateLimiter(RateLimit(10, 10, "incidents_import"), Clock()).acquire()
    assert set(decision.headers) == real == set(HEADERS)
    assert all(decision.headers[k].isdigit() for k in HEADERS if k != "x-ratelimit-name")


def test_a_window_allows_limit_requests_then_refuses_until_it_resets() -> None:
    clock = Clock(1003.0)  # windows of 10 s are aligned on multiples of 10: this one ends at 1010
    limiter = RateLimiter(RateLimit(3, 10), clock)
    decisions = [limiter.acquire() for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.headers["x-ratelimit-remaining"] for d in decisions] == ["2", "1", "0", "0"]
    assert decisions[-1].headers["x-ratelimit-reset"] == "7"
    clock.now = 1009.2
    assert limiter.acquire().headers["x-ratelimit-reset"] == "1"  # rounded up, never 0
    clock.now = 1010.0
    fresh = limiter.acquire()
    assert fresh.allowed
    assert (fresh.headers["x-ratelimit-remaining"], fresh.headers["x-ratelimit-reset"]) == (
        "2",
        "10",
    )


@given(
    limit=st.integers(1, 20),
    period=st.integers(1, 60),
    steps=st.lists(st.floats(0, 5, allow_nan=False), min_size=1, max_size=200),
)
def test_no_window_ever_allows_more_than_its_limit_and_waiting_reset_always_helps(
    limit: int, period: int, steps: list[float]
) -> None:
    clock = Clock(0.0)
    limiter = RateLimiter(RateLimit(limit, period), clock)
    allowed_per_window: dict[int, int] = {}
    for step in steps:
        clock.now += step
        decision = limiter.acquire()
        reset = int(decision.headers["x-ratelimit-reset"])
        assert 1 <= reset <= period
        if not decision.allowed:
            # A client that waits `reset` seconds is let through.
            clock.now += reset
            decision = limiter.acquire()
            assert decision.allowed
        window = math.floor(clock.now / period)
        allowed_per_window[window] = allowed_per_window.get(window, 0) + 1
    assert all(n <= limit for n in allowed_per_window.values())


def limited(clock: Clock, **config: object) -> httpx.Client:
    emulator = Emulator(EmulatorConfig(clock=clock, **config))  # type: ignore[arg-type]
    return httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS)


def test_the_import_endpoint_answers_429_with_headers_and_stores_nothing() -> None:
    clock = Clock(2000.0)
    emulator = Emulator(
        EmulatorConfig(clock=clock, rate_limit=RateLimit(2, 10, "incidents_import"))
    )
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS) as c:
        ok = [c.post(IMPORT, json=import_body()) for _ in range(2)]
        refused = c.post(IMPORT, json=import_body())
        reads = c.get("/api/v2/users")
        clock.now += 10
        again = c.post(IMPORT, json=import_body())
    assert [r.status_code for r in ok] == [201, 201]
    assert rate_headers(ok[1]) == {
        "x-ratelimit-limit": "2",
        "x-ratelimit-period": "10",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "10",
        "x-ratelimit-name": "incidents_import",
    }
    assert refused.status_code == 429
    assert refused.json() == {"errors": ["Too many requests"]}
    assert rate_headers(refused)["x-ratelimit-remaining"] == "0"
    assert reads.status_code == 200
    assert rate_headers(reads) == {}  # reads are unlimited unless read_rate_limit is set
    assert again.status_code == 201
    assert len(emulator.incidents) == 3


def test_reads_share_their_own_limit_apart_from_imports() -> None:
    clock = Clock(0.0)
    with limited(
        clock, rate_limit=RateLimit(5, 10), read_rate_limit=RateLimit(2, 10, "incidents_read")
    ) as c:
        statuses = [
            c.get("/api/v2/users").status_code,
            c.get("/api/v2/incidents/config/types").status_code,
            c.get("/api/v2/users").status_code,
            c.post(IMPORT, json=import_body()).status_code,
        ]
        name = c.get("/api/v2/users").headers["x-ratelimit-name"]
    assert statuses == [200, 200, 429, 201]
    assert name == "incidents_read"


def test_unauthenticated_requests_do_not_use_up_the_window() -> None:
    clock = Clock(0.0)
    with limited(clock, rate_limit=RateLimit(1, 10)) as c:
        refused = [c.post(IMPORT, json=import_body(), headers={"DD-API-KEY": ""}) for _ in range(3)]
        accepted = c.post(IMPORT, json=import_body())
    assert [r.status_code for r in refused] == [401, 401, 401]
    assert accepted.status_code == 201
