"""The facet index: every row's facet values, grouped into a few thousand *combinations*.

Rows with the same value in every single-valued facet (severity, state, source, month,
duration band, people, commander) and the same failing checks share a combination. The index
holds, per row, the number of its combination (one array of numpy's index type, which
``np.take`` reads at twice the speed of int32) and, per combination, its
values and how many rows hold it. Then:

- facet counts are sums over the combinations (thousands, not millions);
- the rows a filter keeps are the rows whose combination passes (one array lookup per row);
- an edit of a few rows moves those rows to their new combination (their facet values are
  computed for them alone), so the index never recomputes the whole frame after a small step.

Combinations are told apart by a 64-bit hash of their values (polars ``hash_rows``), so new
rows find their combination without comparing text.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Final, cast

import numpy as np
import polars as pl

from ddinc.clean.facets import FACETS, facet_expr

__all__ = ["CHECKS_COLUMN", "FacetIndex", "facet_reads", "facet_values"]

CHECKS_COLUMN: Final = "__checks"
"""The bitset of a row's failing checks (bit i: the i-th check of the report)."""
_SEED: Final = 20240112
# Changes whose combination-to-combination moves are remembered (most recent kept).
_TRANSITIONS_KEPT: Final = 32


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
        # The same combinations by their codes and checks packed into bytes (atomic objects:
        # thousands of them add nothing for the garbage collector to walk, tuples would).
        self._id_of_codes: dict[bytes, int] = {}
        self._transitions: dict[tuple[tuple[int, int], ...], np.ndarray] = {}
        self.codes: np.ndarray = np.zeros((0, len(self.names)), dtype=np.int64)
        self.checks: np.ndarray = np.zeros(0, dtype=np.int64)
        self._n = np.zeros(0, dtype=np.int64)
        self.of_row = self._assign(values)
        self._n += np.bincount(self.of_row, minlength=len(self._n))

    # --- building ---------------------------------------------------------------------------

    def _assign(self, values: pl.DataFrame) -> np.ndarray:
        """The combination of each row of ``values``, new combinations added."""
        if values.height == 0:
            return np.zeros(0, dtype=np.intp)
        hashes = values.select(*self.names, CHECKS_COLUMN).hash_rows(seed=_SEED).to_numpy()
        unique, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        new_rows = [i for i, h in enumerate(unique.tolist()) if h not in self._id_of]
        if new_rows:
            reps = values[first[new_rows].tolist()]
            codes = np.array(
                [
                    [self._code(name, value) for value in reps.get_column(name).to_list()]
                    for name in self.names
                ],
                dtype=np.int64,
            ).T.reshape(len(new_rows), len(self.names))
            checks = reps.get_column(CHECKS_COLUMN).fill_null(0).to_numpy().astype(np.int64)
            ids = self._combinations(codes, checks)
            for i, combo in zip(new_rows, ids.tolist(), strict=True):
                self._id_of[int(unique[i])] = combo
        found = np.array([self._id_of[h] for h in unique.tolist()], dtype=np.intp)
        ids_of_rows: np.ndarray = found[inverse.reshape(-1)]
        return ids_of_rows

    def _code(self, name: str, value: str | None) -> int:
        """The code of ``value`` in facet ``name`` (a new one the first time)."""
        code = self._codes_of[name].get(value)
        if code is None:
            code = len(self._labels[name])
            self._codes_of[name][value] = code
            self._labels[name].append(value)
        return code

    def _combinations(self, codes: np.ndarray, checks: np.ndarray) -> np.ndarray:
        """The id of each combination of facet ``codes`` (a row each) and ``checks``; the
        unseen ones are added."""
        packed = np.ascontiguousarray(np.column_stack([codes, checks]), dtype=np.int64)
        rows_as_bytes = packed.view(np.dtype((np.void, packed.shape[1] * 8))).ravel()
        keys = cast(list[bytes], rows_as_bytes.tolist())
        known = self._id_of_codes
        fresh: list[int] = []
        ids: list[int] = []
        for row, key in enumerate(keys):
            found = known.get(key)
            if found is None:
                found = len(self.checks) + len(fresh)
                known[key] = found
                fresh.append(row)
            ids.append(found)
        if fresh:
            self.codes = np.concatenate([self.codes, codes[fresh]])
            self.checks = np.concatenate([self.checks, checks[fresh]])
            self._n = np.concatenate([self._n, np.zeros(len(fresh), dtype=np.int64)])
        return np.array(ids, dtype=np.intp)

    def update(self, positions: np.ndarray, values: pl.DataFrame) -> None:
        """Move the rows at ``positions`` to the combinations of their new ``values``."""
        if not len(positions):
            return
        new = self._assign(values)
        self._n -= np.bincount(self.of_row[positions], minlength=len(self._n))
        self._n += np.bincount(new, minlength=len(self._n))
        self.of_row[positions] = new

    def recode(
        self,
        positions: np.ndarray,
        values: Mapping[str, pl.Series],
        checks: np.ndarray | None = None,
    ) -> None:
        """Move the rows at ``positions``: the facets named in ``values`` take those values
        (text: one per position, or a single one for every position), and their failing-check
        bitsets become ``checks`` when given; every other facet keeps its value.

        This costs O(rows moved) in numpy, never hashing text per row: a bulk edit of the
        state of 100,000s of rows moves them between a few combinations.
        """
        if not len(positions):
            return
        old = self.of_row[positions]
        replaced = [
            (self.names.index(name), self._codes_for(name, series))
            for name, series in values.items()
        ]
        if checks is None and all(len(codes) == 1 for _, codes in replaced):
            new = self._move_whole_combinations(old, replaced)
        else:
            new = self._move_rows(old, replaced, checks)
        self.of_row[positions] = new

    def _move_whole_combinations(
        self, old: np.ndarray, replaced: list[tuple[int, np.ndarray]]
    ) -> np.ndarray:
        """Every row of a combination goes to the same new one (one value per facet)."""
        moved = np.bincount(old, minlength=len(self._n))
        combos = np.flatnonzero(moved)
        # Where each combination goes under this change, remembered: the same edit on other
        # rows (or again after an undo) looks its combinations up instead of building them.
        change = tuple((column, int(codes[0])) for column, codes in replaced)
        target = self._transitions.pop(change, None)
        if target is None or len(target) < len(self._n):
            known = np.full(len(self._n), -1, dtype=np.intp)
            if target is not None:
                known[: len(target)] = target
            target = known
        unknown = combos[target[combos] < 0]
        if len(unknown):
            codes = self.codes[unknown]
            for column, new_codes in replaced:
                codes[:, column] = new_codes[0]
            target[unknown] = self._combinations(codes, self.checks[unknown])
        if len(target) < len(self._n):  # new combinations were made: they are not known yet
            target = np.concatenate([target, np.full(len(self._n) - len(target), -1, np.intp)])
        self._transitions[change] = target
        while len(self._transitions) > _TRANSITIONS_KEPT:
            self._transitions.pop(next(iter(self._transitions)))
        ids = target[combos]
        self._n[: len(moved)] -= moved
        np.add.at(self._n, ids, moved[combos])
        new: np.ndarray = target[old]
        return new

    def _move_rows(
        self, old: np.ndarray, replaced: list[tuple[int, np.ndarray]], checks: np.ndarray | None
    ) -> np.ndarray:
        """Rows of one combination may go to different ones (values or checks per row)."""
        rows = len(old)
        # One integer per row naming (old combination, new codes, new checks), factorized.
        key = old.astype(np.int64)
        for column, codes in replaced:
            key = key * len(self._labels[self.names[column]]) + codes
        if checks is not None:
            distinct_checks, check_ids = _factorize(checks.astype(np.int64))
            key = key * len(distinct_checks) + check_ids
        distinct, inverse = _factorize(key)
        # Any row of a key stands for all of them (they share combination, codes and checks).
        some_row = np.empty(len(distinct), dtype=np.int64)
        some_row[inverse] = np.arange(rows)
        combos = old[some_row]
        codes = self.codes[combos]
        for column, new_codes in replaced:
            codes[:, column] = np.broadcast_to(new_codes, rows)[some_row]
        bits = self.checks[combos] if checks is None else checks[some_row].astype(np.int64)
        ids = self._combinations(codes, bits)
        new: np.ndarray = ids[inverse]
        self._n -= np.bincount(old, minlength=len(self._n))
        self._n += np.bincount(new, minlength=len(self._n))
        return new

    def _codes_for(self, name: str, values: pl.Series) -> np.ndarray:
        """The code of each of ``values`` in facet ``name`` (new codes added)."""
        if values.len() == 1:
            return np.array([self._code(name, values[0])], dtype=np.int64)
        distinct = values.unique().to_list()
        codes = {value: self._code(name, value) for value in distinct}
        known = [value for value in distinct if value is not None]
        mapped = values.replace_strict(
            known, [codes[value] for value in known], default=None, return_dtype=pl.Int64
        )
        return mapped.fill_null(codes.get(None, 0)).to_numpy()

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
        ok = np.ones(len(self.checks), dtype=bool)
        for name, accepted in filters.items():
            if name == skip or name not in self._codes_of or not accepted:
                continue
            # A table of the facet's codes (a few thousand at most) beats np.isin's sort.
            wanted = np.zeros(len(self._labels[name]), dtype=bool)
            wanted[[self._codes_of[name][v] for v in accepted if v in self._codes_of[name]]] = True
            ok &= wanted[self.codes[:, self.names.index(name)]]
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


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(distinct values, index of each value among them)``; O(n) for small non-negative
    integers (a table), a sort otherwise."""
    if len(values) and values.min() >= 0 and values.max() < max(4 * len(values), 1 << 22):
        seen = np.zeros(int(values.max()) + 1, dtype=bool)
        seen[values] = True
        distinct = np.flatnonzero(seen)
        number = np.empty(len(seen), dtype=np.int64)
        number[distinct] = np.arange(len(distinct))
        return distinct, number[values]
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct, inverse.reshape(-1)


def facet_values(
    frame: pl.DataFrame, checks: np.ndarray, known_emails: Collection[str] | None
) -> pl.DataFrame:
    """Each row's facet values (as text) and its failing-check bitset, for :class:`FacetIndex`."""
    values = frame.select(facet_expr(name, known_emails).cast(pl.String) for name in FACETS)
    return values.with_columns(pl.Series(CHECKS_COLUMN, checks, dtype=pl.Int64))


def facet_reads(known_emails: Collection[str] | None) -> dict[str, frozenset[str]]:
    """Per facet of :data:`FACETS`: the frame columns its value is computed from."""
    return {name: frozenset(facet_expr(name, known_emails).meta.root_names()) for name in FACETS}
