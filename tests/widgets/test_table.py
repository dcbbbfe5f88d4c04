"""The table widget driven as the browser drives it: messages in, traits out."""

from __future__ import annotations

import pytest

from ddinc.widgets.state import CleanerState
from ddinc.widgets.table import CleanerTable
from tests.clean.conftest import CONTEXT, frame_of, incident
from tests.widgets.conftest import browser_message


@pytest.fixture
def table() -> CleanerTable:
    frame = frame_of(
        incident(title=None),
        incident(title=""),
        incident(title="  padded "),
        incident(title="<script>alert(1)</script>", state="active"),
    )
    return CleanerTable(CleanerState(frame, check_context=CONTEXT, page_size=2))


def test_first_page_is_synced_with_raw_values(table: CleanerTable) -> None:
    assert table.total == 4
    assert table.pages == 2
    assert [row["cells"]["title"] for row in table.rows] == [None, ""]
    table._handle_msg(browser_message({"type": "page", "page": 1}))
    # Values travel as data; the browser writes them with textContent, never as HTML.
    assert [row["cells"]["title"] for row in table.rows] == [
        "  padded ",
        "<script>alert(1)</script>",
    ]


def test_facet_edit_undo_select_round_trip(table: CleanerTable) -> None:
    version = table.version
    table._handle_msg(browser_message({"type": "toggle", "facet": "state", "value": "active"}))
    assert table.total == 1
    assert table.version > version
    (row,) = table.rows
    assert row["badges"] == [["resolved_time_while_open", "error"]]
    table._handle_msg(
        browser_message({"type": "edit", "key": row["key"], "column": "state", "value": "resolved"})
    )
    assert table.last_error == ""
    assert table.facets["check"] == []
    assert table.can_undo
    table._handle_msg(browser_message({"type": "undo"}))
    assert table.facets["check"][0][0] == "resolved_time_while_open"
    assert table.can_redo
    table._handle_msg(browser_message({"type": "select", "key": row["key"], "on": True}))
    assert table.n_selected == 1
    assert table.state.selected_keys() == [row["key"]]
    assert len(table.history) == 1


def test_refused_edits_land_in_last_error(table: CleanerTable) -> None:
    key = table.rows[0]["key"]
    table._handle_msg(
        browser_message({"type": "edit", "key": key, "column": "state", "value": "nope"})
    )
    assert "not one of" in table.last_error
    table._handle_msg(
        browser_message({"type": "edit", "key": key, "column": "declared", "value": "soon"})
    )
    assert "ISO 8601" in table.last_error
    table._handle_msg(
        browser_message({"type": "edit", "key": key, "column": "source", "value": "x"})
    )
    assert "not editable" in table.last_error
    table._handle_msg(browser_message({"type": "nonsense"}))
    assert "unknown message" in table.last_error
    assert not table.can_undo


def test_sort_and_clear_messages(table: CleanerTable) -> None:
    table._handle_msg(browser_message({"type": "sort", "column": "title", "descending": False}))
    assert table.sort == ["title", False]
    assert table.rows[0]["cells"]["title"] == ""
    table._handle_msg(browser_message({"type": "toggle", "facet": "state", "value": "active"}))
    table._handle_msg(browser_message({"type": "clear"}))
    assert table.total == 4


def test_search_history_jump_and_record_messages(table: CleanerTable) -> None:
    table._handle_msg(browser_message({"type": "search", "text": "padded"}))
    assert table.total == 1
    assert table.search == "padded"
    key = table.rows[0]["key"]
    table._handle_msg(browser_message({"type": "record", "key": key}))
    cells = dict(table.record["cells"])
    assert cells["title"] == "  padded "
    table._handle_msg(
        browser_message({"type": "edit", "key": key, "column": "title", "value": "padded!"})
    )
    assert dict(table.record["cells"])["title"] == "padded!"  # the open record follows edits
    table._handle_msg(browser_message({"type": "goto", "count": 0}))
    assert [item["done"] for item in table.history] == [False]
    assert table.can_redo
    table._handle_msg(browser_message({"type": "select", "key": key, "on": True}))
    assert table.can_redo  # a tick is not a step
    table._handle_msg(browser_message({"type": "goto", "count": 1}))
    assert table.rows[0]["cells"]["title"] == "padded!"
    table._handle_msg(browser_message({"type": "clear"}))
    assert (table.total, table.search) == (4, "")


def test_facets_open_when_asked_and_a_tick_keeps_the_counts(table: CleanerTable) -> None:
    assert table.facets["teams"] == []
    table._handle_msg(browser_message({"type": "open_facet", "facet": "teams", "open": True}))
    assert table.facets["teams"]
    facets = table.facets
    table._handle_msg(browser_message({"type": "select", "key": table.rows[0]["key"]}))
    assert table.facets is facets
    assert table.n_selected == 1


def test_a_duration_range_filters_in_hours_and_is_the_bulk_scope() -> None:
    frame = frame_of(incident(), incident(resolved=None), incident())
    table = CleanerTable(CleanerState(frame, check_context=CONTEXT))
    hours = frame["time_to_resolve"][0].total_seconds() / 3600
    table._handle_msg(
        browser_message({"type": "range", "column": "time_to_resolve", "low": "", "high": hours})
    )
    assert table.total == 0  # [.., hours): the resolved rows take exactly that long
    table._handle_msg(
        browser_message({"type": "range", "column": "time_to_resolve", "low": "1", "high": ""})
    )
    assert [row["key"] for row in table.rows] == ["pagerduty:PD-0", "pagerduty:PD-2"]
    assert table.ranges == {"time_to_resolve": [1.0, None]}
    assert "time_to_resolve from 1h" in table.state.where.describe()
    table._handle_msg(browser_message({"type": "range", "column": "time_to_resolve", "low": "x"}))
    assert "not a number of hours" in table.last_error
    table._handle_msg(browser_message({"type": "range", "column": "title", "low": "1"}))
    assert "no duration column" in table.last_error
    table._handle_msg(browser_message({"type": "clear"}))
    assert table.total == 3
