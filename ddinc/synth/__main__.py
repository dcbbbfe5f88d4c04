"""``python -m ddinc.synth DIRECTORY``: regenerate the committed samples (see data/README.md)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ddinc.synth._samples import write_samples


def main(argv: Sequence[str] | None = None) -> int:
    """Write every sample into the directory given on the command line; print the paths."""
    parser = argparse.ArgumentParser(
        prog="python -m ddinc.synth",
        description="Write ddinc's seeded sample exports of every legacy source.",
    )
    parser.add_argument("directory", type=Path, help="where to write (e.g. data)")
    parser.add_argument("--seed", type=int, default=7, help="same seed, same bytes (default 7)")
    parser.add_argument(
        "--truth", action="store_true", help="also write <name>.truth.csv beside each sample"
    )
    args = parser.parse_args(argv)
    for path in write_samples(args.directory, seed=args.seed, truth=args.truth):
        print(f"{path}  {path.stat().st_size:>8,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
