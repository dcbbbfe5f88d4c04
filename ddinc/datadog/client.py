"""The Datadog clients: :class:`DatadogClient` (sync) and :class:`AsyncDatadogClient`.

Both build the same :class:`~ddinc.datadog.operations.Call` for every operation, run it
through the same retry loop (:func:`~ddinc.datadog.retry.exchange`) and parse answers into
the same models; they differ only in how they sleep and send. Each client paces itself per
rate-limit bucket, shared by all its threads or tasks.

Examples
--------
Against the local emulator (a loopback URL is the only non-Datadog address accepted)::

    from ddinc.datadog import DatadogClient, IncidentImportRequest
    with DatadogClient(base_url="http://127.0.0.1:8126", api_key=..., app_key=...) as client:
        created = client.import_incident(IncidentImportRequest.of("Checkout down"))
        print(created.data.slug)

Against Datadog, with ``DD_SITE``, ``DD_API_KEY`` and ``DD_APP_KEY`` set::

    async with AsyncDatadogClient() as client:
        async for outcome in client.import_many(requests, concurrency=16):
            print(outcome.index, outcome.status, outcome.incident_id)
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterable, Iterator, Mapping
from importlib import metadata
from types import TracebackType
from typing import Final, Self, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel

from ddinc.datadog import operations as ops
from ddinc.datadog.bulk import (
    DEFAULT_CONCURRENCY,
    ImportOutcome,
    OutcomeCallback,
    StartCallback,
    import_many_async,
    import_many_sync,
)
from ddinc.datadog.credentials import Credentials, Secret
from ddinc.datadog.models import (
    ImportInclude,
    IncidentImpactCreateRequest,
    IncidentImpactResponse,
    IncidentImpactsResponse,
    IncidentImportRequest,
    IncidentImportResponse,
    IncidentResponse,
    IncidentSearchResponse,
    IncidentsResponse,
    IncidentTypeListResponse,
    IncidentTypeResponse,
    User,
    UserDefinedFieldListResponse,
    UserDefinedFieldResponse,
    UserResponse,
    UsersResponse,
)
from ddinc.datadog.ratelimit import PacerState, RateLimiter
from ddinc.datadog.retry import Exchange, Received, RetryPolicy, Undecodable, Wait, exchange
from ddinc.datadog.sites import is_loopback_host, resolve_base_url, site_of

__all__ = [
    "DEFAULT_TIMEOUT",
    "AsyncDatadogClient",
    "DatadogClient",
    "M",
    "same_email",
]

DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=10.0)
"""Per request: 10 s to connect, 30 s for each read or write."""

M = TypeVar("M", bound=BaseModel)


def _user_agent() -> str:
    try:
        version = metadata.version("ddinc")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"ddinc/{version} httpx/{httpx.__version__}"


def same_email(a: str | None, b: str | None) -> bool:
    """Whether two emails are the same address: case-insensitive, surrounding spaces ignored.

    Examples
    --------
    >>> same_email(" Frog@DatadogHQ.com", "frog@datadoghq.com")
    True
    """
    return a is not None and b is not None and a.strip().casefold() == b.strip().casefold()


class _ClientBase:
    """What both clients share: where to call, with which keys, and how to pace and retry."""

    def __init__(
        self,
        *,
        site: str | None,
        base_url: str | None,
        api_key: str | Secret | None,
        app_key: str | Secret | None,
        custom_transport: bool,
        policy: RetryPolicy | None,
        seed: int | None,
        environ: Mapping[str, str] | None,
    ) -> None:
        self._base_url = resolve_base_url(
            site=site, base_url=base_url, custom_transport=custom_transport, environ=environ
        )
        self._credentials = Credentials.resolve(api_key, app_key, environ=environ)
        self._host = urlsplit(self._base_url).netloc
        # The environment's proxies (HTTP_PROXY, ALL_PROXY...) are for reaching Datadog; a
        # loopback emulator is never proxied, or both keys would travel to the proxy in clear.
        self._trust_env = not is_loopback_host(urlsplit(self._base_url).hostname or "")
        self._policy = policy or RetryPolicy()
        self._rng = random.Random(seed)
        self._limiter = RateLimiter(max_wait=self._policy.max_server_wait)
        self._user_agent = _user_agent()

    @property
    def base_url(self) -> str:
        """The API root this client calls."""
        return self._base_url

    @property
    def site(self) -> str | None:
        """The Datadog site called, or None for the emulator or a custom transport."""
        return site_of(self._base_url)

    def rate_limits(self) -> dict[str, PacerState]:
        """What the client knows of each operation's rate limit (for notebooks)."""
        return self._limiter.states()

    def _headers(self) -> dict[str, str]:
        return {
            **self._credentials.headers(),
            "Accept": "application/json",
            "User-Agent": self._user_agent,
        }

    def _exchange(self, call: ops.Call) -> Exchange:
        return exchange(
            call, limiter=self._limiter, policy=self._policy, rng=self._rng, host=self._host
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"


def _read(response: httpx.Response) -> httpx.Response | Undecodable:
    """Read a streamed answer; a body that cannot be decoded leaves status and headers."""
    try:
        response.read()
    except httpx.DecodingError as error:
        return Undecodable(response.status_code, response.headers, error)
    finally:
        response.close()
    return response


async def _aread(response: httpx.Response) -> httpx.Response | Undecodable:
    """Read a streamed answer; a body that cannot be decoded leaves status and headers."""
    try:
        await response.aread()
    except httpx.DecodingError as error:
        return Undecodable(response.status_code, response.headers, error)
    finally:
        await response.aclose()
    return response


def _in_process(transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None) -> bool:
    """Whether requests through ``transport`` stay in this process (a mock, the emulator).

    httpx's own network transports leave it: with them the base URL must still be a Datadog
    site or loopback, so keys never go anywhere else.
    """
    if transport is None:
        return False
    return not isinstance(transport, httpx.HTTPTransport | httpx.AsyncHTTPTransport)


class DatadogClient(_ClientBase):
    """Synchronous client; safe to share between threads.

    Parameters
    ----------
    site
        A Datadog site (``datadoghq.eu``...); defaults to ``DD_SITE``, then ``datadoghq.com``.
    base_url
        Instead of a site: a loopback URL (the emulator), or any URL with ``transport``.
    api_key, app_key
        Default to ``DD_API_KEY`` and ``DD_APP_KEY``.
    transport
        A custom httpx transport (an in-process emulator, a MockTransport in tests).
    timeout
        httpx timeout per request.
    policy
        Retry limits and backoff (:class:`~ddinc.datadog.retry.RetryPolicy`).
    seed
        Seeds the backoff jitter, for reproducible tests.
    environ
        Where to read ``DD_*`` variables; defaults to ``os.environ``.

    Raises
    ------
    ConfigError
        When the site or base URL is not allowed, or a key is missing.
    """

    def __init__(
        self,
        *,
        site: str | None = None,
        base_url: str | None = None,
        api_key: str | Secret | None = None,
        app_key: str | Secret | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        seed: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            site=site,
            base_url=base_url,
            api_key=api_key,
            app_key=app_key,
            custom_transport=_in_process(transport),
            policy=policy,
            seed=seed,
            environ=environ,
        )
        self._http = httpx.Client(
            base_url=self._base_url,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=self._trust_env,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def _send(self, call: ops.Call) -> httpx.Response:
        request = self._http.build_request(
            call.method, call.path, params=call.params, json=call.body, headers=self._headers()
        )
        steps = self._exchange(call)
        try:
            step = next(steps)
            while True:
                if isinstance(step, Wait):
                    time.sleep(step.seconds)
                    step = steps.send(None)
                    continue
                try:
                    result: Received = _read(self._http.send(request, stream=True))
                except httpx.TransportError as error:
                    result = error
                step = steps.send(result)
        except StopIteration as finished:
            response: httpx.Response = finished.value
            return response
        finally:
            steps.close()

    def _call(self, call: ops.Call, model: type[M]) -> M:
        return ops.parse(call, self._send(call), model, self._host)

    # -- imports ----------------------------------------------------------------------------

    def import_incident(
        self, request: IncidentImportRequest, *, include: Iterable[ImportInclude] = ()
    ) -> IncidentImportResponse:
        """Import one incident (``POST /api/v2/incidents/import``).

        Raises
        ------
        ImportOutcomeUnknownError
            On a timeout, a dropped connection or a 5xx: it may exist; reconcile first.
        DatadogAPIError
            When Datadog refused it (a subclass per status).
        """
        return self._call(ops.import_incident(request, include), IncidentImportResponse)

    def import_many(
        self,
        requests: Iterable[IncidentImportRequest],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        include: Iterable[ImportInclude] = (),
        on_start: StartCallback | None = None,
        on_outcome: OutcomeCallback | None = None,
    ) -> Generator[ImportOutcome, None, None]:
        """Import many incidents on ``concurrency`` threads, yielding one outcome each.

        Every record started gets exactly one outcome, passed to ``on_outcome`` in the
        calling thread before it is yielded, including the outcomes of imports still in
        flight when the consumer stops early (``break``, ``close()``, an error): closing the
        generator sends nothing new, waits for those and hands them to ``on_outcome``.
        ``on_start(index, request)`` is called in the calling thread just before a record is
        sent. The full contract is in :mod:`ddinc.datadog.bulk`.
        """
        chosen = tuple(include)
        return import_many_sync(
            requests,
            lambda request: self.import_incident(request, include=chosen),
            concurrency=concurrency,
            on_start=on_start,
            on_outcome=on_outcome,
            host=self._host,
        )

    def create_incident_impact(
        self, incident_id: str, request: IncidentImpactCreateRequest
    ) -> IncidentImpactResponse:
        """Add customer impact to an incident (it cannot be set at import)."""
        call = ops.create_incident_impact(incident_id, request)
        return self._call(call, IncidentImpactResponse)

    def probe_import(self) -> httpx.Response:
        """Send the import endpoint a body it must refuse (:data:`~.operations.IMPORT_PROBE_BODY`).

        Tells whether the Preview answers to these keys without creating anything: the
        expected outcome is :class:`~ddinc.datadog.errors.BadRequestError` (400); 401, 403
        and 404 raise as for any operation. Returns the answer only if Datadog accepted the
        body, which it must not.
        """
        return self._send(ops.import_probe())

    # -- incidents ---------------------------------------------------------------------------

    def search_incidents(
        self,
        query: str,
        *,
        sort: str | None = None,
        page_size: int | None = None,
        page_offset: int | None = None,
    ) -> IncidentSearchResponse:
        """Search incidents, such as ``state:(active OR stable OR resolved)``."""
        call = ops.search_incidents(query, sort=sort, page_size=page_size, page_offset=page_offset)
        return self._call(call, IncidentSearchResponse)

    def get_incident(self, incident_id: str) -> IncidentResponse:
        """One incident by UUID."""
        return self._call(ops.get_incident(incident_id), IncidentResponse)

    def list_incidents(
        self, *, page_size: int | None = None, page_offset: int | None = None
    ) -> IncidentsResponse:
        """One page of the org's incidents (``GET /api/v2/incidents``; no documented order)."""
        call = ops.list_incidents(page_size=page_size, page_offset=page_offset)
        return self._call(call, IncidentsResponse)

    def list_incident_impacts(self, incident_id: str) -> IncidentImpactsResponse:
        """The impacts of one incident (``GET /api/v2/incidents/{id}/impacts``)."""
        return self._call(ops.list_incident_impacts(incident_id), IncidentImpactsResponse)

    def delete_incident(self, incident_id: str) -> None:
        """Delete an incident (idempotent: retried safely)."""
        self._send(ops.delete_incident(incident_id))

    # -- organization configuration ---------------------------------------------------------

    def list_users(
        self,
        *,
        filter: str | None = None,
        status: str | None = None,
        page_size: int = ops.DEFAULT_USER_PAGE_SIZE,
        page_number: int = 0,
    ) -> UsersResponse:
        """One page of users; ``filter`` matches names, handles and emails as substrings."""
        call = ops.list_users(
            filter=filter, status=status, page_size=page_size, page_number=page_number
        )
        return self._call(call, UsersResponse)

    def iter_users(self, *, filter: str | None = None, status: str | None = None) -> Iterator[User]:
        """Every user matching ``filter``, page after page."""
        page_number = 0
        while True:
            page = self.list_users(filter=filter, status=status, page_number=page_number)
            yield from page.data
            if len(page.data) < ops.DEFAULT_USER_PAGE_SIZE:
                return
            page_number += 1

    def find_users_by_email(self, email: str) -> list[User]:
        """Users whose email is ``email``, compared case-insensitively and trimmed."""
        return [
            user for user in self.iter_users(filter=email.strip()) if same_email(user.email, email)
        ]

    def get_user(self, user_id: str) -> UserResponse:
        """One user by id."""
        return self._call(ops.get_user(user_id), UserResponse)

    def list_incident_types(self, *, include_deleted: bool = False) -> IncidentTypeListResponse:
        """The org's incident types (the default one has ``is_default``)."""
        call = ops.list_incident_types(include_deleted=include_deleted)
        return self._call(call, IncidentTypeListResponse)

    def get_incident_type(self, incident_type_id: str) -> IncidentTypeResponse:
        """One incident type by UUID."""
        return self._call(ops.get_incident_type(incident_type_id), IncidentTypeResponse)

    def list_user_defined_fields(
        self, *, incident_type: str | None = None, include_deleted: bool = False
    ) -> UserDefinedFieldListResponse:
        """The org's incident field configurations, with their valid values."""
        call = ops.list_user_defined_fields(
            incident_type=incident_type, include_deleted=include_deleted
        )
        return self._call(call, UserDefinedFieldListResponse)

    def get_user_defined_field(self, field_id: str) -> UserDefinedFieldResponse:
        """One field configuration by id."""
        return self._call(ops.get_user_defined_field(field_id), UserDefinedFieldResponse)


class AsyncDatadogClient(_ClientBase):
    """Asynchronous client; the same parameters as :class:`DatadogClient`.

    ``transport`` is an ``httpx.AsyncBaseTransport`` here, such as the emulator's
    ``Emulator().transport()``.
    """

    def __init__(
        self,
        *,
        site: str | None = None,
        base_url: str | None = None,
        api_key: str | Secret | None = None,
        app_key: str | Secret | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        seed: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            site=site,
            base_url=base_url,
            api_key=api_key,
            app_key=app_key,
            custom_transport=_in_process(transport),
            policy=policy,
            seed=seed,
            environ=environ,
        )
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=self._trust_env,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def _send(self, call: ops.Call) -> httpx.Response:
        request = self._http.build_request(
            call.method, call.path, params=call.params, json=call.body, headers=self._headers()
        )
        steps = self._exchange(call)
        try:
            step = next(steps)
            while True:
                if isinstance(step, Wait):
                    await asyncio.sleep(step.seconds)
                    step = steps.send(None)
                    continue
                try:
                    result: Received = await _aread(await self._http.send(request, stream=True))
                except httpx.TransportError as error:
                    result = error
                step = steps.send(result)
        except StopIteration as finished:
            response: httpx.Response = finished.value
            return response
        finally:
            steps.close()

    async def _call(self, call: ops.Call, model: type[M]) -> M:
        return ops.parse(call, await self._send(call), model, self._host)

    # -- imports ----------------------------------------------------------------------------

    async def import_incident(
        self, request: IncidentImportRequest, *, include: Iterable[ImportInclude] = ()
    ) -> IncidentImportResponse:
        """Import one incident; see :meth:`DatadogClient.import_incident`."""
        return await self._call(ops.import_incident(request, include), IncidentImportResponse)

    def import_many(
        self,
        requests: Iterable[IncidentImportRequest],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        include: Iterable[ImportInclude] = (),
        on_start: StartCallback | None = None,
        on_outcome: OutcomeCallback | None = None,
    ) -> AsyncGenerator[ImportOutcome, None]:
        """Import many incidents with ``concurrency`` tasks, yielding one outcome each.

        Every record started gets exactly one outcome, passed to ``on_outcome`` in the event
        loop's thread as soon as it settles (before it is yielded), even after the consumer
        stopped iterating; ``aclose()`` sends nothing new and waits for the imports in
        flight. The full contract is in :mod:`ddinc.datadog.bulk`.
        """
        chosen = tuple(include)

        async def one(request: IncidentImportRequest) -> IncidentImportResponse:
            return await self.import_incident(request, include=chosen)

        return import_many_async(
            requests,
            one,
            concurrency=concurrency,
            on_start=on_start,
            on_outcome=on_outcome,
            host=self._host,
        )

    async def create_incident_impact(
        self, incident_id: str, request: IncidentImpactCreateRequest
    ) -> IncidentImpactResponse:
        """Add customer impact to an incident (it cannot be set at import)."""
        call = ops.create_incident_impact(incident_id, request)
        return await self._call(call, IncidentImpactResponse)

    async def probe_import(self) -> httpx.Response:
        """The import probe; see :meth:`DatadogClient.probe_import`."""
        return await self._send(ops.import_probe())

    # -- incidents ---------------------------------------------------------------------------

    async def search_incidents(
        self,
        query: str,
        *,
        sort: str | None = None,
        page_size: int | None = None,
        page_offset: int | None = None,
    ) -> IncidentSearchResponse:
        """Search incidents, such as ``state:(active OR stable OR resolved)``."""
        call = ops.search_incidents(query, sort=sort, page_size=page_size, page_offset=page_offset)
        return await self._call(call, IncidentSearchResponse)

    async def get_incident(self, incident_id: str) -> IncidentResponse:
        """One incident by UUID."""
        return await self._call(ops.get_incident(incident_id), IncidentResponse)

    async def list_incidents(
        self, *, page_size: int | None = None, page_offset: int | None = None
    ) -> IncidentsResponse:
        """One page of the org's incidents (``GET /api/v2/incidents``; no documented order)."""
        call = ops.list_incidents(page_size=page_size, page_offset=page_offset)
        return await self._call(call, IncidentsResponse)

    async def list_incident_impacts(self, incident_id: str) -> IncidentImpactsResponse:
        """The impacts of one incident (``GET /api/v2/incidents/{id}/impacts``)."""
        return await self._call(ops.list_incident_impacts(incident_id), IncidentImpactsResponse)

    async def delete_incident(self, incident_id: str) -> None:
        """Delete an incident (idempotent: retried safely)."""
        await self._send(ops.delete_incident(incident_id))

    # -- organization configuration ---------------------------------------------------------

    async def list_users(
        self,
        *,
        filter: str | None = None,
        status: str | None = None,
        page_size: int = ops.DEFAULT_USER_PAGE_SIZE,
        page_number: int = 0,
    ) -> UsersResponse:
        """One page of users; ``filter`` matches names, handles and emails as substrings."""
        call = ops.list_users(
            filter=filter, status=status, page_size=page_size, page_number=page_number
        )
        return await self._call(call, UsersResponse)

    async def iter_users(
        self, *, filter: str | None = None, status: str | None = None
    ) -> AsyncIterator[User]:
        """Every user matching ``filter``, page after page."""
        page_number = 0
        while True:
            page = await self.list_users(filter=filter, status=status, page_number=page_number)
            for user in page.data:
                yield user
            if len(page.data) < ops.DEFAULT_USER_PAGE_SIZE:
                return
            page_number += 1

    async def find_users_by_email(self, email: str) -> list[User]:
        """Users whose email is ``email``, compared case-insensitively and trimmed."""
        return [
            user
            async for user in self.iter_users(filter=email.strip())
            if same_email(user.email, email)
        ]

    async def get_user(self, user_id: str) -> UserResponse:
        """One user by id."""
        return await self._call(ops.get_user(user_id), UserResponse)

    async def list_incident_types(
        self, *, include_deleted: bool = False
    ) -> IncidentTypeListResponse:
        """The org's incident types (the default one has ``is_default``)."""
        call = ops.list_incident_types(include_deleted=include_deleted)
        return await self._call(call, IncidentTypeListResponse)

    async def get_incident_type(self, incident_type_id: str) -> IncidentTypeResponse:
        """One incident type by UUID."""
        return await self._call(ops.get_incident_type(incident_type_id), IncidentTypeResponse)

    async def list_user_defined_fields(
        self, *, incident_type: str | None = None, include_deleted: bool = False
    ) -> UserDefinedFieldListResponse:
        """The org's incident field configurations, with their valid values."""
        call = ops.list_user_defined_fields(
            incident_type=incident_type, include_deleted=include_deleted
        )
        return await self._call(call, UserDefinedFieldListResponse)

    async def get_user_defined_field(self, field_id: str) -> UserDefinedFieldResponse:
        """One field configuration by id."""
        return await self._call(ops.get_user_defined_field(field_id), UserDefinedFieldResponse)
