"""Request validation: what Datadog refuses, decided here independently of ddinc's client.

The client's pydantic models and these rules are written separately on purpose: a shared
mistake would otherwise pass both sides and only fail against the real API. The rules come
from the spec subset (``openapi-incidents.yaml``: ``IncidentImportRequest``,
``IncidentImpactCreateRequest``, the ``include`` enums) and from Datadog's documented
behaviour, and they are written out here rather than loaded from the spec, which ddinc does
not ship. Where Datadog's real behaviour is not documented the emulator is *stricter*, so that
a payload it accepts is one the real API accepts; each such choice is marked "stricter".

Every check returns a :class:`Problem` (status and messages) instead of raising: the routes
turn it into the error body of the shape that endpoint uses.

Authentication
    A request without ``DD-API-KEY`` or without ``DD-APPLICATION-KEY`` gets 401 (it is not
    authenticated at all); a request whose keys are present but unknown gets 403 (Datadog
    knows who is asking and refuses). The users endpoints list no 401 in the spec, so they
    answer 403 in both cases. A known application key without write permission gets 403
    on the write operations ("missing ``incident_write``"). A key given an explicit
    permission set (``EmulatorConfig.app_key_permissions``) gets 403 on every operation none
    of whose permissions it holds (:data:`OPERATION_PERMISSIONS`, the spec's
    ``x-permission``: any one listed permission suffices).
"""

from __future__ import annotations

import hmac
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ddinc.datadog.emulator.org import FieldConfig, Org
from ddinc.datadog.emulator.store import FieldValue
from ddinc.datadog.printable import printable

__all__ = [
    "IMPACT_INCLUDES",
    "IMPORT_INCLUDES",
    "INCIDENT_INCLUDES",
    "MAX_TITLE_LENGTH",
    "OPERATION_PERMISSIONS",
    "PERMISSIONS",
    "UDF_INCLUDES",
    "VISIBILITIES",
    "ImpactRequest",
    "ImportRequest",
    "Problem",
    "check_keys",
    "parse_bool",
    "parse_impact",
    "parse_import",
    "parse_include",
    "parse_int",
    "parse_timestamp",
]

MAX_TITLE_LENGTH = 1024
IMPORT_INCLUDES = frozenset(
    {
        "last_modified_by_user",
        "created_by_user",
        "commander_user",
        "declared_by_user",
        "incident_type",
    }
)
INCIDENT_INCLUDES = frozenset({"users", "attachments"})
IMPACT_INCLUDES = frozenset({"incident", "created_by_user", "last_modified_by_user"})
UDF_INCLUDES = frozenset({"last_modified_by_user", "created_by_user", "incident_type"})
VISIBILITIES = ("organization", "private")
PERMISSIONS = frozenset(
    {"incident_read", "incident_write", "incident_settings_read", "user_access_read"}
)
"""The permissions the operations ddinc uses ask for."""
# The spec's x-permission of each operation: holding any one of them is enough.
OPERATION_PERMISSIONS: Mapping[str, frozenset[str]] = {
    "ImportIncident": frozenset({"incident_write"}),
    "SearchIncidents": frozenset({"incident_read"}),
    "ListIncidents": frozenset({"incident_read"}),
    "GetIncident": frozenset({"incident_read"}),
    "DeleteIncident": frozenset({"incident_write"}),
    "ListIncidentTypes": frozenset({"incident_settings_read", "incident_read"}),
    "GetIncidentType": frozenset({"incident_read"}),
    "ListIncidentUserDefinedFields": frozenset({"incident_read"}),
    "GetIncidentUserDefinedField": frozenset({"incident_read"}),
    "ListIncidentImpacts": frozenset({"incident_read"}),
    "CreateIncidentImpact": frozenset({"incident_write"}),
    "ListUsers": frozenset({"user_access_read"}),
    "GetUser": frozenset({"user_access_read"}),
}

_IMPORT_ATTRIBUTES = frozenset(
    {"title", "detected", "declared", "resolved", "fields", "incident_type_uuid", "visibility"}
)
_IMPORT_RELATIONSHIPS = ("commander_user", "declared_by_user")
_IMPACT_ATTRIBUTES = frozenset({"description", "start_at", "end_at", "fields"})
# RFC 3339 section 5.6: a full date, "T", a full time with seconds and a mandatory offset.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)


@dataclass(frozen=True)
class Problem:
    """Why a request is refused: the HTTP status and one message per problem found."""

    status: int
    messages: tuple[str, ...]

    @classmethod
    def of(cls, status: int, *messages: str) -> Problem:
        """A problem from its status and messages, control characters escaped.

        Messages quote what the client sent (a field name, an id from the path): a terminal
        showing the answer must not run escape sequences hidden in them.
        """
        return cls(status, tuple(printable(message) for message in messages))


@dataclass(frozen=True)
class ImportRequest:
    """A valid ``POST /api/v2/incidents/import`` body, resolved against the org."""

    title: str
    incident_type_uuid: str
    visibility: str
    fields: dict[str, FieldValue]
    detected: datetime | None = None
    declared: datetime | None = None
    resolved: datetime | None = None
    commander_id: str | None = None
    declared_by_id: str | None = None


@dataclass(frozen=True)
class ImpactRequest:
    """A valid ``POST /api/v2/incidents/{id}/impacts`` body."""

    description: str
    start_at: datetime
    end_at: datetime | None
    fields: dict[str, Any] = field(default_factory=dict)


# -- headers and query parameters ----------------------------------------------------------


def _known(key: str, keys: Collection[str]) -> bool:
    # compare_digest against every key, so that timing does not tell which prefix matched.
    found = False
    for candidate in keys:
        found |= hmac.compare_digest(key.encode(), candidate.encode())
    return found


def check_keys(
    api_key: str | None,
    app_key: str | None,
    *,
    api_keys: Collection[str],
    app_keys: Collection[str],
    read_only_app_keys: Collection[str] = (),
    app_key_permissions: Mapping[str, frozenset[str]] | None = None,
    write: bool = False,
    needs: frozenset[str] = frozenset(),
    users_endpoint: bool = False,
) -> Problem | None:
    """Refuse a request whose key headers are missing (401) or unknown or lack a permission (403).

    ``app_keys`` hold every permission, ``read_only_app_keys`` all but ``incident_write``, and
    each key of ``app_key_permissions`` exactly its set. The request needs any one of
    ``needs`` (``incident_write`` too when ``write``).
    """
    missing_status = 403 if users_endpoint else 401
    if not api_key or not app_key:
        return Problem.of(missing_status, "Forbidden" if users_endpoint else "Unauthorized")
    if not _known(api_key, api_keys):
        return Problem.of(403, "Forbidden")
    granted = _granted(app_key, app_keys, read_only_app_keys, app_key_permissions or {})
    if granted is None:
        return Problem.of(403, "Forbidden")
    if (write and "incident_write" not in granted) or (needs and not needs & granted):
        return Problem.of(403, "Failed permission authorization checks")
    return None


def _granted(
    app_key: str,
    app_keys: Collection[str],
    read_only_app_keys: Collection[str],
    app_key_permissions: Mapping[str, frozenset[str]],
) -> frozenset[str] | None:
    """The permissions an application key holds; None for an unknown key."""
    if _known(app_key, app_keys):
        return PERMISSIONS
    if _known(app_key, read_only_app_keys):
        return PERMISSIONS - {"incident_write"}
    found: frozenset[str] | None = None
    for key, permissions in app_key_permissions.items():  # every key compared: no timing tell
        if _known(app_key, (key,)):
            found = frozenset(permissions)
    return found


def parse_include(raw: str | None, allowed: frozenset[str]) -> tuple[str, ...] | Problem:
    """Split a comma-separated ``include`` and check every value is one the endpoint knows."""
    if raw is None or raw == "":
        return ()
    values = tuple(v.strip() for v in raw.split(","))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        return Problem.of(
            400,
            f"invalid include value(s) {', '.join(repr(v) for v in unknown)}: "
            f"expected a comma-separated list of {', '.join(sorted(allowed))}",
        )
    return tuple(dict.fromkeys(values))


def parse_int(
    raw: str | None, name: str, *, default: int, minimum: int = 0, maximum: int | None = None
) -> int | Problem:
    """An integer query parameter within bounds."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return Problem.of(400, f"{name} must be an integer, got {raw!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and {maximum}" if maximum is not None else ""
        return Problem.of(400, f"{name} must be between {minimum}{upper}, got {value}")
    return value


def parse_bool(raw: str | None, name: str) -> bool | Problem:
    """A ``true``/``false`` query parameter (absent means false)."""
    if raw is None:
        return False
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return Problem.of(400, f"{name} must be true or false, got {raw!r}")


def parse_timestamp(value: object) -> datetime | None:
    """An RFC 3339 date-time with an offset, in UTC; None when ``value`` is not one."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        return None
    try:
        return datetime.fromisoformat(value.upper()).astimezone(UTC)
    except (ValueError, OverflowError):  # 0001-01-01T00:30+01:00 is before year 1 in UTC
        return None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# -- POST /api/v2/incidents/import ----------------------------------------------------------


def parse_import(body: object, org: Org) -> ImportRequest | Problem:
    """Check an import body in Datadog's order: shape (400), references (404), fields (400).

    Stricter than the spec where Datadog's behaviour is undocumented: unknown keys in
    ``data``, ``attributes`` or ``relationships`` are refused rather than ignored, a blank
    title is refused, and field values must have the shape of the field's kind.
    """
    if not isinstance(body, dict) or set(body) != {"data"} or not isinstance(body["data"], dict):
        return Problem.of(
            400, 'the body must be {"data": {"type": "incidents", "attributes": {...}}}'
        )
    data: dict[str, Any] = body["data"]
    problems: list[str] = []
    extra = set(data) - {"type", "attributes", "relationships"}
    if extra:
        problems.append(f"data: unknown keys {sorted(extra)}")
    if data.get("type") != "incidents":
        problems.append(f'data.type: got {data.get("type")!r}, expected "incidents"')
    attributes = data.get("attributes")
    if not isinstance(attributes, dict):
        return Problem.of(400, *problems, "data.attributes: required object is missing")
    extra = set(attributes) - _IMPORT_ATTRIBUTES
    if extra:
        problems.append(
            f"data.attributes: unknown keys {sorted(extra)} "
            f"(accepted: {sorted(_IMPORT_ATTRIBUTES)})"
        )
    title = attributes.get("title")
    if not isinstance(title, str):
        problems.append("data.attributes.title: required string is missing")
    elif not title.strip():
        problems.append("data.attributes.title: must not be blank")
    elif len(title) > MAX_TITLE_LENGTH:
        problems.append(
            f"data.attributes.title: at most {MAX_TITLE_LENGTH} characters, got {len(title)}"
        )
    times: dict[str, datetime | None] = {}
    for key in ("detected", "declared", "resolved"):
        raw = attributes.get(key)
        times[key] = parse_timestamp(raw) if raw is not None else None
        if raw is not None and times[key] is None:
            problems.append(
                f"data.attributes.{key}: {raw!r} is not an RFC 3339 date-time with an offset "
                f"within years 0001-9999 in UTC, such as 2025-01-01T00:00:00Z"
            )
    visibility = attributes.get("visibility", "organization")
    if visibility not in VISIBILITIES:
        problems.append(
            f"data.attributes.visibility: got {visibility!r}, expected one of {VISIBILITIES}"
        )
    type_id = attributes.get("incident_type_uuid")
    if type_id is not None and (not isinstance(type_id, str) or not _is_uuid(type_id)):
        problems.append(f"data.attributes.incident_type_uuid: {type_id!r} is not a UUID")
    raw_fields = attributes.get("fields", {})
    if not isinstance(raw_fields, dict):
        problems.append("data.attributes.fields: must be an object of {name: {value: ...}}")
        raw_fields = {}
    people = _parse_relationships(data.get("relationships"), problems)
    if problems:
        return Problem.of(400, *problems)

    incident_type = (
        org.default_incident_type if type_id is None else org.incident_type(str(type_id).lower())
    )
    if incident_type is None:
        return Problem.of(404, f"incident type {type_id} not found")
    unknown_users = [uid for uid in people.values() if uid is not None and org.user(uid) is None]
    if unknown_users:
        return Problem.of(404, *(f"user {uid} not found" for uid in unknown_users))

    fields = _parse_fields(raw_fields, org, incident_type.id, problems)
    state = fields.get("state")
    if times["resolved"] is not None and state != "resolved":
        problems.append(
            f"data.attributes.resolved: can only be set when fields.state is 'resolved' "
            f"(state is {state!r})"
        )
    if problems:
        return Problem.of(400, *problems)
    return ImportRequest(
        title=str(title),
        incident_type_uuid=incident_type.id,
        visibility=str(visibility),
        fields=fields,
        detected=times["detected"],
        declared=times["declared"],
        resolved=times["resolved"],
        commander_id=people.get("commander_user"),
        declared_by_id=people.get("declared_by_user"),
    )


def _parse_relationships(raw: object, problems: list[str]) -> dict[str, str | None]:
    people: dict[str, str | None] = {}
    if raw is None:
        return people
    if not isinstance(raw, dict):
        problems.append("data.relationships: must be an object")
        return people
    extra = set(raw) - set(_IMPORT_RELATIONSHIPS)
    if extra:
        problems.append(
            f"data.relationships: unknown keys {sorted(extra)} "
            f"(accepted: {list(_IMPORT_RELATIONSHIPS)})"
        )
    for name in _IMPORT_RELATIONSHIPS:
        if name not in raw or raw[name] is None:
            continue
        rel = raw[name]
        where = f"data.relationships.{name}"
        if not isinstance(rel, dict) or set(rel) != {"data"}:
            problems.append(
                f'{where}: must be {{"data": {{"id": USER_ID, "type": "users"}}}} or null'
            )
            continue
        ref = rel["data"]
        if ref is None:
            people[name] = None
            continue
        if not isinstance(ref, dict) or set(ref) != {"id", "type"} or ref["type"] != "users":
            problems.append(f'{where}.data: must be {{"id": USER_ID, "type": "users"}}')
            continue
        if not isinstance(ref["id"], str) or not _is_uuid(ref["id"]):
            problems.append(f"{where}.data.id: {ref['id']!r} is not a user UUID")
            continue
        people[name] = str(uuid.UUID(ref["id"]))
    return people


def _parse_fields(
    raw: Mapping[str, Any], org: Org, incident_type_id: str, problems: list[str]
) -> dict[str, FieldValue]:
    """Field values of the request, checked against the type's fields, defaults filled in."""
    resolved: dict[str, FieldValue] = {
        f.name: f.default_value for f in org.fields_for(incident_type_id)
    }
    for name, entry in raw.items():
        where = f"data.attributes.fields.{name}"
        config = org.field_for(incident_type_id, name)
        if name == "slug":
            problems.append(f"{where}: the slug is set by Datadog and cannot be imported")
            continue
        if config is None:
            known = ", ".join(f.name for f in org.fields_for(incident_type_id))
            problems.append(f"{where}: no such field for this incident type (fields: {known})")
            continue
        if not isinstance(entry, dict) or set(entry) != {"value"}:
            problems.append(
                f'{where}: must be {{"value": ...}} and nothing else (no "type" on the way in)'
            )
            continue
        message = _field_value_problem(config, entry["value"])
        if message:
            problems.append(f"{where}: {message}")
            continue
        value = entry["value"]
        resolved[name] = list(value) if isinstance(value, list) else value
    return resolved


def _field_value_problem(config: FieldConfig, value: object) -> str | None:
    if value is None:
        return None
    if config.kind.multiple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"{config.kind} field takes a list of strings or null, got {value!r}"
        values: list[str] = value
    else:
        if not isinstance(value, str):
            return f"{config.kind} field takes one string or null, got {value!r}"
        values = [value]
    if config.kind.constrained:
        bad = [v for v in values if v not in config.allowed]
        if bad:
            allowed = ", ".join(v.value for v in config.valid_values)
            return f"{bad!r} not among the org's values for this field ({allowed})"
    return None


# -- POST /api/v2/incidents/{incident_id}/impacts -------------------------------------------


def parse_impact(body: object) -> ImpactRequest | Problem:
    """Check an impact body (``IncidentImpactCreateRequest``); stricter on unknown keys."""
    prefix = "invalid impact data: "
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        return Problem.of(
            400, prefix + 'the body must be {"data": {"type": "incident_impacts", ...}}'
        )
    data = body["data"]
    if data.get("type") != "incident_impacts":
        return Problem.of(400, f'got type "{data.get("type")}" expected one of "incident_impacts"')
    attributes = data.get("attributes")
    if not isinstance(attributes, dict):
        return Problem.of(400, prefix + "attributes are required")
    problems: list[str] = []
    extra = set(attributes) - _IMPACT_ATTRIBUTES
    if extra:
        problems.append(f"unknown attributes {sorted(extra)}")
    description = attributes.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append("description is required")
    start_at = parse_timestamp(attributes.get("start_at"))
    if start_at is None:
        problems.append("start_at is required as an RFC 3339 date-time with an offset")
    end_raw = attributes.get("end_at")
    end_at = parse_timestamp(end_raw) if end_raw is not None else None
    if end_raw is not None and end_at is None:
        problems.append("end_at must be an RFC 3339 date-time with an offset, or null")
    if start_at is not None and end_at is not None and end_at < start_at:
        problems.append("end_at is before start_at")
    fields = attributes.get("fields", {})
    if not isinstance(fields, dict):
        problems.append("fields must be an object")
    if problems or start_at is None:
        return Problem.of(400, *(prefix + p for p in problems))
    return ImpactRequest(
        description=str(description), start_at=start_at, end_at=end_at, fields=dict(fields)
    )
