"""``ddinc suggest``: the fixes the checks propose, written as a recipe to review and apply.

Every proposal becomes a step; guesses (fuzzy clusters, the nearest state for an unmapped
one, a title built from other columns) are written disabled, so that ``--recipe`` never applies
them unless the analyst sets ``"enabled": true``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from ddinc.checks import check
from ddinc.clean.suggest import TITLE_PARTS, proposals_recipe, suggest
from ddinc.cli._common import Subparsers, add_load_options, load_from_args
from ddinc.errors import DdincError
from ddinc.loader import LoadResult
from ddinc.rowkey import ROW_KEY

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
    report = check(result)
    parts = _title_parts(args, result) if report.failing("title_missing").height else None
    suggestions = suggest(result.incidents, report, title_parts=parts)
    names = ", ".join(
        str(path) for path in (args.path if isinstance(args.path, list) else [args.path])
    )
    recipe = proposals_recipe(
        suggestions, description=f"proposed by ddinc suggest for {names}"
    ).fingerprinted(result.incidents)
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


def _title_parts(args: argparse.Namespace, result: LoadResult) -> pl.DataFrame | None:
    """The source's :data:`TITLE_PARTS` columns of each row (read again from the export)."""
    named = TITLE_PARTS.get(result.source)
    if not named:
        return None
    keys = {column: f"title_part_{index}" for index, column in enumerate(named)}
    extra = [f"{key}={column}" for column, key in keys.items()]
    again = argparse.Namespace(**{**vars(args), "field": [*args.field, *extra], "recipe": None})
    try:
        loaded = load_from_args(again)
    except DdincError:
        return None  # the export lacks one of the columns: no title to build
    return loaded.incidents.select(
        ROW_KEY, *(pl.col(f"field.{key}").alias(column) for column, key in keys.items())
    )
