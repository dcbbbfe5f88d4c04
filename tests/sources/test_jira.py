"""Jira Service Management: the CSV export with repeated ``Component/s`` headers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from ddinc import loader
from ddinc.readers import read_table
from ddinc.sources import detect
from ddinc.sources.jira import COMPONENTS_COLUMN, JIRA, prepare
from ddinc.timestamps import NULL_SPELLINGS
from tests.sources._samples import assert_every_row_once, assert_matches_truth, committed, truth_of

HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority", "Resolution",
    "Assignee", "Reporter", "Created", "Updated", "Resolved", "Component/s", "Component/s",
    "Labels", "Custom field (Impact Start)", "Custom field (Impact End)",
]  # fmt: skip


def issue(key: str, **cells: Any) -> list[str]:
    values = {
        "Summary": f"issue {key}", "Issue key": key, "Issue id": str(10000 + int(key[4:])),
        "Issue Type": "Incident", "Status": "Resolved", "Priority": "High", "Resolution": "Done",
        "Assignee": "Ann Lee", "Reporter": "Bob Roy", "Created": "12/Jan/24 3:45 PM",
        "Updated": "12/Jan/24 6:00 PM", "Resolved": "12/Jan/24 5:15 PM",
        "components": ("checkout-api", "payments-gateway"), "Labels": "sev",
        "Custom field (Impact Start)": "12/Jan/24 3:30 PM",
        "Custom field (Impact End)": "12/Jan/24 5:00 PM",
    }  # fmt: skip
    values.update(cells)
    components = list(values["components"])
    row = []
    for name in HEADER:
        row.append(
            components.pop(0) if components else ""
        ) if name == "Component/s" else row.append(values[name])
    return row


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def by_id(result: loader.LoadResult) -> dict[str, dict[str, Any]]:
    return {row["source_id"]: row for row in result.incidents.to_dicts()}


def test_jsm_csv_is_detected(tmp_path: Path) -> None:
    table = read_table(write_csv(tmp_path / "jira.csv", [issue("INC-1")]))
    assert detect(table) is JIRA
    # The repeated header was made unique by the reader and merged back by prepare.
    assert "Component/s_duplicated_0" in table.frame.columns
    merged = prepare(table).frame.get_column(COMPONENTS_COLUMN).to_list()
    assert merged == [["checkout-api", "payments-gateway"]]


def test_jsm_issue_fields(tmp_path: Path) -> None:
    rows = [
        issue("INC-1"),
        issue("INC-2", Status="Waiting for customer", Priority="Blocker", Assignee="", Resolved="",
              components=("search-api",), **{"Custom field (Impact End)": ""}),
        issue("INC-3", Status="Canceled", Priority="Trivial", components=()),
    ]  # fmt: skip
    result = loader.load(write_csv(tmp_path / "jira.csv", rows))
    assert result.source == "jira"
    assert result.quarantine.height == 0
    got = by_id(result)
    first = got["INC-1"]
    assert first["title"] == "issue INC-1"
    assert (first["state"], first["severity"]) == ("resolved", "SEV-2")
    assert first["services"] == ["checkout-api", "payments-gateway"]
    assert (first["commander"], first["declared_by"]) == ("Ann Lee", "Bob Roy")
    # "12/Jan/24 3:45 PM" is 15:45 on 12 January 2024; naive, taken as UTC.
    assert first["declared"] == datetime(2024, 1, 12, 15, 45, tzinfo=UTC)
    assert first["resolved"] == datetime(2024, 1, 12, 17, 15, tzinfo=UTC)
    assert first["impact_start"] == datetime(2024, 1, 12, 15, 30, tzinfo=UTC)
    assert first["impact_end"] == datetime(2024, 1, 12, 17, 0, tzinfo=UTC)
    second = got["INC-2"]
    assert (second["state"], second["severity"]) == ("stable", "SEV-1")
    assert (second["commander"], second["resolved"], second["impact_end"]) == (None, None, None)
    assert second["services"] == ["search-api"]
    third = got["INC-3"]
    # Canceled is left unmapped on purpose; the raw value stays for the analyst.
    assert (third["state"], third["raw"]["state"], third["severity"]) == (None, "Canceled", "SEV-5")
    assert third["services"] == []
    assert result.assumed_timezone == "UTC"
    assert any("assumed" in note for note in result.notes)


@pytest.mark.parametrize(
    ("priority", "severity"),
    [
        ("Highest", "SEV-1"), ("High", "SEV-2"), ("Medium", "SEV-3"), ("Low", "SEV-4"),
        ("Lowest", "SEV-5"), ("Blocker", "SEV-1"), ("Critical", "SEV-2"), ("Major", "SEV-3"),
        ("Minor", "SEV-4"), ("Trivial", "SEV-5"), ("medium ", "SEV-3"),
    ],
)  # fmt: skip
def test_both_priority_schemes(tmp_path: Path, priority: str, severity: str) -> None:
    path = write_csv(tmp_path / "jira.csv", [issue("INC-1", Priority=priority)])
    assert loader.load(path).incidents.get_column("severity").to_list() == [severity]


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("Open", "active"), ("To Do", "active"), ("In Progress", "active"),
        ("Work in progress", "active"), ("Waiting for support", "active"),
        ("Pending", "stable"), ("Waiting for customer", "stable"), ("Resolved", "resolved"),
        ("Done", "resolved"), ("Closed", "resolved"), ("Canceled", None), ("Declined", None),
    ],
)  # fmt: skip
def test_statuses(tmp_path: Path, status: str, state: str | None) -> None:
    path = write_csv(tmp_path / "jira.csv", [issue("INC-1", Status=status)])
    assert loader.load(path).incidents.get_column("state").to_list() == [state]


def test_local_times_with_the_exporters_zone(tmp_path: Path) -> None:
    # Exported by a user in Paris: 12/Jan/24 3:45 PM is 14:45 UTC (CET, UTC+1), and
    # 12/Jul/24 3:45 PM is 13:45 UTC (CEST, UTC+2).
    rows = [issue("INC-1"), issue("INC-2", Created="12/Jul/24 3:45 PM", Resolved="")]
    result = loader.load(write_csv(tmp_path / "jira.csv", rows), tz="Europe/Paris")
    got = by_id(result)
    assert got["INC-1"]["declared"] == datetime(2024, 1, 12, 14, 45, tzinfo=UTC)
    assert got["INC-2"]["declared"] == datetime(2024, 7, 12, 13, 45, tzinfo=UTC)
    assert result.assumed_timezone is None


def test_export_without_impact_fields_loads(tmp_path: Path) -> None:
    header = HEADER[:-2]
    rows = [issue("INC-1")[:-2]]
    result = loader.load(write_csv(tmp_path / "jira.csv", rows, header))
    got = result.incidents.to_dicts()[0]
    assert (got["impact_start"], got["impact_end"]) == (None, None)
    assert got["declared"] == datetime(2024, 1, 12, 15, 45, tzinfo=UTC)


def test_excel_export_with_repeated_components(tmp_path: Path) -> None:
    path = tmp_path / "jira.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, issue("INC-7", components=("vpn", "dns")))
    workbook.close()
    result = loader.load(path)
    assert result.source == "jira"
    assert result.incidents.get_column("services").to_list() == [["vpn", "dns"]]


_COMPONENT = st.text(
    alphabet=st.characters(categories=["L", "N", "Pd"]), min_size=1, max_size=10
).filter(lambda name: name not in NULL_SPELLINGS)


@settings(max_examples=40, deadline=None)
@given(
    width=st.integers(min_value=1, max_value=5),
    issues=st.lists(st.lists(st.one_of(st.just(""), _COMPONENT), max_size=5), min_size=1),
)
def test_repeated_component_columns_merge_in_order(
    tmp_path_factory: pytest.TempPathFactory, width: int, issues: list[list[str]]
) -> None:
    # Jira writes as many Component/s columns as the issue with most components needs.
    width = max(width, *(len(cells) for cells in issues))
    header = [name for name in HEADER if name != "Component/s"] + ["Component/s"] * width
    rows = []
    for n, cells in enumerate(issues, start=1):
        base = [cell for name, cell in zip(HEADER, issue(f"INC-{n}"), strict=True)
                if name != "Component/s"]  # fmt: skip
        rows.append(base + cells + [""] * (width - len(cells)))
    result = loader.load(write_csv(tmp_path_factory.mktemp("jira") / "jira.csv", rows, header))
    got = by_id(result)
    for n, cells in enumerate(issues, start=1):
        assert got[f"INC-{n}"]["services"] == [cell for cell in cells if cell]


@pytest.mark.parametrize("path", committed("jira"))
def test_committed_sample(path: Path) -> None:
    result = loader.load(path)
    assert result.source == "jira"
    assert_every_row_once(result)
    truth = truth_of(path)
    if truth is not None:
        assert_matches_truth(result, truth, ("impact_start", "declared", "resolved", "impact_end"))


def test_description_and_repeated_comments_become_notes(tmp_path: Path) -> None:
    header = "Summary,Issue key,Status,Priority,Created,Description,Comment,Comment\n"
    row = (
        'Checkout down,INC-7,Done,High,12/Jan/24 3:45 PM,"Errors; then none",'
        '"12/Jan/24 4:10 PM;5570:ab;Fixed, operating normally",\n'
    )
    path = tmp_path / "jira.csv"
    path.write_text(header + row, encoding="utf-8")
    (incident,) = loader.load(path, "jira").incidents.to_dicts()
    assert incident["notes"] == [
        "Errors; then none",
        "12/Jan/24 4:10 PM;5570:ab;Fixed, operating normally",
    ]
