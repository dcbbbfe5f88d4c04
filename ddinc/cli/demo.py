"""``ddinc demo``: the quick-start demo on the sample exports in ``data/``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from ddinc.cli._common import Subparsers
from ddinc.cli._wording import cli_wording
from ddinc.cli.check import check_summary, print_check
from ddinc.errors import DdincError
from ddinc.export import write_csv
from ddinc.loader import load

__all__ = ["DEFAULT_DATA", "cleaned_names", "register"]

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "data"


def register(commands: Subparsers) -> None:
    demo = commands.add_parser("demo", help="load, check and export every sample in data/")
    demo.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of sample exports")
    demo.add_argument("--out", type=Path, default=Path("out"), help="folder for cleaned CSVs")
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
        if p.suffix in {".csv", ".json", ".jsonl", ".xlsx"} and ".truth" not in p.name
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
    """Load every sample export, check it, export cleaned CSVs: one screen, or more with
    ``--verbose``."""
    data: Path = args.data
    out: Path = args.out
    samples = _samples(data)
    if not samples:
        print(
            f"error: no sample exports in {data}; run `ddinc synth {data}` first", file=sys.stderr
        )
        return 2
    started = datetime.now(UTC)
    print(f"ddinc demo: load, check and export the {len(samples)} sample exports in {data}\n")
    print(
        f"{'sample':<34}{'source':<12}{'incidents':>10}{'quarant.':>9}{'blocked':>8}{'warned':>7}"
    )
    names = cleaned_names(samples)
    failures = 0
    for sample in samples:
        try:
            result = load(sample, _mapping_beside(sample))
            summary = check_summary(result)
            report = summary["_report"]
            write_csv(
                result.incidents,
                out / names[sample],
                result.quarantine,
                report=report,
                inputs=[sample],
            )
        except DdincError as error:
            failures += 1
            print(f"{sample.name:<34}could not load: {cli_wording(str(error))}")
            continue
        print(
            f"{sample.name:<34}{result.source:<12}{result.incidents.height:>10}"
            f"{result.quarantine.height:>9}{report.n_errors:>8}{report.n_warnings:>7}"
        )
        if args.verbose:
            print()
            print_check(summary)
            print(f"\n  exported {out / names[sample]}\n")
    elapsed = (datetime.now(UTC) - started).total_seconds()
    print(
        f"\ncleaned CSVs, each row naming the checks it fails, are in {out}/ (<sample>.cleaned.csv)"
    )
    more = "" if args.verbose else "; `ddinc demo --verbose` for every sample's checks"
    print(f"`ddinc check <sample>` details one sample{more}")
    _demo_datadog()
    print(f"\ndemo done in {elapsed:.1f}s")
    return 1 if failures else 0


def _demo_datadog() -> None:
    """Meet the org through the embedded emulator: the same client a real site gets."""
    from ddinc.datadog import DatadogClient
    from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator

    with (
        Emulator().serve() as url,
        DatadogClient(base_url=url, api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY) as client,
    ):
        users = list(client.iter_users())
        types = client.list_incident_types().data
        fields = client.list_user_defined_fields().data
        field_names = sorted({f.attributes.name for f in fields})
        names = [t.attributes.name for t in types if t.attributes and t.attributes.name]
        print(
            f"\nDatadog, through the embedded emulator at {url}: {len(users)} users, "
            f"incident types {', '.join(names)}, {len(field_names)} fields"
        )
    print("a real org is one setting away: DD_SITE, DD_API_KEY, DD_APP_KEY")


def _mapping_beside(sample: Path) -> str | None:
    """A sample's own mapping file.

    ``spreadsheet_incidents.csv`` -> ``spreadsheet_mapping.toml``, when it exists.
    """
    mapping = sample.with_name(f"{sample.stem.split('_')[0]}_mapping.toml")
    return str(mapping) if mapping.exists() else None
