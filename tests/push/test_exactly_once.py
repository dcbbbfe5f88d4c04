"""Exactly once under faults: pushes killed at random, resumed and reconciled until done.

The emulator runs in this process (a loopback server in a thread, with seeded faults: 5xx
before and after storing, answers slower than the client's timeout, dropped connections
before and after storing, 429 bursts); ``ddinc push`` runs in a subprocess that is killed
with SIGKILL at seeded random moments. Whatever happens, after enough push + reconcile
rounds the emulator holds every selected record exactly once (found by its provenance
field), each impact exactly once, and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator, EmulatorConfig
from ddinc.datadog.emulator.faults import Faults
from ddinc.datadog.emulator.ratelimit import RateLimit
from ddinc.push import Ledger, reconcile
from tests.conftest import ROOT
from tests.push._trial import impacts_per_incident, legacy_ids, write_trial

FAULTS = Faults(
    error_before_store=0.02,
    error_after_store=0.03,
    slow=0.01,
    slow_delay=0.8,
    drop=0.01,
    drop_after_store=0.02,
    rate_limited=0.003,
    burst_length=3,
    burst_reset=1,
)
TIMEOUT = 0.4  # seconds: the emulator's slow answers come after 0.8 s
ENV = {
    **os.environ,
    "DD_API_KEY": DEMO_API_KEY,
    "DD_APP_KEY": DEMO_APP_KEY,
    "PYTHONPATH": str(ROOT),
}


def _push(path: Path, mapping: Path, ledger: Path, url: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "ddinc.cli", "push", str(path), "--source", str(mapping)]
    command += ["--ledger", str(ledger), "--base-url", url, "--timeout", str(TIMEOUT)]
    command += ["--concurrency", "8", "--yes", "--no-progress"]
    return subprocess.Popen(
        command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _written(ledger: Path) -> int:
    if not ledger.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)) as db:
        try:
            row = db.execute(
                "SELECT COUNT(*) FROM records WHERE status IN ('sending', 'created', 'unknown')"
            ).fetchone()
        except sqlite3.OperationalError:  # not created yet
            return 0
    return int(row[0])


def _kill_when_sent(process: subprocess.Popen[bytes], ledger: Path, target: int) -> int:
    """SIGKILL the push once ``target`` records are in flight or done (or it ends first)."""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        written = _written(ledger)
        if written >= target:
            process.send_signal(signal.SIGKILL)
            return written
        time.sleep(0.01)
    return -1


def _until_done(
    n: int, seed: int, kills: int, tmp_path: Path, max_rounds: int = 12
) -> tuple[Emulator, Path, list[str]]:
    rng = random.Random(seed)
    path, mapping = write_trial(tmp_path, n, seed=seed)
    ledger = tmp_path / "trial.ledger"
    # A generous import limit: the 429 bursts then advertise it, as Datadog's 429s do.
    config = EmulatorConfig(
        faults=Faults(**{**FAULTS.__dict__, "seed": seed}), rate_limit=RateLimit(2000, 10)
    )
    emulator = Emulator(config)
    log: list[str] = []
    with emulator.serve() as url:
        for round_number in range(max_rounds):
            process = _push(path, mapping, ledger, url)
            if round_number < kills:
                killed_at = _kill_when_sent(process, ledger, rng.randrange(1, n))
                log.append(f"  killed after {killed_at} records were written")
            out, err = process.communicate(timeout=300)
            log.append(f"round {round_number}: exit {process.returncode}: {out.decode()[-300:]}")
            assert process.returncode in (0, 1, 3, -signal.SIGKILL), err.decode()[-2000:]
            settled = reconcile(  # the emulator's search does not lag: no settle window
                ledger, settle_after=0, base_url=url, api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY
            )
            log.append(f"  reconcile: {settled.summary()}")
            if process.returncode == 0:
                with Ledger(ledger) as opened:
                    counts = opened.counts()
                    impacts = opened.impact_counts()
                if counts["created"] == n and impacts == {"created": len(range(0, n, 3))}:
                    return emulator, ledger, log
    pytest.fail("not done after every round:\n" + "\n".join(log))


def _assert_exactly_once(emulator: Emulator, ledger: Path, n: int) -> None:
    held = legacy_ids(emulator)
    expected = {f"trial:T-{number:05d}" for number in range(n)}
    assert set(held) == expected
    assert max(held.values()) == 1, [key for key, count in held.items() if count > 1][:5]
    assert len(emulator.incidents) == n
    by_key = {str(incident.fields["legacy_id"]): incident.id for incident in emulator.incidents}
    impacts = impacts_per_incident(emulator)
    for number in range(n):
        wanted = 1 if number % 3 == 0 else 0
        assert impacts.get(by_key[f"trial:T-{number:05d}"], 0) == wanted, number
    with Ledger(ledger) as opened:
        recorded = {r.row_key: r.incident_id for r in opened.records(["created"])}
    assert recorded == by_key
    wal = Path(f"{ledger}-wal")
    stored = ledger.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert DEMO_API_KEY.encode() not in stored
    assert DEMO_APP_KEY.encode() not in stored


@pytest.mark.slow
def test_faults_and_one_kill_end_exactly_once(tmp_path: Path) -> None:
    emulator, ledger, log = _until_done(n=150, seed=1, kills=1, tmp_path=tmp_path)
    _assert_exactly_once(emulator, ledger, 150)
    # The faults did happen: some records went through unknown and reconcile settled them.
    kinds = {event.kind for event in emulator.fault_log}
    assert {"error_after_store", "drop_after_store"} <= {str(kind) for kind in kinds}, log


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2])
def test_thousands_under_faults_and_kills_end_exactly_once(tmp_path: Path, seed: int) -> None:
    emulator, ledger, _ = _until_done(n=1500, seed=seed, kills=3, tmp_path=tmp_path)
    _assert_exactly_once(emulator, ledger, 1500)
