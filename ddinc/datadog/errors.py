"""Errors on the Datadog side, one class per thing the user does differently.

::

    DatadogError (ddinc.errors)
    ├── DatadogAPIError                Datadog answered with an error status
    │   ├── BadRequestError            400: the request breaks a rule; fix the record
    │   ├── UnauthorizedError          401: API key not accepted (wrong key or wrong site)
    │   ├── ForbiddenError             403: not allowed (incident_write? Preview enabled?)
    │   ├── NotFoundError              404: no such resource (imports: Preview not enabled?)
    │   ├── RateLimitedError           429 that outlasted the client's own waits
    │   ├── ServerError                5xx on a read, after the client's retries
    │   └── UnexpectedStatusError      any other status
    ├── DatadogConnectionError         no answer: could not connect, or reads kept failing
    ├── InvalidResponseError           a success answer ddinc cannot read
    │   └── UndecodableResponseError   ... whose bytes cannot even be decoded (corrupt gzip)
    └── OutcomeUnknownError            a write may or may not have happened: reconcile first
        └── ImportOutcomeUnknownError  ... for an incident import

Every error carries what a notebook or the push layer needs as attributes (``status``,
``messages`` as Datadog wrote them, ``request_id``, ``operation``) and says in its message what
to do next. No message ever contains a key: they are built only from the status, Datadog's
body, the operation and the host.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final

from ddinc.datadog.models import error_messages
from ddinc.datadog.printable import printable
from ddinc.datadog.ratelimit import RateLimitHeaders
from ddinc.errors import DatadogError, InvalidRequestError

if TYPE_CHECKING:
    from ddinc.datadog.models import IncidentImportRequest

__all__ = [
    "REQUEST_ID_HEADERS",
    "BadRequestError",
    "DatadogAPIError",
    "DatadogConnectionError",
    "DatadogError",
    "ForbiddenError",
    "ImportOutcomeUnknownError",
    "InvalidRequestError",
    "InvalidResponseError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "ServerError",
    "UnauthorizedError",
    "UndecodableResponseError",
    "UnexpectedStatusError",
    "answered_by_datadog",
    "error_from_response",
    "request_id_of",
    "via_of",
]

REQUEST_ID_HEADERS: Final = ("x-request-id", "x-datadog-request-id", "dd-request-id")
"""Where a request id may be found, first match wins (Datadog support asks for it)."""

_IMPORT: Final = "ImportIncident"
_PERMISSIONS: Final = {
    "ImportIncident": "incident_write",
    "DeleteIncident": "incident_write",
    "CreateIncidentImpact": "incident_write",
    "ListUsers": "user_access_read",
    "GetUser": "user_access_read",
}


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The request id an answer carries, if any."""
    lowered = {key.lower(): value for key, value in headers.items()}
    return next((lowered[name] for name in REQUEST_ID_HEADERS if lowered.get(name)), None)


def answered_by_datadog(headers: Mapping[str, str], body: bytes) -> bool:
    """Whether an answer looks like Datadog's own, rather than a proxy's or a gateway's.

    Datadog's API answers carry ``x-ratelimit-*`` headers, a request id, or its JSON error
    body ``{"errors": [...]}``; a corporate proxy's 502 is typically an HTML page with none.
    """
    lowered = {key.lower() for key in headers}
    if any(key.startswith("x-ratelimit-") for key in lowered):
        return True
    if lowered & set(REQUEST_ID_HEADERS):
        return True
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    return isinstance(parsed, dict) and "errors" in parsed


def via_of(headers: Mapping[str, str]) -> str | None:
    """The ``Via`` header (proxies that relayed the answer), if any."""
    return next((value for key, value in headers.items() if key.lower() == "via"), None)


class DatadogAPIError(DatadogError):
    """Datadog answered an operation with an error status.

    Attributes
    ----------
    status
        The HTTP status.
    messages
        Datadog's own messages, from either error body shape.
    request_id
        The answer's request id, when it had one: quote it to Datadog support.
    operation, method, path, host
        What was called, and where.
    rate_limit
        The answer's ``x-ratelimit-*`` headers, when present.
    from_datadog
        False when the answer does not look like Datadog's (see :func:`answered_by_datadog`):
        a proxy or gateway on the way answered.
    via
        The answer's ``Via`` header, naming the proxies that relayed it.

    Datadog's messages, the request id and anything else the server wrote are kept as sent in
    the attributes, and shown with control characters escaped in the message.
    """

    status_code: ClassVar[int | None] = None

    def __init__(
        self,
        status: int,
        messages: Sequence[str] = (),
        *,
        operation: str,
        method: str,
        path: str,
        host: str,
        request_id: str | None = None,
        rate_limit: RateLimitHeaders | None = None,
        from_datadog: bool = True,
        via: str | None = None,
    ) -> None:
        self.status = status
        self.messages = tuple(messages)
        self.operation = operation
        self.method = method
        self.path = path
        self.host = host
        self.request_id = request_id
        self.rate_limit = rate_limit
        self.from_datadog = from_datadog
        self.via = via
        super().__init__(self._compose())

    def hint(self) -> str:
        """What the user can do about it."""
        return "Check the request against Datadog's API documentation for this operation."

    def _compose(self) -> str:
        said = "; ".join(map(printable, self.messages)) if self.messages else "no message"
        where = f"{self.method} {printable(self.path)} on {self.host}"
        text = f"{self.operation} ({where}) answered {self.status}: {said}."
        if self.request_id:
            text += f" Request id {printable(self.request_id)}."
        if not self.from_datadog:
            relayed = f" (Via: {printable(self.via)})" if self.via else ""
            text += (
                f" This answer does not look like Datadog's: no Datadog headers or error "
                f"body{relayed}; a proxy or gateway between you and {self.host} answered."
            )
        return f"{text} {self.hint()}"


class BadRequestError(DatadogAPIError):
    """400: Datadog refused the request as written."""

    status_code = 400

    def hint(self) -> str:
        if self.operation == _IMPORT:
            return (
                "Fix this record and send it again: compare its fields with the org's "
                "configuration (client.list_user_defined_fields(), client.list_incident_types()) "
                "and its people with client.find_users_by_email()."
            )
        return "Fix the request as Datadog's message says and send it again."


class UnauthorizedError(DatadogAPIError):
    """401: the API key was not accepted."""

    status_code = 401

    def hint(self) -> str:
        return (
            f"Check that DD_API_KEY is a valid API key of the organization, created on the site "
            f"you are calling ({self.host}): keys of an org on another site (datadoghq.eu, "
            "us3.datadoghq.com, ...) are refused here, so set DD_SITE to the org's site."
        )


class ForbiddenError(DatadogAPIError):
    """403: invalid keys, keys of another site, or a missing permission or Preview."""

    status_code = 403

    def hint(self) -> str:
        permission = _PERMISSIONS.get(self.operation, "incident_read")
        text = (
            f"Check the keys first: Datadog answers 403 to an invalid API or application key "
            f"(without saying which) and to keys of an org on another site than {self.host} "
            f"(set DD_SITE). If they are right, the application key's user (or service "
            f"account) lacks the {permission} permission, or a scoped application key lacks "
            "that scope."
        )
        if self.operation == _IMPORT:
            text += (
                " Incident import is in Preview: if the permission is there, ask Datadog "
                "support to enable it for the org."
            )
        return text


class NotFoundError(DatadogAPIError):
    """404: the resource, or for imports possibly the endpoint itself, is not there."""

    status_code = 404

    def hint(self) -> str:
        if self.operation == _IMPORT:
            return (
                "The import endpoint itself was not found: incident import is in Preview, so "
                "ask Datadog support to enable it for the org, and check that the base URL "
                "is a Datadog API site."
            )
        return (
            "Nothing with that id in this organization: it was deleted, or it belongs to an "
            f"org on another site than {self.host}."
        )


class RateLimitedError(DatadogAPIError):
    """429 after the client waited for the window to reset and tried again, or a 429 asking
    for a longer wait than the client's cap (``asked_wait`` > ``max_wait``)."""

    status_code = 429

    def __init__(
        self,
        status: int,
        messages: Sequence[str] = (),
        *,
        asked_wait: float | None = None,
        max_wait: float | None = None,
        **where: Any,
    ) -> None:
        self.asked_wait = asked_wait
        self.max_wait = max_wait
        super().__init__(status, messages, **where)

    def hint(self) -> str:
        limit = self.rate_limit
        detail = ""
        if limit is not None:
            name = f" {limit.name!r}" if limit.name else ""
            detail = (
                f" The limit{name} is {limit.limit} per {limit.period:g} s; it resets in "
                f"{limit.reset:g} s."
            )
        if self.asked_wait is not None and self.max_wait is not None:
            return (
                f"The answer asked to wait {self.asked_wait:g} s before trying again, longer "
                f"than ddinc waits ({self.max_wait:g} s, RetryPolicy(max_server_wait=...)).{detail}"
                " Try again later, or raise the cap if such a wait is expected."
            )
        return (
            f"Datadog kept refusing for rate limiting.{detail} Another client probably shares "
            "the limit: lower the concurrency, or try again later."
        )


class ServerError(DatadogAPIError):
    """5xx: an error on Datadog's side."""

    def hint(self) -> str:
        if not self.from_datadog:
            return (
                "Check the proxy (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY) or the network between "
                "you and Datadog, then try again; Datadog may never have seen the request."
            )
        return (
            "This is on Datadog's side: try again later, check https://status.datadoghq.com, "
            "and quote the request id to Datadog support if it persists."
        )


class UnexpectedStatusError(DatadogAPIError):
    """A status the API does not document for this operation."""

    def hint(self) -> str:
        return (
            f"Datadog does not document this status here; check that {self.host} is a Datadog "
            "API (not a proxy) and quote the request id to Datadog support."
        )


class DatadogConnectionError(DatadogError):
    """No answer came: the host could not be reached, or a read failed after retries.

    Attributes
    ----------
    operation, host
        What was attempted, and where.
    sent
        Whether the request may have reached the server (False: it certainly did not).
    """

    def __init__(self, reason: str, *, operation: str, host: str, sent: bool) -> None:
        self.reason = reason
        self.operation = operation
        self.host = host
        self.sent = sent
        super().__init__(
            f"{operation}: no answer from {host} ({printable(reason)}). Check the network, a "
            "proxy, and the "
            "site (DD_SITE); for the local emulator, check that it is running on that port."
        )


class InvalidResponseError(DatadogError):
    """A success answer whose body is not what the operation returns."""

    def __init__(self, problem: str, *, operation: str, host: str, status: int) -> None:
        self.problem = problem
        self.operation = operation
        self.host = host
        self.status = status
        super().__init__(
            f"{operation} answered {status} from {host} with a body ddinc cannot read "
            f"({printable(problem)}). Check that {host} is a Datadog API site and not a proxy "
            "or login page."
        )


class UndecodableResponseError(InvalidResponseError):
    """A success answer whose body could not be decoded (corrupt compression or charset).

    For an import it is the cause of an :class:`ImportOutcomeUnknownError`: the incident was
    probably created, but its id never arrived.
    """


class OutcomeUnknownError(DatadogError):
    """A write may or may not have been applied: do not resend it blindly.

    Attributes
    ----------
    operation, host
        What was attempted, and where.
    reason
        What happened: a timeout, a 5xx, a dropped connection.
    status, messages, request_id
        What the answer said, when there was one.
    """

    def __init__(
        self,
        reason: str,
        *,
        operation: str,
        host: str,
        status: int | None = None,
        messages: Sequence[str] = (),
        request_id: str | None = None,
    ) -> None:
        self.reason = reason
        self.operation = operation
        self.host = host
        self.status = status
        self.messages = tuple(messages)
        self.request_id = request_id
        super().__init__(self._compose())

    def _details(self) -> str:
        said = f" It said: {'; '.join(map(printable, self.messages))}." if self.messages else ""
        request = f" Request id {printable(self.request_id)}." if self.request_id else ""
        return said + request

    def _compose(self) -> str:
        return (
            f"{self.operation} on {self.host} may or may not have been applied: "
            f"{printable(self.reason)}."
            f"{self._details()} Do not send it again blindly: look it up first, then resend "
            "only if it is not there."
        )


class ImportOutcomeUnknownError(OutcomeUnknownError):
    """An incident import may or may not have created the incident.

    Attributes
    ----------
    request
        The import request, to look the incident up (by title and timestamps, or a source id
        carried in a field) before sending it again.
    """

    def __init__(
        self,
        reason: str,
        *,
        request: IncidentImportRequest,
        host: str,
        status: int | None = None,
        messages: Sequence[str] = (),
        request_id: str | None = None,
    ) -> None:
        self.request = request
        super().__init__(
            reason,
            operation=_IMPORT,
            host=host,
            status=status,
            messages=messages,
            request_id=request_id,
        )

    @property
    def title(self) -> str:
        """The title of the incident whose import is in doubt."""
        return self.request.title

    def _compose(self) -> str:
        return (
            f"The import of {self.title[:80]!r} on {self.host} may or may not have created an "
            f"incident: {printable(self.reason)}.{self._details()} Do not import it again "
            "blindly: search "
            "for it first (client.search_incidents), or let the push ledger reconcile it."
        )


_BY_STATUS: Final[dict[int, type[DatadogAPIError]]] = {
    cls.status_code: cls
    for cls in (BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError, RateLimitedError)
    if cls.status_code is not None
}


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    operation: str,
    method: str,
    path: str,
    host: str,
) -> DatadogAPIError:
    """The error class for an error answer, with Datadog's messages and the request id."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else UnexpectedStatusError
    return cls(
        status,
        error_messages(body),
        operation=operation,
        method=method,
        path=path,
        host=host,
        request_id=request_id_of(headers),
        rate_limit=RateLimitHeaders.parse(headers),
        from_datadog=answered_by_datadog(headers, body),
        via=via_of(headers),
    )
