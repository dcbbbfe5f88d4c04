"""ddinc.csv_records: strict CSV records, every physical line accounted for."""

from __future__ import annotations

import csv
import doctest
import io

from hypothesis import given
from hypothesis import strategies as st

import ddinc.csv_records
from ddinc.csv_records import BadRecord, Record, strict_records

cells = st.text(alphabet=st.sampled_from('ab,"\n\r é'), max_size=6)
rows = st.lists(st.lists(cells, min_size=2, max_size=2), min_size=1, max_size=6)


def written(table: list[list[str]]) -> str:
    buffer = io.StringIO()
    # QUOTE_ALL: the minimal quoting of csv.writer leaves a lone CR unquoted, which no reader
    # can tell from a line end.
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(table)
    return buffer.getvalue()


@given(rows)
def test_what_csv_writes_reads_back_cell_for_cell(table: list[list[str]]) -> None:
    records = list(strict_records(written(table)))
    assert all(isinstance(r, Record) for r in records)
    got = [r.cells for r in records if isinstance(r, Record)]
    assert got == [[*row] for row in table]


@given(rows, st.integers(min_value=0, max_value=200), st.sampled_from(['"', "\r", "\n", ","]))
def test_every_physical_line_is_in_a_record_or_set_aside(
    table: list[list[str]], at: int, inserted: str
) -> None:
    text = written(table)
    at %= len(text) + 1
    text = text[:at] + inserted + text[at:]
    records = list(strict_records(text))
    lines = io.StringIO(text.replace("\r\n", "\n").replace("\r", "\x00"), newline="").readlines()
    bad_lines = sum(len(r.lines) for r in records if isinstance(r, BadRecord))
    starts = [r.first_line for r in records]
    # Records start on increasing lines, and bad lines are never more than the file has.
    assert starts == sorted(starts)
    assert bad_lines <= len(lines)
    for record in records:
        if isinstance(record, BadRecord):
            assert f"line {record.first_line}" in record.problem or "lines" in record.problem


def test_an_unclosed_quote_names_its_line_and_keeps_every_line() -> None:
    records = list(strict_records('a,b\n1,x\n2,"open\n3,y\n'))
    bad = records[-1]
    assert isinstance(bad, BadRecord)
    assert bad.lines == ['2,"open\n', "3,y\n"]
    assert "line 3" in bad.problem


def test_the_docstring_examples_hold() -> None:
    assert doctest.testmod(ddinc.csv_records).failed == 0
