"""The service-health archive sample: {"archive": [...], "current": []}, no id, state prefixes."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from typing import Any

import pytest

from ddinc.errors import ConfigError
from ddinc.sources.mapping_file import validate
from ddinc.sources.specs import Concat
from ddinc.synth import healtharchive_json
from ddinc.synth.healtharchive import MAPPING_TOML
from tests.synth._views import View, check_against_truth, check_dirt_rates


def views(records: list[dict[str, Any]]) -> list[View]:
    return [
        View(
            id=None if record["service"] is None else f"{record['service']}-{record['date']}",
            title=record["summary"],
            severity=None,
            stamps={"declared": datetime.fromtimestamp(int(record["date"]), tz=UTC)},
            cells=[record["summary"], record["service_name"]],
            raw=record,
        )
        for record in records
    ]


def test_the_archive_holds_the_records_and_current_is_empty() -> None:
    document = json.loads(healtharchive_json(60).data)
    assert set(document) == {"archive", "current"}
    assert document["current"] == []
    prefixes = {
        r["summary"].split("]")[0] + "]"
        for r in document["archive"]
        if r["summary"].startswith("[")
    }
    assert prefixes == {"[RESOLVED]", "[Informational]"}
    assert all(r["date"].isdigit() for r in document["archive"])


def test_the_file_holds_what_the_truth_says() -> None:
    sample = healtharchive_json(60)
    records = json.loads(sample.data)["archive"]
    check_against_truth(sample, views(records), ("declared",), vocabulary={None})
    check_dirt_rates(sample)


def test_same_seed_same_bytes_and_the_mapping_is_valid() -> None:
    assert healtharchive_json(20, seed=3).data == healtharchive_json(20, seed=3).data
    mapping = validate(tomllib.loads(MAPPING_TOML))
    assert mapping.records == "archive"
    assert mapping.id == Concat(("service", "date"), "-")
    with pytest.raises(ConfigError):
        healtharchive_json(0)
