"""PagerDuty samples: the REST incidents JSON and the web CSV export of the same incidents."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ddinc.errors import ConfigError
from ddinc.synth import pagerduty_csv, pagerduty_json, write_pagerduty
from ddinc.synth.pagerduty import CSV_COLUMNS
from tests.synth._views import View, check_against_truth, check_dirt_rates, csv_table, tagged

PRIORITIES: set[str | None] = {None, "P1", "P2", "P3", "P4", "P5"}
SPACED = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$")
T_STYLE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
HEADER = (
    "id,incident_number,title,description,status,urgency,priority,service_name,"
    "escalation_policy,teams,assigned_to,created_on,acknowledged_on,resolved_on,resolved_by"
)


def at(text: str | None) -> datetime | None:
    if not text:
        return None
    if SPACED.match(text):
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
    return datetime.fromisoformat(text)


def json_views(incidents: list[dict[str, Any]]) -> list[View]:
    return [
        View(
            id=i["id"],
            title=i["title"],
            severity=i["priority"]["summary"] if i["priority"] else None,
            stamps={"declared": at(i["created_at"]), "resolved": at(i["resolved_at"])},
            cells=[
                i["title"],
                *(t["summary"] for t in i["teams"]),
                *(a["assignee"]["summary"] for a in i["assignments"]),
            ],
            raw=i,
        )
        for i in incidents
    ]


def test_json_shape() -> None:
    document = json.loads(pagerduty_json(80).data)
    assert list(document) == ["incidents", "limit", "offset", "more"]
    assert document["limit"] == len(document["incidents"])
    assert (document["offset"], document["more"]) == (0, False)
    for incident in document["incidents"]:
        assert incident["status"] in ("triggered", "acknowledged", "resolved")
        assert incident["urgency"] in ("high", "low")
        assert (incident["resolved_at"] is None) == (incident["status"] != "resolved")
        assert incident["priority"] is None or set(incident["priority"]) >= {"summary", "id"}
        assert incident["service"]["summary"]
        assert incident["escalation_policy"]["summary"]
        assert all(a["assignee"]["summary"] for a in incident["assignments"])
        assert all("@" not in a["assignee"]["summary"] for a in incident["assignments"])


def test_json_holds_what_its_truth_says() -> None:
    sample = pagerduty_json(80)
    incidents = json.loads(sample.data)["incidents"]
    check_dirt_rates(sample)
    check_against_truth(
        sample, json_views(incidents), ("declared", "resolved"), vocabulary=PRIORITIES
    )
    for rec in tagged(sample, "mixed_date_style"):
        assert incidents[rec["source_rows"][0] - 1]["created_at"].endswith("+00:00")


def test_csv_header_is_exactly_the_web_export() -> None:
    assert pagerduty_csv(5).data.decode().splitlines()[0] == HEADER == ",".join(CSV_COLUMNS)


def test_csv_holds_what_its_truth_says() -> None:
    sample = pagerduty_csv(80)
    header, rows = csv_table(sample.data)
    records = [dict(zip(header, row, strict=True)) for row in rows]
    views = [
        View(
            id=r["id"] or None,
            title=r["title"],
            severity=r["priority"] or None,
            stamps={"declared": at(r["created_on"]), "resolved": at(r["resolved_on"])},
            cells=[r["title"], *r["teams"].split(";"), *r["assigned_to"].split(";")],
            raw=r,
        )
        for r in records
    ]
    check_dirt_rates(sample)
    check_against_truth(sample, views, ("declared", "resolved"), vocabulary=PRIORITIES)
    mixed = {r for rec in tagged(sample, "mixed_date_style") for r in rec["source_rows"]}
    for number, record in enumerate(records, start=1):
        style = T_STYLE if number in mixed else SPACED
        assert style.match(record["created_on"]), record["created_on"]
    assert any("\n" in record["description"] for record in records)


def test_both_formats_share_one_truth() -> None:
    assert pagerduty_json(80).truth.equals(pagerduty_csv(80).truth)


def test_writer_refuses_other_suffixes(tmp_path: Path) -> None:
    assert write_pagerduty(tmp_path / "p.csv", n_incidents=5).read_text().startswith("id,")
    with pytest.raises(ConfigError, match=r"\.json or \.csv"):
        write_pagerduty(tmp_path / "p.xlsx")
