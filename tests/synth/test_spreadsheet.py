"""The analyst's spreadsheet sample (Excel and CSV, naive Paris time) and its mapping file."""

from __future__ import annotations

import re
import tomllib
import zipfile
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from ddinc.errors import ConfigError
from ddinc.synth import (
    MAPPING_TOML,
    NULL_SPELLINGS,
    spreadsheet_csv,
    spreadsheet_xlsx,
    write_spreadsheet,
    write_spreadsheet_mapping,
)
from ddinc.synth.spreadsheet import COLUMNS
from tests.synth._views import TIMES, View, check_against_truth, check_dirt_rates, csv_table, tagged

PARIS = ZoneInfo("Europe/Paris")
SEVERITIES: set[str | None] = {f"Sev {i}" for i in range(1, 6)}
TIME_COLUMNS = ("Started (local)", "Noticed", "Opened", "Fixed", "Impact over")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
DAY_FIRST = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")


def candidates(text: str) -> list[datetime]:
    """The UTC instants a naive Paris time can mean: none, one, or two (DST fall-back)."""
    if not text or text in NULL_SPELLINGS:
        return []
    fmt = "%d/%m/%Y %H:%M" if DAY_FIRST.match(text) else "%Y-%m-%d %H:%M"
    naive = datetime.strptime(text[:16], fmt)
    found = []
    for fold in (0, 1):
        moment = naive.replace(tzinfo=PARIS, fold=fold).astimezone(UTC)
        if moment.astimezone(PARIS).replace(tzinfo=None) == naive:
            found.append(moment)
    return sorted(set(found))


def views(sample: Any, rows: list[list[str]], header: list[str]) -> list[View]:
    truth_by_row = {r: rec for rec in sample.truth.to_dicts() for r in rec["source_rows"]}
    out = []
    for number, row in enumerate(rows, start=1):
        cells = dict(zip(header, row, strict=True))
        stamps: dict[str, datetime | None] = {}
        for name, column in zip(TIMES, TIME_COLUMNS, strict=True):
            # An ambiguous local time is consistent with either instant: take the truth's if so.
            options = candidates(cells[column])
            wanted = truth_by_row[number][name]
            stamps[name] = wanted if wanted in options else (options[0] if options else None)
        out.append(
            View(
                id=cells["Incident #"] or None,
                title=cells["What happened"],
                severity=cells["Sev"],
                stamps=stamps,
                cells=[cells["Status"], cells["Owner email"], *cells["Team(s)"].split(", ")],
                raw=row,
            )
        )
    return out


def test_csv_holds_what_its_truth_says() -> None:
    sample = spreadsheet_csv(80)
    header, rows = csv_table(sample.data)
    assert header == list(COLUMNS)
    check_dirt_rates(sample)
    check_against_truth(sample, views(sample, rows, header), TIMES, vocabulary=SEVERITIES)


def test_dst_and_other_spreadsheet_dirt_is_in_the_cells() -> None:
    sample = spreadsheet_csv(80)
    header, rows = csv_table(sample.data)
    noticed = header.index("Noticed")
    gap_rows = {rec["source_rows"][0] for rec in tagged(sample, "dst_gap")}
    overlap_rows = {rec["source_rows"][0] for rec in tagged(sample, "dst_overlap")}
    mixed_rows = {r for rec in tagged(sample, "mixed_date_style") for r in rec["source_rows"]}
    for number, row in enumerate(rows, start=1):
        options = len(candidates(row[noticed]))
        assert (options == 0) == (number in gap_rows), (number, row[noticed])
        if number in overlap_rows:
            assert options == 2
        for column in TIME_COLUMNS:
            text = row[header.index(column)]
            if text and text not in NULL_SPELLINGS:
                assert (DAY_FIRST if number in mixed_rows else ISO).match(text), text
    owner = header.index("Owner email")
    for rec in tagged(sample, "display_name"):
        assert "@" not in rows[rec["source_rows"][0] - 1][owner]
    for rec in tagged(sample, "null_spelling"):
        row = rows[rec["source_rows"][0] - 1]
        assert {
            row[owner],
            row[header.index("Root cause")],
            row[header.index("Impact over")],
        } <= set(NULL_SPELLINGS)


def as_typed(value: str | None) -> str:
    """A workbook cell as the CSV has it: Excel date cells come back with seconds."""
    text = value or ""
    return text.removesuffix(":00") if ISO.match(text[:16]) else text


def test_workbook_holds_the_same_sheet_with_real_date_cells(tmp_path: Path) -> None:
    sample = spreadsheet_xlsx(80)
    path = tmp_path / "s.xlsx"
    path.write_bytes(sample.data)
    sheet = pl.read_excel(path, infer_schema_length=0)
    assert sheet.columns == list(COLUMNS)
    _, rows = csv_table(spreadsheet_csv(80).data)
    assert sheet.height == len(rows)
    for read, written in zip(sheet.iter_rows(), rows, strict=True):
        assert [as_typed(value) for value in read] == written
    xml = zipfile.ZipFile(BytesIO(sample.data)).read("xl/worksheets/sheet1.xml").decode()
    opened = re.findall(r'<c r="G(\d+)"( [^>]*)?>', xml)
    kinds = {int(row): 't="s"' in (attrs or "") for row, attrs in opened if row != "1"}
    mixed = {r + 1 for rec in tagged(sample, "mixed_date_style") for r in rec["source_rows"]}
    assert kinds
    assert all(is_text == (row in mixed) for row, is_text in kinds.items())
    assert sample.truth.equals(spreadsheet_csv(80).truth)


def test_mapping_names_only_real_columns_and_covers_the_vocabulary(tmp_path: Path) -> None:
    mapping = tomllib.loads(write_spreadsheet_mapping(tmp_path / "m.toml").read_text())
    assert mapping == tomllib.loads(MAPPING_TOML)
    assert (mapping["source"], mapping["id"], mapping["timezone"]) == (
        "spreadsheet",
        "Incident #",
        "Europe/Paris",
    )
    named = [mapping["id"], *mapping["columns"].values(), *mapping["fields"].values()]
    assert set(named) <= set(COLUMNS)
    assert set(mapping["columns"]) >= set(TIMES) | {"title", "severity", "state"}
    header, rows = csv_table(spreadsheet_csv(80).data)
    status = header.index("Status")
    assert {row[status].strip() for row in rows} <= set(mapping["state"])
    assert set(mapping["severity"].values()) == {f"SEV-{i}" for i in range(1, 6)}
    assert set(mapping["state"].values()) <= {"active", "stable", "resolved", "completed"}


def test_writer_picks_the_format_from_the_suffix(tmp_path: Path) -> None:
    assert write_spreadsheet(tmp_path / "s.csv", n_incidents=5).read_text().startswith("Incident #")
    with pytest.raises(ConfigError, match=r"\.xlsx or \.csv"):
        write_spreadsheet(tmp_path / "s.ods")
