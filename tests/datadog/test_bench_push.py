"""Smoke test of benchmarks/bench_push.py in its quick mode (the full run is by hand).

No timing is asserted: only that every contestant ran and what must hold whatever the
machine: ddinc never stores an incident twice nor meets a 429 under an emulator whose reset
is rounded up, and every record has an outcome.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "bench_push.py"

pytest.importorskip(
    "aiosonic", reason="the official AsyncApiClient needs datadog-api-client[async]"
)


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=280,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


@pytest.mark.slow
def test_the_quick_benchmark_runs_every_contestant_of_every_scenario(
    report: dict[str, Any],
) -> None:
    results = report["results"]
    scenarios = [r["scenario"] for r in results]
    assert scenarios == ["throughput"] * 3 + ["rate limit"] * 2 + ["5xx after store"] * 2
    for r in results:
        assert sum(r["outcomes"].values()) == r["records"]
        assert r["seconds"] > 0
        assert r["emulator"]["incidents"] >= r["outcomes"].get("created", 0)
    for r in results[:3]:
        assert r["outcomes"] == {"created": r["records"]}
    ddinc_limited, ddinc_faulty = results[3], results[5]
    assert ddinc_limited["answered_429"] == 0
    assert ddinc_limited["outcomes"] == {"created": ddinc_limited["records"]}
    # Every record stored once: those answered 5xx are reported unknown, never resent.
    assert ddinc_faulty["stored"] == ddinc_faulty["records"]
    assert ddinc_faulty["duplicates"] == 0
    assert ddinc_faulty["outcomes"].get("unknown", 0) == ddinc_faulty["emulator"][
        "status_counts"
    ].get("500", 0)


@pytest.mark.slow
def test_the_table_prints_ratios_not_targets(report: dict[str, Any]) -> None:
    spec = importlib.util.spec_from_file_location("bench_push", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_push"] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["bench_push"]
    text = module.table(report)
    assert "time vs ddinc" in text
    assert "dupes" in text
    assert "target" not in text
