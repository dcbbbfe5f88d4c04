"""ddinc.readers: every file kind becomes a table of raw text, one numbered row per record."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

import ddinc
from ddinc.errors import LoadError
from ddinc.readers import ROW, file_kind, read_json, read_table

HEADER = "id,title,opened\n"
ROWS = "INC-1,Café down,2024-01-12 15:45\nINC-2,Zürich slow,2024-01-13 09:00\n"


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_file_kind_from_suffix_ignores_case() -> None:
    assert file_kind(Path("x.CSV")) == "csv"
    assert file_kind(Path("x.ndjson")) == "jsonl"
    assert file_kind(Path("x.xlsx")) == "excel"


def test_unknown_suffix_is_a_load_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "export.dat", HEADER + ROWS)
    with pytest.raises(LoadError, match=r"export\.dat") as caught:
        read_table(path)
    assert caught.value.file == str(path)
    assert ".csv" in str(caught.value)


# --- CSV ---------------------------------------------------------------------------------


def test_csv_cells_stay_text_and_rows_are_numbered_from_one(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "x.csv", "id,count\nA,007\nB,\n"))
    assert table.kind == "csv"
    assert table.frame.schema["count"] == pl.String
    # "007" would lose its zeros if the reader inferred integers.
    assert table.frame.get_column("count").to_list() == ["007", None]
    assert table.frame.get_column(ROW).to_list() == [1, 2]
    assert table.rejected == ()


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("utf8_bom.csv", lambda text: b"\xef\xbb\xbf" + text.encode("utf-8")),
        ("utf16.csv", lambda text: text.encode("utf-16")),
        ("cp1252.csv", lambda text: text.encode("cp1252")),
    ],
)
def test_csv_encodings_decode_to_the_same_text(tmp_path: Path, name: str, encode: object) -> None:
    assert callable(encode)
    table = read_table(write(tmp_path, name, encode(HEADER + ROWS)))
    # A BOM left in place would rename the first column to "\ufeffid".
    assert table.frame.columns == [ROW, "id", "title", "opened"]
    assert table.frame.get_column("title").to_list() == ["Café down", "Zürich slow"]


def test_non_utf8_csv_says_how_it_was_decoded(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "legacy.csv", (HEADER + ROWS).encode("cp1252")))
    # "Café" is on the first data line, i.e. the second line of the file.
    assert any("Windows-1252" in note and "line 2" in note for note in table.notes)


def test_utf16_csv_says_so(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "u16.csv", (HEADER + ROWS).encode("utf-16")))
    assert any("UTF-16" in note for note in table.notes)


def test_semicolon_separated_csv_is_sniffed(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "eu.csv", "id;title\nA;x, y\n"))
    assert table.frame.get_column("title").to_list() == ["x, y"]


def test_quoted_cells_keep_separators_quotes_and_newlines(tmp_path: Path) -> None:
    text = 'id,title\nA,"one, ""two""\nthree"\n'
    table = read_table(write(tmp_path, "q.csv", text))
    assert table.frame.get_column("title").to_list() == ['one, "two"\nthree']


def test_repeated_headers_get_polars_style_names(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "dup.csv", "id,tag,tag,tag\nA,x,y,z\n"))
    assert table.frame.columns[1:] == ["id", "tag", "tag_duplicated_0", "tag_duplicated_1"]


def test_ragged_row_with_too_many_cells_is_rejected_with_its_row_number(tmp_path: Path) -> None:
    text = "a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n"
    table = read_table(write(tmp_path, "ragged.csv", text))
    assert [(r.row, json.loads(r.record)) for r in table.rejected] == [(2, ["4", "5", "6", "7"])]
    assert "4 cells" in table.rejected[0].reason
    assert "3" in table.rejected[0].reason
    assert table.frame.get_column("a").to_list() == ["1", "8"]


def test_rows_after_a_rejected_row_keep_their_own_numbers(tmp_path: Path) -> None:
    text = "a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n"
    table = read_table(write(tmp_path, "ragged.csv", text))
    # Data row 3 ("8,9,10") must stay row 3: row 2 is the rejected one.
    assert table.frame.get_column(ROW).to_list() == [1, 3]


def test_short_rows_are_padded_with_missing_cells(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "short.csv", "a,b,c\n1,2\n4,5,6\n"))
    assert table.frame.select("a", "b", "c").rows() == [("1", "2", None), ("4", "5", "6")]
    assert table.rejected == ()


UNCLOSED = (
    "id,title,declared\n"
    "1,a,2024-01-01 10:00\n"
    '2,"oops,2024-01-02 10:00\n'
    "3,c,2024-01-03 10:00\n"
    "4,d,2024-01-04 10:00\n"
)


def test_a_quote_that_never_closes_sets_aside_each_line_naming_where_it_opened(
    tmp_path: Path,
) -> None:
    table = read_table(write(tmp_path, "q.csv", UNCLOSED))
    # Lenient csv made rows 2-4 one title; every physical line must be somewhere instead.
    assert table.frame.get_column("id").to_list() == ["1"]
    assert [r.row for r in table.rejected] == [2, 3, 4]
    assert [json.loads(r.record) for r in table.rejected] == [
        ['2,"oops,2024-01-02 10:00\n'],
        ["3,c,2024-01-03 10:00\n"],
        ["4,d,2024-01-04 10:00\n"],
    ]
    assert all("line 3" in r.reason and "never closes" in r.reason for r in table.rejected)


def test_a_quote_that_never_closes_is_quarantined_by_the_load(tmp_path: Path) -> None:
    mapping = ddinc.Mapping(source="s", id="id", columns={"title": "title", "declared": "declared"})
    result = ddinc.load(write(tmp_path, "q.csv", UNCLOSED), mapping)
    assert result.incidents.get_column("source_id").to_list() == ["1"]
    assert result.quarantine.get_column("source_row").to_list() == [2, 3, 4]
    assert result.rows_read == 4


def test_the_quote_that_stays_open_is_the_one_named(tmp_path: Path) -> None:
    # Row 2 holds a proper multi-line cell (lines 3-4); the stray quote is on line 5.
    text = 'id,title\n1,a\n2,"two\nlines"\n3,"oops\n4,d\n'
    table = read_table(write(tmp_path, "q.csv", text))
    assert table.frame.get_column("title").to_list() == ["a", "two\nlines"]
    assert [r.row for r in table.rejected] == [3, 4]
    assert "line 5" in table.rejected[0].reason


@pytest.mark.parametrize("ragged", ["", "5,e,f,g\n"])
def test_multi_line_quoted_cells_still_load(tmp_path: Path, ragged: str) -> None:
    # With a ragged row the slow, strict reader runs: it must read them the same way.
    text = 'id,title,note\n1,"Database\ndown","said ""hi""\r\nthen, left"\n' + ragged + "2,b,c\n"
    table = read_table(write(tmp_path, "multi.csv", text))
    assert table.frame.select("id", "title", "note").rows() == [
        ("1", "Database\ndown", 'said "hi"\r\nthen, left'),
        ("2", "b", "c"),
    ]
    assert len(table.rejected) == len(ragged.splitlines())


def test_a_quote_closed_mid_cell_sets_that_line_aside_and_reads_on(tmp_path: Path) -> None:
    text = 'id,title,x\n1,a,b\n2,"say "hi" now",c\n3,d,e,f\n4,g,h\n'
    table = read_table(write(tmp_path, "mid.csv", text))
    assert table.frame.get_column("id").to_list() == ["1", "4"]
    assert [r.row for r in table.rejected] == [2, 3]
    assert "line 3" in table.rejected[0].reason
    assert "doubled" in table.rejected[0].reason


def test_a_lone_cr_in_a_ragged_file_is_text_not_a_crash(tmp_path: Path) -> None:
    text = "id,title,x\n1,a\rb,c\n2,d,e,f\n"
    table = read_table(write(tmp_path, "cr.csv", text))
    # polars (the fast path) keeps a lone CR as text; the slow path must agree.
    assert table.frame.get_column("title").to_list() == ["a\rb"]
    assert [r.row for r in table.rejected] == [2]


def test_a_cr_only_file_is_read_as_lines_and_says_so(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "mac.csv", (HEADER + ROWS).replace("\n", "\r")))
    assert table.frame.columns == [ROW, "id", "title", "opened"]
    assert table.frame.get_column("title").to_list() == ["Café down", "Zürich slow"]
    assert any("CR alone" in note for note in table.notes)


@pytest.mark.parametrize(
    ("codec", "named"),
    [
        ("utf-16-le", "UTF-16LE"),
        ("utf-16-be", "UTF-16BE"),
        ("utf-32-le", "UTF-32LE"),
        ("utf-32-be", "UTF-32BE"),
        ("utf-32", "UTF-32"),  # with its byte-order mark, which starts like UTF-16LE's
    ],
)
def test_wide_encodings_are_told_from_their_nul_bytes(
    tmp_path: Path, codec: str, named: str
) -> None:
    table = read_table(write(tmp_path, "wide.csv", (HEADER + ROWS).encode(codec)))
    assert table.frame.columns == [ROW, "id", "title", "opened"]
    assert table.frame.get_column("title").to_list() == ["Café down", "Zürich slow"]
    assert any(named in note for note in table.notes)


def test_a_damaged_utf16_file_is_a_load_error_naming_the_encoding(tmp_path: Path) -> None:
    data = (HEADER + ROWS).encode("utf-16-le")[:-1]  # cut in the middle of a character
    with pytest.raises(LoadError, match="UTF-16LE") as caught:
        read_table(write(tmp_path, "cut.csv", data))
    assert "UTF-8" in str(caught.value)


def test_nul_bytes_in_a_utf8_file_are_text_not_an_encoding(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "nul.csv", "id,title\n1,a\x00b\n2,c\n"))
    assert table.frame.get_column("title").to_list() == ["a\x00b", "c"]
    assert table.notes == ()


def test_empty_csv_is_a_load_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.csv", "  \n")
    with pytest.raises(LoadError, match="empty") as caught:
        read_table(path)
    assert caught.value.file == str(path)
    assert "empty.csv" in str(caught.value)


def test_header_only_csv_has_no_rows(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "header.csv", HEADER))
    assert table.frame.height == 0
    assert "title" in table.frame.columns


def test_missing_file_is_a_load_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "export.csv"
    with pytest.raises(LoadError, match="not found") as caught:
        read_table(path)
    assert caught.value.file == str(path)
    assert "export.csv" in str(caught.value)


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "export.csv"
    folder.mkdir()
    with pytest.raises(LoadError, match="not a file"):
        read_table(folder)


# --- JSON and JSON Lines -------------------------------------------------------------------


def test_json_list_of_records_is_flattened(tmp_path: Path) -> None:
    records = [
        {"id": 1, "ok": True, "service": {"summary": "api", "id": "S1"}, "tags": ["a", "b"]},
        {"id": 2, "ok": False, "service": {"summary": "db", "id": "S2"}, "tags": []},
    ]
    table = read_table(write(tmp_path, "x.json", json.dumps(records)))
    frame = table.frame
    assert frame.get_column("id").to_list() == ["1", "2"]
    assert frame.get_column("ok").to_list() == ["true", "false"]
    assert frame.get_column("service.summary").to_list() == ["api", "db"]
    assert frame.get_column("tags").to_list() == [["a", "b"], []]
    assert table.container is None


def test_list_of_objects_becomes_a_list_of_structs(tmp_path: Path) -> None:
    records = [
        {"id": "1", "teams": [{"summary": "Payments", "id": "T1"}]},
        {"id": "2", "teams": []},
    ]
    frame = read_table(write(tmp_path, "x.json", json.dumps(records))).frame
    names = frame.select(pl.col("teams").list.eval(pl.element().struct.field("summary")))
    assert names.to_series().to_list() == [["Payments"], []]


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_field_that_is_text_in_one_record_and_a_list_in_another_is_read(
    tmp_path: Path, suffix: str
) -> None:
    # Hand-made exports do this; polars' inference stopped the whole load on it.
    records = [{"id": "1", "tags": "db"}, {"id": "2", "tags": ["db", "net"]}, {"id": "3"}]
    text = "\n".join(map(json.dumps, records)) if suffix == ".jsonl" else json.dumps(records)
    table = read_table(write(tmp_path, f"x{suffix}", text))
    assert table.frame.get_column("tags").to_list() == [["db"], ["db", "net"], None]
    assert any("tags" in note and "one-item lists" in note for note in table.notes)


def test_lists_mixing_objects_and_names_keep_every_value(tmp_path: Path) -> None:
    # polars' inference turned [{"name": "Payments"}] into ['{"Payments"}'] here: the key lost.
    records = [
        {"id": "1", "teams": [{"name": "Payments"}]},
        {"id": "2", "teams": ["Search", None]},
        {"id": "3", "teams": [1, None, {"a": None}]},
    ]
    table = read_table(write(tmp_path, "x.json", json.dumps(records)))
    assert table.frame.get_column("teams").to_list() == [
        ['{"name": "Payments"}'],
        ["Search", None],
        ["1", None, '{"a": null}'],
    ]
    assert any("teams" in note and "JSON text" in note for note in table.notes)


def test_objects_in_lists_keep_keys_first_seen_late(tmp_path: Path) -> None:
    records = [{"id": str(i), "teams": [{"id": "T"}]} for i in range(150)]
    records.append({"id": "late", "teams": [{"id": "T9", "summary": "Payments"}]})
    frame = read_table(write(tmp_path, "x.json", json.dumps(records))).frame
    names = frame.select(pl.col("teams").list.eval(pl.element().struct.field("summary")))
    assert names.to_series().to_list()[-1] == ["Payments"]


@pytest.mark.parametrize("key", ["incidents", "data", "issues", "my_records"])
def test_json_container_key_is_found(tmp_path: Path, key: str) -> None:
    document = {"page": {"id": "p"}, key: [{"id": "A"}, {"id": "B"}], "more": False}
    table = read_table(write(tmp_path, "x.json", json.dumps(document)))
    assert table.container == key
    assert table.frame.get_column("id").to_list() == ["A", "B"]


def test_json_object_with_two_candidate_lists_is_refused(tmp_path: Path) -> None:
    document = {"alpha": [{"id": 1}], "beta": [{"id": 2}]}
    with pytest.raises(LoadError, match="alpha, beta"):
        read_table(write(tmp_path, "x.json", json.dumps(document)))


def test_invalid_json_points_at_the_line(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="line 2") as caught:
        read_table(write(tmp_path, "broken.json", '[{"id": 1},\n {"id": }]'))
    assert "broken.json" in str(caught.value)


def test_json_item_that_is_not_an_object_is_rejected(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "x.json", json.dumps([{"id": "A"}, 42, {"id": "C"}])))
    assert [(r.row, r.record) for r in table.rejected] == [(2, "42")]
    assert table.frame.get_column("id").to_list() == ["A", "C"]


def test_json_rows_keep_their_position_in_the_list(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "x.json", json.dumps([{"id": "A"}, 42, {"id": "C"}])))
    assert table.frame.get_column(ROW).to_list() == [1, 3]


def test_jsonl_bad_line_is_rejected_and_blank_lines_skipped(tmp_path: Path) -> None:
    text = '{"id": "A"}\n\n{"id": "B"\n["not", "an", "object"]\n{"id": "D"}\n'
    table = read_table(write(tmp_path, "x.jsonl", text))
    assert [r.row for r in table.rejected] == [2, 3]
    assert "not valid JSON" in table.rejected[0].reason
    assert table.rejected[0].record == '{"id": "B"'
    assert table.frame.get_column("id").to_list() == ["A", "D"]


def test_jsonl_rows_keep_their_numbers_after_a_bad_line(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "x.jsonl", '{"id": "A"}\n{"id": \n{"id": "C"}\n'))
    assert table.frame.get_column(ROW).to_list() == [1, 3]


def test_jsonl_keys_first_seen_late_are_kept(tmp_path: Path) -> None:
    # polars' own read_ndjson drops a key first seen after line 100.
    lines = [json.dumps({"id": str(i)}) for i in range(150)]
    lines.append(json.dumps({"id": "late", "owner": "ann"}))
    table = read_table(write(tmp_path, "x.jsonl", "\n".join(lines)))
    assert table.frame.get_column("owner").to_list()[-1] == "ann"


def test_empty_jsonl_is_a_load_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"empty\.jsonl.*empty"):
        read_table(write(tmp_path, "empty.jsonl", "\n\n"))


# --- Excel and Parquet ----------------------------------------------------------------------


def test_excel_cells_are_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    workbook = xlsxwriter.Workbook(path)
    first = workbook.add_worksheet("Incidents")
    for col, name in enumerate(["Incident #", "Sev", "Opened"]):
        first.write(0, col, name)
    first.write_row(1, 0, ["INC-1", 2, "12/01/2024 15:45"])
    first.write_row(2, 0, ["INC-2", 3, "13/01/2024 09:00"])
    other = workbook.add_worksheet("Notes")
    other.write_row(0, 0, ["note"])
    other.write_row(1, 0, ["hello"])
    workbook.close()

    table = read_table(path)
    assert table.kind == "excel"
    assert table.frame.columns == [ROW, "Incident #", "Sev", "Opened"]
    assert all(dtype == pl.String for dtype in table.frame.drop(ROW).dtypes)
    assert table.frame.get_column("Incident #").to_list() == ["INC-1", "INC-2"]
    assert table.frame.get_column(ROW).to_list() == [1, 2]
    assert read_table(path, sheet="Notes").frame.get_column("note").to_list() == ["hello"]


def test_excel_rows_keep_their_sheet_position_after_an_empty_row(tmp_path: Path) -> None:
    # Sheet rows 2, 3 (empty) and 4: the third incident is data row 3, as in a CSV export.
    path = tmp_path / "sheet.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["id", "opened"])
    sheet.write_row(1, 0, ["INC-1", "12/01/2024 15:45"])
    sheet.write_row(3, 0, ["INC-3", "13/01/2024 09:00"])
    workbook.close()
    frame = read_table(path).frame
    assert frame.get_column("id").to_list() == ["INC-1", None, "INC-3"]
    assert frame.get_column(ROW).to_list() == [1, 2, 3]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.xlsx", b""),
        ("cut.xlsx", None),  # the first 3000 bytes of a real workbook
        ("text.xlsx", b"id,title\n1,a\n"),
        ("old.xls", b"id,title\n1,a\n"),
    ],
)
def test_a_corrupt_or_empty_workbook_is_a_load_error_naming_the_file(
    tmp_path: Path, name: str, data: bytes | None
) -> None:
    if data is None:
        whole = tmp_path / "whole.xlsx"
        workbook = xlsxwriter.Workbook(whole)
        workbook.add_worksheet().write_row(0, 0, ["id", "title"])
        workbook.close()
        data = whole.read_bytes()[:3000]
    path = write(tmp_path, name, data)
    with pytest.raises(LoadError) as caught:
        read_table(path)
    assert caught.value.file == str(path)
    assert "Excel" in str(caught.value) or "empty" in str(caught.value)
    # calamine's own multi-line context must not leak into the one-line message.
    assert "Context:" not in str(caught.value)


def test_parquet_is_read_with_its_types(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    pl.DataFrame({"id": ["A", "B"], "n": [1, 2]}).write_parquet(path)
    table = read_table(path)
    assert table.kind == "parquet"
    assert table.frame.get_column("id").to_list() == ["A", "B"]
    assert table.frame.get_column(ROW).to_list() == [1, 2]


def test_corrupt_parquet_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read the file"):
        read_table(write(tmp_path, "x.parquet", b"PAR1 not really"))


def test_a_key_given_twice_is_named_with_its_record_in_the_notes(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(
        '[{"id": "a", "t": 1}, "not a record", {"id": "b", "t": 1, "t": 2, "id": "c"}]',
        encoding="utf-8",
    )
    table = read_json(path)
    (note,) = [n for n in table.notes if "more than once" in n]
    assert note.endswith("the last value was kept: record 3 ('id', 't')")
    assert table.frame.get_column("t").to_list() == ["1", "2"]
