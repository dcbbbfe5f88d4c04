"""``ddinc export``: the canonical incidents as CSV, and the quarantine beside them."""

from __future__ import annotations

import argparse
from pathlib import Path

from ddinc.cli._common import Subparsers, add_load_options, load_from_args
from ddinc.export import write_csv

__all__ = ["register"]


def register(commands: Subparsers) -> None:
    export = commands.add_parser(
        "export", help="write the canonical incidents as CSV, and the quarantine beside them"
    )
    add_load_options(export)
    export.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write")
    export.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    result = load_from_args(args)
    written = write_csv(result.incidents, args.output, result.quarantine)
    print(
        f"wrote {result.incidents.height} incidents to {written[0]} and "
        f"{result.quarantine.height} quarantined rows to {written[1]}"
    )
    return 0
