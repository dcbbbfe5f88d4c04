"""Persistence: a restarted emulator keeps its incidents, impacts and public_id counter."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from ddinc.datadog.emulator import Emulator, EmulatorConfig
from ddinc.errors import ConfigError
from tests.datadog.emulator.conftest import IMPORT, KEYS, import_body

IMPACT = {
    "data": {
        "type": "incident_impacts",
        "attributes": {"description": "d", "start_at": "2025-01-01T00:00:00Z"},
    }
}


def client_for(emulator: Emulator) -> httpx.Client:
    return httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS)


def test_a_restart_keeps_incidents_impacts_and_the_counter(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = Emulator(EmulatorConfig(persist=state, first_public_id=100))
    with client_for(first) as c:
        kept = c.post(
            IMPORT, json=import_body("kept", fields={"severity": {"value": "SEV-2"}})
        ).json()
        gone = c.post(IMPORT, json=import_body("deleted")).json()
        c.post(f"/api/v2/incidents/{kept['data']['id']}/impacts", json=IMPACT)
        c.delete(f"/api/v2/incidents/{gone['data']['id']}")

    restarted = Emulator(EmulatorConfig(persist=state))
    assert restarted.incidents == first.incidents
    assert restarted.impacts == first.impacts
    with client_for(restarted) as c:
        again = c.get(f"/api/v2/incidents/{kept['data']['id']}").json()["data"]["attributes"]
        newer = c.post(IMPORT, json=import_body("after restart")).json()["data"]["attributes"]
    assert again["title"] == "kept"
    assert again["severity"] == "SEV-2"
    assert again["customer_impacted"] is True
    # 100 and 101 were used (101 was deleted since): public ids are never handed out twice.
    assert newer["public_id"] == 102
    assert newer["fields"]["slug"]["value"] == "IR-102"


def test_the_state_file_is_readable_json_and_written_whole(tmp_path: Path) -> None:
    state = tmp_path / "nested" / "state.json"
    emulator = Emulator(EmulatorConfig(persist=state))
    with client_for(emulator) as c:
        for n in range(3):
            c.post(IMPORT, json=import_body(f"incident {n}"))
    saved = json.loads(state.read_text())
    assert saved["format"] == "ddinc-emulator-state"
    assert saved["next_public_id"] == 4
    assert [i["title"] for i in saved["incidents"]] == ["incident 0", "incident 1", "incident 2"]
    assert sorted(p.name for p in state.parent.iterdir()) == ["state.json"]  # no temp files left


def test_a_failed_import_does_not_touch_the_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emulator = Emulator(EmulatorConfig(persist=state))
    with client_for(emulator) as c:
        assert c.post(IMPORT, json=import_body("x" * 2000)).status_code == 400
    assert not state.exists()


def test_the_real_server_persists_across_a_restart_too(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with (
        Emulator(EmulatorConfig(persist=state)).serve() as url,
        httpx.Client(base_url=url, headers=KEYS) as c,
    ):
        incident_id = c.post(IMPORT, json=import_body("over http")).json()["data"]["id"]
    with (
        Emulator(EmulatorConfig(persist=state)).serve() as url,
        httpx.Client(base_url=url, headers=KEYS) as c,
    ):
        assert (
            c.get(f"/api/v2/incidents/{incident_id}").json()["data"]["attributes"]["title"]
            == "over http"
        )


@pytest.mark.parametrize(
    ("content", "mentions"),
    [
        ("{not json", "unreadable"),
        ('{"format": "something else"}', "not an emulator state file"),
        ('{"format": "ddinc-emulator-state", "version": 99}', "version"),
        ('{"format": "ddinc-emulator-state", "version": 1, "incidents": [{"id": 1}]}', "damaged"),
    ],
)
def test_a_bad_state_file_is_a_config_error_saying_what_to_do(
    tmp_path: Path, content: str, mentions: str
) -> None:
    state = tmp_path / "state.json"
    state.write_text(content)
    with pytest.raises(ConfigError, match=mentions) as refused:
        Emulator(EmulatorConfig(persist=state))
    assert "delete it" in str(refused.value)
