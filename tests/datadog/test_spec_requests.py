"""Every request the client builds is one the spec accepts: path, query and body."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30WriteValidator

from ddinc.datadog import DatadogClient, IncidentImpactCreateRequest, IncidentImportRequest
from ddinc.datadog.models import IMPORT_INCLUDE_VALUES, TITLE_MAX_CHARS
from tests.conftest import shared_path

T0 = datetime(2024, 3, 10, 8, 30, tzinfo=UTC)


@cache
def _spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        shared_path("datadog", "openapi-incidents.yaml").read_text()
    )
    return loaded


def _resolve(node: Any, depth: int = 0) -> Any:
    """Inline every local $ref (the request schemas have no cycles)."""
    assert depth < 40, "a $ref cycle in a request schema"
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = _spec()
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target, depth + 1)
        return {key: _resolve(value, depth + 1) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, depth + 1) for item in node]
    return node


def _operation(method: str, path: str) -> dict[str, Any]:
    for template, item in _spec()["paths"].items():
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        if re.fullmatch(pattern, path) and method.lower() in item:
            operation: dict[str, Any] = _resolve(item[method.lower()])
            return operation
    raise AssertionError(f"{method} {path} is not an operation of the spec")


def _query_value(raw: str, schema: dict[str, Any], explode: bool) -> Any:
    if schema.get("type") == "array":
        assert not explode, "array parameters here are explode: false (comma-separated)"
        return [_query_value(part, schema["items"], explode) for part in raw.split(",")]
    if schema.get("type") == "integer":
        return int(raw)
    if schema.get("type") == "boolean":
        assert raw in ("true", "false")
        return raw == "true"
    return raw


def _errors(schema: dict[str, Any], instance: Any) -> list[str]:
    validator = OAS30WriteValidator(schema, format_checker=OAS30WriteValidator.FORMAT_CHECKER)
    return [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(instance)]


def check_against_spec(request: httpx.Request) -> str:
    """Assert that a built request is valid for its operation; return the operationId."""
    operation = _operation(request.method, request.url.path)
    declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
    sent = dict(request.url.params.multi_items())
    for name, raw in sent.items():
        assert name in declared, f"{operation['operationId']}: undeclared query parameter {name}"
        parameter = declared[name]
        value = _query_value(raw, parameter["schema"], parameter.get("explode", True))
        assert not _errors(parameter["schema"], value), (
            name,
            raw,
            _errors(parameter["schema"], value),
        )
    for name, parameter in declared.items():
        assert name in sent or not parameter.get("required"), f"required {name} missing"
    body = operation.get("requestBody")
    if body is None:
        assert not request.content, f"{operation['operationId']} takes no body"
    else:
        assert request.headers["content-type"] == "application/json"
        schema = body["content"]["application/json"]["schema"]
        problems = _errors(schema, json.loads(request.content))
        assert not problems, problems
    for header in ("DD-API-KEY", "DD-APPLICATION-KEY"):
        assert request.headers.get(header), f"{header} missing"
    return str(operation["operationId"])


def _recording_client(seen: list[httpx.Request]) -> DatadogClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        ok: dict[str, Any] = {"data": {"id": "x", "type": "incidents", "attributes": {}}}
        if request.method == "DELETE":
            return httpx.Response(204)
        if request.url.path.endswith("/search"):
            ok = {
                "data": {
                    "type": "incidents_search_results",
                    "attributes": {"incidents": [], "total": 0},
                }
            }
        elif request.url.path in ("/api/v2/users", "/api/v2/incidents/config/types"):
            ok = {"data": []}
        elif request.url.path.endswith("/user-defined-fields"):
            ok = {"data": [], "meta": {}}
        elif "/user-defined-fields/" in request.url.path:
            ok = {"data": {"id": "f", "type": "user_defined_field", "attributes": {"name": "n"}}}
        elif "/users/" in request.url.path:
            ok = {"data": {"id": "u", "type": "users"}}
        elif "/types/" in request.url.path:
            ok = {"data": {"id": "t", "type": "incident_types"}}
        status = 201 if request.method == "POST" else 200
        return httpx.Response(status, json=ok)

    return DatadogClient(
        base_url="http://spec.test",
        api_key="api",
        app_key="app",
        transport=httpx.MockTransport(handler),
    )


def test_every_operation_the_client_offers_builds_a_valid_request() -> None:
    seen: list[httpx.Request] = []
    full = IncidentImportRequest.of(
        "Imported incident from external system",
        detected=T0,
        declared=T0 + timedelta(minutes=5),
        resolved=T0 + timedelta(hours=1),
        fields={"severity": "SEV-2", "state": "resolved", "teams": ["payments", "web"]},
        incident_type_uuid="00000000-0000-0000-0000-000000000000",
        visibility="private",
        commander_user_id="3ad549bf-eba0-11e9-a77a-0705486660d0",
        declared_by_user_id="3ad549bf-eba0-11e9-a77a-0705486660d0",
    )
    with _recording_client(seen) as client:
        client.import_incident(full, include=IMPORT_INCLUDE_VALUES)
        client.import_incident(IncidentImportRequest.of("minimal"))
        client.create_incident_impact(
            "e2fe83b8-e433-476f-bf2c-d076aee55bed",
            IncidentImpactCreateRequest.of(
                "Checkout unavailable",
                start_at=T0,
                end_at=T0 + timedelta(minutes=20),
                fields={"customers_impacted": "all"},
            ),
        )
        client.search_incidents(
            "state:(active OR stable OR resolved)", sort="-created", page_size=50, page_offset=50
        )
        client.get_incident("e2fe83b8-e433-476f-bf2c-d076aee55bed")
        client.delete_incident("e2fe83b8-e433-476f-bf2c-d076aee55bed")
        client.list_users(
            filter="frog@datadoghq.com", status="Active", page_size=100, page_number=2
        )
        client.find_users_by_email(" Frog@DatadogHQ.com ")
        client.get_user("3ad549bf-eba0-11e9-a77a-0705486660d0")
        client.list_incident_types(include_deleted=True)
        client.get_incident_type("41d2e10b-4108-4736-92d7-791d00ea0702")
        client.list_user_defined_fields(
            incident_type="41d2e10b-4108-4736-92d7-791d00ea0702", include_deleted=True
        )
        client.get_user_defined_field("6f8f42e0-6a84-4495-9a24-6decb0a87de0")
    operations = [check_against_spec(request) for request in seen]
    assert set(operations) == {
        "ImportIncident",
        "CreateIncidentImpact",
        "SearchIncidents",
        "GetIncident",
        "DeleteIncident",
        "ListUsers",
        "GetUser",
        "ListIncidentTypes",
        "GetIncidentType",
        "ListIncidentUserDefinedFields",
        "GetIncidentUserDefinedField",
    }


def test_the_checker_itself_catches_what_the_spec_refuses() -> None:
    # Guard against a vacuous checker: a body with a field 'type' and an unknown include fail.
    bad_body = httpx.Request(
        "POST",
        "http://spec.test/api/v2/incidents/import",
        json={
            "data": {
                "type": "incidents",
                "attributes": {"title": "t", "fields": {"s": {"value": "x", "type": "dropdown"}}},
            }
        },
        headers={"DD-API-KEY": "a", "DD-APPLICATION-KEY": "b"},
    )
    with pytest.raises(AssertionError):
        check_against_spec(bad_body)
    bad_include = httpx.Request(
        "POST",
        "http://spec.test/api/v2/incidents/import?include=users",
        json={"data": {"type": "incidents", "attributes": {"title": "t"}}},
        headers={"DD-API-KEY": "a", "DD-APPLICATION-KEY": "b"},
    )
    with pytest.raises(AssertionError):
        check_against_spec(bad_include)
    null_value = httpx.Request(
        "POST",
        "http://spec.test/api/v2/incidents/import",
        json={
            "data": {
                "type": "incidents",
                "attributes": {"title": "t", "fields": {"s": {"value": None}}},
            }
        },
        headers={"DD-API-KEY": "a", "DD-APPLICATION-KEY": "b"},
    )
    with pytest.raises(AssertionError):
        check_against_spec(null_value)


field_values = st.one_of(st.text(max_size=30), st.lists(st.text(max_size=12), max_size=5))
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.timezones()
)


@settings(max_examples=60, deadline=None)
@given(
    # A title the API accepts: not blank, no lone surrogates (both refused before sending).
    title=st.text(
        st.characters(exclude_categories=("Cs",)), min_size=1, max_size=TITLE_MAX_CHARS
    ).filter(str.strip),
    detected=st.none() | moments,
    declared=st.none() | moments,
    resolved=st.none() | moments,
    fields=st.dictionaries(
        st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True), field_values, max_size=6
    ),
    visibility=st.sampled_from([None, "organization", "private"]),
    commander=st.none() | st.uuids().map(str),
    include=st.lists(st.sampled_from(IMPORT_INCLUDE_VALUES), unique=True),
)
def test_any_import_request_validates_against_the_spec(
    *,
    title: str,
    detected: datetime | None,
    declared: datetime | None,
    resolved: datetime | None,
    fields: dict[str, Any],
    visibility: Any,
    commander: str | None,
    include: list[Any],
) -> None:
    fields["state"] = "resolved" if resolved is not None else fields.get("state", "active")
    if not isinstance(fields["state"], str):
        fields["state"] = "active"
    request = IncidentImportRequest.of(
        title,
        detected=detected,
        declared=declared,
        resolved=resolved,
        fields=fields,
        visibility=visibility,
        commander_user_id=commander,
    )
    seen: list[httpx.Request] = []
    with _recording_client(seen) as client:
        client.import_incident(request, include=include)
    assert check_against_spec(seen[0]) == "ImportIncident"
