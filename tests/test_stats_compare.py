"""Comparing two periods or groups: the difference of medians, and what noise alone produces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from ddinc.errors import ConfigError
from ddinc.schema import TIMESTAMPS, Timestamp
from ddinc.stats import compare, compare_periods, detectable_change

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def incidents(hours: np.ndarray) -> pl.DataFrame:
    """Incidents declared hourly from T0 and resolved ``hours`` later."""
    declared = [T0 + timedelta(hours=i) for i in range(hours.size)]
    resolved = [d + timedelta(hours=float(h)) for d, h in zip(declared, hours, strict=True)]
    frame = pl.DataFrame(
        {
            **dict.fromkeys(TIMESTAMPS, [None] * hours.size),
            "declared": declared,
            "resolved": resolved,
        },
        schema=dict.fromkeys(TIMESTAMPS, Timestamp),
    )
    return frame.with_columns(half=pl.int_range(pl.len()) >= hours.size // 2)


def test_a_real_threefold_change_is_told_from_noise() -> None:
    rng = np.random.default_rng(1)
    hours = np.concatenate([rng.lognormal(1.0, 1.0, 300), rng.lognormal(1.0 + np.log(3), 1.0, 300)])
    result = compare(
        incidents(hours), "resolve", a=~pl.col("half"), b=pl.col("half"), labels=("Q1", "Q2")
    )
    assert result.n == (300, 300)
    a, b = np.median(hours[:300]) * 3600, np.median(hours[300:]) * 3600
    assert result.medians == (pytest.approx(a), pytest.approx(b))
    assert result.difference == pytest.approx(b - a)
    low, high = result.interval
    assert low is not None
    assert high is not None
    assert 0 < low < b - a < high
    assert result.detectable is not None
    assert 0 < result.detectable < b - a
    assert result.distinguishable
    assert "distinguishable from noise" in result.sentence
    assert "for Q1 (n = 300)" in result.sentence
    assert "for Q2 (n = 300)" in result.sentence


def test_no_change_at_all_is_called_noise() -> None:
    hours = np.random.default_rng(2).lognormal(1.0, 1.2, 400)
    result = compare(incidents(hours), "resolve", a=~pl.col("half"), b=pl.col("half"))
    assert not result.distinguishable
    assert "cannot be told from noise" in result.sentence
    assert result.detectable is not None
    assert result.detectable > 0


def test_the_verdict_is_right_about_as_often_as_the_level_says() -> None:
    # With no real change, a 95% rule should cry "distinguishable" rarely (~5% or less).
    false_alarms = 0
    for seed in range(40):
        hours = np.random.default_rng(100 + seed).lognormal(0.0, 1.0, 120)
        result = compare(
            incidents(hours),
            "resolve",
            a=~pl.col("half"),
            b=pl.col("half"),
            n_boot=400,
            n_splits=200,
            seed=seed,
        )
        false_alarms += result.distinguishable
    assert false_alarms <= 5


def test_detectable_change_shrinks_with_more_incidents() -> None:
    rng = np.random.default_rng(3)
    small = np.sort(rng.lognormal(0, 1, 40))
    large = np.sort(rng.lognormal(0, 1, 4000))
    mdc_small = detectable_change(small, 20, rng=np.random.default_rng(0))
    mdc_large = detectable_change(large, 2000, rng=np.random.default_rng(0))
    assert mdc_large < mdc_small / 4  # ~ 1/sqrt(100) of it, with room for noise


def test_detectable_change_of_identical_values_is_zero_and_splits_are_exact() -> None:
    assert detectable_change(np.full(10, 5.0), 3, rng=np.random.default_rng(0)) == 0.0
    # 0..9 split 9 / 1: the lone value v minus the median of the other nine. v = 0 leaves
    # 1..9 (median 5): -5; v = 9 leaves 0..8 (median 4): +5; nothing is further from 0.
    values = np.arange(10.0)
    assert (
        detectable_change(values, 9, n_splits=2000, level=1.0, rng=np.random.default_rng(0)) == 5.0
    )


def test_too_few_measured_incidents_says_so() -> None:
    result = compare(
        incidents(np.array([1.0, 2.0, 3.0])),
        "resolve",
        a=pl.col("declared") < T0 + timedelta(hours=1),
        b=pl.col("declared") >= T0,
    )
    assert result.difference is None
    assert not result.distinguishable
    assert result.sentence.startswith("Too few measured incidents")


def test_compare_periods_splits_on_the_declared_date() -> None:
    hours = np.random.default_rng(4).lognormal(1.0, 1.0, 100)
    result = compare_periods(incidents(hours), "resolve", split="2024-01-03", n_boot=200)
    assert result.labels == ("incidents before 2024-01-03", "incidents from 2024-01-03")
    assert result.n == (48, 52)  # declared hourly from 2024-01-01 00:00
    frame = result.to_frame()
    assert frame["n_a"].item() == 48
    assert frame["sentence"].item() == result.sentence
    assert str(result) == result.sentence
    assert "ddinc-compare" in result._repr_html_()


def test_compare_periods_refuses_a_bad_split() -> None:
    with pytest.raises(ConfigError, match="not an ISO date"):
        compare_periods(incidents(np.ones(4)), split="next tuesday")
    with pytest.raises(ConfigError, match="no such column"):
        compare_periods(incidents(np.ones(4)), split="2024-01-01", on="opened")
