"""The emulator's HTTP surface: Starlette routes and the middleware stack around them.

Operations (the spec's operation ids), their error bodies and content types:

=============================  =======================================  ==================
operation                      route                                    error body
=============================  =======================================  ==================
ImportIncident                 POST /api/v2/incidents/import            API (or JSON:API)
SearchIncidents                GET  /api/v2/incidents/search            API
ListIncidents                  GET  /api/v2/incidents                   API
GetIncident                    GET  /api/v2/incidents/{incident_id}     API
DeleteIncident                 DELETE /api/v2/incidents/{incident_id}   API
ListIncidentImpacts            GET  /api/v2/incidents/{id}/impacts      JSON:API
CreateIncidentImpact           POST /api/v2/incidents/{id}/impacts      JSON:API
ListIncidentTypes              GET  /api/v2/incidents/config/types      API
GetIncidentType                GET  .../config/types/{incident_type_id} API
ListIncidentUserDefinedFields  GET  .../config/user-defined-fields      JSON:API
GetIncidentUserDefinedField    GET  .../user-defined-fields/{field_id}  JSON:API
ListUsers                      GET  /api/v2/users                       API
GetUser                        GET  /api/v2/users/{user_id}             API
=============================  =======================================  ==================

"API" is ``{"errors": ["..."]}`` in ``application/json``; "JSON:API" is ``{"errors":
[{"status", "title", "detail"}]}`` in ``application/vnd.api+json``. The impact endpoints use
JSON:API as Datadog's recordings show, although the spec declares the API shape for them.
Authentication (401/403) and rate limiting (429) always answer in the API shape.

Middleware, outermost first: request log, faults (latency, 5xx, drops, 429 bursts),
authentication, rate limits, then the routes.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from http import HTTPStatus
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from ddinc.datadog.emulator import render
from ddinc.datadog.emulator.config import EmulatorConfig
from ddinc.datadog.emulator.faults import FaultInjector, FaultMiddleware
from ddinc.datadog.emulator.middleware import (
    AuthMiddleware,
    LogMiddleware,
    RequestRecord,
    classifier,
)
from ddinc.datadog.emulator.org import Org
from ddinc.datadog.emulator.ratelimit import RateLimit, RateLimiter, RateLimitMiddleware
from ddinc.datadog.emulator.search import (
    parse_query,
    search_response,
    treat_unknown_facets,
    undocumented_facets,
    visible,
)
from ddinc.datadog.emulator.store import Store, StoredImpact, StoredIncident
from ddinc.datadog.emulator.validate import (
    IMPACT_INCLUDES,
    IMPORT_INCLUDES,
    INCIDENT_INCLUDES,
    UDF_INCLUDES,
    ImportRequest,
    Problem,
    parse_bool,
    parse_impact,
    parse_import,
    parse_include,
    parse_int,
)

__all__ = [
    "JSONAPI",
    "MAX_JSON_DEPTH",
    "OPERATIONS",
    "WRITE_OPERATIONS",
    "AppState",
    "T",
    "build_app",
]

JSONAPI = "application/vnd.api+json"
T = TypeVar("T")
WRITE_OPERATIONS = frozenset({"ImportIncident", "DeleteIncident", "CreateIncidentImpact"})
_JSONAPI_ERRORS = frozenset(
    {
        "ListIncidentImpacts",
        "CreateIncidentImpact",
        "ListIncidentUserDefinedFields",
        "GetIncidentUserDefinedField",
    }
)
_USERS = frozenset({"ListUsers", "GetUser"})
_MAX_LOG = 100_000
_NIL_UUID = "00000000-0000-0000-0000-000000000000"
# Datadog's recorded answer to an impact on an unknown incident, word for word.
_IMPACT_NOT_FOUND = (
    "rpc error: code = NotFound desc = incident not found: failed to get incident: "
    "incident not found"
)


@dataclass
class AppState:
    """What the routes read and change; owned by :class:`~ddinc.datadog.emulator.Emulator`."""

    config: EmulatorConfig
    store: Store
    injector: FaultInjector
    limiters: dict[str, RateLimiter]
    log: deque[RequestRecord] = field(default_factory=lambda: deque(maxlen=_MAX_LOG))
    status_counts: Counter[int] = field(default_factory=Counter)


# -- responses -----------------------------------------------------------------------------


def _error(operation: str, problem: Problem, state: AppState) -> Response:
    jsonapi = operation in _JSONAPI_ERRORS or (
        operation == "ImportIncident" and state.config.import_error_shape == "jsonapi"
    )
    if jsonapi and problem.status not in (401, 403, 429):
        title = HTTPStatus(problem.status).phrase
        if operation == "CreateIncidentImpact" and problem.status == 404:
            title = "Generic Error"
        body = render.jsonapi_error(problem.status, title, *problem.messages)
        return JSONResponse(body, status_code=problem.status, media_type=JSONAPI)
    return JSONResponse(render.api_error(*problem.messages), status_code=problem.status)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


MAX_JSON_DEPTH = 32
"""Deepest nesting of a request body the emulator reads; a real one is about 6 deep."""


def _depth(value: object) -> int:
    """How deeply ``value`` nests arrays and objects, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:  # deeper is refused anyway: stop counting
                stack.extend((child, depth + 1) for child in item)
    return deepest


async def _json_body(request: Request) -> object | Problem:
    raw = await request.body()
    too_deep = Problem.of(400, f"the request body is nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        # NaN/Infinity are not JSON, and an escaped unpaired surrogate is no character: stored,
        # either would make every later answer that shows it fail to render.
        parsed: object = json.loads(raw, parse_constant=_no_constant)
        if _depth(parsed) > MAX_JSON_DEPTH:
            return too_deep
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
        return parsed
    except RecursionError:  # deeper than Python's own stack: far past the limit
        return too_deep
    except ValueError as exc:
        return Problem.of(400, f"the request body is not valid JSON ({exc})")


def _include(request: Request, allowed: frozenset[str]) -> tuple[str, ...] | Problem:
    values = request.query_params.getlist("include")
    return parse_include(",".join(values) if values else None, allowed)


# -- routes --------------------------------------------------------------------------------


class _Routes:
    """Route handlers; each returns the response for one operation."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    @property
    def org(self) -> Org:
        return self.state.config.org

    def fail(self, operation: str, problem: Problem) -> Response:
        return _error(operation, problem, self.state)

    async def _durably(self, write: Callable[[], T]) -> T:
        """Run a store write, persisted (and fsynced) before the answer, off the event loop.

        In memory a write is a dict update: it runs here. Persisted, the journal's write and
        its fsync run in a worker thread, so that other requests are served meanwhile.
        """
        store = self.state.store
        if store.path is None:
            return write()

        def write_and_sync() -> T:
            result = write()
            store.sync()
            return result

        return await run_in_threadpool(write_and_sync)

    async def import_incident(self, request: Request) -> Response:
        op = "ImportIncident"
        if not self.state.config.import_enabled:
            return self.fail(
                op, Problem.of(403, "incident import (Preview) is not enabled for this org")
            )
        include = _include(request, IMPORT_INCLUDES)
        if isinstance(include, Problem):
            return self.fail(op, include)
        body = await _json_body(request)
        parsed = body if isinstance(body, Problem) else parse_import(body, self.org)
        if isinstance(parsed, Problem):
            return self.fail(op, parsed)
        store = self.state.store
        incident = await self._durably(
            lambda: store.add_incident(lambda public_id: self._build(parsed, public_id))
        )
        payload = render.import_response(incident, self.org, include)
        return JSONResponse(payload, status_code=201, media_type=JSONAPI)

    def _build(self, request: ImportRequest, public_id: int) -> StoredIncident:
        created = self.state.config.now().astimezone(UTC)
        owner = self.org.key_owner_id
        resolved = request.resolved
        if resolved is None and request.fields.get("state") == "resolved":
            resolved = created  # the state changed to resolved when it was imported
        return StoredIncident(
            id=str(uuid.uuid4()),
            public_id=public_id,
            title=request.title,
            incident_type_uuid=request.incident_type_uuid,
            visibility=request.visibility,
            fields=request.fields,
            created=created,
            modified=created,
            detected=request.detected or created,
            declared=request.declared or created,
            resolved=resolved,
            created_by_id=owner,
            declared_by_id=request.declared_by_id or owner,
            commander_id=request.commander_id,
        )

    def _incident_or_404(self, op: str, incident_id: str) -> StoredIncident | Response:
        incident = self.state.store.incident(incident_id.lower())
        if incident is None:
            return self.fail(op, Problem.of(404, f"incident {incident_id} not found"))
        return incident

    def _impacts_by_incident(self) -> dict[str, list[StoredImpact]]:
        grouped: dict[str, list[StoredImpact]] = {}
        for impact in self.state.store.impacts():
            grouped.setdefault(impact.incident_id, []).append(impact)
        return grouped

    async def get_incident(self, request: Request) -> Response:
        op = "GetIncident"
        include = _include(request, INCIDENT_INCLUDES)
        if isinstance(include, Problem):
            return self.fail(op, include)
        found = self._incident_or_404(op, request.path_params["incident_id"])
        if isinstance(found, Response):
            return found
        impacts = self.state.store.impacts(found.id)
        body: dict[str, Any] = {"data": render.incident_resource(found, self.org, impacts)}
        if "users" in include:
            body["included"] = render.included_users([found], self.org)
        return JSONResponse(body)

    async def delete_incident(self, request: Request) -> Response:
        incident_id = request.path_params["incident_id"]
        store = self.state.store
        if not await self._durably(lambda: store.delete_incident(incident_id.lower())):
            return self.fail("DeleteIncident", Problem.of(404, f"incident {incident_id} not found"))
        return Response(status_code=204, media_type="text/html; charset=utf-8")

    def _page(self, request: Request, op: str) -> tuple[int, int] | Response:
        params = request.query_params
        size = parse_int(params.get("page[size]"), "page[size]", default=10, maximum=100)
        if isinstance(size, Problem):
            return self.fail(op, size)
        offset = parse_int(params.get("page[offset]"), "page[offset]", default=0)
        if isinstance(offset, Problem):
            return self.fail(op, offset)
        return size, offset

    async def list_incidents(self, request: Request) -> Response:
        op = "ListIncidents"
        include = _include(request, INCIDENT_INCLUDES)
        if isinstance(include, Problem):
            return self.fail(op, include)
        paging = self._page(request, op)
        if isinstance(paging, Response):
            return paging
        size, offset = paging
        page = self.state.store.incidents()[offset : offset + size]
        impacts = self._impacts_by_incident()
        body: dict[str, Any] = {
            "data": [render.incident_resource(i, self.org, impacts.get(i.id, [])) for i in page],
            "meta": {
                "pagination": {
                    "offset": offset,
                    "next_offset": offset + len(page),
                    "size": len(page),
                }
            },
        }
        if "users" in include:
            body["included"] = render.included_users(page, self.org)
        return JSONResponse(body)

    async def search_incidents(self, request: Request) -> Response:
        op = "SearchIncidents"
        params = request.query_params
        include = parse_include(params.get("include"), INCIDENT_INCLUDES)
        if isinstance(include, Problem):
            return self.fail(op, include)
        sort = params.get("sort", "-created")
        if sort not in ("created", "-created"):
            return self.fail(op, Problem.of(400, f"sort must be created or -created, got {sort!r}"))
        paging = self._page(request, op)
        if isinstance(paging, Response):
            return paging
        size, offset = paging
        config = self.state.config
        parsed = parse_query(params.get("query"), frozenset(f.name for f in self.org.fields))
        if isinstance(parsed, Problem):
            return self.fail(op, parsed)
        query = treat_unknown_facets(
            parsed, undocumented_facets(self.org), config.search_unknown_facet
        )
        if isinstance(query, Problem):
            return self.fail(op, query)
        now = config.now().astimezone(UTC)
        matching = [
            i
            for i in self.state.store.incidents()
            if query is not None and query.matches(i) and visible(i, now, config.search_lag)
        ]
        matching.sort(key=lambda i: (i.created, i.public_id), reverse=sort == "-created")
        body = search_response(
            matching,
            matching[offset : offset + size],
            offset,
            self.org,
            self._impacts_by_incident(),
            include_users="users" in include,
        )
        return JSONResponse(body)

    async def list_incident_types(self, request: Request) -> Response:
        deleted = parse_bool(request.query_params.get("include_deleted"), "include_deleted")
        if isinstance(deleted, Problem):
            return self.fail("ListIncidentTypes", deleted)
        types = [t for t in self.org.incident_types if deleted or t.deleted is None]
        return JSONResponse({"data": [render.incident_type_resource(t, self.org) for t in types]})

    async def get_incident_type(self, request: Request) -> Response:
        type_id = request.path_params["incident_type_id"]
        itype = self.org.incident_type(type_id.lower(), include_deleted=True)
        if itype is None:
            return self.fail(
                "GetIncidentType", Problem.of(404, f"incident type {type_id} not found")
            )
        return JSONResponse({"data": render.incident_type_resource(itype, self.org)})

    def _udfs(self, *, include_deleted: bool) -> list[dict[str, Any]]:
        return [
            render.udf_resource(f, t, self.org)
            for t in self.org.incident_types
            if include_deleted or t.deleted is None
            for f in self.org.fields_for(t.id)
        ]

    async def list_udfs(self, request: Request) -> Response:
        op = "ListIncidentUserDefinedFields"
        params = request.query_params
        include = _include(request, UDF_INCLUDES)
        if isinstance(include, Problem):
            return self.fail(op, include)
        deleted = parse_bool(params.get("include-deleted"), "include-deleted")
        if isinstance(deleted, Problem):
            return self.fail(op, deleted)
        size = parse_int(params.get("page[size]"), "page[size]", default=1000, maximum=1000)
        if isinstance(size, Problem):
            return self.fail(op, size)
        number = parse_int(params.get("page[number]"), "page[number]", default=0)
        if isinstance(number, Problem):
            return self.fail(op, number)
        found = self._udfs(include_deleted=deleted)
        wanted_type = params.get("filter[incident-type]")
        if wanted_type:
            wanted = wanted_type.lower()
            found = [
                u for u in found if u["relationships"]["incident_type"]["data"]["id"] == wanted
            ]
        page = found[number * size : (number + 1) * size]
        return JSONResponse({"data": page, "meta": {"offset": number * size, "size": len(page)}})

    async def get_udf(self, request: Request) -> Response:
        op = "GetIncidentUserDefinedField"
        include = _include(request, UDF_INCLUDES)
        if isinstance(include, Problem):
            return self.fail(op, include)
        field_id = request.path_params["field_id"].lower()
        found = next((u for u in self._udfs(include_deleted=True) if u["id"] == field_id), None)
        if found is None:
            return self.fail(op, Problem.of(404, f"user-defined field {field_id} not found"))
        return JSONResponse({"data": found})

    async def list_impacts(self, request: Request) -> Response:
        op = "ListIncidentImpacts"
        include = _include(request, IMPACT_INCLUDES)
        if isinstance(include, Problem):
            return self.fail(op, include)
        found = self._incident_or_404(op, request.path_params["incident_id"])
        if isinstance(found, Response):
            return found
        impacts = self.state.store.impacts(found.id)
        body: dict[str, Any] = {"data": [render.impact_resource(i) for i in impacts]}
        if {"created_by_user", "last_modified_by_user"} & set(include):
            owner = self.org.key_owner
            body["included"] = [render.user_resource(owner, self.org)] if impacts else []
        return JSONResponse(body, media_type=JSONAPI)

    async def create_impact(self, request: Request) -> Response:
        op = "CreateIncidentImpact"
        include = _include(request, IMPACT_INCLUDES)
        if isinstance(include, Problem):
            return self.fail(op, include)
        incident_id = request.path_params["incident_id"].lower()
        if incident_id == _NIL_UUID:
            # What Datadog answered for the nil UUID in its recorded test.
            return self.fail(
                op, Problem.of(400, "invalid impact data: incident id is required: invalid impact")
            )
        if self.state.store.incident(incident_id) is None:
            return self.fail(op, Problem.of(404, _IMPACT_NOT_FOUND))
        body = await _json_body(request)
        parsed = body if isinstance(body, Problem) else parse_impact(body)
        if isinstance(parsed, Problem):
            return self.fail(op, parsed)
        now = self.state.config.now()
        impact = StoredImpact(
            id=str(uuid.uuid4()),
            incident_id=incident_id,
            description=parsed.description,
            start_at=parsed.start_at,
            end_at=parsed.end_at,
            created=now,
            modified=now,
            created_by_id=self.org.key_owner_id,
            fields=parsed.fields,
        )
        store = self.state.store
        stored = await self._durably(lambda: store.add_impact(impact, modified=now))
        if stored is None:  # deleted meanwhile
            return self.fail(op, Problem.of(404, f"incident {incident_id} not found"))
        result: dict[str, Any] = {"data": render.impact_resource(stored)}
        if {"created_by_user", "last_modified_by_user"} & set(include):
            result["included"] = [render.user_resource(self.org.key_owner, self.org)]
        return JSONResponse(result, status_code=201, media_type=JSONAPI)

    async def list_users(self, request: Request) -> Response:
        op = "ListUsers"
        params = request.query_params
        size = parse_int(params.get("page[size]"), "page[size]", default=10, maximum=100)
        if isinstance(size, Problem):
            return self.fail(op, size)
        number = parse_int(params.get("page[number]"), "page[number]", default=0)
        if isinstance(number, Problem):
            return self.fail(op, number)
        sort = params.get("sort", "name")
        key = sort.removeprefix("-")
        if key not in ("name", "email", "modified_at", "status"):
            return self.fail(
                op,
                Problem.of(
                    400, f"sort must be one of name, email, modified_at, status, got {sort!r}"
                ),
            )
        direction = params.get("sort_dir", "asc")
        if direction not in ("asc", "desc"):
            return self.fail(
                op, Problem.of(400, f"sort_dir must be asc or desc, got {direction!r}")
            )
        users = self.org.search_users(params.get("filter"))
        statuses = params.get("filter[status]")
        if statuses:
            wanted = {s.strip().lower() for s in statuses.split(",")}
            users = [u for u in users if u.status.lower() in wanted]
        users.sort(
            key=lambda u: str(
                getattr(u, "created_at" if key == "modified_at" else key) or ""
            ).lower(),
            reverse=sort.startswith("-") != (direction == "desc"),
        )
        page = users[number * size : (number + 1) * size]
        return JSONResponse(
            {
                "data": [render.user_resource(u, self.org) for u in page],
                "meta": {
                    "page": {"total_count": len(self.org.users), "total_filtered_count": len(users)}
                },
            }
        )

    async def get_user(self, request: Request) -> Response:
        user_id = request.path_params["user_id"]
        user = self.org.user(user_id.lower())
        if user is None:
            return self.fail("GetUser", Problem.of(404, f"user {user_id} not found"))
        return JSONResponse({"data": render.user_resource(user, self.org)})


_ROUTE_TABLE = (
    # operation id, method, path, handler; the order matters where paths overlap.
    ("ImportIncident", "POST", "/api/v2/incidents/import", "import_incident"),
    ("SearchIncidents", "GET", "/api/v2/incidents/search", "search_incidents"),
    ("ListIncidentTypes", "GET", "/api/v2/incidents/config/types", "list_incident_types"),
    (
        "GetIncidentType",
        "GET",
        "/api/v2/incidents/config/types/{incident_type_id}",
        "get_incident_type",
    ),
    (
        "ListIncidentUserDefinedFields",
        "GET",
        "/api/v2/incidents/config/user-defined-fields",
        "list_udfs",
    ),
    (
        "GetIncidentUserDefinedField",
        "GET",
        "/api/v2/incidents/config/user-defined-fields/{field_id}",
        "get_udf",
    ),
    ("ListIncidents", "GET", "/api/v2/incidents", "list_incidents"),
    ("GetIncident", "GET", "/api/v2/incidents/{incident_id}", "get_incident"),
    ("DeleteIncident", "DELETE", "/api/v2/incidents/{incident_id}", "delete_incident"),
    ("ListIncidentImpacts", "GET", "/api/v2/incidents/{incident_id}/impacts", "list_impacts"),
    ("CreateIncidentImpact", "POST", "/api/v2/incidents/{incident_id}/impacts", "create_impact"),
    ("ListUsers", "GET", "/api/v2/users", "list_users"),
    ("GetUser", "GET", "/api/v2/users/{user_id}", "get_user"),
)
OPERATIONS = tuple(row[0] for row in _ROUTE_TABLE)


def _routes(handlers: _Routes) -> list[Route]:
    return [
        Route(path, getattr(handlers, handler), methods=[method], name=operation)
        for operation, method, path, handler in _ROUTE_TABLE
    ]


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    return JSONResponse(render.api_error(HTTPStatus(status).phrase), status_code=status)


def build_app(state: AppState) -> ASGIApp:
    """The whole emulator as one ASGI app: routes wrapped in log, faults, auth and limits."""
    routes = _routes(_Routes(state))
    classify = classifier(routes)
    router = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    limits: dict[str, RateLimit] = {op: limiter.rule for op, limiter in state.limiters.items()}
    app: ASGIApp = RateLimitMiddleware(router, state.limiters, classify)
    app = AuthMiddleware(
        app,
        state.config,
        classify,
        write_operations=WRITE_OPERATIONS,
        user_operations=_USERS,
    )
    app = FaultMiddleware(app, state.injector, classify, limits)
    return LogMiddleware(app, state.log, state.status_counts, classify)
