"""Smoke test of benchmarks/bench_ledger.py (the real run is by hand; no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "bench_ledger.py"


@pytest.mark.slow
def test_quick_run_sends_the_same_work_both_ways_and_reports_the_parts() -> None:
    command = [sys.executable, str(SCRIPT), "--quick", "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["n"] == 40
    assert set(report["modes"]) == {"imports", "impacts"}
    # Every third trial row has an impact start (rows 0, 3, ..., 39): 14 impact POSTs a side.
    assert report["modes"]["impacts"]["impacts"] == 14
    assert report["modes"]["imports"]["impacts"] == 0
    for mode in report["modes"].values():
        assert mode["imports"] == 40
        assert mode["raw_s"] > 0
        assert 0 < mode["ledger_plan_s"] < mode["ledger_s"]
        assert 0 < mode["ledger_send_s"] < mode["ledger_s"]
        # The headline ratio compares the same requests: the sending, without the plan.
        assert len(mode["round_ratios"]) == report["repeat"] == 7
        assert mode["ratio"] == pytest.approx(sorted(mode["round_ratios"])[3])  # the median
        pairs = zip(mode["rounds"]["raw"], mode["rounds"]["ledger"], strict=True)
        assert mode["round_ratios"] == pytest.approx([le["send"] / r["total"] for r, le in pairs])
        assert mode["ratio_of_medians"] == pytest.approx(mode["ledger_send_s"] / mode["raw_s"])
        assert mode["ratio_with_plan"] > mode["ratio"]  # the plan takes time: never free
        # Group commit: fewer transactions than ledger changes (2 per request), at least one.
        assert 1 <= mode["ledger_transactions"] < 2 * (mode["imports"] + mode["impacts"])
