"""Recipes: versioned JSON, and replay on a fresh export that changed since."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ddinc.clean import Exclude, MapValues, Recipe, Reparse, SetCell, SetValues
from ddinc.clean.recipe import RECIPE_VERSION
from ddinc.errors import ConfigError
from tests.clean.conftest import frame_of, incident

STEPS = [
    SetCell(key="pagerduty:PD-0", column="title", expected="Checkout latency 0", value="A"),
    SetCell(key="pagerduty:PD-1", column="title", expected="Checkout latency 1", value="B"),
    SetCell(key="pagerduty:PD-2", column="title", expected="Checkout latency 2", value="C"),
    MapValues(column="teams", mapping={"payments": "Payments"}),
    SetValues(column="severity", value="SEV-1", keys=["pagerduty:PD-3"]),
    Exclude(keys=["pagerduty:PD-0"]),
]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    recipe = Recipe(description="week 1", steps=STEPS)
    path = recipe.save(tmp_path / "recipe.json")
    assert Recipe.load(path) == recipe
    assert f'"version": {RECIPE_VERSION}' in path.read_text()
    assert '"kind": "set_cell"' in path.read_text()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ('{"steps": []}', "not a ddinc recipe"),
        ('{"format": "ddinc-recipe", "version": 99, "steps": []}', "upgrade ddinc"),
        (
            '{"format": "ddinc-recipe", "version": 1, "steps": [{"kind": "nope"}]}',
            "step 1 .nope.: Input tag",
        ),
    ],
)
def test_bad_recipes_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        Recipe.load(path)
    assert str(path) in str(caught.value)


def test_replay_on_a_changed_export_skips_and_never_misapplies() -> None:
    recipe = Recipe(steps=STEPS)
    # Next week's export: PD-1 was renamed upstream, PD-2 is gone, a new PD-9 exists.
    fresh = frame_of(incident(), incident(title="Renamed upstream"), incident(), incident())
    fresh = fresh.with_columns(
        pl.when(pl.col("row_key") == "pagerduty:PD-2")
        .then(pl.lit("pagerduty:PD-9"))
        .otherwise(pl.col("row_key"))
        .alias("row_key")
    )
    done = recipe.apply(fresh, allow_partial=True)
    titles = dict(zip(done.marked["row_key"], done.marked["title"], strict=True))
    assert titles["pagerduty:PD-0"] == "A"
    assert titles["pagerduty:PD-1"] == "Renamed upstream"
    assert titles["pagerduty:PD-9"] == "Checkout latency 2"
    statuses = [step.status for step in done.steps]
    assert statuses == ["applied", "skipped", "skipped", "applied", "applied", "applied"]
    assert "not in this export" in done.steps[2].reasons[0]
    assert not done.complete
    text = done.report_text()
    assert "step 2 skipped" in text
    assert "Renamed upstream" in text


def test_replay_checks_the_columns_a_step_needs() -> None:
    fresh = frame_of(incident(), incident()).drop("raw")
    recipe = Recipe(steps=[Reparse(column="declared", format="%d/%m/%Y %H:%M"), *STEPS[:1]])
    done = recipe.apply(fresh, allow_partial=True)
    assert done.steps[0].status == "missing columns"
    assert "raw" in done.steps[0].reasons[0]
    assert done.steps[1].status == "applied"


def test_disabled_steps_are_reported_not_applied() -> None:
    frame = frame_of(incident())
    step = STEPS[0].model_copy(update={"enabled": False})
    done = Recipe(steps=[step]).apply(frame)
    assert done.frame["title"].to_list() == ["Checkout latency 0"]
    assert done.steps[0].status == "disabled"


def test_a_frame_without_row_keys_is_refused() -> None:
    with pytest.raises(ConfigError, match="row_key"):
        Recipe(steps=STEPS).apply(frame_of(incident()).drop("row_key"))


def test_a_run_of_cell_edits_gives_what_one_by_one_gives() -> None:
    from ddinc.clean import History

    frame = frame_of(incident(), incident(), incident())
    declared = frame["declared"][2].isoformat()
    steps = [
        SetCell(key="pagerduty:PD-0", column="title", expected="Checkout latency 0", value="a"),
        # Expects the value the step before left: applies.
        SetCell(key="pagerduty:PD-0", column="title", expected="a", value="b"),
        # Expects the original value, which the steps before changed: skipped.
        SetCell(key="pagerduty:PD-0", column="title", expected="Checkout latency 0", value="c"),
        SetCell(key="pagerduty:PD-9", column="title", expected="x", value="y"),
        SetCell(
            key="pagerduty:PD-2",
            column="declared",
            expected=declared,
            value="2023-03-03T09:00:00+00:00",
        ),
        SetCell(key="pagerduty:PD-1", column="severity", expected="SEV-2", value="SEV-2"),
    ]
    batched = Recipe(steps=steps).apply(frame, allow_partial=True)
    history = History(frame)
    for step in steps:
        history.do(step)
    assert batched.frame.equals(history.frame)
    assert batched.steps == history.reports
    assert [s.status for s in batched.steps] == [
        "applied",
        "applied",
        "skipped",
        "skipped",
        "applied",
        "applied",
    ]
    assert [s.changed for s in batched.steps] == [1, 1, 0, 0, 1, 0]


def test_saving_a_recipe_creates_its_folder_and_refuses_a_path_it_cannot_write(
    tmp_path: Path,
) -> None:
    from ddinc.clean import Recipe
    from ddinc.errors import ConfigError

    target = Recipe().save(tmp_path / "new" / "folder" / "recipe.json")
    assert Recipe.load(target) == Recipe()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot write the recipe"):
        Recipe().save(tmp_path / "file" / "recipe.json")
