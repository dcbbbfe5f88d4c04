"""Rows to import requests: the org's rules, people, provenance, and the strict model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.checks import run_checks
from ddinc.datadog import DatadogClient, IncidentImportRequest
from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator
from ddinc.payloads import (
    OrgConfig,
    PayloadOptions,
    build_payload,
    normalize_email,
    org_config,
    payload_hash,
)
from ddinc.push.plan import blocking_reasons
from ddinc.rowkey import with_row_keys
from ddinc.schema import CANONICAL_SCHEMA, STATES

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def org() -> OrgConfig:
    """The emulator's default org, read through its endpoints, every user looked up."""
    emulator = Emulator()
    with DatadogClient(
        base_url="http://emulator.local",
        api_key=DEMO_API_KEY,
        app_key=DEMO_APP_KEY,
        transport=emulator.sync_transport(),
    ) as client:
        return org_config(
            client.list_incident_types(), client.list_user_defined_fields(), client.iter_users()
        )


def row(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "row_key": "jira:OPS-1",
        "title": "Checkout down",
        "state": "resolved",
        "severity": "SEV-2",
        "declared": T0,
        "resolved": T0 + timedelta(hours=1),
    }
    return {**base, **values}


def test_a_clean_row_becomes_the_request_with_its_row_key(org: OrgConfig) -> None:
    payload = build_payload(row(teams=["payments"]), org)
    assert payload.ready, payload.reasons
    assert payload.request is not None
    body = payload.request.payload()["data"]["attributes"]
    assert body["fields"]["legacy_id"] == {"value": "jira:OPS-1"}
    assert body["fields"]["teams"] == {"value": ["payments"]}
    assert body["resolved"] == "2024-03-01T13:00:00Z"
    assert "incident_type_uuid" not in body  # the default type


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"severity": "SEV-0"}, "'SEV-0' not among the org's values"),
        ({"state": "completed", "resolved": None}, "'completed' not among the org's values"),
        ({"state": "active"}, "accepts a resolved time only with fields.state"),
        ({"title": "   "}, "the title is blank"),
        ({"title": "x" * 1025}, "over Datadog's limit of 1024"),
        ({"incident_type": "Outage"}, "incident type 'Outage' is not one of the org's"),
        ({"field.customer_tier": "gold"}, "'gold' not among the org's values"),
        ({"field.environment": "prod; qa"}, "not among the org's values"),
        ({"field.root_cause": ["a", "b"]}, "2 values, but the org's field takes one"),
        ({"field.nonsense": "x"}, "has no such field"),
        ({"field.legacy_id": "x"}, "would overwrite the provenance field"),
        ({"visibility": "public"}, "visibility 'public' is not one of"),
        ({"impact_start": T0, "impact_end": T0 - timedelta(hours=1)}, "impact"),
    ],
)
def test_what_the_org_or_the_api_would_refuse_is_held_with_the_reason(
    org: OrgConfig, values: dict[str, Any], expected: str
) -> None:
    payload = build_payload(row(**values), org)
    assert not payload.ready
    assert payload.request is None
    assert any(expected in reason for reason in payload.reasons), payload.reasons


def test_a_field_of_one_type_only_follows_the_incident_type(org: OrgConfig) -> None:
    security = build_payload(
        row(incident_type="security incident", **{"field.data_classification": "internal"}), org
    )
    assert security.ready, security.reasons
    assert security.request is not None
    assert security.request.data.attributes.incident_type_uuid is not None
    default = build_payload(row(**{"field.data_classification": "internal"}), org)
    assert any("has no such field" in r for r in default.reasons)


def test_notes_are_evidence_never_a_field(org: OrgConfig) -> None:
    # The default statuspage source fills notes: a push must not hold the row over them.
    payload = build_payload(row(notes=["2024-03-01T12:00:00Z resolved: fixed"]), org)
    assert payload.ready, payload.reasons
    assert payload.request is not None
    body = payload.request.payload()["data"]["attributes"]
    assert "notes" not in body["fields"]
    assert "fixed" not in str(body)


def test_unknown_fields_can_be_dropped_for_the_run(org: OrgConfig) -> None:
    payload = build_payload(
        row(**{"field.urgency": "high"}), org, PayloadOptions(unknown_fields="drop")
    )
    assert payload.ready
    assert any("urgency" in note for note in payload.notes)


def test_people_match_by_email_trimmed_any_case_and_by_the_hand_table(org: OrgConfig) -> None:
    ann = org.users[normalize_email("ann.lee@example.com")]
    by_email = build_payload(row(commander="  ANN.LEE@example.COM "), org)
    assert by_email.request is not None
    relations = by_email.request.data.relationships
    assert relations is not None
    assert relations.commander_user is not None
    assert relations.commander_user.data.id == ann.id
    table = PayloadOptions(people={"ann lee": "Ann.Lee@Example.com"})
    by_name = build_payload(row(declared_by="Ann  Lee"), org, table)
    assert by_name.request is not None
    assert by_name.request.data.relationships is not None
    assert by_name.request.data.relationships.declared_by_user is not None


def test_unmapped_people_are_sent_absent_or_held_as_the_run_chooses(org: OrgConfig) -> None:
    absent = build_payload(row(commander="Nobody Known"), org)
    assert absent.ready
    assert absent.request is not None
    assert absent.request.data.relationships is None
    assert any("map the name in the people table" in note for note in absent.notes)
    held = build_payload(row(commander="Nobody Known"), org, PayloadOptions(unmapped_people="hold"))
    assert not held.ready


def test_disabled_and_pending_users_are_reported(org: OrgConfig) -> None:
    payload = build_payload(
        row(commander="dan.okafor@example.com", declared_by="eve.nakamura@example.com"), org
    )
    assert payload.ready
    assert any("disabled" in note for note in payload.notes)
    assert any("pending" in note for note in payload.notes)


def test_a_row_failing_an_error_check_builds_nothing(org: OrgConfig) -> None:
    payload = build_payload(row(), org, blocked=["title_missing: no title"])
    assert payload.request is None
    assert payload.reasons == ("title_missing: no title",)


def test_the_hash_changes_with_the_payload_only(org: OrgConfig) -> None:
    one = build_payload(row(), org)
    assert one.hash == build_payload(row(), org).hash
    assert one.hash != build_payload(row(title="Checkout down!"), org).hash
    assert one.request is not None
    assert payload_hash(one.request) == one.hash


# -- the property: error-level checks and the strict model agree --------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
_TIMES = st.none() | st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(1, 6))
    records = []
    for number in range(n):
        records.append(
            {
                "source": "prop",
                "source_id": draw(st.sampled_from([f"P-{number}", "P-dup", "", None])),
                "title": draw(st.none() | _TEXT | st.just("y" * 1100)),
                "state": draw(st.none() | st.sampled_from(STATES)),
                "severity": draw(st.none() | st.sampled_from(["SEV-1", "SEV-3", "UNKNOWN"])),
                "impact_start": draw(_TIMES),
                "detected": draw(_TIMES),
                "declared": draw(_TIMES),
                "resolved": draw(_TIMES),
                "impact_end": draw(_TIMES),
                "teams": draw(st.lists(_TEXT.filter(str.strip), max_size=2)),
            }
        )
    frame = pl.DataFrame(records, schema={name: CANONICAL_SCHEMA[name] for name in records[0]})
    missing = [n for n in CANONICAL_SCHEMA.names() if n not in frame.columns and n != "row_key"]
    frame = frame.with_columns(pl.lit(None, dtype=CANONICAL_SCHEMA[n]).alias(n) for n in missing)
    return with_row_keys(frame.select([n for n in CANONICAL_SCHEMA.names() if n != "row_key"]))


@given(frame=frames())
def test_passing_the_error_checks_builds_a_request_the_strict_model_accepts(
    org: OrgConfig, frame: pl.DataFrame
) -> None:
    blocked = blocking_reasons(frame, run_checks(frame))
    for record in frame.iter_rows(named=True):
        key = record["row_key"]
        payload = build_payload(record, org, blocked=blocked.get(key, ()))
        if key in blocked:
            assert payload.request is None  # never reaches the wire
            continue
        # Only the org can still refuse a row that passes the checks; never the API's rules.
        api_rules = ("title", "resolved", "detected", "declared", "data.")
        assert not [r for r in payload.reasons if r.startswith(api_rules)], payload.reasons
        if payload.request is not None:
            again = IncidentImportRequest.model_validate_json(payload.request.model_dump_json())
            assert again.payload() == payload.request.payload()


@given(frame=frames())
def test_every_request_carries_its_times_never_left_for_the_server(
    org: OrgConfig, frame: pl.DataFrame
) -> None:
    for record in frame.iter_rows(named=True):
        payload = build_payload(record, org)
        times = {time.name: time for time in payload.times}
        assert set(times) == {"detected", "declared", "resolved"}
        if payload.request is None:
            continue
        body = payload.request.payload()["data"]["attributes"]
        assert body["declared"] is not None
        assert body["detected"] is not None
        if record["state"] == "resolved":
            assert body["resolved"] is not None
        expected_from = (
            "detected"
            if record["detected"] is not None
            else "impact_start"
            if record["impact_start"] is not None
            else "declared"
        )
        assert times["detected"].source == expected_from
        assert times["detected"].value == record[expected_from]


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"declared": None}, "no declared time"),
        ({"resolved": None}, "state is resolved but there is no resolved time"),
    ],
)
def test_a_time_the_server_would_stamp_holds_the_row_with_the_fix(
    org: OrgConfig, values: dict[str, Any], reason: str
) -> None:
    payload = build_payload(row(**values), org)
    assert payload.request is None
    (held,) = payload.reasons
    assert held.startswith(reason)
    assert "ddinc suggest" in held


def test_a_missing_detected_time_is_the_impact_start_else_the_declared_time(
    org: OrgConfig,
) -> None:
    start = T0 - timedelta(minutes=5)
    with_impact = build_payload(row(impact_start=start), org)
    assert with_impact.request is not None
    assert with_impact.request.data.attributes.detected == start
    assert "sent as the impact start" in with_impact.notes[0]
    bare = build_payload(row(), org)
    assert bare.request is not None
    assert bare.request.data.attributes.detected == T0
    assert "sent as the declared" in bare.notes[0]


def test_a_title_holding_nul_is_held(org: OrgConfig) -> None:
    payload = build_payload(row(title="Disk\x00 full"), org)
    assert payload.request is None
    assert "NUL" in payload.reasons[0]
