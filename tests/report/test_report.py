"""The report: computed once, one self-contained HTML page, statistics and plots as files."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import ddinc
from ddinc.checks import CheckContext, check, run_checks
from ddinc.errors import ConfigError
from ddinc.report import Report, build_report, report
from ddinc.safe_csv import FORMULA_STARTS, read_table
from ddinc.schema import TIMESTAMPS, Timestamp
from tests.conftest import ROOT

T0 = datetime(2024, 1, 1, tzinfo=UTC)
CONTEXT = CheckContext(now=datetime(2025, 6, 1, tzinfo=UTC))


def incidents(n: int = 80, seed: int = 1) -> pl.DataFrame:
    """Seeded incidents over a year, every tenth back-filled; a back-fill has a hostile title."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        start = T0 + timedelta(days=float(rng.uniform(0, 365)))
        declared = start + timedelta(seconds=float(rng.lognormal(7, 1)))
        resolved = declared + timedelta(seconds=float(rng.lognormal(9, 1)))
        if i % 10 == 0:
            declared = resolved = start
        rows.append(
            {
                "source": "pagerduty" if i % 2 else "jira",
                "source_id": str(i),
                "title": "<script>alert(1)</script>" if i == 10 else f"incident {i}",
                "state": "resolved",
                "severity": ["SEV-1", "SEV-2", "SEV-3"][i % 3],
                "teams": [["db"], ["net", "db"], []][i % 3],
                "services": [],
                "impact_start": start,
                "detected": None,
                "declared": declared,
                "resolved": resolved,
                "impact_end": None,
            }
        )
    return pl.DataFrame(
        rows,
        schema_overrides={
            **dict.fromkeys(TIMESTAMPS, Timestamp),
            "teams": pl.List(pl.String),
            "services": pl.List(pl.String),
        },
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Report:
    frame = incidents()
    out = tmp_path_factory.mktemp("report")
    return report(frame, run_checks(frame, context=CONTEXT), out=out, n_boot=200)


def test_every_file_is_written_where_files_says(written: Report) -> None:
    files = written.files
    assert files is not None
    names = sorted(path.relative_to(files.directory).as_posix() for path in files.all())
    assert {"report.html", "stats.csv", "stats.parquet", "timeline_summary.csv"} <= set(names)
    assert "comparisons.csv" in names
    plots = [name for name in names if name.startswith("plots/")]
    assert "plots/checks.png" in plots
    assert "plots/timeline.png" in plots
    assert "plots/histogram_time_to_resolve.png" in plots
    assert "plots/monthly_time_to_resolve.png" in plots
    # Nothing measured for detect: no plot of it.
    assert "plots/histogram_time_to_detect.png" not in plots
    for path in files.all():
        assert path.stat().st_size > 0


def test_html_is_self_contained_with_every_plot_embedded(written: Report) -> None:
    assert written.files is not None
    page = written.files.html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page  # the hostile title is escaped, and no script is needed
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    references = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert references
    assert all(ref.startswith("data:image/png;base64,") for ref in references)
    assert len(references) == len(written.files.plots)


def test_html_says_what_was_assumed_left_out_and_checked(written: Report) -> None:
    assert written.files is not None
    page = written.files.html.read_text(encoding="utf-8")
    assert "What was assumed and left out" in page
    assert "No incident records when it was detected" in page
    # 8 back-fills of 80 (i % 10 == 0) are left out of time to resolve and say so.
    assert "time_to_resolve: 8 value(s) left out of the statistics (8 zero_length_incident)" in page
    assert "measured from 72 of 80 (left out: 8 zero_length_incident)" in page
    assert "zero_length_incident" in page
    assert "bootstrap interval (200 resamples, seed 0)" in page
    assert written.comparisons[0].sentence.split(":")[0] in page


def test_statistics_files_read_back_as_the_report_holds_them(written: Report) -> None:
    assert written.files is not None
    expected = written.statistics()
    assert pl.read_parquet(written.files.stats_parquet).equals(expected)
    assert_frame_equal(read_table(written.files.stats_csv, expected.schema), expected)
    assert set(expected["by"].unique()) == {"all", "severity", "team", "source", "month"}


def test_groupings_with_nothing_in_their_column_are_skipped() -> None:
    built = build_report(incidents(20), by=("service", "team"), n_boot=20)
    # services are all empty lists: no "service" grouping; teams has values.
    assert list(built.stats) == ["all", "team"]
    assert built.statistics().filter(pl.col("by") == "team")["group"].to_list()[:3] == [
        "db",
        "net",
        "(none)",
    ]


def test_without_a_check_report_the_default_checks_run() -> None:
    built = build_report(incidents(20), n_boot=20)
    assert built.checks.n_incidents == 20
    assert "zero_length_incident" in built.checks.counts()["check"].to_list()


def test_include_unreal_keeps_back_fills_and_says_so() -> None:
    built = build_report(incidents(), include_unreal=True, n_boot=20, by=())
    resolve = (
        built.stats["all"].table.filter(pl.col("phase") == "time_to_resolve").row(0, named=True)
    )
    assert (resolve["measured"], resolve["left_out"]) == (80, 0)
    assert any("include_unreal" in sentence for sentence in built.assumptions)


def test_a_check_report_of_another_frame_is_refused() -> None:
    with pytest.raises(ConfigError, match="covers 5 incidents"):
        build_report(incidents(20), run_checks(incidents(5)))


def test_a_non_frame_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"pass ddinc\.load"):
        build_report([1, 2, 3])  # type: ignore[arg-type]


def test_an_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    clash = tmp_path / "out"
    clash.write_text("")
    with pytest.raises(ConfigError, match="is a file"):
        report(incidents(10), out=clash, n_boot=10, by=())


def test_report_of_a_real_sample_renders_in_a_notebook() -> None:
    result = ddinc.load(ROOT / "data" / "pagerduty_incidents.json")
    built = report(result.incidents, check(result), n_boot=50, by=("severity",))
    assert built.files is None
    page = built._repr_html_()
    assert page is built.html  # rendered once
    assert "pagerduty" in page
    assert repr(built).startswith(f"Report({result.incidents.height} incidents")


def test_group_labels_are_text_in_a_spreadsheet_and_read_back(tmp_path: Path) -> None:
    hostile = ["@SUM(1)", "=HYPERLINK(1)", "-2+3", "+cmd|' /C calc'!A0"]
    frame = incidents(40).with_columns(
        pl.Series("teams", [[hostile[i % 4]] for i in range(40)], dtype=pl.List(pl.String))
    )
    written = report(frame, run_checks(frame, context=CONTEXT), out=tmp_path, n_boot=50)
    assert written.files is not None
    expected = written.statistics()
    assert set(hostile) <= set(expected["group"])
    assert_frame_equal(read_table(written.files.stats_csv, expected.schema), expected)
    for path in (written.files.stats_csv, written.files.summary_csv):
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        labels = [cell for row in rows for cell in row if not _number(cell)]
        assert not any(cell.startswith(FORMULA_STARTS) for cell in labels), labels


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
