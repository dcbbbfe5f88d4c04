"""What the ledger costs: the same N imports pushed with ddinc's ledger and with the raw client.

Both runs go to one emulator in its own process (as Datadog would be), with added latency,
at the same concurrency, each to a fresh set of records:

- **raw**: ``AsyncDatadogClient.import_many`` over prebuilt requests: no plan, no ledger;
- **ledger**: ``ddinc.push.push_async`` over a canonical frame: checks, plan against the org,
  and two SQLite commits around every request (``sending`` before, ``created`` after).

The ratio ledger / raw is printed (target: the ledger costs under 10%). Run::

    python benchmarks/bench_ledger.py               # N=1000, 50 ms latency, concurrency 32
    python benchmarks/bench_ledger.py --quick       # a smoke run (tests use it; no figures)
    python benchmarks/bench_ledger.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ddinc
from ddinc.datadog import AsyncDatadogClient, IncidentImportRequest
from ddinc.push import Ledger
from ddinc.push.run import push_async

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


async def raw(url: str, n: int, concurrency: int) -> float:
    requests = [IncidentImportRequest.of(f"raw {i}", fields={"state": "active"}) for i in range(n)]
    async with _client(url) as client:
        started = time.perf_counter()
        created = sum(
            [
                o.status == "created"
                async for o in client.import_many(requests, concurrency=concurrency)
            ]
        )
        seconds = time.perf_counter() - started
    assert created == n, f"raw: {created} of {n} created"
    return seconds


async def with_ledger(url: str, n: int, concurrency: int, folder: Path) -> float:
    path, mapping = write_trial(folder, n, seed=7)
    loaded = ddinc.load(path, str(mapping))
    report = loaded.check()
    async with _client(url) as client:
        with Ledger(folder / "bench.ledger") as ledger:
            started = time.perf_counter()
            result = await push_async(
                loaded, client, ledger, report=report, concurrency=concurrency, progress=False
            )
            seconds = time.perf_counter() - started
    assert result.counts()["created"] == n, result.summary()
    return seconds


def run(args: argparse.Namespace) -> dict[str, Any]:
    with (
        emulator_process("--latency", str(args.latency)) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        asyncio.run(raw(url, min(args.n, 20), args.concurrency))  # warm-up
        raw_s = asyncio.run(raw(url, args.n, args.concurrency))
        ledger_s = asyncio.run(with_ledger(url, args.n, args.concurrency, Path(tmp)))
    return {
        "n": args.n,
        "concurrency": args.concurrency,
        "latency_s": args.latency,
        "raw_s": raw_s,
        "ledger_s": ledger_s,
        "ratio": ledger_s / raw_s,
        "target_overhead": TARGET_OVERHEAD,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="imports per run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per request")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 40 imports")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.quick:
        args.n, args.latency = 40, 0.01
    report = run(args)
    if args.json:
        print(json.dumps(report))
        return
    print(
        f"ledger benchmark: {report['n']} imports, concurrency {report['concurrency']}, "
        f"{report['latency_s'] * 1000:.0f} ms added latency, emulator in its own process"
    )
    print(f"  raw client (import_many):     {report['raw_s']:.2f} s")
    print(f"  ddinc push with the ledger:   {report['ledger_s']:.2f} s")
    print(
        f"  ratio ledger / raw: {report['ratio']:.3f} "
        f"(target < {1 + TARGET_OVERHEAD:.2f}: the ledger costs under {TARGET_OVERHEAD:.0%})"
    )


if __name__ == "__main__":
    main()
