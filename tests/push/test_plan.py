"""Plan = run: every row the plan calls ready is accepted; the plan's payload is what is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ddinc
from ddinc import synth
from ddinc.datadog.emulator import Emulator
from ddinc.payloads import PayloadOptions
from ddinc.push import plan, push
from ddinc.synth import mapping_beside
from tests.conftest import ROOT

# The sample exports ddinc synth writes (not its mapping or recipe files).
SAMPLES = sorted(
    ROOT / "data" / name for name in synth.SAMPLES if name.endswith((".csv", ".json", ".jsonl"))
)


def _load(path: Path) -> ddinc.LoadResult:
    return ddinc.load(path, mapping_beside(path))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_ready_row_of_every_sample_is_created_without_a_400(
    path: Path, emulator: Emulator, connect: dict[str, Any], tmp_path: Path
) -> None:
    loaded = _load(path)
    options = PayloadOptions(unknown_fields="drop")
    planned = plan(loaded, ledger=tmp_path / "l.db", options=options, **connect)
    ready = {row.row_key: row.payload for row in planned.ready}
    assert ready, "a sample with nothing ready proves nothing"
    result = push(loaded, ledger=tmp_path / "l.db", options=options, progress=False, **connect)
    assert 400 not in emulator.status_counts()
    assert result.counts()["created"] == len(ready)
    assert result.counts()["held"] == planned.counts()["held"]
    assert sum(result.counts().values()) == loaded.incidents.height
    # The plan's payloads are what the emulator stored.
    stored = {str(i.fields["legacy_id"]): i for i in emulator.incidents}
    assert set(stored) == set(ready)
    for key, payload in ready.items():
        assert payload.request is not None
        attributes = payload.request.data.attributes
        assert stored[key].title == attributes.title
        assert stored[key].declared == attributes.declared
        if attributes.resolved is not None:
            # (Without one, the org stamps a resolved incident with the import time.)
            assert stored[key].resolved == attributes.resolved


def test_the_plan_reads_the_ledger_created_changed_and_held(
    connect: dict[str, Any], tmp_path: Path
) -> None:
    loaded = _load(ROOT / "data" / "servicenow_event_log.csv")
    ledger = tmp_path / "l.db"
    push(loaded, ledger=ledger, progress=False, **connect)
    again = plan(loaded, ledger=ledger, **connect)
    counts = again.counts()
    assert counts["ready"] == 0
    assert counts["created"] + counts["held"] == loaded.incidents.height
    # The incident table export names the same incidents with other payloads: changed.
    other = _load(ROOT / "data" / "servicenow_incidents.csv")
    changed = plan(other, ledger=ledger, **connect)
    assert changed.counts()["changed"] > 0
    assert changed.frame.filter(status="changed")["reason"].str.contains("not re-sent").all()


def test_where_selects_rows_with_sql(connect: dict[str, Any]) -> None:
    loaded = _load(ROOT / "data" / "jira_incidents.csv")
    planned = plan(loaded, where="severity = 'SEV-2'", **connect)
    assert 0 < len(planned.rows) < loaded.incidents.height
    with pytest.raises(ddinc.ConfigError, match="not a SQL condition"):
        plan(loaded, where="severity ===", **connect)
