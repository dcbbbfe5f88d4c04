"""``ddinc suggest`` and ``--recipe``, from the shell, on a back-filled export written here."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from ddinc.clean import Recipe
from ddinc.cli import main
from ddinc.synth import sample
from ddinc.synth.spreadsheet import write_spreadsheet_mapping, write_spreadsheet_recipe
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
    assert recipe.made_on is not None
    assert recipe.made_on.rows == 4

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


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """The spreadsheet sample, its mapping and review recipe, and the ServiceNow event log."""
    for name in ("spreadsheet_incidents.csv", "servicenow_event_log.csv"):
        sample(name).write(tmp_path / name)
    write_spreadsheet_mapping(tmp_path / "spreadsheet_mapping.toml")
    write_spreadsheet_recipe(tmp_path / "spreadsheet_recipe.json")
    return tmp_path


READING_COMMANDS = [
    ["check"],
    ["export", "-o", "{out}/x.csv"],
    ["suggest", "-o", "{out}/r.json"],
    ["report", "-o", "{out}/report"],
    ["push", "--ledger", "{out}/l.ledger", "--dry-run"],
]


@pytest.mark.parametrize("command", READING_COMMANDS, ids=lambda c: c[0])
def test_every_reading_command_refuses_a_recipe_made_for_other_data(
    samples: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = samples / "spreadsheet_recipe.json"
    args = [command[0], str(samples / "servicenow_event_log.csv"), "--recipe", str(recipe)]
    args += [part.format(out=samples) for part in command[1:]]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {recipe}: this recipe was made on 80 row(s) of spreadsheet")
    assert "of servicenow) holds 0% of those rows" in err
    assert "Apply it anyway with --force" in err
    assert not (samples / "x.csv").exists()


def test_a_forced_recipe_whose_steps_do_not_apply_exits_1_unless_partial_is_allowed(
    samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "check",
        str(samples / "servicenow_event_log.csv"),
        "--recipe",
        str(samples / "spreadsheet_recipe.json"),
        "--force",
        "--json",
    ]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "note: applied with force to data holding 0% of the rows" in captured.err
    assert "look at step 2: exclude changed no row" in captured.err
    assert captured.err.rstrip().splitlines()[-1].endswith("keep the result with --allow-partial")
    assert main([*args, "--allow-partial"]) == 0
    assert json.loads(capsys.readouterr().out)["incidents"] > 0


def test_the_review_recipe_applies_to_the_data_it_was_made_on(
    samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = samples / "spreadsheet_incidents.csv"
    mapping = samples / "spreadsheet_mapping.toml"
    recipe = samples / "spreadsheet_recipe.json"
    assert Recipe.load(recipe).made_on is not None
    assert main(["check", str(sheet), "--source", str(mapping), "--recipe", str(recipe)]) == 0
    assert "2 of 2 step(s) applied in full (made on 80 row(s) of spreadsheet)" in (
        capsys.readouterr().err
    )


def test_the_report_says_which_recipe_was_applied_and_what_it_left_out(
    export: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv, mapping = export
    recipe_path = tmp_path / "recipe.json"
    main(["suggest", str(csv), "--source", str(mapping), "-o", str(recipe_path)])
    out = tmp_path / "report"
    args = ["report", str(csv), "--source", str(mapping), "--recipe", str(recipe_path)]
    assert main([*args, "-o", str(out), "--resamples", "20"]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"recipe applied: proposed by ddinc suggest for {csv}, made on 4 row(s) of sheet" in page
    assert "1 of 2 step(s) applied in full; 3 value(s) changed; 0 of 4 row(s) left out" in page
    assert "left out (disabled): set state to &#x27;resolved&#x27;" in page


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
