"""``ddinc report``: the checks, statistics and plots of an export, as files in a folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from ddinc.checks import check
from ddinc.cli._common import Subparsers, add_load_options, load_and_clean
from ddinc.errors import ConfigError
from ddinc.report import DEFAULT_GROUPS, report

__all__ = ["register"]


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "report",
        help="write report.html (checks, statistics, plots), the statistics as CSV and "
        "Parquet, and the plots as PNG",
        description="Load an export, check it, and write a self-contained HTML report with "
        "the duration statistics (medians and percentiles with bootstrap intervals), the "
        "statistics as CSV and Parquet, and every plot as PNG, into one folder.",
    )
    add_load_options(parser)
    parser.add_argument("-o", "--output", type=Path, required=True, help="folder to write into")
    parser.add_argument(
        "--by",
        default=",".join(DEFAULT_GROUPS),
        help="groupings for the statistics, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--resamples", type=int, default=2000, help="bootstrap resamples (default: 2000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: 0)")
    parser.add_argument(
        "--include-unreal",
        action="store_true",
        help="keep zero-length back-fills and reversed intervals in the statistics",
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    groups = tuple(name.strip() for name in args.by.split(",") if name.strip())
    if args.resamples < 1:
        raise ConfigError(f"--resamples {args.resamples}: give a positive number, e.g. 2000")
    result, recipe = load_and_clean(args)
    written = report(
        result.incidents,
        check(result),
        out=args.output,
        by=groups,
        n_boot=args.resamples,
        seed=args.seed,
        include_unreal=args.include_unreal,
        # Which recipe made the cleaned data, what it changed and what it left out.
        notes=recipe.lines() if recipe is not None else (),
    )
    files = written.files
    assert files is not None  # written because out was given
    print(
        f"{result.source}: {result.incidents.height} incidents from {result.rows_read} rows, "
        f"{result.quarantine.height} rows quarantined"
    )
    print(f"report:     {files.html}")
    print(f"statistics: {files.stats_csv}, {files.stats_parquet.name}")
    print(f"plots:      {len(files.plots)} PNG files in {files.plots[0].parent}")
    for comparison in written.comparisons:
        print(f"  {comparison.sentence}")
    return 0
