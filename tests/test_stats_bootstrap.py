"""The vectorised bootstrap kernels give the distribution a plain resampling loop gives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.stats import _bootstrap as boot

ONE = np.array([0])


def _naive(values: np.ndarray, statistic: str, n_boot: int, seed: int) -> np.ndarray:
    """The textbook bootstrap: draw n indices with replacement, n_boot times."""
    rng = np.random.default_rng(seed)
    picks = values[rng.integers(0, values.size, size=(n_boot, values.size))]
    if statistic == "geomean":
        return np.exp(np.log(picks).mean(axis=1))
    return np.quantile(picks, float(statistic), axis=1)


@pytest.mark.parametrize("n", [1, 2, 7, 60, 400])
@pytest.mark.parametrize("statistic", ["0.5", "0.9", "geomean"])
def test_replicates_follow_the_resampling_distribution(n: int, statistic: str) -> None:
    values = np.sort(np.random.default_rng(n).lognormal(6, 1.4, n))
    rng = np.random.default_rng(1)
    if statistic == "geomean":
        ours = boot.bootstrap_geomean(np.log(values), ONE, np.array([n]), rng=rng, n_boot=20_000)
    else:
        q = float(statistic)
        ours = boot.bootstrap_quantile(values, ONE, np.array([n]), q, rng=rng, n_boot=20_000)
    plain = _naive(values, statistic, 20_000, seed=2)
    # Same distribution: the interval ends and the centre agree within Monte Carlo noise
    # (relative to the spread of the data, 2% of the range).
    tolerance = 0.02 * (values.max() - values.min()) + 1e-9
    for level in (0.025, 0.5, 0.975):
        assert abs(np.quantile(ours[:, 0], level) - np.quantile(plain, level)) <= tolerance


def test_geomean_beyond_the_exact_limit_keeps_the_interval() -> None:
    # Past the exact limit replicates come from the normal limit: same interval.
    n = boot.EXACT_LIMIT * 4
    values = np.sort(np.random.default_rng(3).lognormal(6, 1.4, n))
    ours = boot.bootstrap_geomean(
        np.log(values), ONE, np.array([n]), rng=np.random.default_rng(4), n_boot=4000
    )[:, 0]
    plain = _naive(values, "geomean", 4000, seed=5)
    width = np.quantile(ours, 0.975) - np.quantile(ours, 0.025)
    plain_width = np.quantile(plain, 0.975) - np.quantile(plain, 0.025)
    assert width == pytest.approx(plain_width, rel=0.1)
    assert np.median(ours) == pytest.approx(np.median(plain), rel=0.01)
    for level in (0.025, 0.975):
        assert np.quantile(ours, level) == pytest.approx(np.quantile(plain, level), rel=0.01)


@given(
    st.lists(
        st.lists(st.floats(0, 1e7, allow_nan=False), min_size=1, max_size=30),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from([0.5, 0.75, 0.9, 0.95]),
)
def test_point_quantile_per_segment_is_numpys(segments: list[list[float]], q: float) -> None:
    values = np.concatenate([np.sort(segment) for segment in segments])
    sizes = np.array([len(segment) for segment in segments])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    ours = boot.quantile(values, starts, sizes, q)
    expected = [np.quantile(segment, q) for segment in segments]
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-9)
    draws = boot.bootstrap_quantile(
        values, starts, sizes, q, rng=np.random.default_rng(0), n_boot=50
    )
    # Every replicate lies within its own segment's range.
    for g, segment in enumerate(segments):
        assert draws[:, g].min() >= min(segment) - 1e-9
        assert draws[:, g].max() <= max(segment) + 1e-9


def test_segments_are_independent_of_their_neighbours() -> None:
    # A segment's replicates depend only on its own values.
    small, large = np.arange(1.0, 11.0), np.arange(1000.0, 1010.0)
    values = np.concatenate([small, large])
    draws = boot.bootstrap_quantile(
        values,
        np.array([0, 10]),
        np.array([10, 10]),
        0.5,
        rng=np.random.default_rng(0),
        n_boot=500,
    )
    assert draws[:, 0].max() <= 10
    assert draws[:, 1].min() >= 1000
