"""Per-phase statistics: counts that add up, the documented estimates, honest intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.errors import ConfigError
from ddinc.schema import TIMESTAMPS, Timestamp
from ddinc.stats import phase_stats, phase_values
from ddinc.timeline import PHASES

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def incidents(resolve_hours: list[float | None], **columns: list[object]) -> pl.DataFrame:
    """Incidents declared at T0 + i days and resolved ``resolve_hours`` later (None: open)."""
    declared = [T0 + timedelta(days=i) for i in range(len(resolve_hours))]
    resolved = [
        None if h is None else d + timedelta(hours=h)
        for d, h in zip(declared, resolve_hours, strict=True)
    ]
    frame = pl.DataFrame(
        {
            **dict.fromkeys(TIMESTAMPS, [None] * len(declared)),
            "declared": declared,
            "resolved": resolved,
        },
        schema=dict.fromkeys(TIMESTAMPS, Timestamp),
    )
    return frame.with_columns(pl.Series(name, values) for name, values in columns.items())


def row(stats_table: pl.DataFrame, phase: str, group: str = "all") -> dict[str, object]:
    found = stats_table.filter((pl.col("phase") == phase) & (pl.col("group") == group))
    assert found.height == 1
    return found.row(0, named=True)


def test_point_estimates_are_the_sample_statistics() -> None:
    hours = [1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0]
    resolve = row(phase_stats(incidents(hours), n_boot=200).table, "time_to_resolve")
    seconds = np.array(hours) * 3600
    assert resolve["median_s"] == pytest.approx(5 * 3600)
    for stat, q in (("p75", 0.75), ("p90", 0.9), ("p95", 0.95)):
        assert resolve[f"{stat}_s"] == pytest.approx(np.quantile(seconds, q))
    assert resolve["geomean_s"] == pytest.approx(np.exp(np.log(seconds).mean()))
    for stat in ("median", "p75", "p90", "p95", "geomean"):
        low, high = resolve[f"{stat}_lo_s"], resolve[f"{stat}_hi_s"]
        assert seconds.min() <= low <= high <= seconds.max()


def test_measured_from_n_of_m_says_why_the_rest_are_not() -> None:
    # 4 real, 1 open (no resolved), 1 reversed, 1 back-filled (declared == resolved).
    frame = incidents([1.0, 2.0, 3.0, 4.0, None, -1.0, 0.0])
    resolve = row(phase_stats(frame, n_boot=50).table, "time_to_resolve")
    assert (resolve["of"], resolve["measured"]) == (7, 4)
    assert (resolve["missing"], resolve["missing_reasons"]) == (1, "1 no resolved")
    assert resolve["left_out"] == 2
    assert resolve["left_out_reasons"] == "1 reversed_interval; 1 zero_length_incident"
    assert resolve["median_s"] == pytest.approx(2.5 * 3600)
    detect = row(phase_stats(frame, n_boot=50).table, "time_to_detect")
    assert (detect["measured"], detect["missing_reasons"]) == (0, "7 no impact_start nor detected")
    assert detect["median_s"] is None
    assert detect["median_lo_s"] is None


def test_include_unreal_puts_back_what_was_left_out() -> None:
    frame = incidents([1.0, 2.0, 3.0, 4.0, None, -1.0, 0.0])
    resolve = row(phase_stats(frame, n_boot=50, include_unreal=True).table, "time_to_resolve")
    assert (resolve["measured"], resolve["left_out"], resolve["zero"]) == (6, 0, 1)
    assert resolve["median_s"] == pytest.approx(1.5 * 3600)  # -1, 0, 1, 2, 3, 4
    # The geometric mean uses only the values above 0 s: 1, 2, 3, 4 hours.
    assert resolve["geomean_s"] == pytest.approx(
        np.exp(np.log(np.array([1, 2, 3, 4]) * 3600).mean())
    )


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(-5, 500, allow_nan=False)),
            st.sampled_from(["SEV-1", "SEV-2", None]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_counts_add_up_and_medians_match_polars_per_group(
    rows: list[tuple[float | None, str | None]],
) -> None:
    frame = incidents([h for h, _ in rows]).with_columns(
        severity=pl.Series([s for _, s in rows], dtype=pl.String)
    )
    table = phase_stats(frame, "severity", phases="resolve", n_boot=20).table
    assert table["of"].sum() == frame.height
    for r in table.iter_rows(named=True):
        assert r["measured"] + r["missing"] + r["left_out"] == r["of"]
        group = frame.filter(
            pl.col("severity").fill_null("(none)") == r["group"],
        )
        seconds = group.select(
            (pl.col("resolved") - pl.col("declared")).dt.total_seconds(fractional=True)
        ).to_series()
        kept = seconds.filter(seconds > 0)  # zero ones are back-fills here, negative reversed
        assert r["measured"] == kept.len()
        if kept.len():
            assert r["median_s"] == pytest.approx(kept.median())
        else:
            assert r["median_s"] is None


def test_severity_groups_come_in_datadogs_order_with_none_last() -> None:
    frame = incidents([1.0, 2.0, 3.0, 4.0]).with_columns(
        severity=pl.Series(["SEV-3", None, "SEV-1", "UNKNOWN"])
    )
    groups = phase_stats(frame, "severity", phases="resolve", n_boot=10).table["group"].to_list()
    assert groups == ["UNKNOWN", "SEV-1", "SEV-3", "(none)"]


def test_team_counts_an_incident_once_in_each_of_its_teams() -> None:
    frame = incidents([1.0, 3.0, 5.0]).with_columns(
        teams=pl.Series([["db", "net"], ["db"], []], dtype=pl.List(pl.String))
    )
    table = phase_stats(frame, "team", phases="resolve", n_boot=10).table
    assert table["group"].to_list() == ["db", "net", "(none)"]
    assert table["of"].to_list() == [2, 1, 1]
    assert row(table, "time_to_resolve", "db")["median_s"] == pytest.approx(2 * 3600)


def test_month_groups_by_the_first_known_time() -> None:
    frame = incidents([1.0] * 40)  # declared daily from 2024-01-01
    table = phase_stats(frame, "month", phases="resolve", n_boot=10).table
    assert table["group"].to_list() == ["2024-01", "2024-02"]
    assert table["of"].to_list() == [31, 9]


def test_all_six_phases_by_default_and_short_names_accepted() -> None:
    frame = incidents([1.0])
    assert tuple(phase_stats(frame, n_boot=5).table["phase"]) == PHASES
    short = phase_stats(frame, phases=["detect", "repair"], n_boot=5).table["phase"]
    assert short.to_list() == ["time_to_detect", "time_to_repair"]


def test_same_seed_same_intervals_other_seed_other_intervals() -> None:
    frame = incidents(list(np.random.default_rng(0).lognormal(1, 1, 50)))
    first = phase_stats(frame, phases="resolve", n_boot=300, seed=7).table
    assert first.equals(phase_stats(frame, phases="resolve", n_boot=300, seed=7).table)
    other = phase_stats(frame, phases="resolve", n_boot=300, seed=8).table
    assert first["median_s"].equals(other["median_s"])
    assert not first["p90_lo_s"].equals(other["p90_lo_s"])


def test_intervals_cover_the_true_median_about_as_often_as_they_claim() -> None:
    # 300 samples of 60 lognormal durations: the true median is exp(mu) hours. A 95%
    # interval should miss it roughly 15 times; a broken bootstrap misses far more or never.
    rng = np.random.default_rng(11)
    trials, n = 300, 60
    hours = rng.lognormal(0.5, 1.2, trials * n)
    frame = incidents(list(hours)).with_columns(trial=pl.Series(np.repeat(np.arange(trials), n)))
    table = phase_stats(frame, "trial", phases="resolve", n_boot=1000, seed=3).table
    truth = np.exp(0.5) * 3600
    covered = ((table["median_lo_s"] <= truth) & (table["median_hi_s"] >= truth)).mean()
    assert 0.90 <= covered <= 0.99
    geo_covered = ((table["geomean_lo_s"] <= truth) & (table["geomean_hi_s"] >= truth)).mean()
    assert 0.90 <= geo_covered <= 0.99


def test_phase_values_is_the_long_form_with_reasons() -> None:
    frame = incidents([2.0, None])
    long = phase_values(frame, "resolve")
    assert long.columns == ["group", "phase", "seconds", "missing", "left_out"]
    assert long["seconds"].to_list() == [7200.0, None]
    assert long["missing"].to_list() == [None, "no resolved"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "colour"}, "no column 'colour'"),
        ({"phases": "lunch"}, "unknown phase"),
        ({"n_boot": 0}, "n_boot"),
        ({"level": 95}, "level"),
    ],
)
def test_bad_settings_say_what_is_allowed(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        phase_stats(incidents([1.0]), **kwargs)  # type: ignore[arg-type]


def test_naive_timestamps_are_refused_with_the_fix() -> None:
    frame = pl.DataFrame({"declared": [datetime(2024, 1, 1)], "resolved": [datetime(2024, 1, 2)]})
    with pytest.raises(ConfigError, match="replace_time_zone"):
        phase_stats(frame)


def test_html_and_text_say_measured_from_and_escape_group_names() -> None:
    frame = incidents([1.0, 2.0, None]).with_columns(source=pl.Series(["<b>x</b>"] * 3))
    stats = phase_stats(frame, "source", phases="resolve", n_boot=20)
    page = stats._repr_html_()
    assert "measured from 2 of 3 (missing: 1 no resolved)" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page
    assert "95% bootstrap interval (20 resamples, seed 0)" in page
    assert "measured from 2 of 3" in str(stats)


def test_html_leaves_out_phases_measured_for_no_incident_and_names_them() -> None:
    page = phase_stats(incidents([1.0, 2.0]), n_boot=10).to_html()
    assert "Not measured for any incident, so not shown: time_to_detect, time_to_declare" in page
    assert "<td>time_to_detect</td>" not in page
    assert "<td>time_to_resolve</td>" in page
