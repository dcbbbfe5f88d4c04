"""The people table beside a ledger: formula-safe in a spreadsheet, read back as written."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ddinc.errors import ConfigError
from ddinc.payloads import normalize_name
from ddinc.push.people import people_table_path, read_people, unmapped_names, write_people_template
from ddinc.safe_csv import FORMULA_STARTS

HOSTILE = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "'quoted"]


def test_hostile_names_are_text_in_a_spreadsheet_and_read_back_exactly(tmp_path: Path) -> None:
    table = people_table_path(tmp_path / "import.ledger")
    assert write_people_template(table, HOSTILE) == len(HOSTILE)
    with table.open(encoding="utf-8", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells), cells
    # Filled in: the emails map the names exactly as the export gave them.
    rows = table.read_text(encoding="utf-8").splitlines()
    filled = [rows[0], *(f"{row}a{i}@example.com" for i, row in enumerate(rows[1:]))]
    table.write_text("\n".join(filled) + "\n", encoding="utf-8")
    people = read_people(table)
    assert people == {normalize_name(n): f"a{i}@example.com" for i, n in enumerate(HOSTILE)}
    assert unmapped_names(HOSTILE, people) == []
    # Adding names keeps the filled rows, still safe.
    assert write_people_template(table, ["=new"]) == 1
    assert read_people(table) == people


def test_a_name_typed_in_a_spreadsheet_reads_as_typed(tmp_path: Path) -> None:
    # A spreadsheet saves a text cell shown as =x as =x: it is a name, not a formula to undo.
    table = tmp_path / "p.people.csv"
    table.write_text('name,email\n"=x",x@example.com\n', encoding="utf-8")
    assert read_people(table) == {normalize_name("=x"): "x@example.com"}


def test_a_table_without_its_header_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "p.people.csv"
    table.write_text("who,mail\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="name,email"):
        read_people(table)
