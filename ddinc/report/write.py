"""Writing a :class:`~ddinc.report.Report` to a folder: HTML, statistics, plots.

Files (names fixed, so scripts and tickets can point at them):

- ``report.html``: the self-contained page;
- ``stats.csv`` and ``stats.parquet``: every grouping's statistics (seconds);
- ``comparisons.csv``: earlier against later, when the period allows it;
- ``timeline_summary.csv``: the per-phase summary;
- ``plots/<name>.png``: each plot of the page.

The CSVs are formula-safe (:mod:`ddinc.safe_csv`): a group label such as ``@SUM(1)`` is
written ``'@SUM(1)`` and :func:`ddinc.safe_csv.read_table` reads it back as it was.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ddinc.errors import ConfigError
from ddinc.report.model import Report, ReportFiles
from ddinc.report.render import figures, report_html
from ddinc.safe_csv import write_table

__all__ = ["write_report"]


def write_report(report: Report, directory: str | Path) -> Report:
    """Write ``report`` into ``directory`` (created if needed); the report with its files."""

    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is a file; give a folder for the report (-o DIR)")
    plots_dir = out / "plots"
    try:
        plots_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"cannot create {plots_dir}: {error.strerror}; pick another folder"
        ) from None
    pngs = figures(report)
    plots = []
    for stem, png in pngs.items():
        path = plots_dir / f"{stem}.png"
        path.write_bytes(png)
        plots.append(path)
    page = out / "report.html"
    page.write_text(report_html(report, pngs), encoding="utf-8")
    statistics = report.statistics()
    stats_csv, stats_parquet = out / "stats.csv", out / "stats.parquet"
    write_table(statistics, stats_csv)
    statistics.write_parquet(stats_parquet)
    summary_csv = out / "timeline_summary.csv"
    write_table(report.summary, summary_csv)
    comparisons_csv = None
    if report.comparisons:
        comparisons_csv = out / "comparisons.csv"
        write_table(report.comparison_table(), comparisons_csv)
    files = ReportFiles(
        directory=out,
        html=page,
        stats_csv=stats_csv,
        stats_parquet=stats_parquet,
        summary_csv=summary_csv,
        comparisons_csv=comparisons_csv,
        plots=tuple(plots),
    )
    return replace(report, files=files)
