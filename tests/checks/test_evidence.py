"""Raw timestamp text as evidence: explicit offsets, naive values, swappable numeric dates."""

from __future__ import annotations

import polars as pl
import pytest

from ddinc.checks.evidence import explicit, naive, numeric_date, swappable


def kinds(text: str | None) -> tuple[bool | None, ...]:
    frame = pl.DataFrame({"raw": [{"t": text}]}, schema={"raw": pl.Struct({"t": pl.String})})
    return frame.select(
        explicit("t").alias("explicit"),
        naive("t").alias("naive"),
        numeric_date("t").alias("numeric"),
        swappable("t").alias("swappable"),
    ).row(0)


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-12T15:45:00Z",
        "2024-01-12T15:45:00.123z",
        "2024-01-12T15:45:00+02:00",
        "2024-01-12 15:45:00-0500",
        "2024-01-12T15:45:00-05",
        "12/Jan/24 3:45 UTC",
        "1705074300",
        "1705074300123",
        " 1705074300.5 ",
    ],
)
def test_explicit_offsets_and_epochs(text: str) -> None:
    assert kinds(text)[:2] == (True, False)


@pytest.mark.parametrize(
    "text", ["2024-01-12", "2024-01-12 15:45:00", "12/Jan/24 3:45 PM", "5/3/2016 12:00"]
)
def test_naive_values(text: str) -> None:
    # "2024-01-12" ends in "-12", which is a day, not an offset.
    assert kinds(text)[:2] == (False, True)


@pytest.mark.parametrize(
    ("text", "numeric", "can_swap"),
    [
        ("5/3/2016 12:00", True, True),
        ("05.03.16", True, True),
        ("13/03/2016 09:00", True, False),
        ("3/3/2016", True, False),  # the same either way
        ("2016-03-05 12:00", False, False),
        ("12/Jan/24 3:45 PM", False, False),
    ],
)
def test_numeric_dates_and_whether_they_can_swap(text: str, numeric: bool, can_swap: bool) -> None:
    assert kinds(text)[2:] == (numeric, can_swap)


def test_missing_raw_text_is_no_evidence() -> None:
    assert kinds(None)[1] is False
    assert not kinds(None)[0]
