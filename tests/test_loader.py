"""ddinc.load: detection, generic mappings, overrides, time zones, errors, several files."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddinc.checks import check
from ddinc.errors import ConfigError, LoadError, SourceDetectionError
from ddinc.loader import LoadResult, load
from ddinc.readers import read_table
from ddinc.sources import SOURCES, EventLog, Mapping, detect, get_source, read_mapping
from ddinc.synth import SAMPLES as SAMPLE_NAMES
from tests.conftest import shared_path
from tests.sources._samples import DATA, assert_every_row_once, assert_matches_truth, truth_of

SPREADSHEET = "\n".join(
    [
        "Incident #,What happened,Sev,Status,Started (local),Noticed,Opened,Fixed,Impact over,"
        "Owner email,Team(s),Service(s),Root cause",
        "IR-1,Checkout 500s,Sev 2,Fixed,2024-01-12 15:30,2024-01-12 15:40,2024-01-12 15:45,"
        '2024-01-12 17:00,2024-01-12 16:50,ann@example.com,"Payments, Checkout",checkout-api,'
        "bad deploy",
        "IR-2,Search slow,Sev 4,Open,2024-07-01 09:00,2024-07-01 09:05,2024-07-01 09:10,,,"
        "bob@example.com,Search,search-api,",
        "",
    ]
)

MAPPING_TOML = """\
source = "spreadsheet"
id = "Incident #"
timezone = "Europe/Paris"
list_separator = ","

[columns]
title = "What happened"
severity = "Sev"
state = "Status"
impact_start = "Started (local)"
detected = "Noticed"
declared = "Opened"
resolved = "Fixed"
impact_end = "Impact over"
commander = "Owner email"
teams = "Team(s)"
services = "Service(s)"

[fields]
root_cause = "Root cause"

[severity]
"Sev 2" = "SEV-2"
"Sev 4" = "SEV-4"

[state]
"Open" = "active"
"Fixed" = "resolved"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def paris_mapping() -> Mapping:
    return Mapping(
        source="spreadsheet",
        id="Incident #",
        columns={
            "title": "What happened",
            "severity": "Sev",
            "state": "Status",
            "impact_start": "Started (local)",
            "detected": "Noticed",
            "declared": "Opened",
            "resolved": "Fixed",
            "impact_end": "Impact over",
            "commander": "Owner email",
            "teams": "Team(s)",
            "services": "Service(s)",
        },
        fields={"root_cause": "Root cause"},
        severity={"Sev 2": "SEV-2", "Sev 4": "SEV-4"},
        state={"Open": "active", "Fixed": "resolved"},
        timezone="Europe/Paris",
        list_separator=",",
    )


def check_spreadsheet(result: LoadResult) -> None:
    assert result.source == "spreadsheet"
    assert result.quarantine.height == 0
    first, second = result.incidents.sort("source_id").to_dicts()
    assert first["title"] == "Checkout 500s"
    assert (first["severity"], first["state"]) == ("SEV-2", "resolved")
    # Paris is UTC+1 in January, UTC+2 in July.
    assert first["impact_start"] == datetime(2024, 1, 12, 14, 30, tzinfo=UTC)
    assert first["detected"] == datetime(2024, 1, 12, 14, 40, tzinfo=UTC)
    assert first["declared"] == datetime(2024, 1, 12, 14, 45, tzinfo=UTC)
    assert first["resolved"] == datetime(2024, 1, 12, 16, 0, tzinfo=UTC)
    assert first["impact_end"] == datetime(2024, 1, 12, 15, 50, tzinfo=UTC)
    assert first["time_to_detect"].total_seconds() == 600
    assert first["teams"] == ["Payments", "Checkout"]
    assert first["field.root_cause"] == "bad deploy"
    assert second["declared"] == datetime(2024, 7, 1, 7, 10, tzinfo=UTC)
    assert (second["state"], second["resolved"], second["field.root_cause"]) == (
        "active",
        None,
        None,
    )


# --- generic mappings ------------------------------------------------------------------------


def test_generic_mapping_from_toml(tmp_path: Path) -> None:
    sheet = write(tmp_path, "sheet.csv", SPREADSHEET)
    mapping = read_mapping(write(tmp_path, "mapping.toml", MAPPING_TOML))
    check_spreadsheet(load(sheet, mapping))


def test_generic_mapping_from_python(tmp_path: Path) -> None:
    check_spreadsheet(load(write(tmp_path, "sheet.csv", SPREADSHEET), paris_mapping()))


def test_a_zone_named_in_the_mapping_is_not_assumed(tmp_path: Path) -> None:
    result = load(write(tmp_path, "sheet.csv", SPREADSHEET), paris_mapping())
    assert not any("assumed" in note for note in result.notes)
    assert result.assumed_timezone is None


def test_toml_and_python_mappings_are_equal(tmp_path: Path) -> None:
    assert read_mapping(write(tmp_path, "m.toml", MAPPING_TOML)) == paris_mapping()


def test_toml_mapping_with_an_unknown_key_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "m.toml", MAPPING_TOML.replace("list_separator", "list_sep"))
    with pytest.raises(ConfigError, match="list_sep"):
        read_mapping(path)


def test_toml_mapping_with_an_unknown_field_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "m.toml", MAPPING_TOML.replace("title =", "headline ="))
    with pytest.raises(ConfigError, match="headline"):
        read_mapping(path)


@pytest.mark.parametrize("name", ["spreadsheet_incidents.csv", "spreadsheet_incidents.xlsx"])
def test_committed_spreadsheet_with_its_mapping_file(name: str) -> None:
    path = DATA / name
    mapping_file = DATA / "spreadsheet_mapping.toml"
    assert path.is_file(), f"{path} is missing: regenerate it with `ddinc synth data`"
    assert mapping_file.is_file(), f"{mapping_file} is missing"
    result = load(path, read_mapping(mapping_file))
    assert_every_row_once(result)
    truth = truth_of(path)
    if truth is not None:
        times = ("impact_start", "detected", "declared", "resolved", "impact_end")
        assert_matches_truth(result, truth, times)


# --- detection -------------------------------------------------------------------------------


def test_every_builtin_source_is_registered() -> None:
    assert {"servicenow", "statuspage", "pagerduty", "opsgenie", "jira"} <= set(SOURCES)
    assert get_source(" PagerDuty ") is SOURCES["pagerduty"]


@pytest.mark.parametrize(
    ("parts", "source"),
    [
        (("datasets", "servicenow", "incident_event_log.sample.csv"), "servicenow"),
        (("datasets", "statuspage", "githubstatus_incidents_2021-2022.json"), "statuspage"),
    ],
)
def test_detection_on_the_real_samples(parts: tuple[str, ...], source: str) -> None:
    result = load(shared_path(*parts))
    assert result.source == source
    assert any(f"detected source {source!r}" in note for note in result.notes)


def _committed_with_source() -> list[object]:
    expected = {
        "servicenow": "servicenow",
        "statuspage": "statuspage",
        "pagerduty": "pagerduty",
        "opsgenie": "opsgenie",
        "jira": "jira",
    }
    params = []
    # The sample exports ddinc synth writes (not the truth, mapping or recipe files).
    for path in sorted(DATA / name for name in SAMPLE_NAMES):
        source = next((s for prefix, s in expected.items() if path.name.startswith(prefix)), None)
        params.append(pytest.param(path, source, id=path.name))
    assert params, f"no sample exports in {DATA}: regenerate them with `ddinc synth data`"
    return params


@pytest.mark.parametrize(("path", "source"), _committed_with_source())
def test_detection_on_the_committed_samples(path: Path, source: str | None) -> None:
    table = read_table(path)
    if source is None:
        # An analyst's own spreadsheet is no legacy system's export: refused, not guessed.
        with pytest.raises(SourceDetectionError, match="cannot tell"):
            detect(table)
    else:
        assert detect(table).name == source


def test_unknown_file_is_refused_with_its_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "sheet.csv", SPREADSHEET)
    with pytest.raises(SourceDetectionError) as caught:
        load(path)
    message = str(caught.value)
    assert "sheet.csv" in message
    assert "What happened" in message  # the columns seen
    assert "source=" in message  # what to do


def test_file_matching_two_sources_is_refused(tmp_path: Path) -> None:
    # Columns of a PagerDuty CSV and of a Jira CSV in one file.
    header = (
        "id,incident_number,title,status,urgency,created_on,"
        "Issue key,Summary,Status,Priority,Created\n"
    )
    path = write(tmp_path, "merged.csv", header + "P1,1,t,resolved,high,x,K-1,s,Done,High,x\n")
    with pytest.raises(SourceDetectionError) as caught:
        load(path)
    message = str(caught.value)
    assert "more than one source" in message
    assert "pagerduty" in message
    assert "jira" in message


def test_unknown_source_name_is_refused() -> None:
    with pytest.raises(SourceDetectionError, match="one of"):
        get_source("remedy")


def test_named_source_skips_detection(tmp_path: Path) -> None:
    sample = shared_path("datasets", "servicenow", "incident_event_log.sample.csv")
    result = load(sample, "servicenow")
    assert not any("detected source" in note for note in result.notes)
    assert result.incidents.height == 32


# --- overrides, time zones ---------------------------------------------------------------------


def test_vocabulary_overrides(tmp_path: Path) -> None:
    sheet = write(tmp_path, "sheet.csv", SPREADSHEET.replace("Sev 4", "Sev four"))
    plain = load(sheet, paris_mapping())
    assert plain.incidents.sort("source_id").get_column("severity").to_list() == ["SEV-2", None]
    overridden = load(
        sheet, paris_mapping(), severity={"sev four": "SEV-4"}, state={"Fixed": "completed"}
    )
    got = overridden.incidents.sort("source_id")
    assert got.get_column("severity").to_list() == ["SEV-2", "SEV-4"]
    assert got.get_column("state").to_list() == ["completed", "active"]


def test_builtin_source_vocabulary_override(tmp_path: Path) -> None:
    sample = shared_path("datasets", "servicenow", "incident_event_log.sample.csv")
    result = load(sample, severity={"3 - Moderate": "SEV-2"})
    assert "SEV-3" not in result.incidents.get_column("severity").to_list()


def test_tz_option_reads_naive_times_as_local(tmp_path: Path) -> None:
    sheet = write(tmp_path, "sheet.csv", SPREADSHEET)
    utc_mapping = paris_mapping().replace(timezone="UTC")
    assumed = load(sheet, utc_mapping)
    first = assumed.incidents.sort("source_id").row(0, named=True)
    assert first["declared"] == datetime(2024, 1, 12, 15, 45, tzinfo=UTC)
    assert any("taken as UTC" in note and "assumed" in note for note in assumed.notes)
    paris = load(sheet, utc_mapping, tz="Europe/Paris")
    first = paris.incidents.sort("source_id").row(0, named=True)
    assert first["declared"] == datetime(2024, 1, 12, 14, 45, tzinfo=UTC)
    assert paris.assumed_timezone is None


def test_builtin_source_without_tz_says_utc_was_assumed() -> None:
    sample = shared_path("datasets", "servicenow", "incident_event_log.sample.csv")
    result = load(sample)
    assert result.assumed_timezone == "UTC"
    assert any("assumed" in note for note in result.notes)


def test_unknown_tz_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Europe/Pariss"):
        load(write(tmp_path, "sheet.csv", SPREADSHEET), paris_mapping(), tz="Europe/Pariss")


# --- errors ------------------------------------------------------------------------------------


def test_missing_required_column_names_file_column_and_close_matches(tmp_path: Path) -> None:
    sheet = write(tmp_path, "sheet.csv", SPREADSHEET.replace("Opened,", "Opened at,", 1))
    with pytest.raises(LoadError) as caught:
        load(sheet, paris_mapping())
    error = caught.value
    assert error.file == str(sheet)
    assert error.column == "Opened"
    assert "'Opened at'" in str(error)  # the close match offered


def test_unparseable_timestamp_quarantined_or_raised(tmp_path: Path) -> None:
    sheet = write(tmp_path, "sheet.csv", SPREADSHEET.replace("2024-07-01 09:10", "1st July"))
    result = load(sheet, paris_mapping())
    assert result.incidents.get_column("source_id").to_list() == ["IR-1"]
    bad = result.quarantine.row(0, named=True)
    assert (bad["source_row"], bad["column"], bad["value"]) == (2, "Opened", "1st July")
    assert "1st July" in bad["reason"]
    with pytest.raises(LoadError) as caught:
        load(sheet, paris_mapping(), on_error="raise")
    error = caught.value
    assert (error.file, error.row, error.column, error.value) == (
        str(sheet),
        2,
        "Opened",
        "1st July",
    )


def test_on_error_must_be_known(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="on_error"):
        load(write(tmp_path, "sheet.csv", SPREADSHEET), paris_mapping(), on_error="ignore")  # type: ignore[arg-type]


def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="not found"):
        load(tmp_path / "nope.csv")


# --- several files, frames, the result -----------------------------------------------------------


def test_several_files_of_one_source(tmp_path: Path) -> None:
    sample = shared_path("datasets", "statuspage", "githubstatus_incidents_2021-2022.json")
    incidents = json.loads(sample.read_text(encoding="utf-8"))["incidents"]
    first = write(tmp_path, "a.jsonl", "\n".join(json.dumps(i) for i in incidents[:100]))
    second = write(tmp_path, "b.jsonl", "\n".join(json.dumps(i) for i in incidents[100:]))
    result = load([first, second])
    assert result.rows_read == 209
    assert result.incidents.height == 209
    files = result.incidents.get_column("source_file").value_counts(sort=True)
    assert files.get_column("count").to_list() == [109, 100]


def test_an_empty_list_of_files_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        load([])


def test_a_polars_frame_loads_like_a_file(tmp_path: Path) -> None:
    frame = pl.read_csv(write(tmp_path, "sheet.csv", SPREADSHEET), infer_schema=False)
    check_spreadsheet(load(frame, paris_mapping()))


def test_a_pandas_frame_is_refused_with_what_to_do(tmp_path: Path) -> None:
    # Iterating it yielded its column names, which were then looked for as files ("id: file
    # not found"): say what was passed and how to convert it.
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"id": ["1"], "title": ["a"]})
    with pytest.raises(ConfigError, match=r"not a DataFrame.*pl\.from_pandas"):
        load(frame, paris_mapping())
    with pytest.raises(ConfigError, match=r"not a LazyFrame.*collect"):
        load(pl.DataFrame({"id": ["1"]}).lazy(), paris_mapping())  # type: ignore[arg-type]


def test_result_repr_and_summary(tmp_path: Path) -> None:
    result = load(write(tmp_path, "sheet.csv", SPREADSHEET), paris_mapping())
    assert repr(result) == "LoadResult(spreadsheet: 2 incidents from 2 rows, 0 rows quarantined)"
    summary = result.summary()
    assert (summary["incidents"], summary["rows_read"], summary["quarantined_rows"]) == (2, 2, 0)
    assert "<table" in result._repr_html_()


def test_a_copied_sample_keeps_its_own_path(tmp_path: Path) -> None:
    sample = shared_path("datasets", "servicenow", "incident_event_log.sample.csv")
    copy = tmp_path / "copy.csv"
    shutil.copy(sample, copy)
    result = load(copy)
    assert set(result.incidents.get_column("source_file").to_list()) == {str(copy)}


def test_result_check_reports_the_assumed_time_zone(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "id,title,state,opened,fixed\nA-1,Disk full,resolved,2024-01-02 10:00,2024-01-02 09:00\n",
        encoding="utf-8",
    )
    mapping = Mapping(
        source="sheet",
        id="id",
        columns={"title": "title", "state": "state", "declared": "opened", "resolved": "fixed"},
    )
    report = check(load(sheet, mapping))
    assert any("assumed" in note and "UTC" in note for note in report.notes)
    # The reversed interval (fixed before opened) is found on the loaded incidents.
    assert report.result("reversed_interval").n_failing == 1
    zoned = check(load(sheet, mapping, tz="Europe/Paris"))
    assert not any("assumed" in note for note in zoned.notes)


def test_a_json_export_with_no_records_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "incidents.json"
    empty.write_text('{"incidents": []}', encoding="utf-8")
    with pytest.raises(LoadError, match="holds no records") as error:
        load(empty, "statuspage")
    assert error.value.file == str(empty)


# --- hardening: records of the wrong shape, odd JSON, choices that are noted ----------------

STATUSPAGE_LINE = {
    "id": "a",
    "name": "t",
    "status": "resolved",
    "impact": "minor",
    "created_at": "2024-01-01T00:00:00Z",
    "shortlink": "x",
}


def _jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_a_list_where_one_value_belongs_quarantines_that_record_only(tmp_path: Path) -> None:
    # Issue 7 item 1: this crashed the whole load with "cannot cast List type".
    path = _jsonl(
        tmp_path / "l.jsonl", [STATUSPAGE_LINE, {**STATUSPAGE_LINE, "id": "b", "name": ["t"]}]
    )
    result = load(path)
    assert result.incidents.get_column("source_id").to_list() == ["a"]
    bad = result.quarantine.row(0, named=True)
    assert bad["source_row"] == 2
    assert bad["column"] == "name"
    assert bad["value"] == '["t"]'
    assert "holds a list where one value belongs" in bad["reason"]
    assert json.loads(bad["record"])["name"] == ["t"]
    assert_every_row_once(result)


def test_a_list_in_every_record_of_a_timestamp_column_is_quarantined(tmp_path: Path) -> None:
    records = [
        {**STATUSPAGE_LINE, "id": "a", "created_at": ["2024-01-01T00:00:00Z"]},
        {**STATUSPAGE_LINE, "id": "b", "created_at": ["2024-01-01T00:00:00Z", "x"]},
    ]
    result = load(_jsonl(tmp_path / "l.jsonl", records))
    assert result.incidents.height == 0
    assert result.quarantine.get_column("column").to_list() == ["created_at", "created_at"]
    assert_every_row_once(result)


def test_frames_with_list_binary_and_duration_columns_load_the_good_rows() -> None:
    frame = pl.DataFrame(
        {
            "id": ["1", "2", "3", "4"],
            "title": [["a", "b"], None, None, None],
            "declared": [None, timedelta(hours=1), None, None],
            "sev": [None, None, b"\xff\x00", None],
            "opened": ["2024-01-01T00:00:00Z"] * 4,
        },
        schema_overrides={"title": pl.List(pl.String)},
    )
    mapping = Mapping(
        source="s",
        id="id",
        columns={
            "title": "title",
            "impact_start": "declared",
            "severity": "sev",
            "declared": "opened",
        },
    )
    result = load(frame, mapping)
    assert result.incidents.get_column("source_id").to_list() == ["4"]
    reasons = dict(zip(result.quarantine["column"], result.quarantine["reason"], strict=True))
    assert "a list where one value belongs" in reasons["title"]
    assert "a duration" in reasons["declared"]
    assert "bytes" in reasons["sev"]
    assert result.quarantine.filter(pl.col("column") == "sev")["value"].item() == "ff00"
    assert_every_row_once(result)


def test_unmapped_binary_columns_do_not_break_the_quarantine_record() -> None:
    frame = pl.DataFrame({"id": ["1", None], "title": ["a", "b"], "blob": [b"\xff", b"\x00"]})
    result = load(frame, Mapping(source="s", id="id", columns={"title": "title"}))
    assert json.loads(result.quarantine["record"].item()) == {
        "id": None,
        "title": "b",
        "blob": "00",
    }


def test_a_struct_title_is_a_load_error_that_shows_the_keys() -> None:
    frame = pl.DataFrame({"id": ["1"], "title": [{"text": "a", "lang": "en"}]})
    with pytest.raises(LoadError, match=r"title\.text \(keys: text, lang\)"):
        load(frame, Mapping(source="s", id="id", columns={"title": "title"}))


def test_a_non_utf8_json_is_decoded_and_noted(tmp_path: Path) -> None:
    path = tmp_path / "cp.json"
    record = {**STATUSPAGE_LINE, "name": "Caf\u00e9 down"}
    path.write_bytes(json.dumps({"incidents": [record]}, ensure_ascii=False).encode("cp1252"))
    result = load(path)
    assert result.incidents["title"].to_list() == ["Caf\u00e9 down"]
    assert any("Windows-1252" in note for note in result.notes)


def test_very_deep_json_is_a_load_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(LoadError, match=r"deep\.json: the JSON is nested too deeply"):
        load(path, "statuspage")


def test_deep_json_lines_are_quarantined_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    deep = '{"a":' * 50_000 + "1" + "}" * 50_000
    path.write_text(json.dumps(STATUSPAGE_LINE) + "\n" + deep + "\n", encoding="utf-8")
    result = load(path, "statuspage")
    assert result.incidents.height == 1
    assert "nested too deeply" in result.quarantine["reason"].item()


def test_a_key_written_twice_is_noted_on_the_record(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    line = json.dumps(STATUSPAGE_LINE)[:-1] + ', "name": "second"}'
    path.write_text(
        json.dumps({**STATUSPAGE_LINE, "id": "z"}) + "\n" + line + "\n", encoding="utf-8"
    )
    result = load(path)
    by_id = {r["source_id"]: r for r in result.incidents.to_dicts()}
    assert by_id["a"]["title"] == "second"
    assert by_id["a"]["load_notes"] == [
        "the record gives key 'name' more than once; the last value was kept"
    ]
    assert by_id["z"]["load_notes"] == []
    report = check(result)
    assert report.failing("load_note")["source_id"].to_list() == ["a"]


def test_nul_characters_in_titles_are_kept_and_noted() -> None:
    frame = pl.DataFrame({"id": ["1", "2"], "title": ["bad\x00title", "fine"]})
    result = load(frame, Mapping(source="s", id="id", columns={"title": "title"}))
    notes = dict(result.incidents.select("source_id", "load_notes").rows())
    assert notes["1"] == [
        "title: holds NUL characters (\\x00), kept as written; the push holds the row until a "
        "recipe step removes them"
    ]
    assert notes["2"] == []
    assert result.incidents["title"].to_list()[0] == "bad\x00title"


def test_conflicting_event_times_take_the_earliest_and_say_so(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "id,title,opened,n\n"
        "A,t,2024-01-02 10:00,1\n"
        "A,t,2024-01-01 10:00,2\n"
        "B,u,2024-01-03 10:00,1\n"
        "B,u,2024-01-03 10:00,2\n",
        encoding="utf-8",
    )
    mapping = Mapping(
        source="log",
        id="id",
        columns={"title": "title", "declared": "opened"},
        events=EventLog(order_by="n"),
    )
    result = load(path, mapping)
    by_id = {r["source_id"]: r for r in result.incidents.to_dicts()}
    assert by_id["A"]["declared"] == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert by_id["A"]["load_notes"] == [
        "declared: the events give different times, from 2024-01-01T10:00:00Z to "
        "2024-01-02T10:00:00Z; the earliest was taken"
    ]
    assert by_id["B"]["load_notes"] == []


# --- detected_from -------------------------------------------------------------------------


def test_detected_stays_missing_without_detected_from() -> None:
    result = load(DATA / "statuspage_incidents.json")
    assert result.incidents["detected"].null_count() == result.incidents.height


@pytest.mark.parametrize("origin", ["impact_start", "declared"])
def test_detected_from_fills_missing_detected_and_says_so(origin: str) -> None:
    result = load(DATA / "statuspage_incidents.json", detected_from=origin)
    incidents = result.incidents
    has_origin = incidents.filter(pl.col(origin).is_not_null())
    assert has_origin["detected"].to_list() == has_origin[origin].to_list()
    assert incidents.filter(pl.col(origin).is_null())["detected"].null_count() == (
        incidents[origin].null_count()
    )
    raws = has_origin.select(
        pl.col("raw").struct.field("detected"), pl.col("raw").struct.field(origin)
    )
    for detected_raw, origin_raw in raws.rows():
        assert detected_raw == f"from {origin}: {origin_raw}"
    note = next(n for n in result.notes if n.startswith("detected was missing"))
    assert f"for {has_origin.height} incident(s) and taken from {origin}" in note


def test_detected_from_keeps_a_detected_time_the_file_holds() -> None:
    # The spreadsheet states detection ("Noticed"): only its missing cells are filled.
    plain = load(DATA / "spreadsheet_incidents.csv", str(DATA / "spreadsheet_mapping.toml"))
    filled = load(
        DATA / "spreadsheet_incidents.csv",
        str(DATA / "spreadsheet_mapping.toml"),
        detected_from="impact_start",
    )
    stated = plain.incidents.filter(pl.col("detected").is_not_null())
    assert (
        filled.incidents.filter(pl.col("row_key").is_in(stated["row_key"].implode()))[
            "detected"
        ].to_list()
        == stated["detected"].to_list()
    )


def test_detected_from_is_refused_when_unknown() -> None:
    with pytest.raises(ConfigError, match="detected_from must be one of impact_start, declared"):
        load(DATA / "statuspage_incidents.json", detected_from="created")


# --- adjusting a built-in source -----------------------------------------------------------


def test_one_column_of_a_builtin_source_is_overridden_without_copying_it() -> None:
    result = load(
        DATA / "statuspage_incidents.json", "statuspage", columns={"detected": "started_at"}
    )
    incidents = result.incidents.filter(pl.col("impact_start").is_not_null())
    assert incidents["detected"].to_list() == incidents["impact_start"].to_list()
    # the rest of the source's mapping is untouched
    assert result.incidents["services"].list.len().sum() > 0
    assert SOURCES["statuspage"].mappings[0].columns.get("detected") is None


def test_the_cli_reads_column_detected_from_and_records_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ddinc.cli import main

    path = tmp_path / "archive.json"
    path.write_text(
        json.dumps({"old": [STATUSPAGE_LINE], "new": [{**STATUSPAGE_LINE, "id": "n"}]}),
        encoding="utf-8",
    )
    args = ["check", str(path), "--source", "statuspage", "--records", "old", "--json"]
    assert (
        main([*args, "--column", "impact_start=created_at", "--detected-from", "impact_start"]) == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["incidents"] == 1
    assert any(n.startswith("detected was missing for 1 incident(s)") for n in summary["notes"])
    assert main([*args, "--column", "detected"]) == 2
    assert "--column 'detected': write it as FIELD=PATH" in capsys.readouterr().err


# --- which list of a JSON object holds the records -------------------------------------------


def _json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_an_empty_list_is_never_the_records_list(tmp_path: Path) -> None:
    path = _json(tmp_path / "a.json", {"archive": [STATUSPAGE_LINE], "current": []})
    result = load(path, "statuspage")
    assert result.incidents["source_id"].to_list() == ["a"]


def test_only_empty_lists_mean_no_records(tmp_path: Path) -> None:
    path = _json(tmp_path / "a.json", {"archive": [], "current": []})
    with pytest.raises(LoadError, match="the file holds no records"):
        load(path, "statuspage")


def test_two_lists_of_records_ask_for_records_and_say_how(tmp_path: Path) -> None:
    document = {"archive": [STATUSPAGE_LINE], "current": [{**STATUSPAGE_LINE, "id": "c"}]}
    path = _json(tmp_path / "a.json", document)
    with pytest.raises(LoadError, match=r'candidates: archive, current.*records = "archive"'):
        load(path, "statuspage")
    assert load(path, "statuspage", records="current").incidents["source_id"].to_list() == ["c"]
    mapping = Mapping(source="s", id="id", columns={"title": "name"}, records="archive")
    assert load(path, mapping).incidents["source_id"].to_list() == ["a"]


def test_records_walks_into_objects_and_names_what_is_there(tmp_path: Path) -> None:
    path = _json(tmp_path / "a.json", {"page": {"incidents": [STATUSPAGE_LINE]}, "x": []})
    assert load(path, "statuspage", records="page.incidents").incidents.height == 1
    with pytest.raises(LoadError, match=r"no key 'archive' holding the records.*under x"):
        load(path, "statuspage", records="archive")


# --- fuzzing: JSON records of any shape load or fail with a LoadError, never a traceback ------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["2024-01-01T00:00:00Z", "1704067200", "?", "\x00", "[RESOLVED] x"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("ab"), inner, max_size=2)
    ),
    max_leaves=6,
)
_RECORDS = st.lists(
    st.dictionaries(
        st.sampled_from(["id", "name", "created_at", "tags", "x"]), _VALUES, max_size=5
    ),
    min_size=1,
    max_size=6,
)


@given(records=_RECORDS, as_lines=st.booleans())
@settings(max_examples=150)
def test_json_records_of_any_shape_never_crash_the_load(
    tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, object]], as_lines: bool
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / ("f.jsonl" if as_lines else "f.json")
    text = "".join(json.dumps(r) + "\n" for r in records) if as_lines else json.dumps(records)
    path.write_text(text, encoding="utf-8")
    mapping = Mapping(
        source="s",
        id="id",
        columns={"title": "name", "declared": "created_at", "services": "tags"},
        optional=frozenset({"title", "declared", "services"}),
    )
    try:
        result = load(path, mapping)
    except LoadError:
        return  # a clear error naming the file is an allowed outcome; a traceback is not
    assert_every_row_once(result)
    assert result.incidents["source_id"].null_count() == 0


def test_a_mapping_file_may_be_given_as_a_path() -> None:
    mapping = DATA / "spreadsheet_mapping.toml"
    as_path = load(DATA / "spreadsheet_incidents.csv", mapping)
    as_text = load(DATA / "spreadsheet_incidents.csv", str(mapping))
    assert as_path.incidents.equals(as_text.incidents)


def test_the_detected_setting_reaches_the_check_report() -> None:
    sample = DATA / "statuspage_incidents.json"
    plain = load(sample)
    filled = load(sample, detected_from="impact_start")
    assert plain.detected_from is None
    assert filled.detected_from == "impact_start"
    assert check(filled).context.detected_from == "impact_start"


# Every built-in JSON source (and the sample mappings over JSON), with a key each reads as one
# value: a list or an object there sets that record aside, naming the column and the value.
JSON_SOURCES = [
    ("pagerduty_incidents.json", None, "resolved_at"),
    ("opsgenie_alerts.json", None, "createdAt"),
    ("statuspage_incidents.json", None, "resolved_at"),
    ("statuspage_history.json", None, "created_at"),
    ("cloudstatus_incidents.json", "cloudstatus_mapping.toml", "end"),
    ("healtharchive_incidents.json", "healtharchive_mapping.toml", "date"),
]
ODD_VALUES = ([], ["2024-01-01T00:00:00Z"], {"a": 1}, {})


@pytest.mark.parametrize(("name", "mapping", "key"), JSON_SOURCES)
def test_a_list_or_object_where_one_value_belongs_is_quarantined_in_every_json_source(
    tmp_path: Path, name: str, mapping: str | None, key: str
) -> None:
    document = json.loads((DATA / name).read_text(encoding="utf-8"))
    records = (
        document
        if isinstance(document, list)
        else next(v for v in document.values() if isinstance(v, list) and v)
    )
    del records[len(ODD_VALUES) + 3 :]
    for record, value in zip(records, ODD_VALUES, strict=False):
        record[key] = value
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    result = load(path, str(DATA / mapping) if mapping else None)
    assert_every_row_once(result)
    bad = result.quarantine.sort("source_row")
    assert bad.get_column("source_row").to_list() == [1, 2, 3, 4]
    assert bad.get_column("column").to_list() == [key] * 4
    assert bad.get_column("value").to_list() == [json.dumps(v) for v in ODD_VALUES]
    assert all("write one value there in the export" in r for r in bad["reason"])
    check(result)


def test_nul_in_titles_is_noted_with_its_rows_kept_and_held_at_push(tmp_path: Path) -> None:
    records = [
        {**STATUSPAGE_LINE, "id": "a", "name": "Disk\x00 full"},
        {**STATUSPAGE_LINE, "id": "b"},
    ]
    result = load(_jsonl(tmp_path / "l.jsonl", records))
    (note,) = [n for n in result.notes if "NUL" in n]
    assert "1 record(s) hold NUL characters" in note
    assert "(rows 1)" in note
    titles = dict(result.incidents.select("source_id", "title").iter_rows())
    assert titles["a"] == "Disk\x00 full"  # kept as written, never silently changed
