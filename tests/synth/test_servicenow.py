"""ServiceNow samples: the UCI-shaped audit event log (two date styles) and the table export."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddinc.errors import ConfigError
from ddinc.synth import Sample, servicenow_event_log, servicenow_table, write_servicenow_event_log
from ddinc.synth.servicenow import EVENT_LOG_COLUMNS
from ddinc.synth.servicenow_incidents import TABLE_COLUMNS
from tests.conftest import shared_path
from tests.synth._views import View, check_against_truth, check_dirt_rates, csv_table, tagged

SLASH = re.compile(r"^\d{1,2}/\d{1,2}/\d{4} \d{2}:\d{2}$")
DASH = re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}$")
PRIORITIES = {"1 - Critical", "2 - High", "3 - Moderate", "4 - Low", "5 - Planning"}
STATES = {
    "New", "Active", "Awaiting User Info", "Awaiting Problem", "Awaiting Vendor",
    "Awaiting Evidence", "Resolved", "Closed", "-100",
}  # fmt: skip


def parse(text: str) -> datetime | None:
    """A day-first ServiceNow time in either style, naive UTC; None for ``?``."""
    if text == "?":
        return None
    fmt = "%d/%m/%Y %H:%M" if "/" in text else "%d-%m-%Y %H:%M"
    return datetime.strptime(text, fmt).replace(tzinfo=UTC)


def event_views(data: bytes) -> tuple[list[str], list[dict[str, str]], list[View]]:
    header, rows = csv_table(data)
    records = [dict(zip(header, row, strict=True)) for row in rows]
    views = [
        View(
            id=None if r["number"] == "?" else r["number"],
            title=r["short_description"],
            severity=r["priority"],
            stamps={"declared": parse(r["opened_at"]), "resolved": parse(r["resolved_at"])},
            cells=list(r.values()),
            raw=r,
        )
        for r in records
    ]
    return header, records, views


@pytest.fixture(scope="module", params=["slash", "dash"])
def log(request: pytest.FixtureRequest) -> tuple[str, Sample]:
    return request.param, servicenow_event_log(450, seed=7, style=request.param)


def test_header_is_the_uci_header_plus_short_description() -> None:
    uci = shared_path("datasets", "servicenow", "incident_event_log.sample.csv")
    uci_header = uci.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert list(EVENT_LOG_COLUMNS) == uci_header
    header, _, _ = event_views(servicenow_event_log(100).data)
    assert header == [*uci_header, "short_description"]


def test_event_log_holds_what_its_truth_says(log: tuple[str, Sample]) -> None:
    _, sample = log
    _, _, views = event_views(sample.data)
    check_dirt_rates(sample)
    check_against_truth(sample, views, ("declared", "resolved"), vocabulary=PRIORITIES)


def test_dates_and_booleans_follow_the_style(log: tuple[str, Sample]) -> None:
    style, sample = log
    _, records, _ = event_views(sample.data)
    own, other = (SLASH, DASH) if style == "slash" else (DASH, SLASH)
    truth = sample.truth
    mixed_rows = {r for rec in tagged(sample, "mixed_date_style") for r in rec["source_rows"]}
    assert mixed_rows
    booleans = {"true", "false"} if style == "slash" else {"TRUE", "FALSE"}
    for number, record in enumerate(records, start=1):
        pattern = other if number in mixed_rows else own
        for column in ("opened_at", "sys_updated_at", "resolved_at", "closed_at", "sys_created_at"):
            assert record[column] == "?" or pattern.match(record[column]), (number, column)
        for column in ("active", "made_sla", "knowledge", "u_priority_confirmation"):
            assert record[column] in booleans
    assert truth.height > 0


def test_each_incident_is_a_run_of_events_in_lifecycle_order(log: tuple[str, Sample]) -> None:
    _, sample = log
    _, records, _ = event_views(sample.data)
    for rec in sample.truth.to_dicts():
        rows = rec["source_rows"]
        if rec["dirt"] == "duplicate":
            rows = rows[: len(rows) // 2]
        events = [records[r - 1] for r in rows]
        states = [e["incident_state"] for e in events]
        counts = [int(e["sys_mod_count"]) for e in events]
        assert set(states) <= STATES
        assert counts == sorted(set(counts)), "sys_mod_count strictly increases"
        assert states[0] == "New"
        assert 1 <= len(events) <= 30
        if rec["dirt"] == "no_id":
            continue
        assert states[1] == "Active"
        ends_resolved = "Resolved" in states
        assert ends_resolved == (rec["resolved"] is not None)
        if ends_resolved:
            tail = states[states.index("Resolved") :]
            assert tail in (["Resolved"], ["Resolved", "Closed"])
            assert all(
                e["active"].lower() == ("false" if e["incident_state"] == "Closed" else "true")
                for e in events
            )
        if rec["dirt"] == "priority_change":
            assert len({e["priority"] for e in events}) == 2
        elif rec["dirt"] != "free_text_severity":
            assert len({e["priority"] for e in events}) == 1
        assert ("-100" in states) == (rec["dirt"] == "odd_state")


def test_typed_times_shift_but_audit_times_do_not(log: tuple[str, Sample]) -> None:
    _, sample = log
    _, records, _ = event_views(sample.data)
    for rec in tagged(sample, "hour_shift"):
        first = records[rec["source_rows"][0] - 1]
        opened, updated = parse(first["opened_at"]), parse(first["sys_updated_at"])
        assert opened is not None
        assert updated is not None
        # The first audit event comes minutes after opening; the shift pushes opened_at hours off.
        assert abs((updated - opened).total_seconds() / 3600 + rec["hour_shift"]) < 0.2


@settings(max_examples=12, deadline=None)
@given(n_events=st.integers(50, 3000), seed=st.integers(0, 10**6))
def test_event_log_has_exactly_the_rows_asked_for(n_events: int, seed: int) -> None:
    sample = servicenow_event_log(n_events, seed=seed)
    frame = pl.read_csv(sample.data, infer_schema=False)
    assert frame.height == n_events
    assert sum(len(rows) for rows in sample.truth["source_rows"].to_list()) == n_events


def test_event_log_refuses_too_few_events_or_a_bad_style() -> None:
    with pytest.raises(ConfigError, match="at least 50"):
        servicenow_event_log(10)
    with pytest.raises(ConfigError, match="slash"):
        servicenow_event_log(100, style="iso")


def test_big_event_log_has_the_requested_rows_and_truth(tmp_path: Path) -> None:
    path = write_servicenow_event_log(tmp_path / "big.csv", n_events=100_000, truth=True)
    with path.open("rb") as handle:
        lines = sum(1 for _ in handle)
    assert lines == 100_001  # header + events (no field holds a line break)
    truth = pl.read_csv(tmp_path / "big.truth.csv", infer_schema=False)
    rows = truth["source_rows"].str.split(";").list.len().sum()
    assert rows == 100_000
    incidents = pl.scan_csv(path, infer_schema=False).select(pl.col("number").n_unique()).collect()
    # One number per incident, less the ones reused by duplicate_id, plus the "?" of no_id.
    reused = truth.filter(pl.col("dirt") == "duplicate_id").height
    no_id = truth.filter(pl.col("dirt") == "no_id").height
    assert incidents.item() == truth.height - reused - no_id + 1


def table_views(data: bytes) -> list[View]:
    header, rows = csv_table(data)
    assert header == list(TABLE_COLUMNS)
    views = []
    for row in rows:
        r = dict(zip(header, row, strict=True))

        def at(text: str) -> datetime | None:
            return (
                datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) if text else None
            )

        views.append(
            View(
                id=r["number"] or None,
                title=r["short_description"],
                severity=r["priority"],
                stamps={"declared": at(r["opened_at"]), "resolved": at(r["resolved_at"])},
                cells=list(r.values()),
                raw=r,
            )
        )
    return views


def test_table_export_holds_what_its_truth_says() -> None:
    sample = servicenow_table(120)
    views = table_views(sample.data)
    check_dirt_rates(sample)
    check_against_truth(sample, views, ("declared", "resolved"), vocabulary=PRIORITIES)
    states = Counter(view.raw["state"].strip() for view in views)
    assert set(states) <= {"New", "In Progress", "On Hold", "Resolved", "Closed"}
    assert states["Closed"] > states["In Progress"] + states["On Hold"]
