"""Smoke test of benchmarks/bench_stats.py in --quick mode (the real run is by hand)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "bench_stats.py"


@pytest.mark.slow
def test_quick_run_reports_both_contestants_and_their_agreement() -> None:
    command = [sys.executable, str(SCRIPT), "--quick", "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert (report["incidents"], report["resamples"], report["loop_resamples"]) == (20_000, 200, 5)
    # Six phases by five severities, every one measured.
    assert report["rows"] == report["phases"] * report["groups"] == 30
    assert report["ddinc_median_s"] > 0
    assert report["loop_s"] > 0
    # The loop's time is scaled from 5 to 200 resamples; preparing the groups is not scaled.
    assert report["loop_scaled_s"] == pytest.approx(
        report["loop_prepare_s"] + report["loop_s"] * 40, rel=1e-9
    )
    assert report["speedup"] == pytest.approx(
        report["loop_scaled_s"] / report["ddinc_median_s"], rel=1e-9
    )
    # Both compute the same point estimates from the same durations.
    assert report["max_point_difference"] < 1e-9


@pytest.mark.slow
def test_table_names_the_target() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "target ddinc >= 10x faster than the loop" in done.stdout
    assert "ran 5 resamples" in done.stdout
