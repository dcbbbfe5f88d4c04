"""The one formula-safe CSV writer: nothing a spreadsheet runs, everything read back exactly."""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from ddinc.safe_csv import (
    FORMULA_STARTS,
    neutralise,
    read_rows,
    read_table,
    restore,
    write_rows,
    write_table,
)
from tests.conftest import ROOT

HOSTILE = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1", "'a")
text = st.builds(
    lambda head, body: head + body,
    st.sampled_from(("", *FORMULA_STARTS, "'", "''", '"', ",", "\n")),
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8),
)


def spreadsheet_cells(path: Path) -> list[str]:
    """Every cell of a CSV (header included), as a spreadsheet would get it."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


@given(st.lists(st.none() | text, min_size=1, max_size=4), st.lists(text, min_size=1, max_size=3))
def test_a_table_reads_back_exactly_and_runs_nothing(
    values: list[str | None], names: list[str]
) -> None:
    names = list(dict.fromkeys(names))
    frame = pl.DataFrame(
        dict.fromkeys(names, values) | {"n": list(range(-1, len(values) - 1))},
        schema={**dict.fromkeys(names, pl.String()), "n": pl.Int64()},
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        write_table(frame, path)
        assert_frame_equal(read_table(path, frame.schema), frame)
        numbers = {str(n) for n in frame["n"]}
        for cell in spreadsheet_cells(path):
            assert cell in numbers or not cell.startswith(FORMULA_STARTS), cell


@given(st.lists(st.lists(text, min_size=2, max_size=2), max_size=4))
def test_rows_read_back_exactly_and_run_nothing(rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "people.csv"
        write_rows(path, ["name", "email"], rows)
        assert read_rows(path) == [["name", "email"], *rows]
        assert not any(c.startswith(FORMULA_STARTS) for c in spreadsheet_cells(path))


def test_hostile_values_are_text_in_a_spreadsheet() -> None:
    for value in HOSTILE:
        assert neutralise(value).startswith("'")
        assert restore(neutralise(value)) == value


# Files that write CSV as another tool would (the sample exports the synth module imitates,
# byte for byte as those tools write them) are the only exception.
_ALLOWED = ("ddinc/safe_csv.py", "ddinc/synth/")
_RAW_WRITE = re.compile(r"\.(write_csv|sink_csv)\(|csv\.(writer|DictWriter)\(")


def test_no_csv_is_written_outside_the_one_writer() -> None:
    found = []
    for path in sorted((ROOT / "ddinc").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(_ALLOWED):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _RAW_WRITE.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == [], "write CSV through ddinc.safe_csv:\n" + "\n".join(found)
