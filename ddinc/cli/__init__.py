"""The ``ddinc`` command line: one module per command group, each with a ``register`` function.

Every command prints errors as one ``error: ...`` line (exit status 2), never a traceback:
ddinc's errors already say what to do. Commands return their exit status. When the reader of
the output goes away (``ddinc ledger F | head``), the command stops quietly with status 141,
as a Unix tool killed by SIGPIPE does, so a pipeline with ``pipefail`` still sees it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ddinc.cli import check, clean, demo, doctor, export, misc, push, report
from ddinc.cli._wording import cli_wording
from ddinc.errors import DdincError

__all__ = ["build_parser", "main"]

_BROKEN_PIPE = 141
"""Exit status when stdout's reader went away: 128 + SIGPIPE, as the shell reports it."""

# Each module adds its commands to the parser; the order is the order of `ddinc --help`.
_COMMAND_MODULES = (check, export, clean, report, doctor, push, demo, misc)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed so tests can check every command is documented)."""
    parser = argparse.ArgumentParser(
        prog="ddinc", description="Move legacy incident history into Datadog Incident Management."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ddinc`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        return misc.run_emulator(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
        # Flushed here so that a reader gone away is seen now, not at interpreter exit.
        sys.stdout.flush()
    except DdincError as error:
        print(f"error: {cli_wording(str(error))}", file=sys.stderr)
        # 2 unless the error says otherwise (a recipe that did not do what it says: 1).
        return int(getattr(error, "exit_status", 2))
    except BrokenPipeError:
        _silence_stdout()
        return _BROKEN_PIPE
    return status


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush cannot fail again.

    As the Python docs recommend for SIGPIPE (``signal`` module, "Note on SIGPIPE").
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a file (a test's capture): nothing left to flush
