"""Command line of the emulator: ``python -m ddinc.datadog.emulator`` (``ddinc emulator``).

Prints the base URL and the demo keys, then serves until Ctrl-C or SIGTERM. The demo keys
are printed in full on purpose: they are public constants that open nothing but this local
emulator, and a user needs them to point a client at it. Custom keys can only be set from
Python (:class:`EmulatorConfig`), so that no real key ever lands in a shell history or a
process list.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from ddinc.datadog.emulator.config import (
    DEMO_API_KEY,
    DEMO_APP_KEY,
    SEARCH_UNKNOWN_FACET_MODES,
    EmulatorConfig,
)
from ddinc.datadog.emulator.emulator import Emulator
from ddinc.datadog.emulator.faults import Faults
from ddinc.datadog.emulator.org import (
    DEFAULT_ORG_FILE,
    PROVENANCE_FIELD,
    PROVENANCE_VARIANTS,
    Org,
)
from ddinc.datadog.emulator.ratelimit import RateLimit
from ddinc.datadog.emulator.validate import PERMISSIONS
from ddinc.errors import ConfigError

__all__ = [
    "build_parser",
    "config_from_args",
    "main",
    "write_stats",
]


def build_parser(prog: str = "python -m ddinc.datadog.emulator") -> argparse.ArgumentParser:
    """The argument parser of the emulator command, named as the user called it."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a local emulator of the Datadog incident endpoints ddinc uses.",
    )
    serving = parser.add_argument_group("serving")
    serving.add_argument(
        "--host", default="127.0.0.1", help="loopback address (default %(default)s)"
    )
    serving.add_argument(
        "--port", type=int, default=8126, help="port, 0 for any free one (default %(default)s)"
    )
    serving.add_argument(
        "--org", type=Path, help=f"org fixture file (default {DEFAULT_ORG_FILE.name})"
    )
    serving.add_argument(
        "--persist", type=Path, help="journal file (JSON Lines) keeping incidents across restarts"
    )
    serving.add_argument(
        "--first-public-id", type=int, default=1, help="public_id of the first incident"
    )
    serving.add_argument(
        "--stats-file",
        type=Path,
        help="on stop, write JSON counts here: answers by status, incidents, distinct titles",
    )
    serving.add_argument(
        "--import-error-shape",
        choices=("api", "jsonapi"),
        default="api",
        help='import errors as {"errors": ["..."]} (api) or JSON:API objects (jsonapi)',
    )
    searching = parser.add_argument_group("search (how Datadog's undocumented search may behave)")
    searching.add_argument(
        "--search-lag",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="an incident shows in search only this long after its creation (default 0)",
    )
    searching.add_argument(
        "--search-unknown-facet",
        choices=SEARCH_UNKNOWN_FACET_MODES,
        default="match",
        help="a query on an org field other than state/severity: matched (default), "
        "no results, 400, or the term ignored",
    )
    _add_org_variants(parser)
    limits = parser.add_argument_group("rate limits (LIMIT/PERIOD, e.g. 60/10)")
    limits.add_argument("--rate-limit", help="limit of POST /api/v2/incidents/import")
    limits.add_argument("--read-rate-limit", help="one limit shared by every other endpoint")
    faults = parser.add_argument_group("faults (probabilities per request, seeded)")
    faults.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    faults.add_argument("--fault-5xx-before", type=float, default=0.0, help="5xx, nothing stored")
    faults.add_argument("--fault-5xx-after", type=float, default=0.0, help="stored, then 5xx")
    faults.add_argument(
        "--fault-slow", type=float, default=0.0, help="stored, answered after --slow-delay"
    )
    faults.add_argument(
        "--slow-delay", type=float, default=5.0, help="seconds (default %(default)s)"
    )
    faults.add_argument(
        "--fault-drop", type=float, default=0.0, help="connection closed, nothing stored"
    )
    faults.add_argument(
        "--fault-drop-after", type=float, default=0.0, help="stored, connection closed"
    )
    faults.add_argument("--fault-429-burst", type=float, default=0.0, help="start a burst of 429s")
    faults.add_argument(
        "--burst-length", type=int, default=5, help="429s per burst (default %(default)s)"
    )
    faults.add_argument(
        "--burst-reset", type=int, default=1, help="x-ratelimit-reset of a burst, seconds"
    )
    faults.add_argument("--fault-status", type=int, default=500, help="status of 5xx faults")
    faults.add_argument("--fault-operations", help="comma-separated operation ids (default: all)")
    faults.add_argument("--seed", type=int, default=0, help="seed of the fault sequence")
    return parser


def _add_org_variants(parser: argparse.ArgumentParser) -> None:
    """Options playing an org that is not ready for ddinc (what ``ddinc doctor`` finds)."""
    variants = parser.add_argument_group("an org not ready for ddinc")
    variants.add_argument(
        "--app-key-permissions",
        metavar="LIST",
        help=(
            "give the demo application key only these comma-separated permissions "
            f"({', '.join(sorted(PERMISSIONS))}; empty for none): 403 wherever one is needed"
        ),
    )
    variants.add_argument(
        "--import-disabled",
        action="store_true",
        help="play an org whose import Preview is not enabled (403 on import)",
    )
    variants.add_argument(
        "--provenance",
        choices=PROVENANCE_VARIANTS,
        default="as-org",
        help=(
            f"the {PROVENANCE_FIELD} field: as the org file has it, absent, on the default "
            "incident type only (some-types), or a text array (not-text)"
        ),
    )


def _permissions(raw: str | None) -> dict[str, frozenset[str]]:
    if raw is None:
        return {}
    chosen = frozenset(p.strip() for p in raw.split(",") if p.strip())
    unknown = chosen - PERMISSIONS
    if unknown:
        raise ConfigError(
            f"--app-key-permissions: unknown {', '.join(sorted(unknown))}; use "
            f"{', '.join(sorted(PERMISSIONS))}"
        )
    return {DEMO_APP_KEY: chosen}


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """An emulator configuration from parsed arguments (raises ConfigError)."""
    operations = None
    if args.fault_operations:
        operations = frozenset(op.strip() for op in args.fault_operations.split(","))
    if args.search_lag < 0:
        raise ConfigError(f"--search-lag {args.search_lag}: give 0 or more seconds")
    permissions = _permissions(args.app_key_permissions)
    org = Org.load(args.org) if args.org else Org.default()
    return EmulatorConfig(
        search_lag=args.search_lag,
        search_unknown_facet=args.search_unknown_facet,
        org=org.with_provenance(args.provenance),
        app_keys=frozenset() if permissions else frozenset({DEMO_APP_KEY}),
        app_key_permissions=permissions,
        import_enabled=not args.import_disabled,
        persist=args.persist,
        first_public_id=args.first_public_id,
        import_error_shape=args.import_error_shape,
        rate_limit=RateLimit.parse(args.rate_limit) if args.rate_limit else None,
        read_rate_limit=(
            RateLimit.parse(args.read_rate_limit, "incidents_read")
            if args.read_rate_limit
            else None
        ),
        faults=Faults(
            latency=args.latency,
            error_before_store=args.fault_5xx_before,
            error_after_store=args.fault_5xx_after,
            slow=args.fault_slow,
            slow_delay=args.slow_delay,
            drop=args.fault_drop,
            drop_after_store=args.fault_drop_after,
            rate_limited=args.fault_429_burst,
            burst_length=args.burst_length,
            burst_reset=args.burst_reset,
            error_status=args.fault_status,
            seed=args.seed,
            operations=operations,
        ),
    )


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Run the emulator command; returns the exit status (0, or 2 on a configuration error).

    ``prog`` is how the user called it (``ddinc emulator``), for help and usage messages.
    """
    args = (build_parser(prog) if prog else build_parser()).parse_args(argv)
    stop = threading.Event()
    try:
        emulator = Emulator(config_from_args(args))
        with emulator.serve(args.host, args.port) as url:
            print(f"ddinc Datadog emulator listening on {url}")
            print(f"  DD_API_KEY={DEMO_API_KEY}")
            print(f"  DD_APP_KEY={DEMO_APP_KEY}")
            print("  (public demo keys: they open nothing but this local emulator)")
            print(
                f"  org: {args.org or DEFAULT_ORG_FILE}; incidents: {args.persist or 'in memory'}"
            )
            print("Press Ctrl-C to stop.", flush=True)
            previous = {}
            if threading.current_thread() is threading.main_thread():
                # SIGINT too: a shell starting us in the background may have ignored it.
                for signum in (signal.SIGINT, signal.SIGTERM):
                    previous[signum] = signal.signal(signum, lambda *_: stop.set())
            try:
                with contextlib.suppress(KeyboardInterrupt):
                    stop.wait()
            finally:
                for signum, handler in previous.items():
                    signal.signal(signum, handler)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.stats_file is not None:
        write_stats(emulator, args.stats_file)
    print("emulator stopped", flush=True)
    return 0


def write_stats(emulator: Emulator, path: Path) -> None:
    """What a run did, for benchmarks: status counts (0: dropped) and stored incidents."""
    incidents = emulator.incidents
    stats = {
        "status_counts": {str(k): v for k, v in sorted(emulator.status_counts().items())},
        "incidents": len(incidents),
        "distinct_titles": len({incident.title for incident in incidents}),
    }
    path.write_text(json.dumps(stats, indent=1), encoding="utf-8")
