"""The Cleaner's state without any widget: facets, filters, sort, pages, edits, selection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from ddinc.checks.rows import row_local_checks
from ddinc.errors import ConfigError
from ddinc.widgets.state import CleanerState
from tests.clean.conftest import CONTEXT, frame_of, incident, start_of


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


def test_the_row_view_shows_the_records_notes_and_search_reads_them() -> None:
    notes = ["2022-05-01T12:00:00Z investigating: Looking", "2022-05-01T13:00:00Z resolved: ok"]
    state = CleanerState(frame_of(incident(notes=notes), incident()), check_context=CONTEXT)
    assert dict(state.record("pagerduty:PD-0")["cells"])["notes"] == "; ".join(notes)
    assert dict(state.record("pagerduty:PD-1")["cells"])["notes"] is None
    state.set_search("looking")
    assert [row["key"] for row in state.page_rows()] == ["pagerduty:PD-0"]


def _counts(state: CleanerState) -> dict[str, list[list[Any]]]:
    return {name: sorted(values, key=repr) for name, values in state.facet_counts().items()}


def _keys_in_view(state: CleanerState) -> list[str]:
    seen = []
    for page in range(state.pages):
        state.set_page(page)
        seen += [row["key"] for row in state.page_rows()]
    return seen


def test_index_after_small_steps_equals_a_fresh_one() -> None:
    """Edits move only the touched rows in the facet index: the counts and the view are the
    ones a Cleaner built afresh on the edited frame would show."""
    rows = [
        incident(severity=("SEV-1", "SEV-2")[i % 2], state="active", resolved=None)
        for i in range(12)
    ]
    state = CleanerState(frame_of(*rows), check_context=CONTEXT, page_size=5, recheck="on_demand")
    state.toggle("severity", "SEV-1")
    state.edit("pagerduty:PD-0", "severity", "SEV-3")  # leaves the view
    state.edit("pagerduty:PD-1", "severity", "SEV-1")  # enters it
    state.edit("pagerduty:PD-2", "declared", "2023-01-05 10:00")  # moves month
    state.bulk_set("state", "stable")
    state.undo()
    state.redo()
    state.edit("pagerduty:PD-4", "commander", "zed@example.com")
    fresh = CleanerState(
        state.history.marked.drop("__excluded", "__selected"),
        check_context=CONTEXT,
        page_size=5,
        recheck="on_demand",
    )
    fresh.set_filters(state.filters)
    assert _counts(state) == _counts(fresh)
    assert _keys_in_view(state) == _keys_in_view(fresh)
    state.goto(0)
    start = CleanerState(frame_of(*rows), check_context=CONTEXT, page_size=5, recheck="on_demand")
    start.set_filters(state.filters)
    assert _counts(state) == _counts(start)


def test_selection_is_not_a_step_and_never_wipes_redo() -> None:
    state = _state()
    state.edit("pagerduty:PD-1", "title", "fixed")
    state.undo()
    assert state.history.can_redo
    state.select(["pagerduty:PD-2"])
    state.select_filtered()
    assert state.history.can_redo
    assert state.history.steps == ()
    assert state.n_selected == 7
    state.redo()
    assert state.cell_json("pagerduty:PD-1", "title") == "fixed"
    assert state.n_selected == 7


def test_history_items_list_each_step_once_with_undone_ones_greyed() -> None:
    state = _state()
    state.edit("pagerduty:PD-0", "title", "a")
    state.edit("pagerduty:PD-1", "title", "b")
    state.undo()
    items = state.history_items()
    assert [(item["n"], item["done"]) for item in items] == [(1, True), (2, False)]
    assert items[0]["text"].startswith("set title of pagerduty:PD-0")
    assert state.history_lines() == [f"1. {items[0]['text']} (applied, 1 changed)"]
    state.goto(2)
    assert state.cell_json("pagerduty:PD-1", "title") == "b"
    state.goto(0)
    assert [item["done"] for item in state.history_items()] == [False, False]


def test_text_search_substring_and_regex_any_column() -> None:
    state = CleanerState(
        frame_of(incident(title="Disk full"), incident(title="API down"), incident(title=None)),
        check_context=CONTEXT,
    )
    state.set_search("disk")
    assert [row["key"] for row in state.page_rows()] == ["pagerduty:PD-0"]
    state.set_search(r"^(api|disk)\b", regex=False)
    assert state.total == 0
    state.set_search(r"(?i)^(api|disk)\b", regex=True)
    assert state.total == 2
    state.set_search("pd-2")  # the row key is a column too
    assert [row["key"] for row in state.page_rows()] == ["pagerduty:PD-2"]
    with pytest.raises(ConfigError, match="not a regular expression"):
        state.set_search("(", regex=True)
    assert state.where.search == "pd-2"
    state.edit("pagerduty:PD-0", "title", "pd-2 again")  # an edited row joins the search
    assert state.total == 2


def test_list_facets_title_words_month_order_and_commander() -> None:
    rows = [
        incident(title="Disk full on db", teams=["db", "net"]),
        incident(title="Disk slow", teams=["db"], declared=datetime(2023, 1, 2, tzinfo=UTC)),
        incident(title="API down", teams=[], commander="Zed"),
    ]
    state = CleanerState(frame_of(*rows), check_context=CONTEXT)
    for name in ("teams", "title words"):
        assert state.facet_counts()[name] == []  # closed: counted when opened
        state.open_facet(name)
    counts = state.facet_counts()
    assert counts["teams"][:2] == [["db", 2, False], ["net", 1, False]]
    assert [None, 1, False] in counts["teams"]
    assert ["disk", 2, False] in counts["title words"]
    months = [value for value, _, _ in counts["month"]]
    assert months == sorted(months, key=lambda v: (v is None, v or ""))
    assert ["Zed", 1, False] in counts["commander"]
    state.toggle("teams", "net")
    assert [row["key"] for row in state.page_rows()] == ["pagerduty:PD-0"]
    state.toggle("title words", "disk")
    assert state.total == 1
    assert state.where.facets == {"teams": ["net"], "title words": ["disk"]}


def test_record_shows_every_column_and_failing_checks_with_messages() -> None:
    state = CleanerState(frame_of(incident(), incident(state="active")), check_context=CONTEXT)
    record = state.record("pagerduty:PD-1")
    names = [name for name, _ in record["cells"]]
    assert names == list(state.history.original.columns)
    assert "raw" in names
    ((check, level, message),) = record["checks"]
    assert (check, level) == ("resolved_time_while_open", "error")
    assert message
    with pytest.raises(ConfigError, match="no row"):
        state.record("nope")


def test_large_frames_check_on_demand_and_say_so() -> None:
    frame = frame_of(incident(), incident(state="active"))
    state = CleanerState(frame, check_context=CONTEXT, recheck="on_demand")
    assert state.report is None
    assert "not run yet" in state.checks_note
    assert state.facet_counts()["check"] == []
    state.recheck()
    assert state.checks_note == ""
    assert state.facet_counts()["check"]


def test_a_facet_of_many_values_lists_the_most_frequent_and_the_accepted() -> None:
    rows = [incident(commander=f"user{i:02d}") for i in range(60)] + [incident(commander="user00")]
    state = CleanerState(frame_of(*rows), check_context=CONTEXT, recheck="on_demand")
    shown = state.facet_counts()["commander"]
    assert len(shown) == 50
    assert shown[0] == ["user00", 2, False]
    state.toggle("commander", "user59")
    assert ["user59", 1, True] in state.facet_counts()["commander"]


def _sorted_view(state: CleanerState) -> list[str]:
    return [state.history.marked.get_column("row_key")[int(p)] for p in state.view()]


def test_a_kept_sort_order_follows_edits_undo_and_filters() -> None:
    """A sort reuses the frame's order by its column; every step that writes the column (or a
    duration it feeds) gives the order a fresh state would compute, filtered or not."""
    days = [5, 2, None, 9, 2, 7, 1, None, 4, 3]
    rows = [
        incident(
            severity=("SEV-1", "SEV-2")[i % 2],
            declared=None if day is None else datetime(2023, 1, day, tzinfo=UTC),
        )
        for i, day in enumerate(days)
    ]
    state = CleanerState(frame_of(*rows), check_context=CONTEXT, recheck="on_demand")

    def fresh() -> list[str]:
        other = CleanerState(
            state.history.marked.drop("__excluded", "__selected"),
            check_context=CONTEXT,
            recheck="on_demand",
        )
        other.set_filters(state.filters)
        assert state.sort is not None
        other.set_sort(*state.sort)
        return _sorted_view(other)

    for column in ("declared", "time_to_resolve"):
        for descending in (False, True, False):
            state.set_sort(column, descending)
            assert _sorted_view(state) == fresh()
        before = _sorted_view(state)
        state.edit("pagerduty:PD-3", "declared", "2023-01-01 00:00")
        # A cell edit leaves its row in place (no jump under the cursor) ...
        assert _sorted_view(state) == before
        # ... until the next sort click places it.
        state.set_sort(column, False)
        assert _sorted_view(state) == fresh()
        state.toggle("severity", "SEV-2")
        assert _sorted_view(state) == fresh()
        state.set_sort(column, True)
        assert _sorted_view(state) == fresh()
        state.undo()
        state.set_sort(column, True)
        assert _sorted_view(state) == fresh()
        state.bulk_set("declared", "2023-02-01T00:00:00+00:00")
        assert _sorted_view(state) == fresh()
        state.toggle("severity", "SEV-2")
    # Nulls last in both directions, ties in load order.
    state.goto(0)
    state.set_sort("declared", False)
    assert _sorted_view(state)[-2:] == ["pagerduty:PD-2", "pagerduty:PD-7"]
    assert _sorted_view(state)[:3] == ["pagerduty:PD-6", "pagerduty:PD-1", "pagerduty:PD-4"]


def _replayed(state: CleanerState) -> Any:
    """The state's recipe replayed on the loaded frame (what a later run would produce)."""
    return state.history.recipe.apply(state.history.original, allow_partial=True).marked


@pytest.mark.parametrize(
    "narrow",
    [
        lambda s: s.toggle("severity", "SEV-1"),
        lambda s: s.set_search("p2"),  # also in raw (not searched by the Cleaner)
        lambda s: s.set_search(r"latency [0-4]$", regex=True),
        lambda s: s.set_range("time_to_resolve", 3, None),
        lambda s: s.toggle("title words", "latency"),
        lambda s: (s.recheck(), s.toggle("check", "resolved_time_missing")),
    ],
    ids=["facet", "search", "regex", "range", "list facet", "checks"],
)
def test_a_bulk_edit_changes_the_rows_in_view_and_replays_the_same(narrow: Any) -> None:
    """A bulk edit's rows come from the index and the view's masks: exactly the rows shown,
    and exactly the rows its recipe step selects when replayed on the loaded frame."""
    rows = [
        incident(
            severity=("SEV-1", "SEV-2")[i % 2],
            title=f"Checkout latency {i}" if i % 3 else f"P2 outage {i}",
            state="active" if i % 4 == 0 else "resolved",
            resolved=None if i % 4 < 2 else start_of(i) + timedelta(hours=i % 7),
        )
        for i in range(16)
    ]
    state = CleanerState(frame_of(*rows), check_context=CONTEXT, page_size=4, recheck="on_demand")
    narrow(state)
    shown = set(_keys_in_view(state))
    assert 0 < len(shown) < 16
    state.bulk_set("commander", "zed@example.com")
    state.bulk_set("state", "stable")
    state.undo()
    state.redo()
    marked = state.history.marked
    edited = marked.filter(pl.col("commander") == "zed@example.com")
    assert set(edited.get_column("row_key").to_list()) == shown
    assert set(edited.get_column("state").to_list()) == {"stable"}
    replayed = _replayed(state)
    assert replayed.select("row_key", "commander", "state").equals(
        marked.select("row_key", "commander", "state")
    )
    fresh = CleanerState(
        marked.drop("__excluded", "__selected"),
        check_context=CONTEXT,
        page_size=4,
        recheck="on_demand",
    )
    # Checks aside (this state's are from before the edits; the fresh one has none).
    assert _counts(_without_filters(state)) | {"check": []} == _counts(fresh)


def _without_filters(state: CleanerState) -> CleanerState:
    state.set_filters({})
    state.set_search("")
    state.ranges.clear()
    return state


def _live(rows: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> CleanerState:
    """A state over ``rows`` that behaves as at a million rows: row checks follow each step
    touching up to 3 rows, the checks across rows wait for the button."""
    monkeypatch.setattr("ddinc.widgets.state.RECHECK_EVERY_EDIT_MAX_ROWS", 2)
    monkeypatch.setattr("ddinc.widgets.state.RECHECK_TOUCHED_MAX_ROWS", 3)
    state = CleanerState(frame_of(*rows), check_context=CONTEXT, page_size=4)
    assert state.row_checks_live
    return state


def _check_counts(state: CleanerState) -> dict[str, int]:
    return {name: n for name, n, *_ in state.facet_counts()["check"]}


def _fresh_row_checks(state: CleanerState) -> dict[str, int]:
    """The row-local check counts a full run of the checks gives on the state's frame now."""
    fresh = CleanerState(
        state.history.marked.drop("__excluded", "__selected"),
        check_context=CONTEXT,
        recheck="every_edit",
    )
    local = {check.name for check in row_local_checks()}
    return {name: n for name, n in _check_counts(fresh).items() if name in local}


def test_row_checks_follow_each_step_above_the_every_edit_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [incident(), incident(state="active"), incident(), incident(), incident()]
    state = _live(rows, monkeypatch)
    assert state.report is None
    # Shown at once, before any button: the row-local checks over the whole frame.
    assert _check_counts(state) == {"resolved_time_while_open": 1}
    assert "checks across rows" in state.checks_note
    state.edit("pagerduty:PD-0", "state", "active")  # a cell edit (kept in the overlay)
    assert _check_counts(state) == {"resolved_time_while_open": 2} == _fresh_row_checks(state)
    assert [b[0] for b in state.record("pagerduty:PD-0")["checks"]] == ["resolved_time_while_open"]
    state.edit("pagerduty:PD-2", "title", "")  # another check, another column
    assert _check_counts(state) == _fresh_row_checks(state)
    assert "title_missing" in _check_counts(state)
    state.undo()
    state.undo()
    assert _check_counts(state) == {"resolved_time_while_open": 1} == _fresh_row_checks(state)
    # A bulk edit of 2 rows (under the limit) is re-checked; the check facet follows.
    state.toggle("check", "resolved_time_while_open")
    state.bulk_set("state", "resolved")
    assert state.total == 0
    assert _check_counts(state) == {} == _fresh_row_checks(state)
    # Over the limit: left for the button, and the toolbar says so.
    state.set_filters({})
    state.bulk_set("state", "stable")
    assert "before the last step" in state.checks_note
    state.recheck()
    assert state.checks_note == ""
    assert _check_counts(state) == _check_counts(
        CleanerState(
            state.history.marked.drop("__excluded", "__selected"),
            check_context=CONTEXT,
            recheck="every_edit",
        )
    )


def test_a_bulk_edit_scoped_by_a_row_check_replays_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The index's row-check bits are current, so they choose the rows of a step scoped by a
    row-local check: the same rows the step selects when replayed."""
    rows = [incident(state="active") if i % 2 else incident() for i in range(6)]
    state = _live(rows, monkeypatch)
    state.edit("pagerduty:PD-0", "state", "active")
    state.toggle("check", "resolved_time_while_open")
    shown = set(_keys_in_view(state))
    assert shown == {"pagerduty:PD-0", "pagerduty:PD-1", "pagerduty:PD-3", "pagerduty:PD-5"}
    state.bulk_set("commander", "zed@example.com")
    marked = state.history.marked
    assert set(marked.filter(pl.col("commander") == "zed@example.com")["row_key"]) == shown
    assert (
        _replayed(state)
        .select("row_key", "commander")
        .equals(marked.select("row_key", "commander"))
    )
