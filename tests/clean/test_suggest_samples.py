"""The suggested recipe on every sample: what is enabled changes nothing the truth says was right.

Each sample is rendered from :data:`ddinc.synth.SAMPLES` (with its mapping files), loaded,
checked and given :func:`~ddinc.clean.suggest.suggest`'s recipe, as the demo does. A record
without dirt in the sample's truth holds right values: its times as the file states them, and
its people, teams and services as the world (:func:`ddinc.synth.world`) drew them. The enabled
steps may respell a value, never replace it by another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ddinc.checks import check
from ddinc.clean import MergeCluster
from ddinc.clean.suggest import proposals_recipe, suggest
from ddinc.loader import load
from ddinc.people_match import person_key
from ddinc.rowkey import ROW_KEY
from ddinc.schema import TIMESTAMPS
from ddinc.synth import MAPPING_FILES, SAMPLES, mapping_beside, sample, world

SEED = 7
PEOPLE = ("commander", "declared_by")
LISTS = ("teams", "services")


def _spelling(value: str) -> str:
    return "".join(ch for ch in value.casefold() if ch.isalnum())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("samples")
    for name, write in MAPPING_FILES.items():
        write(folder / name)
    return folder


def _suggested(folder: Path, name: str) -> tuple[Any, pl.DataFrame, pl.DataFrame, Any]:
    rendered_sample = sample(name, seed=SEED)
    path = rendered_sample.write(folder / name)
    loaded = load(path, mapping_beside(path))
    recipe = proposals_recipe(suggest(loaded.incidents, check(loaded)))
    after = recipe.apply(loaded.incidents).frame
    return rendered_sample, loaded.incidents, after, recipe


@pytest.mark.parametrize("name", list(SAMPLES))
def test_the_enabled_suggestions_change_no_right_value(rendered: Path, name: str) -> None:
    rendered_sample, before, after, recipe = _suggested(rendered, name)
    truth = rendered_sample.truth
    true = {row["key"]: row for row in world(SEED, truth.height).to_dicts()}
    record_of_row = {
        row: record for record in truth.to_dicts() for row in record["source_rows"] or []
    }
    after_by_key = {row[ROW_KEY]: row for row in after.to_dicts()}
    clean = 0
    for old in before.to_dicts():
        record = record_of_row.get(old["source_rows"][0])
        if record is None or record["dirt"] is not None:
            continue
        clean += 1
        new = after_by_key[old[ROW_KEY]]
        world_row = true[record["key"]]
        for column in TIMESTAMPS:
            if old[column] is None and new[column] is not None:
                # A time the file lacks, filled from the record's own text: the world's
                # time, to the minute the text writes it in.
                written = world_row[column].replace(second=0, microsecond=0)
                assert new[column] == written, (name, old[ROW_KEY], column)
                continue
            assert new[column] == old[column], (name, old[ROW_KEY], column)
        for column in PEOPLE:
            assert new[column] == old[column], (name, old[ROW_KEY], column)
            if old[column] and person_key(old[column]) == person_key(world_row[column] or ""):
                assert person_key(new[column]) == person_key(world_row[column])
        for column in LISTS:
            right = set(world_row[column] or [])
            for entry_before, entry_after in zip(
                old[column] or [], new[column] or [], strict=False
            ):
                assert _spelling(entry_after) == _spelling(entry_before), (name, column)
                if entry_before in right:
                    assert entry_after == entry_before, (name, column, entry_before)
    assert clean > 0, f"{name}: no record without dirt to hold to the truth"
    # Nothing the recipe enables touches people: they are matched through the users API.
    for step in recipe.steps:
        if isinstance(step, MergeCluster):
            assert step.column not in PEOPLE
            assert not any("@" in value for value in step.values)


@pytest.mark.parametrize("name", ["spreadsheet_incidents.csv", "spreadsheet_incidents.xlsx"])
def test_the_spreadsheets_people_are_no_longer_merged(rendered: Path, name: str) -> None:
    _, before, after, recipe = _suggested(rendered, name)
    commanders = set(before["commander"].drop_nulls())
    # The pairs issue 15 found merged: both people are in the sheet, and stay apart.
    pairs = [
        ("ben.larsen@example.com", "ines.larsen@example.com"),
        ("priya.nunez@example.com", "maya.nunez@example.com"),
    ]
    for pair in pairs:
        assert set(pair) <= commanders
        assert set(pair) <= set(after["commander"].drop_nulls())
    assert after["commander"].to_list() == before["commander"].to_list()
    # The malformed spelling is never a target; the well-formed one is.
    targets = [step.into for step in recipe.steps if isinstance(step, MergeCluster)]
    assert "Identity , Checkout" not in targets
    assert "Identity, Checkout" in targets
