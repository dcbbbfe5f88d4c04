"""``ddinc demo``: the quick-start demo on the sample exports in ``data/``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from ddinc.cli._common import Subparsers
from ddinc.cli.check import check_summary, print_check
from ddinc.errors import DdincError
from ddinc.export import quarantine_path, write_csv
from ddinc.loader import load

__all__ = ["DEFAULT_DATA", "register"]

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "data"


def register(commands: Subparsers) -> None:
    demo = commands.add_parser("demo", help="load, check and export every sample in data/")
    demo.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of sample exports")
    demo.add_argument("--out", type=Path, default=Path("out"), help="folder for cleaned CSVs")
    demo.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    """Load every sample export, check it, and export cleaned CSVs."""
    data: Path = args.data
    out: Path = args.out
    samples = (
        sorted(
            p
            for p in data.iterdir()
            if p.suffix in {".csv", ".json", ".jsonl", ".xlsx"} and ".truth" not in p.name
        )
        if data.is_dir()
        else []
    )
    if not samples:
        print(
            f"error: no sample exports in {data}; run `ddinc synth {data}` first", file=sys.stderr
        )
        return 2
    started = datetime.now(UTC)
    print(f"ddinc demo: {len(samples)} sample exports from {data}\n")
    rows: list[tuple[str, str, int, int, int, int]] = []
    for sample in samples:
        print(f"== {sample.name} " + "=" * max(0, 70 - len(sample.name)))
        try:
            result = load(sample, _mapping_beside(sample))
        except DdincError as error:
            print(f"  could not load: {error}\n")
            continue
        summary = check_summary(result)
        print_check(summary)
        target = out / f"{sample.name}.cleaned.csv"
        write_csv(result.incidents, target, result.quarantine)
        print(f"\n  exported {target} and {quarantine_path(target)}\n")
        report = summary["_report"]
        rows.append(
            (
                sample.name,
                result.source,
                result.incidents.height,
                result.quarantine.height,
                report.n_errors,
                report.n_warnings,
            )
        )
    elapsed = (datetime.now(UTC) - started).total_seconds()
    print(
        f"{'sample':<36}{'source':<13}{'incidents':>10}{'quarant.':>10}{'blocked':>9}{'warned':>8}"
    )
    for name, source, incidents, quarantined, blocked, warned in rows:
        print(f"{name:<36}{source:<13}{incidents:>10}{quarantined:>10}{blocked:>9}{warned:>8}")
    _demo_datadog()
    print(f"\ndemo done in {elapsed:.1f}s; cleaned CSVs are in {out}")
    return 0


def _demo_datadog() -> None:
    """Meet the org through the embedded emulator: the same client a real site gets."""
    from ddinc.datadog import DatadogClient
    from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator

    print("\n== Datadog, through the embedded emulator " + "=" * 31)
    with (
        Emulator().serve() as url,
        DatadogClient(base_url=url, api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY) as client,
    ):
        users = list(client.iter_users())
        types = client.list_incident_types().data
        fields = client.list_user_defined_fields().data
        field_names = sorted({f.attributes.name for f in fields})
        print(
            f"  {url}: {len(users)} users, {len(types)} incident types, {len(field_names)} fields"
        )
        names = [t.attributes.name for t in types if t.attributes and t.attributes.name]
        print("  incident types: " + ", ".join(names))
        print("  fields: " + ", ".join(field_names))
    print("  a real org is one setting away: DD_SITE, DD_API_KEY, DD_APP_KEY")


def _mapping_beside(sample: Path) -> str | None:
    """A sample's own mapping file.

    ``spreadsheet_incidents.csv`` -> ``spreadsheet_mapping.toml``, when it exists.
    """
    mapping = sample.with_name(f"{sample.stem.split('_')[0]}_mapping.toml")
    return str(mapping) if mapping.exists() else None
