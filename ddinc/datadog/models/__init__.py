"""pydantic models of the Datadog endpoints an importer uses.

Requests are strict: no coercion, no unknown keys, timestamps timezone-aware (sent as UTC
``...Z``), and the rules the API enforces on its own (``title`` at most 1024 characters,
``resolved`` only with ``fields.state`` resolved) fail here, before anything is sent.
Responses are lenient: unknown keys are kept (``extra="allow"``), almost everything is
optional, and both error body shapes Datadog uses are read (see :func:`error_messages`).

Operations covered: ``ImportIncident`` (request, 201 response with ``included`` users and
incident types), ``ListUsers`` / ``GetUser``, ``ListIncidentTypes`` / ``GetIncidentType``,
``ListIncidentUserDefinedFields`` / ``GetIncidentUserDefinedField``, ``SearchIncidents``,
``GetIncident``, ``ListIncidents``, ``DeleteIncident`` (no body), ``CreateIncidentImpact``
and ``ListIncidentImpacts``.

Modules: :mod:`~ddinc.datadog.models.requests` (strict), :mod:`~ddinc.datadog.models.responses`
(lenient), :mod:`~ddinc.datadog.models.error_bodies` (both error shapes); import from here.
"""

from ddinc.datadog.models.error_bodies import (
    ApiErrorBody,
    JsonApiErrorBody,
    JsonApiErrorItem,
    error_messages,
)
from ddinc.datadog.models.requests import (
    IMPORT_INCLUDE_VALUES,
    TITLE_MAX_CHARS,
    FieldValue,
    ImportInclude,
    IncidentImpactCreateAttributes,
    IncidentImpactCreateData,
    IncidentImpactCreateRequest,
    IncidentImportAttributes,
    IncidentImportData,
    IncidentImportRelationships,
    IncidentImportRequest,
    UserRef,
    UserRelationship,
)
from ddinc.datadog.models.responses import (
    IncidentAttributes,
    IncidentData,
    IncidentImpactAttributes,
    IncidentImpactData,
    IncidentImpactResponse,
    IncidentImpactsResponse,
    IncidentImportResponse,
    IncidentResponse,
    IncidentSearchAttributes,
    IncidentSearchData,
    IncidentSearchResponse,
    IncidentsResponse,
    IncidentTypeAttributes,
    IncidentTypeData,
    IncidentTypeListResponse,
    IncidentTypeResponse,
    IncludedItem,
    IncludedUser,
    IncludedUserAttributes,
    Resource,
    ResponseField,
    SearchedIncident,
    User,
    UserAttributes,
    UserDefinedField,
    UserDefinedFieldAttributes,
    UserDefinedFieldListResponse,
    UserDefinedFieldResponse,
    UserResponse,
    UsersResponse,
    ValidValue,
)

__all__ = [
    "IMPORT_INCLUDE_VALUES",
    "TITLE_MAX_CHARS",
    "ApiErrorBody",
    "FieldValue",
    "ImportInclude",
    "IncidentAttributes",
    "IncidentData",
    "IncidentImpactAttributes",
    "IncidentImpactCreateAttributes",
    "IncidentImpactCreateData",
    "IncidentImpactCreateRequest",
    "IncidentImpactData",
    "IncidentImpactResponse",
    "IncidentImpactsResponse",
    "IncidentImportAttributes",
    "IncidentImportData",
    "IncidentImportRelationships",
    "IncidentImportRequest",
    "IncidentImportResponse",
    "IncidentResponse",
    "IncidentSearchAttributes",
    "IncidentSearchData",
    "IncidentSearchResponse",
    "IncidentTypeAttributes",
    "IncidentTypeData",
    "IncidentTypeListResponse",
    "IncidentTypeResponse",
    "IncidentsResponse",
    "IncludedItem",
    "IncludedUser",
    "IncludedUserAttributes",
    "JsonApiErrorBody",
    "JsonApiErrorItem",
    "Resource",
    "ResponseField",
    "SearchedIncident",
    "User",
    "UserAttributes",
    "UserDefinedField",
    "UserDefinedFieldAttributes",
    "UserDefinedFieldListResponse",
    "UserDefinedFieldResponse",
    "UserRef",
    "UserRelationship",
    "UserResponse",
    "UsersResponse",
    "ValidValue",
    "error_messages",
]
