"""A recipe file is data from anyone: strict per-step validation, size limits, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ddinc.clean import Recipe
from ddinc.clean.recipe_json import MAX_RECIPE_BYTES, MAX_STEPS, parse_recipe
from ddinc.errors import ConfigError

EXCLUDE = {"kind": "exclude", "keys": ["jira:OPS-1"]}


def _text(*steps: Any, **envelope: Any) -> str:
    return json.dumps({"format": "ddinc-recipe", "version": 2, **envelope, "steps": list(steps)})


@pytest.mark.parametrize(
    ("step", "message"),
    [
        # Strict types: no "yes" for true, no number for text, no text for a number.
        ({**EXCLUDE, "enabled": "yes"}, r"step 2 \(exclude\): enabled: .*valid boolean"),
        (
            {"kind": "set_cell", "key": "k", "column": "title", "expected": "a", "value": 1},
            r"step 2 \(set_cell\): value: .*valid string",
        ),
        (
            {"kind": "shift", "columns": ["declared"], "hours": "1"},
            r"step 2 \(shift\): hours: .*valid number",
        ),
        # Extra keys are refused, naming the key.
        ({**EXCLUDE, "run": "rm -rf /"}, r"step 2 \(exclude\): run: Extra inputs"),
        # The kind picks the step's schema; an unknown or missing kind is refused.
        ({"kind": "eval", "code": "1"}, r"step 2 \(eval\): .*tag 'eval'"),
        ({"keys": ["a"]}, r"step 2: .*discriminator 'kind'"),
        ("exclude", r"step 2: a step is a JSON object"),
        # ddinc's own rules, raised inside a step, name the step too.
        (
            {"kind": "map_person", "person": "a", "email": "b", "columns": ["row_key"]},
            r"step 2 \(map_person\): .*'row_key' cannot be edited",
        ),
        (
            {"kind": "shift", "columns": ["declared"], "hours": 1e400},
            r"step 2 \(shift\): .*(finite|inf)",
        ),
        (
            {"kind": "set_values", "column": "state", "value": "closed"},
            r"step 2 \(set_values\): .*'closed' is not one of",
        ),
    ],
)
def test_each_bad_step_is_named_by_index_kind_and_field(step: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        Recipe.from_json(_text(EXCLUDE, step), where="shared.json")
    assert str(caught.value).startswith("shared.json: ")


@pytest.mark.parametrize(
    ("envelope", "message"),
    [
        ({"version": True}, "version: True is not a recipe version"),
        ({"version": 0}, "version: 0 is not a recipe version"),
        ({"version": "2"}, "version: '2' is not"),
        ({"author": "x"}, "author: Extra inputs"),
        ({"description": 5}, "description: .*valid string"),
        (
            {"made_on": {"source": "x", "rows": -1, "keys_sha256": "0" * 64, "key_sample": []}},
            "made_on.rows",
        ),
    ],
)
def test_the_recipe_itself_is_strict(envelope: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Recipe.from_json(_text(EXCLUDE, **envelope))


def test_steps_must_be_a_list() -> None:
    text = json.dumps({"format": "ddinc-recipe", "version": 2, "steps": {"0": EXCLUDE}})
    with pytest.raises(ConfigError, match="steps: a list of steps"):
        Recipe.from_json(text)


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"format": "ddinc-recipe", "version": 2, "description": "')
        handle.write("x" * MAX_RECIPE_BYTES)
        handle.write('", "steps": []}')
    with pytest.raises(ConfigError, match=r"huge.json: .* bytes, over the"):
        Recipe.load(path)


def test_too_many_steps_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"steps, over the"):
        parse_recipe(_text(*[EXCLUDE] * (MAX_STEPS + 1)))


def test_deeply_nested_json_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"not readable JSON \(RecursionError\)"):
        Recipe.from_json("[" * 100_000 + "]" * 100_000)


def test_a_version_1_recipe_still_loads_without_made_on() -> None:
    recipe = Recipe.from_json(_text(EXCLUDE, version=1))
    assert recipe.version == 1
    assert recipe.made_on is None
    assert recipe.steps[0].kind == "exclude"  # type: ignore[attr-defined]
