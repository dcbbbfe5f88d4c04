"""Persistence: a restarted emulator keeps its incidents, impacts and public_id counter."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from ddinc.datadog import DatadogClient, IncidentImportRequest, RetryPolicy
from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator, EmulatorConfig
from ddinc.datadog.emulator.store import Store
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


def journal(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_state_file_is_a_journal_with_one_line_per_change(tmp_path: Path) -> None:
    # Append-only: an import writes one line, whatever is stored already (no whole rewrite).
    state = tmp_path / "nested" / "state.json"
    emulator = Emulator(EmulatorConfig(persist=state))
    with client_for(emulator) as c:
        for n in range(3):
            c.post(IMPORT, json=import_body(f"incident {n}"))
        lines = journal(state)
        c.delete(f"/api/v2/incidents/{emulator.incidents[0].id}")
    assert lines[0] == {"format": "ddinc-emulator-journal", "version": 2}
    assert [line["incident"]["title"] for line in lines[1:]] == [f"incident {n}" for n in range(3)]
    assert journal(state)[: len(lines)] == lines  # earlier lines are never rewritten
    assert journal(state)[-1]["op"] == "delete"
    assert sorted(p.name for p in state.parent.iterdir()) == ["state.json"]  # no temp files left
    # A restart compacts it: the state, not the history.
    restarted = Emulator(EmulatorConfig(persist=state))
    assert [i.title for i in restarted.incidents] == ["incident 1", "incident 2"]
    assert [line.get("op") for line in journal(state)][1:] == ["counter", "incident", "incident"]
    assert restarted.store.next_public_id == 4


def test_a_line_cut_short_by_a_kill_is_no_change(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with client_for(Emulator(EmulatorConfig(persist=state))) as c:
        c.post(IMPORT, json=import_body("whole"))
    with state.open("a") as handle:
        handle.write('{"op":"incident","incident":{"id":"cut sh')  # killed mid-write
    restarted = Emulator(EmulatorConfig(persist=state))
    assert [i.title for i in restarted.incidents] == ["whole"]


def test_a_state_file_of_the_former_whole_json_format_is_read(tmp_path: Path) -> None:
    first = Emulator()
    with client_for(first) as c:
        c.post(IMPORT, json=import_body("from version 1"))
    (incident,) = first.incidents
    record = {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in asdict(incident).items()
    }
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            {
                "format": "ddinc-emulator-state",
                "version": 1,
                "next_public_id": 7,
                "incidents": [record],
                "impacts": [],
            }
        )
    )
    restarted = Emulator(EmulatorConfig(persist=state))
    assert restarted.incidents == [incident]
    assert restarted.store.next_public_id == 7
    assert journal(state)[0]["format"] == "ddinc-emulator-journal"


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


def start_emulator(state: Path) -> tuple[subprocess.Popen[str], str]:
    """``python -m ddinc.datadog.emulator --persist state`` on a free port; its URL."""
    root = Path(__file__).resolve().parents[3]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "ddinc.datadog.emulator", "--port", "0", "--persist", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"listening on (http://\S+)", first)
    assert match, first
    return process, match[1]


@pytest.mark.slow
def test_an_emulator_killed_mid_run_keeps_every_incident_whose_201_was_sent(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.json"
    told_created: set[str] = set()
    rng = random.Random(7)
    for iteration in range(4):
        process, url = start_emulator(state)
        stop = threading.Event()

        def records(iteration: int = iteration, stop: threading.Event = stop) -> Any:
            n = 0
            while not stop.is_set():
                yield IncidentImportRequest.of(f"run {iteration} record {n}")
                n += 1

        def push(url: str = url, records: Any = records) -> None:
            with DatadogClient(
                base_url=url,
                api_key=DEMO_API_KEY,
                app_key=DEMO_APP_KEY,
                policy=RetryPolicy(max_connect_attempts=1),
            ) as client:
                for outcome in client.import_many(records(), concurrency=8):
                    if outcome.status == "created":
                        told_created.add(str(outcome.incident_id))

        pusher = threading.Thread(target=push)
        pusher.start()
        time.sleep(rng.uniform(0.4, 1.2))
        process.send_signal(signal.SIGKILL)  # no goodbye: whatever was not written is lost
        process.wait()
        stop.set()
        pusher.join(timeout=60)
        assert not pusher.is_alive()
        assert process.stdout is not None
        process.stdout.close()
        stored = {incident.id for incident in Store(state).incidents()}
        assert told_created, "the run was killed before any import: nothing was tested"
        missing = told_created - stored
        assert not missing, f"iteration {iteration}: {len(missing)} created incidents lost"
