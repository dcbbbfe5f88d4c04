"""The ``ddinc`` command line: check and export legacy exports, run the demo and the emulator.

Every command prints errors as one ``error: ...`` line (exit status 2), never a traceback:
ddinc's errors already say what to do.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from ddinc.errors import ConfigError, DdincError
from ddinc.export import quarantine_path, write_csv
from ddinc.loader import LoadResult, load
from ddinc.timeline import timeline_summary

__all__ = ["main"]

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "data"


def _add_load_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, nargs="+", help="legacy export file(s)")
    parser.add_argument(
        "--source",
        help="source name (servicenow, statuspage, pagerduty, opsgenie, jira) or a TOML mapping "
        "file; detected when omitted",
    )
    parser.add_argument("--tz", help="IANA time zone of naive times in the export (default UTC)")
    parser.add_argument(
        "--order", choices=["day_first", "month_first"], help="order of numeric dates"
    )
    parser.add_argument("--sheet", help="Excel sheet name (default: the first)")
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="KEY=COLUMN",
        help="carry a legacy column as the Datadog field KEY (repeatable)",
    )


def _load(args: argparse.Namespace) -> LoadResult:
    paths: list[Path] = args.path
    return load(
        paths[0] if len(paths) == 1 else paths,
        args.source,
        tz=args.tz,
        order=args.order,
        sheet=args.sheet,
        fields=_fields(args.field),
    )


def _fields(pairs: list[str]) -> dict[str, str]:
    fields = {}
    for pair in pairs:
        key, sep, column = pair.partition("=")
        if not sep or not key.strip() or not column.strip():
            raise ConfigError(
                f"--field {pair!r}: write it as KEY=COLUMN, e.g. root_cause=close_notes"
            )
        fields[key.strip()] = column.strip()
    return fields


def _check_summary(result: LoadResult) -> dict[str, Any]:
    report = result.check()
    timeline = timeline_summary(result.incidents)
    return {
        **result.summary(),
        "quarantine_reasons": _reason_counts(result.quarantine),
        "checks": report.to_dict(),
        "timeline": timeline.to_dicts(),
        "_report": report,
    }


def _reason_counts(quarantine: pl.DataFrame) -> dict[str, int]:
    if quarantine.is_empty():
        return {}
    # Reasons name the value; group on the part before it so counts stay readable.
    kinds = quarantine.get_column("reason").str.replace(r": cannot read .*", ": unreadable date")
    return dict(kinds.value_counts(sort=True).iter_rows())


def _format_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    value = abs(value)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if value >= size:
            return f"{sign}{value / size:.1f}{unit}"
    return f"{sign}{value:.0f}s"


def _print_check(summary: dict[str, Any]) -> None:
    print(
        f"{summary['source']}: {summary['incidents']} incidents from {summary['rows_read']} rows, "
        f"{summary['quarantined_rows']} rows quarantined"
    )
    for reason, count in summary["quarantine_reasons"].items():
        print(f"  quarantined {count:>5}: {reason}")
    print()
    print(str(summary["_report"]))
    print()
    print("timeline (seconds-based percentiles, measured incidents only):")
    header = f"  {'duration':<16}{'measured':>12}{'median':>10}{'p75':>10}{'p90':>10}{'p95':>10}"
    print(header)
    for row in summary["timeline"]:
        measured = f"{row['measured']}/{row['of']}"
        cells = "".join(
            f"{_format_seconds(row[key]):>10}" for key in ("p50_s", "p75_s", "p90_s", "p95_s")
        )
        print(f"  {row['duration']:<16}{measured:>12}{cells}")


def _cmd_check(args: argparse.Namespace) -> int:
    summary = _check_summary(_load(args))
    if args.json:
        printable = {k: v for k, v in summary.items() if not k.startswith("_")}
        print(json.dumps(printable, default=str))
    else:
        _print_check(summary)
    return 1 if args.strict and summary["_report"].blocking else 0


def _cmd_export(args: argparse.Namespace) -> int:
    result = _load(args)
    written = write_csv(result.incidents, args.output, result.quarantine)
    print(
        f"wrote {result.incidents.height} incidents to {written[0]} and "
        f"{result.quarantine.height} quarantined rows to {written[1]}"
    )
    return 0


def _cmd_sources(args: argparse.Namespace) -> int:
    from ddinc.sources import SOURCES

    for source in SOURCES.values():
        kinds = ", ".join(sorted(source.kinds))
        print(f"{source.name:<12} {source.description} [{kinds}]")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
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
        summary = _check_summary(result)
        _print_check(summary)
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


def _run_emulator(argv: Sequence[str]) -> int:
    from ddinc.datadog.emulator import main as emulator_main

    return emulator_main(list(argv))


def _cmd_synth(args: argparse.Namespace) -> int:
    from ddinc.synth import write_samples

    for path in write_samples(args.directory, seed=args.seed, truth=args.truth):
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed so tests can check every command is documented)."""
    parser = argparse.ArgumentParser(
        prog="ddinc", description="Move legacy incident history into Datadog Incident Management."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check", help="load an export and report incidents, quarantine, checks and timelines"
    )
    _add_load_options(check)
    check.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    check.add_argument(
        "--strict", action="store_true", help="exit with status 1 when an error-level check fails"
    )
    check.set_defaults(run=_cmd_check)

    export = commands.add_parser(
        "export", help="write the canonical incidents as CSV, and the quarantine beside them"
    )
    _add_load_options(export)
    export.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write")
    export.set_defaults(run=_cmd_export)

    demo = commands.add_parser("demo", help="load, check and export every sample in data/")
    demo.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of sample exports")
    demo.add_argument("--out", type=Path, default=Path("out"), help="folder for cleaned CSVs")
    demo.set_defaults(run=_cmd_demo)

    sources = commands.add_parser("sources", help="list the legacy sources ddinc reads")
    sources.set_defaults(run=_cmd_sources)

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
    synth.set_defaults(run=_cmd_synth)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ddinc`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        return _run_emulator(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except DdincError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
