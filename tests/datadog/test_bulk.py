"""Many imports with bounded concurrency: one outcome per record, and early stops."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from ddinc.datadog import AsyncDatadogClient, DatadogClient, IncidentImportRequest
from ddinc.datadog.bulk import ImportOutcome, import_many_sync
from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator, EmulatorConfig
from ddinc.datadog.emulator.faults import Faults
from ddinc.datadog.errors import (
    BadRequestError,
    ForbiddenError,
    ImportOutcomeUnknownError,
    RateLimitedError,
    UnauthorizedError,
    UndecodableResponseError,
)
from ddinc.datadog.models import IncidentImportResponse
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


# -- every started record gets exactly one outcome, even when the consumer stops early ------


@pytest.fixture
def slow_emulator() -> Iterator[tuple[Emulator, str]]:
    """A real emulator over loopback whose imports take long enough to be caught in flight."""
    emulator = Emulator(EmulatorConfig(faults=Faults(latency=0.05)))
    with emulator.serve() as url:
        yield emulator, url


def emulator_client(url: str) -> DatadogClient:
    return DatadogClient(base_url=url, api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY)


def emulator_async_client(url: str) -> AsyncDatadogClient:
    return AsyncDatadogClient(base_url=url, api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY)


def check_exactly_once(
    emulator: Emulator, started: list[int], delivered: list[ImportOutcome], count: int
) -> None:
    """Every started record has one outcome; every incident created is in one of them."""
    indexes = [o.index for o in delivered]
    assert sorted(indexes) == sorted(started)
    assert len(set(indexes)) == len(indexes)
    assert len(started) < count  # the early stop did stop the run
    created = {o.incident_id for o in delivered if o.status == "created"}
    assert created == {incident.id for incident in emulator.incidents}


def test_a_consumer_that_breaks_still_gets_every_outcome_through_the_callback(
    slow_emulator: tuple[Emulator, str],
) -> None:
    emulator, url = slow_emulator
    titles = [f"ok{i}" for i in range(60)]
    started: list[int] = []
    delivered: list[ImportOutcome] = []
    threads: set[str] = set()

    def on_outcome(outcome: ImportOutcome) -> None:
        threads.add(threading.current_thread().name)
        delivered.append(outcome)

    yielded = []
    with emulator_client(url) as client:
        for outcome in client.import_many(
            requests(*titles),
            concurrency=8,
            on_start=lambda index, _: started.append(index),
            on_outcome=on_outcome,
        ):
            yielded.append(outcome)
            if len(yielded) == 3:
                break
    check_exactly_once(emulator, started, delivered, len(titles))
    assert len(delivered) > len(yielded)  # the in-flight ones were not dropped
    assert yielded == delivered[:3]  # delivered before being yielded, in the same order
    assert threads == {threading.current_thread().name}


def test_closing_the_generator_hands_the_in_flight_outcomes_to_the_callback(
    slow_emulator: tuple[Emulator, str],
) -> None:
    emulator, url = slow_emulator
    started: list[int] = []
    delivered: list[ImportOutcome] = []
    with emulator_client(url) as client:
        outcomes = client.import_many(
            requests(*[f"ok{i}" for i in range(40)]),
            concurrency=6,
            on_start=lambda index, _: started.append(index),
            on_outcome=delivered.append,
        )
        next(outcomes)
        outcomes.close()
    check_exactly_once(emulator, started, delivered, 40)


def test_an_async_consumer_that_breaks_still_gets_every_outcome(
    slow_emulator: tuple[Emulator, str],
) -> None:
    emulator, url = slow_emulator
    started: list[int] = []
    delivered: list[ImportOutcome] = []

    async def run() -> None:
        async with emulator_async_client(url) as client:
            outcomes = client.import_many(
                requests(*[f"ok{i}" for i in range(60)]),
                concurrency=8,
                on_start=lambda index, _: started.append(index),
                on_outcome=delivered.append,
            )
            async with contextlib.aclosing(outcomes):
                async for _ in outcomes:
                    break

    asyncio.run(run())
    check_exactly_once(emulator, started, delivered, 60)
    assert len(delivered) > 1


@pytest.mark.parametrize("cancels", [1, 2])
def test_a_cancelled_async_run_still_gives_every_started_import_an_outcome(
    slow_emulator: tuple[Emulator, str], cancels: int
) -> None:
    # One cancel: the run stops starting imports and lets those in flight finish. A second
    # cancel interrupts them too: their outcomes are unknown, but they are still reported.
    emulator, url = slow_emulator
    started: list[int] = []
    delivered: list[ImportOutcome] = []

    async def consume(client: AsyncDatadogClient) -> None:
        async for _ in client.import_many(
            requests(*[f"ok{i}" for i in range(60)]),
            concurrency=8,
            on_start=lambda index, _: started.append(index),
            on_outcome=delivered.append,
        ):
            pass

    async def run() -> None:
        async with emulator_async_client(url) as client:
            task = asyncio.create_task(consume(client))
            await asyncio.sleep(0.12)
            for _ in range(cancels):
                task.cancel()
                await asyncio.sleep(0.01)
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(run())
    assert sorted(o.index for o in delivered) == sorted(started)
    assert len(started) < 60
    unknown = [o for o in delivered if o.status == "unknown"]
    if cancels == 1:
        check_exactly_once(emulator, started, delivered, 60)
        assert not unknown
    else:
        assert unknown
        assert all("cancelled" in str(o.error) for o in unknown)
    # Whatever was created is reported created or in doubt: never silently lost.
    created = {o.incident_id for o in delivered if o.status == "created"}
    assert created <= {incident.id for incident in emulator.incidents}
    assert len(emulator.incidents) <= len(created) + len(unknown)


def test_a_failing_callback_stops_the_run_yet_every_outcome_is_offered_to_it() -> None:
    fake = Scripted()
    offered: list[int] = []

    def ledger(outcome: ImportOutcome) -> None:
        offered.append(outcome.index)
        if len(offered) == 2:
            raise OSError("disk full")

    with sync_client(fake) as client, pytest.raises(OSError, match="disk full"):
        for _ in client.import_many(
            requests(*[f"ok{i}" for i in range(30)]), concurrency=4, on_outcome=ledger
        ):
            pass
    assert len(fake.seen) < 30
    assert sorted(offered) == sorted(int(title[2:]) for title in fake.seen)


def test_an_unexpected_error_in_an_import_is_an_unknown_outcome_then_raised() -> None:
    def import_one(request: IncidentImportRequest) -> IncidentImportResponse:
        raise RuntimeError("a bug")

    delivered: list[ImportOutcome] = []
    with pytest.raises(RuntimeError, match="a bug"):
        list(
            import_many_sync(
                requests("a", "b"), import_one, concurrency=1, on_outcome=delivered.append
            )
        )
    assert [(o.index, o.status) for o in delivered] == [(0, "unknown")]
    assert "unexpected RuntimeError" in str(delivered[0].error)


def test_a_concurrency_below_one_is_refused_at_the_call() -> None:
    with sync_client(Scripted()) as client, pytest.raises(ConfigError, match="below 1"):
        client.import_many(requests("ok"), concurrency=0)


def corrupt_gzip(request: httpx.Request) -> httpx.Response:
    """A 2xx whose body claims gzip but is not: httpx cannot decode it."""
    return httpx.Response(
        201,
        headers={"content-encoding": "gzip", "content-type": "application/vnd.api+json"},
        stream=httpx.ByteStream(b"\x1f\x8b not gzip at all"),
    )


def test_a_201_with_an_undecodable_body_is_an_unknown_outcome() -> None:
    client = DatadogClient(
        base_url="http://fake.test",
        api_key="a",
        app_key="b",
        transport=httpx.MockTransport(corrupt_gzip),
    )
    with client:
        with pytest.raises(ImportOutcomeUnknownError, match="could not be decoded") as caught:
            client.import_incident(IncidentImportRequest.of("Checkout down"))
        assert isinstance(caught.value.__cause__, UndecodableResponseError)
        delivered: list[ImportOutcome] = []
        yielded = list(
            client.import_many(requests("a", "b", "c"), concurrency=2, on_outcome=delivered.append)
        )
        with pytest.raises(UndecodableResponseError, match="could not be decoded"):
            client.get_incident("some-id")
    assert sorted(o.index for o in yielded) == [0, 1, 2]
    assert {o.status for o in yielded} == {"unknown"}
    assert delivered == yielded

    async def run() -> list[ImportOutcome]:
        async with AsyncDatadogClient(
            base_url="http://fake.test",
            api_key="a",
            app_key="b",
            transport=httpx.MockTransport(corrupt_gzip),
        ) as aclient:
            return [o async for o in aclient.import_many(requests("a", "b"), concurrency=2)]

    assert {o.status for o in asyncio.run(run())} == {"unknown"}


def test_a_429_asking_for_longer_than_the_cap_stops_the_run() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content)["data"]["attributes"]["title"])
        return httpx.Response(
            429, headers={"x-ratelimit-reset": "86400"}, json={"errors": ["Too many requests"]}
        )

    client = DatadogClient(
        base_url="http://fake.test",
        api_key="a",
        app_key="b",
        transport=httpx.MockTransport(handler),
    )
    outcomes: list[ImportOutcome] = []
    with client, pytest.raises(RateLimitedError, match="asked to wait 86400"):
        outcomes.extend(client.import_many(requests(*[f"ok{i}" for i in range(20)]), concurrency=1))
    assert [o.status for o in outcomes] == ["failed"]
    assert seen == ["ok0"]
