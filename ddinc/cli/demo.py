"""``ddinc demo``: the quick-start demo on the sample exports in ``data/``."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from ddinc.checks import CheckReport, check, run_checks
from ddinc.clean import Recipe, suggest
from ddinc.clean.suggest import proposals_recipe
from ddinc.cli._common import Subparsers
from ddinc.cli._wording import cli_wording
from ddinc.cli.check import check_summary, print_check
from ddinc.datadog.emulator.faults import Faults
from ddinc.errors import DdincError
from ddinc.export import write_csv
from ddinc.loader import LoadResult, load
from ddinc.push import PushResult, ReconcileResult, plan, push, reconcile
from ddinc.push.run import Connection
from ddinc.report import report as ddinc_report
from ddinc.rowkey import with_row_keys
from ddinc.synth import mapping_beside, recipe_beside

__all__ = ["DEFAULT_DATA", "cleaned_names", "register"]

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "data"


def register(commands: Subparsers) -> None:
    demo = commands.add_parser(
        "demo", help="the whole job on the samples in data/: load, check, export, push, report"
    )
    demo.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of sample exports")
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("out"),
        help="folder for cleaned CSVs, the ledger and the report",
    )
    demo.add_argument(
        "--verbose", action="store_true", help="print each sample's checks and timeline too"
    )
    demo.set_defaults(run=_run)


def _samples(data: Path) -> list[Path]:
    if not data.is_dir():
        return []
    return sorted(
        p
        for p in data.iterdir()
        if p.suffix in {".csv", ".json", ".jsonl", ".xlsx"}
        and ".truth" not in p.name
        and not p.name.endswith("_recipe.json")
    )


def cleaned_names(samples: list[Path]) -> dict[Path, str]:
    """The cleaned CSV's name of each sample: ``<stem>.cleaned.csv``.

    Two samples sharing a stem (``alerts.csv``, ``alerts.json``) get their format in the name
    (``alerts-csv.cleaned.csv``), so neither overwrites the other.

    >>> sorted(cleaned_names([Path("a.csv"), Path("a.json"), Path("b.jsonl")]).values())
    ['a-csv.cleaned.csv', 'a-json.cleaned.csv', 'b.cleaned.csv']
    """
    stems = Counter(sample.stem for sample in samples)
    return {
        sample: (
            f"{sample.stem}.cleaned.csv"
            if stems[sample.stem] == 1
            else f"{sample.stem}-{sample.suffix.lstrip('.')}.cleaned.csv"
        )
        for sample in samples
    }


def _run(args: argparse.Namespace) -> int:
    """The whole job on the samples: load, check, export, push (with faults), reconcile, report.

    One screen by default; ``--verbose`` adds each sample's checks and timeline.
    """
    data: Path = args.data
    out: Path = args.out
    samples = _samples(data)
    if not samples:
        print(
            f"error: no sample exports in {data}; run `ddinc synth {data}` first", file=sys.stderr
        )
        return 2
    started = datetime.now(UTC)
    print(f"ddinc demo: the whole job on the {len(samples)} sample exports in {data}\n")
    print(
        f"{'sample':<34}{'source':<12}{'incidents':>10}{'quarant.':>9}{'fixed':>7}"
        f"{'blocked':>8}{'warned':>7}"
    )
    names = cleaned_names(samples)
    cleaned_dir = out / "cleaned"
    recipes_dir = out / "recipes"
    # The samples hold each source's history in several formats (CSV and JSON...): one of
    # each source goes on to the push and the report, or every incident would be there twice.
    loaded: dict[str, pl.DataFrame] = {}
    failures = 0
    review = 0
    for sample in samples:
        try:
            result, fixed, left = _load_and_clean(sample, recipes_dir / names[sample])
            review += left
            summary = check_summary(result)
            report = summary["_report"]
            write_csv(
                result.incidents,
                cleaned_dir / names[sample],
                result.quarantine,
                report=report,
                inputs=[sample],
            )
        except DdincError as error:
            failures += 1
            print(f"{sample.name:<34}could not load: {cli_wording(str(error))}")
            continue
        loaded.setdefault(result.source, result.incidents)
        print(
            f"{sample.name:<34}{result.source:<12}{result.incidents.height:>10}"
            f"{result.quarantine.height:>9}{fixed:>7}{report.n_errors:>8}{report.n_warnings:>7}"
        )
        if args.verbose:
            print()
            print_check(summary)
            print(f"\n  exported {cleaned_dir / names[sample]}\n")
    print(
        f"\nfixed: what the recipes changed (the checks' suggestions, then the analyst's "
        f"<sample>_recipe.json where there is one); to review and replay: {recipes_dir}/\n"
        f"cleaned CSVs (each row names the checks it still fails): {cleaned_dir}/"
    )
    print(
        f"applied only the safe suggestions; left for review: {review} guess(es), written "
        f'disabled ("enabled": false) in the recipes in {recipes_dir}/'
    )
    if loaded:
        print(f"one export of each source goes on: {', '.join(sorted(loaded))}")
        incidents = with_row_keys(pl.concat(loaded.values(), how="diagonal_relaxed", rechunk=True))
        checks = run_checks(incidents)
        _push_with_faults(incidents, checks, out)
        written = ddinc_report(incidents, checks, out=out / "report", title="Sample histories")
        files = written.files
        if files is not None:
            print(f"report (statistics with confidence intervals, plots): {files.html}")
    elapsed = (datetime.now(UTC) - started).total_seconds()
    more = "" if args.verbose else "; `ddinc demo --verbose` for every sample's checks"
    print(f"`ddinc check <sample>` details one sample{more}")
    print("next: open the notebooks with `.venv/bin/jupyter lab notebooks/`")
    print(f"demo done in {elapsed:.1f}s")
    return 1 if failures else 0


def _load_and_clean(sample: Path, cleaned: Path) -> tuple[LoadResult, int, int]:
    """A sample loaded and cleaned by the checks' own proposals (guesses stay disabled), then
    by the analyst's review recipe where the sample has one; the recipe is kept beside the
    cleaned CSVs. Returns the cleaned result, how many cells changed and how many proposed
    steps were left disabled for review."""
    loaded = load(sample, mapping_beside(sample))
    recipe = proposals_recipe(
        suggest(loaded.incidents, check(loaded)),
        description=f"proposed by ddinc demo for {sample.name}",
    )
    reviewed = recipe_beside(sample)
    if reviewed is not None:
        review = Recipe.load(reviewed)
        review.check_data(loaded.incidents)  # a review recipe made for other data is refused
        recipe = Recipe(
            description=f"{recipe.description}, then {reviewed.name}",
            steps=[*recipe.steps, *review.steps],
        )
    recipe = recipe.fingerprinted(loaded.incidents)
    replayed = recipe.apply(loaded.incidents, allow_partial=True)
    recipe.save(cleaned.with_name(cleaned.name.replace(".cleaned.csv", ".recipe.json")))
    fixed = sum(step.changed for step in replayed.steps)
    left = sum(step.confidence == "guess" and not step.enabled for step in recipe.steps)
    return dataclasses.replace(loaded, incidents=replayed.frame), fixed, left


# A few faults, so that some imports end unknown and reconcile has work to do.
_DEMO_FAULTS = Faults(error_after_store=0.03, error_before_store=0.02, seed=7)
_MAX_ROUNDS = 5


def _push_with_faults(incidents: pl.DataFrame, checks: CheckReport, out: Path) -> None:
    """Plan, push to the embedded emulator (faults injected), reconcile, push what is left."""
    from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator, EmulatorConfig

    ledger = out / "push.ledger"
    if ledger.exists():
        # The demo starts from a fresh org each time: an old ledger would point at nothing.
        for stale in out.glob("push.ledger*"):
            stale.unlink()
    emulator = Emulator(EmulatorConfig(faults=_DEMO_FAULTS))
    with emulator.serve() as url:
        connection = Connection.of(base_url=url, api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY)
        planned = plan(incidents, report=checks, ledger=ledger, connection=connection)
        counts = planned.counts()
        print(
            f"plan against the emulator at {url}: {counts.get('ready', 0)} ready, "
            f"{counts.get('held', 0)} held (errors to fix first)"
        )
        first = push(incidents, report=checks, ledger=ledger, connection=connection)
        print(f"push (3% of imports answer 5xx after storing, 2% before): {_counts(first)}")
        # Resume until nothing is unknown: reconcile settles what may exist, push sends the rest.
        for _ in range(_MAX_ROUNDS):
            if not first.counts().get("unknown"):
                break
            # The embedded emulator's search shows an incident at once (no index lag), so no
            # settle window is needed here; against Datadog keep the default (600 s).
            settled = reconcile(ledger, settle_after=0, connection=connection)
            first = push(incidents, report=checks, ledger=ledger, connection=connection)
            print(
                f"resume: reconcile (looked up by legacy_id, never re-sent) {_counts(settled)}; "
                f"push again {_counts(first, sent_only=True)}"
            )
        created = sum(1 for _ in emulator.store.incidents())
        print(f"the emulator holds {created} incidents; ledger: {ledger} (`ddinc ledger {ledger}`)")


def _counts(result: PushResult | ReconcileResult, *, sent_only: bool = False) -> str:
    shown = {"created", "failed", "unknown"} if sent_only else None
    counts = {
        name.replace("_", " "): count
        for name, count in result.counts().items()
        if count and (shown is None or name in shown)
    }
    return ", ".join(f"{count} {name}" for name, count in counts.items()) or "nothing to send"
