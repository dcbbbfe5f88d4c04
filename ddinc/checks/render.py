"""A :class:`~ddinc.checks.report.CheckReport` as plain text (CLI) and as HTML (notebooks).

Display only: every number shown here was computed by :func:`ddinc.checks.run_checks`. All
values pass through :func:`html.escape`, since titles and messages are legacy free text. Nulls
show as a visible ``null``, and whitespace is kept (``white-space: pre-wrap``) so that
trailing spaces are not hidden.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Final

from ddinc.checks.model import Level
from ddinc.checks.report import CheckReport, CheckResult
from ddinc.display import to_html, to_text

__all__ = ["report_html", "report_text"]

_MAX_CELL_CHARS: Final = 200
_STYLE: Final = """
.ddinc-checks { font-family: sans-serif; font-size: 13px; }
.ddinc-checks table { border-collapse: collapse; margin: 4px 0 12px 0; }
.ddinc-checks th, .ddinc-checks td { border: 1px solid #ccc; padding: 2px 6px;
  text-align: left; vertical-align: top; white-space: pre-wrap; }
.ddinc-checks .error { color: #b00020; font-weight: bold; }
.ddinc-checks .warning { color: #8a6d00; font-weight: bold; }
.ddinc-checks .null { color: #999; font-style: italic; }
.ddinc-checks .num { text-align: right; }
"""


def _headline(report: CheckReport) -> str:
    failing = [result for result in report.results if result.n_failing]
    errors = sum(1 for result in failing if result.level == Level.ERROR)
    warnings = len(failing) - errors
    verdict = (
        f"{report.n_errors:,} incident(s) blocked by {errors} error check(s)"
        if report.blocking
        else "nothing blocks the push"
    )
    return (
        f"{report.n_incidents:,} incidents checked: {verdict}; "
        f"{report.n_warnings:,} incident(s) with warnings from {warnings} check(s)"
    )


@to_text.register
def report_text(report: CheckReport) -> str:
    """A plain-text summary: the verdict, one line per check, then the notes."""
    width = max((len(result.name) for result in report.results), default=0)
    lines = [_headline(report)]
    for result in report.results:
        count = f"{result.n_failing:,}" if result.n_failing else "ok"
        share = f"  ({result.share:.1%})" if result.n_failing else ""
        lines.append(f"  {result.level.value.upper():<7} {result.name:<{width}}  {count:>7}{share}")
    if report.notes:
        lines.append("notes:")
        lines.extend(f"  - {note}" for note in report.notes)
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return '<td class="null">null</td>'
    # source_rows: file rows as a reader would write them, not a Python list.
    shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if len(shown) > _MAX_CELL_CHARS:
        shown = shown[: _MAX_CELL_CHARS - 1] + "\N{HORIZONTAL ELLIPSIS}"
    css = ' class="num"' if isinstance(value, int | float) else ""
    return f"<td{css}>{html.escape(shown)}</td>"


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _level(level: Level) -> str:
    return f'<span class="{level.value}">{html.escape(level.value)}</span>'


def _summary_table(report: CheckReport) -> str:
    head = "".join(
        f"<th>{name}</th>" for name in ("check", "level", "failing", "share", "what it looks for")
    )
    body = "".join(
        "<tr>"
        f"<td>{html.escape(result.name)}</td><td>{_level(result.level)}</td>"
        f"{_cell(result.n_failing)}{_cell(f'{result.share:.1%}')}"
        f"{_cell(result.check.description)}</tr>"
        for result in report.results
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _failing_section(result: CheckResult, max_rows: int) -> str:
    rows = result.rows.drop("check", "level")
    shown = rows.head(max_rows)
    more = rows.height - shown.height
    call = html.escape(f"report.failing({result.name!r})")
    tail = f"<p>... and {more:,} more: {call} gives them all.</p>" if more else ""
    summary = f"{_level(result.level)} {html.escape(result.name)}: {result.n_failing:,} row(s)"
    return (
        f"<details><summary>{summary}</summary>"
        f"{_table(shown.columns, shown.iter_rows())}{tail}</details>"
    )


@to_html.register
def report_html(report: CheckReport, *, max_rows: int = 20) -> str:
    """A self-contained HTML fragment: verdict, a table of checks, failing rows per check."""
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in report.notes)
    sections = "".join(
        _failing_section(result, max_rows) for result in report.results if result.n_failing
    )
    return (
        f'<div class="ddinc-checks"><style>{_STYLE}</style>'
        f"<p><b>{html.escape(_headline(report))}</b></p>"
        f"{f'<ul>{notes}</ul>' if notes else ''}"
        f"{_summary_table(report)}{sections}</div>"
    )
