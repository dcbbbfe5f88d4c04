"""The canonical CSV reads back to exactly the frame written, and runs nothing in a spreadsheet."""

from __future__ import annotations

import csv
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import ddinc
from ddinc.checks import check
from ddinc.errors import ConfigError, LoadError
from ddinc.export import write_csv
from ddinc.schema import (
    CANONICAL_SCHEMA,
    DURATIONS,
    QUARANTINE_SCHEMA,
    RAW_FIELDS,
    SEVERITIES,
    STATES,
    TIMESTAMPS,
    empty_quarantine,
)
from ddinc.sources import SOURCES
from ddinc.sources.canonical_csv import (
    FORMULA_STARTS,
    flatten,
    quarantine_path,
    read_canonical_csv,
    unflatten,
)
from ddinc.synth import mapping_beside
from tests.conftest import ROOT

T0 = datetime(2024, 1, 12, 15, 45, tzinfo=UTC)

# Text chosen to break a naive format: separators, escapes, quotes, newlines, formula starts.
NASTY = ("=", "+", "-", "@", "\t", "\r", "'", "''", "\\", "\\N", "\\E", ";", "; ", ",", '"', "\n")
nasty_text = st.builds(
    lambda head, body, tail: head + body + tail,
    st.sampled_from(("", *NASTY)),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
    st.sampled_from(("", *NASTY)),
)
maybe_text = st.none() | nasty_text
text_lists = st.none() | st.lists(maybe_text, max_size=4)
timestamps = st.none() | st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
# Durations are written as they are (not recomputed), so they need not match the timestamps.
durations = st.none() | st.builds(
    lambda us: timedelta(microseconds=us), st.integers(-(10**15), 10**15)
)


# "[]" ends a list-valued field's name, so a key cannot end with it.
field_keys = nasty_text.filter(lambda key: not key.endswith("[]"))


@st.composite
def canonical_frames(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(0, 4))
    # Carried field keys are header names: quotes, separators and formula starts included.
    keys = st.sampled_from(["root_cause", "ticket", "Team name", 'say "hi"']) | field_keys
    fields = draw(st.lists(keys, unique=True, max_size=3))
    list_field = draw(st.booleans())
    rows: list[dict[str, Any]] = []
    for _ in range(n):
        row: dict[str, Any] = {
            "row_key": draw(maybe_text),
            "source": draw(maybe_text),
            "source_id": draw(maybe_text),
            "source_file": draw(maybe_text),
            "source_rows": draw(st.none() | st.lists(st.none() | st.integers(1, 10**9))),
            "title": draw(maybe_text),
            "state": draw(st.none() | st.sampled_from(STATES)),
            "severity": draw(st.none() | st.sampled_from(SEVERITIES)),
            "teams": draw(text_lists),
            "services": draw(text_lists),
            "raw": {name: draw(maybe_text) for name in RAW_FIELDS},
            "load_notes": draw(text_lists),
            "notes": draw(text_lists),
        }
        for name in ("commander", "declared_by", "incident_type", "visibility"):
            row[name] = draw(maybe_text)
        row.update({name: draw(timestamps) for name in TIMESTAMPS})
        row.update({name: draw(durations) for name in DURATIONS})
        row.update({f"field.{key}": draw(maybe_text) for key in fields})
        if list_field:
            row["field.tags"] = draw(text_lists)
        rows.append(row)
    schema = dict(CANONICAL_SCHEMA)
    schema.update(dict.fromkeys((f"field.{key}" for key in fields), pl.String()))
    if list_field:
        schema["field.tags"] = pl.List(pl.String)
    return pl.DataFrame(rows, schema=schema, orient="row")


@st.composite
def quarantines(draw: st.DrawFn) -> pl.DataFrame:
    rows = [
        {
            name: draw(st.none() | st.integers(1, 10**9)) if dtype == pl.Int64 else draw(maybe_text)
            for name, dtype in QUARANTINE_SCHEMA.items()
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    return pl.DataFrame(rows, schema=QUARANTINE_SCHEMA, orient="row")


def cells(path: Path) -> list[tuple[str, str]]:
    """Every (column, cell) of a CSV, as a spreadsheet would get them."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return [(name, cell) for row in reader for name, cell in zip(header, row, strict=True)]


@given(canonical_frames(), quarantines(), st.booleans())
def test_round_trip_gives_exactly_the_frame_written(
    incidents: pl.DataFrame, quarantine: pl.DataFrame, excel: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cleaned.csv"
        write_csv(incidents, path, quarantine, excel=excel)
        back = ddinc.load(path)
        assert back.source == "ddinc"
        assert_frame_equal(back.incidents, incidents)
        assert_frame_equal(back.quarantine, quarantine)
        # Nothing a spreadsheet would run: durations are the only cells that may start with
        # "-", and they are plain numbers.
        for file in (path, quarantine_path(path)):
            for name, cell in cells(file):
                if name.removesuffix("_s") in DURATIONS:
                    assert cell == "" or float(cell) == float(cell)
                else:
                    assert not cell.startswith(FORMULA_STARTS), (name, cell)


def one_incident(**overrides: object) -> pl.DataFrame:
    row: dict[str, object] = dict.fromkeys(CANONICAL_SCHEMA.names())
    row.update(
        row_key="jira:OPS-1",
        source="jira",
        source_id="OPS-1",
        source_file="x.csv",
        source_rows=[3],
        title="Disk full",
        teams=["db"],
        services=[],
        raw=dict.fromkeys(RAW_FIELDS),
        load_notes=[],
        declared=T0,
    )
    row.update(overrides)
    return pl.DataFrame([row], schema=CANONICAL_SCHEMA)


def test_formulas_are_neutralised_and_a_leading_quote_doubled() -> None:
    frame = one_incident(title="=HYPERLINK(1)", commander="'Ann", teams=["@ops", "x"])
    flat = flatten(frame).row(0, named=True)
    assert flat["title"] == "'=HYPERLINK(1)"
    assert flat["commander"] == "''Ann"
    assert flat["teams"] == "'@ops; x"
    assert_frame_equal(unflatten(flatten(frame)), frame)


def test_negative_durations_are_numbers_not_neutralised() -> None:
    frame = one_incident(time_to_resolve=timedelta(seconds=-90, microseconds=-250))
    flat = flatten(frame).row(0, named=True)
    assert flat["time_to_resolve_s"] == "-90.00025"
    assert flat["time_to_detect_s"] is None


def test_a_separator_inside_a_list_item_is_escaped_not_split() -> None:
    frame = one_incident(teams=["a; b", "c"], services=[""], load_notes=[None])
    flat = flatten(frame).row(0, named=True)
    assert flat["teams"] == "a\\; b; c"
    assert flat["services"] == "\\E"
    assert flat["load_notes"] == "\\N"
    assert unflatten(flatten(frame)).get_column("teams").to_list() == [["a; b", "c"]]


def test_row_keys_are_read_not_recomputed(tmp_path: Path) -> None:
    # Two rows with the same id and a key no loader would make: kept as written, not collapsed.
    frame = pl.concat([one_incident(row_key="kept-1"), one_incident(row_key="kept-2")])
    path = tmp_path / "cleaned.csv"
    write_csv(frame, path)
    back = ddinc.load(path)
    assert back.incidents.get_column("row_key").to_list() == ["kept-1", "kept-2"]
    assert back.rows_read == 2
    assert back.quarantine.is_empty()


def test_the_ddinc_source_is_registered_and_detected(tmp_path: Path) -> None:
    assert "ddinc" in SOURCES
    path = tmp_path / "cleaned.csv"
    write_csv(one_incident(), path, empty_quarantine())
    result = ddinc.load(path)
    assert any("detected source 'ddinc'" in note for note in result.notes)
    assert_frame_equal(ddinc.load(path, "ddinc").incidents, one_incident())


def test_legacy_options_are_refused_for_a_canonical_csv(tmp_path: Path) -> None:
    path = tmp_path / "cleaned.csv"
    write_csv(one_incident(), path)
    with pytest.raises(ConfigError, match="tz="):
        ddinc.load(path, tz="Europe/Paris")


def test_a_cell_that_cannot_be_read_back_names_row_column_and_value(tmp_path: Path) -> None:
    path = tmp_path / "cleaned.csv"
    write_csv(pl.concat([one_incident(), one_incident(row_key="b")]), path)
    text = path.read_text(encoding="utf-8").replace("2024-01-12T15:45:00Z", "12/01/2024", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as raised:
        ddinc.load(path)
    assert (raised.value.row, raised.value.column, raised.value.value) == (
        1,
        "declared",
        "12/01/2024",
    )


def test_a_frame_with_the_csv_columns_is_pointed_at_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cleaned.csv"
    write_csv(one_incident(), path)
    with pytest.raises(LoadError, match="path of the CSV"):
        ddinc.load(pl.read_csv(path, infer_schema=False))


def test_every_sample_round_trips(tmp_path: Path) -> None:
    for sample in sorted((ROOT / "data").glob("*_incidents.json")):
        result = ddinc.load(sample, mapping_beside(sample))
        path = tmp_path / f"{sample.stem}.cleaned.csv"
        write_csv(result.incidents, path, result.quarantine, report=check(result))
        back = read_canonical_csv(path)
        assert_frame_equal(back.incidents, result.incidents)
        assert_frame_equal(back.quarantine, result.quarantine)
        assert back.rows_read == result.rows_read


def test_a_header_holding_quotes_reads_back_as_written(tmp_path: Path) -> None:
    frame = one_incident().with_columns(pl.lit("x").alias('field.say "hi"'))
    path = tmp_path / "cleaned.csv"
    write_csv(frame, path)
    back = ddinc.load(path).incidents
    assert 'field.say "hi"' in back.columns
    assert_frame_equal(back, frame)


def test_notes_with_newlines_and_separators_round_trip(tmp_path: Path) -> None:
    notes = [
        "2021-02-02T13:52:00.711Z investigating: We are investigating.\nMore soon; really",
        "2021-02-02T14:28:18.575Z resolved: fixed \\ done; ok\r\n<p>bye</p>",
        "",
    ]
    frame = one_incident(notes=notes)
    path = tmp_path / "cleaned.csv"
    write_csv(frame, path)
    back = ddinc.load(path).incidents
    assert back.get_column("notes").to_list() == [notes]
