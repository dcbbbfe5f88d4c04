"""The true incidents every sample renders: shape, timeline order, long tails, missing rates."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddinc.errors import ConfigError
from ddinc.synth import WORLD_SCHEMA, people, world
from ddinc.synth import _world as w


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(0, 300))
def test_every_timeline_is_in_order(seed: int, n: int) -> None:
    frame = world(seed, n)
    assert frame.schema == WORLD_SCHEMA
    assert frame["key"].to_list() == list(range(n))
    for row in frame.to_dicts():
        if row["impact_start"] is not None:
            assert row["impact_start"] < row["detected"]
        assert row["detected"] < row["declared"]
        is_open = row["state"] in ("active", "stable")
        assert (row["resolved"] is None) == is_open
        if not is_open:
            assert row["declared"] < row["resolved"]
        if row["impact_end"] is not None:
            assert row["detected"] <= row["impact_end"] <= row["resolved"]
        if row["closed"] is not None:
            assert row["resolved"] < row["closed"] <= w.END
        assert row["teams"]
        assert (row["commander"] is None) == (row["commander_name"] is None)
        if row["services"]:
            assert w.SERVICES[row["services"][0]] == row["teams"][0]
    starts = frame["detected"].to_list()
    open_starts = frame.filter(pl.col("resolved").is_null())["detected"].to_list()
    assert all(t > w.END.replace(day=20) for t in open_starts), "open incidents are recent"
    assert len(starts) == n


def test_same_seed_same_world_other_seed_other_world() -> None:
    assert world(3, 50).equals(world(3, 50))
    assert not world(3, 50).equals(world(4, 50))


def test_durations_are_long_tailed_and_slower_for_lower_severities() -> None:
    frame = world(11, 20_000).filter(pl.col("resolved").is_not_null())
    resolve = (pl.col("resolved") - pl.col("declared")).dt.total_seconds().alias("s")
    by_sev = frame.group_by("severity").agg(
        median=resolve.median(), mean=resolve.mean(), log_mean=resolve.log().mean()
    )
    rows = {r["severity"]: r for r in by_sev.to_dicts()}
    medians = [rows[f"SEV-{i}"]["median"] for i in range(1, 6)]
    assert medians == sorted(medians)
    for sev, documented in w._RESOLVE_MEDIAN.items():
        row = rows[sev]
        assert abs(math.log(row["median"] / documented)) < 0.15
        # Lognormal: the mean sits well above the median, the log-mean at log(median).
        assert row["mean"] > 1.5 * row["median"]
        assert abs(row["log_mean"] - math.log(row["median"])) < 0.1


@pytest.mark.parametrize(
    ("expression", "rate"),
    [
        (pl.col("resolved").is_null(), w.OPEN_RATE),
        (pl.col("impact_start").is_null(), w.IMPACT_START_UNKNOWN_RATE),
        (pl.col("commander").is_null(), w.NO_COMMANDER_RATE),
        (pl.col("services").list.len() == 0, w.NO_SERVICE_RATE),
        (pl.col("root_cause").is_null(), w.NO_ROOT_CAUSE_RATE),
    ],
)
def test_unknowns_come_at_their_documented_rates(expression: pl.Expr, rate: float) -> None:
    n = 20_000
    seen = world(5, n).select(expression.sum()).item()
    sigma = math.sqrt(n * rate * (1 - rate))
    assert abs(seen - n * rate) < 5 * sigma


def test_people_are_distinct_with_example_emails() -> None:
    staff = people(7, 40)
    assert len({email for _, email in staff}) == 40
    assert all(email.endswith("@example.com") and email.isascii() for _, email in staff)


def test_world_refuses_nonsense() -> None:
    with pytest.raises(ConfigError, match="zero or more"):
        world(1, -1)
    with pytest.raises(ConfigError, match="timezone-aware"):
        world(1, 5, start=datetime(2024, 1, 1), end=datetime(2024, 2, 1, tzinfo=UTC))
