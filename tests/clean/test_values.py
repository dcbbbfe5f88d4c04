"""Recipe JSON values against the columns they go into."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.clean.values import is_editable, to_json, to_python
from ddinc.errors import ConfigError


@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_timestamps_round_trip_as_the_same_instant(naive: datetime, minutes: int) -> None:
    moment = naive.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    back = to_python("declared", to_json(moment))
    assert back == moment
    assert to_json(back).endswith("+00:00")  # type: ignore[union-attr]


def test_values_are_checked_against_their_column() -> None:
    assert to_python("teams", "db; net ;") == ["db", "net"]
    assert to_python("severity", None) is None
    assert to_python("title", "  kept as typed ") == "  kept as typed "
    assert to_python("resolved", "2024-01-01T10:00:00Z") == datetime(2024, 1, 1, 10, tzinfo=UTC)
    with pytest.raises(ConfigError, match="not one of"):
        to_python("severity", "P1")
    with pytest.raises(ConfigError, match="expected text"):
        to_python("title", ["a"])
    assert is_editable("field.root_cause")
    assert not is_editable("source")
