"""Recipes: versioned JSON, and replay on a fresh export that changed since."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from ddinc.clean import (
    Exclude,
    MapValues,
    Recipe,
    RecipeMismatchError,
    RecipePartialError,
    Reparse,
    SetCell,
    SetValues,
    Where,
)
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


# --- recipes that mean what they say (issue 15) ------------------------------------------


def _other_system(n: int) -> pl.DataFrame:
    """``n`` rows of another export: the same shape, none of the row keys."""
    frame = frame_of(*[incident() for _ in range(n)])
    return frame.with_columns(("servicenow:INC" + pl.col("source_id")).alias("row_key"))


def test_a_recipe_for_other_data_is_refused_unless_forced() -> None:
    made = frame_of(incident(), incident(), incident())
    recipe = Recipe(steps=[Exclude(where=Where(facets={"severity": ["SEV-2"]}))]).fingerprinted(
        made
    )
    other = _other_system(4)
    with pytest.raises(RecipeMismatchError, match=r"made on 3 row\(s\) of pagerduty.*0%.*force"):
        recipe.apply(other)
    forced = recipe.apply(other, force=True, allow_partial=True)
    assert any("applied with force" in note for note in forced.notes)
    # The facet matched every row of the other export: a step to look at.
    assert forced.frame.height == 0
    assert "look at step 1: exclude left out 4 of 4 rows" in forced.report_text()


def test_next_weeks_export_holding_most_rows_is_accepted() -> None:
    made = frame_of(*[incident() for _ in range(4)])
    recipe = Recipe(steps=STEPS[:1]).fingerprinted(made)
    # One row gone, one row new: 3 of the 4 rows the recipe was made on.
    fresh = pl.concat([made.head(3), _other_system(1)])
    done = recipe.apply(fresh)
    assert done.frame["title"][0] == "A"
    assert done.notes == ()


def test_a_step_that_changes_nothing_or_excludes_most_rows_is_refused_with_its_replay() -> None:
    frame = frame_of(incident(), incident(), incident())
    recipe = Recipe(
        steps=[
            STEPS[0],
            MapValues(column="teams", mapping={"nobody": "x"}),
            Exclude(keys=["pagerduty:PD-1", "pagerduty:PD-2"]),
        ]
    ).fingerprinted(frame)
    with pytest.raises(RecipePartialError, match="step 2: map_values changed no row") as caught:
        recipe.apply(frame)
    assert "step 3: exclude left out 2 of 3 rows" in str(caught.value)
    assert "allow_partial=True" in str(caught.value)
    kept = recipe.apply(frame, allow_partial=True)
    assert [step.index for step in kept.problems] == [1, 2]
    assert kept.frame.height == 1
    assert caught.value.replay.frame.equals(kept.frame)


def test_a_recipe_without_its_data_still_applies_and_says_so() -> None:
    done = Recipe(steps=STEPS[:1]).apply(frame_of(incident()))
    assert done.frame["title"][0] == "A"
    assert "records no data it was made on" in done.notes[0]
    assert "note: the recipe records no data" in done.report_text()


def test_the_replay_report_says_what_was_applied_and_left_out() -> None:
    frame = frame_of(incident(), incident(), incident(), incident())
    recipe = Recipe(
        description="week 1",
        steps=[
            STEPS[0],
            STEPS[1].model_copy(update={"enabled": False}),
            SetCell(key="pagerduty:PD-9", column="title", expected="x", value="y"),
            Exclude(keys=["pagerduty:PD-3"]),
        ],
    ).fingerprinted(frame)
    report = recipe.apply(frame, allow_partial=True).summary()
    assert (report.description, report.steps, report.applied) == ("week 1", 4, 2)
    assert report.made_on == "4 row(s) of pagerduty"
    assert (report.cells_changed, report.rows_excluded, report.rows) == (1, 1, 4)
    assert [step.index for step in report.disabled] == [1]
    assert [step.index for step in report.not_applied] == [2]
    assert [step.index for step, _ in report.problems] == [2]
    text = "\n".join(report.lines())
    assert "recipe applied: week 1, made on 4 row(s) of pagerduty" in text
    assert "left out (disabled): set title of pagerduty:PD-1" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["not_applied"][0]["index"] == 3
    assert data["problems"][0]["problem"] == "set_cell changed no row (skipped)"


def test_made_on_survives_the_round_trip(tmp_path: Path) -> None:
    recipe = Recipe(steps=STEPS).fingerprinted(frame_of(incident(), incident()))
    assert Recipe.load(recipe.save(tmp_path / "r.json")) == recipe


def test_the_replay_report_lists_a_few_steps_of_each_kind_and_counts_the_rest() -> None:
    frame = frame_of(incident())
    off = [STEPS[0].model_copy(update={"enabled": False})] * 13
    lines = Recipe(steps=off).apply(frame).summary().lines()
    assert sum(line.startswith("left out (disabled)") for line in lines) == 10
    assert "... and 3 more" in lines
