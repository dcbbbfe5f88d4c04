"""Benchmark: the Cleaner at 1,000,000 incidents, and replaying a 50-step recipe.

Run from the project root::

    python benchmarks/bench_clean.py             # 1,000,000 incidents against 10,000
    python benchmarks/bench_clean.py --quick     # a smoke run (tests use it; no targets)
    python benchmarks/bench_clean.py --json

A canonical frame of ``--rows`` incidents is generated (vectorised, seeded) and cached as
Parquet under ``benchmarks/.cache/``. Every measurement runs in its own child process (so a
peak RSS is that work's own), the time measured inside the child around the work only:

- ``ui`` (at ``--rows`` and at ``--small``): the Cleaner's table is built once (checks on
  demand at both sizes), then the median of ``--repeat`` of each click an analyst makes
  (page, sort by a timestamp in either direction, sort by a column not sorted before, facet,
  cell edit, tick, undo, redo, bulk edit on a facet, select all in view), each through the
  same message handler the browser reaches, page and counts included. Targets: each click
  at ``--rows`` within 3x of the same click at ``--small``; the Cleaner shown (state and
  table built) within 10x of plain polars value counts of its facet columns.
- ``read``: ``pl.read_parquet`` of the file, the floor.
- ``replay``: the same read, then a 50-step recipe (cell edits, a mass edit, facet-scoped
  state/severity edits, shifts, exclusions, a selection) with durations recomputed. Target:
  under 5x the read; its peak RSS at most the read's plus one copy of the frame.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 7
TARGET_UI_RATIO = 3.0
TARGET_SHOWN_RATIO = 10.0
TARGET_REPLAY_RATIO = 5.0
STEPS = 50


# --- the frame -----------------------------------------------------------------------------


def synthetic_frame(n: int, seed: int = SEED) -> Any:
    """A canonical frame of ``n`` incidents, three minutes apart, with varied values."""
    import polars as pl

    from ddinc.schema import CANONICAL_SCHEMA, DURATIONS, TIMESTAMPS
    from ddinc.timeline import with_timeline

    base = datetime(2019, 1, 1, tzinfo=UTC)
    h = (pl.col("i").hash(seed) % 1_000_003).cast(pl.Int64)
    start = pl.lit(base, dtype=pl.Datetime("us", "UTC")) + pl.duration(minutes=pl.col("i") * 3)
    states = {0: "active", 1: "stable", 2: "resolved", 3: "resolved"}
    severities = dict(enumerate(["SEV-1", "SEV-2", "SEV-3", "SEV-4", "UNKNOWN", "SEV-2"]))
    frame = pl.DataFrame({"i": pl.int_range(n, dtype=pl.Int64, eager=True)}).with_columns(h=h)
    frame = frame.with_columns(
        row_key=pl.format("pagerduty:PD-{}", "i"),
        source=pl.lit("pagerduty"),
        source_id=pl.format("PD-{}", "i"),
        source_file=pl.lit("incidents.json"),
        source_rows=pl.concat_list(pl.col("i") + 1),
        title=pl.format("Checkout latency {}", pl.col("h") % 5000),
        state=(pl.col("h") % 4).replace_strict(states, return_dtype=CANONICAL_SCHEMA["state"]),
        severity=(pl.col("h") % 6).replace_strict(
            severities, return_dtype=CANONICAL_SCHEMA["severity"]
        ),
        commander=pl.format("user{}@example.com", pl.col("h") % 40),
        declared_by=pl.lit(None, pl.String),
        teams=pl.concat_list(pl.format("team{}", pl.col("h") % 12)),
        services=pl.concat_list(pl.format("svc{}", pl.col("h") % 30)),
        incident_type=pl.lit(None, pl.String),
        visibility=pl.lit("organization"),
        impact_start=start,
        detected=start + pl.duration(minutes=pl.col("h") % 13 + 1),
        declared=start + pl.duration(minutes=pl.col("h") % 29 + 15),
        resolved=pl.when(pl.col("h") % 4 >= 2).then(
            start + pl.duration(minutes=pl.col("h") % 997 + 60)
        ),
        impact_end=start + pl.duration(minutes=pl.col("h") % 500 + 50),
    )
    raw = pl.struct(
        title=pl.col("title"),
        state=pl.col("state").cast(pl.String),
        severity=pl.col("severity").cast(pl.String),
        **{name: pl.col(name).dt.strftime("%Y-%m-%dT%H:%M:%SZ") for name in TIMESTAMPS},
    )
    empty = pl.lit([], dtype=pl.List(pl.String))
    frame = frame.with_columns(raw=raw, load_notes=empty, notes=empty)
    frame = frame.with_columns(
        [pl.lit(None, dtype=CANONICAL_SCHEMA[name]).alias(name) for name in DURATIONS]
    )
    return with_timeline(frame.select(CANONICAL_SCHEMA.names()).cast(dict(CANONICAL_SCHEMA)))


def recipe_for(n: int) -> Any:
    """A 50-step recipe over a frame of ``n`` rows: every kind of step the Cleaner makes."""
    from ddinc.clean import (
        Exclude,
        MapValues,
        Recipe,
        Select,
        SetCell,
        SetValues,
        Shift,
        Where,
    )

    frame = synthetic_frame(min(n, 50_000))
    picks = [(i * 7919) % frame.height for i in range(30)]
    steps: list[Any] = []
    for position in picks[:20]:
        row = frame.row(position, named=True)
        steps.append(
            SetCell(
                key=row["row_key"],
                column="title",
                expected=row["title"],
                value=row["title"] + " (fixed)",
            )
        )
    for position in picks[20:26]:
        row = frame.row(position, named=True)
        steps.append(
            SetCell(
                key=row["row_key"],
                column="declared",
                expected=row["declared"].isoformat(),
                value=row["detected"].isoformat(),
            )
        )
    steps += [
        MapValues(column="teams", mapping={"team1": "Team One", "team2": "Team Two"}),
        SetValues(column="severity", value="SEV-2", where=Where(facets={"severity": ["UNKNOWN"]})),
        SetValues(
            column="state",
            value="resolved",
            where=Where(facets={"state": ["stable"], "duration": ["under 1h"]}),
        ),
        Shift(columns=["impact_end"], hours=1, where=Where(facets={"severity": ["SEV-4"]})),
        Exclude(where=Where(facets={"month": ["2019-02"]})),
        Select(where=Where(facets={"state": ["resolved"]})),
    ]
    for position in picks[26:30]:
        row = frame.row(position, named=True)
        steps.append(Exclude(keys=[row["row_key"]]))
    # The last edits expect the values the steps before them leave (a real session's edits do).
    frame = Recipe(steps=steps).apply(frame, allow_partial=True).marked
    used = set(picks)
    position = 0
    while len(steps) < STEPS:
        # Rows no earlier step touched, so that each step finds the value it expects.
        position = (position + 104729) % frame.height
        if position in used:
            continue
        used.add(position)
        row = frame.row(position, named=True)
        steps.append(
            SetCell(key=row["row_key"], column="severity", expected=row["severity"], value="SEV-1")
        )
    return Recipe(steps=steps[:STEPS])


# --- what each child does --------------------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_read(path: Path, repeat: int) -> dict[str, Any]:
    import polars as pl

    runs = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        frame = pl.read_parquet(path)
        runs.append(time.perf_counter() - start)
    return {"runs": runs[1:], "rows": frame.height, "frame_mb": frame.estimated_size("mb")}


def _child_replay(path: Path, repeat: int, recipe_path: Path) -> dict[str, Any]:
    import polars as pl

    from ddinc.clean import Recipe

    recipe = Recipe.load(recipe_path)
    runs = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        frame = pl.read_parquet(path)
        done = recipe.apply(frame, allow_partial=True)
        cleaned = done.frame
        runs.append(time.perf_counter() - start)
        statuses = [step.status for step in done.steps]
        del done, cleaned, frame
    # Memory, apart from the timed runs: resident size with the frame loaded, then the most
    # the replay adds to it (sampled), against the frame's own size.
    frame = pl.read_parquet(path)
    loaded = _rss_mb()
    with _Sampler() as sampler:
        done = recipe.apply(frame, allow_partial=True)
        cleaned = done.frame
    return {
        "runs": runs[1:],
        "rows": cleaned.height,
        "statuses": statuses,
        "loaded_rss_mb": loaded,
        "replay_added_mb": sampler.peak - loaded,
        "frame_mb": frame.estimated_size("mb"),
    }


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


class _Sampler:
    """The largest resident size seen while the block runs (sampled every 2 ms)."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_mb())
            time.sleep(0.002)

    def __enter__(self) -> _Sampler:
        self.peak = _rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


# The clicks timed, each through the table's message handler (what the browser reaches).
ACTIONS = (
    "page",
    "sort",
    "sort (new column)",
    "facet",
    "edit",
    "tick",
    "undo",
    "redo",
    "bulk edit",
    "select all",
)


def _facet_baseline(frame: Any, repeat: int) -> float:
    """Plain polars: the facet columns computed and value-counted (the least a facet list
    costs), median of ``repeat``."""
    from ddinc.clean.facets import FACETS, facet_expr

    runs = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        values = frame.select(facet_expr(name) for name in FACETS)
        for name in values.columns:
            values.get_column(name).value_counts()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs[1:])


def _sorted_ahead(table: Any) -> tuple[float, float]:
    """``(a sort click before the background sorted its column, seconds until every column
    is sorted)``, measured from a table just built. The clicks timed after this come once the
    orders are ready (about a second of one core after the Cleaner is shown at 1M rows)."""
    start = time.perf_counter()
    table.handle({"type": "sort", "column": "title", "descending": True})  # the costliest
    cold = time.perf_counter() - start
    table.handle({"type": "sort", "column": None})
    while table.state.sorting_ahead:
        time.sleep(0.005)
    return cold, time.perf_counter() - start


def _child_ui(path: Path, repeat: int) -> dict[str, Any]:
    import polars as pl

    from ddinc.widgets.state import CleanerState
    from ddinc.widgets.table import CleanerTable

    frame = pl.read_parquet(path)
    baseline = _facet_baseline(frame, repeat)
    start = time.perf_counter()
    # Checks on demand at both sizes, so that both do the same work per click.
    table = CleanerTable(CleanerState(frame, page_size=50, recheck="on_demand"))
    build = time.perf_counter() - start
    state = table.state
    cold_sort, sorted_ahead = _sorted_ahead(table)
    runs: dict[str, list[float]] = {name: [] for name in ACTIONS}

    def timed(name: str, message: dict[str, Any] | None = None, action: Any = None) -> None:
        begin = time.perf_counter()
        if message is not None:
            table.handle(message)
        else:
            action()
        runs[name].append(time.perf_counter() - begin)
        if table.last_error:
            raise RuntimeError(f"{name} went wrong: {table.last_error}")

    for i in range(repeat + 1):
        timed("page", {"type": "page", "page": (i * 37) % table.pages})
    for i in range(repeat + 1):
        timed("sort", {"type": "sort", "column": "declared", "descending": bool(i % 2)})
    # A column not sorted before: its order is computed, not reused (the costly case).
    fresh = ("impact_start", "detected", "resolved", "impact_end", "title", "severity", "state")
    for i in range(repeat + 1):
        column = fresh[i % len(fresh)]
        timed("sort (new column)", {"type": "sort", "column": column, "descending": False})
    table.handle({"type": "sort", "column": None})
    table.handle({"type": "page", "page": 0})
    for i in range(repeat + 1):
        facet, value = (("state", "active"), ("severity", "SEV-3"))[i % 2]
        timed("facet", {"type": "toggle", "facet": facet, "value": value})
        if len(table.rows) > 50:
            raise RuntimeError("facet change went wrong")
    table.handle({"type": "clear"})
    for i in range(repeat + 1):
        row = table.rows[i % len(table.rows)]
        title = f"{row['cells']['title']} (fixed {i})"
        timed("edit", {"type": "edit", "key": row["key"], "column": "title", "value": title})
    for i in range(repeat + 1):
        timed("tick", {"type": "select", "key": table.rows[i]["key"], "on": True})
    for _ in range(repeat + 1):
        timed("undo", {"type": "undo"})
    for _ in range(repeat + 1):
        timed("redo", {"type": "redo"})
    table.handle({"type": "toggle", "facet": "severity", "value": "SEV-4"})

    def bulk(i: int) -> Any:
        def run() -> None:
            state.bulk_set("state", ("stable", "resolved")[i % 2])
            table.refresh()

        return run

    for i in range(repeat + 1):
        timed("bulk edit", action=bulk(i))
    for i in range(repeat + 1):
        timed("select all", {"type": "select_filtered", "on": bool(i % 2 == 0)})
    return {
        "build_s": build,
        "cold_sort_s": cold_sort,
        "sorted_ahead_s": sorted_ahead,
        "baseline_s": baseline,
        "runs": {name: values[1:] for name, values in runs.items()},
        "page_runs": runs["page"][1:],
        "facet_runs": runs["facet"][1:],
        "rows": frame.height,
    }


def _child(args: argparse.Namespace) -> int:
    kind, path = args.child, Path(args.file)
    if kind == "read":
        out = _child_read(path, args.repeat)
    elif kind == "replay":
        out = _child_replay(path, args.repeat, Path(args.recipe))
    else:
        out = _child_ui(path, args.repeat)
    out["peak_rss_mb"] = _peak_mb()
    print(json.dumps(out), flush=True)
    return 0


# --- the parent --------------------------------------------------------------------------------


def _python(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def frame_file(rows: int, cache: Path) -> Path:
    """The cached Parquet frame of ``rows`` incidents (generated in a child on first use)."""
    path = cache / f"canonical_{rows}_seed{SEED}.parquet"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        (cache / ".gitignore").write_text("*\n")
        _python("--generate", str(rows), str(path))
    return path


def _generate(rows: int, path: Path) -> int:
    partial = path.with_suffix(".partial")
    synthetic_frame(rows).write_parquet(partial)
    partial.rename(path)
    print(json.dumps({"generated": str(path)}))
    return 0


def run(rows: int, small: int, repeat: int, cache: Path, rounds: int = 1) -> dict[str, Any]:
    """Every measurement, as one JSON-ready dict with the ratios."""
    big, little = frame_file(rows, cache), frame_file(small, cache)
    recipe_path = cache / f"recipe_{rows}.json"
    recipe_for(rows).save(recipe_path)
    # Back-to-back rounds: the shared machine moves both sizes 2-3x between rounds, so each
    # click's headline ratio is the median of the rounds' ratios.
    bigs, smalls = [], []
    for _ in range(rounds):
        bigs.append(_python("--child", "ui", "--file", str(big), "--repeat", str(repeat)))
        smalls.append(_python("--child", "ui", "--file", str(little), "--repeat", str(repeat)))
    ui_big, ui_small = bigs[0], smalls[0]
    read = _python("--child", "read", "--file", str(big), "--repeat", str(repeat))
    replay = _python(
        "--child",
        "replay",
        "--file",
        str(big),
        "--repeat",
        str(repeat),
        "--recipe",
        str(recipe_path),
    )
    med = statistics.median
    clicks = {
        name: {
            "big": med(med(b["runs"][name]) for b in bigs),
            "small": med(med(s["runs"][name]) for s in smalls),
            "ratio": med(
                med(b["runs"][name]) / med(s["runs"][name])
                for b, s in zip(bigs, smalls, strict=True)
            ),
        }
        for name in ACTIONS
    }
    return {
        "rows": rows,
        "clicks": clicks,
        "baseline_s": {"big": ui_big["baseline_s"], "small": ui_small["baseline_s"]},
        "shown_ratio": med(b["build_s"] / b["baseline_s"] for b in bigs),
        "rounds": rounds,
        "small": small,
        "repeat": repeat,
        "page_s": {"big": med(ui_big["page_runs"]), "small": med(ui_small["page_runs"])},
        "facet_s": {"big": med(ui_big["facet_runs"]), "small": med(ui_small["facet_runs"])},
        "build_s": {"big": ui_big["build_s"], "small": ui_small["build_s"]},
        "cold_sort_s": {"big": ui_big["cold_sort_s"], "small": ui_small["cold_sort_s"]},
        "sorted_ahead_s": {"big": ui_big["sorted_ahead_s"], "small": ui_small["sorted_ahead_s"]},
        "page_ratio": med(ui_big["page_runs"]) / med(ui_small["page_runs"]),
        "facet_ratio": med(ui_big["facet_runs"]) / med(ui_small["facet_runs"]),
        "read_s": med(read["runs"]),
        "replay_s": med(replay["runs"]),
        "replay_ratio": med(replay["runs"]) / med(read["runs"]),
        "replay_statuses": replay["statuses"],
        "frame_mb": read["frame_mb"],
        "read_peak_mb": read["peak_rss_mb"],
        "replay_peak_mb": replay["peak_rss_mb"],
        "replay_loaded_rss_mb": replay["loaded_rss_mb"],
        "replay_added_mb": replay["replay_added_mb"],
        "extra_copies": replay["replay_added_mb"] / replay["frame_mb"],
    }


def _table(report: dict[str, Any], quick: bool) -> str:
    rows, small = report["rows"], report["small"]
    lines = [
        f"Cleaner clicks at {rows:,} incidents against {small:,} (median of {report['repeat']} "
        f"clicks; ratio: median over {report['rounds']} back-to-back rounds; kernel side: the "
        "table's message handler, page and counts included)",
        f"  {'click':<17} {rows:>11,} {small:>11,}   ratio",
    ]
    for name, click in report["clicks"].items():
        lines.append(
            f"  {name:<17} {click['big'] * 1e3:8.1f} ms {click['small'] * 1e3:8.1f} ms"
            f"   {click['ratio']:5.2f}  (target <= {TARGET_UI_RATIO:g})"
        )
    lines += [
        f"  shown: table built in {report['build_s']['big']:.2f} s at {rows:,}; plain polars "
        f"value counts of its facet columns {report['baseline_s']['big']:.3f} s: ratio "
        f"{report['shown_ratio']:.1f} (target <= {TARGET_SHOWN_RATIO:g})",
        f"  sort orders computed in the background {report['sorted_ahead_s']['big']:.2f} s "
        f"after it is shown at {rows:,} ({report['sorted_ahead_s']['small']:.2f} s at {small:,}); "
        f"a sort by title clicked before that: {report['cold_sort_s']['big'] * 1e3:.0f} ms "
        f"({report['cold_sort_s']['small'] * 1e3:.0f} ms at {small:,}; no target: the clicks "
        "above come after)",
        f"Replay of a {STEPS}-step recipe at {rows:,}",
        f"  bare read {report['read_s']:.3f} s, read + replay {report['replay_s']:.3f} s: ratio "
        f"{report['replay_ratio']:.2f} (target < {TARGET_REPLAY_RATIO:g})",
        f"  memory: frame {report['frame_mb']:.0f} MB; resident "
        f"{report['replay_loaded_rss_mb']:.0f} MB once loaded, the replay added at most "
        f"{report['replay_added_mb']:.0f} MB: "
        f"{report['extra_copies']:.2f} extra copies (target <= 1)",
        f"  peak RSS of the whole child: {report['read_peak_mb']:.0f} MB read only, "
        f"{report['replay_peak_mb']:.0f} MB read + replay",
    ]
    if quick:
        lines.append("(quick mode: sizes too small for the targets to mean anything)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="back-to-back rounds of clicks")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--child", choices=["ui", "read", "replay"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--recipe", help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:
        return _generate(int(args.generate[0]), Path(args.generate[1]))
    if args.child:
        return _child(args)
    if args.quick:
        args.rows, args.small, args.repeat, args.rounds = 5_000, 1_000, 1, 1
    report = run(args.rows, args.small, args.repeat, args.cache, args.rounds)
    print(json.dumps(report) if args.json else _table(report, args.quick))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
