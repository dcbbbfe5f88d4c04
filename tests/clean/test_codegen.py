"""The generated polars code gives the same frame as the replay."""

from __future__ import annotations

import ast
import json
import os
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from ddinc.clean import (
    Deselect,
    Exclude,
    FillFrom,
    FillFromText,
    History,
    Include,
    MapPerson,
    MapValues,
    MergeCluster,
    Recipe,
    Reparse,
    Select,
    SetCell,
    SetValues,
    Shift,
    TextCell,
    Where,
    to_polars_code,
)
from ddinc.errors import ConfigError
from ddinc.export import write_csv
from ddinc.loader import load
from tests.clean.conftest import CONTEXT, frame_of, incident


def _run(code: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    namespace: dict[str, object] = {}
    exec(compile(code, "<recipe>", "exec"), namespace)
    result = namespace["clean"](frame)  # type: ignore[operator]
    return result  # type: ignore[no-any-return]


def test_generated_code_gives_the_same_frame_for_every_kind_of_step() -> None:
    frame = frame_of(
        incident(teams=["DB", "net"], commander="Ann Lee"),
        incident(state="active", resolved=None, detected=None, **{"field.updates": "08:00"}),
        incident(raw_declared="05/03/2023 09:19"),
        incident(severity="SEV-4"),
    )
    declared = frame["declared"][1].isoformat()
    recipe = Recipe(
        steps=[
            SetCell(key="pagerduty:PD-0", column="title", expected="Checkout latency 0", value="X"),
            SetCell(key="pagerduty:PD-1", column="title", expected="stale", value="never"),
            SetValues(column="severity", value="SEV-1", where=Where(facets={"state": ["active"]})),
            SetValues(
                column="state",
                value="stable",
                keys=["pagerduty:PD-3"],
                expected={"pagerduty:PD-3": "resolved"},
            ),
            MapValues(column="teams", mapping={"DB": "db"}),
            MergeCluster(column="services", values=["checkout", "Checkout"], into="Checkout"),
            Reparse(
                column="declared",
                format="%d/%m/%Y %H:%M",
                timezone="Europe/Paris",
                keys=["pagerduty:PD-2"],
            ),
            Shift(columns=["impact_end"], hours=1.5, where=Where(facets={"severity": ["SEV-4"]})),
            Shift(
                columns=["resolved"], from_zone="UTC", to_zone="Etc/GMT-2", keys=["pagerduty:PD-0"]
            ),
            FillFrom(column="detected", from_column="declared"),
            FillFromText(
                text_column="field.updates",
                cells=[
                    TextCell(
                        key="pagerduty:PD-1",
                        column="declared",
                        expected=declared,
                        value="2023-03-02T08:00:00Z",
                        evidence="2023-03-02 08:00 - investigating",
                    )
                ],
            ),
            MapPerson(person="ann lee", email="ann@example.com"),
            Exclude(
                where=Where(facets={"check": ["timestamps_out_of_order", "reversed_interval"]})
            ),
            Exclude(keys=["pagerduty:PD-3"]),
            Select(keys=["pagerduty:PD-0", "pagerduty:PD-3", "pagerduty:PD-2"]),
            Include(keys=["pagerduty:PD-3"]),
            Deselect(keys=["pagerduty:PD-2"]),
            SetCell(
                key="pagerduty:PD-2",
                column="title",
                expected="Checkout latency 2",
                value="off",
                enabled=False,
            ),
        ]
    )
    done = recipe.apply(frame, allow_partial=True)
    code = to_polars_code(recipe, frame=frame)
    cleaned, selected = _run(code, frame)
    assert_frame_equal(cleaned, done.frame)
    assert selected == done.selected_keys
    assert "# step 18 (disabled, not applied)" in code
    # The recipe did something worth comparing.
    assert not done.frame.equals(frame)
    assert CONTEXT is not None


def test_generated_code_for_an_empty_recipe_is_identity() -> None:
    frame = frame_of(incident())
    cleaned, selected = _run(to_polars_code(Recipe()), frame)
    assert_frame_equal(cleaned, frame)
    assert selected == []


# --- hostile names and values (issue 14 item 1): the code holds them as literals only ----------

PWNED2_COLUMN = (
    'commander").str.strip_chars() == "", open("PWNED2","w") and None, pl.col("commander'
)
PWNED3_TEXT_COLUMN = "updates\r    open('PWNED3','w')\r    #"
PWNED5_HEADER = (
    "field.a\").alias(\"field.a\")) if __import__('os').mkdir('PWNED5') else "
    'frame.with_columns(pl.lit(1).alias("field.b'
)


def _run_in(cwd: Path, code: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Run the generated code with ``cwd`` as the working folder (a planted file lands there)."""
    before = os.getcwd()
    os.chdir(cwd)
    try:
        namespace: dict[str, object] = {"pl": pl}
        exec(compile(ast.parse(code), "<recipe>", "exec"), namespace)
        return namespace["clean"](frame)  # type: ignore[operator,no-any-return]
    finally:
        os.chdir(before)


def _recipe_json(step: dict[str, object]) -> str:
    return json.dumps({"format": "ddinc-recipe", "version": 1, "steps": [step]})


def test_a_map_person_column_that_is_code_is_refused_not_run(tmp_path: Path) -> None:
    hostile = {
        "kind": "map_person",
        "person": "Ann Lee",
        "email": "a@b",
        "columns": [PWNED2_COLUMN],
    }
    with pytest.raises(ConfigError, match=r"step 1 \(map_person\)"):
        Recipe.from_json(_recipe_json(hostile))
    # A step built around the validation: the code generator refuses it on its own.
    step = MapPerson.model_construct(person="Ann Lee", email="a@b", columns=[PWNED2_COLUMN])
    frame = frame_of(incident(commander="Ann Lee"))
    with pytest.raises(ConfigError, match=r"step 1 \(map_person\)"):
        _run_in(tmp_path, to_polars_code(Recipe.model_construct(steps=[step]), frame=frame), frame)
    assert list(tmp_path.iterdir()) == []


def test_a_text_column_with_carriage_returns_stays_in_its_comment(tmp_path: Path) -> None:
    # text_column says where the text came from (legacy columns too): only a comment shows it.
    frame = frame_of(incident(), incident())
    cell = TextCell(
        key="pagerduty:PD-1",
        column="declared",
        expected=frame["declared"][1].isoformat(),
        value="2023-03-02T08:00:00Z",
        evidence="08:00 investigating\r    open('PWNED4','w')",
    )
    hostile = {
        "kind": "fill_from_text",
        "text_column": PWNED3_TEXT_COLUMN,
        "cells": [cell.model_dump()],
    }
    recipe = Recipe.from_json(_recipe_json(hostile))
    code = to_polars_code(recipe, frame=frame)
    assert "# step 1: set declared of 1 row(s) from times in updates\\r    open(" in code
    cleaned, _ = _run_in(tmp_path, code, frame)
    assert list(tmp_path.iterdir()) == []
    assert_frame_equal(cleaned, recipe.apply(frame).frame)
    assert cleaned["declared"][1] != frame["declared"][1]


def test_a_canonical_csv_header_that_is_code_is_a_literal_after_a_cleaner_edit(
    tmp_path: Path,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    written = write_csv(frame_of(incident(**{PWNED5_HEADER: "old"})), tmp_path / "canonical.csv")
    loaded = load(written[0])
    column = next(name for name in loaded.incidents.columns if "PWNED5" in name)
    history = History(loaded.incidents)
    key = loaded.incidents["row_key"][0]
    history.do(SetCell(key=key, column=column, expected="old", value="new"))
    code = to_polars_code(history.recipe, frame=loaded.incidents)
    cleaned, _ = _run_in(work, code, loaded.incidents)
    assert list(work.iterdir()) == []
    assert cleaned[column].to_list() == ["new"]
    assert_frame_equal(cleaned, history.frame)
    # Without the frame, a name outside the canonical schema is refused, naming the step.
    with pytest.raises(ConfigError, match=r"step 1 \(set_cell\)"):
        to_polars_code(history.recipe)


_PIECES = [
    '"',
    "'",
    "\\",
    "\r",
    "\n",
    "\x00",
    "\u2028",
    "\u2029",
    '"""',
    "'''",
    "{",
    "}",
    "{0}",
    "#",
    ")",
    "\\n",
    ' open("PWNED","w")',
    "__import__('os').mkdir('PWNED')",
    "a",
    " ",
]
HOSTILE = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=6).map("".join),
    st.text(max_size=12),
)


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=HOSTILE,
    key=HOSTILE,
    values=st.lists(HOSTILE, min_size=5, max_size=5),
)
def test_hostile_names_and_values_only_ever_transform_the_frame(
    name: str, key: str, values: list[str]
) -> None:
    assume(key != "pagerduty:PD-0")
    before, value, mapped, person, email = values
    column = f"field.{name}"
    frame = frame_of(incident(), incident(commander=person, **{column: before}))
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit(key))
        .otherwise(pl.col("row_key"))
        .alias("row_key")
    )
    declared = frame["declared"][1].isoformat()
    recipe = Recipe(
        description=value,
        steps=[
            SetCell(key=key, column=column, expected=before, value=value, note=value),
            SetValues(column=column, value=mapped, keys=["pagerduty:PD-0"], note=mapped),
            MapValues(column=column, mapping={value: mapped, mapped: value}),
            SetCell(key=key, column="title", expected="Checkout latency 1", value=value),
            MapPerson(person=person or "x", email=email, columns=["commander", column]),
            FillFromText(
                text_column=column,
                cells=[
                    TextCell(
                        key=key,
                        column="declared",
                        expected=declared,
                        value="2023-03-02T08:00:00Z",
                        evidence=value,
                    )
                ],
            ),
            SetValues(
                column="severity",
                value="SEV-1",
                where=Where(facets={"source": [value, "pagerduty"], "state": [mapped, None]}),
            ),
            Shift(
                columns=["impact_end"],
                hours=1.5,
                keys=[key, mapped],
                expected={key: {"impact_end": frame["impact_end"][1].isoformat()}},
            ),
            Exclude(keys=[key, value]),
            Include(where=Where(facets={"severity": [value]})),
            Select(keys=["pagerduty:PD-0", key, mapped]),
            SetCell(key=key, column=column, expected=value, value=before, enabled=False),
        ],
    )
    code = to_polars_code(recipe, frame=frame)
    ast.parse(code)
    done = recipe.apply(frame, allow_partial=True)
    with tempfile.TemporaryDirectory() as folder:
        cleaned, selected = _run_in(Path(folder), code, frame)
        assert list(Path(folder).iterdir()) == []
    assert_frame_equal(cleaned, done.frame)
    assert selected == done.selected_keys
