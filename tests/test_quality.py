"""The package stays lint-clean, formatted, strictly typed, doctested, and its __all__ honest."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Final

import pytest

import ddinc
from tests.conftest import ROOT


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.slow
def test_ruff_lint_is_clean() -> None:
    result = run(sys.executable, "-m", "ruff", "check", "ddinc", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_ruff_format_is_clean() -> None:
    result = run(sys.executable, "-m", "ruff", "format", "--check", "ddinc", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed to list tracked notebooks")
def test_mypy_strict_on_the_package() -> None:
    result = run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


# --- the suite's own promises -------------------------------------------------------------------


def test_the_suite_runs_the_package_doctests() -> None:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_options = options["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in pytest_options["addopts"].split()
    assert "ddinc" in pytest_options["testpaths"]


def _modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(ddinc.__path__, "ddinc.")
        if not info.name.endswith("__main__")
    )


def _imported(path: Path) -> set[str]:
    """Names a module's own source imports at the top level."""
    return {
        alias.asname or alias.name
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def _defined_public_names(path: Path) -> set[str]:
    """Names bound at the top level of a module's own source, without a leading underscore."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")}


@pytest.mark.parametrize("name", _modules())
def test_all_lists_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    path = Path(module.__file__)
    listed = getattr(module, "__all__", None)
    assert listed is not None, f"{name} has no __all__"
    assert len(listed) == len(set(listed)), f"{name}: __all__ lists a name twice"
    assert all(hasattr(module, item) for item in listed), f"{name}: __all__ names a ghost"
    defined = _defined_public_names(path)
    missing = defined - set(listed)
    # A package's __init__ re-exports what its modules define; a module lists its own names,
    # plus any it imports on purpose to re-export.
    extra = set() if path.name == "__init__.py" else set(listed) - defined - _imported(path)
    assert missing == set(), f"{name}: public names missing from __all__"
    assert extra == set(), f"{name}: __all__ lists names neither defined nor imported there"


# Skips that hide a missing file: a file the suite needs that is absent is a failure.
_HIDING_SKIP: Final = re.compile(r"(not committed|no data/? yet|not (yet )?generated)", re.I)


def test_no_skip_hides_a_missing_file() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "skip" in line and _HIDING_SKIP.search(line) and path.name != "test_quality.py"
    ]
    assert not offenders, "\n".join(offenders)
