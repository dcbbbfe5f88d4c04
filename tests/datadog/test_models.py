"""Strict requests, lenient responses, and every recorded Datadog answer parses."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from ddinc.datadog.models import (
    TITLE_MAX_CHARS,
    FieldValue,
    IncidentImpactCreateRequest,
    IncidentImportRequest,
    IncidentImportResponse,
    IncidentResponse,
    IncidentSearchResponse,
    IncidentTypeListResponse,
    IncludedUser,
    Resource,
    UserDefinedFieldListResponse,
    UserResponse,
    UsersResponse,
    error_messages,
)
from ddinc.errors import InvalidRequestError
from tests.conftest import shared_path

T0 = datetime(2024, 1, 12, 15, 45, tzinfo=UTC)

# (method, path pattern) -> the model a 2xx body of that route must parse into.
ROUTES: list[tuple[str, str, type[BaseModel]]] = [
    ("POST", r"/api/v2/incidents/import", IncidentImportResponse),
    ("POST", r"/api/v2/incidents", IncidentResponse),  # the legacy create, same incident shape
    ("GET", r"/api/v2/incidents/search", IncidentSearchResponse),
    ("GET", r"/api/v2/incidents/[^/]+", IncidentResponse),
    ("GET", r"/api/v2/users", UsersResponse),
    ("POST", r"/api/v2/users", UserResponse),
]


def _recordings() -> list[Path]:
    return sorted(shared_path("datadog", "recorded").glob("*.json"))


def _route(method: str, url: str) -> type[BaseModel] | None:
    path = re.sub(r"^https://[^/]+", "", url).split("?")[0]
    for route_method, pattern, model in ROUTES:
        if method == route_method and re.fullmatch(pattern, path):
            return model
    return None


def _interactions() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in _recordings():
        for i, interaction in enumerate(json.loads(path.read_text())["interactions"]):
            found.append((f"{path.stem}#{i}", interaction))
    return found


def _pairs(sent: Any, kept: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    if isinstance(sent, list):
        assert len(sent) == len(kept)
        return list(zip(sent, kept, strict=True))
    return [(sent, kept)]


def test_every_recorded_response_is_read() -> None:
    checked = 0
    for name, interaction in _interactions():
        request, response = interaction["request"], interaction["response"]
        status, body = response["status"], response.get("body")
        if response.get("expected_only") or request["url"].endswith("/logs/events"):
            continue  # no real answer recorded / not an incidents endpoint
        if status == 204:
            assert body in ("", None), name
        elif 200 <= status < 300:
            model = _route(request["method"], request["url"])
            assert model is not None, f"{name}: no model for {request['method']} {request['url']}"
            parsed = model.model_validate(body)
            # Lenient: every key Datadog sent survives, known or not.
            dumped = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
            for sent, kept in _pairs(body["data"], dumped["data"]):
                assert set(kept) == set(sent), name
                if "attributes" in sent:
                    assert set(kept["attributes"]) == set(sent["attributes"]), name
        else:
            messages = error_messages(json.dumps(body))
            assert messages, name
            assert all(message.strip() for message in messages), name
        checked += 1
    assert checked >= 14


def test_the_recorded_import_answer_gives_id_slug_and_fields() -> None:
    recorded = json.loads(
        shared_path("datadog", "recorded", "import_incident_created.json").read_text()
    )
    created = IncidentImportResponse.model_validate(recorded["interactions"][0]["response"]["body"])
    assert created.incident_id == "e2fe83b8-e433-476f-bf2c-d076aee55bed"
    assert created.data.public_id == 338022
    assert created.data.slug == "IR-338022"
    attributes = created.data.attributes
    assert attributes is not None
    assert attributes.fields is not None
    assert attributes.fields["state"].type == "dropdown"
    assert attributes.fields["state"].value == "active"
    # The server filled detected = declared = created when the request had none.
    assert attributes.detected == attributes.declared == attributes.created
    assert attributes.created == datetime(2026, 2, 23, 14, 6, 47, 48266, tzinfo=UTC)


def test_included_items_are_told_apart_by_type() -> None:
    body = {
        "data": {"id": "i-1", "type": "incidents", "attributes": {"title": "t"}},
        "included": [
            {"id": "u-1", "type": "users", "attributes": {"email": "a@b.c", "uuid": "u-1"}},
            {
                "id": "t-1",
                "type": "incident_types",
                "attributes": {"name": "Security", "is_default": True},
            },
            {"id": "x", "type": "something_new", "attributes": {"k": 1}},
        ],
    }
    parsed = IncidentImportResponse.model_validate(body)
    assert parsed.included is not None
    user, incident_type, other = parsed.included
    assert isinstance(user, IncludedUser)
    assert user.attributes is not None
    assert user.attributes.email == "a@b.c"
    assert incident_type.type == "incident_types"
    assert isinstance(other, Resource)
    assert other.type == "something_new"


def test_user_defined_fields_from_the_spec_example_parse() -> None:
    import yaml

    spec = yaml.safe_load(shared_path("datadog", "openapi-incidents.yaml").read_text())
    operation = spec["paths"]["/api/v2/incidents/config/user-defined-fields"]["get"]
    example = operation["responses"]["200"]["content"]["application/json"]["examples"]["default"]
    parsed = UserDefinedFieldListResponse.model_validate(example["value"])
    field = parsed.data[0].attributes
    assert field.name == "root_cause"
    assert field.type == 1
    assert [v.value for v in field.valid_values or []] == ["service_bug"]
    types = IncidentTypeListResponse.model_validate(
        {
            "data": [
                {
                    "id": "t",
                    "type": "incident_types",
                    "attributes": {"name": "X", "createdAt": "2024-01-01T00:00:00Z"},
                }
            ]
        }
    )
    assert types.data[0].attributes is not None
    assert types.data[0].attributes.created_at == datetime(2024, 1, 1, tzinfo=UTC)


# ------------------------------------------------------------------------------- requests


def test_a_full_request_serializes_as_the_spec_example() -> None:
    request = IncidentImportRequest.of(
        "Imported incident from external system",
        detected=datetime(2025, 1, 1, tzinfo=UTC),
        declared=datetime(2025, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1))),  # = 00:00Z
        resolved=datetime(2025, 1, 1, 1, 0, tzinfo=UTC),
        fields={"severity": "SEV-5", "state": "resolved"},
        incident_type_uuid="00000000-0000-0000-0000-000000000000",
        visibility="organization",
        commander_user_id="00000000-0000-0000-0000-000000000000",
        declared_by_user_id="00000000-0000-0000-0000-000000000000",
    )
    payload = request.payload()
    attributes = payload["data"]["attributes"]
    assert payload["data"]["type"] == "incidents"
    assert attributes["declared"] == "2025-01-01T00:00:00Z"  # converted to UTC
    assert attributes["resolved"] == "2025-01-01T01:00:00Z"
    assert attributes["fields"] == {"severity": {"value": "SEV-5"}, "state": {"value": "resolved"}}
    assert payload["data"]["relationships"]["commander_user"] == {
        "data": {"id": "00000000-0000-0000-0000-000000000000", "type": "users"}
    }


def test_a_minimal_request_sends_only_the_title() -> None:
    assert IncidentImportRequest.of("t").payload() == {
        "data": {"type": "incidents", "attributes": {"title": "t"}}
    }


def test_a_none_field_value_is_left_out_and_null_is_refused() -> None:
    payload = IncidentImportRequest.of("t", fields={"root_cause": None, "teams": []}).payload()
    assert payload["data"]["attributes"]["fields"] == {"teams": {"value": []}}
    # {"value": null} matches both of the spec's oneOf shapes, so the spec itself refuses it.
    with pytest.raises(ValidationError):
        FieldValue.model_validate({"value": None})


@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (lambda: IncidentImportRequest.of("x" * (TITLE_MAX_CHARS + 1)), "at most 1024"),
        (lambda: IncidentImportRequest.of(""), "at least 1"),
        (lambda: IncidentImportRequest.of("t", detected=datetime(2024, 1, 1)), "timezone"),
        (lambda: IncidentImportRequest.of("t", resolved=T0), "fields.state 'resolved'"),
        (
            lambda: IncidentImportRequest.of("t", resolved=T0, fields={"state": "active"}),
            "state 'active'",
        ),
        (lambda: IncidentImportRequest.of("t", visibility="public"), "organization"),  # type: ignore[arg-type]
    ],
)
def test_rules_of_the_api_fail_before_sending(build: Any, needle: str) -> None:
    # ddinc's own error (one exception tree), naming the broken rule.
    with pytest.raises(InvalidRequestError, match=needle):
        build()


def test_keys_the_api_does_not_accept_are_errors() -> None:
    good = IncidentImportRequest.of("t", fields={"state": "active"}).payload()
    bad_field = json.loads(json.dumps(good))
    bad_field["data"]["attributes"]["fields"]["state"]["type"] = "dropdown"
    bad_attribute = json.loads(json.dumps(good))
    bad_attribute["data"]["attributes"]["customer_impacted"] = True
    bad_relationship = json.loads(json.dumps(good))
    bad_relationship["data"]["relationships"] = {"responders": {"data": []}}
    for body in (bad_field, bad_attribute, bad_relationship):
        with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
            IncidentImportRequest.model_validate(body)
    assert IncidentImportRequest.model_validate(good).payload() == good


def test_requests_do_not_coerce() -> None:
    with pytest.raises(ValidationError):
        FieldValue.model_validate({"value": 3})
    with pytest.raises(ValidationError):
        IncidentImportRequest.model_validate(
            {
                "data": {
                    "type": "incidents",
                    "attributes": {"title": "t", "detected": "2024-01-01T00:00:00Z"},
                }
            }
        )
    # JSON text is the one place strings become timestamps.
    text = '{"title": "t", "detected": "2024-01-01T02:00:00+02:00"}'
    parsed = IncidentImportRequest.model_validate_json(
        f'{{"data": {{"type": "incidents", "attributes": {text}}}}}'
    )
    assert parsed.data.attributes.detected == datetime(2024, 1, 1, tzinfo=UTC)


def test_an_impact_request_is_ordered_and_utc() -> None:
    request = IncidentImpactCreateRequest.of(
        "Checkout unavailable",
        start_at=T0,
        end_at=T0 + timedelta(minutes=30),
        fields={"customers_impacted": "all"},
    )
    assert request.payload() == {
        "data": {
            "type": "incident_impacts",
            "attributes": {
                "description": "Checkout unavailable",
                "start_at": "2024-01-12T15:45:00Z",
                "end_at": "2024-01-12T16:15:00Z",
                "fields": {"customers_impacted": "all"},
            },
        }
    }
    with pytest.raises(InvalidRequestError, match="before start_at"):
        IncidentImpactCreateRequest.of("x", start_at=T0, end_at=T0 - timedelta(seconds=1))


field_values = st.one_of(st.text(max_size=20), st.lists(st.text(max_size=10), max_size=4))
timestamps = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones()
)


@given(
    # A title the API accepts: not blank, no lone surrogates (both refused before sending).
    title=st.text(
        st.characters(exclude_categories=("Cs",)), min_size=1, max_size=TITLE_MAX_CHARS
    ).filter(str.strip),
    detected=st.none() | timestamps,
    fields=st.dictionaries(
        st.from_regex(r"[a-z_]{1,12}", fullmatch=True), field_values, max_size=5
    ),
)
def test_any_valid_request_round_trips_through_json(
    title: str, detected: datetime | None, fields: dict[str, Any]
) -> None:
    fields.pop("state", None)
    request = IncidentImportRequest.of(title, detected=detected, fields=fields)
    payload = request.payload()
    again = IncidentImportRequest.model_validate_json(json.dumps(payload))
    assert again == request
    if detected is not None:
        sent = payload["data"]["attributes"]["detected"]
        assert sent.endswith("Z")
        # The same instant (compared in UTC: local times in a DST gap never compare equal).
        assert datetime.fromisoformat(sent) == detected.astimezone(UTC)


# ---------------------------------------------------------------------------------- errors


def test_both_error_shapes_are_read() -> None:
    assert error_messages(b'{"errors": ["incident x not found"]}') == ["incident x not found"]
    assert error_messages(
        b'{"errors": [{"status": "400", "title": "Bad Request", "detail": "got type", '
        b'"source": {"pointer": "/data/type"}}]}'
    ) == ["Bad Request: got type (at /data/type)"]
    assert error_messages(b'{"errors": [{"title": "Forbidden"}]}') == ["Forbidden"]
    assert error_messages(b"<html><body>Bad gateway</body></html>") == [
        "<html><body>Bad gateway</body></html>"
    ]
    assert error_messages(b"  ") == []
    assert error_messages(b'{"message": "odd"}') == ['{"message": "odd"}']


@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_reading_an_error_body_never_raises(body: bytes) -> None:
    messages = error_messages(body)
    assert all(len(message) <= 300 for message in messages)


@pytest.mark.parametrize("title", ["   ", "\t\n", "caf\udce9"])
def test_blank_or_unsendable_titles_are_refused_before_sending(title: str) -> None:
    with pytest.raises(InvalidRequestError, match="title"):
        IncidentImportRequest.of(title)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
@pytest.mark.parametrize("key", ["detected", "declared"])
def test_a_time_out_of_range_in_utc_is_an_invalid_request_naming_the_field(
    moment: datetime, key: str
) -> None:
    with pytest.raises(InvalidRequestError, match="out of range") as caught:
        IncidentImportRequest.of("t", **{key: moment})
    assert [where for where, _ in caught.value.problems] == [key]
    with pytest.raises(InvalidRequestError, match="start_at"):
        IncidentImpactCreateRequest.of("impact", start_at=moment)
