"""The clients against the real emulator: over loopback HTTP (sync) and in-process (async).

Everything here goes through the emulator colleague's independent implementation of the
endpoints, so a shared misunderstanding of the API cannot hide in a mock of our own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ddinc.datadog import (
    AsyncDatadogClient,
    DatadogClient,
    IncidentImpactCreateRequest,
    IncidentImportRequest,
    RetryPolicy,
)
from ddinc.datadog.errors import (
    BadRequestError,
    DatadogAPIError,
    DatadogConnectionError,
    ForbiddenError,
    ImportOutcomeUnknownError,
    NotFoundError,
    RateLimitedError,
)
from ddinc.datadog.models import IncidentTypeData, IncludedUser
from ddinc.errors import ConfigError

emulator_module = pytest.importorskip(
    "ddinc.datadog.emulator", reason="the emulator is not in this tree"
)
Emulator = emulator_module.Emulator
EmulatorConfig = emulator_module.EmulatorConfig
Faults = emulator_module.Faults
RateLimit = emulator_module.RateLimit
DEMO_API_KEY = emulator_module.DEMO_API_KEY
DEMO_APP_KEY = emulator_module.DEMO_APP_KEY

T0 = datetime(2024, 1, 12, 15, 45, tzinfo=UTC)
FAST = RetryPolicy(backoff_initial=0.01, backoff_max=0.05)


@pytest.fixture
def emulator() -> Emulator:
    return Emulator()


@pytest.fixture
def url(emulator: Emulator) -> Iterator[str]:
    with emulator.serve() as base_url:
        yield base_url


def client_for(url: str, **kwargs: object) -> DatadogClient:
    kwargs.setdefault("api_key", DEMO_API_KEY)
    kwargs.setdefault("app_key", DEMO_APP_KEY)
    kwargs.setdefault("policy", FAST)
    return DatadogClient(base_url=url, **kwargs)  # type: ignore[arg-type]


def resolved_import(title: str, commander: str | None = None) -> IncidentImportRequest:
    return IncidentImportRequest.of(
        title,
        detected=T0,
        declared=T0 + timedelta(minutes=4),
        resolved=T0 + timedelta(hours=2),
        fields={"severity": "SEV-2", "state": "resolved", "teams": ["payments"]},
        commander_user_id=commander,
    )


def test_the_sync_client_does_an_importers_whole_round_over_http(
    emulator: Emulator, url: str
) -> None:
    with client_for(url) as client:
        assert client.site is None
        (ann,) = client.find_users_by_email("  ann.lee@EXAMPLE.com ")
        assert ann.email == "Ann.Lee@Example.com"
        assert client.find_users_by_email("lee@example.com") == []  # a substring is not a match
        types = client.list_incident_types().data
        assert any(t.attributes is not None and t.attributes.is_default for t in types)
        fields = {f.attributes.name for f in client.list_user_defined_fields().data}
        assert {"severity", "state"} <= fields

        created = client.import_incident(
            resolved_import("Checkout down", commander=ann.id),
            include=["commander_user", "incident_type"],
        )
        attributes = created.data.attributes
        assert attributes is not None
        assert created.data.slug == f"IR-{created.data.public_id}"
        assert attributes.detected == T0
        assert attributes.resolved == T0 + timedelta(hours=2)
        assert attributes.fields is not None
        assert attributes.fields["severity"].value == "SEV-2"
        assert attributes.fields["teams"].value == ["payments"]
        included = created.included or []
        assert any(isinstance(i, IncludedUser) and i.id == ann.id for i in included)
        assert any(isinstance(i, IncidentTypeData) for i in included)
        assert [i.title for i in emulator.incidents] == ["Checkout down"]

        found = client.search_incidents("state:resolved")
        assert [i.id for i in found.incidents] == [created.incident_id]
        assert client.get_incident(created.incident_id).data.slug == created.data.slug
        client.delete_incident(created.incident_id)
        with pytest.raises(NotFoundError, match="not found"):
            client.get_incident(created.incident_id)
        assert client.get_user(ann.id).data.email == ann.email


def test_the_async_client_in_process(emulator: Emulator) -> None:
    async def run() -> None:
        async with AsyncDatadogClient(
            base_url="http://emulator.local",
            transport=emulator.transport(),
            api_key=DEMO_API_KEY,
            app_key=DEMO_APP_KEY,
        ) as client:
            (bob,) = await client.find_users_by_email("bob.martin@example.com")
            created = await client.import_incident(resolved_import("DB failover", commander=bob.id))
            impact = await client.create_incident_impact(
                created.incident_id,
                IncidentImpactCreateRequest.of(
                    "Writes failed", start_at=T0, end_at=T0 + timedelta(minutes=30)
                ),
            )
            assert impact.data.attributes is not None
            assert impact.data.attributes.start_at == T0
            assert [i.id for i in emulator.impacts] == [impact.data.id]
            got = await client.get_incident(created.incident_id)
            assert got.data.id == created.incident_id
            types = await client.list_incident_types()
            one = await client.get_incident_type(types.data[0].id)
            assert one.data.id == types.data[0].id
            fields = await client.list_user_defined_fields()
            field = await client.get_user_defined_field(fields.data[0].id)
            assert field.data.attributes.name == fields.data[0].attributes.name
            assert (await client.search_incidents("state:resolved")).data.attributes is not None
            await client.delete_incident(created.incident_id)

    asyncio.run(run())
    assert emulator.incidents == []


def test_a_field_value_the_org_does_not_have_is_a_bad_request(url: str) -> None:
    with client_for(url) as client, pytest.raises(BadRequestError, match="SEV-9") as caught:
        client.import_incident(IncidentImportRequest.of("t", fields={"severity": "SEV-9"}))
    assert caught.value.status == 400
    assert "list_user_defined_fields" in str(caught.value)


def test_json_api_error_bodies_are_read_too() -> None:
    emulator = Emulator(EmulatorConfig(import_error_shape="jsonapi"))
    with (
        emulator.serve() as url,
        client_for(url) as client,
        pytest.raises(BadRequestError) as caught,
    ):
        client.import_incident(IncidentImportRequest.of("t", fields={"severity": "SEV-9"}))
    assert any("SEV-9" in message for message in caught.value.messages)


def test_keys_of_no_org_and_missing_permissions_say_what_to_fix() -> None:
    emulator = Emulator(EmulatorConfig(read_only_app_keys=frozenset({"read-only-app-key"})))
    with emulator.serve() as url:
        with (
            client_for(url, api_key="not-a-key") as client,
            pytest.raises(DatadogAPIError) as caught,
        ):
            client.list_users()
        assert caught.value.status in (401, 403)
        assert "DD_SITE" in str(caught.value)
        with client_for(url, app_key="read-only-app-key") as client:
            client.list_users()  # reading is allowed
            with pytest.raises(ForbiddenError, match="incident_write"):
                client.import_incident(IncidentImportRequest.of("t"))
    assert emulator.incidents == []


def test_an_org_without_the_preview_gets_told_so() -> None:
    emulator = Emulator(EmulatorConfig(import_enabled=False))
    with (
        emulator.serve() as url,
        client_for(url) as client,
        pytest.raises(ForbiddenError, match="Preview"),
    ):
        client.import_incident(IncidentImportRequest.of("t"))


def test_a_5xx_after_the_incident_was_stored_is_unknown_and_never_duplicated(
    emulator: Emulator, url: str
) -> None:
    emulator.inject("error_after_store", operation="ImportIncident")
    with client_for(url) as client:
        with pytest.raises(ImportOutcomeUnknownError) as caught:
            client.import_incident(IncidentImportRequest.of("Stored then 500"))
        assert caught.value.status == 500
        # Exactly one incident exists: the client did not resend; reconciling finds it.
        assert [i.title for i in emulator.incidents] == ["Stored then 500"]
        assert client.search_incidents("state:active").data.attributes is not None


@pytest.mark.parametrize("fault", ["drop", "drop_after_store"])
def test_a_dropped_import_is_unknown_whether_or_not_it_was_stored(
    emulator: Emulator, url: str, fault: str
) -> None:
    emulator.inject(fault, operation="ImportIncident")
    with client_for(url) as client, pytest.raises(ImportOutcomeUnknownError):
        client.import_incident(IncidentImportRequest.of("dropped"))
    assert len(emulator.incidents) == (1 if fault == "drop_after_store" else 0)


def test_an_import_slower_than_the_timeout_is_unknown() -> None:
    emulator = Emulator(EmulatorConfig(faults=Faults(slow_delay=1.0)))
    emulator.inject("slow", operation="ImportIncident")
    with (
        emulator.serve() as url,
        client_for(url, timeout=0.3) as client,
        pytest.raises(ImportOutcomeUnknownError, match="timeout"),
    ):
        client.import_incident(IncidentImportRequest.of("slow"))
    assert len(emulator.incidents) == 1  # it was stored: only a reconcile can tell


def test_reads_ride_out_5xx_and_dropped_connections(emulator: Emulator, url: str) -> None:
    emulator.inject("error_before_store", operation="ListIncidentTypes")
    emulator.inject("drop", operation="ListIncidentTypes")
    with client_for(url) as client:
        assert client.list_incident_types().data
    statuses = [r.status for r in emulator.requests if r.operation == "ListIncidentTypes"]
    assert statuses == [500, 0, 200]


def test_a_429_is_waited_out_and_the_import_happens_once(emulator: Emulator, url: str) -> None:
    emulator.inject("rate_limited", operation="ImportIncident")
    with client_for(url) as client:
        created = client.import_incident(IncidentImportRequest.of("after a 429"))
    assert [i.id for i in emulator.incidents] == [created.incident_id]
    assert emulator.status_counts()[429] == 1


def test_a_burst_of_429s_does_not_pace_the_rest_of_the_run(emulator: Emulator, url: str) -> None:
    # The burst's headers advertise a tiny limit (5 per second); later answers carry none.
    # The learned limit must end with its window, not slow every later import.
    emulator.inject("rate_limited", operation="ImportIncident")
    with client_for(url) as client:
        client.import_incident(IncidentImportRequest.of("after a 429"))
        assert client.rate_limits()["ImportIncident"].limit is None
        outcomes = list(client.import_many(requests_titled(30), concurrency=8))
    assert [o.status for o in outcomes] == ["created"] * 30
    assert emulator.status_counts()[429] == 1


def requests_titled(count: int) -> list[IncidentImportRequest]:
    return [IncidentImportRequest.of(f"record {i}") for i in range(count)]


def limited(reset: str, status: int) -> httpx.Response:
    headers = {
        "x-ratelimit-limit": "10",
        "x-ratelimit-period": "10",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": reset,
        "x-ratelimit-name": "incidents_import",
    }
    if status == 429:
        return httpx.Response(429, headers=headers, json={"errors": ["Too many requests"]})
    return httpx.Response(status, headers=headers, json={"data": []})


def test_a_429_asking_for_years_raises_instead_of_sleeping() -> None:
    answers = iter([limited("100000000", 429)])
    client = DatadogClient(
        base_url="http://fake.test",
        api_key="a",
        app_key="b",
        transport=httpx.MockTransport(lambda request: next(answers)),
    )
    with client, pytest.raises(RateLimitedError, match="asked to wait 1e\\+08 s") as caught:
        client.import_incident(IncidentImportRequest.of("x"))
    assert caught.value.asked_wait == pytest.approx(1e8, rel=1e-3)
    assert caught.value.max_wait == RetryPolicy().max_server_wait


def test_an_exhausted_window_ending_in_years_waits_no_longer_than_the_cap() -> None:
    # A success that says "0 left, resets in 1e8 s": the next call waits the cap (here 0.2 s),
    # not years, and the 429 it then gets asking for years is raised.
    answers = iter([limited("100000000", 200), limited("100000000", 429)])
    client = DatadogClient(
        base_url="http://fake.test",
        api_key="a",
        app_key="b",
        transport=httpx.MockTransport(lambda request: next(answers)),
        policy=RetryPolicy(max_server_wait=0.2),
    )
    with client:
        client.list_incident_types()
        with pytest.raises(RateLimitedError, match="max_server_wait"):
            client.list_incident_types()


def test_many_imports_are_paced_under_the_limit_without_a_429() -> None:
    emulator = Emulator(EmulatorConfig(rate_limit=RateLimit(limit=20, period=1)))

    async def run() -> list[str]:
        async with AsyncDatadogClient(
            base_url="http://emulator.local",
            transport=emulator.transport(),
            api_key=DEMO_API_KEY,
            app_key=DEMO_APP_KEY,
        ) as client:
            titles = [f"paced {i}" for i in range(30)]
            return [
                o.status
                async for o in client.import_many(
                    [IncidentImportRequest.of(t) for t in titles], concurrency=8
                )
            ]

    assert asyncio.run(run()) == ["created"] * 30
    assert 429 not in emulator.status_counts()
    assert len(emulator.incidents) == 30


def test_nothing_listening_is_a_connection_error_that_was_never_sent() -> None:
    with (
        client_for("http://127.0.0.1:9", timeout=1.0) as client,
        pytest.raises(DatadogConnectionError) as caught,
    ):
        client.import_incident(IncidentImportRequest.of("t"))
    assert caught.value.sent is False


def test_a_non_loopback_url_without_a_transport_is_refused() -> None:
    with pytest.raises(ConfigError, match="Refusing to send Datadog keys"):
        DatadogClient(base_url="http://10.1.2.3:8126", api_key="a", app_key="b")


def test_the_environment_names_the_site_and_the_keys() -> None:
    env = {
        "DD_SITE": "datadoghq.eu",
        "DD_API_KEY": "env-api-key-123",
        "DD_APP_KEY": "env-app-key-456",
    }
    with DatadogClient(environ=env) as client:
        assert client.base_url == "https://api.datadoghq.eu"
        assert client.site == "datadoghq.eu"
        assert "env-api-key-123" not in repr(client)


def test_keys_appear_in_no_repr_log_or_error(caplog: pytest.LogCaptureFixture) -> None:
    api_key, app_key = (
        "api-9c1f2e7d4b6a8f0e3d5c7b9a1e2f4d6c",
        "app-0f3e5d7c9b1a2f4e6d8c0b2a4f6e8d0c1b3a5f7e",
    )
    emulator = Emulator(
        EmulatorConfig(api_keys=frozenset({api_key}), app_keys=frozenset({app_key}))
    )
    caplog.set_level(logging.DEBUG)
    shown: list[str] = []
    with emulator.serve() as url:
        with client_for(url, api_key=api_key, app_key=app_key) as client:
            shown += [repr(client), str(client.__dict__), repr(client._credentials)]
            client.import_incident(IncidentImportRequest.of("t"))
            emulator.inject("error_after_store", operation="ImportIncident")
            with pytest.raises(ImportOutcomeUnknownError) as unknown:
                client.import_incident(IncidentImportRequest.of("t2"))
            shown += [str(unknown.value), repr(unknown.value)]
        with client_for(url, api_key=api_key, app_key="wrong-" + app_key) as client:
            with pytest.raises(DatadogAPIError) as refused:
                client.list_users()
            shown += [str(refused.value), repr(refused.value), repr(refused.value.__dict__)]
    shown += [record.getMessage() for record in caplog.records]
    assert any("HTTP Request" in line for line in shown)  # httpx did log the requests
    for text in shown:
        assert api_key not in text
        assert app_key not in text


def test_requests_carry_the_keys_accept_and_user_agent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": []})

    with DatadogClient(
        base_url="http://x.test", api_key="a1", app_key="b2", transport=httpx.MockTransport(handler)
    ) as client:
        client.list_incident_types()
    headers = seen[0].headers
    assert headers["DD-API-KEY"] == "a1"
    assert headers["DD-APPLICATION-KEY"] == "b2"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("ddinc/")


def _recorder(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v2/users":
            page = int(request.url.params["page[number]"])
            count = 100 if page < 2 else 7  # three pages: 100, 100, 7
            users = [
                {
                    "id": f"u{page}-{i}",
                    "type": "users",
                    "attributes": {"email": f"user{page}.{i}@example.com"},
                }
                for i in range(count)
            ]
            return httpx.Response(200, json={"data": users})
        return httpx.Response(201, json={"data": {"id": "i", "type": "incidents"}})

    return httpx.MockTransport(handler)


def test_sync_and_async_build_identical_requests() -> None:
    request = resolved_import("same bytes", commander="cf46f394-7d1e-4ef3-8db2-fa6ed745772e")
    sync_seen: list[httpx.Request] = []
    async_seen: list[httpx.Request] = []
    with DatadogClient(
        base_url="http://x.test", api_key="a", app_key="b", transport=_recorder(sync_seen)
    ) as client:
        client.import_incident(request, include=["incident_type"])
        sync_users = list(client.iter_users(filter="example.com"))

    async def run() -> list[object]:
        async with AsyncDatadogClient(
            base_url="http://x.test", api_key="a", app_key="b", transport=_recorder(async_seen)
        ) as client:
            await client.import_incident(request, include=["incident_type"])
            return [user async for user in client.iter_users(filter="example.com")]

    async_users = asyncio.run(run())
    assert len(sync_users) == len(async_users) == 207  # every page, stopping at the short one
    assert len(sync_seen) == len(async_seen) == 4
    for one, other in zip(sync_seen, async_seen, strict=True):
        assert (one.method, str(one.url), one.content) == (
            other.method,
            str(other.url),
            other.content,
        )
        assert one.headers["DD-API-KEY"] == other.headers["DD-API-KEY"]


def test_a_network_transport_does_not_open_the_door_to_other_hosts() -> None:
    # A mock or the emulator's transport keeps requests in-process: any base URL will do.
    DatadogClient(
        base_url="http://x.test", api_key="a", app_key="b", transport=httpx.MockTransport(_ok)
    ).close()
    # httpx's real network transport would carry the keys to that host: refused.
    with pytest.raises(ConfigError):
        DatadogClient(
            base_url="http://x.test", api_key="a", app_key="b", transport=httpx.HTTPTransport()
        )


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={})


class RecordingProxy:
    """A local 'proxy' that records whether anyone connected and answers 502 to all."""

    def __init__(self) -> None:
        self.contacted = threading.Event()
        self.seen = b""
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.server.accept()
                self.contacted.set()
                with connection:
                    connection.settimeout(2)
                    with contextlib.suppress(OSError):
                        self.seen += connection.recv(65536)
                        connection.sendall(
                            b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                            b"Connection: close\r\n\r\n"
                        )

    def close(self) -> None:
        self.server.close()


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"])
def test_requests_to_the_loopback_emulator_never_go_through_a_proxy(
    emulator: Emulator, url: str, variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = RecordingProxy()
    try:
        monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")
        with client_for(url) as client:
            client.import_incident(IncidentImportRequest.of("not via the proxy"))

        async def run() -> None:
            async with AsyncDatadogClient(
                base_url=url, api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY
            ) as aclient:
                await aclient.list_incident_types()

        asyncio.run(run())
    finally:
        proxy.close()
    assert not proxy.contacted.is_set(), proxy.seen[:200]
    assert len(emulator.incidents) == 1


def test_incidents_are_listed_page_by_page_and_impacts_per_incident(url: str) -> None:
    with client_for(url) as client:
        ids = [
            client.import_incident(IncidentImportRequest.of(f"n{n}")).incident_id for n in range(3)
        ]
        impact = IncidentImpactCreateRequest.of("checkout down", start_at=T0)
        client.create_incident_impact(ids[1], impact)
        first = client.list_incidents(page_size=2)
        second = client.list_incidents(page_size=2, page_offset=2)
        assert [i.id for i in first.data + second.data] == ids
        assert [len(client.list_incident_impacts(i).data) for i in ids] == [0, 1, 0]
        with pytest.raises(ConfigError, match="1 to 100"):
            client.list_incidents(page_size=0)
        with pytest.raises(NotFoundError):
            client.list_incident_impacts("5f0c2a6e-0000-4000-8000-000000000000")


def test_search_sorts_by_creation_both_ways(url: str) -> None:
    with client_for(url) as client:
        ids = [
            client.import_incident(IncidentImportRequest.of(f"n{n}")).incident_id for n in range(3)
        ]
        query = "state:(active OR stable OR resolved)"
        newest = client.search_incidents(query, sort="-created").incidents
        oldest = client.search_incidents(query, sort="created", page_size=2).incidents
        assert [i.id for i in newest] == ids[::-1]
        assert [i.id for i in oldest] == ids[:2]


def test_the_import_probe_is_refused_with_400_and_creates_nothing(
    emulator: Emulator, url: str
) -> None:
    with client_for(url) as client, pytest.raises(BadRequestError):
        client.probe_import()
    assert emulator.incidents == []


@pytest.mark.parametrize(
    "config",
    [
        {"import_enabled": False},
        {
            "app_keys": frozenset(),
            "app_key_permissions": {DEMO_APP_KEY: frozenset({"incident_read"})},
        },
    ],
)
def test_the_import_probe_meets_a_closed_preview_or_a_missing_permission_with_403(
    config: dict[str, object],
) -> None:
    emulator = Emulator(EmulatorConfig(**config))

    async def probe(transport: httpx.AsyncBaseTransport) -> None:
        async with AsyncDatadogClient(
            base_url="http://emulator.local", transport=transport,
            api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY,
        ) as client:  # fmt: skip
            await client.probe_import()

    with pytest.raises(ForbiddenError):
        asyncio.run(probe(emulator.transport()))
    assert emulator.incidents == []
