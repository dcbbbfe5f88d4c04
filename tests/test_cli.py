"""The ddinc command: check, export, sources, demo, and one-line errors instead of tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from ddinc.cli import main
from tests.conftest import ROOT, shared_path

DATA = ROOT / "data"


def test_check_prints_counts_checks_and_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    sample = shared_path("datasets", "servicenow", "incident_event_log.sample.csv")
    assert main(["check", str(sample)]) == 0
    out = capsys.readouterr().out
    assert "servicenow: 32 incidents from 198 rows, 0 rows quarantined" in out
    assert "time_to_resolve" in out
    assert "naive times in opened_at, resolved_at were taken as UTC" in out


def test_check_json_is_one_object_with_the_same_counts(capsys: pytest.CaptureFixture[str]) -> None:
    sample = shared_path("datasets", "statuspage", "githubstatus_incidents_2021-2022.json")
    assert main(["check", str(sample), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["source"] == "statuspage"
    assert summary["incidents"] == 209
    assert summary["rows_read"] == 209
    assert {row["duration"] for row in summary["timeline"]} == {
        "time_to_detect",
        "time_to_declare",
        "time_to_resolve",
        "time_to_repair",
        "impact_to_declare",
        "impact_to_resolve",
    }
    assert summary["checks"]


def test_export_writes_incidents_and_quarantine(tmp_path: Path) -> None:
    source = tmp_path / "sheet.csv"
    source.write_text(
        "number,incident_state,sys_mod_count,priority,opened_at,resolved_at,opened_by,"
        "assignment_group\n"
        "INC1,New,0,1 - Critical,29/2/2016 01:16,?,Ann,G1\n"
        "INC1,Resolved,1,1 - Critical,29/2/2016 01:16,29/2/2016 03:00,Ann,G1\n"
        ",New,0,2 - High,1/3/2016 09:00,?,Bob,G2\n",
        encoding="utf-8",
    )
    target = tmp_path / "out" / "clean.csv"
    assert main(["export", str(source), "--source", "servicenow", "-o", str(target)]) == 0
    incidents = pl.read_csv(target, infer_schema=False)
    assert incidents.get_column("source_id").to_list() == ["INC1"]
    assert incidents.get_column("declared").item() == "2016-02-29T01:16:00Z"
    assert incidents.get_column("time_to_resolve_s").item() == "6240.0"
    quarantine = pl.read_csv(tmp_path / "out" / "clean.quarantine.csv", infer_schema=False)
    assert quarantine.get_column("source_row").to_list() == ["3"]


def test_errors_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    result = subprocess.run(
        [sys.executable, "-m", "ddinc.cli", "check", str(missing)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {missing}: file not found")
    assert "Traceback" not in result.stderr


def test_sources_lists_every_builtin_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources"]) == 0
    out = capsys.readouterr().out
    for name in ("servicenow", "statuspage", "pagerduty", "opsgenie", "jira"):
        assert name in out


@pytest.mark.slow
def test_demo_loads_checks_and_exports_every_sample(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ddinc.cli", "demo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    samples = [
        p
        for p in DATA.iterdir()
        if p.suffix in {".csv", ".json", ".jsonl", ".xlsx"} and ".truth" not in p.name
    ]
    exported = sorted(tmp_path.glob("*.cleaned.csv"))
    assert len(exported) == len(samples)
    assert "could not load" not in result.stdout
    # The demo meets the org through the embedded emulator, over real HTTP.
    assert "incident types: Incident" in result.stdout


def test_emulator_options_reach_the_emulator(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["emulator", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--rate-limit" in out
    assert "--port" in out


def test_check_strict_exits_1_on_blocking_errors_and_fields_are_carried(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "log.csv"
    source.write_text(
        "number,incident_state,sys_mod_count,priority,opened_at,resolved_at,opened_by,"
        "assignment_group,category\n"
        "INC1,Resolved,1,1 - Critical,29/2/2016 01:16,29/2/2016 03:00,Ann,G1,Network\n",
        encoding="utf-8",
    )
    # No short_description column: every incident lacks a title, an error-level finding.
    assert main(["check", str(source), "--strict"]) == 1
    assert main(["check", str(source)]) == 0
    capsys.readouterr()
    target = tmp_path / "clean.csv"
    assert main(["export", str(source), "--field", "category=category", "-o", str(target)]) == 0
    assert pl.read_csv(target).get_column("field.category").to_list() == ["Network"]
    assert main(["check", str(source), "--field", "category"]) == 2
    assert "KEY=COLUMN" in capsys.readouterr().err
