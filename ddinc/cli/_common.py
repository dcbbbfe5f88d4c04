"""What several commands share: the options that say how to read a source, and the load."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ddinc.cli._wording import cli_wording
from ddinc.errors import ConfigError
from ddinc.loader import LoadResult, load

if TYPE_CHECKING:
    from ddinc.clean import ReplayReport

__all__ = [
    "Subparsers",
    "add_load_options",
    "apply_recipe",
    "format_seconds",
    "load_and_clean",
    "load_from_args",
    "parse_fields",
]

# argparse does not export the type of add_subparsers()' result.
Subparsers = Any


def add_load_options(parser: argparse.ArgumentParser, *, many: bool = True) -> None:
    """The options of every command that reads a legacy export (or a cleaned canonical CSV)."""
    parser.add_argument(
        "path",
        type=Path,
        nargs="+" if many else None,
        help="legacy export file(s)" if many else "legacy export file",
    )
    parser.add_argument(
        "--source",
        help="source name (servicenow, statuspage, pagerduty, opsgenie, jira) or a TOML mapping "
        "file; detected when omitted",
    )
    parser.add_argument("--tz", help="IANA time zone of naive times in the export (default UTC)")
    parser.add_argument(
        "--order", choices=["day_first", "month_first"], help="order of numeric dates"
    )
    parser.add_argument("--sheet", help="Excel sheet name (default: the first)")
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="KEY=COLUMN",
        help="carry a legacy column as the Datadog field KEY (repeatable)",
    )
    parser.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=PATH",
        help="read the canonical FIELD from this legacy column or JSON path instead of the "
        "source's own, e.g. detected=started_at or services=affected_products[].title "
        "(repeatable)",
    )
    parser.add_argument(
        "--detected-from",
        choices=["impact_start", "declared"],
        help="take a missing detected time from this timestamp (noted per load and marked in "
        "raw.detected); default: detected stays missing",
    )
    parser.add_argument(
        "--records",
        metavar="KEY",
        help="for a JSON object holding several lists: the key of the list of records",
    )
    parser.add_argument(
        "--recipe",
        type=Path,
        metavar="FILE",
        help="apply a cleaning recipe (JSON from `ddinc suggest` or the Cleaner) after loading; "
        "the per-step report goes to stderr; exit status 1 when a step changed no row or "
        "excluded over half of the rows",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="with --recipe: apply it even to data holding under half of the rows it was made on",
    )
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="with --recipe: keep the result when a step changed no row or excluded over half "
        "of the rows (exit status 0)",
    )


def load_from_args(args: argparse.Namespace) -> LoadResult:
    """Load what the load options of ``args`` name (cleaned by ``--recipe`` when given)."""
    return load_and_clean(args)[0]


def load_and_clean(args: argparse.Namespace) -> tuple[LoadResult, ReplayReport | None]:
    """Load what the load options of ``args`` name, and what ``--recipe`` did (if given)."""
    paths: list[Path] = args.path if isinstance(args.path, list) else [args.path]
    result = load(
        paths[0] if len(paths) == 1 else paths,
        args.source,
        tz=args.tz,
        order=args.order,
        sheet=args.sheet,
        fields=parse_fields(args.field),
        columns=parse_fields(args.column, option="--column", example="detected=started_at"),
        detected_from=args.detected_from,
        records=args.records,
    )
    recipe_path = getattr(args, "recipe", None)
    if recipe_path is None:
        return result, None
    return apply_recipe(
        result,
        recipe_path,
        force=bool(getattr(args, "force", False)),
        allow_partial=bool(getattr(args, "allow_partial", False)),
    )


def apply_recipe(
    result: LoadResult, path: Path, *, force: bool = False, allow_partial: bool = False
) -> tuple[LoadResult, ReplayReport]:
    """``result`` cleaned by the recipe at ``path``, and what it did (printed to stderr).

    The one failure path of ``--recipe`` for every command: a recipe for other data, or one
    whose steps did not do what they say, raises (the command prints one ``error:`` line and
    exits 2 or 1), after the per-step report.
    """
    from ddinc.checks import CheckContext
    from ddinc.clean import Recipe, RecipeMismatchError, RecipePartialError

    recipe = Recipe.load(path)
    context = CheckContext(assumed_timezone=result.assumed_timezone)
    try:
        replayed = recipe.apply(
            result.incidents, check_context=context, force=force, allow_partial=allow_partial
        )
    except RecipeMismatchError as error:
        raise RecipeMismatchError(f"{path}: {error}") from None
    except RecipePartialError as error:
        print(f"{path}: {cli_wording(error.replay.report_text())}", file=sys.stderr)
        raise RecipePartialError(f"{path}: {error}", error.replay) from None
    print(f"{path}: {cli_wording(replayed.report_text())}", file=sys.stderr)
    summary = dataclasses.replace(replayed.summary(), description=recipe.description or path.name)
    return dataclasses.replace(result, incidents=replayed.frame), summary


def parse_fields(
    pairs: list[str], *, option: str = "--field", example: str = "root_cause=close_notes"
) -> dict[str, str]:
    """``--field KEY=COLUMN`` (or ``--column FIELD=PATH``) pairs as a dict."""
    fields = {}
    for pair in pairs:
        key, sep, column = pair.partition("=")
        if not sep or not key.strip() or not column.strip():
            name = "FIELD=PATH" if option == "--column" else "KEY=COLUMN"
            raise ConfigError(f"{option} {pair!r}: write it as {name}, e.g. {example}")
        fields[key.strip()] = column.strip()
    return fields


def format_seconds(value: float | None) -> str:
    """A duration in seconds as a short human figure (``1.5h``, ``-3.0d``, ``-`` when missing)."""
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    value = abs(value)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if value >= size:
            return f"{sign}{value / size:.1f}{unit}"
    return f"{sign}{value:.0f}s"
