"""Legacy column -> canonical column builders."""

from __future__ import annotations

import polars as pl

from ddinc.schema import Severity
from ddinc.sources.columns import (
    carried_column,
    list_column,
    raw_name,
    text_column,
    title_columns,
    vocabulary_columns,
)

FRAME = pl.DataFrame(
    {
        "who": [" ann ", "?", None, "N/A"],
        "teams": ["db; net", " ; ", None, "ops"],
        "tags": [["a", "?"], [], None, ["b"]],
        "name": [" Disk full ", "null", "", "x"],
        "impact": ["none", "Major", "?", "weird"],
    }
)


def test_text_column_strips_and_nulls_missing_spellings() -> None:
    assert FRAME.select(text_column(FRAME, "who")).to_series().to_list() == [
        "ann",
        None,
        None,
        None,
    ]
    absent = FRAME.with_columns(text_column(FRAME, "absent").alias("absent"))["absent"]
    assert absent.to_list() == [None] * 4


def test_list_column_splits_text_and_drops_missing_items() -> None:
    got = FRAME.select(list_column(FRAME, "teams", ";")).to_series().to_list()
    assert got == [["db", "net"], [], None, ["ops"]]
    assert FRAME.select(list_column(FRAME, "tags", ";")).to_series().to_list() == [
        ["a"],
        [],
        None,
        ["b"],
    ]


def test_carried_column_keeps_lists_as_lists() -> None:
    assert FRAME.select(carried_column(FRAME, "tags")).to_series().to_list()[0] == ["a", "?"]
    assert FRAME.select(carried_column(FRAME, "who")).to_series().to_list()[1] is None


def test_title_is_kept_as_written_and_its_raw_text_beside_it() -> None:
    out = FRAME.select(title_columns(FRAME, "name"))
    assert out["title"].to_list() == [" Disk full ", None, None, "x"]
    assert out[raw_name("title")].to_list() == [" Disk full ", "null", "", "x"]


def test_vocabulary_words_map_even_when_they_look_like_null_spellings() -> None:
    vocabulary = {"none": "SEV-4", "major": "SEV-2"}
    out = FRAME.select(vocabulary_columns(FRAME, "impact", vocabulary, Severity, "severity"))
    assert out["severity"].to_list() == ["SEV-4", "SEV-2", None, None]
    # "?" is missing (no raw text); "weird" is unmapped but kept for the checks to flag.
    assert out[raw_name("severity")].to_list() == ["none", "Major", None, "weird"]
