"""Each endpoint of the emulator, and each rule it enforces: status, body shape, content type."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ddinc.datadog.emulator import (
    OPERATIONS,
    Emulator,
    EmulatorConfig,
    Org,
)
from tests.conftest import shared_path
from tests.datadog.emulator.conftest import (
    ANN,
    BOB,
    DEFAULT_TYPE,
    IMPORT,
    KEY_OWNER,
    KEYS,
    RETIRED_TYPE,
    SECURITY_TYPE,
    UNKNOWN_ID,
    import_body,
    user_ref,
)

JSONAPI = "application/vnd.api+json"


def recorded(name: str, interaction: int = 0) -> dict[str, Any]:
    """The response body of one recorded interaction."""
    doc = json.loads(shared_path("datadog", "recorded", name).read_text())
    body: dict[str, Any] = doc["interactions"][interaction]["response"]["body"]
    return body


def api_errors(response: httpx.Response) -> list[str]:
    """The messages of an ``{"errors": ["..."]}`` body, checking the shape on the way."""
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"errors"}
    assert all(isinstance(e, str) for e in body["errors"]), body
    return list(body["errors"])


def jsonapi_errors(response: httpx.Response) -> list[dict[str, str]]:
    """The objects of a JSON:API error body, checking the shape on the way."""
    assert response.headers["content-type"] == JSONAPI
    errors: list[dict[str, str]] = response.json()["errors"]
    assert errors
    assert all({"title", "detail"} <= set(e) for e in errors), errors
    return errors


def do_import(
    client: httpx.Client, body: dict[str, Any], include: str | None = None
) -> httpx.Response:
    params = {"include": include} if include else None
    return client.post(IMPORT, json=body, params=params)


def created(client: httpx.Client, **attributes: Any) -> dict[str, Any]:
    response = do_import(client, import_body(**attributes))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


# -- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "Unauthorized"),
        ({"DD-API-KEY": KEYS["DD-API-KEY"]}, 401, "Unauthorized"),
        ({"DD-APPLICATION-KEY": KEYS["DD-APPLICATION-KEY"]}, 401, "Unauthorized"),
        ({**KEYS, "DD-API-KEY": "wrong"}, 403, "Forbidden"),
        ({**KEYS, "DD-APPLICATION-KEY": "wrong"}, 403, "Forbidden"),
    ],
)
def test_incident_endpoints_refuse_missing_keys_401_and_wrong_keys_403(
    emulator: Emulator, headers: dict[str, str], status: int, message: str
) -> None:
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e") as bare:
        response = bare.post(IMPORT, json=import_body(), headers=headers)
    assert response.status_code == status
    assert api_errors(response) == [message]
    assert emulator.incidents == []


def test_users_endpoints_answer_403_even_without_keys_as_the_spec_lists_no_401(
    emulator: Emulator,
) -> None:
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e") as bare:
        response = bare.get("/api/v2/users")
    assert response.status_code == 403
    assert api_errors(response) == ["Forbidden"]


def test_a_read_only_application_key_reads_but_cannot_import() -> None:
    emulator = Emulator(EmulatorConfig(read_only_app_keys=frozenset({"reader"})))
    headers = {**KEYS, "DD-APPLICATION-KEY": "reader"}
    with httpx.Client(
        transport=emulator.sync_transport(), base_url="http://e", headers=headers
    ) as c:
        assert c.get("/api/v2/incidents/config/types").status_code == 200
        response = c.post(IMPORT, json=import_body())
    assert response.status_code == 403
    assert "permission" in api_errors(response)[0]


def test_an_org_without_the_import_preview_gets_403() -> None:
    emulator = Emulator(EmulatorConfig(import_enabled=False))
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS) as c:
        response = c.post(IMPORT, json=import_body())
    assert response.status_code == 403
    assert "Preview" in api_errors(response)[0]


# -- import: the 201 ---------------------------------------------------------------------


def test_import_answers_like_the_recorded_201(client: httpx.Client) -> None:
    response = do_import(client, import_body(visibility="organization"))
    assert response.status_code == 201
    assert response.headers["content-type"] == JSONAPI
    mine = response.json()["data"]
    real = recorded("import_incident_created.json")["data"]
    assert set(mine) == set(real)
    assert set(mine["attributes"]) == set(real["attributes"])
    assert set(mine["relationships"]) == set(real["relationships"])
    # Every built-in field of the recording is there with the same type and default value.
    for name, field in real["attributes"]["fields"].items():
        assert mine["attributes"]["fields"][name]["type"] == field["type"], name
        if name != "slug":
            assert mine["attributes"]["fields"][name]["value"] == field["value"], name
    assert "included" not in response.json()


def test_import_fills_ids_counters_and_times_like_datadog(emulator: Emulator) -> None:
    frozen = datetime(2026, 2, 23, 14, 6, 47, 48266, tzinfo=UTC)
    emulator = Emulator(EmulatorConfig(now=lambda: frozen, first_public_id=338022))
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS) as c:
        first = created(c)
        second = created(c)
    attrs = first["attributes"]
    # The recorded 201 printed this same instant as "2026-02-23T14:06:47.048266Z".
    assert (
        attrs["created"] == attrs["detected"] == attrs["declared"] == "2026-02-23T14:06:47.048266Z"
    )
    assert (attrs["public_id"], second["attributes"]["public_id"]) == (338022, 338023)
    assert attrs["fields"]["slug"]["value"] == "IR-338022"
    assert attrs["created_by_uuid"] == attrs["declared_by_uuid"] == KEY_OWNER
    assert attrs["incident_type_uuid"] == DEFAULT_TYPE
    assert (attrs["state"], attrs["severity"], attrs["visibility"]) == (
        "active",
        "UNKNOWN",
        "organization",
    )
    assert first["id"] != second["id"]


def test_import_keeps_given_timestamps_in_utc_and_people(client: httpx.Client) -> None:
    data = created(
        client,
        detected="2024-03-01T10:00:00+02:00",
        declared="2024-03-01T08:05:00.5Z",
        resolved="2024-03-01T09:00:00Z",
        fields={"state": {"value": "resolved"}, "severity": {"value": "SEV-2"}},
        relationships={"commander_user": user_ref(BOB), "declared_by_user": user_ref(ANN)},
    )
    attrs = data["attributes"]
    assert attrs["detected"] == "2024-03-01T08:00:00Z"
    assert attrs["declared"] == "2024-03-01T08:05:00.5Z"
    assert attrs["resolved"] == "2024-03-01T09:00:00Z"
    assert (attrs["state"], attrs["severity"]) == ("resolved", "SEV-2")
    assert attrs["declared_by_uuid"] == ANN
    assert data["relationships"]["commander_user"]["data"] == {"id": BOB, "type": "users"}


def test_a_resolved_state_without_a_resolved_time_is_resolved_at_import(emulator: Emulator) -> None:
    frozen = datetime(2025, 5, 5, 5, 5, 5, tzinfo=UTC)
    emulator = Emulator(EmulatorConfig(now=lambda: frozen))
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS) as c:
        data = created(c, fields={"state": {"value": "resolved"}})
    assert data["attributes"]["resolved"] == "2025-05-05T05:05:05Z"


def test_include_adds_the_named_users_and_incident_type_once_each(client: httpx.Client) -> None:
    body = import_body(relationships={"commander_user": user_ref(BOB)})
    response = do_import(
        client, body, "commander_user,declared_by_user,created_by_user,incident_type"
    )
    included = response.json()["included"]
    assert sorted((i["type"], i["id"]) for i in included) == sorted(
        [("users", BOB), ("users", KEY_OWNER), ("incident_types", DEFAULT_TYPE)]
    )
    bob = next(i for i in included if i["id"] == BOB)
    assert bob["attributes"]["email"] == "Bob.Martin@EXAMPLE.com"


# -- import: each rule ---------------------------------------------------------------------

RULES_400: list[tuple[str, Any, str]] = [
    ("no title", {"data": {"type": "incidents", "attributes": {}}}, "title"),
    ("blank title", import_body("   "), "blank"),
    ("title of 1025 characters", import_body("x" * 1025), "1024"),
    ("title not a string", import_body(42), "title"),  # type: ignore[arg-type]
    ("wrong data.type", {"data": {"type": "incident", "attributes": {"title": "t"}}}, "incidents"),
    ("unknown attribute", import_body(customer_impacted=True), "customer_impacted"),
    ("body is a list", [import_body()], "body"),
    ("extra top-level key", {**import_body(), "meta": {}}, "body"),
    ("naive detected", import_body(detected="2025-01-01T00:00:00"), "RFC 3339"),
    ("date only", import_body(declared="2025-01-01"), "RFC 3339"),
    ("bad visibility", import_body(visibility="public"), "visibility"),
    ("malformed type uuid", import_body(incident_type_uuid="abc"), "UUID"),
    (
        "resolved while active",
        import_body(resolved="2025-01-01T01:00:00Z", fields={"state": {"value": "active"}}),
        "resolved",
    ),
    ("resolved without a state", import_body(resolved="2025-01-01T01:00:00Z"), "resolved"),
    ("severity not enabled", import_body(fields={"severity": {"value": "SEV-0"}}), "SEV-0"),
    ("severity in another case", import_body(fields={"severity": {"value": "sev-1"}}), "sev-1"),
    ("state completed", import_body(fields={"state": {"value": "completed"}}), "completed"),
    ("list on a dropdown", import_body(fields={"severity": {"value": ["SEV-1"]}}), "one string"),
    ("string on a multiselect", import_body(fields={"environment": {"value": "prod"}}), "list"),
    ("bad multiselect value", import_body(fields={"environment": {"value": ["qa"]}}), "qa"),
    ("number value", import_body(fields={"summary": {"value": 3}}), "one string"),
    (
        "type key on the way in",
        import_body(fields={"severity": {"type": "dropdown", "value": "SEV-1"}}),
        "nothing else",
    ),
    ("empty field object", import_body(fields={"summary": {}}), "value"),
    ("unknown field", import_body(fields={"priority": {"value": "P1"}}), "priority"),
    ("slug", import_body(fields={"slug": {"value": "IR-1"}}), "slug"),
    (
        "field of another type",
        import_body(incident_type_uuid=SECURITY_TYPE, fields={"customer_tier": {"value": "free"}}),
        "customer_tier",
    ),
    ("fields not an object", import_body(fields=["severity"]), "fields"),
    ("malformed user id", import_body(relationships={"commander_user": user_ref("bob")}), "UUID"),
    (
        "relationship of wrong type",
        import_body(relationships={"commander_user": {"data": {"id": BOB, "type": "user"}}}),
        "users",
    ),
    (
        "unknown relationship",
        import_body(relationships={"responders": user_ref(BOB)}),
        "responders",
    ),
]


@pytest.mark.parametrize(("case", "body", "mentions"), RULES_400, ids=[r[0] for r in RULES_400])
def test_each_import_rule_answers_400_saying_what_is_wrong(
    emulator: Emulator, client: httpx.Client, case: str, body: Any, mentions: str
) -> None:
    response = client.post(IMPORT, json=body)
    assert response.status_code == 400, case
    assert any(mentions in message for message in api_errors(response)), response.text
    assert emulator.incidents == []


def test_a_body_that_is_not_json_is_a_400(client: httpx.Client) -> None:
    response = client.post(
        IMPORT, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "JSON" in api_errors(response)[0]


@pytest.mark.parametrize(
    "raw",
    [
        # An escaped unpaired surrogate (what json.dumps writes for a surrogateescape'd byte)
        # and NaN (which Python's json writes by default) are not JSON text Datadog accepts;
        # stored, they would make every later answer that shows them fail.
        b'{"data": {"type": "incidents", "attributes": {"title": "caf\\udce9"}}}',
        b'{"data": {"type": "incidents", "attributes": {"title": "t", "fields": NaN}}}',
    ],
    ids=["lone surrogate", "NaN"],
)
def test_a_body_that_cannot_be_answered_back_is_a_400_and_nothing_is_stored(
    client: httpx.Client, emulator: Emulator, raw: bytes
) -> None:
    response = client.post(IMPORT, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert emulator.incidents == []
    search = client.get("/api/v2/incidents/search", params={"query": "state:active"})
    assert search.status_code == 200


def test_an_impact_with_nan_is_a_400_and_the_incident_stays_readable(
    client: httpx.Client, emulator: Emulator
) -> None:
    incident_id = client.post(IMPORT, json=import_body()).json()["data"]["id"]
    attributes = {**IMPACT["data"]["attributes"], "fields": {"share": float("nan")}}
    raw = json.dumps({"data": {**IMPACT["data"], "attributes": attributes}})  # writes NaN
    response = client.post(
        f"/api/v2/incidents/{incident_id}/impacts",
        content=raw,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert emulator.impacts == []
    assert client.get(f"/api/v2/incidents/{incident_id}/impacts").status_code == 200


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        (import_body(incident_type_uuid=UNKNOWN_ID), UNKNOWN_ID),
        (import_body(incident_type_uuid=RETIRED_TYPE), RETIRED_TYPE),
        (import_body(relationships={"commander_user": user_ref(UNKNOWN_ID)}), UNKNOWN_ID),
        (import_body(relationships={"declared_by_user": user_ref(UNKNOWN_ID)}), UNKNOWN_ID),
    ],
    ids=["unknown type", "retired type", "unknown commander", "unknown declarer"],
)
def test_unknown_references_answer_404(client: httpx.Client, body: Any, mentions: str) -> None:
    response = client.post(IMPORT, json=body)
    assert response.status_code == 404
    assert any(mentions in m and "not found" in m for m in api_errors(response))


@pytest.mark.parametrize(
    "attributes",
    [
        {"title": "é" * 1024},  # the limit counts characters, not UTF-8 bytes
        {"title": "t", "fields": {"severity": {"value": None}, "services": {"value": None}}},
        {"title": "t", "fields": {"environment": {"value": ["prod", "dev"]}}},
        {"title": "t", "fields": {"services": {"value": ["checkout", "any name at all"]}}},
        {"title": "t", "fields": {"labels": {"value": []}, "legacy_id": {"value": "INC0012"}}},
        {
            "title": "t",
            "incident_type_uuid": SECURITY_TYPE,
            "fields": {"data_classification": {"value": "internal"}},
        },
        {"title": "t", "visibility": "private"},
    ],
    ids=[
        "1024 non-ascii",
        "nulls",
        "multiselect",
        "autocomplete",
        "textarray+textbox",
        "type field",
        "private",
    ],
)
def test_values_in_the_allowed_shapes_are_accepted(
    client: httpx.Client, attributes: dict[str, Any]
) -> None:
    response = client.post(IMPORT, json={"data": {"type": "incidents", "attributes": attributes}})
    assert response.status_code == 201, response.text
    fields = response.json()["data"]["attributes"]["fields"]
    for name, given in attributes.get("fields", {}).items():
        if given["value"] is not None:
            assert fields[name]["value"] == given["value"]


def test_a_null_commander_relationship_is_accepted(client: httpx.Client) -> None:
    data = created(client, relationships={"commander_user": user_ref(None)})
    assert data["relationships"]["commander_user"] == {"data": None}


def test_include_values_outside_the_enum_are_a_400(client: httpx.Client) -> None:
    response = do_import(client, import_body(), "commander_user,users")
    assert response.status_code == 400
    assert "'users'" in api_errors(response)[0]


def test_import_errors_can_use_the_jsonapi_shape() -> None:
    emulator = Emulator(EmulatorConfig(import_error_shape="jsonapi"))
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS) as c:
        response = c.post(IMPORT, json=import_body("x" * 1025))
    assert response.status_code == 400
    (error,) = jsonapi_errors(response)
    assert (error["status"], error["title"]) == ("400", "Bad Request")
    assert "1024" in error["detail"]


# -- get, delete, list ---------------------------------------------------------------------


def test_get_answers_the_older_incident_shape_like_the_recording(client: httpx.Client) -> None:
    incident_id = created(client)["id"]
    response = client.get(f"/api/v2/incidents/{incident_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    mine = response.json()["data"]
    real = recorded("get_incident_ok.json", 1)["data"]
    assert set(mine["attributes"]) == set(real["attributes"])
    assert set(mine["relationships"]) == set(real["relationships"])
    assert mine["attributes"]["created"].endswith("+00:00")


def test_get_with_include_users_lists_the_people(client: httpx.Client) -> None:
    incident_id = created(client, relationships={"commander_user": user_ref(ANN)})["id"]
    body = client.get(f"/api/v2/incidents/{incident_id}", params={"include": "users"}).json()
    assert {u["id"] for u in body["included"]} == {ANN, KEY_OWNER}
    bad = client.get(f"/api/v2/incidents/{incident_id}", params={"include": "people"})
    assert bad.status_code == 400


def test_delete_answers_204_then_404_like_the_recording(client: httpx.Client) -> None:
    incident_id = created(client)["id"]
    first = client.delete(f"/api/v2/incidents/{incident_id}")
    assert (first.status_code, first.content) == (204, b"")
    assert first.headers["content-type"] == "text/html; charset=utf-8"
    second = client.delete(f"/api/v2/incidents/{incident_id}")
    assert second.status_code == 404
    real = recorded("error_delete_incident_not_found_404.json", 2)
    expected = [
        m.replace("6248184c-3ce0-54e7-a9f3-8db44efede9d", incident_id) for m in real["errors"]
    ]
    assert api_errors(second) == expected
    assert client.get(f"/api/v2/incidents/{incident_id}").status_code == 404


def test_list_incidents_pages_by_offset(client: httpx.Client) -> None:
    ids = [created(client, title=f"t{n}")["id"] for n in range(5)]
    page = client.get("/api/v2/incidents", params={"page[size]": 2, "page[offset]": 3}).json()
    assert [d["id"] for d in page["data"]] == ids[3:5]
    assert page["meta"]["pagination"] == {"offset": 3, "next_offset": 5, "size": 2}
    assert client.get("/api/v2/incidents", params={"page[size]": "ten"}).status_code == 400


# -- search --------------------------------------------------------------------------------


@pytest.fixture
def three(client: httpx.Client) -> dict[str, str]:
    """Three incidents: an active SEV-1, a stable one, a resolved SEV-1."""
    return {
        "db": created(client, title="Database failover", fields={"severity": {"value": "SEV-1"}})[
            "id"
        ],
        "cdn": created(client, title="CDN latency", fields={"state": {"value": "stable"}})["id"],
        "login": created(
            client,
            title="Login errors",
            fields={"state": {"value": "resolved"}, "severity": {"value": "SEV-1"}},
        )["id"],
    }


def search(client: httpx.Client, query: str, **params: Any) -> httpx.Response:
    return client.get("/api/v2/incidents/search", params={"query": query, **params})


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("state:(active OR stable OR resolved)", {"db", "cdn", "login"}),
        ("state:(active OR stable)", {"db", "cdn"}),
        ("state:active AND severity:SEV-1", {"db"}),
        ("severity:SEV-1 -state:resolved", {"db"}),
        ("latency", {"cdn"}),
        ('"LOGIN ERR"', {"login"}),
        ("*", {"db", "cdn", "login"}),
    ],
)
def test_search_filters_by_facets_and_title(
    client: httpx.Client, three: dict[str, str], query: str, names: set[str]
) -> None:
    response = search(client, query)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    attrs = response.json()["data"]["attributes"]
    found = {item["data"]["id"] for item in attrs["incidents"]}
    assert found == {three[n] for n in names}
    assert attrs["total"] == len(names)


def test_search_answers_like_the_recording_with_facets_and_paging(
    client: httpx.Client, three: dict[str, str]
) -> None:
    body = search(client, "state:(active OR stable OR resolved)", **{"page[size]": 2}).json()
    real = recorded("search_incidents_ok.json", 1)
    assert body["data"]["type"] == real["data"]["type"]
    assert set(body["data"]["attributes"]) == set(real["data"]["attributes"])
    assert set(real["data"]["attributes"]["facets"]) - {"is_test", "customer_impacted"} <= set(
        body["data"]["attributes"]["facets"]
    )
    item = body["data"]["attributes"]["incidents"][0]["data"]
    assert set(item["attributes"]) == set(
        real["data"]["attributes"]["incidents"][0]["data"]["attributes"]
    )
    assert body["meta"]["pagination"] == {"offset": 0, "next_offset": 2, "size": 2}
    assert body["data"]["attributes"]["total"] == 3
    # Newest first by default: the last import leads.
    assert item["id"] == three["login"]
    states = {f["name"]: f["count"] for f in body["data"]["attributes"]["facets"]["state"]}
    assert states == {"active": 1, "stable": 1, "resolved": 1}


def test_search_sorts_oldest_first_on_request(client: httpx.Client, three: dict[str, str]) -> None:
    body = search(client, "*", sort="created").json()
    assert [i["data"]["id"] for i in body["data"]["attributes"]["incidents"]] == list(
        three.values()
    )


@pytest.mark.parametrize(
    "params",
    [
        {"query": "colour:red"},
        {"query": "state:(active"},
        {"query": "a OR b"},
        {},
        {"query": "*", "sort": "title"},
    ],
    ids=["unknown facet", "unclosed", "top-level OR", "no query", "bad sort"],
)
def test_search_refuses_bad_queries_with_400(client: httpx.Client, params: dict[str, str]) -> None:
    response = client.get("/api/v2/incidents/search", params=params)
    assert response.status_code == 400
    assert api_errors(response)


# -- incident types and user-defined fields ------------------------------------------------


def test_incident_types_list_live_ones_unless_deleted_ones_are_asked_for(
    client: httpx.Client,
) -> None:
    live = client.get("/api/v2/incidents/config/types").json()["data"]
    assert {t["id"] for t in live} == {DEFAULT_TYPE, SECURITY_TYPE}
    assert [t["attributes"]["is_default"] for t in live if t["id"] == DEFAULT_TYPE] == [True]
    every = client.get("/api/v2/incidents/config/types", params={"include_deleted": "true"}).json()
    assert RETIRED_TYPE in {t["id"] for t in every["data"]}
    assert (
        client.get("/api/v2/incidents/config/types", params={"include_deleted": "y"}).status_code
        == 400
    )


def test_get_incident_type_by_id_or_404(client: httpx.Client) -> None:
    one = client.get(f"/api/v2/incidents/config/types/{SECURITY_TYPE}").json()["data"]
    assert one["attributes"]["name"] == "Security Incident"
    missing = client.get(f"/api/v2/incidents/config/types/{UNKNOWN_ID}")
    assert missing.status_code == 404
    assert UNKNOWN_ID in api_errors(missing)[0]


def test_user_defined_fields_are_listed_per_type_with_the_org_values(client: httpx.Client) -> None:
    body = client.get(
        "/api/v2/incidents/config/user-defined-fields",
        params={"filter[incident-type]": DEFAULT_TYPE},
    ).json()
    by_name = {f["attributes"]["name"]: f for f in body["data"]}
    assert "customer_tier" in by_name
    assert "data_classification" not in by_name  # a Security Incident field
    severity = by_name["severity"]["attributes"]
    assert (severity["type"], severity["reserved"]) == (1, True)  # 1 = dropdown
    assert [v["value"] for v in severity["valid_values"]] == [
        "UNKNOWN",
        "SEV-1",
        "SEV-2",
        "SEV-3",
        "SEV-4",
        "SEV-5",
    ]
    assert body["meta"] == {"offset": 0, "size": len(body["data"])}
    page = client.get(
        "/api/v2/incidents/config/user-defined-fields", params={"page[size]": 3, "page[number]": 1}
    )
    assert page.json()["meta"] == {"offset": 3, "size": 3}


def test_the_import_relationship_lists_the_ids_of_the_type_fields(client: httpx.Client) -> None:
    data = created(client)
    listed = client.get(
        "/api/v2/incidents/config/user-defined-fields",
        params={"filter[incident-type]": DEFAULT_TYPE},
    ).json()["data"]
    assert {r["id"] for r in data["relationships"]["user_defined_fields"]["data"]} == {
        f["id"] for f in listed
    }


def test_get_user_defined_field_by_id_or_jsonapi_404(client: httpx.Client) -> None:
    first = client.get("/api/v2/incidents/config/user-defined-fields").json()["data"][0]
    one = client.get(f"/api/v2/incidents/config/user-defined-fields/{first['id']}")
    assert one.json()["data"] == first
    missing = client.get(f"/api/v2/incidents/config/user-defined-fields/{UNKNOWN_ID}")
    assert missing.status_code == 404
    assert jsonapi_errors(missing)[0]["title"] == "Not Found"
    bad = client.get("/api/v2/incidents/config/user-defined-fields", params={"include": "users"})
    assert bad.status_code == 400
    jsonapi_errors(bad)


# -- impacts -------------------------------------------------------------------------------

IMPACT = {
    "data": {
        "type": "incident_impacts",
        "attributes": {
            "description": "Checkout unavailable",
            "start_at": "2025-01-01T00:00:00Z",
            "end_at": "2025-01-01T00:45:00Z",
            "fields": {"customers_impacted": "all"},
        },
    }
}


def test_impacts_are_created_listed_and_shown_on_the_incident(client: httpx.Client) -> None:
    incident_id = created(client, detected="2025-01-01T00:10:00Z", declared="2025-01-01T00:12:00Z")[
        "id"
    ]
    response = client.post(f"/api/v2/incidents/{incident_id}/impacts", json=IMPACT)
    assert response.status_code == 201
    assert response.headers["content-type"] == JSONAPI
    impact = response.json()["data"]
    assert impact["type"] == "incident_impacts"
    assert impact["relationships"]["incident"]["data"] == {"id": incident_id, "type": "incidents"}
    listed = client.get(f"/api/v2/incidents/{incident_id}/impacts").json()["data"]
    assert [i["id"] for i in listed] == [impact["id"]]
    attrs = client.get(f"/api/v2/incidents/{incident_id}").json()["data"]["attributes"]
    assert attrs["customer_impacted"] is True
    assert attrs["customer_impact_duration"] == 45 * 60
    assert attrs["time_to_detect"] == 10 * 60  # impact start -> detected
    assert attrs["time_to_repair"] == 35 * 60  # detected -> impact end


def test_impact_errors_answer_like_the_recordings(client: httpx.Client) -> None:
    nil = client.post("/api/v2/incidents/00000000-0000-0000-0000-000000000000/impacts", json=IMPACT)
    assert nil.status_code == 400
    real_400 = recorded("error_incident_impact_bad_request_400.json")["errors"][0]
    assert jsonapi_errors(nil)[0]["detail"] == real_400["detail"]
    unknown = client.post(f"/api/v2/incidents/{UNKNOWN_ID}/impacts", json=IMPACT)
    assert unknown.status_code == 404
    real_404 = recorded("error_incident_impact_not_found_404.json")["errors"][0]
    got = jsonapi_errors(unknown)[0]
    assert (got["title"], got["detail"]) == (real_404["title"], real_404["detail"])


@pytest.mark.parametrize(
    ("change", "mentions"),
    [
        ({"type": "impacts"}, 'expected one of "incident_impacts"'),
        ({"attributes": {"start_at": "2025-01-01T00:00:00Z"}}, "description"),
        ({"attributes": {"description": "d"}}, "start_at"),
        (
            {
                "attributes": {
                    "description": "d",
                    "start_at": "2025-01-02T00:00:00Z",
                    "end_at": "2025-01-01T00:00:00Z",
                }
            },
            "before",
        ),
        (
            {
                "attributes": {
                    "description": "d",
                    "start_at": "2025-01-01T00:00:00Z",
                    "severity": "high",
                }
            },
            "severity",
        ),
    ],
)
def test_invalid_impacts_are_a_jsonapi_400(
    client: httpx.Client, change: dict[str, Any], mentions: str
) -> None:
    incident_id = created(client)["id"]
    body = {"data": {**IMPACT["data"], **change}}
    response = client.post(f"/api/v2/incidents/{incident_id}/impacts", json=body)
    assert response.status_code == 400
    assert any(mentions in e["detail"] for e in jsonapi_errors(response))


# -- users ---------------------------------------------------------------------------------


def emails(response: httpx.Response) -> list[str]:
    return [u["attributes"]["email"] for u in response.json()["data"]]


def test_users_filter_is_a_case_insensitive_substring_match(client: httpx.Client) -> None:
    # "ann.lee@example.com" is inside "joann.lee@example.com": a client must pick the exact one.
    both = client.get("/api/v2/users", params={"filter": "ANN.LEE@example.COM"})
    assert both.status_code == 200
    assert sorted(emails(both)) == ["Ann.Lee@Example.com", "joann.lee@example.com"]
    assert emails(client.get("/api/v2/users", params={"filter": "joann.lee@example.com"})) == [
        "joann.lee@example.com"
    ]
    assert emails(client.get("/api/v2/users", params={"filter": "nobody@example.com"})) == []


def test_users_answer_like_the_recording(client: httpx.Client, emulator: Emulator) -> None:
    body = client.get("/api/v2/users", params={"filter": "grace"}).json()
    real = recorded("list_users_filter_ok.json", 1)
    assert set(body) == set(real)
    assert set(body["data"][0]["attributes"]) >= set(real["data"][0]["attributes"])
    assert set(body["data"][0]["relationships"]) == set(real["data"][0]["relationships"])
    assert body["meta"]["page"] == {"total_count": len(emulator.users), "total_filtered_count": 1}


def test_users_filter_by_status_page_and_sort(client: httpx.Client, emulator: Emulator) -> None:
    disabled = client.get("/api/v2/users", params={"filter[status]": "Disabled"})
    assert emails(disabled) == ["dan.okafor@example.com"]
    names = [u.email for u in emulator.users]
    everyone = emails(client.get("/api/v2/users", params={"page[size]": 100, "sort": "email"}))
    assert everyone == sorted(names, key=str.lower)
    pages = [
        emails(
            client.get(
                "/api/v2/users", params={"page[size]": 4, "page[number]": n, "sort": "email"}
            )
        )
        for n in range(3)
    ]
    assert [email for page in pages for email in page] == everyone
    assert client.get("/api/v2/users", params={"page[size]": 101}).status_code == 400
    assert client.get("/api/v2/users", params={"sort": "age"}).status_code == 400


def test_get_user_by_id_or_404(client: httpx.Client) -> None:
    assert client.get(f"/api/v2/users/{ANN}").json()["data"]["attributes"]["name"] == "Ann Lee"
    missing = client.get(f"/api/v2/users/{UNKNOWN_ID}")
    assert missing.status_code == 404
    assert api_errors(missing)


# -- the rest ------------------------------------------------------------------------------


def test_unknown_routes_and_methods_answer_json_errors(client: httpx.Client) -> None:
    assert api_errors(client.get("/api/v2/monitors")) == ["Not Found"]
    wrong_method = client.put(IMPORT, json=import_body())
    assert wrong_method.status_code == 405
    assert api_errors(wrong_method) == ["Method Not Allowed"]


def test_every_operation_is_logged_with_its_status(
    client: httpx.Client, emulator: Emulator
) -> None:
    created(client)
    client.get("/api/v2/users", params={"filter": "x"})
    client.get("/api/v2/nowhere")
    assert [(r.operation, r.status) for r in emulator.requests] == [
        ("ImportIncident", 201),
        ("ListUsers", 200),
        (None, 404),
    ]
    assert emulator.status_counts() == {201: 1, 200: 1, 404: 1}
    assert len(OPERATIONS) == 13


def test_incident_ids_in_paths_are_read_in_any_case(client: httpx.Client) -> None:
    incident_id = created(client)["id"]
    assert client.get(f"/api/v2/incidents/{incident_id.upper()}").status_code == 200
    assert client.delete(f"/api/v2/incidents/{incident_id.upper()}").status_code == 204


# Offsets that push a valid local time out of datetime's range once converted to UTC.
OVERFLOWING = ("0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-05:00")


@pytest.mark.parametrize("moment", OVERFLOWING)
@pytest.mark.parametrize("key", ["detected", "declared"])
def test_a_timestamp_out_of_range_in_utc_is_a_400_naming_it(
    client: httpx.Client, emulator: Emulator, moment: str, key: str
) -> None:
    response = client.post(IMPORT, json=import_body(**{key: moment}))
    assert response.status_code == 400
    (message,) = api_errors(response)
    assert f"data.attributes.{key}" in message
    assert moment in message
    assert emulator.incidents == []


@pytest.mark.parametrize("moment", OVERFLOWING)
def test_an_impact_time_out_of_range_is_a_400(client: httpx.Client, moment: str) -> None:
    incident_id = client.post(IMPORT, json=import_body()).json()["data"]["id"]
    attributes = {**IMPACT["data"]["attributes"], "start_at": moment}
    response = client.post(
        f"/api/v2/incidents/{incident_id}/impacts",
        json={"data": {**IMPACT["data"], "attributes": attributes}},
    )
    assert response.status_code == 400
    assert "start_at" in jsonapi_errors(response)[0]["detail"]


def nested(depth: int) -> bytes:
    return (
        b'{"data": {"type": "incidents", "attributes": {"title": "deep", "fields": {"x": '
        + (b"[" * depth + b"]" * depth)
        + b"}}}}"
    )


@pytest.mark.parametrize("depth", [200, 5000, 100_000])
def test_a_body_nested_deeper_than_any_real_request_is_a_400(
    client: httpx.Client, emulator: Emulator, depth: int
) -> None:
    response = client.post(
        IMPORT, content=nested(depth), headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "nested" in api_errors(response)[0]
    assert emulator.incidents == []


def test_a_deep_body_over_real_http_is_answered_not_dropped(emulator: Emulator) -> None:
    with emulator.serve() as url, httpx.Client(base_url=url, headers=KEYS) as http:
        response = http.post(
            IMPORT, content=nested(5000), headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert "nested" in api_errors(response)[0]
        assert http.post(IMPORT, json=import_body()).status_code == 201


def test_what_the_client_sent_is_quoted_with_control_characters_escaped(
    client: httpx.Client,
) -> None:
    body = import_body(fields={"sev\x1b[2Jerity": {"value": "SEV-1"}})
    (message,) = api_errors(client.post(IMPORT, json=body))
    assert "\x1b" not in message
    assert "sev\\x1b[2Jerity" in message
    response = client.get("/api/v2/incidents/%1B%5B2Jgone")
    assert "\x1b" not in response.text


@pytest.mark.parametrize(
    ("permissions", "path", "status"),
    [
        ({"incident_read"}, "/api/v2/incidents/config/types", 200),
        ({"incident_settings_read"}, "/api/v2/incidents/config/types", 200),
        ({"incident_settings_read"}, "/api/v2/incidents/config/user-defined-fields", 403),
        ({"incident_read"}, "/api/v2/users", 403),
        ({"user_access_read"}, "/api/v2/users", 200),
        ({"user_access_read"}, "/api/v2/incidents/search?query=state:active", 403),
    ],
)
def test_a_key_with_a_permission_set_is_refused_where_it_lacks_one(
    permissions: set[str], path: str, status: int
) -> None:
    config = EmulatorConfig(app_key_permissions={"scoped": frozenset(permissions)})
    headers = {**KEYS, "DD-APPLICATION-KEY": "scoped"}
    with httpx.Client(
        transport=Emulator(config).sync_transport(), base_url="http://e", headers=headers
    ) as c:
        response = c.get(path)
    assert response.status_code == status
    if status == 403:
        assert "permission" in api_errors(response)[0]


def test_a_key_without_incident_write_imports_nothing() -> None:
    emulator = Emulator(
        EmulatorConfig(app_key_permissions={"scoped": frozenset({"incident_read"})})
    )
    headers = {**KEYS, "DD-APPLICATION-KEY": "scoped"}
    with httpx.Client(
        transport=emulator.sync_transport(), base_url="http://e", headers=headers
    ) as c:
        assert c.post(IMPORT, json=import_body()).status_code == 403
    assert emulator.incidents == []


@pytest.mark.parametrize("variant", ["absent", "not-text"])
def test_an_import_carrying_legacy_id_is_refused_when_the_org_has_no_text_field_for_it(
    variant: Any,
) -> None:
    emulator = Emulator(EmulatorConfig(org=Org.default().with_provenance(variant)))
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS) as c:
        response = c.post(IMPORT, json=import_body(fields={"legacy_id": {"value": "k:1"}}))
    assert response.status_code == 400
    assert "legacy_id" in api_errors(response)[0]
