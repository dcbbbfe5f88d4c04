"""resolve: every mapping entry becomes a plain column of the right shape, or says why not."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from ddinc.errors import LoadError
from ddinc.readers import ROW, ROW_NOTES, SINGLE_VALUE, Table
from ddinc.sources import Mapping, concat, const
from ddinc.sources.resolve import record_columns, resolve


def table(frame: pl.DataFrame) -> Table:
    return Table(Path("t.json"), "json", frame.with_row_index(ROW, offset=1))


def test_specs_become_columns_named_as_written_and_the_mapping_points_at_them() -> None:
    frame = pl.DataFrame({"a": ["x", "y"], "b": ["1", None], "t": ["t1", "t2"]})
    mapping = Mapping(
        source="s", id=concat("a", "b", sep="-"), columns={"title": "t", "state": const("resolved")}
    )
    resolved = resolve(table(frame), mapping)
    out = resolved.table.frame
    assert resolved.mapping.id == "concat(a, b, sep='-')"
    assert out[resolved.mapping.id].to_list() == ["x-1", None]
    assert out["const('resolved')"].to_list() == ["resolved", "resolved"]
    assert resolved.mapping.columns["title"] == "t"
    assert resolved.problems == ()


def test_a_mixed_column_keeps_single_values_and_flags_lists() -> None:
    frame = pl.DataFrame(
        {
            "id": ["1", "2", "3"],
            "name": [["one"], ["a", "b"], None],
            f"{SINGLE_VALUE}name": [True, False, False],
        }
    )
    resolved = resolve(table(frame), Mapping(source="s", id="id", columns={"title": "name"}))
    out = resolved.table.frame
    assert out["name"].to_list() == ["one", None, None]
    (problem,) = resolved.problems
    assert out[problem.reason].to_list() == [
        None,
        "column 'name': holds a list where one value belongs; write one value there in the "
        "export and load again",
        None,
    ]
    assert out[problem.value].to_list() == [None, '["a", "b"]', None]


def test_durations_feeding_a_list_field_are_problems_too() -> None:
    frame = pl.DataFrame({"id": ["1"], "teams": [timedelta(minutes=5)]})
    resolved = resolve(table(frame), Mapping(source="s", id="id", columns={"teams": "teams"}))
    (problem,) = resolved.problems
    assert resolved.table.frame[problem.value].to_list() == ["PT5M"]


def test_an_unreadable_path_says_how_to_write_one() -> None:
    frame = pl.DataFrame({"id": ["1"], "a": [{"b": "x"}]})
    with pytest.raises(LoadError, match="cannot read the path"):
        resolve(table(frame), Mapping(source="s", id="id", columns={"title": "a.b[]x"}))


def test_nul_notes_are_added_to_the_reader_s_own() -> None:
    frame = pl.DataFrame({"id": ["1"], "t": ["a\x00"], ROW_NOTES: [["from the reader"]]})
    out = resolve(table(frame), Mapping(source="s", id="id", columns={"title": "t"})).table.frame
    assert out[ROW_NOTES].to_list()[0][0] == "from the reader"
    assert "NUL" in out[ROW_NOTES].to_list()[0][1]


def test_quarantine_records_hold_the_file_s_columns_only() -> None:
    frame = pl.DataFrame({"a": [b"\x01"], "__work": [1], "d": [timedelta(seconds=3)]})
    record = frame.select(record_columns(frame)).item()
    assert json.loads(record) == {"a": "01", "d": "PT3S"}
