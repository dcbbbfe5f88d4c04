"""``ddinc check``: load an export and report incidents, quarantine, checks and timelines."""

from __future__ import annotations

import argparse
import json
from typing import Any

import polars as pl

from ddinc.cli._common import Subparsers, add_load_options, format_seconds, load_from_args
from ddinc.loader import LoadResult
from ddinc.timeline import timeline_summary

__all__ = ["check_summary", "print_check", "register"]


def register(commands: Subparsers) -> None:
    check = commands.add_parser(
        "check", help="load an export and report incidents, quarantine, checks and timelines"
    )
    add_load_options(check)
    check.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    check.add_argument(
        "--strict", action="store_true", help="exit with status 1 when an error-level check fails"
    )
    check.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    summary = check_summary(load_from_args(args))
    if args.json:
        printable = {k: v for k, v in summary.items() if not k.startswith("_")}
        print(json.dumps(printable, default=str))
    else:
        print_check(summary)
    return 1 if args.strict and summary["_report"].blocking else 0


def check_summary(result: LoadResult) -> dict[str, Any]:
    """Counts, quarantine reasons, check results and timeline percentiles of one load."""
    report = result.check()
    timeline = timeline_summary(result.incidents)
    return {
        **result.summary(),
        "quarantine_reasons": _reason_counts(result.quarantine),
        "checks": report.to_dict(),
        "timeline": timeline.to_dicts(),
        "_report": report,
    }


def _reason_counts(quarantine: pl.DataFrame) -> dict[str, int]:
    if quarantine.is_empty():
        return {}
    # Reasons name the value; group on the part before it so counts stay readable.
    kinds = quarantine.get_column("reason").str.replace(r": cannot read .*", ": unreadable date")
    return dict(kinds.value_counts(sort=True).iter_rows())


def print_check(summary: dict[str, Any]) -> None:
    """The check summary for a terminal."""
    print(
        f"{summary['source']}: {summary['incidents']} incidents from {summary['rows_read']} rows, "
        f"{summary['quarantined_rows']} rows quarantined"
    )
    for reason, count in summary["quarantine_reasons"].items():
        print(f"  quarantined {count:>5}: {reason}")
    print()
    print(str(summary["_report"]))
    print()
    print("timeline (seconds-based percentiles, measured incidents only):")
    header = f"  {'duration':<16}{'measured':>12}{'median':>10}{'p75':>10}{'p90':>10}{'p95':>10}"
    print(header)
    for row in summary["timeline"]:
        measured = f"{row['measured']}/{row['of']}"
        cells = "".join(
            f"{format_seconds(row[key]):>10}" for key in ("p50_s", "p75_s", "p90_s", "p95_s")
        )
        print(f"  {row['duration']:<16}{measured:>12}{cells}")
