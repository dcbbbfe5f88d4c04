"""Values as message text: timestamps, durations, nulls, and template filling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.checks._text import MISSING, duration_text, render_template, text, timestamp_text
from ddinc.errors import ConfigError


def durations(*values: timedelta | None) -> list[str | None]:
    series = pl.Series("d", values, dtype=pl.Duration("us"))
    return pl.select(duration_text(pl.lit(series)).alias("d"))["d"].to_list()


def test_duration_text() -> None:
    day = timedelta(days=1)
    assert durations(
        3 * day + timedelta(hours=4, minutes=5, seconds=6),
        timedelta(hours=-5),
        -timedelta(hours=1, minutes=30),
        timedelta(0),
        timedelta(milliseconds=500),
        -timedelta(milliseconds=500),
        timedelta(seconds=59, milliseconds=999),
        None,
    ) == ["3d 4h 5m 6s", "-5h", "-1h 30m", "0s", "<1s", "-<1s", "59s", None]


@given(st.integers(-(10**6), 10**6))
def test_duration_text_sign_matches_the_value(seconds: int) -> None:
    (shown,) = durations(timedelta(seconds=seconds))
    assert shown is not None
    assert shown.startswith("-") == (seconds < 0)
    assert shown.count("-") == (seconds < 0)


def test_timestamp_text_is_utc_with_z() -> None:
    tokyo = pl.Series([datetime(2024, 1, 12, 15, 45, tzinfo=UTC)]).dt.convert_time_zone(
        "Asia/Tokyo"
    )
    assert pl.select(timestamp_text(pl.lit(tokyo))).item() == "2024-01-12T15:45:00Z"


def test_text_renders_each_dtype_and_nulls() -> None:
    frame = pl.DataFrame(
        {
            "n": [3, None],
            "teams": [["a", "b"], None],
            "at": pl.Series([datetime(2024, 1, 1, tzinfo=UTC), None]),
        }
    )
    rendered = frame.select(text(pl.col(name), dtype) for name, dtype in frame.schema.items())
    assert rendered.rows() == [("3", "a, b", "2024-01-01T00:00:00Z"), (MISSING, MISSING, MISSING)]


def test_render_template_fills_fields_and_keeps_braces() -> None:
    frame = pl.DataFrame({"a": ["x", None]})
    message = render_template("{a} is {{literal}}", {"a": pl.col("a")}, owner="demo")
    assert frame.select(message).to_series().to_list() == [
        "x is {literal}",
        f"{MISSING} is {{literal}}",
    ]


@pytest.mark.parametrize(
    ("template", "pattern"),
    [
        ("{b}", "neither a column nor a detail; known names: a"),
        ("{a:>5}", "format spec"),
        ("{a!r}", "format spec"),
        ("{a", "malformed"),
    ],
)
def test_render_template_rejects_what_it_cannot_fill(template: str, pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        render_template(template, {"a": pl.col("a")}, owner="demo")
