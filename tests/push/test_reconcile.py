"""Reconcile against an emulator whose search behaves like each thing Datadog leaves unknown.

The emulator's search lags (``search_lag``) and treats the provenance facet each way Datadog
might (``search_unknown_facet``); imports meet faults after storing and dropped connections.
A shared clock stands for time passing: the emulator stamps and filters with it and
reconcile measures the settle window with it, so "600 s later" takes no time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import polars as pl
import pytest

import ddinc
from ddinc.datadog import DatadogClient, IncidentImportRequest
from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator, EmulatorConfig
from ddinc.datadog.emulator.config import SearchUnknownFacet
from ddinc.datadog.emulator.faults import Faults
from ddinc.push import Ledger, push, reconcile
from ddinc.push.reconcile import (
    DEFAULT_SETTLE_AFTER_S,
    provenance_query,
    settle_by_hand,
    settle_times,
)
from tests.conftest import ROOT
from tests.push._trial import fault_after_preflight, legacy_ids, write_trial

LAG = 30.0  # seconds the emulator's search index trails a creation
AFTER_WINDOW = timedelta(seconds=DEFAULT_SETTLE_AFTER_S + 1)
MODES: tuple[SearchUnknownFacet, ...] = get_args(SearchUnknownFacet)


class Clock:
    """The emulator's clock: the system clock plus an offset a test moves forward.

    The ledger stamps sends with the system clock, so reconcile's ``now`` is the system clock
    plus the time passed since the last sends (not the emulator's whole offset).
    """

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.frozen: datetime | None = None

    def __call__(self) -> datetime:
        return self.frozen or datetime.now(UTC) + self.offset

    def later(self) -> datetime:
        """Now, once the settle window of the sends just made has passed."""
        return datetime.now(UTC) + AFTER_WINDOW


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _serve(emulator: Emulator) -> Iterator[dict[str, Any]]:
    with emulator.serve() as url:
        yield {"base_url": url, "api_key": DEMO_API_KEY, "app_key": DEMO_APP_KEY}


def _emulator(clock: Clock, mode: SearchUnknownFacet = "match", **config: Any) -> Emulator:
    config.setdefault("search_lag", LAG)
    return Emulator(EmulatorConfig(now=clock, search_unknown_facet=mode, **config))


def _trial(tmp_path: Path, n: int) -> ddinc.LoadResult:
    path, mapping = write_trial(tmp_path, n)
    return ddinc.load(path, str(mapping))


def _hand_made(connect: dict[str, Any], *row_keys: str) -> str:
    """Incidents made outside any ledger, holding ``row_keys`` in the provenance field."""
    with DatadogClient(**connect) as client:
        for key in row_keys:
            request = IncidentImportRequest.of("made by hand", fields={"legacy_id": key})
            made = client.import_incident(request).incident_id
    return made


def test_an_unknown_record_stays_until_the_window_then_settles_once(
    tmp_path: Path, clock: Clock
) -> None:
    emulator = _emulator(clock)
    trial = _trial(tmp_path, 12)
    ledger = tmp_path / "l.db"
    for connect in _serve(emulator):
        emulator.inject("error_after_store", times=2, operation="ImportIncident")
        emulator.inject("drop", times=1, operation="ImportIncident")
        first = push(trial, ledger=ledger, progress=False, concurrency=1, **connect)
        assert first.counts()["unknown"] == 3
        assert len(emulator.incidents) == 11
        # At once: the search does not show the two stored yet, and nothing may be resent.
        early = reconcile(ledger, now=clock, **connect)
        assert early.counts() == {"unknown": 3}
        assert early.unsettled.get_column("settle_at").null_count() == 0
        assert "can settle" in early.summary()
        again = push(trial, ledger=ledger, progress=False, **connect)
        assert again.exit_code == 3
        assert len(emulator.incidents) == 11
        # After the window the index has caught up: two found, one not created.
        clock.offset += AFTER_WINDOW
        settled = reconcile(ledger, now=clock, **connect)
        assert settled.counts() == {"created": 2, "not_created": 1}
        last = push(trial, ledger=ledger, progress=False, **connect)
        assert last.exit_code == 0
    assert len(emulator.incidents) == 12
    assert set(legacy_ids(emulator).values()) == {1}
    with Ledger(ledger) as opened:
        lookups = opened.lookups()
    # Each unknown record: two lookups at once, two after the window, and why each time.
    assert lookups.height == 12
    assert set(lookups.get_column("lookup")) == {"provenance search", "creation scan"}
    verdicts = lookups.get_column("verdict").to_list()
    assert sum(v.startswith("not_created") for v in verdicts) == 2


def test_cannot_check_when_the_search_refuses_the_facet(tmp_path: Path, clock: Clock) -> None:
    emulator = _emulator(clock, "error")
    trial = _trial(tmp_path, 6)
    ledger = tmp_path / "l.db"
    for connect in _serve(emulator):
        emulator.inject("error_after_store", times=1, operation="ImportIncident")
        emulator.inject("error_before_store", times=1, operation="ImportIncident")
        push(trial, ledger=ledger, progress=False, concurrency=1, **connect)
        clock.offset += AFTER_WINDOW
        settled = reconcile(ledger, now=clock, **connect)
        # The stored one is found by the scan (a documented facet); the other cannot be
        # proven absent, so it stays unknown and says why.
        assert settled.counts() == {"created": 1, "unknown": 1}
        why = settled.unsettled.get_column("detail").item()
        assert "cannot check" in why
        assert "400" in why
        assert "cannot check" in settled.summary()
        assert push(trial, ledger=ledger, progress=False, **connect).exit_code == 3
    assert len(emulator.incidents) == 5
    with Ledger(ledger) as opened:
        found = opened.lookups().filter(lookup="provenance search").get_column("found")
    assert any("400" in text for text in found)


def test_a_foreign_incident_is_never_adopted(tmp_path: Path, clock: Clock) -> None:
    emulator = _emulator(clock)
    trial = _trial(tmp_path, 4)
    ledger = tmp_path / "l.db"
    key = str(trial.incidents.get_column("row_key")[0])
    for connect in _serve(emulator):
        clock.offset = -timedelta(hours=1)  # made by hand an hour before the push
        foreign = _hand_made(connect, key)
        clock.offset = timedelta(0)
        emulator.inject("error_after_store", times=1, operation="ImportIncident")
        push(trial, ledger=ledger, progress=False, concurrency=1, **connect)
        clock.offset += AFTER_WINDOW
        settled = reconcile(ledger, now=clock, **connect)
        row = settled.frame.row(by_predicate=pl.col("row_key") == key, named=True)
        assert row["after"] == "created"
        assert row["incident_id"] != foreign
        assert row["elsewhere"] == [foreign]
        assert foreign in settled.summary()
    with Ledger(ledger) as opened:
        record = opened.get(key)
    assert record is not None
    assert record.incident_id != foreign


def test_a_foreign_incident_alone_leaves_the_record_not_created(
    tmp_path: Path, clock: Clock
) -> None:
    emulator = _emulator(clock)
    trial = _trial(tmp_path, 3)
    ledger = tmp_path / "l.db"
    key = str(trial.incidents.get_column("row_key")[0])
    for connect in _serve(emulator):
        clock.offset = -timedelta(hours=1)
        foreign = _hand_made(connect, key)
        clock.offset = timedelta(0)
        emulator.inject("error_before_store", times=1, operation="ImportIncident")
        push(trial, ledger=ledger, progress=False, concurrency=1, **connect)
        clock.offset += AFTER_WINDOW
        settled = reconcile(ledger, now=clock, **connect)
        assert settled.counts() == {"not_created": 1}
        assert settled.elsewhere.get_column("elsewhere").to_list() == [[foreign]]
        assert push(trial, ledger=ledger, progress=False, **connect).exit_code == 0
    # The foreign incident is untouched; this ledger's own one was sent once.
    assert legacy_ids(emulator)[key] == 2
    assert foreign in {incident.id for incident in emulator.incidents}


def test_duplicates_are_listed_by_id(tmp_path: Path, clock: Clock) -> None:
    emulator = _emulator(clock)
    trial = _trial(tmp_path, 3)
    ledger = tmp_path / "l.db"
    key = str(trial.incidents.get_column("row_key")[0])
    for connect in _serve(emulator):
        emulator.inject("error_after_store", times=1, operation="ImportIncident")
        push(trial, ledger=ledger, progress=False, concurrency=1, **connect)
        clock.offset += timedelta(seconds=5)
        second = _hand_made(connect, key)  # after the first send: a duplicate of ours
        clock.offset += AFTER_WINDOW
        settled = reconcile(ledger, now=clock, **connect)
    assert settled.duplicates.get_column("duplicates").to_list() == [[second]]
    assert second in settled.summary()
    assert ".duplicates" not in settled.summary()


def test_push_refuses_unknown_records_and_says_when_they_settle(
    tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    from ddinc.cli import main

    monkeypatch.setenv("DD_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("DD_APP_KEY", DEMO_APP_KEY)
    emulator = _emulator(clock)
    path, mapping = write_trial(tmp_path, 3)
    ledger = tmp_path / "l.db"
    for connect in _serve(emulator):
        common = [str(path), "--source", str(mapping), "--ledger", str(ledger)]
        common += ["--base-url", connect["base_url"], "--no-progress", "--yes"]
        with fault_after_preflight(
            monkeypatch, emulator, "error_after_store", times=1, operation="ImportIncident"
        ):
            assert main(["push", *common, "--concurrency", "1", "--settle-after", "900"]) == 3
        with Ledger(ledger) as opened:
            (when,) = settle_times(opened, 900).values()
        out = capsys.readouterr().out
        assert when.isoformat(timespec="seconds") in out
        assert "ddinc reconcile" in out
        args = ["reconcile", "--ledger", str(ledger), "--base-url", connect["base_url"]]
        assert main(args) == 3  # before the window: still unknown
        assert "can settle" in capsys.readouterr().out
        clock.offset += timedelta(seconds=LAG + 1)  # the search has caught up
        assert main([*args, "--settle-after", "0"]) == 0
        assert main(["ledger", str(ledger)]) == 0
        assert "lookups by reconcile" in capsys.readouterr().out
    assert len(emulator.incidents) == 3


def test_provenance_query_quotes_the_row_key() -> None:
    assert provenance_query("legacy_id", "a b") == 'legacy_id:"a b"'


# -- every way the search may behave, with faults: never a duplicate ------------------------

FAULTS = Faults(
    error_after_store=0.1,
    drop_after_store=0.05,
    error_before_store=0.05,
    drop=0.05,
    seed=3,
    operations=frozenset({"ImportIncident"}),
)


N = 120


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("at_once", [True, False])
def test_every_search_behaviour_with_faults_holds_each_incident_once(
    tmp_path: Path, clock: Clock, mode: SearchUnknownFacet, at_once: bool
) -> None:
    emulator = _emulator(clock, mode, faults=FAULTS)
    trial = _trial(tmp_path, N)
    ledger = tmp_path / "l.db"
    for connect in _serve(emulator):
        result = push(trial, ledger=ledger, progress=False, concurrency=4, **connect)
        assert result.exit_code == 3  # the faults left some unknown
        for _ in range(8):
            if result.exit_code == 0:
                break
            if at_once:  # reconcile right away first: it must not settle anything wrongly
                reconcile(ledger, **connect)
                assert max(legacy_ids(emulator).values()) == 1
            # The window passes: the emulator's index catches up, reconcile's clock moves on
            # from the ledger's (the system clock, which stamped the last sends just now).
            clock.offset += AFTER_WINDOW
            reconcile(ledger, now=lambda: datetime.now(UTC) + AFTER_WINDOW, **connect)
            result = push(trial, ledger=ledger, progress=False, concurrency=4, **connect)
            assert max(legacy_ids(emulator).values()) == 1
    held = legacy_ids(emulator)
    assert max(held.values()) == 1
    with Ledger(ledger) as opened:
        counts = opened.counts()
        unknown = {r.row_key for r in opened.records(["unknown", "sending"])}
    if mode == "error":
        # Absence cannot be proven: those never stored stay unknown, and are not held.
        assert not unknown & set(held)
        assert unknown
        assert counts["created"] + counts["unknown"] == N
    else:
        assert result.exit_code == 0
        assert counts["created"] == N
        assert len(held) == N
    kinds = {event.kind for event in emulator.fault_log}
    assert {"error_after_store", "drop_after_store", "drop"} <= kinds


@pytest.mark.parametrize(("fault", "after"), [("error_after_store", 1), ("drop", 0)])
def test_an_impact_in_doubt_is_read_from_the_impacts_endpoint(
    tmp_path: Path, clock: Clock, fault: str, after: int
) -> None:
    emulator = _emulator(clock)
    trial = _trial(tmp_path, 1)  # the first trial row has a customer impact
    ledger = tmp_path / "l.db"
    for connect in _serve(emulator):
        emulator.inject(fault, times=1, operation="CreateIncidentImpact")
        assert push(trial, ledger=ledger, progress=False, **connect).exit_code == 3
        reconcile(ledger, now=clock, **connect)
        with Ledger(ledger) as opened:
            (record,) = opened.records()
            impact_lookups = opened.lookups().filter(lookup="impacts")
        assert record.impact_status == ("created" if after else "pending")
        assert impact_lookups.height == 1
        assert push(trial, ledger=ledger, progress=False, **connect).exit_code == 0
    assert len(emulator.impacts) == 1


def test_the_creation_scan_pages_back_to_the_first_send(tmp_path: Path, clock: Clock) -> None:
    # The provenance search finds nothing ("empty"): only the scan can find the first record,
    # which has 100 newer incidents; 100 made an hour before bound the scan.
    emulator = _emulator(clock, "empty", search_lag=0.0)
    trial = _trial(tmp_path, 101)
    ledger = tmp_path / "l.db"
    for connect in _serve(emulator):
        clock.offset = -timedelta(hours=1)
        _hand_made(connect, *(f"elsewhere-{n}" for n in range(100)))
        clock.offset = timedelta(0)
        emulator.inject("error_after_store", times=1, operation="ImportIncident")
        push(trial, ledger=ledger, progress=False, concurrency=1, **connect)
        before = len(emulator.requests)
        settled = reconcile(ledger, now=lambda: datetime.now(UTC) + AFTER_WINDOW, **connect)
        assert settled.counts() == {"created": 1}
        searches = [r for r in emulator.requests[before:] if r.operation == "SearchIncidents"]
        # One provenance search, then the scan: page 2 (1 of ours, 99 older) reaches past
        # the first send, so the third page is never read.
        assert len(searches) == 3
    assert set(legacy_ids(emulator).values()) == {1}


def test_two_ledgers_over_one_record_each_keep_their_own(tmp_path: Path, clock: Clock) -> None:
    emulator = _emulator(clock)
    trial = _trial(tmp_path, 2)
    for connect in _serve(emulator):
        first = push(trial, ledger=tmp_path / "one.db", progress=False, **connect)
        assert first.exit_code == 0
        emulator.inject("error_after_store", times=2, operation="ImportIncident")
        push(trial, ledger=tmp_path / "two.db", progress=False, **connect)
        clock.offset += AFTER_WINDOW
        settled = reconcile(tmp_path / "two.db", now=clock, **connect)
        assert settled.counts() == {"created": 2}
    with Ledger(tmp_path / "one.db") as one, Ledger(tmp_path / "two.db") as two:
        mine = {r.row_key: r.incident_id for r in one.records()}
        theirs = {r.row_key: r.incident_id for r in two.records()}
    assert not set(mine.values()) & set(theirs.values())
    assert settled.elsewhere.get_column("elsewhere").to_list() == [[i] for i in mine.values()]


def test_an_incident_made_just_before_the_first_send_is_not_told_apart(
    tmp_path: Path, clock: Clock
) -> None:
    emulator = _emulator(clock)
    trial = _trial(tmp_path, 1)
    ledger = tmp_path / "l.db"
    key = str(trial.incidents.get_column("row_key")[0])
    for connect in _serve(emulator):
        emulator.inject("error_before_store", times=1, operation="ImportIncident")
        push(trial, ledger=ledger, progress=False, **connect)
        with Ledger(ledger) as opened:
            first_send = datetime.fromisoformat(opened.send_times()[key][0])
        clock.frozen = first_send - timedelta(seconds=1)
        close = _hand_made(connect, key)
        clock.frozen = None
        clock.offset = AFTER_WINDOW
        settled = reconcile(ledger, now=clock, **connect)
        assert settled.counts() == {"unknown": 1}
        assert "cannot tell" in settled.summary()
        assert "belong elsewhere" not in settled.summary()
        assert close in settled.summary()
        assert push(trial, ledger=ledger, progress=False, **connect).exit_code == 3
    assert [incident.id for incident in emulator.incidents] == [close]


# -- with a push killed mid-run (SIGKILL), in a subprocess ----------------------------------


def _push_process(path: Path, mapping: Path, ledger: Path, url: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "ddinc.cli", "push", str(path), "--source", str(mapping)]
    command += ["--ledger", str(ledger), "--base-url", url, "--timeout", "5"]
    command += ["--concurrency", "4", "--yes", "--no-progress"]
    env = {**os.environ, "DD_API_KEY": DEMO_API_KEY, "DD_APP_KEY": DEMO_APP_KEY}
    env["PYTHONPATH"] = str(ROOT)
    pipe = subprocess.PIPE
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=pipe, stderr=pipe)


def _kill_once_written(process: subprocess.Popen[bytes], ledger: Path, target: int) -> None:
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        with (
            contextlib.suppress(sqlite3.Error),
            contextlib.closing(sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)) as db,
        ):
            (written,) = db.execute(
                "SELECT COUNT(*) FROM records WHERE status IN ('sending', 'created', 'unknown')"
            ).fetchone()
            if written >= target:
                process.send_signal(signal.SIGKILL)
                return
        time.sleep(0.01)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_a_killed_push_resumed_under_every_search_behaviour_holds_each_once(
    tmp_path: Path, clock: Clock, mode: SearchUnknownFacet
) -> None:
    emulator = _emulator(clock, mode, faults=FAULTS)
    path, mapping = write_trial(tmp_path, 60)
    ledger = tmp_path / "l.db"
    with emulator.serve() as url:
        connect: dict[str, Any] = {
            "base_url": url,
            "api_key": DEMO_API_KEY,
            "app_key": DEMO_APP_KEY,
        }
        process = _push_process(path, mapping, ledger, url)
        _kill_once_written(process, ledger, 20)
        process.communicate(timeout=120)
        seen: list[dict[str, int]] = []
        for _ in range(8):
            reconcile(ledger, **connect)  # at once: nothing may be settled wrongly
            assert max(legacy_ids(emulator).values()) == 1
            clock.offset += AFTER_WINDOW
            reconcile(ledger, now=lambda: datetime.now(UTC) + AFTER_WINDOW, **connect)
            process = _push_process(path, mapping, ledger, url)
            process.communicate(timeout=120)
            assert max(legacy_ids(emulator).values()) == 1
            with Ledger(ledger) as opened:
                seen.append(opened.counts())
            stuck = mode == "error" and seen[-2:] == [seen[-1]] * 2
            if process.returncode == 0 or stuck:
                break  # done, or only records that cannot be checked are left
    assert max(legacy_ids(emulator).values()) == 1
    with Ledger(ledger) as opened:
        counts = opened.counts()
    if mode != "error":
        assert process.returncode == 0
        assert counts["created"] == 60
        assert len(emulator.incidents) == 60


@pytest.mark.slow  # waits out the 3 s a second writer is given
def test_reconcile_refuses_another_target_and_a_ledger_in_use(tmp_path: Path, clock: Clock) -> None:
    from ddinc.push.ledger import LedgerBusyError, LedgerTargetError

    trial = _trial(tmp_path, 2)
    ledger = tmp_path / "l.db"
    for connect in _serve(_emulator(clock)):
        push(trial, ledger=ledger, progress=False, **connect)
        for other in _serve(_emulator(clock)):
            with pytest.raises(LedgerTargetError):
                reconcile(ledger, **other)
        with Ledger(ledger) as holder:
            holder.lock("push")
            with pytest.raises(LedgerBusyError):
                reconcile(ledger, **connect)
    with Ledger(ledger) as opened:
        assert opened.runs().get_column("kind").to_list() == ["push"]


def test_what_reconcile_cannot_check_an_analyst_settles_by_hand(
    tmp_path: Path, clock: Clock
) -> None:
    emulator = _emulator(clock, "error")
    trial = _trial(tmp_path, 6)
    ledger = tmp_path / "l.db"
    for connect in _serve(emulator):
        emulator.inject("error_before_store", times=1, operation="ImportIncident")
        push(trial, ledger=ledger, progress=False, concurrency=1, **connect)
        with Ledger(ledger) as opened:
            (unknown,) = [r.row_key for r in opened.records(["unknown"])]
            created = opened.records(["created"])[0].row_key
        note = "searched the app for its title and day: nothing"
        # Too early: a person's search lags as reconcile's does.
        with pytest.raises(ddinc.ConfigError, match="settles at"):
            settle_by_hand(ledger, [unknown], note=note)
        # Only records in doubt, and all or nothing.
        with pytest.raises(ddinc.ConfigError, match=f"{created} \\(created"):
            settle_by_hand(ledger, [unknown, created], note=note, now=clock.later)
        with Ledger(ledger) as opened:
            assert opened.get(unknown).status == "unknown"
        assert settle_by_hand(ledger, [unknown], note=note, now=clock.later) == [unknown]
        with Ledger(ledger) as opened:
            assert opened.get(unknown).status == "not_created"
            kept = opened.lookups(unknown).row(-1, named=True)
        assert (kept["lookup"], kept["found"], kept["verdict"]) == ("by hand", note, "not_created")
        assert push(trial, ledger=ledger, progress=False, **connect).exit_code == 0
    assert set(legacy_ids(emulator).values()) == {1}
    assert len(legacy_ids(emulator)) == 6
