"""The retry loop: what is retried, what is not, and why no retry can duplicate an import.

``exchange`` does no I/O, so these tests drive it by hand: they answer each SEND with a
scripted response or transport error and record every wait it asks for.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.datadog import operations as ops
from ddinc.datadog.errors import (
    DatadogConnectionError,
    ImportOutcomeUnknownError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
)
from ddinc.datadog.models import IncidentImpactCreateRequest, IncidentImportRequest
from ddinc.datadog.ratelimit import RateLimiter
from ddinc.datadog.retry import (
    BACKOFF_INITIAL,
    BACKOFF_MAX,
    MAX_CONNECT_ATTEMPTS,
    MAX_RATE_LIMIT_RETRIES,
    MAX_READ_ATTEMPTS,
    SEND,
    RetryPolicy,
    Wait,
    exchange,
    may_have_been_sent,
)

Result = httpx.Response | httpx.TransportError
IMPORT = ops.import_incident(IncidentImportRequest.of("Checkout down"))
GET = ops.get_incident("e2fe83b8-e433-476f-bf2c-d076aee55bed")
DELETE = ops.delete_incident("e2fe83b8-e433-476f-bf2c-d076aee55bed")
IMPACT = ops.create_incident_impact(
    "e2fe83b8-e433-476f-bf2c-d076aee55bed",
    IncidentImpactCreateRequest.of("x", start_at=datetime(2024, 1, 1, tzinfo=UTC)),
)


def ok(status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"data": {"id": "x", "type": "incidents"}}, headers=headers)


def error(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    body = b'{"errors": ["nope"]}'
    return httpx.Response(
        status, content=body, headers={"content-type": "application/json", **(headers or {})}
    )


def limited(remaining: int, reset: int, status: int = 200) -> httpx.Response:
    headers = {
        "x-ratelimit-limit": "10",
        "x-ratelimit-period": "10",
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(reset),
        "x-ratelimit-name": "incidents_import",
    }
    return ok(status, **headers) if status < 400 else error(status, headers)


class Drive:
    """Run an exchange against scripted results; keep what it did."""

    def __init__(
        self, call: ops.Call, results: Sequence[Result], policy: RetryPolicy | None = None
    ) -> None:
        self.sends = 0
        self.waits: list[float] = []
        self.now = 0.0
        self.limiter = RateLimiter(clock=lambda: self.now)  # simulated time: waits are instant
        steps = exchange(
            call,
            limiter=self.limiter,
            policy=policy or RetryPolicy(),
            rng=random.Random(7),
            host="api.test",
        )
        script = iter(results)
        step = next(steps)
        try:
            while True:
                if isinstance(step, Wait):
                    self.waits.append(step.seconds)
                    self.now += step.seconds
                    step = steps.send(None)
                else:
                    assert step is SEND
                    self.sends += 1
                    step = steps.send(next(script))
        except StopIteration as done:
            self.response: httpx.Response = done.value


def test_a_connect_failure_is_retried_even_for_an_import() -> None:
    run = Drive(IMPORT, [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow dns"), ok(201)])
    assert run.sends == 3
    assert run.response.status_code == 201
    assert len(run.waits) == 2  # a backoff after each failure


def test_connect_failures_give_up_saying_nothing_was_sent() -> None:
    with pytest.raises(DatadogConnectionError) as caught:
        Drive(IMPORT, [httpx.ConnectError("refused")] * MAX_CONNECT_ATTEMPTS)
    assert caught.value.sent is False
    assert "api.test" in str(caught.value)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected"),
        httpx.ReadError("reset"),
        httpx.WriteTimeout("stuck"),
    ],
)
def test_an_import_that_may_have_arrived_is_never_resent(failure: httpx.TransportError) -> None:
    with pytest.raises(ImportOutcomeUnknownError) as caught:
        Drive(IMPORT, [failure, ok(201)])
    unknown = caught.value
    assert unknown.request.title == "Checkout down"
    assert unknown.status is None
    assert "Do not import it again blindly" in str(unknown)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_an_import_answered_5xx_is_unknown_not_retried(status: int) -> None:
    with pytest.raises(ImportOutcomeUnknownError) as caught:
        Drive(IMPORT, [error(status, {"x-request-id": "req-42"}), ok(201)])
    assert caught.value.status == status
    assert caught.value.request_id == "req-42"
    assert caught.value.messages == ("nope",)


def test_an_impact_post_is_a_write_too() -> None:
    with pytest.raises(OutcomeUnknownError) as caught:
        Drive(IMPACT, [httpx.ReadTimeout("slow"), ok(201)])
    assert not isinstance(caught.value, ImportOutcomeUnknownError)
    assert caught.value.operation == "CreateIncidentImpact"


def test_a_read_is_retried_with_backoff_through_timeouts_and_5xx() -> None:
    run = Drive(
        GET, [httpx.ReadTimeout("slow"), error(503), httpx.RemoteProtocolError("dropped"), ok()]
    )
    assert run.sends == 4
    assert run.response.status_code == 200
    assert len(run.waits) == 3
    assert all(0 < wait <= BACKOFF_MAX for wait in run.waits)


def test_a_read_gives_up_after_the_allowed_attempts() -> None:
    with pytest.raises(ServerError, match=r"status\.datadoghq\.com"):
        Drive(GET, [error(502)] * MAX_READ_ATTEMPTS)
    with pytest.raises(DatadogConnectionError) as caught:
        Drive(GET, [httpx.ReadTimeout("slow")] * MAX_READ_ATTEMPTS)
    assert caught.value.sent is True


def test_a_429_waits_for_the_reset_and_is_retried_even_for_an_import() -> None:
    run = Drive(IMPORT, [limited(0, 3, status=429), ok(201)])
    assert run.sends == 2
    assert run.response.status_code == 201
    # The pacer held the retry until the reset the 429 gave (3 s + padding).
    assert sum(run.waits) == pytest.approx(3.05)
    assert run.limiter.states()["ImportIncident"].throttled == 1


def test_a_429_that_persists_becomes_rate_limited_error() -> None:
    policy = RetryPolicy(max_rate_limit_retries=2)
    with pytest.raises(RateLimitedError, match=r"10 per 10 s") as caught:
        Drive(GET, [limited(0, 0, status=429)] * 3, policy)
    assert caught.value.rate_limit is not None
    assert caught.value.rate_limit.name == "incidents_import"
    assert MAX_RATE_LIMIT_RETRIES >= 3


def test_client_errors_are_final() -> None:
    for call in (IMPORT, GET):
        with pytest.raises(NotFoundError):
            Drive(call, [error(404), ok()])


def test_a_delete_whose_first_answer_was_lost_accepts_the_404_that_follows() -> None:
    run = Drive(DELETE, [httpx.ReadTimeout("slow"), error(404)])
    assert run.response.status_code == 404
    with pytest.raises(NotFoundError):
        Drive(DELETE, [error(404)])


def test_a_cancelled_exchange_frees_its_slot() -> None:
    limiter = RateLimiter()
    steps = exchange(
        GET, limiter=limiter, policy=RetryPolicy(), rng=random.Random(0), host="api.test"
    )
    assert next(steps) is SEND
    assert limiter.states()["GetIncident"].in_flight == 1
    steps.close()  # the caller was cancelled while waiting for the answer
    assert limiter.states()["GetIncident"].in_flight == 0


def test_which_errors_mean_the_request_never_left() -> None:
    assert not may_have_been_sent(httpx.ConnectError("refused"))
    assert not may_have_been_sent(httpx.PoolTimeout("pool"))
    assert may_have_been_sent(httpx.ReadTimeout("read"))
    assert may_have_been_sent(httpx.RemoteProtocolError("dropped"))


@given(attempt=st.integers(1, 50), seed=st.integers(0, 2**32))
def test_backoff_grows_is_capped_and_jittered_within_half(attempt: int, seed: int) -> None:
    policy = RetryPolicy()
    base = min(BACKOFF_INITIAL * 2 ** (attempt - 1), BACKOFF_MAX)
    wait = policy.backoff(attempt, random.Random(seed))
    assert base / 2 <= wait <= base


def test_jitter_spreads_clients_that_fail_together() -> None:
    waits = {RetryPolicy().backoff(3, random.Random(seed)) for seed in range(20)}
    assert len(waits) == 20
