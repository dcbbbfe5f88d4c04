"""PagerDuty: REST JSON and web CSV exports, written here in the documented shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddinc import loader
from ddinc.errors import LoadError
from ddinc.readers import read_table
from ddinc.sources import detect
from ddinc.sources.pagerduty import CSV_EXPORT, PAGERDUTY, REST_JSON, prepare
from ddinc.timestamps import NULL_SPELLINGS
from tests.sources._samples import assert_every_row_once, assert_matches_truth, committed, truth_of


def ref(summary: str, kind: str = "reference") -> dict[str, str]:
    return {"id": f"P{abs(hash(summary)) % 10**6:06d}", "type": kind, "summary": summary}


def rest_incident(
    ident: str,
    *,
    status: str = "resolved",
    priority: str | None = "P1",
    urgency: str = "high",
    created: str = "2024-01-12T15:45:00Z",
    resolved: str | None = "2024-01-12T17:15:00Z",
    service: str = "checkout-api",
    teams: tuple[str, ...] = ("Payments",),
    assignees: tuple[str, ...] = ("Ann Lee",),
) -> dict[str, Any]:
    return {
        "id": ident,
        "incident_number": int(ident[1:]) if ident[1:].isdigit() else 7,
        "title": f"incident {ident}",
        "description": "see runbook",
        "status": status,
        "urgency": urgency,
        "priority": None if priority is None else {**ref(priority, "priority"), "name": priority},
        "created_at": created,
        "last_status_change_at": resolved or created,
        "resolved_at": resolved,
        "service": ref(service, "service_reference"),
        "assignments": [{"at": created, "assignee": ref(name, "user")} for name in assignees],
        "teams": [ref(team, "team_reference") for team in teams],
        "escalation_policy": ref("Payments - Primary", "escalation_policy_reference"),
        "html_url": f"https://example.pagerduty.com/incidents/{ident}",
    }


def write_rest(path: Path, incidents: list[dict[str, Any]]) -> Path:
    document = {"incidents": incidents, "limit": len(incidents), "offset": 0, "more": False}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def by_id(result: loader.LoadResult) -> dict[str, dict[str, Any]]:
    return {row["source_id"]: row for row in result.incidents.to_dicts()}


CSV_HEADER = (
    "id,incident_number,title,description,status,urgency,priority,service_name,"
    "escalation_policy,teams,assigned_to,created_on,acknowledged_on,resolved_on,resolved_by\n"
)
CSV_ROWS = (
    "PQ1,101,Checkout errors,x,resolved,high,P2,checkout-api,EP,Payments; Platform,"
    "Ann Lee;Bob Roy,2024-01-12 15:45:00 -0500,2024-01-12 15:50:00 -0500,"
    "2024-01-12 17:45:00 -0500,Ann Lee\n"
    'PQ2,102,"Search slow, again",,acknowledged,low,,search-api,EP,Search,,'
    "2024-07-12T15:45:00-04:00,2024-07-12T15:50:00-04:00,2024-07-12T16:00:00-04:00,\n"
    "PQ3,103,Disk full,,triggered,high,P5,storage,EP,,,2024-01-13 09:00:00 +0100,,,\n"
)


# --- REST JSON -------------------------------------------------------------------------------


def test_rest_json_is_detected_and_read_with_the_rest_mapping(tmp_path: Path) -> None:
    path = write_rest(tmp_path / "pd.json", [rest_incident("Q1")])
    table = read_table(path)
    assert detect(table) is PAGERDUTY
    assert PAGERDUTY.mapping_for(prepare(table)) is REST_JSON


def test_rest_incident_fields(tmp_path: Path) -> None:
    incidents = [
        rest_incident("Q1", teams=("Payments", "Platform"), assignees=("Ann Lee", "Bob Roy")),
        rest_incident("Q2", status="triggered", priority="P4", resolved=None, teams=()),
        rest_incident("Q3", status="acknowledged", priority=None, urgency="low", assignees=()),
    ]
    result = loader.load(write_rest(tmp_path / "pd.json", incidents))
    assert result.source == "pagerduty"
    assert result.quarantine.height == 0
    got = by_id(result)
    first = got["Q1"]
    assert first["title"] == "incident Q1"
    assert (first["state"], first["severity"]) == ("resolved", "SEV-1")
    assert first["teams"] == ["Payments", "Platform"]
    assert first["services"] == ["checkout-api"]
    assert first["commander"] == "Ann Lee"  # the first assignment
    assert first["declared"] == datetime(2024, 1, 12, 15, 45, tzinfo=UTC)
    assert first["resolved"] == datetime(2024, 1, 12, 17, 15, tzinfo=UTC)
    assert first["time_to_resolve"].total_seconds() == 90 * 60
    assert first["field.urgency"] == "high"
    second = got["Q2"]
    assert (second["state"], second["severity"], second["teams"]) == ("active", "SEV-4", [])
    assert second["resolved"] is None
    third = got["Q3"]
    # Acknowledged is not "stable"; no priority gives no severity, urgency is not a fallback.
    assert third["state"] == "active"
    assert third["severity"] is None
    assert third["raw"]["severity"] is None
    assert third["field.urgency"] == "low"
    assert third["commander"] is None


def test_every_priority_maps_to_its_severity(tmp_path: Path) -> None:
    incidents = [rest_incident(f"Q{n}", priority=f"P{n}") for n in range(1, 6)]
    got = by_id(loader.load(write_rest(tmp_path / "pd.json", incidents)))
    assert {ident: row["severity"] for ident, row in got.items()} == {
        f"Q{n}": f"SEV-{n}" for n in range(1, 6)
    }


def test_account_without_priorities_loads_with_no_severity(tmp_path: Path) -> None:
    incidents = [rest_incident("Q1", priority=None), rest_incident("Q2", priority=None)]
    path = write_rest(tmp_path / "pd.json", incidents)
    # The reader sees no priority.summary column at all.
    assert "priority.summary" not in read_table(path).frame.columns
    result = loader.load(path)
    assert result.incidents.get_column("severity").null_count() == 2
    assert result.quarantine.height == 0


def test_resolved_time_of_an_unresolved_incident_is_left_out(tmp_path: Path) -> None:
    # Datadog accepts "resolved" only with state resolved: an edited export must not send it.
    incidents = [rest_incident("Q1", status="acknowledged", resolved="2024-01-12T16:00:00Z")]
    got = by_id(loader.load(write_rest(tmp_path / "pd.json", incidents)))["Q1"]
    assert got["state"] == "active"
    assert got["resolved"] is None


def test_urgency_can_be_mapped_to_severity_when_the_analyst_says_so(tmp_path: Path) -> None:
    incidents = [rest_incident("Q1", priority=None, urgency="high")]
    path = write_rest(tmp_path / "pd.json", incidents)
    mapping = REST_JSON.replace(
        columns={"severity": "urgency"}, severity={"high": "SEV-2", "low": "SEV-4"}
    )
    table = prepare(read_table(path))
    from ddinc.sources.canonical import canonicalize

    got = canonicalize(table, mapping).incidents.to_dicts()[0]
    assert got["severity"] == "SEV-2"


def test_rest_json_without_created_at_names_that_column(tmp_path: Path) -> None:
    incident = rest_incident("Q1")
    del incident["created_at"]
    path = write_rest(tmp_path / "pd.json", [incident])
    with pytest.raises(LoadError) as caught:
        loader.load(path, source="pagerduty")
    assert caught.value.column == "created_at"
    assert "pd.json" in str(caught.value)


def test_unreadable_created_at_is_quarantined(tmp_path: Path) -> None:
    incidents = [rest_incident("Q1"), rest_incident("Q2", created="last tuesday")]
    result = loader.load(write_rest(tmp_path / "pd.json", incidents))
    assert result.incidents.get_column("source_id").to_list() == ["Q1"]
    row = result.quarantine.to_dicts()[0]
    assert (row["source_row"], row["column"], row["value"]) == (2, "created_at", "last tuesday")


# --- web CSV -------------------------------------------------------------------------------


def test_csv_export_is_detected_and_read(tmp_path: Path) -> None:
    path = tmp_path / "incidents.csv"
    path.write_text(CSV_HEADER + CSV_ROWS, encoding="utf-8")
    table = read_table(path)
    assert detect(table) is PAGERDUTY
    assert PAGERDUTY.mapping_for(prepare(table)) is CSV_EXPORT
    result = loader.load(path)
    assert result.quarantine.height == 0
    got = by_id(result)
    first = got["PQ1"]
    # -0500 and -04:00 are the exporting user's offsets: 15:45 -0500 is 20:45 UTC.
    assert first["declared"] == datetime(2024, 1, 12, 20, 45, tzinfo=UTC)
    assert first["resolved"] == datetime(2024, 1, 12, 22, 45, tzinfo=UTC)
    assert (first["state"], first["severity"]) == ("resolved", "SEV-2")
    assert first["teams"] == ["Payments", "Platform"]
    assert first["services"] == ["checkout-api"]
    assert first["commander"] == "Ann Lee"
    second = got["PQ2"]
    assert second["title"] == "Search slow, again"
    assert second["declared"] == datetime(2024, 7, 12, 19, 45, tzinfo=UTC)
    # acknowledged_on/resolved_on on an acknowledged incident: not resolved.
    assert (second["state"], second["resolved"], second["severity"]) == ("active", None, None)
    third = got["PQ3"]
    assert third["declared"] == datetime(2024, 1, 13, 8, 0, tzinfo=UTC)
    assert (third["severity"], third["commander"]) == ("SEV-5", None)
    assert not third["teams"]  # an empty cell: no teams (the engine gives null, JSON gives [])
    assert result.assumed_timezone is None


# --- properties ----------------------------------------------------------------------------

_NAMES = st.text(
    alphabet=st.characters(categories=["L", "N", "Zs"], exclude_characters="\x85\xa0"),
    min_size=1,
    max_size=12,
).filter(lambda name: name.strip() != "" and name.strip() not in NULL_SPELLINGS)
_INCIDENTS = st.lists(
    st.tuples(
        st.sampled_from(["triggered", "acknowledged", "resolved"]),
        st.one_of(st.none(), st.sampled_from(["P1", "P2", "P3", "P4", "P5"])),
        st.lists(_NAMES, max_size=3),
        st.lists(_NAMES, max_size=3),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None)
@given(incidents=_INCIDENTS)
def test_rest_names_come_out_of_their_objects(
    tmp_path_factory: pytest.TempPathFactory, incidents: list[Any]
) -> None:
    records = [
        rest_incident(
            f"Q{n}",
            status=status,
            priority=priority,
            teams=tuple(teams),
            assignees=tuple(assignees),
            resolved="2024-01-12T18:00:00Z",
        )
        for n, (status, priority, teams, assignees) in enumerate(incidents, start=1)
    ]
    path = write_rest(tmp_path_factory.mktemp("pd") / "pd.json", records)
    result = loader.load(path)
    assert result.quarantine.height == 0
    got = result.incidents.sort(pl.col("source_rows").list.first()).to_dicts()
    for row, (status, priority, teams, assignees) in zip(got, incidents, strict=True):
        assert row["teams"] == [team.strip() for team in teams]
        assert row["commander"] == (assignees[0].strip() if assignees else None)
        assert row["severity"] == (None if priority is None else "SEV-" + priority[1])
        assert (row["resolved"] is not None) == (status == "resolved")


# --- committed samples -----------------------------------------------------------------------


@pytest.mark.parametrize("path", committed("pagerduty"))
def test_committed_sample(path: Path) -> None:
    result = loader.load(path)
    assert result.source == "pagerduty"
    assert_every_row_once(result)
    truth = truth_of(path)
    if truth is not None:
        assert_matches_truth(result, truth, ("declared", "resolved"))
