"""Smoke test of benchmarks/bench_clean.py in quick mode (no timings: the real run is by hand)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "bench_clean.py"


@pytest.mark.slow
def test_quick_benchmark_measures_everything_and_replays_every_step(tmp_path: Path) -> None:
    command = [sys.executable, str(SCRIPT), "--quick", "--json", "--cache", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert (report["rows"], report["small"]) == (5_000, 1_000)
    for key in ("page_s", "facet_s"):
        assert report[key]["big"] > 0
        assert report[key]["small"] > 0
    clicks = report["clicks"]
    assert set(clicks) == {
        "page",
        "sort",
        "sort (new column)",
        "facet",
        "edit",
        "tick",
        "undo",
        "redo",
        "bulk edit",
        "select all",
    }
    for click in clicks.values():
        assert click["big"] > 0
        assert click["small"] > 0
        assert click["ratio"] == click["big"] / click["small"]
    assert report["shown_ratio"] > 0
    assert report["read_s"] > 0
    assert report["replay_s"] > 0
    assert report["frame_mb"] > 0
    # Every one of the 50 steps found its rows (the recipe is built for this frame).
    assert len(report["replay_statuses"]) == 50
    assert set(report["replay_statuses"]) == {"applied"}


@pytest.mark.slow
def test_table_names_the_targets(tmp_path: Path) -> None:
    command = [sys.executable, str(SCRIPT), "--quick", "--cache", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(target <= 3)" in done.stdout
    assert "(target <= 10)" in done.stdout
    assert "(target < 5)" in done.stdout
    assert "quick mode" in done.stdout
