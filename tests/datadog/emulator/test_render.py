"""Response bodies: timestamps printed like Datadog's, derived durations, facets, errors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ddinc.datadog.emulator import Org
from ddinc.datadog.emulator.render import api_error, incident_resource, jsonapi_error, rfc3339
from ddinc.datadog.emulator.search import search_response
from ddinc.datadog.emulator.store import StoredImpact, StoredIncident
from ddinc.datadog.emulator.validate import parse_timestamp
from tests.datadog.emulator.conftest import DEFAULT_TYPE, KEY_OWNER

ORG = Org.default()
T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)


def incident(**changes: object) -> StoredIncident:
    base = StoredIncident(
        id=str(uuid.uuid4()),
        public_id=1,
        title="t",
        incident_type_uuid=DEFAULT_TYPE,
        visibility="organization",
        fields={"state": "resolved", "severity": "SEV-2"},
        created=T0 + timedelta(days=30),
        modified=T0 + timedelta(days=30),
        detected=T0 + timedelta(minutes=5),
        declared=T0 + timedelta(minutes=7),
        resolved=T0 + timedelta(hours=2),
        created_by_id=KEY_OWNER,
        declared_by_id=KEY_OWNER,
    )
    return StoredIncident(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def impact(incident_id: str, start: datetime, end: datetime | None) -> StoredImpact:
    return StoredImpact(str(uuid.uuid4()), incident_id, "d", start, end, T0, T0, KEY_OWNER)


def test_rfc3339_prints_like_go_with_trailing_zeros_trimmed() -> None:
    # The recorded import 201 printed "2026-02-23T14:06:47.048266Z".
    assert (
        rfc3339(datetime(2026, 2, 23, 14, 6, 47, 48266, tzinfo=UTC))
        == "2026-02-23T14:06:47.048266Z"
    )
    assert rfc3339(datetime(2025, 1, 1, tzinfo=UTC)) == "2025-01-01T00:00:00Z"
    assert rfc3339(datetime(2025, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)) == "2025-01-01T00:00:00.5Z"


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1)))
def test_rfc3339_reads_back_as_the_same_instant(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC)
    assert parse_timestamp(rfc3339(aware)) == aware


def test_durations_follow_the_timeline_definitions_in_seconds() -> None:
    stored = incident()
    impacts = [
        impact(stored.id, T0, T0 + timedelta(minutes=50)),
        impact(stored.id, T0 + timedelta(minutes=1), T0 + timedelta(minutes=90)),
    ]
    attrs = incident_resource(stored, ORG, impacts)["attributes"]
    assert attrs["customer_impact_start"] == T0.isoformat()
    assert attrs["customer_impact_end"] == (T0 + timedelta(minutes=90)).isoformat()
    assert attrs["customer_impact_duration"] == 90 * 60
    assert attrs["time_to_detect"] == 5 * 60  # impact start -> detected
    assert attrs["time_to_internal_response"] == 2 * 60  # detected -> declared
    assert attrs["time_to_resolve"] == (120 - 7) * 60  # declared -> resolved
    assert attrs["time_to_repair"] == (90 - 5) * 60  # detected -> impact end


def test_an_ongoing_impact_has_no_end_and_no_duration() -> None:
    stored = incident(resolved=None, fields={"state": "active"})
    attrs = incident_resource(stored, ORG, [impact(stored.id, T0, None)])["attributes"]
    assert attrs["customer_impact_end"] is None
    assert (
        attrs["customer_impact_duration"],
        attrs["time_to_repair"],
        attrs["time_to_resolve"],
    ) == (0, 0, 0)
    no_impact = incident_resource(stored, ORG, [])["attributes"]
    assert (no_impact["customer_impacted"], no_impact["time_to_detect"]) == (False, 0)


def test_search_facets_count_every_match_and_page_only_some() -> None:
    matches = [
        incident(public_id=n, fields={"state": s, "severity": "SEV-1"})
        for n, s in enumerate(["active", "active", "resolved"])
    ]
    body = search_response(matches, matches[:1], 0, ORG, {}, include_users=True)
    attrs = body["data"]["attributes"]
    assert attrs["total"] == 3
    assert len(attrs["incidents"]) == 1
    state = {f["name"]: f["count"] for f in attrs["facets"]["state"]}
    assert state == {"active": 2, "resolved": 1, "stable": 0}
    assert sum(f["count"] for f in attrs["facets"]["severity"]) == 3
    assert [u["id"] for u in body["included"]] == [KEY_OWNER]
    assert body["meta"]["pagination"] == {"offset": 0, "next_offset": 1, "size": 1}


def test_both_error_shapes() -> None:
    assert api_error("a", "b") == {"errors": ["a", "b"]}
    assert jsonapi_error(404, "Not Found", "gone") == {
        "errors": [{"status": "404", "title": "Not Found", "detail": "gone"}]
    }
