"""Every emulator response body validates against the spec's schema for its operation and status.

One run exercises every (operation, status) pair the spec lists, except the few the emulator
cannot be driven to (listed with the reason), and validates each body with an OpenAPI 3.0
validator that resolves ``$ref`` inside the spec and checks ``date-time`` formats.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ddinc.datadog.emulator import Emulator, EmulatorConfig, RateLimit
from tests.conftest import shared_path
from tests.datadog.emulator import spec
from tests.datadog.emulator.conftest import (
    ANN,
    IMPORT,
    KEYS,
    SECURITY_TYPE,
    UNKNOWN_ID,
    import_body,
    user_ref,
)

# Pairs the spec lists that no request can produce from the emulator.
UNREACHABLE = {
    ("SearchIncidents", 404): "a search matching nothing is an empty 200",
    ("ListIncidents", 404): "an empty list is a 200",
    ("DeleteIncident", 400): "any incident id is looked up; unknown ones are 404",
    ("GetIncidentType", 400): "any type id is looked up; unknown ones are 404",
}
# Where the emulator follows Datadog's recordings rather than the spec: JSON:API error objects.
JSONAPI_INSTEAD = {
    ("CreateIncidentImpact", 400),
    ("CreateIncidentImpact", 404),
    ("ListIncidentImpacts", 400),
    ("ListIncidentImpacts", 404),
}
IMPACT = {
    "data": {
        "type": "incident_impacts",
        "attributes": {"description": "d", "start_at": "2025-01-01T00:00:00Z", "end_at": None},
    }
}
WRONG_KEY = {**KEYS, "DD-APPLICATION-KEY": "wrong"}


class Exchanges:
    """Responses gathered per (operation, status)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, httpx.Response]] = []

    def add(self, operation: str, response: httpx.Response) -> httpx.Response:
        self.seen.append((operation, response))
        return response


def exercise_everything(client: httpx.Client, out: Exchanges) -> None:
    """Drive every operation through its successes and failures."""
    a = out.add
    rich = import_body(
        detected="2024-05-01T10:00:00Z",
        declared="2024-05-01T10:05:00Z",
        resolved="2024-05-01T12:00:00Z",
        incident_type_uuid=SECURITY_TYPE,
        fields={
            "state": {"value": "resolved"},
            "severity": {"value": "SEV-2"},
            "services": {"value": ["checkout"]},
            "labels": {"value": ["a", "b"]},
            "data_classification": {"value": "internal"},
        },
        relationships={"commander_user": user_ref(ANN), "declared_by_user": user_ref(ANN)},
    )
    incident = a("ImportIncident", client.post(IMPORT, json=rich)).json()["data"]["id"]
    every = "last_modified_by_user,created_by_user,commander_user,declared_by_user,incident_type"
    a("ImportIncident", client.post(IMPORT, json=import_body(), params={"include": every}))
    a("ImportIncident", client.post(IMPORT, json=import_body("x" * 1025)))
    a("ImportIncident", client.post(IMPORT, json=import_body(incident_type_uuid=UNKNOWN_ID)))
    a("CreateIncidentImpact", client.post(f"/api/v2/incidents/{incident}/impacts", json=IMPACT))
    ended = {
        "data": {
            **IMPACT["data"],
            "attributes": {**IMPACT["data"]["attributes"], "end_at": "2025-01-02T00:00:00Z"},
        }
    }
    a("CreateIncidentImpact", client.post(f"/api/v2/incidents/{incident}/impacts", json=ended))
    a(
        "CreateIncidentImpact",
        client.post(f"/api/v2/incidents/{incident}/impacts", json={"data": {}}),
    )
    a("CreateIncidentImpact", client.post(f"/api/v2/incidents/{UNKNOWN_ID}/impacts", json=IMPACT))
    a(
        "ListIncidentImpacts",
        client.get(f"/api/v2/incidents/{incident}/impacts", params={"include": "created_by_user"}),
    )
    a(
        "ListIncidentImpacts",
        client.get(f"/api/v2/incidents/{incident}/impacts", params={"include": "x"}),
    )
    a("ListIncidentImpacts", client.get(f"/api/v2/incidents/{UNKNOWN_ID}/impacts"))
    a("GetIncident", client.get(f"/api/v2/incidents/{incident}"))
    a("GetIncident", client.get(f"/api/v2/incidents/{incident}", params={"include": "users"}))
    a("GetIncident", client.get(f"/api/v2/incidents/{incident}", params={"include": "x"}))
    a("GetIncident", client.get(f"/api/v2/incidents/{UNKNOWN_ID}"))
    a("ListIncidents", client.get("/api/v2/incidents", params={"include": "users"}))
    a("ListIncidents", client.get("/api/v2/incidents", params={"page[size]": "x"}))
    for query in ("state:(active OR stable OR resolved)", "*", "state:stable"):
        a(
            "SearchIncidents",
            client.get("/api/v2/incidents/search", params={"query": query, "include": "users"}),
        )
    a("SearchIncidents", client.get("/api/v2/incidents/search", params={"query": "nope:x"}))
    a(
        "ListIncidentTypes",
        client.get("/api/v2/incidents/config/types", params={"include_deleted": "true"}),
    )
    a(
        "ListIncidentTypes",
        client.get("/api/v2/incidents/config/types", params={"include_deleted": "1"}),
    )
    a("GetIncidentType", client.get(f"/api/v2/incidents/config/types/{SECURITY_TYPE}"))
    a("GetIncidentType", client.get(f"/api/v2/incidents/config/types/{UNKNOWN_ID}"))
    udfs = a(
        "ListIncidentUserDefinedFields", client.get("/api/v2/incidents/config/user-defined-fields")
    )
    a(
        "ListIncidentUserDefinedFields",
        client.get("/api/v2/incidents/config/user-defined-fields", params={"page[size]": -1}),
    )
    for udf in udfs.json()["data"]:
        a(
            "GetIncidentUserDefinedField",
            client.get(f"/api/v2/incidents/config/user-defined-fields/{udf['id']}"),
        )
    a(
        "GetIncidentUserDefinedField",
        client.get(f"/api/v2/incidents/config/user-defined-fields/{UNKNOWN_ID}"),
    )
    a("ListUsers", client.get("/api/v2/users", params={"page[size]": 100}))
    a("ListUsers", client.get("/api/v2/users", params={"sort_dir": "up"}))
    a("GetUser", client.get(f"/api/v2/users/{ANN}"))
    a("GetUser", client.get(f"/api/v2/users/{UNKNOWN_ID}"))
    a("DeleteIncident", client.delete(f"/api/v2/incidents/{incident}"))
    a("DeleteIncident", client.delete(f"/api/v2/incidents/{incident}"))


REQUESTS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "ImportIncident": ("POST", IMPORT, import_body()),
    "SearchIncidents": ("GET", "/api/v2/incidents/search?query=*", None),
    "ListIncidents": ("GET", "/api/v2/incidents", None),
    "GetIncident": ("GET", f"/api/v2/incidents/{UNKNOWN_ID}", None),
    "DeleteIncident": ("DELETE", f"/api/v2/incidents/{UNKNOWN_ID}", None),
    "ListIncidentTypes": ("GET", "/api/v2/incidents/config/types", None),
    "GetIncidentType": ("GET", f"/api/v2/incidents/config/types/{SECURITY_TYPE}", None),
    "ListIncidentUserDefinedFields": ("GET", "/api/v2/incidents/config/user-defined-fields", None),
    "GetIncidentUserDefinedField": (
        "GET",
        f"/api/v2/incidents/config/user-defined-fields/{UNKNOWN_ID}",
        None,
    ),
    "ListIncidentImpacts": ("GET", f"/api/v2/incidents/{UNKNOWN_ID}/impacts", None),
    "CreateIncidentImpact": ("POST", f"/api/v2/incidents/{UNKNOWN_ID}/impacts", IMPACT),
    "ListUsers": ("GET", "/api/v2/users", None),
    "GetUser": ("GET", f"/api/v2/users/{ANN}", None),
}


def exercise_refusals(emulator: Emulator, out: Exchanges) -> None:
    """401, 403 and 429 for every operation."""
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e") as bare:
        for operation, (method, url, body) in REQUESTS.items():
            out.add(operation, bare.request(method, url, json=body))
            out.add(operation, bare.request(method, url, json=body, headers=WRONG_KEY))
            # Two rounds with a limit of 1 per window: the second one is refused.
            for _ in range(2):
                out.add(operation, bare.request(method, url, json=body, headers=KEYS))


@pytest.fixture(scope="module")
def exchanges() -> list[tuple[str, httpx.Response]]:
    out = Exchanges()
    with httpx.Client(
        transport=Emulator().sync_transport(), base_url="http://e", headers=KEYS
    ) as c:
        exercise_everything(c, out)
    limited = Emulator(
        EmulatorConfig(
            rate_limit=RateLimit(1, 3600),
            read_rate_limit=RateLimit(1, 3600, "incidents_read"),
            clock=lambda: 0.0,  # frozen: the window never resets during the test
        )
    )
    exercise_refusals(limited, out)
    return out.seen


def test_every_listed_status_of_every_operation_is_exercised(
    exchanges: list[tuple[str, httpx.Response]],
) -> None:
    listed = {(op, int(code)) for op, responses in spec.operations().items() for code in responses}
    produced = {(op, r.status_code) for op, r in exchanges}
    assert produced - listed == set(), "statuses the spec does not list"
    assert listed - produced == set(UNREACHABLE)


def test_every_response_body_validates_against_the_spec(
    exchanges: list[tuple[str, httpx.Response]],
) -> None:
    failures = []
    for operation, response in exchanges:
        status = response.status_code
        schema = spec.response_schema(operation, status)
        if schema is None:
            assert response.content == b"", (operation, status)
            continue
        if (operation, status) in JSONAPI_INSTEAD:
            assert response.headers["content-type"] == "application/vnd.api+json"
            validator = spec.component("JSONAPIErrorResponse")
        else:
            validator = spec.validator(schema)
        for error in validator.iter_errors(response.json()):
            failures.append(f"{operation} {status}: {error.json_path}: {error.message[:200]}")
    assert failures == []


def test_the_validator_is_able_to_fail(exchanges: list[tuple[str, httpx.Response]]) -> None:
    """A broken copy of a real 201 must not validate: the check above has teeth."""
    operation, response = exchanges[0]
    assert (operation, response.status_code) == ("ImportIncident", 201)
    body = response.json()
    body["data"]["attributes"]["created"] = "2025-01-01 00:00"  # not RFC 3339
    body["data"]["attributes"]["fields"]["severity"] = {"type": "dropdown", "value": ["SEV-1"]}
    schema = spec.response_schema("ImportIncident", 201)
    assert schema is not None
    errors = list(spec.validator(schema).iter_errors(body))
    assert len(errors) == 2


def test_recorded_impact_errors_contradict_the_spec_as_the_emulator_assumes() -> None:
    """Why JSONAPI_INSTEAD exists: Datadog's own recordings fail the spec's error schema."""

    path = shared_path("datadog", "recorded", "error_incident_impact_not_found_404.json")
    body = json.loads(path.read_text())["interactions"][0]["response"]["body"]
    schema = spec.response_schema("CreateIncidentImpact", 404)
    assert schema is not None
    assert list(spec.validator(schema).iter_errors(body)) != []
    assert list(spec.component("JSONAPIErrorResponse").iter_errors(body)) == []
