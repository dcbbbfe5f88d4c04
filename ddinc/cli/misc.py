"""``ddinc sources``, ``ddinc synth`` and ``ddinc emulator``: the small commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ddinc.cli._common import Subparsers

__all__ = ["register", "run_emulator"]


def register(commands: Subparsers) -> None:
    sources = commands.add_parser("sources", help="list the legacy sources ddinc reads")
    sources.set_defaults(run=_sources)

    commands.add_parser(
        "emulator",
        help="serve the local Datadog emulator (options: ddinc emulator --help)",
        add_help=False,
    )
    # Its options belong to the emulator's own parser: main() hands them over untouched.

    synth = commands.add_parser("synth", help="(re)generate the seeded sample exports")
    synth.add_argument("directory", type=Path, help="folder to write the samples to")
    synth.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    synth.add_argument(
        "--truth", action="store_true", help="also write <name>.truth.csv beside each sample"
    )
    synth.set_defaults(run=_synth)


def _sources(args: argparse.Namespace) -> int:
    from ddinc.sources import SOURCES

    for source in SOURCES.values():
        kinds = ", ".join(sorted(source.kinds))
        print(f"{source.name:<12} {source.description} [{kinds}]")
    return 0


def run_emulator(argv: Sequence[str]) -> int:
    """``ddinc emulator ...``: the emulator's own parser reads the options."""
    from ddinc.datadog.emulator import main as emulator_main

    return emulator_main(list(argv), prog="ddinc emulator")


def _synth(args: argparse.Namespace) -> int:
    from ddinc.synth import write_samples

    for path in write_samples(args.directory, seed=args.seed, truth=args.truth):
        print(path)
    return 0
