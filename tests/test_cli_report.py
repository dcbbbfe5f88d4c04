"""``ddinc report``: files in a folder, one screen saying where, one-line errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ddinc.cli import main
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "statuspage_incidents.json"


def test_report_writes_the_folder_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rep"
    status = main(["report", str(SAMPLE), "-o", str(out), "--resamples", "50", "--by", "severity"])
    assert status == 0
    printed = capsys.readouterr().out
    assert f"report:     {out / 'report.html'}" in printed
    assert "statistics:" in printed
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    stats = pl.read_parquet(out / "stats.parquet")
    assert set(stats["by"].unique()) == {"all", "severity"}
    assert (out / "plots" / "checks.png").exists()
    assert "bootstrap interval (50 resamples, seed 0)" in (out / "report.html").read_text(
        encoding="utf-8"
    )


def test_unknown_grouping_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["report", str(SAMPLE), "-o", str(tmp_path / "r"), "--by", "severty"])
    assert status == 2
    error = capsys.readouterr().err
    assert error.startswith("error: cannot group by severty")
    assert error.count("\n") == 1


def test_output_that_is_a_file_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clash = tmp_path / "taken"
    clash.write_text("")
    assert main(["report", str(SAMPLE), "-o", str(clash), "--resamples", "10"]) == 2
    assert "is a file" in capsys.readouterr().err
