"""The push: once, resumed, interrupted, impacts, results that add up, no keys anywhere."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import ddinc
from ddinc.datadog import AsyncDatadogClient
from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator, EmulatorConfig
from ddinc.datadog.emulator.faults import Faults
from ddinc.datadog.emulator.org import DEFAULT_ORG_FILE, Org
from ddinc.push import Ledger, plan, push, reconcile, rollback
from ddinc.push.ledger import LedgerTargetError, LedgerWriteError
from ddinc.push.results import EXIT_DECIDE
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
    settled = reconcile(ledger, settle_after=0, **connect)  # the emulator's search does not lag
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
        records = ledger.records()
    assert counts["sending"] == 0  # every request that may have left has an outcome
    # A record whose request never left (its worker cancelled before or while it was being
    # claimed) is given back: planned, "not sent: interrupted", never failed or sent.
    assert counts["created"] + counts["unknown"] + counts["planned"] == 40
    held = legacy_ids(emulator)
    for record in records:
        if record.status == "planned":
            assert record.reason in (None, "not sent: interrupted")
            assert held[record.row_key] == 0, record.row_key
        if record.status == "created":
            assert held[record.row_key] == 1, record.row_key


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


def test_a_ledger_is_refused_on_a_second_target_before_anything_is_sent(
    trial: ddinc.LoadResult, emulator: Emulator, connect: dict[str, Any], tmp_path: Path
) -> None:
    ledger = tmp_path / "l.db"
    push(trial, ledger=ledger, progress=False, **connect)
    other = Emulator()
    with other.serve() as url:
        elsewhere = {**connect, "base_url": url}
        with pytest.raises(LedgerTargetError, match="new --ledger") as refused:
            push(trial, ledger=ledger, progress=False, **elsewhere)
        assert connect["base_url"] in str(refused.value)
        assert url in str(refused.value)
        with pytest.raises(LedgerTargetError):
            plan(trial, ledger=ledger, **elsewhere)
        with pytest.raises(LedgerTargetError):
            rollback(ledger, confirm=True, **elsewhere)
    assert other.incidents == []
    assert len(emulator.incidents) == 40  # nothing deleted, nothing marked deleted
    with Ledger(ledger) as opened:
        assert opened.counts()["created"] == 40


def test_rollback_deletes_its_own_sends_and_what_reconcile_settled_for_the_run(
    trial: ddinc.LoadResult, emulator: Emulator, connect: dict[str, Any], tmp_path: Path
) -> None:
    ledger = tmp_path / "l.db"
    emulator.inject("error_after_store", times=3, operation="ImportIncident")
    pushed = push(trial, ledger=ledger, progress=False, concurrency=1, **connect)
    assert pushed.counts()["unknown"] == 3
    assert reconcile(ledger, **connect).counts() == {"created": 3}
    with Ledger(ledger) as opened:
        settled = opened.records(["created"], run_id=pushed.run_id)
        assert len(settled) == 40  # the 3 reconcile settled still carry the push's run
        # One record adopted, not sent by this ledger (as a version 1 reconcile could).
        foreign = settled[0]
        assert foreign.incident_id is not None
        opened.mark_created(
            foreign.row_key,
            "by-hand",
            incident_id=foreign.incident_id,
            public_id=foreign.public_id,
            url=foreign.url,
            impact_pending=False,
            learned="adopted",
        )
    done = rollback(ledger, run_id=pushed.run_id, confirm=True, **connect)
    assert done.deleted == 39
    assert [r.row_key for r in done.not_ours] == [foreign.row_key]
    assert foreign.incident_id in done.summary()
    assert [incident.id for incident in emulator.incidents] == [foreign.incident_id]


def test_edited_and_removed_rows_need_a_decision(
    emulator: Emulator, connect: dict[str, Any], tmp_path: Path
) -> None:
    path, mapping = write_trial(tmp_path, 10)
    ledger = tmp_path / "l.db"
    assert (
        push(ddinc.load(path, str(mapping)), ledger=ledger, progress=False, **connect).exit_code
        == 0
    )
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    edited = [line.replace("Trial incident 1:", "Trial incident one:") for line in lines]
    path.write_text("".join(line for line in edited if not line.startswith("T-00002,")))
    again = push(ddinc.load(path, str(mapping)), ledger=ledger, progress=False, **connect)
    assert again.counts()["changed"] == 1
    assert again.counts()["skipped"] == 8
    assert [r.row_key for r in again.not_in_source] == ["trial:T-00002"]
    assert again.exit_code == EXIT_DECIDE
    assert again.decisions()[0].startswith("changed trial:T-00001 (incident ")
    assert again.decisions()[1].startswith("not in source trial:T-00002 (incident ")
    assert "no longer in the source" in again.summary()
    assert len(emulator.incidents) == 10  # nothing re-sent, nothing deleted


def _push_into(ledger: Ledger, trial: ddinc.LoadResult, emulator: Emulator) -> None:
    async def run() -> None:
        async with AsyncDatadogClient(
            base_url="http://emulator.local",
            api_key=DEMO_API_KEY,
            app_key=DEMO_APP_KEY,
            transport=emulator.transport(),
        ) as client:
            await push_async(trial, client, ledger, progress=False)

    asyncio.run(run())


def test_a_full_disk_is_a_clear_error_before_anything_is_sent(
    trial: ddinc.LoadResult, tmp_path: Path
) -> None:
    emulator = Emulator()
    with Ledger(tmp_path / "l.db") as ledger:
        pages = ledger.connection.execute("PRAGMA page_count").fetchone()[0]
        ledger.connection.execute(f"PRAGMA max_page_count = {pages}")  # no room to grow
        with pytest.raises(LedgerWriteError, match=r"l\.db \(database or disk is full\).*free"):
            _push_into(ledger, trial, emulator)
    assert emulator.incidents == []
    with Ledger(tmp_path / "l.db") as ledger:  # after freeing space the run completes
        _push_into(ledger, trial, emulator)
        assert ledger.counts()["created"] == 40


def test_a_read_only_ledger_is_a_clear_error_before_anything_is_sent(
    trial: ddinc.LoadResult, emulator: Emulator, connect: dict[str, Any], tmp_path: Path
) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.connection.execute("PRAGMA query_only = ON")
        with pytest.raises(LedgerWriteError, match=r"l\.db .*writable"):
            _push_into(ledger, trial, emulator)
    assert emulator.incidents == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only files")
def test_a_read_only_ledger_file_is_refused_by_push(
    trial: ddinc.LoadResult, emulator: Emulator, connect: dict[str, Any], tmp_path: Path
) -> None:
    ledger = tmp_path / "l.db"
    Ledger(ledger).close()
    for name in (ledger, Path(f"{ledger}-wal"), Path(f"{ledger}-shm")):
        if name.exists():
            name.chmod(0o444)
    with pytest.raises(LedgerWriteError, match=r"l\.db"):
        push(trial, ledger=ledger, progress=False, **connect)
    assert emulator.incidents == []


def test_a_429_asking_for_too_long_a_wait_stops_the_push(
    trial: ddinc.LoadResult, tmp_path: Path
) -> None:
    # One answer asks to wait a day, far over the client's cap: every later request would
    # wait as long, so the run stops, and what it did not send is failed "not sent".
    emulator = Emulator(EmulatorConfig(faults=Faults(burst_reset=86_400)))
    emulator.inject("rate_limited", operation="ImportIncident")
    with emulator.serve() as url:
        connect: dict[str, Any] = {
            "base_url": url,
            "api_key": DEMO_API_KEY,
            "app_key": DEMO_APP_KEY,
        }
        pushed = push(trial, ledger=tmp_path / "l.db", progress=False, concurrency=1, **connect)
    assert pushed.stopped_by is not None
    assert "86400" in pushed.stopped_by
    counts = pushed.counts()
    assert counts["created"] == 0
    assert counts["failed"] == 40
    assert emulator.incidents == []


def _other_org() -> Org:
    """The default org with other incident type ids: another org behind the same address."""
    text = DEFAULT_ORG_FILE.read_text(encoding="utf-8")
    for incident_type in Org.default().incident_types:
        text = text.replace(incident_type.id, str(uuid.uuid4()))
    return Org.from_dict(json.loads(text))


def test_a_ledger_is_refused_on_another_org_behind_the_same_address(
    trial: ddinc.LoadResult, tmp_path: Path
) -> None:
    ledger = tmp_path / "l.db"
    first = Emulator()
    with first.serve() as url:
        connect: dict[str, Any] = {
            "base_url": url,
            "api_key": DEMO_API_KEY,
            "app_key": DEMO_APP_KEY,
        }
        push(trial, ledger=ledger, progress=False, **connect)
    port = int(url.rsplit(":", 1)[1])
    other = Emulator(EmulatorConfig(org=_other_org()))
    with other.serve(port=port) as same_url:
        assert same_url == url
        with pytest.raises(LedgerTargetError, match="another Datadog org") as refused:
            push(trial, ledger=ledger, progress=False, **connect)
        assert "new --ledger" in str(refused.value)
        with pytest.raises(LedgerTargetError, match="another Datadog org"):
            rollback(ledger, confirm=True, **connect)
    assert other.incidents == []
    with Ledger(ledger) as opened:
        assert opened.counts()["created"] == 40  # nothing marked deleted
