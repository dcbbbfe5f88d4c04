"""``ddinc export``: the canonical incidents as CSV, and the quarantine beside them.

Each row names the checks it fails (``failing_checks``); ``ddinc.load`` reads the file back to
the same incidents, so later commands can start from it. An input is never overwritten.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ddinc.checks import check
from ddinc.cli._common import Subparsers, add_load_options, load_from_args
from ddinc.export import check_targets, write_csv

__all__ = ["register"]


def register(commands: Subparsers) -> None:
    export = commands.add_parser(
        "export", help="write the canonical incidents as CSV, and the quarantine beside them"
    )
    add_load_options(export)
    export.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write")
    export.add_argument(
        "--excel",
        action="store_true",
        help="write UTF-8 with a byte order mark, so Excel reads accents right",
    )
    export.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    inputs: list[Path] = args.path if isinstance(args.path, list) else [args.path]
    check_targets(args.output, inputs=inputs)  # before a long load, not after it
    result = load_from_args(args)
    written = write_csv(
        result.incidents,
        args.output,
        result.quarantine,
        report=check(result),
        excel=args.excel,
        inputs=inputs,
    )
    print(
        f"wrote {result.incidents.height} incidents to {written[0]} and "
        f"{result.quarantine.height} quarantined rows to {written[1]}"
    )
    return 0
