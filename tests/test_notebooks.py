"""Notebooks run headless as JupyterLab runs them, and are committed without outputs.

JupyterLab starts a notebook's kernel in the notebook's own folder (``notebooks/``), so the
suite does too: a path that only resolves from the repository root fails here as it would for
an analyst. A run writes nothing git would see (outputs go to the git-ignored ``out/``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: clear outputs before committing"
            assert cell.execution_count is None


def _untracked() -> set[str]:
    """Files git would list as new (ignored ones left out); empty outside a git checkout."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return set()
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return {line[3:] for line in done.stdout.splitlines() if line.startswith("??")}


_RUNS: dict[Path, tuple[nbformat.NotebookNode, set[str]]] = {}


def _run(path: Path) -> tuple[nbformat.NotebookNode, set[str]]:
    """The notebook executed in its own folder, and the files it left that git would see."""
    if path not in _RUNS:
        before = _untracked()
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
        _RUNS[path] = (notebook, _untracked() - before)
    return _RUNS[path]


def _printed(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_its_own_folder_and_writes_nothing_git_sees(path: Path) -> None:
    notebook, left = _run(path)
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    assert left == set()


@pytest.mark.slow
def test_the_cleaning_notebook_selects_every_incident_no_error_blocks() -> None:
    notebook, _ = _run(ROOT / "notebooks" / "02_clean.ipynb")
    claim = next(c for c in notebook.cells if "every incident no error blocks" in c.source)
    found = re.match(
        r"(\d+) selected: every incident no error blocks \((\d+) blocked\)", _printed(claim)
    )
    assert found is not None, _printed(claim)
    selected, blocked = int(found[1]), int(found[2])
    cleaned = next(c for c in notebook.cells if "incidents cleaned" in c.source)
    total = int(_printed(cleaned).split()[0])
    assert selected == total - blocked > 0
