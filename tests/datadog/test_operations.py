"""The request-building core: paths, queries and bodies, with errors before sending."""

from __future__ import annotations

import httpx
import pytest
from pydantic import BaseModel

from ddinc.datadog import operations as ops
from ddinc.datadog.errors import ImportOutcomeUnknownError, InvalidResponseError
from ddinc.datadog.models import IncidentImportRequest, IncidentImportResponse, UsersResponse
from ddinc.errors import ConfigError


def test_an_import_call_is_a_write_carrying_its_request() -> None:
    request = IncidentImportRequest.of("t")
    call = ops.import_incident(request, ["incident_type", "commander_user", "incident_type"])
    assert call.method == "POST"
    assert call.path == "/api/v2/incidents/import"
    assert call.params == (("include", "incident_type,commander_user"),)  # deduplicated
    assert call.body == request.payload()
    assert call.write
    assert call.request is request


def test_unknown_include_values_fail_before_sending() -> None:
    with pytest.raises(ConfigError, match=r"cannot include 'users'.*incident_type"):
        ops.import_incident(IncidentImportRequest.of("t"), ["users"])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="allowed values are users, attachments"):
        ops.get_incident("i", include=["incident_type"])


def test_ids_are_escaped_into_one_path_segment() -> None:
    assert ops.get_incident("../users?x=1").path == "/api/v2/incidents/..%2Fusers%3Fx%3D1"
    assert ops.delete_incident(" e2fe83b8 ").path == "/api/v2/incidents/e2fe83b8"
    with pytest.raises(ConfigError, match="incident id is empty"):
        ops.get_incident("  ")


def test_reads_are_not_writes() -> None:
    for call in (
        ops.get_incident("i"),
        ops.delete_incident("i"),
        ops.list_users(),
        ops.search_incidents("state:active"),
        ops.list_incident_types(),
        ops.list_user_defined_fields(),
    ):
        assert not call.write
        assert call.body is None


def test_paging_and_filters_are_checked() -> None:
    assert ops.list_users(filter="a@b.c", status="Active", page_size=50, page_number=1).params == (
        ("page[size]", "50"),
        ("page[number]", "1"),
        ("filter", "a@b.c"),
        ("filter[status]", "Active"),
    )
    with pytest.raises(ConfigError, match="1 to 100"):
        ops.list_users(page_size=101)
    with pytest.raises(ConfigError, match="negative"):
        ops.list_users(page_number=-1)
    with pytest.raises(ConfigError, match="0 to 1000"):
        ops.list_user_defined_fields(page_size=1001)
    with pytest.raises(ConfigError, match="query is empty"):
        ops.search_incidents(" ")
    with pytest.raises(ConfigError, match="created, -created"):
        ops.search_incidents("state:active", sort="title")


def _answer(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=body)


def test_parse_reads_a_good_body_and_names_a_bad_one() -> None:
    call = ops.list_users()
    users = ops.parse(
        call, _answer(b'{"data": [{"id": "u", "type": "users"}]}'), UsersResponse, "api.test"
    )
    assert users.data[0].id == "u"
    with pytest.raises(InvalidResponseError, match="not a proxy or login page") as caught:
        ops.parse(call, _answer(b"<html>login</html>"), UsersResponse, "api.test")
    assert caught.value.status == 200


def test_an_unreadable_201_to_an_import_is_an_unknown_outcome() -> None:
    # The incident exists but its id is lost: the push layer must reconcile, not resend.
    call = ops.import_incident(IncidentImportRequest.of("t"))
    with pytest.raises(
        ImportOutcomeUnknownError, match="answered 201 but its body could not be read"
    ):
        ops.parse(call, _answer(b'{"data": {}}', 201), IncidentImportResponse, "api.test")


def test_parse_is_generic_over_models() -> None:
    class Tiny(BaseModel):
        a: int

    assert ops.parse(ops.list_users(), _answer(b'{"a": 1}'), Tiny, "h").a == 1


def test_one_include_value_given_as_a_string_is_one_value() -> None:
    from ddinc.datadog import operations as ops

    assert ops._include("incident_type", ("incident_type",), "X") == (("include", "incident_type"),)


def test_the_import_probe_breaks_the_import_schema_three_ways_and_carries_no_request() -> None:
    call = ops.import_probe()
    assert (call.operation, call.method, call.path) == (
        "ImportIncident",
        "POST",
        "/api/v2/incidents/import",
    )
    assert call.request is None
    data = ops.IMPORT_PROBE_BODY["data"]
    assert data["type"] != "incidents"
    assert "title" not in data["attributes"]
    with pytest.raises(ValueError, match="UUID"):
        __import__("uuid").UUID(data["attributes"]["incident_type_uuid"])


def test_the_spec_refuses_the_import_probe() -> None:
    from tests.datadog.emulator import spec

    validator = spec.component("IncidentImportRequest", response=False)
    errors = list(validator.iter_errors(ops.IMPORT_PROBE_BODY))
    assert len(errors) >= 2  # the type enum and the missing title at least
