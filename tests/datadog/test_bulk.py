"""Many imports with bounded concurrency: one outcome per record, and early stops."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from ddinc.datadog import AsyncDatadogClient, DatadogClient, IncidentImportRequest
from ddinc.datadog.bulk import ImportOutcome
from ddinc.datadog.errors import (
    BadRequestError,
    ForbiddenError,
    ImportOutcomeUnknownError,
    UnauthorizedError,
)
from ddinc.errors import ConfigError, InvalidRequestError

CREATED = {"data": {"id": "", "type": "incidents", "attributes": {"title": ""}}}


class Scripted:
    """A fake Datadog whose answer depends on the incident title; counts concurrency."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def answer(self, request: httpx.Request) -> httpx.Response:
        title = json.loads(request.content)["data"]["attributes"]["title"]
        with self.lock:
            self.seen.append(title)
        if title.startswith("bad"):
            return httpx.Response(400, json={"errors": [f"{title} is bad"]})
        if title.startswith("boom"):
            return httpx.Response(502, json={"errors": ["Bad Gateway"]})
        if title.startswith("denied"):
            return httpx.Response(403, json={"errors": ["Forbidden"]})
        if title.startswith("who"):
            return httpx.Response(401, json={"errors": ["Unauthorized"]})
        body = json.loads(json.dumps(CREATED))
        body["data"]["id"] = f"id-{title}"
        body["data"]["attributes"]["title"] = title
        return httpx.Response(201, json=body)

    def sync_handler(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            threading.Event().wait(0.01)  # hold the request open so concurrency shows
            return self.answer(request)
        finally:
            with self.lock:
                self.in_flight -= 1

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            return self.answer(request)
        finally:
            self.in_flight -= 1


def requests(*titles: str) -> list[IncidentImportRequest]:
    return [IncidentImportRequest.of(title) for title in titles]


def sync_client(fake: Scripted) -> DatadogClient:
    return DatadogClient(
        base_url="http://fake.test",
        api_key="a",
        app_key="b",
        transport=httpx.MockTransport(fake.sync_handler),
    )


def async_client(fake: Scripted) -> AsyncDatadogClient:
    return AsyncDatadogClient(
        base_url="http://fake.test",
        api_key="a",
        app_key="b",
        transport=httpx.MockTransport(fake.async_handler),
    )


def check_mixed(outcomes: list[ImportOutcome]) -> None:
    by_index = {o.index: o for o in outcomes}
    assert sorted(by_index) == list(range(6))
    assert [by_index[i].status for i in range(6)] == [
        "created",
        "failed",
        "created",
        "unknown",
        "created",
        "created",
    ]
    assert by_index[0].incident_id == "id-ok0"
    assert by_index[0].title == "ok0"
    assert isinstance(by_index[1].error, BadRequestError)
    assert by_index[1].incident_id is None
    unknown = by_index[3].error
    assert isinstance(unknown, ImportOutcomeUnknownError)
    assert unknown.request is by_index[3].request


MIXED = ("ok0", "bad1", "ok2", "boom3", "ok4", "ok5")


def test_sync_import_many_reports_every_record_once() -> None:
    fake = Scripted()
    with sync_client(fake) as client:
        outcomes = list(client.import_many(requests(*MIXED), concurrency=3))
    check_mixed(outcomes)
    assert sorted(fake.seen) == sorted(MIXED)  # each sent exactly once, the 502 not resent


def test_async_import_many_reports_every_record_once() -> None:
    fake = Scripted()

    async def run() -> list[ImportOutcome]:
        async with async_client(fake) as client:
            return [
                outcome async for outcome in client.import_many(requests(*MIXED), concurrency=3)
            ]

    check_mixed(asyncio.run(run()))
    assert sorted(fake.seen) == sorted(MIXED)


def test_concurrency_is_bounded() -> None:
    titles = [f"ok{i}" for i in range(40)]
    fake = Scripted()
    with sync_client(fake) as client:
        assert len(list(client.import_many(requests(*titles), concurrency=4))) == 40
    assert 2 <= fake.most_in_flight <= 4
    fake = Scripted()

    async def run() -> int:
        async with async_client(fake) as client:
            return len([o async for o in client.import_many(requests(*titles), concurrency=5)])

    assert asyncio.run(run()) == 40
    assert 2 <= fake.most_in_flight <= 5


@pytest.mark.parametrize(("fatal", "cls"), [("denied", ForbiddenError), ("who", UnauthorizedError)])
def test_a_401_or_403_stops_sending_and_is_raised_after_the_outcomes(
    fatal: str, cls: type[Exception]
) -> None:
    titles = ["ok0", fatal, *[f"ok{i}" for i in range(2, 30)]]
    fake = Scripted()
    seen: list[ImportOutcome] = []
    with sync_client(fake) as client, pytest.raises(cls):
        seen.extend(client.import_many(requests(*titles), concurrency=1))
    assert [o.status for o in seen] == ["created", "failed"]
    assert fake.seen == ["ok0", fatal]  # nothing sent after it

    fake = Scripted()
    seen = []

    async def run() -> None:
        async with async_client(fake) as client:
            async for outcome in client.import_many(requests(*titles), concurrency=1):
                seen.append(outcome)

    with pytest.raises(cls):
        asyncio.run(run())
    assert [o.status for o in seen] == ["created", "failed"]
    assert fake.seen == ["ok0", fatal]


def test_stopping_early_sends_nothing_new() -> None:
    titles = [f"ok{i}" for i in range(50)]
    fake = Scripted()
    with sync_client(fake) as client:
        outcomes = client.import_many(requests(*titles), concurrency=2)
        first = next(iter(outcomes))
        outcomes.close()
    assert first.status == "created"
    assert len(fake.seen) <= 4  # the in-flight ones finished, nothing else started


def test_concurrency_below_one_is_refused() -> None:
    with sync_client(Scripted()) as client, pytest.raises(ConfigError, match="below 1"):
        list(client.import_many(requests("ok"), concurrency=0))


def records_then_a_broken_one(count: int) -> Iterator[IncidentImportRequest]:
    """Requests built lazily from legacy rows, the last of which breaks a rule."""
    for i in range(count):
        yield IncidentImportRequest.of(f"ok{i}")
    yield IncidentImportRequest.of("x" * 2000)  # raises: the title is too long


def test_a_failing_source_still_reports_the_imports_already_sent() -> None:
    # The first four were sent (and created) before the source failed: the caller must learn
    # their incident ids, or a re-run would create them a second time.
    fake = Scripted()
    seen: list[ImportOutcome] = []
    with sync_client(fake) as client, pytest.raises(InvalidRequestError):
        seen.extend(client.import_many(records_then_a_broken_one(4), concurrency=8))
    assert sorted(fake.seen) == ["ok0", "ok1", "ok2", "ok3"]
    assert sorted(o.title for o in seen if o.status == "created") == sorted(fake.seen)

    fake = Scripted()
    seen = []

    async def run() -> None:
        async with async_client(fake) as client:
            async for outcome in client.import_many(records_then_a_broken_one(4), concurrency=8):
                seen.append(outcome)

    with pytest.raises(InvalidRequestError):
        asyncio.run(run())
    assert sorted(o.title for o in seen if o.status == "created") == sorted(fake.seen)
    assert len(fake.seen) == 4
