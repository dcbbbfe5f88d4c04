"""Datadog's own Python client, pointed at the real emulator server, works and parses everything.

``datadog-api-client`` is configured as its documentation shows (host, ``apiKeyAuth`` and
``appKeyAuth``, the unstable operations enabled) with ``check_return_type`` on. Each response
must deserialize into its model without any part left as an ``UnparsedObject`` (the client's
silent fallback when a body does not match its models).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ApiException, NotFoundException
from datadog_api_client.model_utils import OpenApiModel, UnparsedObject, validate_and_convert_types
from datadog_api_client.v2.api.incidents_api import IncidentsApi
from datadog_api_client.v2.api.users_api import UsersApi
from datadog_api_client.v2.model.incident_impact_create_attributes import (
    IncidentImpactCreateAttributes,
)
from datadog_api_client.v2.model.incident_impact_create_data import IncidentImpactCreateData
from datadog_api_client.v2.model.incident_impact_create_request import IncidentImpactCreateRequest
from datadog_api_client.v2.model.incident_impact_type import IncidentImpactType
from datadog_api_client.v2.model.incident_import_field_attributes_single_value import (
    IncidentImportFieldAttributesSingleValue,
)
from datadog_api_client.v2.model.incident_import_related_object import IncidentImportRelatedObject
from datadog_api_client.v2.model.incident_import_request import IncidentImportRequest
from datadog_api_client.v2.model.incident_import_request_attributes import (
    IncidentImportRequestAttributes,
)
from datadog_api_client.v2.model.incident_import_request_data import IncidentImportRequestData
from datadog_api_client.v2.model.incident_import_response import IncidentImportResponse
from datadog_api_client.v2.model.incident_type import IncidentType

from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator, EmulatorConfig, Faults
from tests.conftest import shared_path

pytestmark = pytest.mark.filterwarnings("ignore:Using unstable operation:UserWarning")

UNSTABLE = (
    "import_incident",
    "search_incidents",
    "get_incident",
    "delete_incident",
    "list_incidents",
    "list_incident_types",
    "get_incident_type",
    "list_incident_user_defined_fields",
    "get_incident_user_defined_field",
)


def configuration(url: str, **options: Any) -> Configuration:
    config = Configuration(host=url, check_return_type=True, **options)
    config.api_key["apiKeyAuth"] = DEMO_API_KEY
    config.api_key["appKeyAuth"] = DEMO_APP_KEY
    for operation in UNSTABLE:
        # The "v2."-prefixed key raises KeyError in datadog-api-client 2.62 (after setting it).
        config.unstable_operations[operation] = True
    return config


def unparsed_parts(value: object, path: str = "$") -> tuple[list[str], int]:
    """Paths of parts the client could not parse, and how many models were visited."""
    if isinstance(value, UnparsedObject):
        return [path], 1
    found: list[str] = []
    visited = 0
    children: dict[Any, Any] = {}
    if isinstance(value, OpenApiModel):
        visited = 1
        if value._unparsed:
            found.append(path)
        children = dict(value._data_store)
        # A oneOf model keeps what it parsed in its composed instances.
        for n, instance in enumerate(getattr(value, "_composed_instances", [])):
            children[f"<oneOf {n}>"] = instance
    elif isinstance(value, list):
        children = dict(enumerate(value))
    elif isinstance(value, dict):
        children = value
    for key, child in children.items():
        more, count = unparsed_parts(child, f"{path}.{key}")
        found += more
        visited += count
    return found, visited


def fully_parsed(model: object, at_least: int = 3) -> None:
    found, visited = unparsed_parts(model)
    assert found == []
    assert visited >= at_least  # the walk did reach nested models


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(EmulatorConfig(faults=Faults(burst_length=1, burst_reset=1)))
    with emulator.serve() as url:
        yield emulator, url


@pytest.fixture
def api(served: tuple[Emulator, str]) -> Iterator[IncidentsApi]:
    with ApiClient(configuration(served[1])) as client:
        yield IncidentsApi(client)


def import_request(title: str, **fields: str) -> IncidentImportRequest:
    attributes = IncidentImportRequestAttributes(title=title)
    if fields:
        attributes.fields = {
            name: IncidentImportFieldAttributesSingleValue(value=value)
            for name, value in fields.items()
        }
    return IncidentImportRequest(
        data=IncidentImportRequestData(type=IncidentType.INCIDENTS, attributes=attributes)
    )


def test_import_find_user_search_get_and_delete(
    served: tuple[Emulator, str], api: IncidentsApi
) -> None:
    emulator, url = served
    include = [
        IncidentImportRelatedObject.CREATED_BY_USER,
        IncidentImportRelatedObject.INCIDENT_TYPE,
    ]
    imported = api.import_incident(
        body=import_request("Official client import", severity="SEV-3"), include=include
    )
    fully_parsed(imported, at_least=10)
    incident_id = imported.data.id
    assert (
        imported.data.attributes.fields["slug"].value == f"IR-{imported.data.attributes.public_id}"
    )
    kinds = {type(i.get_oneof_instance()).__name__ for i in imported.included}
    assert kinds == {"IncidentUserData", "IncidentTypeObject"}

    with ApiClient(configuration(url)) as client:
        users = UsersApi(client).list_users(filter="bob.martin@example.com")
    fully_parsed(users)
    assert [u.attributes.email for u in users.data] == ["Bob.Martin@EXAMPLE.com"]

    found = api.search_incidents(query="state:(active OR stable OR resolved) AND severity:SEV-3")
    fully_parsed(found, at_least=10)
    assert [i.data.id for i in found.data.attributes.incidents] == [incident_id]

    got = api.get_incident(incident_id)
    fully_parsed(got, at_least=5)
    assert got.data.attributes.title == "Official client import"

    api.delete_incident(incident_id)
    assert emulator.store.incident(incident_id) is None
    with pytest.raises(NotFoundException) as refused:
        api.delete_incident(incident_id)
    assert refused.value.body == {"errors": [f"incident {incident_id} not found"]}


def test_models_deserialize_every_other_response(
    served: tuple[Emulator, str], api: IncidentsApi
) -> None:
    incident_id = api.import_incident(body=import_request("For impacts")).data.id
    impact = api.create_incident_impact(
        incident_id,
        body=IncidentImpactCreateRequest(
            data=IncidentImpactCreateData(
                type=IncidentImpactType.INCIDENT_IMPACTS,
                attributes=IncidentImpactCreateAttributes(
                    description="Checkout down",
                    start_at=datetime(2025, 1, 1, tzinfo=UTC),
                    end_at=datetime(2025, 1, 1, 1, tzinfo=UTC),
                ),
            )
        ),
    )
    fully_parsed(impact)
    assert impact.data.attributes.end_at == datetime(2025, 1, 1, 1, tzinfo=UTC)
    fully_parsed(api.list_incident_impacts(incident_id))
    fully_parsed(api.list_incidents(), at_least=10)
    types = api.list_incident_types(include_deleted=True)
    fully_parsed(types)
    fully_parsed(api.get_incident_type(types.data[0].id))
    fields = api.list_incident_user_defined_fields()
    fully_parsed(fields, at_least=20)
    for field in fields.data:
        fully_parsed(api.get_incident_user_defined_field(field.id))
    with ApiClient(configuration(served[1])) as client:
        users_api = UsersApi(client)
        everyone = users_api.list_users(page_size=100)
        fully_parsed(everyone, at_least=len(served[0].users))
        fully_parsed(users_api.get_user(everyone.data[0].id))


def test_server_side_rules_come_back_as_api_exceptions(api: IncidentsApi) -> None:
    with pytest.raises(ApiException) as refused:
        api.import_incident(body=import_request("Unknown severity", severity="SEV-0"))
    assert refused.value.status == 400
    assert "SEV-0" in refused.value.body["errors"][0]


def test_the_official_retry_reads_the_emulator_rate_limit_headers(
    served: tuple[Emulator, str],
) -> None:
    emulator, url = served
    emulator.inject("rate_limited", operation="ListIncidentTypes")
    with ApiClient(configuration(url, enable_retry=True)) as client:
        types = IncidentsApi(client).list_incident_types()
    assert len(types.data) == 2
    statuses = [r.status for r in emulator.requests if r.operation == "ListIncidentTypes"]
    assert statuses[-2:] == [429, 200]


def test_the_official_retry_duplicates_an_import_after_a_5xx_after_store(
    served: tuple[Emulator, str],
) -> None:
    """Why ddinc has its own client: ``enable_retry`` re-sends a POST that was stored."""
    emulator, url = served
    before = len(emulator.incidents)
    emulator.inject("error_after_store", operation="ImportIncident")
    with ApiClient(configuration(url, enable_retry=True)) as client:
        IncidentsApi(client).import_incident(body=import_request("Stored twice"))
    titles = [i.title for i in emulator.incidents[before:]]
    assert titles == ["Stored twice", "Stored twice"]


def test_the_unparsed_check_finds_a_body_the_models_cannot_read() -> None:
    """The check above has teeth: a field value of the wrong shape is reported."""

    path = shared_path("datadog", "recorded", "import_incident_created.json")
    body = json.loads(path.read_text())["interactions"][0]["response"]["body"]

    def parse(data: dict[str, Any]) -> object:
        return validate_and_convert_types(
            data, (IncidentImportResponse,), ["body"], True, True, configuration=Configuration()
        )

    assert unparsed_parts(parse(body))[0] == []
    body["data"]["attributes"]["fields"]["severity"] = {"type": "dropdown", "value": ["SEV-1"]}
    assert "$.data.attributes.fields.severity" in unparsed_parts(parse(body))[0]
