"""In-process transports: the same answers as the server, drops and timeouts included."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from ddinc.datadog.emulator import Emulator, FaultKind
from tests.datadog.emulator.conftest import IMPORT, KEYS, import_body


def test_the_async_transport_serves_concurrent_imports() -> None:
    emulator = Emulator()

    async def main() -> list[int]:
        async with httpx.AsyncClient(
            transport=emulator.transport(), base_url="http://emulator.local", headers=KEYS
        ) as client:
            responses = await asyncio.gather(
                *(client.post(IMPORT, json=import_body(f"t{n}")) for n in range(25))
            )
        return [r.status_code for r in responses]

    assert asyncio.run(main()) == [201] * 25
    assert sorted(i.public_id for i in emulator.incidents) == list(range(1, 26))


def test_the_async_transport_drops_and_times_out_like_a_server() -> None:
    emulator = Emulator()

    async def main() -> list[str]:
        outcomes = []
        async with httpx.AsyncClient(
            transport=emulator.transport(), base_url="http://e", headers=KEYS
        ) as c:
            for kind in (FaultKind.DROP, FaultKind.SLOW):
                emulator.inject(kind)
                try:
                    await c.post(IMPORT, json=import_body(), timeout=0.2)
                except httpx.HTTPError as exc:
                    outcomes.append(type(exc).__name__)
        return outcomes

    assert asyncio.run(main()) == ["RemoteProtocolError", "ReadTimeout"]


def test_the_sync_transport_runs_its_own_loop_until_closed() -> None:
    emulator = Emulator()
    before = set(threading.enumerate())
    transport = emulator.sync_transport()
    loop_threads = set(threading.enumerate()) - before
    assert [t.name for t in loop_threads] == ["ddinc-emulator-sync-transport"]
    with httpx.Client(transport=transport, base_url="http://e", headers=KEYS) as client:
        assert client.get("/api/v2/users").status_code == 200
    assert all(not t.is_alive() for t in loop_threads)
    transport.close()  # closing twice is harmless
    with pytest.raises(RuntimeError, match="closed"):
        transport.handle_request(httpx.Request("GET", "http://e/api/v2/users"))


def test_the_sync_transport_keeps_headers_and_bodies_intact() -> None:
    emulator = Emulator()
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS) as c:
        response = c.post(
            IMPORT, json=import_body("Ünïcode ✓"), params={"include": "incident_type"}
        )
    assert response.headers["content-type"] == "application/vnd.api+json"
    assert response.json()["data"]["attributes"]["title"] == "Ünïcode ✓"
    assert response.json()["included"][0]["type"] == "incident_types"
