"""Benchmark: loading a large ServiceNow event log, ddinc against the floor and against pandas.

Run from the project root::

    python benchmarks/bench_load.py                   # 1,000,000 events, pandas on 100,000
    python benchmarks/bench_load.py --rows 200000 --pandas-rows 200000 --json

The event log is generated once by :func:`ddinc.synth.write_servicenow_event_log` (seed 7)
and cached under ``benchmarks/.cache/``. Three contestants, each run in its own subprocess
(one warm-up, then ``--repeat`` timed runs; the time is the median, measured inside the child
around the work only, imports excluded; peak RSS is the child's ``ru_maxrss``, the largest
over the timed runs):

(a) ``floor``: ``pl.read_csv(path, infer_schema=False)``, reading the text and nothing more;
(b) ``ddinc``: ``ddinc.load(path, source="servicenow")`` (collapse to incidents, parse
    timestamps, timelines) then ``ddinc.checks.run_checks(result.incidents)``;
(c) ``pandas``: what an analyst would write: ``read_csv(dtype=str, na_values=["?"])``,
    ``to_datetime(format="mixed", dayfirst=True)`` on four date columns, then a groupby per
    ``number`` (first ``opened_at``, last ``incident_state`` by ``sys_mod_count``, max
    ``resolved_at``) and the resolve duration.

pandas' "mixed" parser is slow (about a minute per million values), so by default (c) runs on
the first ``--pandas-rows`` events and its time is scaled linearly to ``--rows``; the table
says so. Targets: ddinc within 5x the floor, and at least 10x faster than pandas.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 7
CONTESTANTS = ("floor", "ddinc", "pandas")
LABELS = {
    "floor": "(a) polars read_csv, all text",
    "ddinc": "(b) ddinc.load + run_checks",
    "pandas": "(c) pandas read + to_datetime(mixed) + groupby",
}
TARGET_FLOOR_RATIO = 5.0
TARGET_PANDAS_SPEEDUP = 10.0


# --- the work each child does --------------------------------------------------------------


def _floor(path: Path) -> int:
    import polars as pl

    start = time.perf_counter()
    frame = pl.read_csv(path, infer_schema=False)
    _report(time.perf_counter() - start, frame.height)
    return 0


def _ddinc(path: Path) -> int:
    from ddinc.checks import run_checks
    from ddinc.loader import load

    start = time.perf_counter()
    result = load(path, source="servicenow")
    report = run_checks(result.incidents)
    elapsed = time.perf_counter() - start
    del report
    _report(elapsed, result.incidents.height)
    return 0


def _pandas(path: Path) -> int:
    import pandas as pd

    start = time.perf_counter()
    frame = pd.read_csv(path, dtype=str, na_values=["?"], keep_default_na=False)
    for column in ("opened_at", "resolved_at", "closed_at", "sys_updated_at"):
        frame[column] = pd.to_datetime(frame[column], format="mixed", dayfirst=True)
    frame["sys_mod_count"] = pd.to_numeric(frame["sys_mod_count"])
    frame = frame.sort_values(["number", "sys_mod_count"], kind="stable")
    groups = frame.groupby("number", sort=False)
    incidents = pd.DataFrame(
        {
            "opened_at": groups["opened_at"].first(),
            "state": groups["incident_state"].last(),
            "resolved_at": groups["resolved_at"].max(),
        }
    )
    incidents["time_to_resolve"] = incidents["resolved_at"] - incidents["opened_at"]
    _report(time.perf_counter() - start, len(incidents))
    return 0


def _report(seconds: float, rows_out: int) -> None:
    print(json.dumps({"seconds": seconds, "rows_out": rows_out}), flush=True)


WORK = {"floor": _floor, "ddinc": _ddinc, "pandas": _pandas}


# --- the parent: files, subprocesses, the table -------------------------------------------


@dataclass
class Outcome:
    """What one contestant measured."""

    contestant: str
    rows: int
    runs: list[float]
    median_s: float | None
    peak_rss_mb: float | None
    rows_out: int | None
    scaled_to_rows: int | None = None
    error: str | None = None


def event_log(rows: int, cache: Path = CACHE) -> Path:
    """The cached event log of ``rows`` events, generated on first use (in a child process)."""
    path = cache / f"servicenow_event_log_{rows}_seed{SEED}.csv"
    if not path.exists():
        start = time.perf_counter()
        partial = path.with_suffix(".partial.csv")
        # Generating in this process would swell it, and a child's ru_maxrss starts from its
        # parent's size at fork: every contestant would then report the generator's memory.
        _python("--generate", str(rows), str(partial))
        partial.rename(path)
        elapsed = time.perf_counter() - start
        print(f"generated {path} ({rows:,} events) in {elapsed:.1f} s", file=sys.stderr)
    return path


def _generate(rows: str, path: str) -> int:
    from ddinc.synth import write_servicenow_event_log

    write_servicenow_event_log(Path(path), n_events=int(rows), seed=SEED)
    return 0


def prefix(path: Path, rows: int) -> Path:
    """The header and first ``rows`` events of ``path`` (no field of the log spans lines)."""
    target = path.with_name(f"{path.stem}_head{rows}.csv")
    if not target.exists():
        with path.open("rb") as source, target.open("wb") as out:
            for _ in range(rows + 1):
                out.write(source.readline())
    return target


def _peak_mb(max_rss: int) -> float:
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    return max_rss / (1024 * 1024) if sys.platform == "darwin" else max_rss / 1024


def _python(*arguments: str) -> tuple[str, Any]:
    """Run this script in a fresh interpreter; its stdout and its resource usage."""
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    command = [sys.executable, str(Path(__file__).resolve()), *arguments]
    # Output goes to files, not pipes, so that this process can reap the child itself with
    # wait4 and read that one child's resource usage (getrusage would mix all children).
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    if process.returncode != 0:
        tail = stderr.strip().splitlines()[-3:]
        raise RuntimeError(" | ".join(tail) or f"exit status {process.returncode}")
    return stdout, usage


def run_child(contestant: str, path: Path) -> tuple[dict[str, Any], float]:
    """Run one contestant once in a fresh interpreter; its report and its peak RSS (MB)."""
    stdout, usage = _python("--child", contestant, str(path))
    report: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return report, _peak_mb(usage.ru_maxrss)


def measure(contestant: str, path: Path, rows: int, repeat: int) -> Outcome:
    """Warm up once, then time ``repeat`` runs of ``contestant`` on ``path``."""
    try:
        run_child(contestant, path)  # warm-up: file cache, first-import costs
        results = [run_child(contestant, path) for _ in range(repeat)]
    except RuntimeError as error:
        return Outcome(contestant, rows, [], None, None, None, error=str(error))
    runs = [report["seconds"] for report, _ in results]
    return Outcome(
        contestant,
        rows,
        runs,
        statistics.median(runs),
        max(peak for _, peak in results),
        results[-1][0]["rows_out"],
    )


def table(outcomes: dict[str, Outcome], rows: int) -> str:
    """The human-readable result table, with the targets."""
    floor = outcomes["floor"].median_s
    ours = outcomes["ddinc"].median_s
    theirs = _scaled(outcomes["pandas"], rows)
    lines = [
        f"ServiceNow event log, {rows:,} events; median of {len(outcomes['floor'].runs)} runs "
        "after a warm-up, each in its own process",
        "",
        f"{'contestant':<50} {'median s':>10} {'x (a)':>8} {'peak RSS MB':>12}",
    ]
    for name in CONTESTANTS:
        outcome = outcomes[name]
        if outcome.median_s is None:
            lines.append(f"{LABELS[name]:<50} failed: {outcome.error}")
            continue
        seconds = _scaled(outcome, rows) or 0.0
        ratio = f"{seconds / floor:8.1f}" if floor else f"{'-':>8}"
        peak = outcome.peak_rss_mb or 0.0
        lines.append(f"{LABELS[name]:<50} {seconds:10.2f} {ratio} {peak:12.0f}")
    pandas = outcomes["pandas"]
    if pandas.median_s is not None and pandas.rows != rows:
        lines.append(
            f"    (c) ran on the first {pandas.rows:,} events: {pandas.median_s:.2f} s, scaled "
            f"x{rows / pandas.rows:g} to {rows:,}; its peak RSS is for {pandas.rows:,} events"
        )
    lines.append("")
    if ours and theirs:
        lines.append(f"(c)/(b): pandas takes {theirs / ours:.1f}x as long as ddinc")
    if ours and floor:
        verdict = "met" if ours / floor <= TARGET_FLOOR_RATIO else "NOT met"
        lines.append(
            f"target ddinc <= {TARGET_FLOOR_RATIO:g}x bare read: {ours / floor:.1f}x, {verdict}"
        )
    if ours and theirs:
        verdict = "met" if theirs / ours >= TARGET_PANDAS_SPEEDUP else "NOT met"
        lines.append(
            f"target ddinc >= {TARGET_PANDAS_SPEEDUP:g}x faster than pandas: "
            f"{theirs / ours:.1f}x, {verdict}"
        )
    return "\n".join(lines)


def _scaled(outcome: Outcome, rows: int) -> float | None:
    if outcome.median_s is None:
        return None
    return outcome.median_s * rows / outcome.rows


def main(argv: list[str] | None = None) -> int:
    """Generate (once), measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="events in the log")
    parser.add_argument(
        "--pandas-rows",
        type=int,
        default=100_000,
        help="run pandas on this many first events and scale linearly (default 100,000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per contestant")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--cache",
        type=Path,
        default=CACHE,
        help="where generated logs are kept (default: %(default)s)",
    )
    parser.add_argument("--child", nargs=2, metavar=("CONTESTANT", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, metavar=("ROWS", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:
        return _generate(*args.generate)
    if args.child:
        contestant, path = args.child
        return WORK[contestant](Path(path))

    args.cache.mkdir(parents=True, exist_ok=True)
    path = event_log(args.rows, args.cache)
    pandas_rows = min(args.pandas_rows, args.rows)
    pandas_path = path if pandas_rows == args.rows else prefix(path, pandas_rows)
    outcomes = {
        "floor": measure("floor", path, args.rows, args.repeat),
        "ddinc": measure("ddinc", path, args.rows, args.repeat),
        "pandas": measure("pandas", pandas_path, pandas_rows, args.repeat),
    }
    if pandas_rows != args.rows:
        outcomes["pandas"].scaled_to_rows = args.rows
    if args.json:
        document = {
            "rows": args.rows,
            "file": str(path),
            "file_mb": round(path.stat().st_size / 1e6, 1),
            "repeat": args.repeat,
            "contestants": {name: asdict(outcome) for name, outcome in outcomes.items()},
            "pandas_seconds_scaled": _scaled(outcomes["pandas"], args.rows),
        }
        print(json.dumps(document, indent=2))
    else:
        print(table(outcomes, args.rows))
    return 0 if all(o.error is None for o in outcomes.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
