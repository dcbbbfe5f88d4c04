"""The house's one-way data path, as a test: a lower layer never imports an upper one.

sources -> canonical frame -> timeline/checks/stats -> recipe -> export/payloads -> client,
with widgets, plots, the report and the CLI on top (README, "What each part does"). Inside a
package, renderers import their models, never the reverse, and no two modules import each
other. Every import counts, a lazy one inside a function too; only imports under
``if TYPE_CHECKING:`` are left out (they never run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "ddinc"

# Rank of each top-level part: a module may import only parts of the same or a lower rank.
# Parts not listed are refused by test_every_part_has_a_rank, so a new one gets placed.
LAYERS: dict[str, int] = {
    # the ground every layer stands on
    "errors": 0,
    "display": 0,
    "limits": 0,
    "schema": 0,
    "rowkey": 0,
    "encodings": 0,
    "csv_records": 0,
    "safe_csv": 0,
    "people_match": 0,
    "timestamps": 1,
    # legacy exports -> the canonical frame, whose duration columns the timeline defines
    "timeline": 2,
    "readers": 2,
    "sources": 3,
    "loader": 4,
    # what the frame says
    "checks": 6,
    "stats": 7,
    # cleaning
    "clean": 8,
    # out of the frame: files and requests
    "export": 9,
    "payloads": 9,
    # the Datadog side stands apart: it knows requests, not frames (see test below)
    "datadog": 1,
    "push": 10,
    # on top
    "plot": 11,
    "report": 12,
    "synth": 12,
    "widgets": 13,
    "cli": 14,
}

# Within a part, who may not import whom: a model never imports its renderer or writer.
RENDERERS: dict[str, tuple[str, ...]] = {
    "ddinc.checks.report": ("ddinc.checks.render",),
    "ddinc.stats.phases": ("ddinc.stats.render",),
    "ddinc.report.model": ("ddinc.report.render", "ddinc.report.write"),
    "ddinc.sources.mapping": ("ddinc.sources.mapping_file",),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node that can run: the bodies of ``if TYPE_CHECKING:`` are skipped."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for other in node.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(name: str) -> set[str]:
    """The ddinc modules that module ``name`` imports when it runs."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from pkg import submodule` imports the submodule; `from mod import name` the module
            submodules = [f"{module}.{alias.name}" for alias in node.names]
            targets = [s for s in submodules if s in MODULES] or [module]
        else:
            continue
        found.update(t for t in targets if t in MODULES and t != name)
    return found


def _part(name: str) -> str:
    return name.split(".")[1] if name.count(".") else ""


def test_every_part_has_a_rank() -> None:
    parts = {_part(name) for name in MODULES if name != "ddinc"}
    assert parts <= set(LAYERS), f"place these parts in LAYERS: {sorted(parts - set(LAYERS))}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n != "ddinc"))
def test_a_layer_imports_only_layers_below_it(name: str) -> None:
    rank = LAYERS[_part(name)]
    upward = sorted(
        target for target in _imports(name) if target != "ddinc" and LAYERS[_part(target)] > rank
    )
    assert not upward, f"{name} (rank {rank}) imports upper layers: {upward}"


def test_the_datadog_side_knows_no_frame() -> None:
    # The client and the emulator speak HTTP and request models; the frame reaches them only
    # through payloads, so they must not import any part of the data path.
    data_path = {part for part, rank in LAYERS.items() if rank >= LAYERS["readers"]}
    offenders = {
        name: sorted(t for t in _imports(name) if _part(t) in data_path)
        for name in MODULES
        if _part(name) == "datadog"
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_no_two_modules_import_each_other() -> None:
    graph = {name: _imports(name) for name in MODULES}
    pairs = sorted(
        (a, b)
        for a, targets in graph.items()
        for b in targets
        if a < b
        and a in graph[b]
        # a package's __init__ re-exports its submodules; they import siblings, not it
        and not (b.startswith(a + ".") or a.startswith(b + "."))
    )
    assert not pairs, f"modules importing each other: {pairs}"


@pytest.mark.parametrize("model", sorted(RENDERERS))
def test_models_never_import_their_renderers(model: str) -> None:
    assert not _imports(model) & set(RENDERERS[model])


def test_the_rules_see_a_lazy_import() -> None:
    # The test above would pass vacuously if lazy imports went unseen.
    source = "def f():\n    from ddinc.checks.render import report_html\n"
    tree = ast.parse(source)
    assert any(isinstance(n, ast.ImportFrom) for n in _runtime_nodes(tree))
    guarded = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import ddinc.cli\n"
    assert not [n for n in _runtime_nodes(ast.parse(guarded)) if isinstance(n, ast.Import)]
