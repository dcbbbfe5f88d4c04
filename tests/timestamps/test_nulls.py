"""Null spellings: stripped, nulled, never flagged invalid (ddinc.timestamps._nulls)."""

from __future__ import annotations

import hypothesis.strategies as st
import polars as pl
from hypothesis import given, settings

from ddinc.timestamps import (
    NULL_SPELLINGS,
    normalize_nulls,
)
from tests.timestamps._helpers import parse

# -- null spellings --------------------------------------------------------------------------------


def test_brief_null_spellings_are_all_listed() -> None:
    wanted = {"", "?", "N/A", "n/a", "NA", "na", "null", "NULL", "Null", "None", "none"}
    wanted |= {"nil", "-", "--", "nan", "NaN", "NaT", "#N/A", "(none)"}
    assert wanted <= set(NULL_SPELLINGS)
    assert len(set(NULL_SPELLINGS)) == len(NULL_SPELLINGS)


def test_normalize_nulls_strips_and_nulls_every_spelling() -> None:
    padded = [f" \t{spelling}  " for spelling in NULL_SPELLINGS]
    frame = pl.DataFrame({"x": [*padded, "  x y ", "unknown", "nullx"]})
    out = frame.select(normalize_nulls(pl.col("x"))).to_series().to_list()
    assert out == [None] * len(NULL_SPELLINGS) + ["x y", "unknown", "nullx"]


def test_unknown_is_flagged_invalid_not_treated_as_missing() -> None:
    parsed = parse(["2024-01-12 15:45", "unknown", "?"])
    assert parsed.invalid.to_list() == [False, True, False]


whitespace = st.text(alphabet=" \t\n\r", max_size=3)


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(
        st.tuples(whitespace, st.sampled_from(NULL_SPELLINGS), whitespace), min_size=1, max_size=20
    ),
    with_value=st.booleans(),
)
def test_property_null_spellings_are_null_and_not_invalid(
    cells: list[tuple[str, str, str]], with_value: bool
) -> None:
    raw: list[str | None] = [left + spelling + right for left, spelling, right in cells]
    if with_value:
        raw.append("5/3/2016 12:00")
    parsed = parse(raw)
    assert parsed.values.to_list()[: len(cells)] == [None] * len(cells)
    assert parsed.invalid.to_list() == [False] * len(raw)
    assert not parsed.nonexistent.any()
    assert not parsed.ambiguous.any()
