"""ddinc.load: detection, generic mappings, overrides, time zones, errors, several files."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from ddinc.errors import ConfigError, LoadError, SourceDetectionError
from ddinc.loader import LoadResult, load
from ddinc.readers import read_table
from ddinc.sources import SOURCES, Mapping, detect, get_source
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
    mapping = Mapping.from_toml(write(tmp_path, "mapping.toml", MAPPING_TOML))
    check_spreadsheet(load(sheet, mapping))


def test_generic_mapping_from_python(tmp_path: Path) -> None:
    check_spreadsheet(load(write(tmp_path, "sheet.csv", SPREADSHEET), paris_mapping()))


def test_a_zone_named_in_the_mapping_is_not_assumed(tmp_path: Path) -> None:
    result = load(write(tmp_path, "sheet.csv", SPREADSHEET), paris_mapping())
    assert not any("assumed" in note for note in result.notes)
    assert result.assumed_timezone is None


def test_toml_and_python_mappings_are_equal(tmp_path: Path) -> None:
    assert Mapping.from_toml(write(tmp_path, "m.toml", MAPPING_TOML)) == paris_mapping()


def test_toml_mapping_with_an_unknown_key_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "m.toml", MAPPING_TOML.replace("list_separator", "list_sep"))
    with pytest.raises(ConfigError, match="list_sep"):
        Mapping.from_toml(path)


def test_toml_mapping_with_an_unknown_field_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "m.toml", MAPPING_TOML.replace("title =", "headline ="))
    with pytest.raises(ConfigError, match="headline"):
        Mapping.from_toml(path)


@pytest.mark.parametrize("name", ["spreadsheet_incidents.csv", "spreadsheet_incidents.xlsx"])
def test_committed_spreadsheet_with_its_mapping_file(name: str) -> None:
    path = DATA / name
    mapping_file = DATA / "spreadsheet_mapping.toml"
    assert path.is_file(), f"{path} is missing: regenerate it with `ddinc synth data`"
    assert mapping_file.is_file(), f"{mapping_file} is missing"
    result = load(path, Mapping.from_toml(mapping_file))
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
    for path in sorted(DATA.glob("*")) if DATA.exists() else []:
        if path.name.endswith(".truth.csv") or path.suffix in {".md", ".toml"}:
            continue
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
    report = load(sheet, mapping).check()
    assert any("assumed" in note and "UTC" in note for note in report.notes)
    # The reversed interval (fixed before opened) is found on the loaded incidents.
    assert report.result("reversed_interval").n_failing == 1
    zoned = load(sheet, mapping, tz="Europe/Paris").check()
    assert not any("assumed" in note for note in zoned.notes)


def test_a_json_export_with_no_records_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "incidents.json"
    empty.write_text('{"incidents": []}', encoding="utf-8")
    with pytest.raises(LoadError, match="holds no records") as error:
        load(empty, "statuspage")
    assert error.value.file == str(empty)
