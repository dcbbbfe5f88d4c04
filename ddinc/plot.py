"""Plots of incident durations and checks (matplotlib): readable by default, one call to save.

Every function takes a frame (or a check report), an optional ``ax`` to draw on, and returns
the Axes, so plots compose into a figure of the analyst's own. Durations are long-tailed, so
they are drawn on log scales with ticks in readable units (``1 min``, ``1 h``, ``1 d``).
Values of 0 s (or below, with ``include_unreal=True``) cannot sit on a log scale; a plot
says how many it did not show. Statistics come from :mod:`ddinc.stats`, so what a plot shows
is what the tables say (same exclusions, same intervals)::

    ax = ddinc.plot.histogram(incidents, "resolve")     # per severity
    ax.figure                                           # shows it in a notebook
    ddinc.plot.save(ax, "resolve.png")                  # or .svg
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl
from matplotlib import ticker as mticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ddinc.checks import CheckReport
from ddinc.errors import ConfigError
from ddinc.schema import SEVERITIES
from ddinc.stats import PhaseStats, human_duration, phase_names, phase_stats, phase_values
from ddinc.stats.units import unit_for

__all__ = [
    "SEVERITY_COLOURS",
    "PlotFigure",
    "check_chart",
    "duration_axis",
    "ecdf",
    "histogram",
    "monthly",
    "save",
    "timeline",
]

# Datadog's severities from hot to cold; UNKNOWN and missing in greys.
SEVERITY_COLOURS: Final = {
    "SEV-0": "#7f0000",
    "SEV-1": "#d7301f",
    "SEV-2": "#fc8d59",
    "SEV-3": "#e6b800",
    "SEV-4": "#4a90d9",
    "SEV-5": "#6baed6",
    "UNKNOWN": "#808080",
    "(none)": "#bdbdbd",
}
_OTHER_COLOURS: Final = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
_NICE_SECONDS: Final = (
    1,
    10,
    60,
    5 * 60,
    15 * 60,
    3600,
    3 * 3600,
    12 * 3600,
    86_400,
    3 * 86_400,
    7 * 86_400,
    30 * 86_400,
    91 * 86_400,
    365 * 86_400,
)
_MAX_TICKS: Final = 8
_LEVEL_COLOURS: Final = {"error": "#b00020", "warning": "#d4a017"}


class PlotFigure(Figure):
    """A figure that shows itself in a notebook (``ax.figure``) without pyplot.

    Plots never go through pyplot, so nothing accumulates in its global figure registry
    (a report draws many); this figure renders itself as PNG for Jupyter instead.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    figure = PlotFigure(figsize=size, layout="constrained")
    return figure.add_subplot()


def _tick_label(seconds: float) -> str:
    if seconds >= 365 * 86_400:
        return f"{seconds / (365 * 86_400):g} y"
    if seconds >= 7 * 86_400 and seconds % (7 * 86_400) == 0:
        return f"{seconds / (7 * 86_400):g} w"
    name, unit = unit_for(seconds)
    return f"{seconds / unit:g} {name}"


def duration_axis(ax: Axes, low: float, high: float, axis: str = "x") -> Axes:
    """Make ``axis`` of ``ax`` a log scale from ``low`` to ``high`` seconds with readable ticks."""
    low, high = max(low, 1e-3), max(high, low * 10)
    ticks: list[float] = [float(s) for s in _NICE_SECONDS if low <= s <= high]
    while len(ticks) > _MAX_TICKS:
        ticks = ticks[::2]
    if len(ticks) < 2:
        ticks = [low, high]
    scale, limits = (ax.set_xscale, ax.set_xlim) if axis == "x" else (ax.set_yscale, ax.set_ylim)
    scale("log")
    limits(low, high)
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(mticker.FixedLocator(ticks))
    target.set_major_formatter(mticker.FixedFormatter([_tick_label(s) for s in ticks]))
    target.set_minor_locator(mticker.NullLocator())
    return ax


def _colour(group: str, index: int, by: str | None) -> str:
    if by == "severity" and group in SEVERITY_COLOURS:
        return SEVERITY_COLOURS[group]
    return _OTHER_COLOURS[index % len(_OTHER_COLOURS)]


def _split(
    incidents: pl.DataFrame, phase: str, by: str | None, include_unreal: bool
) -> tuple[str, list[tuple[str, np.ndarray]], int]:
    """Phase name, positive seconds per group (groups in the stats' order), values not shown."""
    (name,) = phase_names(phase)
    long = phase_values(incidents, name, by, include_unreal=include_unreal)
    kept = long.filter(pl.col("seconds").is_not_null() & pl.col("left_out").is_null())
    hidden = kept.filter(pl.col("seconds") <= 0).height
    positive = kept.filter(pl.col("seconds") > 0)
    groups = list(dict.fromkeys(positive.get_column("group").to_list()))
    rank = {s: i for i, s in enumerate((*SEVERITIES, "(none)"))}
    groups.sort(key=lambda g: (rank.get(g, len(rank)), g))
    split = [
        (g, np.sort(positive.filter(pl.col("group") == g).get_column("seconds").to_numpy()))
        for g in groups
    ]
    return name, split, hidden


def _finish(ax: Axes, title: str, hidden: int, empty: bool) -> None:
    """Title the plot; what it could not show goes under the x label, never over the data."""
    ax.set_title(title)
    notes = []
    if hidden:
        notes.append(f"{hidden:,} value(s) of 0 s or less not shown on the log scale")
    if empty:
        notes.append("nothing measured")
    if notes:
        ax.set_xlabel(f"{ax.get_xlabel()}\n({'; '.join(notes)})".lstrip("\n"))


def _range(split: Sequence[tuple[str, np.ndarray]]) -> tuple[float, float]:
    values = [v for _, v in split if v.size]
    if not values:
        return 1.0, 86_400.0
    return float(min(v[0] for v in values)) / 1.5, float(max(v[-1] for v in values)) * 1.5


def histogram(
    incidents: pl.DataFrame,
    phase: str = "time_to_resolve",
    by: str | None = "severity",
    *,
    ax: Axes | None = None,
    bins: int = 30,
    include_unreal: bool = False,
) -> Axes:
    """Log-scale histogram of one phase, one step outline per group of ``by``."""
    ax = _axes(ax)
    name, split, hidden = _split(incidents, phase, by, include_unreal)
    low, high = _range(split)
    edges = np.geomspace(low, high, bins + 1)
    for index, (group, values) in enumerate(split):
        ax.hist(
            values,
            bins=edges.tolist(),
            histtype="step",
            linewidth=1.6,
            color=_colour(group, index, by),
            label=f"{group} (n = {values.size:,})",
        )
    duration_axis(ax, low, high)
    ax.set_xlabel(f"{name.replace('_', ' ')} (log scale)")
    ax.set_ylabel("incidents")
    if split:
        ax.legend(title=by, fontsize="small", loc="upper left")
    _finish(ax, f"{name.replace('_', ' ')} per {by or 'incident'}", hidden, not split)
    return ax


def ecdf(
    incidents: pl.DataFrame,
    phase: str = "time_to_resolve",
    by: str | None = "severity",
    *,
    ax: Axes | None = None,
    include_unreal: bool = False,
) -> Axes:
    """Empirical cumulative distribution of one phase per group, log-scale durations."""
    ax = _axes(ax)
    name, split, hidden = _split(incidents, phase, by, include_unreal)
    for index, (group, values) in enumerate(split):
        share = np.arange(1, values.size + 1) / values.size
        ax.step(
            values,
            share,
            where="post",
            linewidth=1.6,
            color=_colour(group, index, by),
            label=f"{group} (n = {values.size:,})",
        )
    low, high = _range(split)
    duration_axis(ax, low, high)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.set_xlabel(f"{name.replace('_', ' ')} (log scale)")
    ax.set_ylabel("share of incidents at or below")
    ax.grid(True, alpha=0.3)
    if split:
        ax.legend(title=by, fontsize="small", loc="lower right")
    _finish(
        ax, f"{name.replace('_', ' ')}: cumulative share per {by or 'incident'}", hidden, not split
    )
    return ax


_CHAIN: Final = ("impact_start", "detected", "declared", "resolved")
# A segment of a bar is coloured by the event that ends it: the phase it measures.
_SEGMENTS: Final = {
    "detected": ("time to detect", "#9ecae1"),
    "declared": ("time to declare", "#fdae6b"),
    "resolved": ("time to resolve", "#a1d99b"),
}


def timeline(
    incidents: pl.DataFrame,
    *,
    ax: Axes | None = None,
    limit: int = 25,
    label: str = "title",
    max_label: int = 40,
) -> Axes:
    """The ``limit`` latest incidents, each a bar from impact start to resolution.

    Bars are aligned on their own start (``impact_start``, else the first known time), so
    incidents months apart compare at a glance; each row is labelled with its start date and
    ``label`` (cut at ``max_label`` characters). A bar is split into its phases (to detect,
    to declare, to resolve) between the times the incident has; ``impact_end`` is marked. The
    axis stops a little past the 90th percentile of bar lengths; longer bars run to the edge
    and say their length.
    """
    missing = [name for name in _CHAIN if name not in incidents.columns]
    if missing:
        raise ConfigError(f"timeline() needs the column(s) {', '.join(missing)}")
    first = pl.coalesce([pl.col(name) for name in _CHAIN])
    rows = (
        incidents.with_columns(_start=first)
        .filter(pl.col("_start").is_not_null())
        .sort("_start", descending=True)
        .head(limit)
        .sort("_start")
    )
    ax = _axes(ax, (9.0, max(2.5, 0.32 * rows.height + 1.4)))
    offsets = {
        name: rows.select((pl.col(name) - pl.col("_start")).dt.total_seconds(fractional=True))
        .to_series()
        .to_numpy()
        for name in (*_CHAIN, "impact_end")
        if name in rows.columns
    }
    lengths = (
        np.nanmax(np.vstack([offsets[name] for name in _CHAIN]), axis=0)
        if rows.height
        else np.zeros(0)
    )
    edge = float(np.quantile(lengths, 0.9)) * 1.15 if lengths.size else 3600.0
    edge = max(edge, 60.0)
    unit_name, unit = unit_for(edge)
    shown = set()
    for position in range(rows.height):
        previous = 0.0
        for name in _CHAIN[1:]:
            at = offsets[name][position]
            if np.isnan(at) or at < previous:
                continue
            text, colour = _SEGMENTS[name]
            ax.barh(
                position,
                (min(at, edge) - previous) / unit,
                left=previous / unit,
                height=0.55,
                color=colour,
                label=None if text in shown else text,
            )
            shown.add(text)
            previous = min(at, edge)
        if np.isnan(offsets["resolved"][position]):
            ax.text(
                previous / unit,
                position,
                " not resolved",
                va="center",
                fontsize="x-small",
                color="#555555",
            )
        if lengths[position] > edge:
            ax.text(
                edge / unit,
                position,
                f" {human_duration(float(lengths[position]))} ",
                va="center",
                ha="right",
                fontsize="x-small",
            )
    if "impact_end" in offsets and rows.height:
        ends = offsets["impact_end"]
        inside = ~np.isnan(ends) & (ends <= edge)
        if inside.any():
            ax.plot(
                ends[inside] / unit,
                np.arange(rows.height)[inside],
                linestyle="none",
                marker="|",
                markersize=12,
                color="#54278f",
                label="impact end",
            )
    dates = rows.get_column("_start").dt.strftime("%Y-%m-%d").to_list()
    labels = (
        rows.get_column(label).cast(pl.String).fill_null("(untitled)").to_list()
        if label in rows.columns
        else [""] * rows.height
    )
    ax.set_yticks(
        np.arange(rows.height),
        [f"{day}  {_cut(text, max_label)}" for day, text in zip(dates, labels, strict=True)],
        fontsize="small",
    )
    ax.set_ylim(-0.7, max(rows.height - 0.3, 0.7))
    ax.set_xlim(0, edge / unit)
    words = {"s": "seconds", "min": "minutes", "h": "hours", "d": "days"}
    ax.set_xlabel(f"{words[unit_name]} since impact start (or the first known time)")
    ax.grid(True, axis="x", alpha=0.3)
    if shown:
        handles, names = ax.get_legend_handles_labels()
        order = [text for text, _ in _SEGMENTS.values()] + ["impact end"]
        ranked = sorted(zip(handles, names, strict=True), key=lambda h: order.index(h[1]))
        ax.legend(
            [h for h, _ in ranked], [n for _, n in ranked], fontsize="small", loc="lower right"
        )
    _finish(ax, f"the {rows.height} latest incidents, phase by phase", 0, not rows.height)
    return ax


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "\N{HORIZONTAL ELLIPSIS}"


def monthly(
    incidents: pl.DataFrame | PhaseStats,
    phase: str = "time_to_resolve",
    *,
    ax: Axes | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    include_unreal: bool = False,
) -> Axes:
    """Incidents per month (bars) and the phase's monthly median with its interval (line, band).

    Pass a :class:`~ddinc.stats.PhaseStats` made with ``by="month"`` to draw statistics
    already computed; a frame is summarised with :func:`ddinc.stats.phase_stats`.
    """
    (name,) = phase_names(phase)
    stats = (
        incidents
        if isinstance(incidents, PhaseStats)
        else phase_stats(
            incidents, "month", phases=name, n_boot=n_boot, seed=seed, include_unreal=include_unreal
        )
    )
    if stats.by != "month":
        raise ConfigError(f"monthly() needs statistics by month, not by {stats.by!r}")
    table = stats.table.filter((pl.col("phase") == name) & (pl.col("group") != "(none)"))
    ax = _axes(ax, (9.0, 4.0))
    months = table.get_column("group").to_list()
    x = np.arange(len(months))
    ax.bar(x, table.get_column("of").to_numpy(), color="#d9d9d9", label="incidents")
    ax.set_ylabel("incidents per month")
    step = max(1, len(months) // 12)
    ax.set_xticks(x[::step], months[::step], rotation=45, ha="right", fontsize="small")
    right = ax.twinx()
    medians = table.get_column("median_s").to_numpy()
    measured = ~np.isnan(medians.astype(float))
    low = table.get_column("median_lo_s").to_numpy().astype(float)
    high = table.get_column("median_hi_s").to_numpy().astype(float)
    if measured.any():
        right.fill_between(
            x[measured],
            low[measured],
            high[measured],
            color="#fc8d59",
            alpha=0.3,
            linewidth=0,
            label=f"{stats.level:.0%} interval",
        )
        right.plot(
            x[measured],
            medians[measured],
            color="#d7301f",
            marker="o",
            markersize=3,
            label=f"median {name.replace('_', ' ')}",
        )
        duration_axis(right, float(np.nanmin(low)) / 1.5, float(np.nanmax(high)) * 1.5, "y")
    right.set_ylabel(f"median {name.replace('_', ' ')} (log scale)")
    bars, lines = ax.get_legend_handles_labels(), right.get_legend_handles_labels()
    right.legend(bars[0] + lines[0], bars[1] + lines[1], fontsize="small", loc="upper left")
    ax.set_title(f"incidents and median {name.replace('_', ' ')} per month")
    return ax


def check_chart(report: CheckReport | pl.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Incidents failing each check (horizontal bars, coloured by level; passing checks omitted).

    Takes a :class:`~ddinc.checks.CheckReport` or its ``counts()`` frame.
    """
    counts = report.counts() if isinstance(report, CheckReport) else report
    total = report.n_incidents if isinstance(report, CheckReport) else None
    failing = counts.filter(pl.col("failing") > 0).sort("failing")
    ax = _axes(ax, (8.0, max(2.0, 0.35 * failing.height + 1.2)))
    y = np.arange(failing.height)
    levels = failing.get_column("level").cast(pl.String).to_list()
    values = failing.get_column("failing").to_numpy()
    ax.barh(y, values, color=[_LEVEL_COLOURS.get(level, "#808080") for level in levels])
    ax.set_yticks(y, failing.get_column("check").to_list(), fontsize="small")
    for position, value, share in zip(y, values, failing.get_column("share"), strict=True):
        ax.text(
            float(value),
            float(position),
            f" {value:,} ({share:.0%})",
            va="center",
            fontsize="small",
        )
    if values.size:
        ax.set_xlim(0, values.max() * 1.25)
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.set_xlabel("failing incidents")
    ax.legend(
        handles=[Patch(color=c, label=lv) for lv, c in _LEVEL_COLOURS.items()],
        fontsize="small",
        loc="lower right",
    )
    of = f" of {total:,}" if total is not None else ""
    title = f"checks: incidents failing each{of}"
    _finish(ax, title if failing.height else "checks: every check passes", 0, False)
    return ax


def save(ax: Axes, path: str | Path, *, dpi: int = 120) -> Path:
    """Write the figure holding ``ax`` to ``path``; the suffix picks the format (.png, .svg)."""
    target = Path(path)
    if target.suffix.lower() not in {".png", ".svg", ".pdf"}:
        raise ConfigError(f"{target}: save a plot as .png, .svg or .pdf")
    figure = ax.get_figure(root=True)
    if not isinstance(figure, Figure):  # pragma: no cover - an Axes always has a figure
        raise ConfigError("this Axes belongs to no figure")
    figure.savefig(target, dpi=dpi, metadata=_metadata(target))
    return target


def _metadata(target: Path) -> dict[str, str | None]:
    # No creation date or software version in the file, so that the same plot gives the
    # same bytes (reports can be diffed, baselines compared).
    if target.suffix.lower() == ".png":
        return {"Software": None}
    if target.suffix.lower() == ".svg":
        return {"Date": None, "Creator": None}
    return {"CreationDate": None, "Producer": None, "Creator": None}
