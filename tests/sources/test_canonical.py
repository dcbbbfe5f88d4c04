"""The shared engine: a Table and a Mapping make incidents plus a quarantine, losing no row."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ddinc.errors import ConfigError, LoadError
from ddinc.loader import load
from ddinc.readers import read_table
from ddinc.schema import CANONICAL_SCHEMA, QUARANTINE_SCHEMA
from ddinc.sources.canonical import Canonical, canonicalize
from ddinc.sources.mapping import EventLog, Mapping

HEADER = ["id", "title", "state", "sev", "opened", "fixed", "team", "seq"]

ONE_ROW = Mapping(
    source="sheet",
    id="id",
    columns={
        "title": "title",
        "state": "state",
        "severity": "sev",
        "declared": "opened",
        "resolved": "fixed",
        "teams": "team",
    },
    severity={"high": "SEV-1", "low": "SEV-3"},
    state={"open": "active", "done": "resolved"},
    order="day_first",
)
EVENTS = ONE_ROW.replace(source="events", events=EventLog(order_by="seq"))


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def run(path: Path, mapping: Mapping = ONE_ROW, **options: Any) -> Canonical:
    return canonicalize(read_table(path), mapping, **options)


def row(ident: str, **cells: str) -> list[str]:
    values = {
        "id": ident, "title": f"t {ident}", "state": "done", "sev": "high",
        "opened": "2024-01-12 15:45", "fixed": "2024-01-12 16:45", "team": "db;net", "seq": "1",
    }  # fmt: skip
    values.update(cells)
    return [values[name] for name in HEADER]


def test_output_has_the_canonical_and_quarantine_schemas(tmp_path: Path) -> None:
    result = run(write_csv(tmp_path / "x.csv", [row("A"), row("B", opened="soon")]))
    assert dict(result.incidents.schema) == dict(CANONICAL_SCHEMA)
    assert dict(result.quarantine.schema) == dict(QUARANTINE_SCHEMA)


def test_missing_required_column_names_file_column_and_close_matches(tmp_path: Path) -> None:
    header = [name if name != "opened" else "Opened " for name in HEADER]
    path = write_csv(tmp_path / "sheet.csv", [row("A")], header)
    with pytest.raises(LoadError) as caught:
        run(path)
    error = caught.value
    assert error.file == str(path)
    assert error.column == "opened"
    assert "did you mean 'opened '" in str(error).lower()
    assert "declared" in str(error)  # what the column feeds


def test_optional_column_may_be_absent(tmp_path: Path) -> None:
    header = [name for name in HEADER if name != "fixed"]
    rows = [[c for n, c in zip(HEADER, row("A"), strict=True) if n != "fixed"]]
    mapping = ONE_ROW.replace(optional=frozenset({"resolved"}))
    result = run(write_csv(tmp_path / "x.csv", rows, header), mapping)
    assert result.incidents.get_column("resolved").to_list() == [None]


def test_unparseable_timestamp_goes_to_quarantine_with_reason_column_value(
    tmp_path: Path,
) -> None:
    rows = [row("A"), row("B", opened="31/02/2024 10:00"), row("C")]
    result = run(write_csv(tmp_path / "x.csv", rows))
    assert result.incidents.get_column("source_id").to_list() == ["A", "C"]
    assert result.incidents.get_column("source_rows").to_list() == [[1], [3]]
    bad = result.quarantine.to_dicts()
    assert len(bad) == 1
    assert (bad[0]["source_row"], bad[0]["source_id"]) == (2, "B")
    assert (bad[0]["column"], bad[0]["value"]) == ("opened", "31/02/2024 10:00")
    assert "opened" in bad[0]["reason"]
    assert "31/02/2024 10:00" in bad[0]["reason"]
    record = json.loads(bad[0]["record"])
    assert record["id"] == "B"
    assert record["title"] == "t B"


def test_on_error_raise_names_file_row_column_value(tmp_path: Path) -> None:
    rows = [row("A"), row("B"), row("C", fixed="not a date")]
    path = write_csv(tmp_path / "x.csv", rows)
    with pytest.raises(LoadError) as caught:
        run(path, on_error="raise")
    error = caught.value
    assert (error.file, error.row, error.column, error.value) == (
        str(path),
        3,
        "fixed",
        "not a date",
    )
    assert "x.csv" in str(error)
    assert "row 3" in str(error)
    assert "on_error='quarantine'" in str(error)


def test_on_error_raise_on_an_unreadable_record(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [row("A"), [*row("B"), "extra"], row("C")])
    with pytest.raises(LoadError) as caught:
        run(path, on_error="raise")
    assert caught.value.row == 2
    assert "9 cells" in str(caught.value)


def test_missing_id_is_quarantined(tmp_path: Path) -> None:
    result = run(write_csv(tmp_path / "x.csv", [row("A"), row(""), row("?")]))
    assert result.incidents.get_column("source_id").to_list() == ["A"]
    reasons = result.quarantine.select("source_row", "column", "reason").rows()
    assert [(r, c) for r, c, _ in reasons] == [(2, "id"), (3, "id")]
    assert all("no incident id" in reason for _, _, reason in reasons)


def test_a_column_no_value_of_which_is_a_date_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [row("A", opened="soon"), row("B", opened="later")])
    with pytest.raises(LoadError) as caught:
        run(path)
    assert caught.value.column == "opened"
    assert caught.value.file == str(path)


def test_a_column_no_value_of_which_is_a_date_names_the_file_row(tmp_path: Path) -> None:
    # Row 1 is unreadable as a record (too many cells), so the first value the parser sees is
    # on the file's row 3 (row 2 has none): the error must say row 3, not the parser's count.
    rows = [[*row("A", opened="soon"), "extra"], row("B", opened="?"), row("C", opened="later")]
    with pytest.raises(LoadError) as caught:
        run(write_csv(tmp_path / "x.csv", rows))
    assert (caught.value.row, caught.value.value) == (3, "later")
    assert "row 3" in str(caught.value)


def test_vocabulary_lookup_ignores_case_and_spaces(tmp_path: Path) -> None:
    rows = [
        row("A", sev=" HIGH ", state="Open"),
        row("B", sev="low", state="  done"),
        row("C", sev="SEV-2", state="Stable"),  # Datadog's own values pass as they are
        row("D", sev="urgent!", state="paused"),  # unknown: missing, raw kept
    ]
    got = {r["source_id"]: r for r in run(write_csv(tmp_path / "x.csv", rows)).incidents.to_dicts()}
    assert (got["A"]["severity"], got["A"]["state"]) == ("SEV-1", "active")
    assert (got["B"]["severity"], got["B"]["state"]) == ("SEV-3", "resolved")
    assert (got["C"]["severity"], got["C"]["state"]) == ("SEV-2", "stable")
    assert (got["D"]["severity"], got["D"]["state"]) == (None, None)
    assert (got["D"]["raw"]["severity"], got["D"]["raw"]["state"]) == ("urgent!", "paused")


def test_vocabulary_overrides_merge_over_the_mapping(tmp_path: Path) -> None:
    mapping = ONE_ROW.replace(severity={"urgent!": "SEV-0", "low": "SEV-4"})
    rows = [row("A", sev="urgent!"), row("B", sev="low"), row("C", sev="high")]
    got = run(write_csv(tmp_path / "x.csv", rows), mapping).incidents
    assert got.get_column("severity").to_list() == ["SEV-0", "SEV-4", "SEV-1"]


def test_vocabulary_values_must_be_datadog_values() -> None:
    with pytest.raises(ConfigError, match="SEV-9"):
        ONE_ROW.replace(severity={"x": "SEV-9"})


def test_lists_are_split_trimmed_and_cleaned(tmp_path: Path) -> None:
    rows = [row("A", team=" db ; net;;?"), row("B", team="")]
    teams = run(write_csv(tmp_path / "x.csv", rows)).incidents.get_column("teams").to_list()
    assert teams[0] == ["db", "net"]
    assert not teams[1]


def test_carried_fields(tmp_path: Path) -> None:
    mapping = ONE_ROW.replace(fields={"root_cause": "title"})
    got = run(write_csv(tmp_path / "x.csv", [row("A")]), mapping).incidents
    assert got.get_column("field.root_cause").to_list() == ["t A"]


def test_naive_times_in_a_named_zone_become_utc(tmp_path: Path) -> None:
    rows = [
        row("A", opened="2024-01-12 15:45", fixed="2024-07-12 15:45"),
        # 31 March 2024 02:30 does not exist in Paris; 27 October 02:30 happens twice.
        row("B", opened="2024-03-31 02:30", fixed="2024-10-27 02:30"),
    ]
    result = run(write_csv(tmp_path / "x.csv", rows), ONE_ROW.replace(timezone="Europe/Paris"))
    got = {r["source_id"]: r for r in result.incidents.to_dicts()}
    assert got["A"]["declared"] == datetime(2024, 1, 12, 14, 45, tzinfo=UTC)  # CET
    assert got["A"]["resolved"] == datetime(2024, 7, 12, 13, 45, tzinfo=UTC)  # CEST
    assert got["B"]["declared"] is None
    assert got["B"]["resolved"] == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # the earlier
    notes = " | ".join(got["B"]["load_notes"])
    assert "does not exist in Europe/Paris" in notes
    assert "happened twice" in notes
    assert not any("assumed" in note for note in result.notes)


def test_naive_times_without_a_zone_are_noted_as_assumed_utc(tmp_path: Path) -> None:
    result = run(write_csv(tmp_path / "x.csv", [row("A")]))
    assert result.incidents.get_column("declared").to_list() == [
        datetime(2024, 1, 12, 15, 45, tzinfo=UTC)
    ]
    assert any("taken as UTC" in note and "assumed" in note for note in result.notes)


def test_event_log_collapses_by_order_not_file_order(tmp_path: Path) -> None:
    rows = [
        row("A", seq="2", state="done", opened="12/01/2024 10:00", team="net"),
        row("B", seq="1", state="open"),
        row("A", seq="1", state="open", opened="12/01/2024 09:00", title="", team="db"),
        row("A", seq="3", state="done", opened="12/01/2024 11:00", title="", team=""),
    ]
    result = run(write_csv(tmp_path / "x.csv", rows), EVENTS)
    got = {r["source_id"]: r for r in result.incidents.to_dicts()}
    first = got["A"]
    assert sorted(first["source_rows"]) == [1, 3, 4]
    assert first["declared"] == datetime(2024, 1, 12, 9, tzinfo=UTC)  # earliest event
    assert first["state"] == "resolved"  # event seq 3
    assert first["title"] == "t A"  # the latest non-missing title (row 1, seq 2)
    assert first["teams"] == ["net"]
    assert got["B"]["source_rows"] == [2]


# --- the invariant, on messy generated files -------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(
        categories=["L", "N", "P", "S", "Zs"],
        include_characters=",;\"'\n\t",
        exclude_characters="\r",
    ),
    max_size=12,
)
_NULLS = st.sampled_from(["", "?", "N/A", "null", "NULL", "None", "-", "  ", "nan"])
_IDS = st.one_of(st.sampled_from(["INC-1", "INC-2", " INC-1", "inc-3", "Ünïcödé-4"]), _NULLS, _TEXT)
_DATES = st.one_of(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%S")
    ),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1)).map(
        lambda d: f"{d.day}/{d.month}/{d.year} {d.hour:02d}:{d.minute:02d}"
    ),
    st.sampled_from(["31/02/2024 10:00", "2024-13-01", "yesterday", "0", "20240112"]),
    _NULLS,
    _TEXT,
)
_ORDER = st.one_of(st.integers(-3, 50).map(str), _NULLS, _TEXT)
_CELLS = st.tuples(
    _IDS, _TEXT, st.one_of(st.sampled_from(["open", "done", " Open "]), _TEXT),
    st.one_of(st.sampled_from(["high", "low"]), _NULLS), _DATES, _DATES, _TEXT, _ORDER,
)  # fmt: skip
_GOOD = ["INC-9", "ok", "open", "high", "2024-01-12T15:45:00", "13/1/2024 16:45", "db", "1"]


@st.composite
def _messy_rows(draw: st.DrawFn, *, ragged: bool) -> list[list[str]]:
    rows: list[list[str]] = [list(cells) for cells in draw(st.lists(_CELLS, max_size=12))]
    if ragged:
        for cells in rows:
            shape = draw(st.sampled_from(["as is", "as is", "short", "long"]))
            if shape == "short":
                del cells[draw(st.integers(1, len(cells) - 1)) :]
            elif shape == "long":
                cells.extend(draw(st.lists(_TEXT, min_size=1, max_size=3)))
    # One clean row somewhere, so no timestamp column is wholly unreadable (that is an error
    # about the column, tested above, not a row to set aside).
    rows.insert(draw(st.integers(0, len(rows))), list(_GOOD))
    return rows


def _assert_every_row_exactly_once(path: Path, rows: list[list[str]], mapping: Mapping) -> None:
    result = canonicalize(read_table(path), mapping)
    loaded = result.incidents.get_column("source_rows").explode().drop_nulls().to_list()
    quarantined = result.quarantine.get_column("source_row").to_list()
    assert not set(loaded) & set(quarantined)
    assert len(loaded) == len(set(loaded))
    assert len(quarantined) == len(set(quarantined))
    assert sorted(loaded + quarantined) == list(range(1, len(rows) + 1))


def _messy_file(tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]) -> Path:
    path = tmp_path_factory.mktemp("messy") / "messy.csv"
    return write_csv(path, rows)


_RAGGED_EXAMPLE = [row("A"), [*row("B"), "extra"], row("C")[:3], row("D")]


def _check_invariant(tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]) -> None:
    path = _messy_file(tmp_path_factory, rows)
    _assert_every_row_exactly_once(path, rows, ONE_ROW)
    _assert_every_row_exactly_once(path, rows, EVENTS)


# Each example parses two messy files with every date style: ~0.1 s. The quick run keeps the
# suite fast; the slow one digs deeper.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(rows=_RAGGED_EXAMPLE)
@given(rows=st.booleans().flatmap(lambda ragged: _messy_rows(ragged=ragged)))
def test_every_row_is_an_incident_row_or_quarantined_exactly_once(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    _check_invariant(tmp_path_factory, rows)


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.booleans().flatmap(lambda ragged: _messy_rows(ragged=ragged)))
def test_every_row_exactly_once_more_examples(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    _check_invariant(tmp_path_factory, rows)


def test_the_invariant_check_catches_a_lost_row(tmp_path: Path) -> None:
    # The property's own check must be able to fail: claim one row more than the file has.
    path = write_csv(tmp_path / "x.csv", [row("A"), row("B")])
    with pytest.raises(AssertionError):
        _assert_every_row_exactly_once(path, [row("A"), row("B"), row("C")], ONE_ROW)


def test_event_log_state_comes_from_the_latest_event_that_states_one(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "number,incident_state,sys_mod_count,priority,opened_at,resolved_at,opened_by,"
        "assignment_group\n"
        "INC1,New,0,2 - High,1/3/2016 09:00,?,Ann,G1\n"
        "INC1,Resolved,1,2 - High,1/3/2016 09:00,1/3/2016 10:00,Ann,G1\n"
        "INC1,?,2,?,1/3/2016 09:00,1/3/2016 10:00,Ann,G1\n",
        encoding="utf-8",
    )
    incident = load(log, "servicenow").incidents.row(0, named=True)
    assert (incident["state"], incident["severity"]) == ("resolved", "SEV-2")
    assert (incident["raw"]["state"], incident["raw"]["severity"]) == ("Resolved", "2 - High")


def test_raised_error_names_the_column_once(tmp_path: Path) -> None:
    sheet = tmp_path / "s.csv"
    sheet.write_text("id,opened\nA,2024-01-02 10:00\nB,2024-02-31 10:00\n", encoding="utf-8")
    mapping = Mapping(source="s", id="id", columns={"declared": "opened"})
    with pytest.raises(LoadError) as error:
        load(sheet, mapping, on_error="raise")
    assert str(error.value).count("'opened'") == 1
    assert (error.value.row, error.value.column, error.value.value) == (
        2,
        "opened",
        "2024-02-31 10:00",
    )


def test_titles_are_kept_as_written_and_missing_ones_keep_their_raw_text(tmp_path: Path) -> None:
    sheet = tmp_path / "s.csv"
    sheet.write_text('id,name\nA," Disk full  "\nB,N/A\nC,\n', encoding="utf-8")
    incidents = load(sheet, Mapping(source="s", id="id", columns={"title": "name"})).incidents
    rows = {row["source_id"]: row for row in incidents.iter_rows(named=True)}
    assert rows["A"]["title"] == " Disk full  "  # cleaning is the analyst's call, not the loader's
    assert (rows["B"]["title"], rows["B"]["raw"]["title"]) == (None, "N/A")
    assert (rows["C"]["title"], rows["C"]["raw"]["title"]) == (None, None)


def test_naive_columns_are_reported_as_data_not_only_as_a_note(tmp_path: Path) -> None:
    sheet = tmp_path / "s.csv"
    sheet.write_text("id,opened,fixed\nA,2024-01-02 10:00,2024-01-02T12:00:00Z\n", encoding="utf-8")
    mapping = Mapping(source="s", id="id", columns={"declared": "opened", "resolved": "fixed"})
    canonical = canonicalize(read_table(sheet), mapping)
    # "fixed" carries its own zone; only "opened" was read in the mapping's zone.
    assert canonical.naive_columns == ("opened",)


def test_a_text_column_named_as_notes_is_one_note_never_split(tmp_path: Path) -> None:
    mapping = ONE_ROW.replace(columns={"notes": "title"})
    rows = [row("A", title="Down; back up at 3:05 PM PDT"), row("B", title="?")]
    got = {
        r["source_id"]: r
        for r in run(write_csv(tmp_path / "x.csv", rows), mapping).incidents.to_dicts()
    }
    assert got["A"]["notes"] == ["Down; back up at 3:05 PM PDT"]
    assert got["B"]["notes"] == []


def test_notes_from_a_path_into_a_list_of_objects(tmp_path: Path) -> None:
    records = [
        {
            "id": "A",
            "opened": "2024-01-12T15:45:00Z",
            "updates": [{"text": "first"}, {"text": None}, {"text": "second; later"}],
        },
        {"id": "B", "opened": "2024-01-12T16:45:00Z", "updates": []},
    ]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    mapping = Mapping(
        source="feed", id="id", columns={"declared": "opened", "notes": "updates[].text"}
    )
    got = {r["source_id"]: r for r in run(path, mapping).incidents.to_dicts()}
    assert got["A"]["notes"] == ["first", "second; later"]
    assert got["B"]["notes"] == []


def test_event_log_notes_in_event_order_each_text_once(tmp_path: Path) -> None:
    mapping = EVENTS.replace(columns={"notes": "team"})
    rows = [
        row("A", seq="2", team="resolved it"),
        row("A", seq="1", team="looking"),
        row("A", seq="3", team="resolved it"),
        row("A", seq="4", team=""),
    ]
    got = run(write_csv(tmp_path / "x.csv", rows), mapping).incidents.to_dicts()
    assert got[0]["notes"] == ["looking", "resolved it"]
