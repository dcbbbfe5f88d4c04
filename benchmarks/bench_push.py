"""Push benchmark: ddinc's client against the official ``datadog-api-client``, fairly.

Every contestant meets its own fresh emulator process started with the same settings (same
added latency, same seed, same rate limit or faults), sends the same records at the same
concurrency, and has its request bodies built before the clock starts. The official client
is used as a competent user would: a thread pool around ``IncidentsApi.import_incident`` (one
``ApiClient`` per thread, its connection pool sized to the concurrency) and its
``AsyncApiClient`` (with ``aiosonic``, its ``async`` extra) with as many tasks in flight.

Three scenarios:

(a) **Throughput**, no rate limit: time to import N records (median of ``--repeat`` runs, as
    one run on a shared machine is noise).
(b) **Advertised rate limit** (emulator ``--rate-limit``): ddinc against the official client
    with ``enable_retry=True`` (it retries 429s after ``x-ratelimit-reset``): time to finish,
    records created or given up, and 429 answers counted by the emulator.
(c) **5% of imports answered 5xx after the incident was stored** (``--fault-5xx-after``):
    incidents stored against records sent. The official client with ``enable_retry=True``
    resends those POSTs and creates duplicates; ddinc never resends a write whose outcome is
    unknown and reports it as ``unknown`` for reconciliation.

The claims are ratios between contestants of one run, never absolute times (the machine is
shared). Run::

    python benchmarks/bench_push.py             # the full run, a table
    python benchmarks/bench_push.py --quick     # a small, fast run (proves the script works)
    python benchmarks/bench_push.py --json      # the same numbers as JSON
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ddinc.datadog import AsyncDatadogClient, IncidentImportRequest

API_KEY = "ddinc-emulator-api-key"  # the emulator's public demo keys
APP_KEY = "ddinc-emulator-app-key"


@dataclass
class Result:
    """One contestant's run against its own emulator."""

    scenario: str
    contestant: str
    records: int
    seconds: float
    outcomes: dict[str, int]
    emulator: dict[str, Any] = field(default_factory=dict)
    all_seconds: list[float] = field(default_factory=list)

    @property
    def stored(self) -> int:
        """Incidents the emulator holds at the end."""
        return int(self.emulator.get("incidents", 0))

    @property
    def duplicates(self) -> int:
        """Incidents stored beyond one per record (titles are unique per record)."""
        return self.stored - int(self.emulator.get("distinct_titles", 0))

    @property
    def answered_429(self) -> int:
        return int(self.emulator.get("status_counts", {}).get("429", 0))


@contextmanager
def emulator_process(*args: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``python -m ddinc.datadog.emulator`` on a free port: its URL, and its stats after stop."""
    stats: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        stats_file = Path(tmp) / "stats.json"
        command = [sys.executable, "-m", "ddinc.datadog.emulator", "--port", "0"]
        command += ["--stats-file", str(stats_file), *args]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            assert process.stdout is not None
            url = None
            for line in process.stdout:
                found = re.search(r"http://127\.0\.0\.1:\d+", line)
                if found:
                    url = found.group(0)
                    break
            if url is None:
                raise RuntimeError(f"the emulator did not start: {command}")
            yield url, stats
        finally:
            process.terminate()  # SIGTERM: it stops cleanly and writes its stats
            process.communicate(timeout=30)
            if stats_file.exists():
                stats.update(json.loads(stats_file.read_text()))


def titles(n: int, label: str) -> list[str]:
    return [f"{label} incident {i}" for i in range(n)]


# -- ddinc ---------------------------------------------------------------------------------


def ddinc_async(url: str, names: list[str], concurrency: int) -> tuple[float, Counter[str]]:
    """``AsyncDatadogClient.import_many`` at ``concurrency``."""
    records = [
        IncidentImportRequest.of(name, fields={"severity": "SEV-3", "state": "active"})
        for name in names
    ]

    async def run() -> tuple[float, Counter[str]]:
        async with AsyncDatadogClient(base_url=url, api_key=API_KEY, app_key=APP_KEY) as client:
            start = time.perf_counter()
            statuses = Counter(
                [o.status async for o in client.import_many(records, concurrency=concurrency)]
            )
            return time.perf_counter() - start, statuses

    return asyncio.run(run())


# -- the official client -------------------------------------------------------------------


def official_configuration(url: str, *, retry: bool, concurrency: int) -> Any:
    from datadog_api_client import Configuration

    # The official client warns that the operation is unstable; it is enabled on purpose.
    warnings.filterwarnings("ignore", message="Using unstable operation", category=UserWarning)
    configuration = Configuration(host=url, enable_retry=retry)  # type: ignore[no-untyped-call]
    configuration.unstable_operations["import_incident"] = True
    configuration.api_key["apiKeyAuth"] = API_KEY
    configuration.api_key["appKeyAuth"] = APP_KEY
    configuration.connection_pool_maxsize = concurrency
    return configuration


def official_bodies(names: list[str]) -> list[Any]:
    from datadog_api_client.v2.model.incident_import_field_attributes_single_value import (
        IncidentImportFieldAttributesSingleValue,
    )
    from datadog_api_client.v2.model.incident_import_request import (
        IncidentImportRequest as OfficialRequest,
    )
    from datadog_api_client.v2.model.incident_import_request_attributes import (
        IncidentImportRequestAttributes,
    )
    from datadog_api_client.v2.model.incident_import_request_data import (
        IncidentImportRequestData,
    )
    from datadog_api_client.v2.model.incident_type import IncidentType

    return [
        OfficialRequest(
            data=IncidentImportRequestData(
                attributes=IncidentImportRequestAttributes(
                    title=name,
                    fields={
                        "severity": IncidentImportFieldAttributesSingleValue(value="SEV-3"),
                        "state": IncidentImportFieldAttributesSingleValue(value="active"),
                    },
                ),
                type=IncidentType.INCIDENTS,
            )
        )
        for name in names
    ]


def official_thread_pool(
    url: str, names: list[str], concurrency: int, *, retry: bool
) -> tuple[float, Counter[str]]:
    """A thread pool of ``concurrency`` around ``IncidentsApi.import_incident``."""
    from datadog_api_client import ApiClient
    from datadog_api_client.v2.api.incidents_api import IncidentsApi

    configuration = official_configuration(url, retry=retry, concurrency=concurrency)
    bodies = official_bodies(names)
    local = threading.local()
    clients: list[Any] = []
    lock = threading.Lock()

    def api() -> Any:
        if not hasattr(local, "api"):
            client = ApiClient(configuration)
            with lock:
                clients.append(client)
            local.api = IncidentsApi(client)  # type: ignore[no-untyped-call]
        return local.api

    def one(body: Any) -> str:
        try:
            api().import_incident(body=body)
        except Exception:
            return "failed"
        return "created"

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency, thread_name_prefix="official") as pool:
        statuses = Counter(pool.map(one, bodies))
    seconds = time.perf_counter() - start
    for client in clients:
        client.close()
    return seconds, statuses


def official_async(url: str, names: list[str], concurrency: int) -> tuple[float, Counter[str]]:
    """``AsyncApiClient`` with ``concurrency`` imports in flight."""
    from datadog_api_client import AsyncApiClient
    from datadog_api_client.v2.api.incidents_api import IncidentsApi

    configuration = official_configuration(url, retry=False, concurrency=concurrency)
    bodies = official_bodies(names)

    async def run() -> tuple[float, Counter[str]]:
        async with AsyncApiClient(configuration) as client:
            api = IncidentsApi(client)  # type: ignore[no-untyped-call]
            gate = asyncio.Semaphore(concurrency)

            async def one(body: Any) -> str:
                async with gate:
                    try:
                        await api.import_incident(body=body)
                    except Exception:
                        return "failed"
                    return "created"

            start = time.perf_counter()
            statuses = Counter(await asyncio.gather(*(one(body) for body in bodies)))
            return time.perf_counter() - start, statuses

    return asyncio.run(run())


# -- the scenarios -------------------------------------------------------------------------

Contestant = Callable[[str, list[str]], tuple[float, Counter[str]]]


def measure_once(
    scenario: str, name: str, contestant: Contestant, n: int, emulator_args: list[str]
) -> Result:
    """One run of ``contestant`` against a fresh emulator."""
    label = re.sub(r"\W+", "-", name)
    with emulator_process(*emulator_args) as (url, stats):
        seconds, statuses = contestant(url, titles(n, label))
    return Result(scenario, name, n, seconds, dict(statuses), stats)


def measure(
    scenario: str,
    contestants: list[tuple[str, Contestant]],
    n: int,
    emulator_args: list[str],
    *,
    repeat: int = 1,
) -> list[Result]:
    """Each contestant's run of median time among ``repeat``, the rounds interleaved so that a
    burst of load from elsewhere on the machine does not fall on one contestant only."""
    runs: dict[str, list[Result]] = {name: [] for name, _ in contestants}
    for _ in range(repeat):
        for name, contestant in contestants:
            runs[name].append(measure_once(scenario, name, contestant, n, emulator_args))
    medians = []
    for results in runs.values():
        ordered = sorted(results, key=lambda r: r.seconds)
        median = ordered[len(ordered) // 2]
        median.all_seconds = [r.seconds for r in results]
        medians.append(median)
    return medians


def run(args: argparse.Namespace) -> dict[str, Any]:
    c = args.concurrency
    common = ["--latency", str(args.latency), "--seed", str(args.seed)]
    limited = [*common, "--rate-limit", args.rate_limit]
    faulty = [*common, "--fault-5xx-after", str(args.fault_rate)]
    faulty += ["--fault-operations", "ImportIncident"]
    results = [
        *measure(
            "throughput",
            [
                (
                    f"ddinc AsyncDatadogClient.import_many, concurrency {c}",
                    lambda url, names: ddinc_async(url, names, c),
                ),
                (
                    f"official, thread pool of {c}",
                    lambda url, names: official_thread_pool(url, names, c, retry=False),
                ),
                (
                    f"official AsyncApiClient, {c} in flight",
                    lambda url, names: official_async(url, names, c),
                ),
            ],
            args.n,
            common,
            repeat=args.repeat,
        ),
        *measure(
            "rate limit",
            [
                (f"ddinc, concurrency {c}", lambda url, names: ddinc_async(url, names, c)),
                (
                    f"official enable_retry, thread pool of {c}",
                    lambda url, names: official_thread_pool(url, names, c, retry=True),
                ),
            ],
            args.limited_n,
            limited,
        ),
        *measure(
            "5xx after store",
            [
                (f"ddinc, concurrency {c}", lambda url, names: ddinc_async(url, names, c)),
                (
                    f"official enable_retry, thread pool of {c}",
                    lambda url, names: official_thread_pool(url, names, c, retry=True),
                ),
            ],
            args.fault_n,
            faulty,
        ),
    ]
    return {
        "settings": {
            "concurrency": c,
            "latency_seconds": args.latency,
            "seed": args.seed,
            "n": args.n,
            "repeat": args.repeat,
            "rate_limit": args.rate_limit,
            "limited_n": args.limited_n,
            "fault_rate": args.fault_rate,
            "fault_n": args.fault_n,
        },
        "results": [
            asdict(r)
            | {"stored": r.stored, "duplicates": r.duplicates, "answered_429": r.answered_429}
            for r in results
        ],
    }


def _ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}x" if reference else "n/a"


def table(report: dict[str, Any]) -> str:
    s = report["settings"]
    by_scenario: dict[str, list[dict[str, Any]]] = {}
    for r in report["results"]:
        by_scenario.setdefault(r["scenario"], []).append(r)
    lines = [
        f"Push benchmark: each contestant against its own emulator process, "
        f"{s['latency_seconds'] * 1000:.0f} ms added latency, seed {s['seed']}, "
        f"concurrency {s['concurrency']}.",
        "Ratios compare contestants of this run; absolute times are noise on a shared machine.",
        "",
        f"(a) throughput: {s['n']} imports, no rate limit, median of {s['repeat']} runs",
        f"  {'contestant':<52} {'created':>7} {'failed':>6} {'time vs ddinc':>14}",
    ]
    throughput = by_scenario["throughput"]
    base = throughput[0]["seconds"]
    for r in throughput:
        lines.append(
            f"  {r['contestant']:<52} {r['outcomes'].get('created', 0):>7} "
            f"{r['outcomes'].get('failed', 0):>6} {_ratio(r['seconds'], base):>14}"
        )
    limited = by_scenario["rate limit"]
    base = limited[0]["seconds"]
    lines += [
        "",
        f"(b) advertised rate limit {s['rate_limit']}: {s['limited_n']} imports",
        f"  {'contestant':<52} {'created':>7} {'failed':>6} {'429s':>5} {'time vs ddinc':>14}",
    ]
    for r in limited:
        lines.append(
            f"  {r['contestant']:<52} {r['outcomes'].get('created', 0):>7} "
            f"{r['outcomes'].get('failed', 0):>6} {r['answered_429']:>5} "
            f"{_ratio(r['seconds'], base):>14}"
        )
    lines += [
        "",
        f"(c) {s['fault_rate']:.0%} of imports answered 5xx after storing: {s['fault_n']} records",
        f"  {'contestant':<52} {'stored':>6} {'dupes':>5} {'created':>7} {'unknown':>7} "
        f"{'failed':>6}",
    ]
    for r in by_scenario["5xx after store"]:
        o = r["outcomes"]
        lines.append(
            f"  {r['contestant']:<52} {r['stored']:>6} {r['duplicates']:>5} "
            f"{o.get('created', 0):>7} {o.get('unknown', 0):>7} {o.get('failed', 0):>6}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="imports in (a) (default %(default)s)")
    parser.add_argument("--concurrency", type=int, default=16, help="imports in flight, for all")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added by the emulator")
    parser.add_argument("--seed", type=int, default=0, help="seed of the emulator's faults")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (a), median kept")
    parser.add_argument("--rate-limit", default="100/10", help="LIMIT/PERIOD of (b)")
    parser.add_argument("--limited-n", type=int, default=250, help="imports in (b)")
    parser.add_argument("--fault-rate", type=float, default=0.05, help="5xx-after-store in (c)")
    parser.add_argument("--fault-n", type=int, default=300, help="records in (c)")
    parser.add_argument(
        "--quick", action="store_true", help="a small, fast run: proves the script works"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.limited_n, args.fault_n, args.repeat = 24, 25, 40, 1
        args.rate_limit, args.latency, args.concurrency = "10/1", 0.01, 4
        args.fault_rate = 0.1
    report = run(args)
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
