"""The cloud status history sample: a JSON array with nested objects and lists of objects."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest

from ddinc.errors import ConfigError
from ddinc.sources.mapping_file import validate
from ddinc.synth import cloudstatus_json
from ddinc.synth.cloudstatus import MAPPING_TOML
from tests.synth._views import View, check_against_truth, check_dirt_rates

ISO_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")
SEVERITIES: set[str | None] = {"high", "medium", "low"}


def at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def views(records: list[dict[str, Any]]) -> list[View]:
    return [
        View(
            id=record["id"],
            title=record["external_desc"],
            severity=record["severity"],
            stamps={
                "impact_start": at(record["begin"]),
                "declared": at(record["created"]),
                "resolved": at(record["end"]),
            },
            cells=[record["external_desc"], *(p["title"] for p in record["affected_products"])],
            raw=record,
        )
        for record in records
    ]


def test_the_file_is_an_array_of_nested_incident_objects() -> None:
    records = json.loads(cloudstatus_json(80).data)
    assert isinstance(records, list)
    for record in records:
        assert isinstance(record["most_recent_update"], dict)
        assert record["most_recent_update"] == record["updates"][0]
        assert all(set(p) == {"title", "id"} for p in record["affected_products"])
        assert all(isinstance(u["affected_locations"], list) for u in record["updates"])
        for key in ("begin", "created", "modified"):
            assert ISO_OFFSET.match(record[key]), record[key]
        assert record["end"] is None or ISO_OFFSET.match(record["end"])
        assert (record["end"] is None) == (record["most_recent_update"]["status"] != "AVAILABLE")


def test_the_file_holds_what_the_truth_says() -> None:
    sample = cloudstatus_json(80)
    stated = ("impact_start", "declared", "resolved")
    check_against_truth(sample, views(json.loads(sample.data)), stated, vocabulary=SEVERITIES)
    check_dirt_rates(sample)


def test_same_seed_same_bytes_and_the_mapping_is_valid() -> None:
    assert cloudstatus_json(30, seed=3).data == cloudstatus_json(30, seed=3).data
    assert cloudstatus_json(30, seed=3).data != cloudstatus_json(30, seed=4).data
    import tomllib

    mapping = validate(tomllib.loads(MAPPING_TOML))
    assert mapping.columns["services"] == "affected_products[].title"
    with pytest.raises(ConfigError):
        cloudstatus_json(0)
