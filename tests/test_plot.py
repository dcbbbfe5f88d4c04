"""Plots: each takes a frame and an optional Axes, returns the Axes, and looks as committed.

Image tests render each plot with matplotlib's own test settings (Agg, DejaVu Sans, no
hinting) and compare it with the PNG under ``tests/baselines/`` within a tolerance. After
an intended change, regenerate them with ``DDINC_UPDATE_BASELINES=1 pytest tests/test_plot.py``
and look at every image before committing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import matplotlib as mpl
import numpy as np
import polars as pl
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.testing import set_font_settings_for_testing, set_reproducibility_for_testing
from matplotlib.testing.compare import compare_images

from ddinc import plot
from ddinc.checks import CheckContext, run_checks
from ddinc.errors import ConfigError
from ddinc.schema import TIMESTAMPS, Timestamp
from ddinc.stats import phase_stats
from tests.conftest import ROOT

BASELINES = ROOT / "tests" / "baselines"
TOLERANCE = 2.0  # RMS of pixel differences (0-255): allows anti-aliasing, not a moved bar
UPDATE = os.environ.get("DDINC_UPDATE_BASELINES") == "1"
SEVERITIES = ["SEV-1", "SEV-2", "SEV-3", "SEV-4", None]
T0 = datetime(2023, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _deterministic_matplotlib() -> Iterator[None]:
    with mpl.rc_context():
        mpl.rcdefaults()
        set_font_settings_for_testing()
        set_reproducibility_for_testing()
        yield


def sample(n: int = 240, seed: int = 5) -> pl.DataFrame:
    """Seeded incidents over 18 months: lognormal phases, slower for lower severities."""
    rng = np.random.default_rng(seed)
    severity = rng.choice(len(SEVERITIES), n)
    start = np.sort(rng.uniform(0, 540, n))  # days after T0
    detect = rng.lognormal(5.5, 1.0, n)
    declare = rng.lognormal(6.0, 1.0, n)
    resolve = rng.lognormal(8.0 + 0.4 * severity, 1.0, n)
    rows = []
    for i in range(n):
        impact = T0 + timedelta(days=float(start[i]))
        detected = impact + timedelta(seconds=float(detect[i]))
        declared = detected + timedelta(seconds=float(declare[i]))
        resolved = declared + timedelta(seconds=float(resolve[i]))
        if i % 17 == 0:  # a back-fill: every time the same
            detected = declared = resolved = impact
        rows.append(
            {
                "source": "sample",
                "source_id": f"INC-{i}",
                "title": f"incident {i}: service {i % 7} degraded",
                "state": "resolved",
                "severity": SEVERITIES[severity[i]],
                "impact_start": impact,
                "detected": detected if i % 5 else None,
                "declared": declared,
                "resolved": resolved if i % 23 else None,
                "impact_end": resolved - timedelta(minutes=5) if i % 3 == 0 else None,
            }
        )
    return pl.DataFrame(rows, schema_overrides=dict.fromkeys(TIMESTAMPS, Timestamp))


def _check(name: str, ax: Axes, tmp_path: Path) -> None:
    figure = ax.get_figure(root=True)
    assert isinstance(figure, Figure)
    actual = tmp_path / f"{name}.png"
    figure.savefig(actual, dpi=80)
    expected = BASELINES / f"{name}.png"
    if UPDATE:
        BASELINES.mkdir(exist_ok=True)
        expected.write_bytes(actual.read_bytes())
    assert expected.exists(), f"no baseline {expected}; run with DDINC_UPDATE_BASELINES=1"
    difference = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert difference is None, difference


CONTEXT = CheckContext(now=datetime(2025, 1, 1, tzinfo=UTC))
PLOTS: dict[str, Callable[[pl.DataFrame], Axes]] = {
    "histogram_resolve": lambda f: plot.histogram(f, "resolve"),
    "ecdf_impact_to_declare": lambda f: plot.ecdf(f, "impact_to_declare"),
    "timeline": lambda f: plot.timeline(f, limit=15),
    "monthly_resolve": lambda f: plot.monthly(f, "resolve", n_boot=200),
    "check_chart": lambda f: plot.check_chart(run_checks(f, context=CONTEXT)),
}


@pytest.mark.parametrize("name", PLOTS)
def test_plot_matches_its_baseline(name: str, tmp_path: Path) -> None:
    _check(name, PLOTS[name](sample()), tmp_path)


@pytest.mark.parametrize("name", PLOTS)
def test_plot_draws_on_the_axes_it_is_given(name: str) -> None:
    figure = Figure()
    ax = figure.add_subplot()
    drawn = {
        "histogram_resolve": lambda: plot.histogram(sample(), "resolve", ax=ax),
        "ecdf_impact_to_declare": lambda: plot.ecdf(sample(), "impact_to_declare", ax=ax),
        "timeline": lambda: plot.timeline(sample(), ax=ax),
        "monthly_resolve": lambda: plot.monthly(sample(), ax=ax, n_boot=50),
        "check_chart": lambda: plot.check_chart(run_checks(sample(), context=CONTEXT), ax=ax),
    }[name]()
    assert drawn is ax
    assert ax.get_title()


def test_histogram_counts_every_kept_value_once_and_says_what_it_hid() -> None:
    frame = sample()
    ax = plot.histogram(frame, "resolve", include_unreal=True)
    legend = ax.get_legend()
    assert legend is not None
    counts = [int(t.get_text().split("n = ")[1].rstrip(")")) for t in legend.get_texts()]
    resolved = frame.filter(pl.col("resolved").is_not_null())
    zero = resolved.filter(pl.col("resolved") == pl.col("declared")).height
    assert sum(counts) == resolved.height - zero
    assert f"({zero} value(s) of 0 s or less not shown on the log scale)" in ax.get_xlabel()


def test_duration_ticks_are_readable_units() -> None:
    ax = plot.histogram(sample(), "resolve")
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels
    assert all(label.split()[-1] in {"s", "min", "h", "d", "w", "y"} for label in labels)
    assert len(labels) <= 8


def test_monthly_draws_precomputed_statistics_and_refuses_others() -> None:
    frame = sample()
    stats = phase_stats(frame, "month", phases="resolve", n_boot=50)
    ax = plot.monthly(stats, "resolve")
    assert [t.get_height() for t in ax.patches] == stats.table["of"].to_list()
    with pytest.raises(ConfigError, match="by month"):
        plot.monthly(phase_stats(frame, "severity", n_boot=10))


def test_save_writes_png_and_svg_and_refuses_other_suffixes(tmp_path: Path) -> None:
    ax = plot.ecdf(sample())
    png, svg = plot.save(ax, tmp_path / "e.png"), plot.save(ax, tmp_path / "e.svg")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in svg.read_bytes()
    again = plot.save(plot.ecdf(sample()), tmp_path / "again.png")
    assert again.read_bytes() == png.read_bytes()  # no date or version inside
    with pytest.raises(ConfigError, match=r"\.png, \.svg"):
        plot.save(ax, tmp_path / "e.gif")


def test_empty_frames_draw_an_honest_empty_plot() -> None:
    empty = sample().clear()
    assert "(nothing measured)" in plot.histogram(empty).get_xlabel()
    assert plot.timeline(empty).get_title() == "the 0 latest incidents, phase by phase"


def test_a_plot_shows_itself_in_a_notebook_without_pyplot() -> None:
    figure = plot.histogram(sample()).get_figure(root=True)
    assert isinstance(figure, plot.PlotFigure)
    assert figure._repr_png_().startswith(b"\x89PNG")
