"""The committed samples that no built-in source reads, loaded with the TOML mapping beside
them, compared with their truth files: paths, records lists, const, pattern and concat at work
on the shapes of real public status histories."""

from __future__ import annotations

import json

import polars as pl
import pytest

from ddinc.checks import check
from ddinc.loader import LoadResult, load
from tests.sources._samples import DATA, assert_every_row_once, assert_matches_truth, truth_of

MAPPED = {
    "cloudstatus_incidents.json": ("impact_start", "declared", "resolved"),
    "healtharchive_incidents.json": ("declared",),
}


def loaded(name: str) -> LoadResult:
    mapping = DATA / f"{name.split('_', maxsplit=1)[0]}_mapping.toml"
    return load(DATA / name, str(mapping))


@pytest.mark.parametrize("name", list(MAPPED))
def test_the_sample_loads_as_its_truth_says(name: str) -> None:
    result = loaded(name)
    truth = truth_of(DATA / name)
    assert truth is not None, f"{name} has no truth file"
    assert_every_row_once(result)
    assert_matches_truth(result, truth, MAPPED[name])


def test_cloud_status_paths_give_state_and_services() -> None:
    result = loaded("cloudstatus_incidents.json")
    records = json.loads((DATA / "cloudstatus_incidents.json").read_text())
    expected_state = {"AVAILABLE": "resolved", "SERVICE_DISRUPTION": "active"}
    for incident in result.incidents.to_dicts():
        record = records[incident["source_rows"][0] - 1]
        titles = [p["title"].strip() for p in record["affected_products"]]
        assert incident["services"] == titles
        status = record["most_recent_update"]["status"]
        assert incident["state"] == expected_state.get(status, "stable")
        assert incident["raw"]["state"] == status
    assert "field.summary" in result.incidents.columns


def test_health_archive_reads_the_archive_list_with_prefix_states_and_built_ids() -> None:
    result = loaded("healtharchive_incidents.json")
    archive = json.loads((DATA / "healtharchive_incidents.json").read_text())["archive"]
    for incident in result.incidents.to_dicts():
        record = archive[incident["source_rows"][0] - 1]
        assert incident["source_id"] == f"{record['service']}-{record['date']}"
        summary: str = record["summary"]
        if summary.startswith("[RESOLVED] "):
            assert (incident["state"], incident["title"]) == ("resolved", summary[11:])
        elif summary.startswith("[Informational] "):
            assert (incident["state"], incident["title"]) == ("resolved", summary[16:])
        else:
            # no prefix while an event is open: the state is missing, never guessed
            assert incident["state"] is None
    assert result.incidents["field.detection_method"].unique().to_list() == ["other"]


def test_backfilled_history_loads_with_its_equal_times_for_the_checks_to_flag() -> None:
    result = load(DATA / "statuspage_history.json")
    truth = truth_of(DATA / "statuspage_history.json")
    assert truth is not None
    assert_matches_truth(result, truth, ("impact_start", "declared", "resolved"))
    backfilled = truth.filter(pl.col("dirt") == "backfilled")["source_id"].to_list()
    report = check(result)
    flagged = set(report.failing("zero_length_incident")["source_id"].to_list())
    assert set(backfilled) <= flagged


def test_detected_from_measures_time_to_detect_on_a_status_history() -> None:
    plain = loaded("cloudstatus_incidents.json")
    assert plain.incidents["time_to_declare"].null_count() == plain.incidents.height
    mapping = DATA / "cloudstatus_mapping.toml"
    filled = load(DATA / "cloudstatus_incidents.json", str(mapping), detected_from="impact_start")
    measured = filled.incidents.filter(pl.col("impact_start").is_not_null())
    assert measured["time_to_declare"].null_count() == 0
    assert (measured["time_to_detect"].dt.total_seconds() == 0).all()
