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


def _row_values(index: FacetIndex, row: int) -> dict[str, object]:
    combo = int(index.of_row[row])
    values: dict[str, object] = {
        name: index.labels(name)[int(index.codes[combo, k])] for k, name in enumerate(index.names)
    }
    return values | {CHECKS_COLUMN: int(index.checks[combo])}


def _recode(  # noqa: PLR0917 (a test helper: the change, spelled out)
    index: FacetIndex,
    rows: list[dict[str, object]],
    positions: list[int],
    values: dict[str, object],
    checks: int | None,
    per_row: bool = False,
) -> None:
    """Set ``values`` (some facets) and maybe ``checks`` on ``positions``: index and rows."""
    facets = [name for name in FACETS if name in values]
    # One value for every row, or the same value repeated per row: both ways of saying it.
    repeat = len(positions) if per_row else 1
    given = {name: pl.Series(name, [values[name]] * repeat, dtype=pl.String) for name in facets}
    bits = None if checks is None else np.full(len(positions), checks, dtype=np.int64)
    index.recode(np.array(positions, dtype=np.int64), given, bits)
    for position in positions:
        rows[position] = rows[position] | {name: values[name] for name in facets}
        if checks is not None:
            rows[position] = rows[position] | {CHECKS_COLUMN: checks}


def _same_as_fresh(index: FacetIndex, rows: list[dict[str, object]]) -> None:
    fresh = FacetIndex(_frame(rows))
    assert _tallies(index) == _tallies(fresh)
    assert int(index.n.sum()) == len(rows)
    assert [_row_values(index, i) for i in range(len(rows))] == rows


def test_recoding_some_facets_equals_building_afresh() -> None:
    rows: list[dict[str, object]] = [
        dict.fromkeys(FACETS, "a") | {CHECKS_COLUMN: 1},
        dict.fromkeys(FACETS, "b") | {CHECKS_COLUMN: 2},
        dict.fromkeys(FACETS) | {CHECKS_COLUMN: 0},
        dict.fromkeys(FACETS, "a") | {CHECKS_COLUMN: 0},
    ]
    index = FacetIndex(_frame(rows))
    _recode(index, rows, [0, 2, 3], {"state": "new value"}, None)
    _same_as_fresh(index, rows)
    _recode(index, rows, [0, 1], {"state": "b", "severity": None}, None, per_row=True)
    _same_as_fresh(index, rows)
    _recode(index, rows, [1, 2], {"month": None, "duration": "c"}, 3)
    _same_as_fresh(index, rows)
    # Rows whose new values equal their old ones stay where they were.
    _recode(index, rows, [0, 1, 2, 3], {"severity": "a"}, None)
    _same_as_fresh(index, rows)


@settings(max_examples=60)
@given(
    st.lists(_VALUES, min_size=1, max_size=12),
    st.lists(
        st.tuples(
            st.lists(st.integers(0, 11), min_size=1, max_size=12, unique=True),
            st.dictionaries(st.sampled_from(list(FACETS)), st.sampled_from(["a", "c", None])),
            st.one_of(st.none(), st.sampled_from([0, 1, 2, 3])),
            st.booleans(),
        ),
        max_size=6,
    ),
)
def test_recoding_and_updating_mixed_equals_building_afresh(
    rows: list[dict[str, object]],
    changes: list[tuple[list[int], dict[str, object], int | None, bool]],
) -> None:
    index = FacetIndex(_frame(rows))
    for drawn, values, checks, whole in changes:
        positions = sorted({i % len(rows) for i in drawn})
        if whole:
            new = [rows[p] | values | {CHECKS_COLUMN: checks or 0} for p in positions]
            index.update(np.array(positions), _frame(new))
            for position, row in zip(positions, new, strict=True):
                rows[position] = row
        else:
            _recode(index, rows, positions, values, checks, per_row=len(positions) % 2 == 0)
    _same_as_fresh(index, rows)
