"""Smoke test of benchmarks/bench_ledger.py (the real run is by hand; no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "bench_ledger.py"


@pytest.mark.slow
def test_quick_run_pushes_both_ways_and_reports_the_ratio() -> None:
    command = [sys.executable, str(SCRIPT), "--quick", "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["n"] == 40
    assert report["raw_s"] > 0
    assert report["ledger_s"] > 0
    assert report["ratio"] == pytest.approx(report["ledger_s"] / report["raw_s"])
