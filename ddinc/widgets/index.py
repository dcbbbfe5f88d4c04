"""The facet index: every row's facet values, grouped into a few thousand *combinations*.

Rows with the same value in every single-valued facet (severity, state, source, month,
duration band, people, commander) and the same failing checks share a combination. The index
holds, per row, the number of its combination (one integer array) and, per combination, its
values and how many rows hold it. Then:

- facet counts are sums over the combinations (thousands, not millions);
- the rows a filter keeps are the rows whose combination passes (one array lookup per row);
- an edit of a few rows moves those rows to their new combination (their facet values are
  computed for them alone), so the index never recomputes the whole frame after a small step.

Combinations are told apart by a 64-bit hash of their values (polars ``hash_rows``), so new
rows find their combination without comparing text.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Final

import numpy as np
import polars as pl

from ddinc.clean.facets import FACETS, facet_expr

__all__ = ["CHECKS_COLUMN", "FacetIndex", "facet_values", "rows_needed"]

CHECKS_COLUMN: Final = "__checks"
"""The bitset of a row's failing checks (bit i: the i-th check of the report)."""
_SEED: Final = 20240112


class FacetIndex:
    """Rows grouped by their facet values and failing checks.

    Parameters
    ----------
    values
        One row per frame row: a String column per facet of :data:`FACETS` and the
        ``__checks`` bitset (Int64).
    """

    def __init__(self, values: pl.DataFrame) -> None:
        self.names: tuple[str, ...] = tuple(FACETS)
        self._labels: dict[str, list[str | None]] = {name: [] for name in self.names}
        self._codes_of: dict[str, dict[str | None, int]] = {name: {} for name in self.names}
        self._id_of: dict[int, int] = {}
        self._combo_codes: list[list[int]] = []
        self._combo_checks: list[int] = []
        self._n = np.zeros(0, dtype=np.int64)
        self.codes: np.ndarray = np.zeros((0, len(self.names)), dtype=np.int64)
        self.checks: np.ndarray = np.zeros(0, dtype=np.int64)
        self.of_row = self._assign(values)
        self._n = np.bincount(self.of_row, minlength=len(self._combo_checks)).astype(np.int64)
        self._arrays()

    # --- building ---------------------------------------------------------------------------

    def _assign(self, values: pl.DataFrame) -> np.ndarray:
        """The combination of each row of ``values``, new combinations added."""
        if values.height == 0:
            return np.zeros(0, dtype=np.int32)
        hashes = values.select(*self.names, CHECKS_COLUMN).hash_rows(seed=_SEED).to_numpy()
        unique, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        ids = np.empty(len(unique), dtype=np.int32)
        new_rows = [i for i, h in enumerate(unique.tolist()) if h not in self._id_of]
        if new_rows:
            reps = values[first[new_rows].tolist()]
            columns = {name: reps.get_column(name).to_list() for name in self.names}
            checks = reps.get_column(CHECKS_COLUMN).to_list()
            for k, i in enumerate(new_rows):
                codes = []
                for name in self.names:
                    value = columns[name][k]
                    code = self._codes_of[name].get(value)
                    if code is None:
                        code = len(self._labels[name])
                        self._codes_of[name][value] = code
                        self._labels[name].append(value)
                    codes.append(code)
                self._id_of[int(unique[i])] = len(self._combo_checks)
                self._combo_codes.append(codes)
                self._combo_checks.append(int(checks[k] or 0))
        for i, h in enumerate(unique.tolist()):
            ids[i] = self._id_of[h]
        return ids[inverse.reshape(-1)]

    def _arrays(self) -> None:
        built = len(self.codes)
        if built < len(self._combo_checks):
            new_codes = np.array(self._combo_codes[built:], dtype=np.int64)
            new_checks = np.array(self._combo_checks[built:], dtype=np.int64)
            if built:
                self.codes = np.vstack([self.codes, new_codes.reshape(-1, len(self.names))])
                self.checks = np.concatenate([self.checks, new_checks])
            else:
                self.codes = new_codes.reshape(-1, len(self.names))
                self.checks = new_checks
        if len(self._n) < len(self._combo_checks):
            self._n = np.concatenate(
                [self._n, np.zeros(len(self._combo_checks) - len(self._n), dtype=np.int64)]
            )

    def update(self, positions: np.ndarray, values: pl.DataFrame) -> None:
        """Move the rows at ``positions`` to the combinations of their new ``values``."""
        if not len(positions):
            return
        new = self._assign(values)
        self._arrays()
        np.subtract.at(self._n, self.of_row[positions], 1)
        np.add.at(self._n, new, 1)
        self.of_row[positions] = new

    # --- reading ----------------------------------------------------------------------------

    @property
    def n(self) -> np.ndarray:
        """Rows per combination."""
        return self._n

    def labels(self, name: str) -> list[str | None]:
        """The values facet ``name`` has taken, by code."""
        return self._labels[name]

    def passing(
        self,
        filters: Mapping[str, Collection[str | None]],
        check_bits: int | None,
        skip: str | None = None,
    ) -> np.ndarray:
        """Per combination: does it pass the facet filters (and the check filter)?

        ``check_bits``: the bitset of accepted checks (``None``: no check filter).
        """
        ok = np.ones(len(self._combo_checks), dtype=bool)
        for name, accepted in filters.items():
            if name == skip or name not in self._codes_of or not accepted:
                continue
            codes = [self._codes_of[name][v] for v in accepted if v in self._codes_of[name]]
            column = self.codes[:, self.names.index(name)]
            ok &= np.isin(column, np.array(codes, dtype=np.int64))
        if check_bits is not None and skip != "check":
            ok &= (self.checks & check_bits) != 0
        return ok

    def counts(
        self, name: str, weights: np.ndarray, passing: np.ndarray
    ) -> list[tuple[str | None, int]]:
        """``(value, rows)`` of facet ``name`` over the passing combinations (zeros left out)."""
        column = self.codes[:, self.names.index(name)]
        tally = np.bincount(
            column[passing], weights=weights[passing], minlength=len(self._labels[name])
        )
        return [
            (self._labels[name][code], int(count))
            for code, count in enumerate(tally.tolist())
            if count
        ]

    def check_counts(self, n_checks: int, weights: np.ndarray, passing: np.ndarray) -> list[int]:
        """Rows failing each of the first ``n_checks`` checks, over the passing combinations."""
        checks, w = self.checks[passing], weights[passing]
        return [int(w[(checks >> bit) & 1 == 1].sum()) for bit in range(n_checks)]


def facet_values(
    frame: pl.DataFrame, checks: np.ndarray, known_emails: Collection[str] | None
) -> pl.DataFrame:
    """Each row's facet values (as text) and its failing-check bitset, for :class:`FacetIndex`."""
    values = frame.select(facet_expr(name, known_emails).cast(pl.String) for name in FACETS)
    return values.with_columns(pl.Series(CHECKS_COLUMN, checks, dtype=pl.Int64))


def rows_needed() -> Sequence[str]:
    """Columns the facet expressions read."""
    return (
        "severity",
        "state",
        "source",
        "declared",
        "impact_start",
        "detected",
        "time_to_resolve",
        "commander",
        "declared_by",
    )
