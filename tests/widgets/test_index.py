"""The facet index: rows grouped into combinations of facet values, moved row by row."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from ddinc.clean.facets import FACETS
from ddinc.widgets.index import CHECKS_COLUMN, FacetIndex

_VALUES = st.fixed_dictionaries(
    {name: st.sampled_from(["a", "b", None]) for name in FACETS}
    | {CHECKS_COLUMN: st.sampled_from([0, 1, 2, 3])}
)


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    schema = dict.fromkeys(FACETS, pl.String) | {CHECKS_COLUMN: pl.Int64}
    return pl.DataFrame(rows, schema=schema)


def _tallies(index: FacetIndex) -> dict[str, list[tuple[str | None, int]]]:
    everything = np.ones(len(index.n), dtype=bool)
    return {
        name: sorted(index.counts(name, index.n, everything), key=repr) for name in index.names
    } | {"checks": [(None, n) for n in index.check_counts(2, index.n, everything)]}


@settings(max_examples=60)
@given(
    st.lists(_VALUES, min_size=1, max_size=12),
    st.lists(st.tuples(st.integers(0, 11), _VALUES), max_size=6),
)
def test_updating_rows_equals_building_afresh(
    rows: list[dict[str, object]], changes: list[tuple[int, dict[str, object]]]
) -> None:
    index = FacetIndex(_frame(rows))
    for drawn, values in changes:
        position = drawn % len(rows)
        rows[position] = values
        index.update(np.array([position]), _frame([values]))
    fresh = FacetIndex(_frame(rows))
    assert _tallies(index) == _tallies(fresh)
    assert int(index.n.sum()) == len(rows)


def test_filters_and_checks_select_combinations() -> None:
    rows: list[dict[str, object]] = [
        dict.fromkeys(FACETS, "a") | {CHECKS_COLUMN: 1},
        dict.fromkeys(FACETS, "b") | {CHECKS_COLUMN: 2},
        dict.fromkeys(FACETS) | {CHECKS_COLUMN: 0},
    ]
    index = FacetIndex(_frame(rows))
    kept = index.passing({"severity": ["a", None]}, None)[index.of_row]
    assert kept.tolist() == [True, False, True]
    failing_second = index.passing({}, check_bits=0b10)[index.of_row]
    assert failing_second.tolist() == [False, True, False]
    # A facet's own filter is skipped when counting that facet.
    passing = index.passing({"severity": ["a"]}, None, skip="severity")
    assert dict(index.counts("severity", index.n, passing)) == {"a": 1, "b": 1, None: 1}
