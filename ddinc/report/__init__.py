"""The report: checks, statistics and plots of an incident history, as one HTML file.

Computed once (:func:`build_report`), rendered apart (:mod:`ddinc.report.render`), written
to a folder (:func:`write_report`)::

    result = ddinc.load("export.csv")
    rep = report(result.incidents, ddinc.check(result), out="out/report")   # the files
    rep                  # renders in a notebook
    rep.files.html       # out/report/report.html: opens anywhere, no network needed
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from ddinc.checks import CheckReport
from ddinc.report.model import DEFAULT_GROUPS, Report, ReportFiles, build_report
from ddinc.report.write import write_report  # imports the renderer, which registers itself

__all__ = ["DEFAULT_GROUPS", "Report", "ReportFiles", "build_report", "report", "write_report"]


def report(
    incidents: pl.DataFrame,
    checks: CheckReport | None = None,
    *,
    out: str | Path | None = None,
    by: Sequence[str] = DEFAULT_GROUPS,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    include_unreal: bool = False,
    title: str = "Incident history report",
    notes: Sequence[str] = (),
) -> Report:
    """Build the report of ``incidents`` and, when ``out`` is given, write it there.

    ``checks`` is the frame's check report (``ddinc.check(result)``, which carries the load's
    notes); without it the default checks run. The other settings are those of
    :func:`build_report`. The returned :class:`Report` renders as HTML in a notebook; after
    writing, ``.files`` says where each file is.
    """
    built = build_report(
        incidents,
        checks,
        by=by,
        n_boot=n_boot,
        level=level,
        seed=seed,
        include_unreal=include_unreal,
        title=title,
        notes=notes,
    )
    return built if out is None else write_report(built, out)
