"""A :class:`~ddinc.report.Report` as figures (PNG bytes) and one self-contained HTML page.

The page needs no network: styles are inline, plots are embedded as base64 PNG, and every
value from the data is escaped. Figures are drawn with a non-interactive canvas, so this
runs headless (CI, a cron job) with any matplotlib backend configured.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Final

import polars as pl

from ddinc.display import to_html
from ddinc.report.model import Report
from ddinc.stats.units import human_duration

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["figures", "report_html"]

_DPI: Final = 100
_STYLE: Final = """
body { font-family: sans-serif; font-size: 14px; margin: 24px auto; max-width: 1100px;
  color: #222; }
h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; }
.lead { color: #555; }
ul.assumed li { margin: 4px 0; }
figure { margin: 12px 0; } figure img { max-width: 100%; }
.grid { display: flex; flex-wrap: wrap; gap: 8px; }
.grid figure { flex: 1 1 480px; }
table.summary { border-collapse: collapse; } table.summary td, table.summary th {
  border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
table.summary td:first-child, table.summary th:first-child { text-align: left; }
p.ddinc-compare { background: #f6f6f6; padding: 6px 10px; border-left: 4px solid #999; }
p.ddinc-compare.distinguishable { border-left-color: #d7301f; }
"""


def _figure(draw: Callable[..., Axes], size: tuple[float, float]) -> Figure:
    # matplotlib loads only when a report is drawn: `import ddinc` stays light
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, layout="constrained")
    draw(ax=figure.add_subplot())
    return figure


def _measured_phases(report: Report) -> list[str]:
    overall = report.stats["all"].table
    return overall.filter(pl.col("measured") > 0).get_column("phase").to_list()


def figures(report: Report) -> dict[str, bytes]:
    """Every plot of the report as PNG bytes, by file stem, in page order."""
    from ddinc import plot

    incidents, unreal = report.incidents, bool(report.settings["include_unreal"])
    by = "severity" if "severity" in report.stats else None
    drawn: dict[str, Figure] = {
        "checks": _figure(partial(plot.check_chart, report.checks), (8.0, 4.0))
    }
    for name in _measured_phases(report):
        drawn[f"histogram_{name}"] = _figure(
            partial(plot.histogram, incidents, name, by, include_unreal=unreal), (6.4, 3.6)
        )
        drawn[f"ecdf_{name}"] = _figure(
            partial(plot.ecdf, incidents, name, by, include_unreal=unreal), (6.4, 3.6)
        )
    monthly = report.stats.get("month")
    if monthly is not None:
        for name in ("time_to_resolve", "impact_to_resolve"):
            if name in _measured_phases(report):
                drawn[f"monthly_{name}"] = _figure(partial(plot.monthly, monthly, name), (9.0, 4.0))
                break
    drawn["timeline"] = _figure(partial(plot.timeline, incidents), (9.0, 8.0))
    out = {}
    for stem, figure in drawn.items():
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
        out[stem] = buffer.getvalue()
    return out


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


def _summary_table(summary: pl.DataFrame) -> str:
    head = "".join(
        f"<th>{name}</th>"
        for name in ("phase", "measured", "of", "missing", "left out", "p50", "p75", "p90", "p95")
    )
    rows = []
    for row in summary.iter_rows(named=True):
        cells = [
            html.escape(row["duration"]),
            f"{row['measured']:,}",
            f"{row['of']:,}",
            f"{row['missing']:,}",
            html.escape(
                f"{row['left_out']:,} ({row['left_out_reasons']})" if row["left_out"] else "0"
            ),
            *(human_duration(row[key]) for key in ("p50_s", "p75_s", "p90_s", "p95_s")),
        ]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return f'<table class="summary"><tr>{head}</tr>{"".join(rows)}</table>'


def _sources(incidents: pl.DataFrame) -> str:
    if "source" not in incidents.columns or incidents.is_empty():
        return ""
    counts = incidents.get_column("source").fill_null("(none)").value_counts(sort=True)
    listed = ", ".join(f"{source} ({n:,})" for source, n in counts.sort(["count", "source"],
                       descending=[True, False]).iter_rows())  # fmt: skip
    return f" from {html.escape(listed)}"


@to_html.register
def report_html(report: Report, pngs: Mapping[str, bytes] | None = None) -> str:
    """The whole report as one HTML page; ``pngs`` reuses figures already drawn."""
    pngs = figures(report) if pngs is None else pngs
    settings = report.settings
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(report.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="lead">{report.incidents.height:,} incidents{_sources(report.incidents)}. '
        f"Generated {report.generated:%Y-%m-%d %H:%M} UTC by ddinc. Durations are long-tailed, "
        "so they are reported as medians and upper percentiles with "
        f"{float(str(settings['level'])):.0%} bootstrap intervals "
        f"({settings['n_boot']:,} resamples, seed {settings['seed']}), never as means.</p>",
        "<h2>What was assumed and left out</h2>",
        '<ul class="assumed">',
        *(f"<li>{html.escape(sentence)}</li>" for sentence in report.assumptions),
        "</ul>",
        "<h2>Checks</h2>",
        _img(pngs["checks"], "incidents failing each check") if "checks" in pngs else "",
        report.checks.to_html(max_rows=10),
        "<h2>Timeline at a glance</h2>",
        _summary_table(report.summary),
    ]
    if report.comparisons:
        parts.append("<h2>Earlier against later</h2>")
        parts.extend(comparison.to_html() for comparison in report.comparisons)
    parts.append("<h2>Durations</h2>")
    for name, stats in report.stats.items():
        if name == "month":
            continue
        heading = "All incidents" if name == "all" else f"By {name}"
        parts.append(f"<h3>{html.escape(heading)}</h3>{stats.to_html()}")
    distributions = [stem for stem in pngs if stem.startswith(("histogram_", "ecdf_"))]
    if distributions:
        parts.append("<h2>Distributions</h2><div class='grid'>")
        parts.extend(_img(pngs[stem], stem.replace("_", " ")) for stem in distributions)
        parts.append("</div>")
    monthly = [stem for stem in pngs if stem.startswith("monthly_")]
    if monthly:
        parts.append("<h2>Month by month</h2>")
        parts.extend(_img(pngs[stem], stem.replace("_", " ")) for stem in monthly)
    if "timeline" in pngs:
        parts.append("<h2>Latest incidents</h2>")
        parts.append(_img(pngs["timeline"], "latest incidents, phase by phase"))
    parts.append(
        '<p class="lead">Every statistic is also in stats.csv and stats.parquet beside this '
        "page (one row per grouping, group and phase, seconds).</p></body></html>"
    )
    return "\n".join(part for part in parts if part)
