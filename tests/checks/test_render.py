"""A report as text and HTML: everything escaped, nothing hidden, computed numbers only."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ddinc.checks import run_checks
from ddinc.checks.render import report_html, report_text
from tests.checks.conftest import CONTEXT, incident, incidents


class _Cells(HTMLParser):
    """Collects the text of every <td>, and the tags seen."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.tags: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "td":
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.cells[-1] += data


def parse(page: str) -> _Cells:
    parser = _Cells()
    parser.feed(page)
    return parser


def test_html_shows_hostile_titles_as_text() -> None:
    hostile = '<img src=x onerror="alert(1)"> & </table>'
    report = run_checks(incidents(incident(title=hostile, state="active")), context=CONTEXT)
    parsed = parse(report_html(report))
    assert "img" not in parsed.tags
    assert hostile in parsed.cells


def test_html_keeps_trailing_spaces_and_shows_nulls() -> None:
    report = run_checks(
        incidents(incident(title="DB down  ", state="active", source_id=None)), context=CONTEXT
    )
    parsed = parse(report_html(report))
    assert "DB down  " in parsed.cells
    assert "null" in parsed.cells
    assert "white-space: pre-wrap" in report_html(report)


def test_html_limits_rows_and_says_how_many_more() -> None:
    report = run_checks(incidents(*[incident(title="")] * 5), context=CONTEXT)
    page = report_html(report, max_rows=2)
    assert "... and 3 more" in page
    assert "report.failing(&#x27;title_missing&#x27;)" in page


def test_html_truncates_very_long_cells() -> None:
    report = run_checks(incidents(incident(title="x" * 5000)), context=CONTEXT)
    longest = max(len(cell) for cell in parse(report_html(report)).cells)
    assert longest == 200


def test_html_lists_every_check_and_the_notes() -> None:
    report = run_checks(incidents(incident()), context=CONTEXT, notes=["naive <times>"])
    page = report_html(report)
    for result in report.results:
        assert f"<td>{result.name}</td>" in page
    assert "naive &lt;times&gt;" in page
    assert "nothing blocks the push" in page


def test_text_has_one_line_per_check_then_notes() -> None:
    report = run_checks(
        incidents(incident(), incident(title="")), context=CONTEXT, notes=["2 rows quarantined"]
    )
    lines = report_text(report).splitlines()
    assert lines[0].startswith("2 incidents checked: 1 incident(s) blocked by 1 error check(s)")
    check_lines = lines[1 : 1 + len(report.results)]
    assert [line.split()[1] for line in check_lines] == [r.name for r in report.results]
    assert re.search(r"ERROR\s+title_missing\s+1\s+\(50\.0%\)", "\n".join(check_lines))
    assert lines[-2:] == ["notes:", "  - 2 rows quarantined"]
