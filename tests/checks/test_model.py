"""Check and CheckContext: validated on construction, so a bad rule fails before any run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import polars as pl
import pytest

from ddinc.checks import Check, CheckContext, Level
from ddinc.errors import ConfigError

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def make(**overrides: Any) -> Check:
    fields: dict[str, Any] = {
        "name": "title_missing",
        "level": Level.ERROR,
        "description": "No title.",
        "message": "no title",
        "predicate": lambda frame, context: pl.col("title").is_null(),
    }
    return Check(**{**fields, **overrides})


def test_level_may_be_given_as_text() -> None:
    assert make(level="warning").level is Level.WARNING


@pytest.mark.parametrize("name", ["TitleMissing", "title-missing", "_title", "title__x", ""])
def test_name_must_be_snake_case(name: str) -> None:
    with pytest.raises(ConfigError, match="snake_case"):
        make(name=name)


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        ({"level": "fatal"}, "not one of error, warning"),
        ({"description": "two\nlines"}, "one non-empty line"),
        ({"description": " "}, "one non-empty line"),
        ({"message": ""}, "must not be empty"),
    ],
)
def test_invalid_fields_say_what_is_allowed(overrides: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        make(**overrides)


def test_columns_become_a_tuple() -> None:
    assert make(columns=["title"]).columns == ("title",)


def test_context_defaults() -> None:
    before = datetime.now(UTC)
    context = CheckContext()
    assert before <= context.now <= datetime.now(UTC)
    assert context.earliest == datetime(1990, 1, 1, tzinfo=UTC)
    assert context.outlier_factor == 3.0
    assert context.assumed_timezone is None


def test_context_converts_instants_to_utc() -> None:
    paris_noon = datetime(2025, 1, 1, 12, tzinfo=timezone(timedelta(hours=1)))
    context = CheckContext(now=paris_noon)
    assert context.now == datetime(2025, 1, 1, 11, tzinfo=UTC)
    assert context.now.tzinfo is UTC


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        ({"now": datetime(2025, 1, 1)}, "timezone-aware"),
        ({"earliest": datetime(1990, 1, 1)}, "timezone-aware"),
        ({"earliest": NOW}, "must be before now"),
        ({"outlier_factor": 0.0}, "positive"),
        ({"outlier_factor": float("nan")}, "positive"),
        ({"outlier_min_samples": 3}, "at least 4"),
        ({"hour_offset_tolerance": timedelta(hours=1)}, "between 0 and 30 minutes"),
        ({"hour_offset_tolerance": timedelta(seconds=-1)}, "between 0 and 30 minutes"),
        ({"hour_offset_max_hours": 0}, "between 1 and 26"),
        ({"hour_offset_share": 0.0}, r"\(0, 1\]"),
        ({"hour_offset_min_rows": 1}, "at least 2"),
        ({"duplicate_slack": timedelta(seconds=-1)}, "not be negative"),
    ],
)
def test_context_rejects_values_that_make_no_sense(overrides: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        CheckContext(**{"now": NOW, **overrides})


def test_context_to_dict_is_json() -> None:
    context = CheckContext(now=NOW, duplicate_slack=timedelta(minutes=5), assumed_timezone="UTC")
    as_dict = context.to_dict()
    json.dumps(as_dict)
    assert as_dict["now"] == "2025-01-01T00:00:00+00:00"
    assert as_dict["duplicate_slack_seconds"] == 300.0
    assert set(as_dict) == {
        "now",
        "earliest",
        "outlier_factor",
        "outlier_min_samples",
        "hour_offset_tolerance_seconds",
        "hour_offset_max_hours",
        "hour_offset_share",
        "hour_offset_min_rows",
        "duplicate_slack_seconds",
        "assumed_timezone",
        "order_tolerance_seconds",
        "detected_from",
    }
