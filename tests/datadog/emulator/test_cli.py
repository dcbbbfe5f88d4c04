"""The emulator command: options, errors, and a real run in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, RateLimit, main
from ddinc.datadog.emulator.cli import build_parser, config_from_args
from tests.conftest import ROOT
from tests.datadog.emulator.conftest import IMPORT, KEYS, import_body


def test_every_option_is_documented() -> None:
    undocumented = [a.dest for a in build_parser()._actions if not a.help]
    assert undocumented == []


def test_options_become_the_configuration(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        [
            "--rate-limit", "60/10",
            "--read-rate-limit", "100/60",
            "--latency", "0.05",
            "--fault-5xx-after", "0.01",
            "--fault-429-burst", "0.02",
            "--burst-length", "3",
            "--seed", "7",
            "--fault-operations", "ImportIncident, GetIncident",
            "--persist", str(tmp_path / "s.json"),
            "--first-public-id", "500",
            "--import-error-shape", "jsonapi",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert config.rate_limit == RateLimit(60, 10, "incidents_import")
    assert config.read_rate_limit == RateLimit(100, 60, "incidents_read")
    faults = config.faults
    assert (faults.latency, faults.error_after_store, faults.rate_limited) == (0.05, 0.01, 0.02)
    assert (faults.burst_length, faults.seed) == (3, 7)
    assert faults.operations == {"ImportIncident", "GetIncident"}
    assert (config.persist, config.first_public_id) == (tmp_path / "s.json", 500)
    assert config.import_error_shape == "jsonapi"


@pytest.mark.parametrize(
    "argv",
    [
        ["--rate-limit", "fast"],
        ["--fault-drop", "2"],
        ["--host", "0.0.0.0", "--port", "0"],
        ["--org", "/nonexistent/org.json"],
    ],
)
def test_bad_settings_exit_2_with_a_message(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_real_run_prints_the_url_and_demo_keys_and_stops_on_a_signal(
    signum: int, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    stats = tmp_path / "stats.json"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "ddinc.datadog.emulator", "--port", "0"),
            *("--rate-limit", "5/10", "--stats-file", str(stats)),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("ddinc Datadog emulator listening on http://127.0.0.1:"), first
        url = first.rsplit(" ", 1)[1].strip()
        lines = [process.stdout.readline() for _ in range(5)]
        assert f"DD_API_KEY={DEMO_API_KEY}\n" in [line.lstrip() for line in lines]
        assert f"DD_APP_KEY={DEMO_APP_KEY}\n" in [line.lstrip() for line in lines]
        with httpx.Client(base_url=url, headers=KEYS) as client:
            response = client.post(IMPORT, json=import_body())
        assert response.status_code == 201
        assert response.headers["x-ratelimit-limit"] == "5"
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "emulator stopped" in out
    assert json.loads(stats.read_text()) == {
        "status_counts": {"201": 1},
        "incidents": 1,
        "distinct_titles": 1,
    }


def test_the_main_module_can_be_imported_without_running() -> None:
    """``ddinc emulator`` imports ``main`` from ``__main__``: importing must not serve."""
    import importlib

    module = importlib.import_module("ddinc.datadog.emulator.__main__")
    assert module.main is main


def test_search_options_become_the_configuration() -> None:
    args = build_parser().parse_args(["--search-lag", "30", "--search-unknown-facet", "ignore"])
    config = config_from_args(args)
    assert (config.search_lag, config.search_unknown_facet) == (30.0, "ignore")
    defaults = config_from_args(build_parser().parse_args([]))
    assert (defaults.search_lag, defaults.search_unknown_facet) == (0.0, "match")
    assert main(["--search-lag", "-1"]) == 2


def test_org_variant_options_become_the_configuration() -> None:
    args = build_parser().parse_args(
        ["--app-key-permissions", "incident_read, user_access_read", "--import-disabled",
         "--provenance", "absent"]
    )  # fmt: skip
    config = config_from_args(args)
    assert DEMO_APP_KEY not in config.app_keys
    assert config.app_key_permissions == {
        DEMO_APP_KEY: frozenset({"incident_read", "user_access_read"})
    }
    assert config.import_enabled is False
    assert not any(f.name == "legacy_id" for f in config.org.fields)


def test_defaults_leave_the_org_ready() -> None:
    config = config_from_args(build_parser().parse_args([]))
    assert DEMO_APP_KEY in config.app_keys
    assert config.app_key_permissions == {}
    assert config.import_enabled is True
    assert any(f.name == "legacy_id" for f in config.org.fields)


def test_an_empty_permission_list_leaves_the_demo_key_with_none() -> None:
    config = config_from_args(build_parser().parse_args(["--app-key-permissions", ""]))
    assert config.app_key_permissions == {DEMO_APP_KEY: frozenset()}


def test_an_unknown_permission_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--app-key-permissions", "incident_admin", "--port", "0"]) == 2
    assert "incident_admin" in capsys.readouterr().err
