"""The Cleaner's state without any widget: facets, filters, sort, pages, edits, selection."""

from __future__ import annotations

import pytest

from ddinc.errors import ConfigError
from ddinc.widgets.state import CleanerState
from tests.clean.conftest import CONTEXT, frame_of, incident


def _state(n: int = 7, **kwargs: object) -> CleanerState:
    rows = [incident(state="active", resolved=None) if i % 3 == 0 else incident() for i in range(n)]
    return CleanerState(frame_of(*rows), check_context=CONTEXT, page_size=3, **kwargs)  # type: ignore[arg-type]


def test_pages_cover_every_row_once() -> None:
    state = _state()
    seen = []
    for page in range(state.pages):
        state.set_page(page)
        seen += [row["key"] for row in state.page_rows()]
    assert sorted(seen) == sorted(state.history.marked["row_key"].to_list())
    state.set_page(99)
    assert state.page == state.pages - 1


def test_facet_counts_follow_the_other_facets() -> None:
    state = _state()
    counts = state.facet_counts()
    assert {v: n for v, n, _ in counts["state"]} == {"active": 3, "resolved": 4}
    state.toggle("state", "active")
    assert state.total == 3
    # The state facet still counts every state (its own filter does not narrow it)...
    assert {v: n for v, n, _ in state.facet_counts()["state"]} == {"active": 3, "resolved": 4}
    # ...while the others count only active rows.
    assert sum(n for _, n, _ in state.facet_counts()["severity"]) == 3
    state.toggle("state", "active")
    assert state.total == 7


def test_check_facet_and_badges() -> None:
    frame = frame_of(incident(), incident(state="active"))  # resolved while active: an error
    state = CleanerState(frame, check_context=CONTEXT)
    (check,) = state.facet_counts()["check"]
    assert check == ["resolved_time_while_open", 1, False, "error"]
    state.toggle("check", "resolved_time_while_open")
    (row,) = state.page_rows()
    assert row["key"] == "pagerduty:PD-1"
    assert row["badges"] == [["resolved_time_while_open", "error"]]


def test_sort_keeps_nulls_last() -> None:
    state = CleanerState(
        frame_of(incident(title="b"), incident(title=None), incident(title="a")),
        check_context=CONTEXT,
    )
    state.set_sort("title")
    assert [r["cells"]["title"] for r in state.page_rows()] == ["a", "b", None]
    state.set_sort("title", descending=True)
    assert [r["cells"]["title"] for r in state.page_rows()] == ["b", "a", None]
    with pytest.raises(ConfigError, match="cannot sort"):
        state.set_sort("raw")


def test_edits_recheck_and_refresh_facets() -> None:
    state = CleanerState(frame_of(incident(), incident(state="active")), check_context=CONTEXT)
    state.edit("pagerduty:PD-1", "state", "resolved")
    assert state.facet_counts()["check"] == []
    assert not state.checks_stale
    state.edit("pagerduty:PD-0", "declared", "2023-03-01 09:30")
    assert state.cell_json("pagerduty:PD-0", "declared") == "2023-03-01T09:30:00+00:00"
    state.undo()
    state.undo()
    assert state.facet_counts()["check"][0][0] == "resolved_time_while_open"


def test_bulk_edit_and_selection_use_the_facet_scope() -> None:
    state = _state()
    state.toggle("state", "active")
    state.bulk_set("severity", "SEV-1")
    state.select_filtered()
    assert state.n_selected == 3
    frame = state.cleaned_frame()
    assert frame.filter(frame["state"] == "active")["severity"].to_list() == ["SEV-1"] * 3
    state.select(["pagerduty:PD-0"], on=False)
    assert sorted(state.selected_keys()) == ["pagerduty:PD-3", "pagerduty:PD-6"]


def test_on_demand_checks_say_they_are_stale() -> None:
    state = _state(recheck="on_demand")
    state.edit("pagerduty:PD-0", "title", "x")
    assert state.checks_stale
    state.recheck()
    assert not state.checks_stale


def test_filtered_pages_read_lazily_match_the_filter() -> None:
    rows = [
        incident(
            severity=("SEV-1", "SEV-2", "SEV-3")[i % 3],
            state=("active", "stable")[i % 2],
            resolved=None,
        )
        for i in range(40)
    ]
    frame = frame_of(*rows)
    state = CleanerState(frame, check_context=CONTEXT, page_size=4)
    state.set_filters({"severity": ["SEV-1", "SEV-3"], "month": [None, "2023-03", "2023-04"]})
    expected = frame.filter(frame["severity"].is_in(["SEV-1", "SEV-3"]))["row_key"].to_list()
    assert state.total == len(expected)
    seen = []
    for page in range(state.pages):
        state.set_page(page)
        seen += [row["key"] for row in state.page_rows()]
    assert seen == expected
    state.set_sort("severity", descending=True)
    state.set_page(0)
    assert {row["cells"]["severity"] for row in state.page_rows()} == {"SEV-3"}


def test_the_row_view_shows_the_records_notes_even_where_a_frame_has_none() -> None:
    notes = ["2022-05-01T12:00:00Z investigating: Looking", "2022-05-01T13:00:00Z resolved: ok"]
    frame = frame_of(incident(notes=notes), incident())
    (first, second) = CleanerState(frame, check_context=CONTEXT).page_rows()
    assert first["cells"]["notes"] == "; ".join(notes)
    assert second["cells"]["notes"] is None
    older = CleanerState(frame.drop("notes"), check_context=CONTEXT)
    assert [row["cells"]["notes"] for row in older.page_rows()] == [None, None]
