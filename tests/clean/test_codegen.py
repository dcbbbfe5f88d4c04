"""The generated polars code gives the same frame as the replay."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from ddinc.clean import (
    Deselect,
    Exclude,
    FillFrom,
    FillFromText,
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
from tests.clean.conftest import CONTEXT, frame_of, incident


def _run(code: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    namespace: dict[str, object] = {}
    exec(compile(code, "<recipe>", "exec"), namespace)
    result = namespace["clean"](frame)  # type: ignore[operator]
    return result  # type: ignore[no-any-return]


def test_generated_code_gives_the_same_frame_for_every_kind_of_step() -> None:
    frame = frame_of(
        incident(teams=["DB", "net"], commander="Ann Lee"),
        incident(state="active", resolved=None, detected=None),
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
    done = recipe.apply(frame)
    code = to_polars_code(recipe)
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
