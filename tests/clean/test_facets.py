"""Facet values per row, and filters as recipe scopes."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from ddinc.clean.facets import Where, facet_expr, where_mask
from ddinc.errors import ConfigError
from tests.clean.conftest import CONTEXT, frame_of, incident, start_of


def _values(frame: pl.DataFrame, name: str, **kwargs: object) -> list[object]:
    return frame.select(facet_expr(name, **kwargs)).to_series().to_list()  # type: ignore[arg-type]


def test_duration_bands_month_and_people() -> None:
    start = start_of(0)
    frame = frame_of(
        incident(resolved=None),
        incident(resolved=start_of(1) + timedelta(minutes=19)),  # zero: resolved == declared
        incident(),  # 1h54m
        incident(commander="Ann Lee"),
        incident(commander=None, declared_by=None),
    )
    assert _values(frame, "duration") == ["missing", "zero", "1h to 1d", "1h to 1d", "1h to 1d"]
    assert _values(frame, "month")[0] == start.strftime("%Y-%m")
    assert _values(frame, "people") == ["mapped", "mapped", "mapped", "unmapped", "nobody"]
    known = ["ann@example.com"]
    assert _values(frame, "people", known_emails=known)[:2] == ["unmapped", "unmapped"]


def test_where_combines_facets_and_accepts_missing_values() -> None:
    frame = frame_of(incident(severity=None), incident(severity="SEV-1"), incident(state="active"))
    where = Where(facets={"severity": [None, "SEV-2"], "state": ["resolved", "active"]})
    assert where_mask(frame, where).to_list() == [True, False, True]
    assert "severity in ((none), SEV-2)" in where.describe()
    checks = Where(facets={"check": ["resolved_time_while_open"]})
    from ddinc.checks import run_checks

    mask = where_mask(frame, checks, lambda: run_checks(frame, context=CONTEXT))
    assert mask.to_list() == [False, False, True]
    with pytest.raises(ConfigError, match="no check report"):
        where_mask(frame, checks)
    with pytest.raises(ConfigError, match="no facet named"):
        facet_expr("colour")
