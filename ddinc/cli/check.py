"""``ddinc check``: load an export and report incidents, quarantine, checks and timelines."""

from __future__ import annotations

import argparse
import json
from typing import Any

import polars as pl

from ddinc.checks import check
from ddinc.cli._common import Subparsers, add_load_options, format_seconds, load_from_args
from ddinc.cli._wording import cli_wording
from ddinc.loader import LoadResult
from ddinc.timeline import timeline_summary

__all__ = ["check_summary", "print_check", "register", "timeline_text"]


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
    report = check(result)
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
    """The check summary for a terminal, in command-line wording.

    Tolerant of what later versions add: timeline rows beyond the four durations, and extra
    keys (a ``left_out`` count is shown when rows carry one).
    """
    print(
        f"{summary['source']}: {summary['incidents']} incidents from {summary['rows_read']} rows, "
        f"{summary['quarantined_rows']} rows quarantined"
    )
    for reason, count in summary.get("quarantine_reasons", {}).items():
        print(f"  quarantined {count:>5}: {cli_wording(reason)}")
    print()
    report = summary["_report"]
    print(cli_wording(str(report)))
    print()
    print(timeline_text(summary.get("timeline", [])))


def timeline_text(rows: list[dict[str, Any]]) -> str:
    """Timeline percentiles as a small table (one row per duration or phase)."""
    left_out = any("left_out" in row for row in rows)
    width = max([16, *(len(str(row.get("duration", ""))) + 2 for row in rows)])
    lines = ["timeline (seconds-based percentiles, measured incidents only):"]
    header = f"  {'duration':<{width}}{'measured':>12}" + (f"{'left out':>10}" if left_out else "")
    lines.append(header + "".join(f"{name:>10}" for name in ("median", "p75", "p90", "p95")))
    for row in rows:
        measured = f"{row.get('measured', 0)}/{row.get('of', 0)}"
        dropped = f"{row.get('left_out') or 0:>10}" if left_out else ""
        cells = "".join(
            f"{format_seconds(row.get(key)):>10}" for key in ("p50_s", "p75_s", "p90_s", "p95_s")
        )
        lines.append(f"  {row.get('duration', '?'):<{width}}{measured:>12}{dropped}{cells}")
    return "\n".join(lines)
