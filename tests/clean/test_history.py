"""Undo and redo: the cleaned frame is always original + the steps done."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from ddinc.clean import History, Recipe, SetCell, SetValues, Where, replay
from ddinc.clean.fingerprint import fingerprint
from tests.clean.conftest import frame_of, incident


def _edit(i: int, expected: str, value: str) -> SetCell:
    return SetCell(key=f"pagerduty:PD-{i % 3}", column="title", expected=expected, value=value)


def test_undo_and_redo_walk_back_and_forth() -> None:
    original = frame_of(incident(), incident(), incident())
    history = History(original)
    history.do(_edit(0, "Checkout latency 0", "a"))
    history.do(_edit(1, "Checkout latency 1", "b"))
    assert history.frame["title"].to_list() == ["a", "b", "Checkout latency 2"]
    assert history.undo() is not None
    assert history.frame["title"].to_list() == ["a", "Checkout latency 1", "Checkout latency 2"]
    assert history.can_redo
    history.redo()
    assert history.frame["title"].to_list() == ["a", "b", "Checkout latency 2"]
    history.undo()
    history.undo()
    assert history.undo() is None
    assert_frame_equal(history.frame, original)
    # A new step after undo drops what could be redone.
    history.do(_edit(2, "Checkout latency 2", "c"))
    assert not history.can_redo


def test_long_histories_undo_past_the_snapshots_by_replaying() -> None:
    original = frame_of(incident(), incident(), incident())
    history = History(original)
    titles = {0: "Checkout latency 0", 1: "Checkout latency 1", 2: "Checkout latency 2"}
    states = []
    for i in range(12):
        new = f"t{i}"
        history.do(_edit(i, titles[i % 3], new))
        titles[i % 3] = new
        states.append(history.frame)
    for i in range(11, 0, -1):
        history.undo()
        assert_frame_equal(history.frame, states[i - 1])
        # Same as replaying the remaining steps from the loaded frame.
        assert_frame_equal(history.frame, replay(original, history.steps).frame)
    assert original["title"].to_list() == [f"Checkout latency {i}" for i in range(3)]


def test_history_starts_from_a_saved_recipe() -> None:
    original = frame_of(incident())
    recipe = Recipe(steps=[_edit(0, "Checkout latency 0", "x")])
    history = History(original, recipe)
    assert history.frame["title"].to_list() == ["x"]
    assert history.recipe.steps == recipe.steps
    # The saved recipe records the data it was made on: the loaded frame.
    assert history.recipe.made_on == fingerprint(original)
    assert isinstance(history.marked, pl.DataFrame)


def _timestamp_edit(history: History, i: int, column: str, value: str) -> SetCell:
    from ddinc.clean.values import to_json

    current = history.cell(i, column)
    return SetCell(key=f"pagerduty:PD-{i}", column=column, expected=to_json(current), value=value)


@settings(max_examples=40)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["edit", "declared", "bulk", "undo", "redo", "goto", "flush"]),
            st.integers(0, 3),
        ),
        max_size=14,
    )
)
def test_overlay_edits_undo_redo_and_jumps_equal_a_replay(actions: list[tuple[str, int]]) -> None:
    """Whatever mix of cell edits (kept in the overlay), bulk steps, undo, redo and jumps: the
    frame is always the loaded frame + the steps done, and ``touched`` covers every change."""
    original = frame_of(*(incident(severity="SEV-2") for _ in range(4)))
    history = History(original)
    counter = 0
    for action, i in actions:
        before = history.rows(list(range(4)), list(original.columns))
        if action == "edit":
            counter += 1
            current = history.cell(i, "title")
            history.do(
                SetCell(
                    key=f"pagerduty:PD-{i}", column="title", expected=current, value=f"t{counter}"
                )
            )
        elif action == "declared":
            history.do(_timestamp_edit(history, i, "declared", f"2023-03-0{i + 1}T10:00:00Z"))
        elif action == "bulk":
            history.do(
                SetValues(
                    column="severity",
                    value=("SEV-1", "SEV-3")[i % 2],
                    where=Where(facets={"severity": ["SEV-1", "SEV-2"]}),
                )
            )
        elif action == "undo":
            history.undo()
        elif action == "redo":
            history.redo()
        elif action == "goto":
            history.goto(i)
        else:
            history.marked  # writes the overlay into the frame  # noqa: B018
        expected = replay(original, history.steps).frame
        assert_frame_equal(history.frame, expected)
        after = history.rows(list(range(4)), list(original.columns))
        assert_frame_equal(after, history.marked.select(original.columns))
        if history.touched is not None:
            changed = {p for p in range(4) if before.row(p) != after.row(p)}
            assert changed <= set(history.touched.tolist())


def test_undone_steps_stay_listed_until_a_new_step() -> None:
    history = History(frame_of(incident(), incident()))
    history.do(_edit(0, "Checkout latency 0", "a"))
    history.do(_edit(1, "Checkout latency 1", "b"))
    history.goto(0)
    assert [step.describe() for step in history.undone] == [
        _edit(0, "Checkout latency 0", "a").describe(),
        _edit(1, "Checkout latency 1", "b").describe(),
    ]
    history.goto(2)
    assert history.frame["title"].to_list() == ["a", "b"]
    history.goto(1)
    assert len(history.undone) == 1
    history.do(_edit(0, "a", "c"))
    assert not history.undone


def test_a_cell_edit_of_a_timestamp_recomputes_durations_where_read() -> None:
    history = History(frame_of(incident()))
    before = history.rows([0], ["declared", "time_to_resolve"]).row(0)
    history.do(_timestamp_edit(history, 0, "declared", "2023-03-01T08:00:00Z"))
    after = history.rows([0], ["declared", "time_to_resolve"]).row(0)
    assert after[0] != before[0]
    assert after[1] == history.marked["time_to_resolve"][0] != before[1]
