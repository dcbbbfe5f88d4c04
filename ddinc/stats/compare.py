"""Comparing one phase between two periods or groups: is the change more than noise?

:func:`compare` reports the difference of medians (b - a) with a bootstrap interval, and the
smallest change these sample sizes could tell from noise, found by split-half simulation:
the measured incidents of both sides are pooled (as if nothing had changed), split at random
many times into two groups of the same sizes, and the difference of medians of each split is
taken. The ``level`` quantile of its absolute value is the *detectable change*: random splits
alone produce changes up to that size. An observed change counts as distinguishable from noise
only when its interval excludes zero and it is larger than the detectable change (the
approach of Davidovic, "Incident Metrics in SRE", 2021).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from ddinc.errors import ConfigError
from ddinc.stats import _bootstrap as boot
from ddinc.stats.phases import phase_names, phase_values
from ddinc.stats.units import human_duration

__all__ = ["Comparison", "compare", "compare_periods", "detectable_change"]

_MAX_CELLS: Final = 4_000_000  # split matrix cells held at once (~32 MB of float64 keys)


@dataclass(frozen=True, eq=False)
class Comparison:
    """The comparison of one phase between ``a`` and ``b``; seconds, b minus a."""

    phase: str
    labels: tuple[str, str]
    n: tuple[int, int]
    medians: tuple[float | None, float | None]
    difference: float | None
    interval: tuple[float | None, float | None]
    detectable: float | None
    level: float
    distinguishable: bool
    sentence: str

    def to_frame(self) -> pl.DataFrame:
        """One row: phase, labels, sizes, medians, difference with its interval, detectable."""
        return pl.DataFrame(
            [
                {
                    "phase": self.phase,
                    "a": self.labels[0],
                    "b": self.labels[1],
                    "n_a": self.n[0],
                    "n_b": self.n[1],
                    "median_a_s": self.medians[0],
                    "median_b_s": self.medians[1],
                    "difference_s": self.difference,
                    "difference_lo_s": self.interval[0],
                    "difference_hi_s": self.interval[1],
                    "detectable_s": self.detectable,
                    "level": self.level,
                    "distinguishable": self.distinguishable,
                    "sentence": self.sentence,
                }
            ],
            schema_overrides=dict.fromkeys(
                (
                    "median_a_s",
                    "median_b_s",
                    "difference_s",
                    "difference_lo_s",
                    "difference_hi_s",
                    "detectable_s",
                ),
                pl.Float64,
            ),
        )

    def to_html(self) -> str:
        """The sentence as an HTML paragraph."""
        verdict = "distinguishable" if self.distinguishable else "noise"
        return f'<p class="ddinc-compare {verdict}">{html.escape(self.sentence)}</p>'

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.sentence


def _median(sorted_values: npt.NDArray[np.float64]) -> float:
    return float(np.quantile(sorted_values, 0.5))


def detectable_change(
    pooled: npt.NDArray[np.float64],
    n_a: int,
    *,
    n_splits: int = 500,
    level: float = 0.95,
    rng: np.random.Generator,
) -> float:
    """The ``level`` quantile of |median(b) - median(a)| over random splits of ``pooled``.

    ``pooled`` must be sorted; each split puts ``n_a`` of its values, chosen at random
    without replacement, in ``a`` and the rest in ``b``. Vectorised over blocks of splits.
    """
    total = pooled.size
    n_b = total - n_a
    if n_a < 1 or n_b < 1:
        raise ConfigError("a split needs at least one value on each side")
    block = max(1, _MAX_CELLS // total)
    differences = []
    positions = np.arange(1, total + 1)
    for first in range(0, n_splits, block):
        rows = min(block, n_splits - first)
        keys = rng.random((rows, total))
        # The n_a smallest keys of each row choose side a: exact sizes, in linear time.
        cut = np.partition(keys, n_a - 1, axis=1)[:, n_a - 1 : n_a]
        chosen = keys <= cut
        in_a = np.cumsum(chosen, axis=1)
        in_b = positions - in_a
        medians = []
        for counts, size, mask in ((in_a, n_a, chosen), (in_b, n_b, ~chosen)):
            low_rank, high_rank = (size - 1) // 2 + 1, size // 2 + 1
            # The value at the r-th chosen position is the first whose running count is r.
            low = pooled[np.argmax((counts >= low_rank) & mask, axis=1)]
            high = pooled[np.argmax((counts >= high_rank) & mask, axis=1)]
            medians.append((low + high) / 2)
        differences.append(medians[1] - medians[0])
    return float(np.quantile(np.abs(np.concatenate(differences)), level))


def _sorted_seconds(long: pl.DataFrame, mask: pl.Series) -> npt.NDArray[np.float64]:
    kept = long.filter(
        mask & pl.col("seconds").is_not_null() & pl.col("left_out").is_null()
    ).get_column("seconds")
    return np.sort(kept.to_numpy().astype(np.float64))


def compare(
    incidents: pl.DataFrame,
    phase: str = "time_to_resolve",
    *,
    a: pl.Expr,
    b: pl.Expr,
    labels: tuple[str, str] = ("a", "b"),
    n_boot: int = 2000,
    n_splits: int = 500,
    level: float = 0.95,
    seed: int = 0,
    include_unreal: bool = False,
) -> Comparison:
    """Compare the median ``phase`` of the incidents where ``a`` holds with those where ``b`` does.

    ``a`` and ``b`` are boolean expressions over the incidents, e.g.
    ``pl.col("severity") == "SEV-1"``; an incident in neither is ignored. Durations not real
    are left out as in :func:`~ddinc.stats.phase_stats` unless ``include_unreal``.
    """
    (name,) = phase_names(phase)
    if not 0 < level < 1:
        raise ConfigError(f"level must be between 0 and 1 (e.g. 0.95), not {level!r}")
    sides = incidents.select(a.fill_null(False).alias("a"), b.fill_null(False).alias("b"))
    long = phase_values(incidents, name, include_unreal=include_unreal)
    values = [_sorted_seconds(long, sides.get_column(side)) for side in ("a", "b")]
    n_a, n_b = values[0].size, values[1].size
    what = name.replace("_", " ")
    if min(n_a, n_b) < 2:
        sentence = (
            f"Too few measured incidents to compare the median {what}: {n_a} in {labels[0]} "
            f"and {n_b} in {labels[1]} (at least 2 on each side are needed)."
        )
        medians = tuple(_median(v) if v.size else None for v in values)
        return Comparison(
            name,
            labels,
            (n_a, n_b),
            (medians[0], medians[1]),
            None,
            (None, None),
            None,
            level,
            False,
            sentence,
        )
    rng = np.random.default_rng(seed)
    median_a, median_b = _median(values[0]), _median(values[1])
    draws = [
        boot.bootstrap_quantile(v, np.array([0]), np.array([v.size]), 0.5, rng=rng, n_boot=n_boot)[
            :, 0
        ]
        for v in values
    ]
    alpha = (1 - level) / 2
    low, high = (float(x) for x in np.quantile(draws[1] - draws[0], [alpha, 1 - alpha]))
    pooled = np.sort(np.concatenate(values))
    detectable = detectable_change(pooled, n_a, n_splits=n_splits, level=level, rng=rng)
    difference = median_b - median_a
    distinguishable = (low > 0 or high < 0) and abs(difference) > detectable
    percent = f"{level:.0%}"
    verdict = (
        "so this change is distinguishable from noise"
        if distinguishable
        else "so this change cannot be told from noise"
    )
    sentence = (
        f"Median {what}: {human_duration(median_a)} for {labels[0]} (n = {n_a:,}) and "
        f"{human_duration(median_b)} for {labels[1]} (n = {n_b:,}), a change of "
        f"{_signed(difference)} ({percent} CI {_signed(low)} to {_signed(high)}); random "
        f"splits of the same incidents into groups of these sizes move the median by up to "
        f"{human_duration(detectable)} in {percent} of splits, {verdict}."
    )
    return Comparison(
        name,
        labels,
        (n_a, n_b),
        (median_a, median_b),
        difference,
        (low, high),
        detectable,
        level,
        distinguishable,
        sentence,
    )


def _signed(seconds: float) -> str:
    text = human_duration(seconds)
    return text if seconds <= 0 else f"+{text}"


def compare_periods(
    incidents: pl.DataFrame,
    phase: str = "time_to_resolve",
    *,
    split: datetime | date | str,
    on: str = "declared",
    n_boot: int = 2000,
    n_splits: int = 500,
    level: float = 0.95,
    seed: int = 0,
    include_unreal: bool = False,
) -> Comparison:
    """Compare incidents whose ``on`` time is before ``split`` with those on or after it.

    ``split`` is a datetime (naive is taken as UTC), a date, or an ISO text such as
    ``"2024-01-01"``; the other settings are those of :func:`compare`.
    """
    if on not in incidents.columns:
        raise ConfigError(f"cannot split on {on!r}: the frame has no such column")
    try:
        moment = (
            datetime.fromisoformat(split)
            if isinstance(split, str)
            else split
            if isinstance(split, datetime)
            else datetime(split.year, split.month, split.day)
        )
    except ValueError:
        raise ConfigError(f"split {split!r} is not an ISO date or time, e.g. 2024-01-01") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    when = pl.lit(moment, dtype=pl.Datetime("us", "UTC"))
    stamp = f"{moment:%Y-%m-%d}"
    return compare(
        incidents,
        phase,
        a=pl.col(on) < when,
        b=pl.col(on) >= when,
        labels=(f"incidents before {stamp}", f"incidents from {stamp}"),
        n_boot=n_boot,
        n_splits=n_splits,
        level=level,
        seed=seed,
        include_unreal=include_unreal,
    )
