"""Undo and redo: the cleaned frame is always original + the steps done."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from ddinc.clean import History, Recipe, SetCell, replay
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
