"""One classification: every way a write can end, against the emulator, is one outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ddinc.datadog import AsyncDatadogClient, IncidentImportRequest, RetryPolicy
from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator, EmulatorConfig
from ddinc.datadog.outcome import Sent, classify, send_one


def _send(
    emulator: Emulator | None = None,
    *,
    app_key: str = DEMO_APP_KEY,
    transport: httpx.AsyncBaseTransport | None = None,
    base_url: str = "http://emulator.local",
) -> Sent[Any]:
    async def run() -> Sent[Any]:
        async with AsyncDatadogClient(
            base_url=base_url,
            api_key=DEMO_API_KEY,
            app_key=app_key,
            transport=transport or (emulator.transport() if emulator else None),
            timeout=2.0,
            policy=RetryPolicy(max_connect_attempts=1, backoff_initial=0.0, backoff_max=0.0),
        ) as client:
            request = IncidentImportRequest.of("Disk full")
            return await send_one(lambda: client.import_incident(request))

    return asyncio.run(run())


def test_a_201_is_created_with_its_answer() -> None:
    emulator = Emulator()
    sent = _send(emulator)
    assert sent.status == "created"
    assert sent.value is not None
    assert sent.value.data.id == emulator.incidents[0].id


@pytest.mark.parametrize("fault", ["error_after_store", "error_before_store", "drop_after_store"])
def test_no_answer_after_sending_is_unknown(fault: str) -> None:
    emulator = Emulator()
    emulator.inject(fault, operation="ImportIncident")
    sent = _send(emulator)
    assert (sent.status, sent.stops_run, sent.unexpected) == ("unknown", False, False)
    assert sent.reason


def test_a_request_that_never_left_failed() -> None:
    # Nothing listens on port 9 of loopback: refused before anything was sent.
    sent = _send(base_url="http://127.0.0.1:9")
    assert (sent.status, sent.stops_run) == ("failed", False)


def test_keys_without_write_access_fail_and_stop_the_run() -> None:
    config = EmulatorConfig(read_only_app_keys=frozenset({"read-only"}))
    sent = _send(Emulator(config), app_key="read-only")
    assert (sent.status, sent.stops_run) == ("failed", True)
    assert "403" in str(sent.reason)


def test_a_429_asking_for_too_long_a_wait_stops_the_run() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            429, headers={"x-ratelimit-reset": "86400"}, json={"errors": ["Too many requests"]}
        )

    sent = _send(transport=httpx.MockTransport(answer), base_url="http://fake.test")
    assert (sent.status, sent.stops_run) == ("failed", True)


def test_an_error_that_is_no_datadog_outcome_is_an_unexpected_unknown() -> None:
    sent = classify(KeyError("bug"))
    assert (sent.status, sent.unexpected) == ("unknown", True)
    assert "unexpected KeyError" in str(sent.reason)
