"""Values as message text: timestamps, durations, nulls, and template filling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.checks._text import (
    MISSING,
    PY_WHITESPACE,
    duration_text,
    pair_texts,
    render_template,
    text,
    timestamp_text,
)
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
        None,
    ) == ["3 d 4 h 5 min 6 s", "-5 h", "-1 h 30 min", "0 s", None]


def test_duration_text_shows_the_real_gap_below_a_minute() -> None:
    # The issue's own examples: a sub-second slip between two systems, and a 4-hour one whose
    # zero minutes must still show so that "4 h 58 s" cannot be misread as 4 h 58 min.
    assert durations(
        timedelta(milliseconds=57),
        -timedelta(milliseconds=57),
        timedelta(microseconds=250),
        timedelta(seconds=1, milliseconds=500),
        timedelta(seconds=59, milliseconds=999),
        timedelta(seconds=3),
        timedelta(hours=4, seconds=58),
        timedelta(days=58, hours=8),
    ) == [
        "57 ms",
        "-57 ms",
        "250 µs",
        "1.5 s",
        "59.999 s",
        "3 s",
        "4 h 0 min 58 s",
        "58 d 8 h",
    ]


@given(st.integers(1, 10**13))
def test_duration_text_is_never_zero_for_a_non_zero_span(micros: int) -> None:
    (shown,) = durations(timedelta(microseconds=micros))
    assert shown is not None
    assert shown != "0 s"
    assert shown[0].isdigit()


@given(st.integers(60, 10**8))
def test_duration_text_adds_back_to_the_whole_seconds(seconds: int) -> None:
    (shown,) = durations(timedelta(seconds=seconds))
    assert shown is not None
    size = {"d": 86_400, "h": 3_600, "min": 60, "s": 1}
    tokens = shown.split()
    assert sum(int(n) * size[unit] for n, unit in zip(tokens[::2], tokens[1::2], strict=True)) == (
        seconds
    )


def test_pair_texts_show_more_precision_only_when_needed() -> None:
    base = datetime(2024, 1, 12, 15, 45, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "a": [base, base, base + timedelta(microseconds=10), base],
            "b": [
                base + timedelta(milliseconds=57),
                base + timedelta(hours=4, seconds=58),
                base + timedelta(microseconds=20),
                base,
            ],
        }
    )
    first, second = pair_texts(pl.col("a"), pl.col("b"))
    assert frame.select(first.alias("a"), second.alias("b")).rows() == [
        ("2024-01-12T15:45:00.000Z", "2024-01-12T15:45:00.057Z"),
        ("2024-01-12T15:45:00Z", "2024-01-12T19:45:58Z"),
        ("2024-01-12T15:45:00.000010Z", "2024-01-12T15:45:00.000020Z"),
        ("2024-01-12T15:45:00Z", "2024-01-12T15:45:00Z"),
    ]


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


def test_py_whitespace_is_exactly_what_python_strips() -> None:
    # The request models strip with str.strip; the checks must call the same titles blank.
    everything = "".join(chr(code) for code in range(0x110000) if chr(code).isspace())
    assert set(PY_WHITESPACE) == set(everything)
