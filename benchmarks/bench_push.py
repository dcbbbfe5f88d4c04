"""Push throughput: ddinc's client against the official Datadog client, on the emulator.

Two scenarios, each against a real emulator server in its own process (as Datadog would be):

1. **No rate limit, 50 ms added latency.** N imports with ddinc's async client and bounded
   concurrency, then the same N with the official ``datadog-api-client`` used as its docs
   show (``Configuration(host=...)``, the unstable ``import_incident`` operation enabled, one
   call after another). Target: ddinc at least 10x the official client's throughput.
2. **Rate-limited emulator** (default 100 requests per 10 s, so a run takes about 15 s).
   ddinc's achieved rate as a share of the advertised rate (target at least 90%) and the
   share of requests answered 429 (target under 1%).

Run::

    python benchmarks/bench_push.py            # N=300, table
    python benchmarks/bench_push.py --json     # the same numbers as JSON

Nothing here is asserted: the numbers depend on the machine. The tests in
``tests/datadog/test_ratelimit.py`` hold the pacing properties in simulated time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from ddinc.datadog import AsyncDatadogClient, IncidentImportRequest

API_KEY = "ddinc-emulator-api-key"  # the emulator's public demo keys
APP_KEY = "ddinc-emulator-app-key"
TARGET_SPEEDUP = 10.0
TARGET_RATE_SHARE = 0.90
TARGET_429_SHARE = 0.01


@dataclass
class Result:
    """One measured run."""

    name: str
    imports: int
    created: int
    seconds: float
    throttled: int = 0

    @property
    def per_second(self) -> float:
        return self.imports / self.seconds if self.seconds else 0.0


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


def requests(n: int, label: str) -> list[IncidentImportRequest]:
    return [
        IncidentImportRequest.of(
            f"{label} incident {i}", fields={"severity": "SEV-3", "state": "active"}
        )
        for i in range(n)
    ]


async def push_with_ddinc(url: str, n: int, concurrency: int, label: str) -> Result:
    """N imports with ddinc's async client and bounded concurrency."""
    async with AsyncDatadogClient(base_url=url, api_key=API_KEY, app_key=APP_KEY) as client:
        start = time.perf_counter()
        statuses = [
            outcome.status
            async for outcome in client.import_many(requests(n, label), concurrency=concurrency)
        ]
        seconds = time.perf_counter() - start
        throttled = sum(state.throttled for state in client.rate_limits().values())
    return Result(label, n, statuses.count("created"), seconds, throttled)


def push_with_official_client(url: str, n: int) -> Result:
    """N imports with datadog-api-client, one after another, as its documentation shows."""
    from datadog_api_client import ApiClient, Configuration
    from datadog_api_client.v2.api.incidents_api import IncidentsApi
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

    # The official client warns once that the operation is unstable; we enabled it on purpose.
    warnings.filterwarnings("ignore", message="Using unstable operation", category=UserWarning)
    configuration = Configuration(host=url)  # type: ignore[no-untyped-call]
    configuration.unstable_operations["import_incident"] = True
    configuration.api_key["apiKeyAuth"] = API_KEY
    configuration.api_key["appKeyAuth"] = APP_KEY
    created = 0
    with ApiClient(configuration) as api_client:
        api = IncidentsApi(api_client)  # type: ignore[no-untyped-call]
        start = time.perf_counter()
        for i in range(n):
            body = OfficialRequest(
                data=IncidentImportRequestData(
                    attributes=IncidentImportRequestAttributes(
                        title=f"official incident {i}",
                        fields={
                            "severity": IncidentImportFieldAttributesSingleValue(value="SEV-3"),
                            "state": IncidentImportFieldAttributesSingleValue(value="active"),
                        },
                    ),
                    type=IncidentType.INCIDENTS,
                )
            )
            api.import_incident(body=body)
            created += 1
        seconds = time.perf_counter() - start
    return Result("official datadog-api-client (sequential)", n, created, seconds)


def run(args: argparse.Namespace) -> dict[str, Any]:
    latency = str(args.latency)
    with emulator_process("--latency", latency) as url:
        ddinc = asyncio.run(
            push_with_ddinc(
                url, args.n, args.concurrency, f"ddinc async, concurrency {args.concurrency}"
            )
        )
        official = push_with_official_client(url, args.n)
    limit, period = (int(part) for part in args.rate_limit.split("/"))
    advertised = limit / period
    limited_n = args.limited_n or round(advertised * args.limited_seconds)
    with emulator_process("--latency", latency, "--rate-limit", args.rate_limit) as url:
        limited = asyncio.run(
            push_with_ddinc(
                url, limited_n, args.concurrency, f"ddinc, emulator limited {args.rate_limit}"
            )
        )
    speedup = ddinc.per_second / official.per_second if official.per_second else float("inf")
    rate_share = limited.per_second / advertised
    share_429 = limited.throttled / (limited.imports + limited.throttled)
    return {
        "latency_seconds": args.latency,
        "runs": [asdict(r) | {"per_second": r.per_second} for r in (ddinc, official, limited)],
        "speedup_vs_official": speedup,
        "advertised_per_second": advertised,
        "rate_share_of_advertised": rate_share,
        "share_answered_429": share_429,
        "targets": {
            "speedup_vs_official": TARGET_SPEEDUP,
            "rate_share_of_advertised": TARGET_RATE_SHARE,
            "share_answered_429_below": TARGET_429_SHARE,
        },
        "met": {
            "speedup": speedup >= TARGET_SPEEDUP,
            "rate_share": rate_share >= TARGET_RATE_SHARE,
            "share_429": share_429 < TARGET_429_SHARE,
        },
    }


def table(report: dict[str, Any]) -> str:
    latency_ms = report["latency_seconds"] * 1000
    lines = [
        f"Push benchmark: emulator in its own process, {latency_ms:.0f} ms added latency",
        "",
        f"{'run':<45} {'imports':>7} {'created':>7} {'seconds':>8} {'per s':>8} {'429s':>5}",
    ]
    for r in report["runs"]:
        lines.append(
            f"{r['name']:<45} {r['imports']:>7} {r['created']:>7} {r['seconds']:>8.2f} "
            f"{r['per_second']:>8.1f} {r['throttled']:>5}"
        )
    met = report["met"]
    lines += [
        "",
        f"speedup vs official client: {report['speedup_vs_official']:.1f}x "
        f"(target >= {TARGET_SPEEDUP:.0f}x: {'met' if met['speedup'] else 'NOT met'})",
        f"rate-limited: {report['rate_share_of_advertised']:.1%} of the advertised "
        f"{report['advertised_per_second']:g}/s (target >= {TARGET_RATE_SHARE:.0%}: "
        f"{'met' if met['rate_share'] else 'NOT met'})",
        f"answered 429: {report['share_answered_429']:.2%} "
        f"(target < {TARGET_429_SHARE:.0%}: {'met' if met['share_429'] else 'NOT met'})",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "-n", type=int, default=300, help="imports per client (default %(default)s)"
    )
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added by the emulator")
    parser.add_argument("--concurrency", type=int, default=32, help="ddinc's imports in flight")
    parser.add_argument("--rate-limit", default="100/10", help="LIMIT/PERIOD of the limited run")
    parser.add_argument(
        "--limited-seconds",
        type=float,
        default=15.0,
        help="length of the limited run at the advertised rate",
    )
    parser.add_argument(
        "--limited-n", type=int, help="imports in the limited run (overrides --limited-seconds)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    report = run(args)
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0 if all(report["met"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
