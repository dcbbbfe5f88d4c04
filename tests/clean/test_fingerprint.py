"""The data a recipe was made on: a digest and a sample of the row keys."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from ddinc.clean.fingerprint import SAMPLE_SIZE, fingerprint, shared_fraction


def _keys(keys: list[str], source: str = "jira") -> pl.DataFrame:
    return pl.DataFrame({"row_key": keys, "source": [source] * len(keys)})


def test_the_same_keys_in_another_order_are_the_same_data() -> None:
    keys = [f"jira:OPS-{i}" for i in range(1000)]
    made_on = fingerprint(_keys(keys))
    assert made_on.keys_sha256 == fingerprint(_keys(list(reversed(keys)))).keys_sha256
    assert made_on == fingerprint(_keys(list(reversed(keys))))
    assert made_on.rows == 1000
    assert made_on.source == "jira"
    assert len(made_on.key_sample) == SAMPLE_SIZE
    assert shared_fraction(made_on, _keys(list(reversed(keys)))) == 1.0


def test_the_shared_fraction_follows_the_rows_the_data_still_holds() -> None:
    keys = [f"jira:OPS-{i:05d}" for i in range(10_000)]
    made_on = fingerprint(_keys(keys))
    # Next week's export: every row still there and more.
    assert shared_fraction(made_on, _keys([*keys, "jira:OPS-X"])) == 1.0
    # A third of the rows, spread over the whole range.
    third = shared_fraction(made_on, _keys(keys[::3]))
    assert 0.28 < third < 0.39
    # Another system's export.
    assert shared_fraction(made_on, _keys([f"servicenow:INC{i}" for i in range(900)])) == 0.0


def test_a_recipe_made_on_no_rows_fits_any_data() -> None:
    made_on = fingerprint(_keys([]))
    assert shared_fraction(made_on, _keys([])) == 1.0
    assert shared_fraction(made_on, _keys(["jira:OPS-1"])) == 1.0


@settings(max_examples=50, deadline=None)
@given(keys=st.sets(st.text(min_size=1, max_size=8), max_size=SAMPLE_SIZE), cut=st.floats(0, 1))
def test_the_share_is_exact_up_to_the_sample_size(keys: set[str], cut: float) -> None:
    ordered = sorted(keys)
    kept = ordered[: round(len(ordered) * cut)]
    made_on = fingerprint(_keys(ordered))
    truth = len(kept) / len(ordered) if ordered else 1.0
    assert shared_fraction(made_on, _keys(kept)) == truth


def test_a_contiguous_block_of_sorted_keys_is_estimated_too() -> None:
    # The sample is by hash, not by position: a first half of the sorted keys is half.
    keys = [f"jira:OPS-{i:05d}" for i in range(10_000)]
    made_on = fingerprint(_keys(keys))
    assert 0.4 < shared_fraction(made_on, _keys(keys[:5000])) < 0.6
