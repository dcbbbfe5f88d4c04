"""The whole Cleaner: panels clicked through their buttons, the table kept in step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from ddinc.clean import Recipe
from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator
from ddinc.push import Connection
from ddinc.schema import TIMESTAMPS
from ddinc.widgets import Cleaner, datadog_users
from tests.clean.conftest import CONTEXT, frame_of, incident
from tests.widgets.conftest import USERS

MOMENT = datetime(2012, 5, 1, 12, 0, tzinfo=UTC)
UPDATES = (
    "<li><strong>2011-07-28 03:06:00</strong> - Investigating.</li>"
    "<li><strong>2011-07-28 04:12:00</strong> - Resolved.</li>"
)


@pytest.fixture
def connection() -> Iterator[Connection]:
    """The notebook's choice in tests too: the embedded emulator, served over loopback."""
    with Emulator().serve() as url:
        yield Connection.of(base_url=url, api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY)


def _cleaner(**kwargs: object) -> Cleaner:
    frame = frame_of(
        incident(teams=["Payments"], commander="Ann Lee"),
        incident(teams=["payments"], commander="ann lee"),
        incident(
            source="statuspage",
            **{name: MOMENT for name in TIMESTAMPS if name not in ("detected", "impact_end")},
            detected=None,
            impact_end=None,
            **{"field.updates": UPDATES},
        ),
    )
    return Cleaner(frame, users=USERS, check_context=CONTEXT, **kwargs)  # type: ignore[arg-type]


def test_accepting_a_suggestion_applies_it_and_refreshes_the_table() -> None:
    cleaner = _cleaner()
    assert cleaner.suggestions.suggestions == []  # computed when asked, never on their own
    cleaner.suggestions.find.click()
    titles = [s.title for s in cleaner.suggestions.suggestions]
    index = next(i for i, t in enumerate(titles) if t.startswith("back-filled"))
    assert any(v[0] == "zero_length_incident" for v in cleaner.table.facets["check"])
    cleaner.suggestions.buttons[index].click()
    assert cleaner.suggestions.accepted == [titles[index]]
    assert all(v[0] != "zero_length_incident" for v in cleaner.table.facets["check"])
    row = cleaner.cleaned_frame().filter(pl.col("source") == "statuspage").row(0, named=True)
    assert row["declared"] == datetime(2011, 7, 28, 3, 6, tzinfo=UTC)
    cleaner.undo()
    assert any(v[0] == "zero_length_incident" for v in cleaner.table.facets["check"])


def test_cluster_panel_merges_a_cluster() -> None:
    cleaner = _cleaner()
    cleaner.clusters.find.click()
    assert [c.values for c in cleaner.clusters.clusters] == [(("payments", 2), ("Payments", 1))]
    cleaner.clusters.merge_buttons[0].click()
    assert cleaner.cleaned_frame()["teams"].to_list() == [["payments"]] * 3
    assert "merge teams" in cleaner.edits[-1]
    assert cleaner.table.history[-1]["done"]


def test_people_panel_proposes_and_maps_users() -> None:
    cleaner = _cleaner()
    assert cleaner.people.people == []  # computed when its tab is shown
    cleaner.panels.selected_index = 2
    people = {p.name: p for p in cleaner.people.people}
    assert people["Ann Lee"].proposal == USERS[0]
    assert cleaner.people.pickers["Ann Lee"].value == "ann.lee@example.com"
    cleaner.people.map("Ann Lee")
    assert cleaner.cleaned_frame()["commander"].to_list()[:2] == ["ann.lee@example.com"] * 2
    assert "Ann Lee" not in {p.name for p in cleaner.people.people}


def test_bulk_selection_and_recipe_panels(tmp_path: Path) -> None:
    cleaner = _cleaner()
    cleaner.table.handle({"type": "toggle", "facet": "source", "value": "pagerduty"})
    cleaner.bulk.column.value = "severity"
    cleaner.bulk.value.value = "SEV-1"
    cleaner.bulk.apply.click()
    assert cleaner.cleaned_frame()["severity"].to_list() == ["SEV-1", "SEV-1", "SEV-2"]
    cleaner.selection.children[1].children[0].click()
    assert cleaner.selected_keys() == ["pagerduty:PD-0", "pagerduty:PD-1"]
    cleaner.recipe_panel.path.value = str(tmp_path / "r.json")
    saved = cleaner.recipe_panel.save()
    assert Recipe.load(saved) == cleaner.recipe
    assert "def clean(frame)" in cleaner.recipe_panel.show_code()


def test_no_server_of_its_own_users_and_push_come_from_the_connection(
    connection: Connection,
) -> None:
    alone = _cleaner()
    assert alone.push.connection is None
    assert alone.push.plan_button.disabled
    emails = {user.email.lower() for user in datadog_users(connection=connection)}
    assert "ann.lee@example.com" in emails
    assert datadog_users() == []


def test_push_panel_sends_exactly_the_plan_it_shows(tmp_path: Path, connection: Connection) -> None:
    cleaner = _cleaner(connection=connection, ledger=tmp_path / "ledger.sqlite")
    cleaner.push.plan_button.click()
    assert cleaner.push.plan is None
    assert "Select rows" in cleaner.push.output.value
    cleaner.table.handle({"type": "select", "key": "pagerduty:PD-0", "on": True})
    cleaner.table.handle({"type": "select", "key": "pagerduty:PD-1", "on": True})
    cleaner.push.plan_button.click()
    plan = cleaner.push.plan
    assert plan is not None
    assert sorted(plan.frame["row_key"]) == ["pagerduty:PD-0", "pagerduty:PD-1"]
    assert "payloads" in cleaner.push.output.value
    assert not cleaner.push.stale
    # A tick after planning: the plan shown is stale, and Push plans again before sending.
    cleaner.table.handle({"type": "select", "key": "statuspage:PD-2", "on": True})
    key = cleaner.selected_keys()[-1]
    assert cleaner.push.stale
    cleaner.push.refresh()
    assert "stale" in cleaner.push.status.value
    cleaner.push.push_button.click()
    result = cleaner.push.result
    assert result is not None
    sent = cleaner.push.pushed_plan
    assert sent is not None
    assert sorted(sent.frame["row_key"]) == sorted(["pagerduty:PD-0", "pagerduty:PD-1", key])
    assert sorted(result.frame["row_key"]) == sorted(sent.frame["row_key"])
    assert result.counts()["created"] == len(sent.ready) == 2
    # Pushing again sends nothing new: the ledger remembers.
    cleaner.push.push_button.click()
    again = cleaner.push.result
    assert again is not None
    assert (again.counts()["created"], again.counts()["skipped"]) == (0, 2)
