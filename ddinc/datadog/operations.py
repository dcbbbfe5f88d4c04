"""The request-building core both clients share: one :class:`Call` per API operation.

A :class:`Call` is plain data: method, path, query, JSON body, the model its answer parses
into, and whether it is a write that must never be resent blindly. The sync and async
clients turn calls into HTTP exchanges (:mod:`ddinc.datadog.retry`) and answers into models
(:func:`parse`); nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from ddinc.datadog.errors import ImportOutcomeUnknownError, InvalidResponseError
from ddinc.datadog.models import (
    IMPORT_INCLUDE_VALUES,
    ImportInclude,
    IncidentImpactCreateRequest,
    IncidentImportRequest,
)
from ddinc.errors import ConfigError

__all__ = [
    "DEFAULT_USER_PAGE_SIZE",
    "IMPACT_INCLUDE_VALUES",
    "IMPORT_PROBE_BODY",
    "INCIDENT_INCLUDE_VALUES",
    "SEARCH_SORT_VALUES",
    "UDF_INCLUDE_VALUES",
    "Call",
    "M",
    "Method",
    "create_incident_impact",
    "delete_incident",
    "get_incident",
    "get_incident_type",
    "get_user",
    "get_user_defined_field",
    "import_incident",
    "import_probe",
    "list_incident_impacts",
    "list_incident_types",
    "list_incidents",
    "list_user_defined_fields",
    "list_users",
    "parse",
    "search_incidents",
]

DEFAULT_USER_PAGE_SIZE: Final = 100
INCIDENT_INCLUDE_VALUES: Final = ("users", "attachments")
IMPACT_INCLUDE_VALUES: Final = ("incident", "created_by_user", "last_modified_by_user")
SEARCH_SORT_VALUES: Final = ("created", "-created")
UDF_INCLUDE_VALUES: Final = ("last_modified_by_user", "created_by_user", "incident_type")

IMPORT_PROBE_BODY: Final[dict[str, Any]] = {
    "data": {
        "type": "ddinc_doctor_probe",
        "attributes": {"incident_type_uuid": "not-a-uuid"},
    }
}
"""An import body Datadog must refuse with 400 before storing anything.

Three independent breaches of ``IncidentImportRequest``, each enough on its own: ``data.type``
is not the one allowed value ``incidents``, the required ``title`` is missing (nothing to name
an incident by), and ``incident_type_uuid`` is not a UUID. No lenient reading of it can be an
incident.
"""

Method = Literal["GET", "POST", "DELETE"]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Call:
    """One API operation, ready to send.

    Attributes
    ----------
    operation
        The spec's operationId, such as ``ImportIncident``.
    method, path, params, body
        The HTTP request (``path`` already escaped).
    write
        A write that is not idempotent: a timeout or 5xx leaves its outcome unknown, so it is
        never retried after the request may have reached the server.
    request
        The import request, for :class:`~ddinc.datadog.errors.ImportOutcomeUnknownError`.
    """

    operation: str
    method: Method
    path: str
    params: tuple[tuple[str, str], ...] = ()
    body: dict[str, Any] | None = None
    write: bool = False
    request: IncidentImportRequest | None = None


def _segment(value: str, what: str) -> str:
    text = value.strip()
    if not text:
        raise ConfigError(f"The {what} is empty: pass the id Datadog returned.")
    return quote(text, safe="")


def _include(
    values: Iterable[str], allowed: tuple[str, ...], operation: str
) -> tuple[tuple[str, str], ...]:
    # One value given as a plain string is one value, not its characters.
    chosen = [values] if isinstance(values, str) else list(dict.fromkeys(values))
    unknown = [value for value in chosen if value not in allowed]
    if unknown:
        raise ConfigError(
            f"{operation} cannot include {', '.join(map(repr, unknown))}: the allowed values "
            f"are {', '.join(allowed)}."
        )
    return (("include", ",".join(chosen)),) if chosen else ()


def import_incident(request: IncidentImportRequest, include: Iterable[ImportInclude] = ()) -> Call:
    """``POST /api/v2/incidents/import``."""
    return Call(
        operation="ImportIncident",
        method="POST",
        path="/api/v2/incidents/import",
        params=_include(include, IMPORT_INCLUDE_VALUES, "ImportIncident"),
        body=request.payload(),
        write=True,
        request=request,
    )


def import_probe() -> Call:
    """``POST /api/v2/incidents/import`` with :data:`IMPORT_PROBE_BODY`: reachable, creates nothing.

    Not a write: a body that can never be stored is safe to send again after a lost answer.
    """
    return Call(
        operation="ImportIncident",
        method="POST",
        path="/api/v2/incidents/import",
        body=IMPORT_PROBE_BODY,
    )


def list_users(
    *,
    filter: str | None = None,
    status: str | None = None,
    page_size: int = DEFAULT_USER_PAGE_SIZE,
    page_number: int = 0,
) -> Call:
    """``GET /api/v2/users``; ``filter`` matches names, handles and emails (substring)."""
    if not 1 <= page_size <= 100:
        raise ConfigError(f"page_size {page_size} is out of range: Datadog allows 1 to 100.")
    if page_number < 0:
        raise ConfigError(f"page_number {page_number} is negative: pages count from 0.")
    params = [("page[size]", str(page_size)), ("page[number]", str(page_number))]
    if filter is not None:
        params.append(("filter", filter))
    if status is not None:
        params.append(("filter[status]", status))
    return Call("ListUsers", "GET", "/api/v2/users", tuple(params))


def get_user(user_id: str) -> Call:
    """``GET /api/v2/users/{user_id}``."""
    return Call("GetUser", "GET", f"/api/v2/users/{_segment(user_id, 'user id')}")


def list_incident_types(*, include_deleted: bool = False) -> Call:
    """``GET /api/v2/incidents/config/types``."""
    params = (("include_deleted", "true"),) if include_deleted else ()
    return Call("ListIncidentTypes", "GET", "/api/v2/incidents/config/types", params)


def get_incident_type(incident_type_id: str) -> Call:
    """``GET /api/v2/incidents/config/types/{incident_type_id}``."""
    segment = _segment(incident_type_id, "incident type id")
    return Call("GetIncidentType", "GET", f"/api/v2/incidents/config/types/{segment}")


def list_user_defined_fields(
    *,
    incident_type: str | None = None,
    include_deleted: bool = False,
    page_size: int = 1000,
    page_number: int = 0,
    include: Iterable[str] = (),
) -> Call:
    """``GET /api/v2/incidents/config/user-defined-fields``."""
    if not 0 <= page_size <= 1000:
        raise ConfigError(f"page_size {page_size} is out of range: Datadog allows 0 to 1000.")
    params = [("page[size]", str(page_size)), ("page[number]", str(page_number))]
    if include_deleted:
        params.append(("include-deleted", "true"))
    if incident_type is not None:
        params.append(("filter[incident-type]", incident_type))
    params.extend(_include(include, UDF_INCLUDE_VALUES, "ListIncidentUserDefinedFields"))
    return Call(
        "ListIncidentUserDefinedFields",
        "GET",
        "/api/v2/incidents/config/user-defined-fields",
        tuple(params),
    )


def get_user_defined_field(field_id: str) -> Call:
    """``GET /api/v2/incidents/config/user-defined-fields/{field_id}``."""
    segment = _segment(field_id, "field id")
    return Call(
        "GetIncidentUserDefinedField",
        "GET",
        f"/api/v2/incidents/config/user-defined-fields/{segment}",
    )


def search_incidents(
    query: str,
    *,
    sort: str | None = None,
    page_size: int | None = None,
    page_offset: int | None = None,
    include: str | None = None,
) -> Call:
    """``GET /api/v2/incidents/search``; ``query`` such as ``state:(active OR resolved)``."""
    if not query.strip():
        raise ConfigError("The search query is empty: try 'state:(active OR stable OR resolved)'.")
    params = [("query", query)]
    if sort is not None:
        if sort not in SEARCH_SORT_VALUES:
            raise ConfigError(f"sort {sort!r} is not one of {', '.join(SEARCH_SORT_VALUES)}.")
        params.append(("sort", sort))
    if page_size is not None:
        params.append(("page[size]", str(page_size)))
    if page_offset is not None:
        params.append(("page[offset]", str(page_offset)))
    if include is not None:
        params.extend(_include([include], INCIDENT_INCLUDE_VALUES, "SearchIncidents"))
    return Call("SearchIncidents", "GET", "/api/v2/incidents/search", tuple(params))


def _paging(page_size: int | None, page_offset: int | None) -> list[tuple[str, str]]:
    params = []
    if page_size is not None:
        if not 1 <= page_size <= 100:
            raise ConfigError(f"page_size {page_size} is out of range: Datadog allows 1 to 100.")
        params.append(("page[size]", str(page_size)))
    if page_offset is not None:
        if page_offset < 0:
            raise ConfigError(f"page_offset {page_offset} is negative: offsets count from 0.")
        params.append(("page[offset]", str(page_offset)))
    return params


def list_incidents(
    *, page_size: int | None = None, page_offset: int | None = None, include: Iterable[str] = ()
) -> Call:
    """``GET /api/v2/incidents`` (ListIncidents): one page of the org's incidents.

    The spec documents no order and no filter: a caller wanting all of them pages to the end.
    """
    params = _paging(page_size, page_offset)
    params.extend(_include(include, INCIDENT_INCLUDE_VALUES, "ListIncidents"))
    return Call("ListIncidents", "GET", "/api/v2/incidents", tuple(params))


def list_incident_impacts(incident_id: str, *, include: Iterable[str] = ()) -> Call:
    """``GET /api/v2/incidents/{incident_id}/impacts`` (ListIncidentImpacts)."""
    return Call(
        "ListIncidentImpacts",
        "GET",
        f"/api/v2/incidents/{_segment(incident_id, 'incident id')}/impacts",
        _include(include, IMPACT_INCLUDE_VALUES, "ListIncidentImpacts"),
    )


def get_incident(incident_id: str, *, include: Iterable[str] = ()) -> Call:
    """``GET /api/v2/incidents/{incident_id}``."""
    return Call(
        "GetIncident",
        "GET",
        f"/api/v2/incidents/{_segment(incident_id, 'incident id')}",
        _include(include, INCIDENT_INCLUDE_VALUES, "GetIncident"),
    )


def delete_incident(incident_id: str) -> Call:
    """``DELETE /api/v2/incidents/{incident_id}`` (idempotent: safe to retry)."""
    return Call(
        "DeleteIncident", "DELETE", f"/api/v2/incidents/{_segment(incident_id, 'incident id')}"
    )


def create_incident_impact(
    incident_id: str, request: IncidentImpactCreateRequest, *, include: Iterable[str] = ()
) -> Call:
    """``POST /api/v2/incidents/{incident_id}/impacts``."""
    return Call(
        "CreateIncidentImpact",
        "POST",
        f"/api/v2/incidents/{_segment(incident_id, 'incident id')}/impacts",
        _include(include, IMPACT_INCLUDE_VALUES, "CreateIncidentImpact"),
        body=request.payload(),
        write=True,
    )


def parse(call: Call, response: httpx.Response, model: type[M], host: str) -> M:
    """The success body of ``call`` as ``model``.

    Raises
    ------
    ImportOutcomeUnknownError
        When an import answered 2xx with an unreadable body: the incident exists, its id is
        not known.
    InvalidResponseError
        For any other unreadable success body.
    """
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        problem = f"{exc.error_count()} problem(s), first: {exc.errors()[0]['msg']}"
        if call.request is not None:
            raise ImportOutcomeUnknownError(
                f"Datadog answered {response.status_code} but its body could not be read "
                f"({problem})",
                request=call.request,
                host=host,
                status=response.status_code,
            ) from exc
        raise InvalidResponseError(
            problem, operation=call.operation, host=host, status=response.status_code
        ) from exc
