"""``ddinc doctor``: is the org ready for a push? Each check, what it found, the exact fix.

Exit status: 0 ready, 1 not ready, 2 usage or configuration errors (a key not set, a base URL
that is neither a Datadog site nor loopback). ``ddinc push`` runs the same checks first and
stops on what the org answered; a check that met only a transient failure (no answer, 5xx)
does not stop it, since the push meets those safely itself.
"""

from __future__ import annotations

import argparse

from ddinc.cli._common import Subparsers
from ddinc.errors import ConfigError
from ddinc.payloads import DEFAULT_PROVENANCE_FIELD
from ddinc.push import Connection, DoctorReport, doctor

__all__ = ["preflight", "register"]


def register(commands: Subparsers) -> None:
    checking = commands.add_parser(
        "doctor", help="check that the org is ready for a push (keys, permissions, fields)"
    )
    where = checking.add_mutually_exclusive_group()
    where.add_argument("--site", help="Datadog site, such as datadoghq.eu (default: DD_SITE)")
    where.add_argument("--base-url", help="API root of a loopback emulator")
    checking.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for each answer (default 30)"
    )
    checking.add_argument(
        "--provenance-field",
        default=DEFAULT_PROVENANCE_FIELD,
        help=f"org text field that carries the row key (default {DEFAULT_PROVENANCE_FIELD})",
    )
    checking.set_defaults(run=_run_doctor)


def preflight(connection: Connection, provenance_field: str, *, full: bool) -> DoctorReport:
    """Run the doctor and print it: the whole report when ``full`` or not ready, else one line."""
    report = doctor(connection, provenance_field=provenance_field)
    print(str(report) if full or not report.ready else f"doctor: {report.summary()}")
    if not report.ready and not report.blocks_push:
        print(
            "only transient failures (no answer, 5xx, a long 429): they say nothing about the "
            "org; a push goes on and meets them safely, and doctor can be run again"
        )
    return report


def _run_doctor(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        raise ConfigError(f"--timeout {args.timeout}: give a positive number of seconds")
    connection = Connection.of(site=args.site, base_url=args.base_url, timeout=args.timeout)
    return preflight(connection, args.provenance_field, full=True).exit_code
