"""The real HTTP server: uvicorn in a background thread on a loopback port, stopped cleanly."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from ddinc.datadog.emulator import Emulator
from ddinc.datadog.emulator.server import is_loopback, listening_socket
from ddinc.errors import ConfigError
from tests.datadog.emulator.conftest import IMPORT, KEYS, import_body


def emulator_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("ddinc-emulator-127")]


def refuses_connections(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_port_0_serves_on_a_real_port_and_stops_cleanly() -> None:
    emulator = Emulator()
    with emulator.serve() as url:
        assert url.startswith("http://127.0.0.1:")
        port = int(url.rsplit(":", 1)[1])
        assert port > 0
        with httpx.Client(base_url=url, headers=KEYS) as client:
            response = client.post(IMPORT, json=import_body())
        assert response.status_code == 201
        assert response.headers["content-type"] == "application/vnd.api+json"
        assert emulator_threads() != []
    assert emulator_threads() == []
    assert refuses_connections(port)


def test_two_servers_at_once_share_one_emulator_or_not() -> None:
    shared = Emulator()
    other = Emulator()
    with shared.serve() as a, shared.serve() as b, other.serve() as c:
        assert len({a, b, c}) == 3
        for url in (a, b):
            with httpx.Client(base_url=url, headers=KEYS) as client:
                client.post(IMPORT, json=import_body(url))
        with httpx.Client(base_url=c, headers=KEYS) as client:
            assert client.get("/api/v2/incidents").json()["data"] == []
    assert [i.title for i in shared.incidents] == [a, b]
    assert [i.public_id for i in shared.incidents] == [1, 2]


def test_concurrent_clients_get_distinct_public_ids() -> None:
    emulator = Emulator()
    with emulator.serve() as url:

        def send(n: int) -> None:
            with httpx.Client(base_url=url, headers=KEYS) as client:
                for _ in range(10):
                    assert client.post(IMPORT, json=import_body(f"t{n}")).status_code == 201

        workers = [threading.Thread(target=send, args=(n,)) for n in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert sorted(i.public_id for i in emulator.incidents) == list(range(1, 41))


def test_a_port_in_use_is_a_config_error() -> None:
    with Emulator().serve() as url:
        port = int(url.rsplit(":", 1)[1])
        with pytest.raises(ConfigError, match="port"), Emulator().serve(port=port):
            pass  # pragma: no cover


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_only_loopback_addresses_are_served(host: str) -> None:
    with pytest.raises(ConfigError, match="loopback"), Emulator().serve(host=host):
        pass  # pragma: no cover


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.1", False),
        ("api.datadoghq.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_ipv6_loopback_urls_are_bracketed() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        with (
            Emulator().serve(host="::1") as url,
            httpx.Client(base_url=url, headers=KEYS) as client,
        ):
            assert url.startswith("http://[::1]:")
            assert client.get("/api/v2/users").status_code == 200
    except ConfigError:
        pytest.skip("::1 cannot be bound here")


def test_the_listening_socket_is_tcp_so_that_asyncio_disables_nagle() -> None:
    """asyncio sets TCP_NODELAY only on connections of IPPROTO_TCP sockets; without it every
    answer of the emulator waited for a delayed ACK (about 40 ms: 22 requests/s at best)."""
    with listening_socket("127.0.0.1", 0) as listener:
        assert listener.proto == socket.IPPROTO_TCP
        assert listener.getsockname()[1] > 0
