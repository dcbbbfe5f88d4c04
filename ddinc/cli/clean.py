"""``ddinc suggest``: the fixes the checks propose, written as a recipe to review and apply.

Every proposal becomes a step; guesses (the nearest state for an unmapped one) are written
disabled, so that ``--recipe`` never applies them unless the analyst sets ``"enabled": true``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ddinc.checks import check
from ddinc.clean.suggest import proposals_recipe, suggest
from ddinc.cli._common import Subparsers, add_load_options, load_from_args

__all__ = ["register"]


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "suggest", help="propose fixes from the checks and write them as a recipe (JSON)"
    )
    add_load_options(parser)
    parser.add_argument("-o", "--output", type=Path, required=True, help="recipe file to write")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    result = load_from_args(args)
    suggestions = suggest(result.incidents, check(result))
    names = ", ".join(
        str(path) for path in (args.path if isinstance(args.path, list) else [args.path])
    )
    recipe = proposals_recipe(suggestions, description=f"proposed by ddinc suggest for {names}")
    recipe.save(args.output)
    for suggestion in suggestions:
        mark = " (a guess: written disabled)" if suggestion.needs_review else ""
        print(f"  {suggestion.check}: {suggestion.title}{mark}")
    disabled = sum(not step.enabled for step in recipe.steps)
    print(
        f"wrote {len(recipe.steps)} step(s) from {len(suggestions)} proposal(s) to {args.output} "
        f"({disabled} disabled until you enable them); apply with --recipe {args.output}"
    )
    return 0
