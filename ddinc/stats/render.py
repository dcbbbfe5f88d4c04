""":class:`~ddinc.stats.PhaseStats` as text (terminal) and HTML (notebooks, the report).

Display only: every number was computed by :func:`ddinc.stats.phase_stats`. Values show in
readable units with their confidence interval; text from the data (group names) is escaped.
"""

from __future__ import annotations

import html
from typing import Any, Final

import polars as pl

from ddinc.display import to_html, to_text
from ddinc.stats.phases import PhaseStats
from ddinc.stats.units import human_duration

__all__ = ["STATS_STYLE", "coverage", "stats_html", "stats_text"]

STATS_STYLE: Final = """
.ddinc-stats { font-family: sans-serif; font-size: 13px; }
.ddinc-stats table { border-collapse: collapse; margin: 4px 0 12px 0; }
.ddinc-stats th, .ddinc-stats td { border: 1px solid #ccc; padding: 2px 6px;
  text-align: left; vertical-align: top; }
.ddinc-stats td.num { text-align: right; white-space: nowrap; }
.ddinc-stats .ci { color: #666; font-size: 11px; }
.ddinc-stats .why { color: #666; font-size: 11px; }
"""
_STATS: Final = (
    ("median", "median"),
    ("p75", "p75"),
    ("p90", "p90"),
    ("p95", "p95"),
    ("geomean", "geometric mean"),
)


def coverage(row: dict[str, Any]) -> str:
    """``"measured from N of M"`` and why the rest are not, for one row of the table."""
    text = f"measured from {row['measured']:,} of {row['of']:,}"
    reasons = []
    if row["missing"]:
        reasons.append(f"missing: {row['missing_reasons']}")
    if row["left_out"]:
        reasons.append(f"left out: {row['left_out_reasons']}")
    return f"{text} ({'; '.join(reasons)})" if reasons else text


def _interval(row: dict[str, Any], stat: str) -> str:
    low, high = row[f"{stat}_lo_s"], row[f"{stat}_hi_s"]
    return f"{human_duration(low)} - {human_duration(high)}" if low is not None else ""


@to_html.register
def stats_html(stats: PhaseStats) -> str:
    """An HTML table, one row per group and phase, with a caption saying how it was made."""
    header = ["phase", stats.by if stats.by != "all" else "incidents", "measured"]
    header += [label for _, label in _STATS]
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = []
    measured = stats.table.group_by("phase").agg(pl.col("measured").sum())
    unmeasured = set(measured.filter(pl.col("measured") == 0).get_column("phase").to_list())
    for row in stats.table.iter_rows(named=True):
        if row["phase"] in unmeasured:
            continue
        cells = [
            f"<td>{html.escape(row['phase'])}</td>",
            f"<td>{html.escape(row['group'])}</td>",
            f'<td class="why">{html.escape(coverage(row))}</td>',
        ]
        for stat, _ in _STATS:
            value = human_duration(row[f"{stat}_s"])
            interval = html.escape(_interval(row, stat))
            ci = f'<br><span class="ci">{interval}</span>' if interval else ""
            cells.append(f'<td class="num">{html.escape(value)}{ci}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = _caption(stats)
    if unmeasured:
        names = ", ".join(
            p
            for p in stats.table.get_column("phase").unique(maintain_order=True)
            if p in unmeasured
        )
        caption += f" Not measured for any incident, so not shown: {names}."
    caption = html.escape(caption)
    return (
        f'<div class="ddinc-stats"><style>{STATS_STYLE}</style><table><caption>{caption}'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _caption(stats: PhaseStats) -> str:
    kept = (
        "zero-length back-fills and reversed intervals included"
        if stats.include_unreal
        else "zero-length back-fills and reversed intervals left out"
    )
    return (
        f"Durations per phase; under each value its {stats.level:.0%} bootstrap interval "
        f"({stats.n_boot:,} resamples, seed {stats.seed}); {kept}; the geometric mean uses "
        "the values above 0 s."
    )


@to_text.register
def stats_text(stats: PhaseStats) -> str:
    """A plain-text table for a terminal."""
    lines = [_caption(stats)]
    width = max((len(row["group"]) for row in stats.table.iter_rows(named=True)), default=3)
    for row in stats.table.iter_rows(named=True):
        values = "  ".join(
            f"{label} {human_duration(row[f'{stat}_s'])}" for stat, label in _STATS[:4]
        )
        lines.append(f"  {row['phase']:<18} {row['group']:<{width}}  {values}  [{coverage(row)}]")
    return "\n".join(lines)
