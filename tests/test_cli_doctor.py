"""``ddinc doctor``: the report on screen and its exit status, 0 ready, 1 not ready, 2 usage."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ddinc.cli import main
from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator, EmulatorConfig, Org
from tests.conftest import ROOT


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DD_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("DD_APP_KEY", DEMO_APP_KEY)


def test_ready_exits_0_and_prints_every_check(
    keys: None, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = Emulator()
    with emulator.serve() as url:
        assert main(["doctor", "--base-url", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ddinc doctor: {url}")
    assert out.count("  ok  ") == 7
    assert "ready: 7 checks passed" in out
    assert emulator.incidents == []


def test_not_ready_exits_1_naming_the_fix(keys: None, capsys: pytest.CaptureFixture[str]) -> None:
    emulator = Emulator(EmulatorConfig(org=Org.default().with_provenance("absent")))
    with emulator.serve() as url:
        assert main(["doctor", "--base-url", url]) == 1
    out = capsys.readouterr().out
    assert "NOT OK  provenance field 'legacy_id'" in out
    assert "fix: in Datadog, Incidents > Settings > Property Fields" in out
    assert "not ready: 1 of 7 checks fail" in out


def test_another_provenance_field_is_checked(
    keys: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with Emulator().serve() as url:
        assert main(["doctor", "--base-url", url, "--provenance-field", "ticket_ref"]) == 1
    assert "provenance field 'ticket_ref'" in capsys.readouterr().out


def test_site_and_base_url_together_are_a_usage_error_exit_2() -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["doctor", "--site", "datadoghq.eu", "--base-url", "http://127.0.0.1:1"])
    assert stopped.value.code == 2


@pytest.mark.parametrize(
    "argv", [["doctor", "--base-url", "http://example.com"], ["doctor", "--timeout", "0"]]
)
def test_configuration_errors_exit_2_with_one_line(
    keys: None, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_keys_not_set_exit_2_in_a_subprocess_with_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DD_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "ddinc.cli", "doctor", "--base-url", "http://127.0.0.1:9"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_doctor_against_a_served_emulator_whose_key_lacks_a_permission() -> None:
    """The held-out path end to end: two processes, as a user would run them."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.update(DD_API_KEY=DEMO_API_KEY, DD_APP_KEY=DEMO_APP_KEY)
    serving = ["--port", "0", "--app-key-permissions", "incident_read,incident_write"]
    emulator = subprocess.Popen(
        [sys.executable, "-m", "ddinc.datadog.emulator", *serving],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        url = emulator.stdout.readline().rsplit(" ", 1)[1].strip()
        result = subprocess.run(
            [sys.executable, "-m", "ddinc.cli", "doctor", "--base-url", url],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        emulator.terminate()
        emulator.communicate(timeout=30)
    assert result.returncode == 1, result.stderr
    assert "NOT OK  users" in result.stdout
    assert "the user_access_read permission" in result.stdout
    assert DEMO_APP_KEY not in result.stdout
