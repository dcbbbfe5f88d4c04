"""collapse and fill_detected: the choices after reading, each one said."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from ddinc.sources import Mapping
from ddinc.sources.collapse import fill_detected
from ddinc.sources.columns import raw_name

T0 = datetime(2024, 1, 1, 10, tzinfo=UTC)
T1 = datetime(2024, 1, 1, 11, tzinfo=UTC)


def incidents() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "impact_start": [T0, None, T0],
            "declared": [T1, T1, T1],
            "detected": [None, None, T1],
            raw_name("impact_start"): ["2024-01-01 10:00", None, "x"],
            raw_name("declared"): ["d", "d", "d"],
            raw_name("detected"): [None, None, "seen"],
        }
    )


def test_nothing_is_filled_unless_asked() -> None:
    frame, note = fill_detected(incidents(), Mapping(source="s", id="id"))
    assert note is None
    assert frame.equals(incidents())


def test_only_missing_detected_times_are_filled_and_marked() -> None:
    frame, note = fill_detected(
        incidents(), Mapping(source="s", id="id", detected_from="impact_start")
    )
    assert frame["detected"].to_list() == [T0, None, T1]
    assert frame[raw_name("detected")].to_list() == [
        "from impact_start: 2024-01-01 10:00",
        None,
        "seen",
    ]
    assert note is not None
    assert note.startswith("detected was missing for 1 incident(s) and taken from impact_start")


def test_declared_can_be_the_origin() -> None:
    frame, note = fill_detected(incidents(), Mapping(source="s", id="id", detected_from="declared"))
    assert frame["detected"].to_list() == [T1, T1, T1]
    assert note is not None
    assert "for 2 incident(s)" in note
