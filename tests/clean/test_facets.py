"""Facet values per row, and filters as recipe scopes."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from ddinc.clean.facets import Where, facet_expr, list_facet_expr, search_mask, where_mask
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


def test_list_facets_match_any_value_and_none_means_empty() -> None:
    frame = frame_of(
        incident(teams=["db", "net"], title="Disk full on the db"),
        incident(teams=[], title="API down"),
        incident(teams=["web"], title=None),
    )
    words = frame.select(list_facet_expr("title words")).to_series().to_list()
    assert words == [["disk", "full", "db"], ["api", "down"], None]  # stop words left out
    assert where_mask(frame, Where(facets={"teams": ["net", "web"]})).to_list() == [
        True,
        False,
        True,
    ]
    assert where_mask(frame, Where(facets={"teams": [None]})).to_list() == [False, True, False]
    assert where_mask(frame, Where(facets={"title words": ["db"]})).to_list() == [
        True,
        False,
        False,
    ]
    with pytest.raises(ConfigError, match="title words"):
        list_facet_expr("nope")


def test_search_in_any_column_as_text_or_regex_and_in_a_scope() -> None:
    frame = frame_of(incident(title="Disk FULL"), incident(title="api down"), incident(title=None))
    assert search_mask(frame, "full").to_list() == [True, False, False]
    assert search_mask(frame, "pd-1").to_list() == [False, True, False]  # row keys are text
    assert search_mask(frame, "^api", regex=True).to_list() == [False, True, False]
    assert search_mask(frame, "(?i)^disk", regex=True, columns=["title"]).to_list() == [
        True,
        False,
        False,
    ]
    with pytest.raises(ConfigError, match="not a regular expression"):
        search_mask(frame, "(", regex=True)
    where = Where(facets={}, search="down")
    assert where.describe() == "containing 'down'"
    assert where_mask(frame, where).to_list() == [False, True, False]
    # A scope saved before search existed reads back as it was.
    assert Where.model_validate({"facets": {"state": ["active"]}}).search == ""


def test_duration_ranges_in_hours_leave_out_missing_durations() -> None:
    frame = frame_of(incident(), incident(resolved=None))
    hours = frame["time_to_resolve"][0].total_seconds() / 3600
    assert where_mask(
        frame, Where(facets={}, ranges={"time_to_resolve": (hours, None)})
    ).to_list() == [True, False]
    assert where_mask(
        frame, Where(facets={}, ranges={"time_to_resolve": (None, hours)})
    ).to_list() == [False, False]


def test_a_scope_is_written_as_before_unless_it_searches_or_ranges() -> None:
    plain = Where(facets={"state": ["active"]})
    assert plain.model_dump_json() == '{"facets":{"state":["active"]}}'
    searching = Where(facets={}, search="disk", regex=True, ranges={"time_to_resolve": (1, None)})
    assert Where.model_validate_json(searching.model_dump_json()) == searching
