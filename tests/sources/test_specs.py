"""Mapping specs: constants, patterns, concatenations, expressions and paths into nested JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.errors import ConfigError, LoadError
from ddinc.loader import load
from ddinc.sources import Mapping, computed, concat, const, pattern
from ddinc.sources.specs import label, path_root, spec_columns
from tests.sources._samples import assert_every_row_once

# A cloud status history: an array of objects with nested objects and lists of objects.
HISTORY = [
    {
        "number": "17",
        "region": "eu",
        "name": "[RESOLVED] Storage errors",
        "begin": "2024-03-01T10:00:00+00:00",
        "created": "2024-03-01T10:12:00+00:00",
        "most_recent_update": {"status": "AVAILABLE", "when": "2024-03-01T12:00:00+00:00"},
        "affected_products": [{"title": "Storage", "id": "s1"}, {"title": "Compute", "id": "c1"}],
    },
    {
        "number": "18",
        "region": "us",
        "name": "Network latency",
        "begin": "2024-03-02T10:00:00+00:00",
        "created": "2024-03-02T10:05:00+00:00",
        "most_recent_update": {"status": "SERVICE_DISRUPTION", "when": None},
        "affected_products": [],
    },
]


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "history.json"
    path.write_text(json.dumps(HISTORY), encoding="utf-8")
    return path


def cloud(**columns: object) -> Mapping:
    base: dict[str, object] = {"title": "name", "declared": "created"}
    return Mapping(source="cloud", id="number", columns={**base, **columns})  # type: ignore[arg-type]


def test_a_constant_is_every_record_s_value(history: Path) -> None:
    result = load(history, cloud(state=const("resolved")))
    assert result.incidents["state"].to_list() == ["resolved", "resolved"]
    assert result.incidents["raw"].struct.field("state").to_list() == ["resolved", "resolved"]


def test_a_pattern_takes_its_capture_group_and_misses_quietly(history: Path) -> None:
    result = load(history, cloud(state=pattern("name", r"^\[(\w+)\]")))
    # "RESOLVED" is Datadog's word in another case; no match is a missing state, not a guess.
    assert result.incidents["state"].to_list() == ["resolved", None]


def test_concat_builds_an_id_from_two_columns(history: Path) -> None:
    mapping = cloud().replace(id=concat("region", "number", sep="-"))
    result = load(history, mapping)
    assert result.incidents["source_id"].to_list() == ["eu-17", "us-18"]
    assert result.incidents["row_key"].to_list() == ["cloud:eu-17", "cloud:us-18"]


def test_a_polars_expression_is_a_computed_column(history: Path) -> None:
    upper = pl.col("name").str.to_uppercase()
    result = load(history, cloud(commander=computed(upper)))
    assert result.incidents["commander"].to_list() == [
        "[RESOLVED] STORAGE ERRORS",
        "NETWORK LATENCY",
    ]
    # A bare expression is accepted too.
    assert load(history, cloud(commander=upper)).incidents.equals(result.incidents)


def test_paths_reach_an_object_key_and_each_item_of_a_list(history: Path) -> None:
    mapping = cloud(
        services="affected_products[].title",
        incident_type="most_recent_update.status",
        resolved="most_recent_update.when",
    )
    result = load(history, mapping)
    assert result.incidents["services"].to_list() == [["Storage", "Compute"], []]
    assert result.incidents["incident_type"].to_list() == ["AVAILABLE", "SERVICE_DISRUPTION"]
    assert result.incidents["resolved"].null_count() == 1
    assert_every_row_once(result)


def test_paths_work_on_frames_of_structs_too() -> None:
    frame = pl.DataFrame(HISTORY)
    result = load(
        frame, cloud(services="affected_products[].title", state="most_recent_update.status")
    )
    assert result.incidents["services"].to_list() == [["Storage", "Compute"], []]
    assert result.incidents["raw"].struct.field("state").to_list() == [
        "AVAILABLE",
        "SERVICE_DISRUPTION",
    ]


def test_a_list_of_objects_onto_a_text_column_shows_how_to_pick_a_key(history: Path) -> None:
    with pytest.raises(LoadError) as error:
        load(history, cloud(services="affected_products"))
    message = str(error.value)
    assert "'affected_products' holds lists of objects, mapped to services" in message
    assert "affected_products[].title (keys: title, id)" in message
    with pytest.raises(LoadError, match=r"affected_products\[\]\.title"):
        load(history, cloud(commander="affected_products"))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("affected_products.title", r"holds a list of objects.*affected_products\[\]\.title"),
        ("affected_products[].name", r"has no key 'name'.*keys are title, id"),
        ("name[]", r"'name' holds String values, not a list"),
        ("name.first", r"'name' holds String values, which has no key 'first'"),
    ],
)
def test_wrong_paths_are_load_errors_that_say_what_is_there(
    history: Path, path: str, message: str
) -> None:
    with pytest.raises(LoadError, match=message):
        load(history, cloud(services=path))


def test_a_missing_column_in_a_spec_is_named(history: Path) -> None:
    with pytest.raises(LoadError, match=r"needs column 'zone' for id"):
        load(history, cloud().replace(id=concat("zone", "number")))


def test_an_expression_that_fails_is_a_load_error(history: Path) -> None:
    with pytest.raises(LoadError, match="cannot compute the mapping's entries"):
        load(history, cloud(commander=pl.col("name").str.to_datetime("%Y")))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: const(3), "const: the value must be text"),
        (lambda: pattern("name", "(("), "not a valid regular expression"),
        (lambda: pattern("name", "(a)(b)"), "has 2 capture groups; keep one"),
        (concat, "give a list of column names"),
        (lambda: computed("name"), "give a polars expression"),
        (lambda: Mapping(source="s", id="id", columns={"title": 3}), "expected a column name"),
        (lambda: Mapping(source="s", id=["a"]), "id: expected a column name"),
        (lambda: Mapping(source="s", id="id", optional="title"), "optional must be a set"),
        (lambda: Mapping(source="s", id="id", optional={"titel"}), "optional names"),
        (lambda: Mapping(source="s", id="id", records=""), "records must name the key"),
    ],
)
def test_bad_specs_are_config_errors_saying_what_to_write(make: object, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        make()  # type: ignore[operator]


def test_labels_and_columns_name_what_a_spec_reads() -> None:
    spec = concat("region", "number", sep="-")
    assert label(spec) == "concat(region, number, sep='-')"
    assert spec_columns(spec) == ("region", "number")
    assert spec_columns(const("x")) == ()
    assert spec_columns(computed(pl.col("a") + pl.col("b"))) == ("a", "b")
    assert Mapping(source="s", id=spec).legacy_columns() == {"region": "id", "number": "id"}
    assert computed(pl.col("a")) == computed(pl.col("a"))


@given(
    st.lists(st.text(alphabet="ab.[]", min_size=1, max_size=6), min_size=1, max_size=4),
    st.text(alphabet="ab.[]", max_size=8),
)
def test_a_path_starts_from_a_column_it_begins_with(columns: list[str], path: str) -> None:
    root = path_root(path, columns)
    if root is None:
        assert path not in columns
    else:
        assert root in columns
        assert path.startswith(root)
        rest = path[len(root) :]
        assert rest == "" or rest.startswith((".", "[]"))


@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_a_pattern_keeps_what_python_s_re_captures(names: list[str]) -> None:
    regex = r"^\[(\w+)\]"
    frame = pl.DataFrame({"id": [str(i) for i in range(len(names))], "name": names})
    result = load(
        frame, Mapping(source="s", id="id", columns={"commander": pattern("name", regex)})
    )
    expected = []
    for name in names:
        match = re.search(regex, name)
        text = match.group(1) if match else None
        expected.append(text)
    got = dict(result.incidents.select("source_id", "commander").rows())
    for i, text in enumerate(expected):
        # a capture that is a null spelling ("null", "N/A"...) is missing, as in any column
        assert got[str(i)] in (text, None)
        if got[str(i)] is None and text is not None:
            assert text.strip().casefold() in {"null", "none", "nan", "na", "nil"}
