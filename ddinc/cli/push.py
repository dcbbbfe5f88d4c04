"""``ddinc push``, ``ddinc reconcile``, ``ddinc rollback`` and ``ddinc ledger``.

Keys come from ``DD_API_KEY`` / ``DD_APP_KEY`` and the site from ``DD_SITE``, or ``--base-url``
names a loopback emulator (``ddinc emulator`` prints its URL and demo keys). ``ddinc push`` runs
``ddinc doctor`` first and stops (status 1) when the org is not ready. Exit status:
0 everything selected is created or skipped; 1 some failed or were held; 3 some are unknown
(run ``ddinc reconcile`` once their settle window has passed: ``push`` never resends them,
and ``reconcile`` exits 3 too while some stay unknown); 4 something needs a decision (a row
changed since it was created, or a created row is no longer in the source); 2 usage or
configuration errors (a ledger in use by another run, bound to another target, or not
writable). ``ddinc rollback`` exits 4 when it left incidents the ledger did not send itself
(listed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ddinc.cli._common import Subparsers, add_load_options, load_from_args
from ddinc.cli.doctor import preflight
from ddinc.datadog import DEFAULT_CONCURRENCY
from ddinc.errors import ConfigError
from ddinc.payloads import DEFAULT_PROVENANCE_FIELD, PayloadOptions
from ddinc.push import (
    Connection,
    Ledger,
    Plan,
    people_table_path,
    plan,
    push,
    read_people,
    reconcile,
    rollback,
    write_people_template,
)
from ddinc.push.people import unmapped_names
from ddinc.push.reconcile import DEFAULT_SETTLE_AFTER_S, settle_by_hand, settle_times
from ddinc.push.results import EXIT_DECIDE, EXIT_FAILED, EXIT_OK, EXIT_UNKNOWN, exit_code

__all__ = ["register"]

_SHOWN_HELD = 15
_SHOWN_LOOKUPS = 5


def _connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url",
        help="API root of a loopback emulator (default: the Datadog site of DD_SITE)",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for each answer (default 30)"
    )


def _settle_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--settle-after",
        type=float,
        default=DEFAULT_SETTLE_AFTER_S,
        metavar="SECONDS",
        help="an unknown record found nowhere is judged not created only this long after its "
        f"last send, when Datadog's search has caught up (default {DEFAULT_SETTLE_AFTER_S:g})",
    )


def _settle_after(args: argparse.Namespace) -> float:
    if args.settle_after < 0:
        raise ConfigError(f"--settle-after {args.settle_after}: give 0 or more seconds")
    return float(args.settle_after)


def _print_settle(args: argparse.Namespace) -> None:
    """When the unknown records of the ledger can be settled, and how."""
    if not args.ledger.exists():
        return
    with Ledger(args.ledger) as ledger:
        times = sorted(settle_times(ledger, _settle_after(args)).values())
    if not times:
        return
    first, last = (t.isoformat(timespec="seconds") for t in (times[0], times[-1]))
    when = f"at {first}" if first == last else f"from {first} (the last at {last})"
    some = "1 record may exist" if len(times) == 1 else f"{len(times)} records may exist"
    print(
        f"{some} in Datadog and are not sent again: they can settle "
        f"{when}, {_settle_after(args):g} s after their last send; run `ddinc reconcile "
        f"--ledger {args.ledger}` then, and push again"
    )


def _connection(args: argparse.Namespace) -> Connection:
    if args.timeout <= 0:
        raise ConfigError(f"--timeout {args.timeout}: give a positive number of seconds")
    return Connection.of(base_url=args.base_url, timeout=args.timeout)


def register(commands: Subparsers) -> None:
    pushing = commands.add_parser(
        "push", help="send the selected incidents to Datadog exactly once, with a ledger"
    )
    add_load_options(pushing, many=False)
    pushing.add_argument("--ledger", type=Path, required=True, help="the ledger file (SQLite)")
    _connection_options(pushing)
    pushing.add_argument(
        "--dry-run", action="store_true", help="plan only: every check, nothing sent"
    )
    pushing.add_argument(
        "--where", help="SQL condition selecting rows, e.g. \"severity IN ('SEV-1', 'SEV-2')\""
    )
    pushing.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="requests in flight"
    )
    pushing.add_argument("--yes", action="store_true", help="send without asking")
    pushing.add_argument(
        "--provenance-field",
        default=DEFAULT_PROVENANCE_FIELD,
        help=f"org text field that carries the row key (default {DEFAULT_PROVENANCE_FIELD})",
    )
    pushing.add_argument(
        "--unmapped-people",
        choices=["absent", "hold"],
        default="absent",
        help="people without a Datadog user: send the row without them, or hold it",
    )
    pushing.add_argument(
        "--unknown-fields",
        choices=["hold", "drop"],
        default="hold",
        help="carried fields the org does not have: hold the row, or leave the field out",
    )
    pushing.add_argument("--no-progress", action="store_true", help="no progress bar")
    _settle_option(pushing)
    pushing.set_defaults(run=_run_push)

    reconciling = commands.add_parser(
        "reconcile", help="settle unknown and interrupted records by looking them up in Datadog"
    )
    reconciling.add_argument("--ledger", type=Path, required=True, help="the ledger file")
    reconciling.add_argument(
        "--not-created",
        nargs="+",
        metavar="ROW_KEY",
        help="record that you checked Datadog by hand and these unknown records are not there "
        "(what reconcile cannot check); needs --note; the next push sends them",
    )
    reconciling.add_argument("--note", default="", help="what you checked (kept in the ledger)")
    reconciling.add_argument("--yes", action="store_true", help="record it without asking")
    _connection_options(reconciling)
    _settle_option(reconciling)
    reconciling.set_defaults(run=_run_reconcile)

    rolling = commands.add_parser(
        "rollback", help="delete the incidents a ledger (or one run of it) created"
    )
    rolling.add_argument("--ledger", type=Path, required=True, help="the ledger file")
    rolling.add_argument("--run", dest="run_id", help="only the incidents created by this run id")
    rolling.add_argument("--yes", action="store_true", help="delete without asking")
    _connection_options(rolling)
    rolling.set_defaults(run=_run_rollback)

    showing = commands.add_parser("ledger", help="summarize a ledger: records, runs")
    showing.add_argument("file", type=Path, help="the ledger file")
    showing.add_argument("--json", action="store_true", help="print one JSON object")
    showing.set_defaults(run=_run_ledger)


def _ask(question: str) -> bool:
    if not sys.stdin.isatty():
        raise ConfigError(f"{question} There is no terminal to answer: pass --yes")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _print_plan(planned: Plan) -> None:
    counts = ", ".join(f"{v} {k}" for k, v in planned.counts().items())
    print(f"plan: {len(planned.rows)} selected: {counts}")
    if planned.impacts_todo:
        print(f"  customer impacts still to send: {len(planned.impacts_todo)}")
    # Say which times are not the record's own (the plan's frame has them row by row).
    filled: dict[str, int] = {}
    for row in planned.ready:
        detected = next((t for t in row.payload.times if t.name == "detected"), None)
        if detected is not None and detected.source != "detected":
            filled[detected.source] = filled.get(detected.source, 0) + 1
    for source, count in filled.items():
        print(f"  detected time from {source} (none recorded): {count} ready rows")
    shown = [row for row in planned.rows if row.status in ("held", "changed", "unknown")]
    for row in shown[:_SHOWN_HELD]:
        print(f"  {row.status:<8} {row.row_key}: {row.reason}")
    if len(shown) > _SHOWN_HELD:
        print(f"  ... and {len(shown) - _SHOWN_HELD} more")


def _options(args: argparse.Namespace) -> PayloadOptions:
    return PayloadOptions(
        provenance_field=args.provenance_field,
        unmapped_people=args.unmapped_people,
        unknown_fields=args.unknown_fields,
    )


def _people_template(args: argparse.Namespace, names: list[str | None]) -> None:
    table = people_table_path(args.ledger)
    missing = unmapped_names(names, read_people(table))
    added = write_people_template(table, missing) if missing else 0
    if added:
        print(f"{added} people without an email added to {table}: fill in their emails")


def _run_push(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        raise ConfigError(f"--concurrency {args.concurrency}: use 1 or more")
    result = load_from_args(args)
    connection = _connection(args)
    people = [
        value
        for column in ("commander", "declared_by")
        for value in result.incidents.get_column(column).unique().to_list()
    ]
    # The doctor first: a push to an org that is not ready stops before anything is sent.
    checked = preflight(connection, args.provenance_field, full=args.dry_run)
    if checked.blocks_push and not (args.dry_run and checked.can_plan):
        print("stopped: the org is not ready (see above); nothing was sent", file=sys.stderr)
        return EXIT_FAILED
    if args.dry_run:
        planned = plan(
            result,
            ledger=args.ledger,
            where=args.where,
            options=_options(args),
            connection=connection,
        )
        _print_plan(planned)
        _people_template(args, people)
        counts = planned.counts()
        if counts["unknown"]:
            _print_settle(args)
        code = exit_code({key: counts[key] for key in ("held", "unknown", "changed")})
        # an org that is not ready outranks a decision, never an unknown record
        return EXIT_FAILED if checked.blocks_push and code in (EXIT_OK, EXIT_DECIDE) else code

    def confirm(planned: Plan) -> bool:
        _print_plan(planned)
        ready = len(planned.ready) + len(planned.impacts_todo)
        if args.yes or ready == 0:
            return True
        return _ask(f"send {ready} requests to {connection.base_url or 'Datadog'}?")

    pushed = None
    try:
        pushed = push(
            result,
            ledger=args.ledger,
            where=args.where,
            options=_options(args),
            concurrency=args.concurrency,
            progress=not args.no_progress,
            confirm=confirm,
            connection=connection,
        )
    except KeyboardInterrupt:
        print(
            f"interrupted: requests in flight are recorded as unknown; run "
            f"`ddinc reconcile --ledger {args.ledger}` before pushing again",
            file=sys.stderr,
        )
        return EXIT_UNKNOWN
    _people_template(args, people)
    decisions = pushed.decisions()
    for line in decisions[:_SHOWN_HELD]:
        print(f"  {line}")
    if len(decisions) > _SHOWN_HELD:
        print(f"  ... and {len(decisions) - _SHOWN_HELD} more")
    print(pushed.summary())
    if pushed.exit_code == EXIT_UNKNOWN:
        _print_settle(args)
    return pushed.exit_code


def _run_reconcile(args: argparse.Namespace) -> int:
    if args.not_created:
        question = f"record {len(args.not_created)} record(s) as not in Datadog, checked by hand?"
        if not (args.yes or _ask(question)):
            return EXIT_FAILED
        keys = settle_by_hand(
            args.ledger, args.not_created, note=args.note, settle_after=_settle_after(args)
        )
        print(f"{len(keys)} record(s) recorded not created (by hand); the next push sends them")
        return EXIT_OK
    settled = reconcile(args.ledger, settle_after=_settle_after(args), connection=_connection(args))
    print(settled.summary())
    with Ledger(args.ledger) as ledger:
        counts = ledger.counts()
        impacts = ledger.impact_counts()
    unsettled = counts["unknown"] + counts["sending"] + impacts.get("unknown", 0)
    return EXIT_UNKNOWN if unsettled + impacts.get("sending", 0) else EXIT_OK


def _run_rollback(args: argparse.Namespace) -> int:
    def confirm(count: int) -> bool:
        if args.yes:
            return True
        return _ask(f"delete {count} incidents from Datadog?")

    done = rollback(args.ledger, run_id=args.run_id, confirm=confirm, connection=_connection(args))
    print(done.summary())
    if done.deleted < done.frame.height:
        return EXIT_FAILED
    return EXIT_DECIDE if done.not_ours else EXIT_OK


def _run_ledger(args: argparse.Namespace) -> int:
    if not args.file.exists():
        raise ConfigError(f"{args.file} does not exist: give the --ledger file of a push")
    with Ledger(args.file) as ledger:
        counts = ledger.counts()
        impacts = ledger.impact_counts()
        runs = ledger.runs().to_dicts()
        target = ledger.target
        lookups = ledger.lookups()
    if args.json:
        summary = {"records": counts, "impacts": impacts, "runs": runs, "target": target}
        print(json.dumps({**summary, "lookups": lookups.height}))
        return EXIT_OK
    total = sum(counts.values())
    print(f"{args.file}: {total} records, pushed to {target or '(nowhere yet)'}")
    for status, count in counts.items():
        if count:
            print(f"  {status:<12}{count:>7}")
    if impacts:
        print("customer impacts: " + ", ".join(f"{v} {k}" for k, v in sorted(impacts.items())))
    print(f"{len(runs)} runs:")
    for run in runs:
        print(f"  {run['run_id']}  {run['kind']:<10} {run['finished'] or 'unfinished'}")
    if lookups.height:
        print(f"{lookups.height} lookups by reconcile; the last ones:")
        for row in lookups.tail(_SHOWN_LOOKUPS).iter_rows(named=True):
            print(f"  {row['at'][:19]}  {row['row_key']}  {row['lookup']}: {row['found']}")
            print(f"      -> {row['verdict']}")
    if counts["sending"] or counts["unknown"]:
        print(f"some records may exist in Datadog: run `ddinc reconcile --ledger {args.file}`")
    return EXIT_OK
