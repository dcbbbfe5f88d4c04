"""The ddinc command: check, export, sources, demo, and one-line errors instead of tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import ddinc
from ddinc.cli import main
from ddinc.cli.check import check_summary, print_check
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
    assert incidents.get_column("time_to_resolve_s").item() == "6240"
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
def test_demo_does_the_whole_job_on_every_sample(tmp_path: Path) -> None:
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
        if p.suffix in {".csv", ".json", ".jsonl", ".xlsx"}
        and ".truth" not in p.name
        and not p.name.endswith("_recipe.json")
    ]
    cleaned = tmp_path / "cleaned"
    exported = sorted(cleaned.glob("*.cleaned.csv"))
    assert len(exported) == len(samples)
    # Named after the sample, not after its file name with the suffix kept.
    assert (cleaned / "servicenow_event_log.cleaned.csv").is_file()
    assert not list(cleaned.glob("*.csv.cleaned.csv"))
    assert "could not load" not in result.stdout
    # One screen: a line per sample and a few more; the details are behind --verbose.
    assert len(result.stdout.splitlines()) <= 32
    assert "timeline" not in result.stdout
    assert "--verbose" in result.stdout
    # Pushed through the embedded emulator with faults, reconciled until nothing is unknown:
    # the org ends holding every ready row exactly once.
    ready = int(re.search(r"(\d+) ready", result.stdout).group(1))  # type: ignore[union-attr]
    held = int(re.search(r"(\d+) held", result.stdout).group(1))  # type: ignore[union-attr]
    assert ready > 0
    assert held > 0
    assert "reconcile" in result.stdout
    assert f"the emulator holds {ready} incidents" in result.stdout
    pushes = [
        line.rpartition("push again")[2]
        for line in result.stdout.splitlines()
        if line.startswith(("push", "resume"))
    ]
    assert "unknown" in pushes[0]  # the faults left some unknown, and they were settled
    assert "unknown" not in pushes[-1]
    assert (tmp_path / "push.ledger").is_file()
    # The checks' suggestions, then the analyst's review recipe, kept to replay.
    recipe = json.loads(
        (tmp_path / "recipes" / "spreadsheet_incidents-csv.recipe.json").read_text()
    )
    assert any(step["kind"] == "exclude" for step in recipe["steps"])
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "<img" in html
    assert "jupyter lab" in result.stdout


@pytest.mark.slow
def test_demo_verbose_prints_every_sample_in_full(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("statuspage_incidents.json", "statuspage_incidents.jsonl"):
        (data / name).write_bytes((DATA / name).read_bytes())
    out = tmp_path / "out"
    assert main(["demo", "--data", str(data), "--out", str(out), "--verbose"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("timeline (seconds-based percentiles") == 2
    assert sorted(p.name for p in (out / "cleaned").glob("*.cleaned.csv")) == [
        "statuspage_incidents-json.cleaned.csv",
        "statuspage_incidents-jsonl.cleaned.csv",
    ]


def test_emulator_options_reach_the_emulator(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["emulator", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--rate-limit" in out
    assert "--port" in out
    # Named as the user called it.
    assert out.startswith("usage: ddinc emulator")


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


# --- export: read back, Excel, failing checks, inputs kept ------------------------------------


def test_export_reads_back_and_names_failing_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = DATA / "statuspage_incidents.json"
    target = tmp_path / "cleaned.csv"
    assert main(["export", str(sample), "-o", str(target), "--excel"]) == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    written = pl.read_csv(target, infer_schema=False)
    assert "failing_checks" in written.columns
    assert written.get_column("failing_checks").str.len_chars().fill_null(0).sum() > 0
    capsys.readouterr()
    # The cleaned CSV is a source of its own: later commands start from it.
    assert main(["check", str(target), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["source"] == "ddinc"
    assert summary["incidents"] == written.height


@pytest.mark.parametrize("beside", [False, True])
def test_export_refuses_to_overwrite_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], beside: bool
) -> None:
    cleaned = tmp_path / "q.csv"
    assert main(["export", str(DATA / "statuspage_incidents.json"), "-o", str(cleaned)]) == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    # -o q.csv with q.csv as input, or -o q.csv with q.quarantine.csv as input.
    source = tmp_path / ("q.quarantine.csv" if beside else "q.csv")
    assert main(["export", str(source), "-o", str(cleaned)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_export_to_a_directory_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ddinc.cli", "export", str(DATA / "jira_incidents.csv"), "-o",
         str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {tmp_path} is a directory; name the CSV file to write, such as "
        f"{tmp_path / 'cleaned.csv'}\n"
    )


# --- CLI wording ------------------------------------------------------------------------------


def test_errors_name_cli_options_where_the_library_names_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = tmp_path / "mine.csv"
    unknown.write_text("what,when\nx,2024-01-01\n", encoding="utf-8")
    with pytest.raises(ddinc.errors.SourceDetectionError, match=r"pass source=\.\.\."):
        ddinc.load(unknown)  # the library speaks Python
    assert main(["check", str(unknown)]) == 2
    err = capsys.readouterr().err
    assert "pass --source NAME (one of" in err
    assert "source=" not in err


def test_mixed_date_orders_point_at_the_order_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'source = "s"\nid = "id"\n[columns]\ntitle = "title"\ndeclared = "declared"\n',
        encoding="utf-8",
    )
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "id,title,declared\n1,a,25/1/2016 01:16\n2,b,1/25/2016 01:16\n", encoding="utf-8"
    )
    with pytest.raises(ddinc.errors.LoadError, match="order='day_first' or order='month_first'"):
        ddinc.load(sheet, str(mapping))
    assert main(["check", str(sheet), "--source", str(mapping)]) == 2
    err = capsys.readouterr().err
    assert "--order day_first or --order month_first to say which" in err
    assert main(["check", str(sheet), "--source", str(mapping), "--order", "day_first"]) == 0


def test_print_check_tolerates_more_timeline_rows_and_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = ddinc.load(DATA / "statuspage_incidents.json")
    summary = check_summary(result)
    summary["timeline"] = [
        *summary["timeline"],
        {"duration": "a_later_phase", "measured": 3, "of": 59, "missing": 56,
         "left_out": 2, "left_out_reasons": "2 zero_length_incident", "negative": 0,
         "p50_s": 5400.0, "p75_s": None, "p90_s": None, "p95_s": None},
    ]  # fmt: skip
    print_check(summary)
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if "a_later_phase" in line)
    assert row.split() == ["a_later_phase", "3/59", "2", "1.5h", "-", "-", "-"]


def test_notes_and_timestamp_hints_speak_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Naive times taken as UTC: the note says which option changes that.
    assert main(["check", str(DATA / "servicenow_event_log.csv")]) == 0
    out = capsys.readouterr().out
    assert "pass --tz ZONE if the export used local time" in out
    assert "tz=" not in out
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'source = "s"\nid = "id"\n[columns]\ntitle = "title"\ndeclared = "declared"\n',
        encoding="utf-8",
    )
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,title,declared\n1,a,yesterday\n", encoding="utf-8")
    assert main(["check", str(sheet), "--source", str(mapping)]) == 2
    err = capsys.readouterr().err
    assert "a [formats] entry in a TOML mapping file (--source mapping.toml)" in err
    assert "formats=" not in err


def test_file_text_quoted_on_the_terminal_cannot_drive_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A column name with an escape sequence is quoted by the load notes the check prints.
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'source = "s"\nid = "id"\n[columns]\ntitle = "title"\ndeclared = "when\\u001b[2J"\n',
        encoding="utf-8",
    )
    export = tmp_path / "e.csv"
    export.write_text("id,title,when\x1b[2J\n1,ok,2024-01-01 10:00\n", encoding="utf-8")
    assert main(["check", str(export), "--source", str(mapping)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "when\\x1b[2J" in out


@pytest.mark.parametrize(
    "command", [["sources"], ["check", str(DATA / "pagerduty_incidents.json"), "--json"]]
)
def test_a_reader_gone_away_ends_the_command_quietly(command: list[str]) -> None:
    # `ddinc ... | head`: the pipe's read end is closed before ddinc writes a byte, so its
    # first write fails with EPIPE whatever the timing.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "ddinc.cli", *command],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 141
