"""What the ledger costs: the same imports pushed with ddinc's ledger and with the raw client.

Both sides send the same HTTP work to one emulator in its own process (as Datadog would be),
with added latency, at the same concurrency, in one run:

- the same N import payloads (``ddinc.plan`` builds them once, untimed, for the raw side), and
- in mode ``imports``, no impacts (the impact starts are blanked on both sides): the
  ledger's cost on exactly the same requests; in mode ``impacts``, every third row of the
  trial export has an impact start, and both sides send the same impact POSTs.

The two sides:

- **raw**: ``AsyncDatadogClient.import_many(requests, concurrency=C)``, then the impacts of
  the created incidents through ``create_incident_impact`` by C workers: no plan, no ledger
  (how a competent user of the client alone would do it: keeping C requests in flight, the
  impacts wait for import_many to finish);
- **ledger**: ``ddinc.push.push_async``: fetch the org and plan (timed apart, as ``plan``),
  then send with the ledger (``send``: ``sending`` committed before each request leaves,
  outcomes after, grouped into one transaction per turn of the event loop).

The headline ratio is the sending time over the raw time (the same requests), as the
median of the rounds' ratios (each round runs both sides back to back); the plan,
which the raw side has no counterpart for (it is the dry run the analyst has seen already),
is shown apart, and the ratio with it too. Mode ``imports`` is the clean measure of the
ledger: in mode ``impacts`` the push sends each impact right after its import, which saves
the raw side's pause between its two phases, so there the push may even be faster. Each
side runs ``--repeat`` times, alternating which goes first; the table shows medians, and
the ratio of the medians and of the fastest rounds too.
Client CPU seconds (this process) show the ledger's own cost even when the emulator is the
bottleneck. Run::

    python benchmarks/bench_ledger.py               # N=1000, 50 ms latency, concurrency 32
    python benchmarks/bench_ledger.py --quick       # 40 imports, 10 ms, 7 rounds (smoke)
    python benchmarks/bench_ledger.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

import ddinc
from ddinc.checks import CheckReport, run_checks
from ddinc.datadog import AsyncDatadogClient, IncidentImpactCreateRequest, IncidentImportRequest
from ddinc.push import Ledger
from ddinc.push.run import plan_async, push_async

API_KEY = "ddinc-emulator-api-key"  # the emulator's public demo keys
APP_KEY = "ddinc-emulator-app-key"
TARGET_OVERHEAD = 0.10
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.push._trial import write_trial  # noqa: E402  (the seeded clean trial export)


@contextmanager
def emulator_process(*args: str) -> Iterator[str]:
    """Start ``python -m ddinc.datadog.emulator`` on a free port; yield its base URL."""
    command = [sys.executable, "-m", "ddinc.datadog.emulator", "--port", "0", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            if found:
                yield found.group(0)
                return
        raise RuntimeError(f"the emulator did not start: {command}")
    finally:
        process.terminate()
        process.wait(timeout=10)


def _client(url: str) -> AsyncDatadogClient:
    return AsyncDatadogClient(base_url=url, api_key=API_KEY, app_key=APP_KEY)


@dataclass(frozen=True)
class Work:
    """The selection both sides send: the frame for ddinc, the same requests for raw."""

    frame: pl.DataFrame
    report: CheckReport
    imports: list[IncidentImportRequest]
    impacts: list[IncidentImpactCreateRequest | None]


async def prepare(url: str, folder: Path, n: int, impacts: bool) -> Work:
    """The trial export, loaded and checked; its payloads planned once (untimed)."""
    path, mapping = write_trial(folder, n, seed=7)
    frame = ddinc.load(path, str(mapping)).incidents
    if not impacts:
        frame = frame.with_columns(
            pl.lit(None, dtype=frame.schema[name]).alias(name)
            for name in ("impact_start", "impact_end")
        )
    report = run_checks(frame)
    async with _client(url) as client:
        planned = await plan_async(frame, client, report=report)
    ready = planned.ready
    assert len(ready) == n, planned
    requests = [row.payload.request for row in ready if row.payload.request is not None]
    return Work(frame, report, requests, [row.payload.impact for row in ready])


async def _impacts(
    client: AsyncDatadogClient,
    todo: list[tuple[str, IncidentImpactCreateRequest]],
    concurrency: int,
) -> int:
    queue = iter(todo)
    sent = 0

    async def worker() -> None:
        nonlocal sent
        for incident_id, request in queue:
            await client.create_incident_impact(incident_id, request)
            sent += 1

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(todo)))))
    return sent


async def raw(url: str, work: Work, concurrency: int) -> dict[str, float]:
    """import_many at ``concurrency``, then the impacts of the created incidents."""
    async with _client(url) as client:
        started, cpu = time.perf_counter(), time.process_time()
        todo: list[tuple[str, IncidentImpactCreateRequest]] = []
        created = 0
        async for outcome in client.import_many(work.imports, concurrency=concurrency):
            if outcome.status == "created" and outcome.response is not None:
                created += 1
                impact = work.impacts[outcome.index]
                if impact is not None:
                    todo.append((outcome.response.data.id, impact))
        impacts = await _impacts(client, todo, concurrency)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert created == len(work.imports), f"raw: {created} of {len(work.imports)} created"
    assert impacts == sum(i is not None for i in work.impacts)
    return {"total": seconds, "cpu": cpu}


async def with_ledger(url: str, work: Work, concurrency: int, ledger: Path) -> dict[str, float]:
    """``push_async`` with a fresh ledger: its plan and its sending timed apart."""
    async with _client(url) as client:
        with Ledger(ledger) as opened:
            started, cpu = time.perf_counter(), time.process_time()
            result = await push_async(
                work.frame,
                client,
                opened,
                report=work.report,
                concurrency=concurrency,
                progress=False,
            )
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.counts()["created"] == len(work.imports), result.summary()
    assert result.impact_counts().get("created", 0) == sum(i is not None for i in work.impacts)
    return {
        "total": seconds,
        "cpu": cpu,
        "plan": result.seconds["plan"],
        "send": result.seconds["send"],
        "transactions": float(result.ledger_transactions),
    }


def measure(url: str, folder: Path, args: argparse.Namespace, impacts: bool) -> dict[str, Any]:
    """Both sides ``args.repeat`` times (after one warm-up round) on the same work."""
    work = asyncio.run(prepare(url, folder, args.n, impacts))
    raws: list[dict[str, float]] = []
    ledgers: list[dict[str, float]] = []
    for round_ in range(args.repeat + 1):  # round 0 warms both paths up (not counted)
        # Alternate which side goes first, so a drift in the machine's load hits both.
        first_raw = round_ % 2 == 1
        if first_raw:
            got_raw = asyncio.run(raw(url, work, args.concurrency))
        ledger = folder / f"{'impacts' if impacts else 'imports'}-{round_}.ledger"
        got_ledger = asyncio.run(with_ledger(url, work, args.concurrency, ledger))
        if not first_raw:
            got_raw = asyncio.run(raw(url, work, args.concurrency))
        if round_:
            raws.append(got_raw)
            ledgers.append(got_ledger)

    def median(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    raw_s, send_s = median(raws, "total"), median(ledgers, "send")
    ratios = [led["send"] / r["total"] for r, led in zip(raws, ledgers, strict=True)]
    return {
        "imports": len(work.imports),
        "impacts": sum(i is not None for i in work.impacts),
        "raw_s": raw_s,
        "raw_cpu_s": median(raws, "cpu"),
        "ledger_plan_s": median(ledgers, "plan"),
        "ledger_send_s": send_s,
        "ledger_s": median(ledgers, "total"),
        "ledger_cpu_s": median(ledgers, "cpu"),
        "ledger_transactions": median(ledgers, "transactions"),
        # Each round's sending / raw, both run back to back: pairing cancels the drift of the
        # machine's load between rounds (2 cores shared), which moves both sides by 2-3x.
        "round_ratios": ratios,
        "ratio": statistics.median(ratios),
        "ratio_of_medians": send_s / raw_s,
        "ratio_of_minimums": min(r["send"] for r in ledgers) / min(r["total"] for r in raws),
        "ratio_with_plan": statistics.median(
            led["total"] / r["total"] for r, led in zip(raws, ledgers, strict=True)
        ),
        "rounds": {"raw": raws, "ledger": ledgers},
    }


MODES = {"imports": False, "impacts": True}
"""``imports``: rows without impact start (imports only, the ledger's pure cost);
``impacts``: every third row has one (its impact POST is sent by both sides)."""


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every chosen mode, on one emulator."""
    with (
        emulator_process("--latency", str(args.latency)) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        modes = {
            name: measure(url, Path(tmp), args, impacts)
            for name, impacts in MODES.items()
            if args.mode in (name, "both")
        }
    return {
        "n": args.n,
        "concurrency": args.concurrency,
        "latency_s": args.latency,
        "repeat": args.repeat,
        "modes": modes,
        "target_overhead": TARGET_OVERHEAD,
    }


def _print(report: dict[str, Any]) -> None:
    print(
        f"ledger benchmark: {report['n']} imports on each side, concurrency "
        f"{report['concurrency']}, {report['latency_s'] * 1000:.0f} ms added latency, emulator "
        f"in its own process; medians of {report['repeat']} rounds (after a warm-up round)"
    )
    for name, mode in report["modes"].items():
        requests = mode["imports"] + mode["impacts"]
        label = "imports only" if name == "imports" else f"with {mode['impacts']} impact POSTs"
        print(f"\n{label} ({requests} requests a side)   {'wall s':>7} {'client CPU s':>13}")
        print(
            f"  {'raw client (import_many' + (' + impacts)' if mode['impacts'] else ')'):34}",
            end="",
        )
        print(f" {mode['raw_s']:7.2f} {mode['raw_cpu_s']:13.2f}")
        print(f"  {'ddinc push: org fetch + plan':34} {mode['ledger_plan_s']:7.2f}")
        print(f"  {'ddinc push: sending with ledger':34} {mode['ledger_send_s']:7.2f}")
        print(f"  {'ddinc push: total':34} {mode['ledger_s']:7.2f} {mode['ledger_cpu_s']:13.2f}")
        print(f"  ledger transactions while sending: {mode['ledger_transactions']:.0f}")
        spread = mode["round_ratios"]
        print(
            f"  ratio sending / raw: {mode['ratio']:.3f} (median of the rounds' ratios, "
            f"{min(spread):.2f} to {max(spread):.2f}); with the plan: "
            f"{mode['ratio_with_plan']:.3f}"
        )
        print(
            f"  (ratio of the medians above: {mode['ratio_of_medians']:.3f}; of the fastest "
            f"rounds: {mode['ratio_of_minimums']:.3f})"
        )
    print(
        f"\ntarget: sending / raw < {1 + TARGET_OVERHEAD:.2f} (the ledger costs under "
        f"{TARGET_OVERHEAD:.0%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="imports per run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per request")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds per side")
    parser.add_argument(
        "--mode",
        choices=("both", *MODES),
        default="both",
        help="imports only, with impacts, or both (default)",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 40 imports, 7 rounds")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.quick:
        args.n, args.latency, args.repeat = 40, 0.01, 7
    report = run(args)
    if args.json:
        print(json.dumps(report))
    else:
        _print(report)


if __name__ == "__main__":
    main()
