"""``ddinc push / reconcile / rollback / ledger`` as a script sees them: output, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE
from typing import Any

import pytest

from ddinc.cli import main
from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator, EmulatorConfig, Org
from ddinc.datadog.emulator.faults import Faults
from ddinc.push import Ledger
from tests.conftest import ROOT
from tests.push._trial import (
    fault_after_preflight,
    impacts_per_incident,
    legacy_ids,
    write_trial,
)


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DD_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("DD_APP_KEY", DEMO_APP_KEY)


def test_dry_run_push_reconcile_ledger_rollback(
    keys: None,
    emulator: Emulator,
    connect: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, mapping = write_trial(tmp_path, 12)
    ledger = tmp_path / "trial.ledger"
    common = [str(path), "--source", str(mapping), "--ledger", str(ledger)]
    common += ["--base-url", connect["base_url"], "--no-progress"]
    assert main(["push", *common, "--dry-run"]) == 0
    assert "12 ready" in capsys.readouterr().out
    assert emulator.incidents == []
    with fault_after_preflight(
        monkeypatch, emulator, "error_after_store", operation="ImportIncident"
    ):
        assert main(["push", *common, "--yes", "--concurrency", "1"]) == 3
    assert "reconcile" in capsys.readouterr().out
    assert main(["reconcile", "--ledger", str(ledger), "--base-url", connect["base_url"]]) == 0
    assert "1 created" in capsys.readouterr().out
    assert main(["push", *common, "--yes"]) == 0
    assert "impacts still to send: 1" in capsys.readouterr().out  # of the one reconciled
    assert main(["ledger", str(ledger), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["records"]["created"] == 12
    assert summary["target"] == connect["base_url"]
    assert [run["kind"] for run in summary["runs"]] == ["push", "reconcile", "push"]
    assert (
        main(["rollback", "--ledger", str(ledger), "--base-url", connect["base_url"], "--yes"]) == 0
    )
    assert emulator.incidents == []
    assert DEMO_API_KEY.encode() not in ledger.read_bytes()


def test_held_rows_exit_1_and_bad_options_exit_2(
    keys: None, connect: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).resolve().parents[2] / "data" / "jira_incidents.csv"
    ledger = tmp_path / "l.db"
    base = [str(sample), "--ledger", str(ledger), "--base-url", connect["base_url"]]
    assert main(["push", *base, "--dry-run"]) == 1
    assert "held" in capsys.readouterr().out
    assert main(["push", *base, "--dry-run", "--where", "nonsense ==="]) == 2
    assert main(["push", *base, "--concurrency", "0"]) == 2
    assert main(["push", *base, "--dry-run", "--base-url", "http://example.com"]) == 2


@pytest.mark.slow
def test_two_pushes_at_once_on_one_ledger_hold_every_record_once(tmp_path: Path) -> None:
    path, mapping = write_trial(tmp_path, 60)
    ledger = tmp_path / "trial.ledger"
    # Slow answers: the first push still sends when the second starts, whichever wins.
    emulator = Emulator(EmulatorConfig(faults=Faults(latency=0.05)))
    env = {**os.environ, "DD_API_KEY": DEMO_API_KEY, "DD_APP_KEY": DEMO_APP_KEY}
    env["PYTHONPATH"] = str(ROOT)
    with emulator.serve() as url:
        command = [sys.executable, "-m", "ddinc.cli", "push", str(path), "--source", str(mapping)]
        command += ["--ledger", str(ledger), "--base-url", url, "--yes", "--no-progress"]
        command += ["--concurrency", "2"]
        runs = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=PIPE, stderr=PIPE) for _ in range(2)
        ]
        ended = [(run.wait(timeout=300), *run.communicate()) for run in runs]
    codes = sorted(code for code, _, _ in ended)
    # Either the second waited for the first and found everything created, or it was
    # refused, naming the ledger and what to do; never a second incident.
    assert codes in ([0, 0], [0, 2]), ended
    for code, _, err in ended:
        if code == 2:
            assert f"{ledger} is in use by process" in err.decode()
    held = legacy_ids(emulator)
    assert len(held) == 60
    assert set(held.values()) == {1}
    assert sorted(impacts_per_incident(emulator).values()) == [1] * 20
    with Ledger(ledger) as opened:
        assert opened.counts()["created"] == 60


def test_an_edited_row_exits_4_and_is_listed(
    keys: None,
    emulator: Emulator,
    connect: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, mapping = write_trial(tmp_path, 4)
    ledger = tmp_path / "trial.ledger"
    common = [str(path), "--source", str(mapping), "--ledger", str(ledger)]
    common += ["--base-url", connect["base_url"], "--no-progress", "--yes"]
    assert main(["push", *common]) == 0
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Trial incident 1:", "Trial incident one:"), encoding="utf-8")
    capsys.readouterr()
    assert main(["push", *common]) == 4
    out = capsys.readouterr().out
    assert "  changed trial:T-00001 (incident " in out
    assert "1 changed since created: not re-sent" in out
    assert len(emulator.incidents) == 4


def test_push_stops_with_the_doctor_report_when_the_org_is_not_ready(
    keys: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, mapping = write_trial(tmp_path, 3)
    emulator = Emulator(EmulatorConfig(org=Org.default().with_provenance("some-types")))
    with emulator.serve() as url:
        common = [str(path), "--source", str(mapping), "--ledger", str(tmp_path / "l.db")]
        common += ["--base-url", url, "--no-progress"]
        assert main(["push", *common, "--dry-run"]) == 1
        planned = capsys.readouterr().out
        assert main(["push", *common, "--yes"]) == 1
        pushed = capsys.readouterr()
    assert "NOT OK  provenance field 'legacy_id'" in planned
    assert "plan: 3 selected" in planned  # the dry run still shows the plan under the report
    assert "absent on 'Security Incident'" in pushed.out
    assert "stopped: the org is not ready" in pushed.err
    assert emulator.incidents == []


def test_a_ready_org_costs_the_push_one_line(
    keys: None, connect: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, mapping = write_trial(tmp_path, 2)
    common = [str(path), "--source", str(mapping), "--ledger", str(tmp_path / "l.db")]
    assert main(["push", *common, "--base-url", connect["base_url"], "--yes", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("doctor: ready: 7 checks passed")


def test_a_dry_run_with_keys_that_read_nothing_stops_after_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DD_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("DD_APP_KEY", "not-this-orgs-key")
    path, mapping = write_trial(tmp_path, 2)
    with Emulator().serve() as url:
        argv = [str(path), "--source", str(mapping), "--ledger", str(tmp_path / "l.db")]
        assert main(["push", *argv, "--base-url", url, "--dry-run"]) == 1
    captured = capsys.readouterr()
    assert "NOT OK  keys" in captured.out
    assert "plan:" not in captured.out
    assert "stopped: the org is not ready" in captured.err


@pytest.mark.slow
def test_a_doctor_check_lost_to_5xx_does_not_stop_the_push(
    keys: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, mapping = write_trial(tmp_path, 2)
    emulator = Emulator()
    emulator.inject("error_before_store", operation="SearchIncidents", times=4)
    with emulator.serve() as url:
        argv = [str(path), "--source", str(mapping), "--ledger", str(tmp_path / "l.db")]
        assert main(["push", *argv, "--base-url", url, "--yes", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "NOT OK  search" in out
    assert "only transient failures" in out
    assert len(emulator.incidents) == 2


def test_an_unknown_reconcile_cannot_check_is_settled_by_hand_with_a_note(
    keys: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, mapping = write_trial(tmp_path, 4)
    ledger = tmp_path / "trial.ledger"
    emulator = Emulator(EmulatorConfig(search_unknown_facet="error"))
    with emulator.serve() as url:
        common = [str(path), "--source", str(mapping), "--ledger", str(ledger)]
        common += ["--base-url", url, "--no-progress", "--yes", "--concurrency", "1"]
        with fault_after_preflight(
            monkeypatch, emulator, "error_before_store", operation="ImportIncident"
        ):
            assert main(["push", *common]) == 3
        settle = ["--ledger", str(ledger), "--base-url", url, "--settle-after", "0"]
        assert main(["reconcile", *settle]) == 3
        assert "cannot check" in capsys.readouterr().out
        with Ledger(ledger) as opened:
            (key,) = [record.row_key for record in opened.records(["unknown"])]
        by_hand = ["reconcile", *settle, "--not-created", key, "--yes"]
        assert main(by_hand) == 2  # no note: say what was checked
        assert "say what was checked" in capsys.readouterr().err
        assert main([*by_hand, "--note", "no incident with its title in the app"]) == 0
        assert "1 record(s) recorded not created" in capsys.readouterr().out
        assert main(["push", *common]) == 0
    assert sorted(legacy_ids(emulator).values()) == [1, 1, 1, 1]
