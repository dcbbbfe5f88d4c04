"""The ledger: statuses, never downgraded by a plan, readable after a kill, free of keys."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ddinc.errors import ConfigError
from ddinc.push import Ledger


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
