"""Vectorised, seeded bootstrap of quantiles and geometric means over sorted segments.

Every kernel takes one flat array of values sorted within contiguous segments (one segment
per group and phase), the segments' ``starts`` and ``sizes``, and works on all segments at
once. Nothing here loops over resamples, so the cost does not grow with the size of a group:

- **Quantiles** use an exact identity rather than drawing ``n`` indices per resample. A
  resample draws indices ``floor(n * U_i)`` with ``U_i`` uniform; ``floor`` is monotone, so the
  resample's ``j``-th smallest value is ``x[floor(n * U_(j))]``, where the order statistic
  ``U_(j)`` follows ``Beta(j, n - j + 1)``. The next order statistic is
  ``U_(j) + (1 - U_(j)) * Beta(1, n - j)``. Two beta draws per resample give the same
  bootstrap distribution of a linearly interpolated quantile as resampling ``n`` values.
- **The geometric mean** is the exponential of the mean of log values. Up to
  :data:`EXACT_LIMIT` values a segment is resampled the ordinary way, all resamples at once
  (an ``n_boot x n`` block of indices). Beyond, the bootstrap distribution of a mean has
  converged to its normal limit (the central limit theorem; its skew is of order
  ``1 / sqrt(n)``, under 2% there), so replicates are drawn from that limit, with the
  bootstrap's own variance ``s**2 / n``: same interval, a fraction of the cost.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "EXACT_LIMIT",
    "Floats",
    "Ints",
    "bootstrap_geomean",
    "bootstrap_quantile",
    "geomean",
    "quantile",
]

EXACT_LIMIT: Final = 2048
"""Largest segment whose geometric mean is resampled value by value."""
_BLOCK_CELLS: Final = 4_000_000  # indices drawn at once (32 MB), to bound memory

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def quantile(values: Floats, starts: Ints, sizes: Ints, q: float) -> Floats:
    """Linearly interpolated ``q`` quantile of each segment (numpy's and polars' default)."""
    position = (sizes - 1) * q
    below = np.floor(position).astype(np.int64)
    frac = position - below
    above = np.minimum(below + 1, sizes - 1)
    low, high = values[starts + below], values[starts + above]
    result: Floats = low + frac * (high - low)
    return result


def bootstrap_quantile(
    values: Floats, starts: Ints, sizes: Ints, q: float, *, rng: np.random.Generator, n_boot: int
) -> Floats:
    """``n_boot`` bootstrap replicates of each segment's ``q`` quantile, shape (n_boot, G)."""
    position = (sizes - 1) * q
    below = np.floor(position).astype(np.int64)  # 0-based rank j - 1 of the lower neighbour
    frac = position - below
    shape = (n_boot, sizes.size)
    first = rng.beta(below + 1, sizes - below, size=shape)
    # The next order statistic exists when below + 1 < n; elsewhere frac is 0 and it is unused.
    has_next = below + 1 < sizes
    step = rng.beta(1.0, np.where(has_next, sizes - below - 1, 1), size=shape)
    second = first + (1.0 - first) * step
    top = sizes - 1
    low_index = np.minimum(np.floor(sizes * first).astype(np.int64), top)
    high_index = np.where(has_next, np.minimum(np.floor(sizes * second).astype(np.int64), top), 0)
    low = values[starts + low_index]
    high = values[starts + np.maximum(high_index, low_index)]
    result: Floats = low + frac * (high - low)
    return result


def geomean(logs: Floats, starts: Ints, sizes: Ints) -> Floats:
    """Geometric mean of each segment, given its values' logarithms."""
    sums = np.add.reduceat(logs, starts) if logs.size else np.zeros(0)
    result: Floats = np.exp(sums / sizes)
    return result


def bootstrap_geomean(
    logs: Floats, starts: Ints, sizes: Ints, *, rng: np.random.Generator, n_boot: int
) -> Floats:
    """``n_boot`` bootstrap replicates of each segment's geometric mean, shape (n_boot, G)."""
    out = np.empty((n_boot, sizes.size))
    for g, (start, size) in enumerate(zip(starts.tolist(), sizes.tolist(), strict=True)):
        segment = logs[start : start + size]
        if size <= EXACT_LIMIT:
            rows = max(1, _BLOCK_CELLS // size)
            for first in range(0, n_boot, rows):
                block = min(rows, n_boot - first)
                picks = rng.integers(0, size, size=(block, size))
                out[first : first + block, g] = segment[picks].mean(axis=1)
        else:
            spread = float(segment.std()) / np.sqrt(size)
            out[:, g] = float(segment.mean()) + spread * rng.standard_normal(n_boot)
    result: Floats = np.exp(out)
    return result
