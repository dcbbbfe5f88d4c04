"""The ledger: statuses, claims, one writer, one target, upgrades, never downgraded by a plan,
readable after a kill, free of keys."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ddinc.errors import ConfigError
from ddinc.push import Ledger
from ddinc.push.ledger import LedgerBusyError, LedgerTargetError, LedgerWriteError
from tests.conftest import ROOT


def test_a_record_goes_through_its_statuses_with_an_audit_trail(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        run = ledger.start_run("push", "http://127.0.0.1:1")
        ledger.mark_planned(run, [("a", "A", "h1"), ("b", "B", "h2")])
        ledger.mark_sending("a", run, "h1")
        ledger.mark_created("a", run, incident_id="id-a", public_id=7, url="u", impact_pending=True)
        ledger.mark_impact("a", run, "created", impact_id="imp-1")
        ledger.mark_sending("b", run, "h2")
        ledger.mark_unknown("b", run, "timeout")
        ledger.finish_run(run, {"ok": 1})
        a = ledger.get("a")
        assert a is not None
        assert (a.status, a.incident_id, a.public_id, a.impact_status) == (
            "created",
            "id-a",
            7,
            "created",
        )
        assert ledger.counts()["unknown"] == 1
        # Planning writes no event (it is one commit for the whole run); every change after does.
        assert ledger.events("a").get_column("status").to_list() == [
            "sending",
            "created",
            "impact_created",
        ]


def test_planning_again_never_downgrades_what_may_exist(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        run = ledger.start_run("push", None)
        ledger.mark_sending("s", run, "h")
        ledger.mark_sending("u", run, "h")
        ledger.mark_unknown("u", run, "5xx")
        ledger.mark_sending("c", run, "h")
        ledger.mark_created("c", run, incident_id="i", public_id=1, url=None, impact_pending=False)
        ledger.mark_sending("f", run, "h")
        ledger.mark_failed("f", run, "400")
        ledger.mark_planned(run, [(key, None, "new") for key in "sucf"])
        statuses = {key: ledger.get(key).status for key in "sucf"}  # type: ignore[union-attr]
        assert statuses == {"s": "sending", "u": "unknown", "c": "created", "f": "planned"}


def test_committed_writes_survive_a_connection_that_never_closes(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    ledger = Ledger(path)
    run = ledger.start_run("push", None)
    ledger.mark_sending("a", run, "h")
    # Another process reading while the writer is still open (as after a SIGKILL).
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as reader:
        assert reader.execute("SELECT status FROM records").fetchall() == [("sending",)]
    ledger.close()


def test_a_file_that_is_not_a_ledger_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "x.db"
    bogus.write_text("not sqlite at all, just text " * 100)
    with pytest.raises(ConfigError, match="cannot be used as a ledger"):
        Ledger(bogus)


def test_a_record_is_claimed_only_from_a_claimable_status(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        run = ledger.start_run("push", None)
        ledger.mark_planned(run, [(key, None, "h") for key in "pcuf"])
        ledger.mark_sending("c", run, "h")
        ledger.mark_created("c", run, incident_id="i", public_id=1, url=None, impact_pending=False)
        ledger.mark_sending("u", run, "h")
        ledger.mark_unknown("u", run, "timeout")
        ledger.mark_failed("f", run, "400")
        granted = {key: ledger.claim(key, "other", "h2") for key in "pcuf"}
        assert granted == {"p": True, "c": False, "u": False, "f": True}
        assert ledger.claim("p", "third", "h3") is False  # held by "other" now
        assert ledger.claim("absent", "other", "h") is False
        statuses = {key: ledger.get(key).status for key in "pcuf"}  # type: ignore[union-attr]
        assert statuses == {"p": "sending", "c": "created", "u": "unknown", "f": "sending"}
        p = ledger.get("p")
        assert p is not None
        assert (p.send_run, p.payload_hash) == ("other", "h2")
        # A refused claim leaves no event; a granted one does.
        assert ledger.events("c").get_column("status").to_list() == ["sending", "created"]
        assert ledger.events("p").get_column("status").to_list() == ["sending"]


@pytest.mark.slow  # waits out the 3 s a second writer is given
def test_one_writer_at_a_time_and_the_lock_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    with Ledger(path) as first, Ledger(path) as second:
        first.start_run("push", None)
        with pytest.raises(LedgerBusyError, match=r"l\.db is in use by process \d+ \(push"):
            second.lock("push", wait=0.1)
        with pytest.raises(LedgerBusyError, match="another --ledger"):
            second.start_run("reconcile", None)
        assert second.counts()["planned"] == 0  # reading needs no lock
        first.unlock()
        second.lock("push", wait=0.1)
        assert second.locked


def test_the_lock_frees_itself_when_its_process_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from ddinc.push import Ledger\n"
            f"ledger = Ledger({str(path)!r}); ledger.lock('push')\n"
            "print('locked', flush=True); time.sleep(60)\n",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"locked"
        with Ledger(path) as ledger:
            with pytest.raises(LedgerBusyError):
                ledger.lock("push", wait=0.1)
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=30)
            ledger.lock("push", wait=5)
            assert ledger.locked
    finally:
        holder.kill()
        holder.communicate(timeout=30)


def test_a_ledger_keeps_its_target_and_refuses_another(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.start_run("push", "http://127.0.0.1:8126/")
        ledger.finish_run(ledger.runs().get_column("run_id")[0], {})
        assert ledger.target == "http://127.0.0.1:8126"
        ledger.check_target("HTTP://127.0.0.1:8126")  # the same root, spelled otherwise
        with pytest.raises(LedgerTargetError) as refused:
            ledger.start_run("rollback", "http://127.0.0.1:9999")
        message = str(refused.value)
        assert "http://127.0.0.1:8126" in message
        assert "http://127.0.0.1:9999" in message
        assert "new --ledger" in message


def test_a_version_1_ledger_is_upgraded_from_its_audit_trail(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(_V1_SCHEMA)
        db.executemany(
            "INSERT INTO records (row_key, status, run_id, incident_id, updated) "
            "VALUES (?, ?, ?, ?, 'now')",
            [("a", "created", "run1", "i-a"), ("b", "created", "rec1", "i-b")],
        )
        db.executemany(
            "INSERT INTO events (at, run_id, row_key, status, detail) VALUES (?, ?, ?, ?, ?)",
            [
                ("t1", "run1", "a", "sending", None),
                ("t2", "run1", "a", "created", "i-a"),
                ("t1", "run1", "b", "sending", None),
                ("t3", "rec1", "b", "created", "found by reconcile: i-b"),
            ],
        )
        db.execute(
            "INSERT INTO runs (run_id, kind, target, started) VALUES ('run1', 'push', ?, 't0')",
            ("http://h:1",),
        )
        db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        db.commit()
    with Ledger(path) as ledger:
        a, b = ledger.get("a"), ledger.get("b")
        assert a is not None
        assert b is not None
        assert (a.learned, a.send_run, a.first_sent) == ("sent", "run1", "t1")
        assert (b.learned, b.send_run) == ("adopted", "run1")  # may be another ledger's
        assert ledger.meta("schema_version") == "2"
        assert ledger.target == "http://h:1"  # read from its runs


def test_a_ledger_that_cannot_be_written_is_refused_when_locked(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    with Ledger(path) as ledger:
        ledger.connection.execute("PRAGMA query_only = ON")  # read-only, even for root
        with pytest.raises(LedgerWriteError, match=r"cannot write the ledger .*l\.db.*writable"):
            ledger.lock("push")
        assert not ledger.locked


_V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT, started TEXT NOT NULL,
    finished TEXT, summary TEXT
);
CREATE TABLE records (
    row_key TEXT PRIMARY KEY, status TEXT NOT NULL, title TEXT, payload_hash TEXT,
    run_id TEXT, incident_id TEXT, public_id INTEGER, url TEXT, reason TEXT,
    impact_status TEXT, impact_id TEXT, impact_reason TEXT, updated TEXT NOT NULL
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, run_id TEXT, row_key TEXT,
    status TEXT NOT NULL, detail TEXT
);
"""
