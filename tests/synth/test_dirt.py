"""How dirt is handed out and how it bends timestamps."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from ddinc.synth._dirt import (
    BACKFILLED,
    HOUR_SHIFT,
    NEEDS_RESOLVED,
    REVERSED,
    apply_time_dirt,
    assign_dirt,
    long_title,
    planned_count,
)

rates = st.one_of(st.floats(0.001, 0.5), st.integers(0, 5))


@given(rate=rates, n=st.integers(0, 10_000))
def test_planned_count_is_at_least_one_and_at_most_n(rate: float, n: int) -> None:
    count = planned_count(rate, n)
    assert 0 <= count <= n
    if n and rate:
        assert count >= 1
    if isinstance(rate, float) and n:
        assert abs(count - rate * n) <= max(1, 0.5 + 1e-9)


@given(
    seed=st.integers(0, 10**6),
    resolved=st.lists(st.booleans(), min_size=0, max_size=300),
    spec=st.dictionaries(
        st.sampled_from([BACKFILLED, REVERSED, HOUR_SHIFT, "duplicate", "no_id"]), rates
    ),
)
def test_each_tag_lands_on_its_count_and_only_where_it_can(
    seed: int, resolved: list[bool], spec: dict[str, float | int]
) -> None:
    shiftable = [i % 3 != 0 for i in range(len(resolved))]
    tags = assign_dirt(random.Random(seed), spec, resolved, shiftable)
    assert len(tags) == len(resolved)
    assert tags == assign_dirt(random.Random(seed), spec, resolved, shiftable)
    for i, tag in enumerate(tags):
        if tag in NEEDS_RESOLVED:
            assert resolved[i]
        if tag == HOUR_SHIFT:
            assert shiftable[i]
    # With room for everything, every tag gets exactly its planned count.
    room = sum(planned_count(r, len(resolved)) for r in spec.values())
    eligible = min(sum(resolved), sum(shiftable))
    if room <= eligible // 2:
        for tag, rate in spec.items():
            assert tags.count(tag) == planned_count(rate, len(resolved))


def test_time_dirt_bends_only_the_tagged_rows() -> None:
    t = datetime(2024, 5, 1, 10, 17, 42, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "dirt": [None, BACKFILLED, REVERSED, HOUR_SHIFT],
            "detected": [t - timedelta(minutes=5)] * 4,
            "declared": [t] * 4,
            "resolved": [t + timedelta(hours=3)] * 4,
        }
    )
    bent = apply_time_dirt(
        frame, random.Random(1), columns=("detected", "declared", "resolved"), shifted=("declared",)
    ).to_dicts()
    clean, backfilled, reversed_, shifted = bent
    assert (clean["declared"], clean["resolved"], clean["hour_shift"]) == (
        t,
        t + timedelta(hours=3),
        0,
    )
    on_the_hour = t.replace(minute=0, second=0)
    assert backfilled["detected"] == backfilled["declared"] == backfilled["resolved"] == on_the_hour
    assert reversed_["resolved"] == t - timedelta(hours=3)
    assert reversed_["declared"] == t
    assert shifted["hour_shift"] in (-5, -2, -1, 1, 2)
    assert shifted["declared"] == t + timedelta(hours=shifted["hour_shift"])
    assert shifted["resolved"] == t + timedelta(hours=3), "only the typed columns move"


@given(title=st.text(max_size=200), seed=st.integers(0, 1000))
def test_long_titles_are_over_the_limit(title: str, seed: int) -> None:
    text = long_title(title, random.Random(seed))
    assert 1100 <= len(text) <= 1600
    assert text.startswith(title[:1000])
