"""The Datadog side of ddinc: a typed client for incident import and what it needs around it.

- :class:`DatadogClient` / :class:`AsyncDatadogClient`: import (one, or many with bounded
  concurrency), users by email, incident types, field configurations, search, get, delete,
  impacts; paced under Datadog's rate limits; retries that never create duplicates.
- :mod:`~ddinc.datadog.models`: strict request models, lenient response models.
- :mod:`~ddinc.datadog.errors`: one error class per thing the user does differently.
- :mod:`~ddinc.datadog.sites`: the nine Datadog sites and where keys may be sent.

The local emulator lives in :mod:`ddinc.datadog.emulator` and is imported from there.
"""

from ddinc.datadog.bulk import DEFAULT_CONCURRENCY, ImportOutcome, OutcomeCallback, StartCallback
from ddinc.datadog.client import DEFAULT_TIMEOUT, AsyncDatadogClient, DatadogClient
from ddinc.datadog.credentials import Credentials, Secret
from ddinc.datadog.errors import (
    BadRequestError,
    DatadogAPIError,
    DatadogConnectionError,
    DatadogError,
    ForbiddenError,
    ImportOutcomeUnknownError,
    InvalidRequestError,
    InvalidResponseError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    UndecodableResponseError,
    UnexpectedStatusError,
)
from ddinc.datadog.models import (
    IMPORT_INCLUDE_VALUES,
    IncidentImpactCreateRequest,
    IncidentImpactResponse,
    IncidentImportRequest,
    IncidentImportResponse,
    IncidentResponse,
    IncidentSearchResponse,
    IncidentTypeListResponse,
    User,
    UserDefinedFieldListResponse,
    UsersResponse,
    error_messages,
)
from ddinc.datadog.ratelimit import MAX_SERVER_WAIT, PacerState, RateLimitHeaders
from ddinc.datadog.retry import RetryPolicy
from ddinc.datadog.sites import DEFAULT_SITE, SITES, api_url, resolve_base_url

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_SITE",
    "DEFAULT_TIMEOUT",
    "IMPORT_INCLUDE_VALUES",
    "MAX_SERVER_WAIT",
    "SITES",
    "AsyncDatadogClient",
    "BadRequestError",
    "Credentials",
    "DatadogAPIError",
    "DatadogClient",
    "DatadogConnectionError",
    "DatadogError",
    "ForbiddenError",
    "ImportOutcome",
    "ImportOutcomeUnknownError",
    "IncidentImpactCreateRequest",
    "IncidentImpactResponse",
    "IncidentImportRequest",
    "IncidentImportResponse",
    "IncidentResponse",
    "IncidentSearchResponse",
    "IncidentTypeListResponse",
    "InvalidRequestError",
    "InvalidResponseError",
    "NotFoundError",
    "OutcomeCallback",
    "OutcomeUnknownError",
    "PacerState",
    "RateLimitHeaders",
    "RateLimitedError",
    "RetryPolicy",
    "Secret",
    "ServerError",
    "StartCallback",
    "UnauthorizedError",
    "UndecodableResponseError",
    "UnexpectedStatusError",
    "User",
    "UserDefinedFieldListResponse",
    "UsersResponse",
    "api_url",
    "error_messages",
    "resolve_base_url",
]
