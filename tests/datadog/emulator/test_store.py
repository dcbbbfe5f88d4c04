"""The store: incidents and impacts, one lock, public ids never reused."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from ddinc.datadog.emulator.store import Store, StoredImpact, StoredIncident

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def incident(public_id: int, title: str = "t") -> StoredIncident:
    return StoredIncident(
        id=str(uuid.uuid4()),
        public_id=public_id,
        title=title,
        incident_type_uuid="78c28187-0d2b-4674-a279-bd34eb95b90e",
        visibility="organization",
        fields={"state": "active", "severity": "SEV-1", "teams": ["db"]},
        created=T0,
        modified=T0,
        detected=T0,
        declared=T0,
        resolved=None,
        created_by_id="u",
        declared_by_id="u",
    )


def impact(incident_id: str) -> StoredImpact:
    return StoredImpact(
        id=str(uuid.uuid4()),
        incident_id=incident_id,
        description="d",
        start_at=T0,
        end_at=None,
        created=T0,
        modified=T0,
        created_by_id="u",
    )


def test_incidents_get_consecutive_public_ids_and_read_back() -> None:
    store = Store(first_public_id=7)
    first = store.add_incident(incident)
    second = store.add_incident(incident)
    assert (first.public_id, second.public_id, store.next_public_id) == (7, 8, 9)
    assert (first.slug, first.state, first.severity) == ("IR-7", "active", "SEV-1")
    assert store.incident(first.id) == first
    assert store.incidents() == [first, second]


def test_deleting_removes_the_incident_and_its_impacts_only() -> None:
    store = Store()
    kept, gone = store.add_incident(incident), store.add_incident(incident)
    kept_impact = store.add_impact(impact(kept.id), modified=T0)
    store.add_impact(impact(gone.id), modified=T0)
    assert store.delete_incident(gone.id) is True
    assert store.delete_incident(gone.id) is False
    assert store.impacts() == [kept_impact]


def test_an_impact_on_a_missing_incident_is_not_stored() -> None:
    store = Store()
    assert store.add_impact(impact("nope"), modified=T0) is None
    assert store.impacts() == []


def test_clear_forgets_incidents_but_keeps_counting() -> None:
    store = Store()
    store.add_incident(incident)
    store.clear()
    assert store.incidents() == []
    assert store.add_incident(incident).public_id == 2


def test_threads_adding_at_once_never_share_a_public_id() -> None:
    store = Store()

    def add_many() -> None:
        for _ in range(200):
            store.add_incident(incident)

    threads = [threading.Thread(target=add_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(i.public_id for i in store.incidents()) == list(range(1, 1601))


@given(st.lists(st.booleans(), max_size=60))
def test_public_ids_only_grow_whatever_is_deleted(adds_and_deletes: list[bool]) -> None:
    store = Store()
    handed_out: list[int] = []
    for add in adds_and_deletes:
        live = store.incidents()
        if add or not live:
            handed_out.append(store.add_incident(incident).public_id)
        else:
            store.delete_incident(live[0].id)
    assert handed_out == sorted(set(handed_out))
    assert store.next_public_id == len(handed_out) + 1
