"""ServiceNow: the real UCI audit event log sample, its re-saved variant, and the table export.

Expected values are read off the sample CSV by hand (rows quoted in each test), not taken
from the loader's output.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ddinc import loader
from ddinc.readers import read_table
from ddinc.sources import detect
from ddinc.sources.servicenow import EVENT_LOG, INCIDENT_TABLE, SERVICENOW
from tests.conftest import shared_path
from tests.sources._samples import assert_every_row_once, assert_matches_truth, committed, truth_of

SAMPLE = ("datasets", "servicenow", "incident_event_log.sample.csv")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture(scope="module")
def sample() -> Path:
    return shared_path(*SAMPLE)


@pytest.fixture(scope="module")
def loaded(sample: Path) -> loader.LoadResult:
    return loader.load(sample)


def incident(result: loader.LoadResult, number: str) -> dict[str, Any]:
    rows = result.incidents.filter(pl.col("source_id") == number).to_dicts()
    assert len(rows) == 1, f"{number}: {len(rows)} incidents"
    return rows[0]


def test_sample_is_detected_as_the_event_log(sample: Path) -> None:
    table = read_table(sample)
    assert detect(table) is SERVICENOW
    assert SERVICENOW.mapping_for(table) is EVENT_LOG


def test_198_events_make_32_incidents_and_every_row_is_accounted_for(
    loaded: loader.LoadResult,
) -> None:
    assert loaded.rows_read == 198
    assert loaded.incidents.height == 32
    assert loaded.quarantine.height == 0
    rows = loaded.incidents.get_column("source_rows").explode().sort().to_list()
    assert rows == list(range(1, 199))
    assert loaded.incidents.get_column("source_id").n_unique() == 32


def test_incident_whose_priority_changed_by_hand(loaded: loader.LoadResult) -> None:
    # Data rows 25-32 of the sample (file lines 26-33), sys_mod_count 0..7:
    #   mod 0: New, "3 - Moderate", Group 70; mod 1: priority becomes "2 - High";
    #   mod 2: group becomes Group 23; mod 6: Resolved; mod 7: Closed.
    #   opened_at "29/2/2016 06:58" throughout, resolved_at "29/2/2016 15:51",
    #   assigned_to "?" throughout, opened_by "Opened by  180".
    got = incident(loaded, "INC0000062")
    assert got["source_rows"] == list(range(25, 33))
    assert got["declared"] == utc(2016, 2, 29, 6, 58)
    assert got["resolved"] == utc(2016, 2, 29, 15, 51)
    assert got["state"] == "resolved"  # last event: Closed
    assert got["raw"]["state"] == "Closed"
    assert got["severity"] == "SEV-2"  # last priority, not the first
    assert got["raw"]["severity"] == "2 - High"
    assert got["teams"] == ["Group 23"]
    assert got["commander"] is None  # "?" is missing, not a person
    assert got["declared_by"] == "Opened by  180"
    assert got["raw"]["declared"] == "29/2/2016 06:58"
    assert got["time_to_resolve"].total_seconds() == (15 * 60 + 51 - (6 * 60 + 58)) * 60


def test_still_active_incident_by_hand(loaded: loader.LoadResult) -> None:
    # Data rows 195-198 (the last four): New, New, Active, Active; "4 - Low";
    # opened_at "29/2/2016 09:05"; assigned_to "Resolver 180"; the UCI export already holds
    # resolved_at "29/2/2016 11:00" for it, and the loader keeps what the file says (the
    # checks, not the loader, flag a resolved time on an active incident).
    got = incident(loaded, "INC0000101")
    assert got["source_rows"] == [195, 196, 197, 198]
    assert got["state"] == "active"
    assert got["severity"] == "SEV-4"
    assert got["declared"] == utc(2016, 2, 29, 9, 5)
    assert got["resolved"] == utc(2016, 2, 29, 11, 0)
    assert got["commander"] == "Resolver 180"
    assert got["teams"] == ["Group 65"]


def test_sample_times_are_read_day_first_and_naive_utc_is_noted(
    loaded: loader.LoadResult,
) -> None:
    # 29/2/2016 is the first opened_at: read month-first it would not exist.
    assert loaded.incidents.get_column("declared").min() == utc(2016, 2, 29, 1, 16)
    assert loaded.assumed_timezone == "UTC"
    assert any("opened_at" in note and "declared" in note for note in loaded.notes)


def _rewrite(sample: Path, target: Path, cell: Any) -> Path:
    """Copy the sample through ``cell`` (applied to every cell), keeping CSV quoting right."""
    rows = list(csv.reader(io.StringIO(sample.read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    writer.writerows([[cell(value) for value in row] for row in rows[1:]])
    target.write_text(out.getvalue(), encoding="utf-8")
    return target


def _spreadsheet_style(value: str) -> str:
    """29/2/2016 01:16 -> 29-02-2016 01:16 and true -> TRUE, as a spreadsheet re-saves them."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{2}:\d{2})", value)
    if match:
        day, month, year, clock = match.groups()
        return f"{int(day):02d}-{int(month):02d}-{year} {clock}"
    return {"true": "TRUE", "false": "FALSE"}.get(value, value)


def _comparable(result: loader.LoadResult) -> pl.DataFrame:
    return result.incidents.drop("source_file", "raw", "load_notes").sort("source_id")


def test_spreadsheet_resaved_variant_loads_to_the_same_incidents(
    sample: Path, loaded: loader.LoadResult, tmp_path: Path
) -> None:
    resaved = _rewrite(sample, tmp_path / "resaved.csv", _spreadsheet_style)
    text = resaved.read_text(encoding="utf-8")
    assert "29-02-2016 01:16" in text
    assert "TRUE" in text
    assert "29/2/2016" not in text
    result = loader.load(resaved)
    assert result.source == "servicenow"
    assert result.quarantine.height == 0
    assert _comparable(result).equals(_comparable(loaded))
    got = incident(result, "INC0000062")
    assert got["raw"]["declared"] == "29-02-2016 06:58"


def test_row_order_does_not_matter_events_are_ordered_by_sys_mod_count(
    sample: Path, loaded: loader.LoadResult, tmp_path: Path
) -> None:
    lines = sample.read_text(encoding="utf-8").splitlines()
    reversed_file = tmp_path / "reversed.csv"
    reversed_file.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n", encoding="utf-8")
    result = loader.load(reversed_file)
    got = incident(result, "INC0000062")
    # Reversed, data row r becomes 199 - r: rows 25-32 are now 167-174.
    assert sorted(got["source_rows"]) == list(range(167, 175))
    assert got["state"] == "resolved"
    assert got["severity"] == "SEV-2"
    assert got["teams"] == ["Group 23"]
    assert _comparable(result).drop("source_rows").equals(_comparable(loaded).drop("source_rows"))


def test_short_description_column_gives_the_title(sample: Path, tmp_path: Path) -> None:
    lines = sample.read_text(encoding="utf-8").splitlines()
    titled = [lines[0] + ",short_description"]
    for number, line in enumerate(lines[1:], start=1):
        # Only the first event of INC0000045 (data row 1) and the last (row 4) carry one.
        title = {1: "Email down", 4: "Email down for sales"}.get(number, "")
        titled.append(f"{line},{title}")
    path = tmp_path / "titled.csv"
    path.write_text("\n".join(titled) + "\n", encoding="utf-8")
    result = loader.load(path)
    assert incident(result, "INC0000045")["title"] == "Email down for sales"
    assert incident(result, "INC0000047")["title"] is None


TABLE_COLUMNS = (
    "number,short_description,state,priority,opened_at,resolved_at,closed_at,"
    "assignment_group,assigned_to,opened_by,cmdb_ci,category"
)
TABLE_ROWS = [
    "INC0010001,VPN drops every hour,Resolved,1 - Critical,2024-03-30 23:15:00,"
    "2024-03-31 04:10:00,2024-04-02 09:00:00,Network,Ann Lee,Bob Roy,vpn-gw,Network",
    "INC0010002,Printer queue stuck,In Progress,5 - Planning,2024-07-01 10:00:00,,,"
    "Desktop,,Cy Doe,,Hardware",
    "INC0010003,Payroll job late,Canceled,3 - Moderate,2024-07-02 08:30:00,,"
    "2024-07-02 09:00:00,Finance,Dee,Eve,payroll,Software",
]
TABLE_EXPORT = "\n".join([TABLE_COLUMNS, *TABLE_ROWS]) + "\n"


def test_incident_table_export_in_local_time(tmp_path: Path) -> None:
    path = tmp_path / "incident.csv"
    path.write_text(TABLE_EXPORT, encoding="utf-8")
    assert SERVICENOW.mapping_for(read_table(path)) is INCIDENT_TABLE
    result = loader.load(path, tz="Europe/Paris")
    assert result.source == "servicenow"
    assert result.quarantine.height == 0
    first = incident(result, "INC0010001")
    assert first["title"] == "VPN drops every hour"
    assert first["severity"] == "SEV-1"
    assert first["state"] == "resolved"
    # Paris is UTC+1 on 30 March 2024 and UTC+2 from 31 March 02:00 (DST).
    assert first["declared"] == utc(2024, 3, 30, 22, 15)
    assert first["resolved"] == utc(2024, 3, 31, 2, 10)
    assert first["services"] == ["vpn-gw"]
    assert first["teams"] == ["Network"]
    assert first["commander"] == "Ann Lee"
    second = incident(result, "INC0010002")
    assert (second["severity"], second["state"]) == ("SEV-5", "active")
    assert second["resolved"] is None
    assert second["commander"] is None
    # Canceled is deliberately unmapped: kept raw for the analyst to decide.
    third = incident(result, "INC0010003")
    assert third["state"] is None
    assert third["raw"]["state"] == "Canceled"
    assert result.assumed_timezone is None


def test_odd_state_code_is_kept_raw_not_guessed(sample: Path, tmp_path: Path) -> None:
    lines = sample.read_text(encoding="utf-8").splitlines()
    # The last event of INC0000101 (data row 198) gets UCI's stray "-100" state.
    last = lines[198].split(",")
    last[1] = "-100"
    lines[198] = ",".join(last)
    path = tmp_path / "odd.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = incident(loader.load(path), "INC0000101")
    assert got["state"] is None
    assert got["raw"]["state"] == "-100"


@pytest.mark.parametrize("path", committed("servicenow"))
def test_committed_sample(path: Path) -> None:
    result = loader.load(path)
    assert result.source == "servicenow"
    assert_every_row_once(result)
    truth = truth_of(path)
    if truth is not None:
        event_log = "event_log" in path.name
        assert_matches_truth(result, truth, ("declared", "resolved"), event_log=event_log)


def test_events_disagreeing_on_opened_at_are_named_in_the_load_notes(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "number,incident_state,sys_mod_count,opened_by,opened_at,priority,assignment_group,"
        "resolved_at\n"
        "INC1,New,0,Ann,1/3/2016 10:00,3 - Moderate,db,?\n"
        "INC1,Active,1,Ann,1/3/2016 09:30,3 - Moderate,db,?\n"
        "INC1,Resolved,2,Ann,1/3/2016 10:00,3 - Moderate,db,1/3/2016 12:00\n"
        "INC2,New,0,Bo,2/3/2016 08:00,4 - Low,net,?\n",
        encoding="utf-8",
    )
    result = loader.load(path, "servicenow")
    (note,) = [n for n in result.notes if "give different times" in n]
    assert note.startswith("opened_at: the events of 1 incident(s)")
    assert "number INC1 (2016-03-01T09:30:00Z to 2016-03-01T10:00:00Z)" in note
    assert "INC2" not in note
    assert incident(result, "INC1")["declared"] == utc(2016, 3, 1, 9, 30)


def test_work_notes_become_notes_and_events_keep_each_text_once(tmp_path: Path) -> None:
    header = (
        "number,incident_state,sys_mod_count,opened_at,priority,opened_by,"
        "assignment_group,resolved_at,work_notes\n"
    )
    common = "5/3/2016 12:00,3 - Moderate,Ann,DB,"
    rows = [
        f"INC1,New,0,{common},Looking at the database\n",
        f"INC1,Active,1,{common},Looking at the database\n",
        f"INC1,Resolved,2,{common}5/3/2016 13:05,Resolved at 13:05 UTC\n",
    ]
    path = tmp_path / "log.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    (incident,) = loader.load(path, "servicenow").incidents.to_dicts()
    assert incident["notes"] == ["Looking at the database", "Resolved at 13:05 UTC"]
