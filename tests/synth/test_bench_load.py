"""Smoke test of benchmarks/bench_load.py on a tiny log (the real run is by hand)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "bench_load.py"


@pytest.mark.slow
def test_benchmark_runs_every_contestant_and_reports_json(tmp_path: Path) -> None:
    command = [sys.executable, str(SCRIPT), "--rows", "2000", "--pandas-rows", "1000"]
    command += ["--repeat", "1", "--json", "--cache", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["rows"] == 2000
    contestants = report["contestants"]
    assert set(contestants) == {"floor", "ddinc", "pandas"}
    for outcome in contestants.values():
        assert outcome["error"] is None
        assert outcome["median_s"] > 0
        assert outcome["peak_rss_mb"] > 10
        assert len(outcome["runs"]) == 1
    log = pl.read_csv(report["file"], infer_schema=False)
    assert contestants["floor"]["rows_out"] == log.height == 2000
    # pandas groups the first 1000 events by number; "?" (no id) is read as missing and dropped.
    head = log.head(1000).filter(pl.col("number") != "?")
    assert contestants["pandas"]["rows"] == 1000
    assert contestants["pandas"]["rows_out"] == head["number"].n_unique()
    assert report["pandas_seconds_scaled"] == pytest.approx(
        contestants["pandas"]["median_s"] * 2, rel=1e-9
    )
    assert contestants["ddinc"]["rows_out"] > 0


@pytest.mark.slow
def test_benchmark_table_names_the_targets(tmp_path: Path) -> None:
    command = [sys.executable, str(SCRIPT), "--rows", "1000", "--pandas-rows", "500"]
    command += ["--repeat", "1", "--cache", str(tmp_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(c) ran on the first 500 events" in done.stdout
    assert "target ddinc <= 5x bare read" in done.stdout
    assert "target ddinc >= 10x faster than pandas" in done.stdout
