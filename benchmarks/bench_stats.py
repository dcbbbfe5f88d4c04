"""Benchmark: duration statistics of a million incidents, ddinc against a plain bootstrap loop.

Run from the project root::

    python benchmarks/bench_stats.py                        # 1,000,000 incidents
    python benchmarks/bench_stats.py --naive-resamples 2000  # the loop in full (slow)
    python benchmarks/bench_stats.py --quick --json          # a smoke run

The incidents are generated in memory (seed 7): five severities, every timestamp present, each
phase lognormal, one in fifty back-filled (all times equal) so that exclusions are exercised.
Both contestants compute the same thing: for each of the six phases and each severity, the
median, p75, p90, p95 and geometric mean of the durations that are real, each with a 95%
bootstrap interval from ``--resamples`` (2,000) resamples.

(a) ``ddinc``: :func:`ddinc.stats.phase_stats` (``by="severity"``), from the canonical frame;
    the median of ``--repeat`` runs after a warm-up.
(b) ``loop``: what an analyst would write with numpy: durations per phase with polars, then
    for each phase and severity a loop over resamples, each drawing ``n`` indices with
    replacement and taking ``np.quantile`` and the mean of logs of the resample.

The loop's time grows linearly with the number of resamples (each iteration does the same
work), so by default it runs ``--naive-resamples`` of them and its time is scaled to
``--resamples``; the table says so. Target: ddinc at least 10x faster.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ddinc.stats import phase_stats
from ddinc.timeline import PHASES, duration_exclusions, phase

SEED = 7
SEVERITIES = ("SEV-1", "SEV-2", "SEV-3", "SEV-4", "SEV-5")
QUANTILES = (0.5, 0.75, 0.9, 0.95)
TARGET_SPEEDUP = 10.0


def incidents(n: int, seed: int = SEED) -> pl.DataFrame:
    """``n`` seeded incidents with every timestamp; one in fifty back-filled."""
    rng = np.random.default_rng(seed)
    severity = rng.integers(0, len(SEVERITIES), n)
    start = np.datetime64("2020-01-01T00:00:00", "us") + (
        rng.integers(0, 4 * 365 * 86_400, n) * 1_000_000
    ).astype("timedelta64[us]")

    def later(mu: float, sigma: float) -> np.ndarray:
        seconds = rng.lognormal(mu, sigma, n) * (1 + 0.3 * severity)
        return (seconds * 1_000_000).astype("timedelta64[us]")

    detected = start + later(5.0, 1.5)
    declared = detected + later(6.0, 1.4)
    resolved = declared + later(8.5, 1.3)
    impact_end = resolved - later(4.0, 1.0)
    backfill = rng.random(n) < 0.02
    for column in (detected, declared, resolved, impact_end):
        column[backfill] = start[backfill]
    return pl.DataFrame(
        {
            "severity": np.array(SEVERITIES)[severity],
            "impact_start": start,
            "detected": detected,
            "declared": declared,
            "resolved": resolved,
            "impact_end": impact_end,
        }
    ).with_columns(pl.exclude("severity").dt.replace_time_zone("UTC"))


def run_ddinc(frame: pl.DataFrame, resamples: int) -> tuple[float, pl.DataFrame]:
    start = time.perf_counter()
    table = phase_stats(frame, "severity", n_boot=resamples, seed=1).table
    return time.perf_counter() - start, table


Loop = dict[tuple[str, str], dict[str, float]]


def run_loop(frame: pl.DataFrame, resamples: int) -> tuple[float, float, Loop]:
    """The straightforward per-group bootstrap, one resample at a time.

    Returns the time spent preparing each group's values (once, whatever the number of
    resamples), the time spent in the resampling loops, and the estimates.
    """
    start = time.perf_counter()
    reasons = duration_exclusions()
    groups: dict[tuple[str, str], np.ndarray] = {}
    for name in PHASES:
        kept = frame.select(
            "severity",
            seconds=phase(name).dt.total_seconds(fractional=True),
            why=reasons[name],
        ).filter(pl.col("seconds").is_not_null() & pl.col("why").is_null())
        for severity in SEVERITIES:
            column = kept.filter(pl.col("severity") == severity).get_column("seconds")
            groups[(name, severity)] = column.to_numpy()
    prepared = time.perf_counter()
    rng = np.random.default_rng(1)
    out: Loop = {}
    for key, values in groups.items():
        n = values.size
        replicates = np.empty((resamples, len(QUANTILES) + 1))
        for b in range(resamples):
            sample = values[rng.integers(0, n, n)]
            replicates[b, :4] = np.quantile(sample, QUANTILES)
            positive = sample[sample > 0]
            replicates[b, 4] = np.exp(np.log(positive).mean())
        low, high = np.quantile(replicates, [0.025, 0.975], axis=0)
        positive = values[values > 0]
        point = [*np.quantile(values, QUANTILES), np.exp(np.log(positive).mean())]
        out[key] = {
            "median": float(point[0]),
            "geomean": float(point[4]),
            "median_lo": float(low[0]),
            "median_hi": float(high[0]),
        }
    return prepared - start, time.perf_counter() - prepared, out


def agreement(table: pl.DataFrame, loop: Loop) -> float:
    """Largest relative difference between the two contestants' point estimates."""
    worst = 0.0
    for row in table.iter_rows(named=True):
        theirs = loop[(row["phase"], row["group"])]
        for stat in ("median", "geomean"):
            worst = max(worst, abs(row[f"{stat}_s"] - theirs[stat]) / abs(theirs[stat]))
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--naive-resamples", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20,000 incidents, a smoke run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.quick:
        args.incidents, args.resamples, args.naive_resamples, args.repeat = 20_000, 200, 5, 1
    naive_resamples = min(args.naive_resamples, args.resamples)

    frame = incidents(args.incidents)
    run_ddinc(frame.head(2000), 50)  # warm-up: imports, polars thread pool
    runs, table = [], pl.DataFrame()
    for _ in range(args.repeat):
        seconds, table = run_ddinc(frame, args.resamples)
        runs.append(seconds)
    ddinc_s = statistics.median(runs)
    prepare_s, loop_s, loop = run_loop(frame, naive_resamples)
    scale = args.resamples / naive_resamples
    loop_scaled = prepare_s + loop_s * scale
    speedup = loop_scaled / ddinc_s
    report: dict[str, Any] = {
        "incidents": args.incidents,
        "phases": len(PHASES),
        "groups": len(SEVERITIES),
        "resamples": args.resamples,
        "ddinc_runs_s": runs,
        "ddinc_median_s": ddinc_s,
        "loop_resamples": naive_resamples,
        "loop_prepare_s": prepare_s,
        "loop_s": loop_s,
        "loop_scaled_s": loop_scaled,
        "speedup": speedup,
        "target_speedup": TARGET_SPEEDUP,
        "max_point_difference": agreement(table, loop),
        "rows": table.height,
    }
    if args.json:
        print(json.dumps(report))
        return 0
    scaled = (
        f" (ran {naive_resamples} resamples in {loop_s:.2f} s, scaled x{scale:g}, "
        f"plus {prepare_s:.2f} s preparing the groups once)"
        if scale != 1
        else ""
    )
    print(
        f"statistics of {args.incidents:,} incidents: {len(PHASES)} phases x "
        f"{len(SEVERITIES)} severities, median/p75/p90/p95/geometric mean, "
        f"{args.resamples:,} bootstrap resamples each"
    )
    print(f"  (a) ddinc.stats.phase_stats   {ddinc_s:10.2f} s   (median of {args.repeat})")
    print(f"  (b) per-group numpy loop      {loop_scaled:10.2f} s{scaled}")
    print(
        f"  ddinc is {speedup:,.1f}x faster (target ddinc >= {TARGET_SPEEDUP:g}x faster than "
        f"the loop); point estimates agree within {report['max_point_difference']:.1e}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
