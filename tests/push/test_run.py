"""The push: once, resumed, interrupted, impacts, results that add up, no keys anywhere."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import ddinc
from ddinc.datadog import AsyncDatadogClient
from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator
from ddinc.push import Ledger, push, reconcile, rollback
from ddinc.push.run import push_async
from tests.push._trial import impacts_per_incident, legacy_ids, write_trial


@pytest.fixture
def trial(tmp_path: Path) -> ddinc.LoadResult:
    path, mapping = write_trial(tmp_path, 40)
    return ddinc.load(path, str(mapping))


def test_pushing_twice_creates_once_and_impacts_once(
    trial: ddinc.LoadResult, emulator: Emulator, connect: dict[str, Any], tmp_path: Path
) -> None:
    ledger = tmp_path / "l.db"
    first = push(trial, ledger=ledger, progress=False, **connect)
    assert first.counts() == {
        "created": 40,
        "skipped": 0,
        "changed": 0,
        "held": 0,
        "failed": 0,
        "unknown": 0,
    }
    assert first.impact_counts() == {"created": 14}
    assert first.exit_code == 0
    second = push(trial, ledger=ledger, progress=False, **connect)
    assert second.counts()["skipped"] == 40
    assert len(emulator.incidents) == 40
    assert max(legacy_ids(emulator).values()) == 1
    assert sorted(impacts_per_incident(emulator).values()) == [1] * 14
    frame = first.frame
    assert frame.height == 40
    assert frame.get_column("url").str.contains("/api/v2/incidents/").all()
    assert DEMO_API_KEY not in str(frame.to_dicts()) + first.to_html() + repr(first)
    # Group commit: the 40 imports and 14 impacts made 2 changes each (sending, outcome) but
    # shared transactions; every change reached the audit trail in order.
    assert set(first.seconds) == {"plan", "send"}
    assert 1 <= first.ledger_transactions < 2 * (40 + 14)
    with Ledger(ledger) as opened:
        events = opened.events()
    statuses = events.filter(run_id=first.run_id).get_column("status").to_list()
    assert Counter(statuses) == {
        "sending": 40,
        "created": 40,
        "impact_sending": 14,
        "impact_created": 14,
    }
    for key in events.get_column("row_key").drop_nulls().unique().to_list():
        mine = events.filter(row_key=key, run_id=first.run_id).get_column("status").to_list()
        assert mine[:2] == ["sending", "created"], (key, mine)


def test_an_unknown_outcome_is_never_resent_until_reconciled(
    trial: ddinc.LoadResult, emulator: Emulator, connect: dict[str, Any], tmp_path: Path
) -> None:
    ledger = tmp_path / "l.db"
    emulator.inject("error_after_store", times=2, operation="ImportIncident")
    emulator.inject("error_before_store", times=1, operation="ImportIncident")
    first = push(trial, ledger=ledger, progress=False, concurrency=1, **connect)
    assert first.counts()["unknown"] == 3
    assert first.exit_code == 3
    second = push(trial, ledger=ledger, progress=False, **connect)
    assert second.counts()["unknown"] == 3  # still: no blind resend
    assert len(emulator.incidents) == 39
    settled = reconcile(ledger, **connect)
    assert settled.counts() == {"created": 2, "not_created": 1}
    third = push(trial, ledger=ledger, progress=False, **connect)
    assert third.counts()["created"] == 1
    assert third.exit_code == 0
    assert len(emulator.incidents) == 40
    assert max(legacy_ids(emulator).values()) == 1
    # Impacts of the two found by reconcile went out once, on the next push.
    assert sorted(impacts_per_incident(emulator).values()) == [1] * 14


def test_a_cancelled_run_records_every_request_in_flight(
    trial: ddinc.LoadResult, tmp_path: Path
) -> None:
    emulator = Emulator()
    ledger_path = tmp_path / "l.db"

    async def run() -> None:
        async with AsyncDatadogClient(
            base_url="http://emulator.local",
            api_key=DEMO_API_KEY,
            app_key=DEMO_APP_KEY,
            transport=emulator.transport(),
        ) as client:
            with Ledger(ledger_path) as ledger:
                task = asyncio.create_task(push_async(trial, client, ledger, progress=False))
                while ledger.counts()["created"] < 5:
                    await asyncio.sleep(0.001)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task

    asyncio.run(run())
    with Ledger(ledger_path) as ledger:
        counts = ledger.counts()
    assert counts["sending"] == 0  # every request that may have left has an outcome
    assert counts["created"] + counts["unknown"] + counts["planned"] == 40


def test_rollback_deletes_what_the_ledger_created_after_confirmation(
    trial: ddinc.LoadResult, emulator: Emulator, connect: dict[str, Any], tmp_path: Path
) -> None:
    ledger = tmp_path / "l.db"
    pushed = push(trial, ledger=ledger, progress=False, **connect)
    with pytest.raises(ddinc.ConfigError, match="confirm"):
        rollback(ledger, **connect)
    assert rollback(ledger, confirm=lambda n: False, **connect).deleted == 0
    done = rollback(ledger, run_id=pushed.run_id, confirm=True, **connect)
    assert done.deleted == 40
    assert emulator.incidents == []
    again = push(trial, ledger=ledger, progress=False, **connect)
    assert again.counts()["created"] == 40
