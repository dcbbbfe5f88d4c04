"""The report's content, computed once: checks, statistics, comparisons, what was assumed.

:func:`build_report` does every computation; :mod:`ddinc.report.render` turns the result into
HTML and figures, and :mod:`ddinc.report.write` into files. Nothing here draws or writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Final

import polars as pl

from ddinc.checks import CheckReport, run_checks
from ddinc.display import to_html
from ddinc.errors import ConfigError
from ddinc.stats import Comparison, PhaseStats, compare_periods, phase_stats
from ddinc.timeline import PHASES, timeline_summary

__all__ = ["DEFAULT_GROUPS", "Report", "ReportFiles", "build_report"]

DEFAULT_GROUPS: Final = ("severity", "team", "service", "source", "month")
"""Groupings reported when their column holds something (overall statistics always are)."""
_GROUP_COLUMNS: Final = {"team": "teams", "service": "services", "month": "declared"}
_COMPARED: Final = ("time_to_resolve", "impact_to_resolve")


@dataclass(frozen=True)
class ReportFiles:
    """Where a report was written."""

    directory: Path
    html: Path
    stats_csv: Path
    stats_parquet: Path
    summary_csv: Path
    comparisons_csv: Path | None
    plots: tuple[Path, ...]

    def all(self) -> list[Path]:
        """Every file written."""
        files = [self.html, self.stats_csv, self.stats_parquet, self.summary_csv]
        if self.comparisons_csv is not None:
            files.append(self.comparisons_csv)
        return [*files, *self.plots]


@dataclass(frozen=True, eq=False)
class Report:
    """Everything the report shows, as data.

    Attributes
    ----------
    incidents
        The canonical frame reported on (the plots draw from it).
    checks
        The check report.
    summary
        :func:`ddinc.timeline.timeline_summary` of the incidents.
    stats
        Statistics per grouping: ``"all"`` first, then each of ``by`` that applies.
    comparisons
        The earlier half of the period against the later half, per compared phase.
    assumptions
        What was assumed or left out, one sentence each.
    settings
        The statistical settings (``n_boot``, ``level``, ``seed``, ``include_unreal``).
    """

    incidents: pl.DataFrame
    checks: CheckReport
    summary: pl.DataFrame
    stats: dict[str, PhaseStats]
    comparisons: tuple[Comparison, ...]
    assumptions: tuple[str, ...]
    settings: dict[str, object]
    title: str = "Incident history report"
    generated: datetime = field(default_factory=lambda: datetime.now(UTC))
    files: ReportFiles | None = None

    def statistics(self) -> pl.DataFrame:
        """Every grouping's statistics in one frame (``by`` says which grouping a row is in)."""
        return pl.concat([stats.table for stats in self.stats.values()], how="vertical")

    def comparison_table(self) -> pl.DataFrame:
        """One row per comparison (see :meth:`ddinc.stats.Comparison.to_frame`)."""
        frames = [comparison.to_frame() for comparison in self.comparisons]
        return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()

    @cached_property
    def html(self) -> str:
        """The self-contained HTML page (plots embedded), rendered once."""
        return to_html(self)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        written = f", written to {self.files.directory}" if self.files else ""
        return (
            f"Report({self.incidents.height} incidents, {len(self.stats)} grouping(s), "
            f"{len(self.comparisons)} comparison(s){written})"
        )


def _applies(incidents: pl.DataFrame, by: str) -> bool:
    column = _GROUP_COLUMNS.get(by, by)
    if column not in incidents.columns:
        return False
    values = incidents.get_column(column)
    if isinstance(values.dtype, pl.List):
        return bool(values.list.len().sum())
    return values.null_count() < values.len()


def _assumptions(
    incidents: pl.DataFrame, checks: CheckReport, summary: pl.DataFrame, include_unreal: bool
) -> list[str]:
    sentences = list(checks.notes)
    rows = {row["duration"]: row for row in summary.iter_rows(named=True)}
    if incidents.height and "detected" in incidents.columns:
        absent = incidents.get_column("detected").null_count()
        if absent == incidents.height:
            sentences.append(
                "No incident records when it was detected, so time to detect, to declare and "
                "to repair cannot be measured; impact_to_declare and impact_to_resolve show "
                "the delays from impact start instead. Setting detected from impact start or "
                "from declared (the detected_from option) would measure them, by assumption."
            )
        elif absent:
            sentences.append(f"{absent:,} of {incidents.height:,} incidents have no detected time.")
    for name in PHASES:
        row = rows.get(name)
        if row and row["left_out"]:
            sentences.append(
                f"{name}: {row['left_out']:,} value(s) left out of the statistics "
                f"({row['left_out_reasons']})."
            )
    if include_unreal:
        sentences.append(
            "Zero-length back-fills and reversed intervals are included in the statistics "
            "(include_unreal): medians may be pulled towards 0 s."
        )
    else:
        sentences.append(
            "Durations that are not real (all timestamps equal: a back-fill; or negative: a "
            "reversed interval) are left out of the statistics; the checks list them."
        )
    return sentences


def _comparisons(
    incidents: pl.DataFrame, *, n_boot: int, level: float, seed: int, include_unreal: bool
) -> list[Comparison]:
    if "declared" not in incidents.columns:
        return []
    declared = incidents.get_column("declared").drop_nulls()
    if declared.len() < 4:
        return []
    middle = declared.sort()[declared.len() // 2]
    if not isinstance(middle, datetime) or middle == declared.min():
        return []
    return [
        compare_periods(
            incidents,
            name,
            split=middle.date(),
            n_boot=n_boot,
            level=level,
            seed=seed,
            include_unreal=include_unreal,
        )
        for name in _COMPARED
    ]


def build_report(
    incidents: pl.DataFrame,
    checks: CheckReport | None = None,
    *,
    by: Sequence[str] = DEFAULT_GROUPS,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    include_unreal: bool = False,
    title: str = "Incident history report",
    notes: Sequence[str] = (),
) -> Report:
    """Compute everything the report shows, once.

    Parameters
    ----------
    incidents
        A canonical frame (``ddinc.load(...).incidents``).
    checks
        Its check report (``ddinc.check(result)``); run with defaults when not given.
    by
        Groupings for the statistics (those whose column is empty are skipped).
    n_boot, level, seed, include_unreal
        As in :func:`ddinc.stats.phase_stats`.
    title, notes
        The page title, and sentences to add to "what was assumed".
    """
    if not isinstance(incidents, pl.DataFrame):
        raise ConfigError(
            f"a report needs a polars DataFrame of incidents, not {type(incidents).__name__}; "
            "pass ddinc.load(...).incidents"
        )
    checks = checks if checks is not None else run_checks(incidents)
    if checks.n_incidents != incidents.height:
        raise ConfigError(
            f"the check report covers {checks.n_incidents} incidents but the frame has "
            f"{incidents.height}; run the checks on this frame (ddinc.check(result))"
        )
    settings: dict[str, object] = {
        "n_boot": n_boot,
        "level": level,
        "seed": seed,
        "include_unreal": include_unreal,
    }
    unknown = [
        name
        for name in by
        if name not in (*DEFAULT_GROUPS, "all", "teams", "services")
        and name not in incidents.columns
    ]
    if unknown:
        raise ConfigError(
            f"cannot group by {', '.join(unknown)}: not a column of the frame; group by "
            f"{', '.join(DEFAULT_GROUPS)} or a column"
        )
    summary = timeline_summary(incidents, include_unreal=include_unreal)
    groupings = ["all", *(name for name in by if name != "all" and _applies(incidents, name))]
    stats = {
        name: phase_stats(
            incidents,
            None if name == "all" else name,
            n_boot=n_boot,
            level=level,
            seed=seed,
            include_unreal=include_unreal,
        )
        for name in dict.fromkeys(groupings)
    }
    return Report(
        incidents=incidents,
        checks=checks,
        summary=summary,
        stats=stats,
        comparisons=tuple(
            _comparisons(
                incidents, n_boot=n_boot, level=level, seed=seed, include_unreal=include_unreal
            )
        ),
        assumptions=(*_assumptions(incidents, checks, summary, include_unreal), *notes),
        settings=settings,
        title=title,
    )
