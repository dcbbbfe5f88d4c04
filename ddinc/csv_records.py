"""CSV text -> records, strictly, with every physical line accounted for.

Python's ``csv`` module in its default (lenient) mode reads a quote that never closes as one
cell running to the end of the file: one stray ``"`` in a title silently swallows every later
row. Read strictly, that is an error, and so is a quote closed in the middle of a cell
(``"say "hi" now"``). Here such a stretch is not dropped and not guessed at: it comes back as a
:class:`BadRecord` holding its physical lines and the line where the trouble is, and reading
carries on at the next line.

Lone carriage returns (a CR not followed by LF) inside a line are text, as polars reads them;
``csv`` would stop with "new-line character seen in unquoted field" instead.

>>> [r.cells if isinstance(r, Record) else r.lines for r in strict_records('a,b\\n1,"x\\n2,y\\n')]
[['a', 'b'], ['1,"x\\n', '2,y\\n']]
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

__all__ = ["BadRecord", "Record", "strict_records"]

_LONE_CR: Final = re.compile(r"\r(?!\n)")
# Private-use characters stand in for lone CRs while csv reads; the first absent one is used.
_STAND_INS: Final = tuple(chr(code) for code in range(0xF8FF, 0xF800, -1))


@dataclass(frozen=True)
class Record:
    """One record's cells, and the physical line it starts on (1-based, header included)."""

    cells: list[str]
    first_line: int


@dataclass(frozen=True)
class BadRecord:
    """Physical lines that do not read as a record, and why (the reason names the line)."""

    lines: list[str]
    first_line: int
    problem: str


def _stand_in(text: str) -> str | None:
    if "\r" not in text or not _LONE_CR.search(text):
        return None
    for char in _STAND_INS:
        if char not in text:
            return char
    return None  # every stand-in is in use: leave lone CRs to be reported as bad records


def _opening_line(lines: list[str], first_line: int) -> int:
    """The line where the quote left open at the end of ``lines`` was opened.

    Counting quotes is exact for well-formed quoting (an escaped quote is two): the quote
    that is still open is the one after which the count stays odd.
    """
    opened = first_line
    count = 0
    for offset, line in enumerate(lines):
        before = count
        count += line.count('"')
        if before % 2 == 0 and count % 2 == 1:
            opened = first_line + offset
    return opened


def strict_records(text: str, separator: str = ",") -> Iterator[Record | BadRecord]:
    """Records of ``text`` (the header first), reading on past the lines that cannot be read.

    Parameters
    ----------
    text
        The whole file as text, any line ends (LF, CRLF, CR-only files already converted).
    separator
        The cell separator.
    """
    stand_in = _stand_in(text)
    if stand_in is not None:
        text = _LONE_CR.sub(stand_in, text)
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    def restored(line: str) -> str:
        return line.replace(stand_in, "\r") if stand_in is not None else line

    reader = csv.reader(lines(), delimiter=separator, strict=True)
    while True:
        first_line = reader.line_num + 1
        consumed.clear()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            taken = [restored(line) for line in consumed]
            if not taken:
                return
            yield BadRecord(taken, first_line, _problem(str(error), taken, first_line))
            continue
        if stand_in is not None:
            cells = [restored(cell) for cell in cells]
        yield Record(cells, first_line)


def _problem(error: str, lines: list[str], first_line: int) -> str:
    last = first_line + len(lines) - 1
    where = f"line {last}" if first_line == last else f"lines {first_line}-{last}"
    if error.startswith("unexpected end of data"):
        opened = _opening_line(lines, first_line)
        return (
            f"a quote opens on line {opened} and never closes, so {where} (to the end of the "
            'file) would be one cell: each line was set aside. Fix the quote (a stray " in a '
            "cell?) and load again"
        )
    return (
        f"{where}: broken quoting ({error}); set aside. A quote inside a quoted cell must be "
        'doubled ("")'
    )
