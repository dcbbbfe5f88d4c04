"""``ddinc suggest`` and ``--recipe``, from the shell, on a back-filled export written here."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from ddinc.clean import Recipe
from ddinc.cli import main
from tests.conftest import ROOT, shared_path

MAPPING = """\
source = "sheet"
id = "Id"
[columns]
title = "Title"
state = "Status"
impact_start = "Started"
declared = "Opened"
resolved = "Closed"
[fields]
updates = "Updates"
[state]
"Open" = "active"
"Closed" = "resolved"
"""
UPDATES = (
    "<li><strong>2011-07-28 03:06:00</strong> - Investigating.</li>"
    "<li><strong>2011-07-28 04:12:00</strong> - This incident has been resolved.</li>"
)
# Row 1 back-filled with its real times in its updates; row 2 back-filled without; row 3 fine;
# row 4 has a state no mapping covers.
CSV = f"""\
Id,Title,Status,Started,Opened,Closed,Updates
A-1,Login errors,Closed,2012-05-01 12:00,2012-05-01 12:00,2012-05-01 12:00,"{UPDATES}"
A-2,Slow search,Closed,2012-05-02 12:00,2012-05-02 12:00,2012-05-02 12:00,no dates here
A-3,Disk full,Closed,2012-05-03 10:00,2012-05-03 10:07,2012-05-03 11:19,
A-4,DNS,Resolvd,2012-05-04 10:00,2012-05-04 10:07,,
"""


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "sheet.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "sheet.toml").write_text(MAPPING, encoding="utf-8")
    return tmp_path / "sheet.csv", tmp_path / "sheet.toml"


def test_suggest_writes_every_proposal_and_recipe_applies_it(
    export: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv, mapping = export
    recipe_path = tmp_path / "recipe.json"
    assert main(["suggest", str(csv), "--source", str(mapping), "-o", str(recipe_path)]) == 0
    out = capsys.readouterr().out
    assert "zero_length_incident: back-filled records" in out
    assert "state 'Resolvd' -> resolved" in out
    assert "written disabled" in out
    recipe = Recipe.load(recipe_path)
    assert [s.kind for s in recipe.steps] == ["fill_from_text", "set_values"]  # type: ignore[attr-defined]
    assert [s.enabled for s in recipe.steps] == [True, False]

    args = ["check", str(csv), "--source", str(mapping), "--recipe", str(recipe_path), "--json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "step 1 applied" in captured.err
    assert "step 2 disabled" in captured.err
    summary = json.loads(captured.out)
    checks = {c["name"]: c["failing"] for c in summary["checks"]["checks"]}
    assert checks["zero_length_incident"] == 1  # A-2 holds no time in its text
    assert checks["state_unmapped"] == 1  # the guess was not applied


def test_export_applies_a_recipe_and_a_bad_recipe_is_one_error_line(
    export: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv, mapping = export
    recipe_path = tmp_path / "recipe.json"
    main(["suggest", str(csv), "--source", str(mapping), "-o", str(recipe_path)])
    out = tmp_path / "clean.csv"
    assert (
        main(
            [
                "export",
                str(csv),
                "--source",
                str(mapping),
                "--recipe",
                str(recipe_path),
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert "2011-07-28T03:06:00" in out.read_text()
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    capsys.readouterr()
    assert main(["check", str(csv), "--source", str(mapping), "--recipe", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_suggest_proposes_a_servicenow_title_from_category_subcategory_symptom(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = pl.read_csv(ROOT / "data" / "servicenow_event_log.csv", infer_schema=False)
    untitled = tmp_path / "servicenow_log.csv"
    log.drop("short_description").write_csv(untitled)
    recipe_path = tmp_path / "recipe.json"
    assert main(["suggest", str(untitled), "-o", str(recipe_path)]) == 0
    assert "title_missing: titles built from category, subcategory, u_symptom" in (
        capsys.readouterr().out
    )
    (step,) = [s for s in Recipe.load(recipe_path).steps if s.kind == "fill_from_text"]
    assert (step.enabled, step.confidence) == (False, "guess")
    first = log.row(0, named=True)
    expected = f"{first['category']} / {first['subcategory']} / {first['u_symptom']}"
    assert step.cells[0].value == expected
    enabled = Recipe(steps=[step.model_copy(update={"enabled": True})])
    enabled.save(recipe_path)
    args = ["check", str(untitled), "--recipe", str(recipe_path), "--json"]
    assert main(args) == 0
    checks = {
        c["name"]: c["failing"] for c in json.loads(capsys.readouterr().out)["checks"]["checks"]
    }
    assert checks["title_missing"] == 0


def test_the_real_servicenow_log_gets_titles_proposed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = shared_path("datasets", "servicenow", "incident_event_log.sample.csv")
    recipe_path = tmp_path / "recipe.json"
    assert main(["suggest", str(log), "-o", str(recipe_path)]) == 0
    assert "titles built from category, subcategory, u_symptom (32 rows)" in (
        capsys.readouterr().out
    )
    (step,) = Recipe.load(recipe_path).steps
    assert not step.enabled
    # "?" is ServiceNow's missing value: a title leaves it out ("Category 45 / Subcategory 220").
    values = [cell.value for cell in step.cells]  # type: ignore[attr-defined]
    assert all(v.startswith("Category ") and " / Subcategory " in v for v in values)
    assert not any("?" in v for v in values)
