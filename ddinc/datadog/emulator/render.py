"""JSON bodies shaped like Datadog's recorded responses, from stored records.

(The search response, facets included, is built in :mod:`~ddinc.datadog.emulator.search`.)

Two incident shapes exist, as in the recordings: the import response
(``application/vnd.api+json``, ``*_uuid`` attributes, ``Z`` timestamps, an ``incident_type``
relationship) and the older incidents shape of ``GET /api/v2/incidents/{id}``, search and list
(``application/json``, ``+00:00`` timestamps, ``time_to_*`` durations in seconds).

The ``time_to_*`` values follow ddinc's timeline definitions (``DOMAIN.md``): detect =
detected - impact start, internal response = declared - detected, resolve = resolved -
declared, repair = impact end - detected; 0 when an end is unknown, as Datadog reports.
Impact start and end are the earliest start and latest end of the incident's impacts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from ddinc.datadog.emulator.org import FieldConfig, IncidentType, Org, User
from ddinc.datadog.emulator.store import StoredImpact, StoredIncident

__all__ = [
    "Json",
    "api_error",
    "impact_resource",
    "import_response",
    "incident_resource",
    "incident_type_resource",
    "included_users",
    "jsonapi_error",
    "rfc3339",
    "udf_resource",
    "user_resource",
]

Json = dict[str, Any]


# -- small pieces --------------------------------------------------------------------------


def rfc3339(moment: datetime) -> str:
    """UTC time as Go's RFC3339Nano prints it (``...47.048266Z``; no fraction when zero)."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def _legacy_time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _seconds(start: datetime | None, end: datetime | None) -> int:
    return 0 if start is None or end is None else int((end - start).total_seconds())


def api_error(*messages: str) -> Json:
    """``APIErrorResponse``: ``{"errors": ["message", ...]}``."""
    return {"errors": list(messages)}


def jsonapi_error(status: int, title: str, *details: str) -> Json:
    """``JSONAPIErrorResponse``: ``{"errors": [{"status", "title", "detail"}, ...]}``."""
    return {"errors": [{"status": str(status), "title": title, "detail": d} for d in details]}


def _icon(email: str) -> str:
    digest = hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return f"https://secure.gravatar.com/avatar/{digest}?s=48&d=retro"


def _ref(kind: str, ident: str | None) -> Json:
    return {"data": None if ident is None else {"id": ident, "type": kind}}


def _incident_user(user: User) -> Json:
    """``IncidentUserData``: the short user object of ``included`` and nested relationships."""
    return {
        "type": "users",
        "id": user.id,
        "attributes": {
            "uuid": user.id,
            "handle": user.handle,
            "email": user.email,
            "name": user.name,
            "icon": _icon(user.email),
        },
    }


def _fields(incident: StoredIncident, org: Org) -> Json:
    """Every field with its type and value, in the org's order, then the slug."""
    rendered: Json = {}
    for config in org.fields_for(incident.incident_type_uuid):
        rendered[config.name] = {
            "type": str(config.kind),
            "value": incident.fields.get(config.name),
        }
    # Fields stored under a type that later lost them still show, as Datadog keeps values.
    for name, value in incident.fields.items():
        if name not in rendered:
            kind = "textarray" if isinstance(value, list) else "textbox"
            rendered[name] = {"type": kind, "value": value}
    rendered["slug"] = {"type": "textbox", "value": incident.slug}
    return rendered


def _udf_refs(incident: StoredIncident, org: Org) -> list[Json]:
    return [
        {"id": f.field_id(incident.incident_type_uuid), "type": "user_defined_field"}
        for f in org.fields_for(incident.incident_type_uuid)
    ]


# -- incidents -----------------------------------------------------------------------------


def import_response(incident: StoredIncident, org: Org, include: Sequence[str]) -> Json:
    """The 201 body of ``POST /api/v2/incidents/import``, like the recorded one."""
    attributes = {
        "archived": None,
        "case_id": None,
        "created": rfc3339(incident.created),
        "created_by_uuid": incident.created_by_id,
        "creation_idempotency_key": None,
        "customer_impact_end": None,
        "customer_impact_scope": None,
        "customer_impact_start": None,
        "declared": rfc3339(incident.declared),
        "declared_by_uuid": incident.declared_by_id,
        "detected": rfc3339(incident.detected),
        "fields": _fields(incident, org),
        "incident_type_uuid": incident.incident_type_uuid,
        "is_test": False,
        "last_modified_by_uuid": incident.created_by_id,
        "modified": rfc3339(incident.modified),
        "non_datadog_creator": None,
        "notification_handles": None,
        "public_id": incident.public_id,
        "resolved": None if incident.resolved is None else rfc3339(incident.resolved),
        "severity": incident.severity,
        "state": incident.state,
        "title": incident.title,
        "visibility": incident.visibility,
    }
    relationships = {
        "attachments": {"data": []},
        "commander_user": _ref("users", incident.commander_id),
        "created_by_user": _ref("users", incident.created_by_id),
        "declared_by_user": _ref("users", incident.declared_by_id),
        "impacts": {"data": []},
        "incident_type": _ref("incident_types", incident.incident_type_uuid),
        "integrations": {"data": []},
        "last_modified_by_user": _ref("users", incident.created_by_id),
        "responders": {"data": []},
        "user_defined_fields": {"data": _udf_refs(incident, org)},
    }
    body: Json = {
        "data": {
            "id": incident.id,
            "type": "incidents",
            "attributes": attributes,
            "relationships": relationships,
        }
    }
    included = _import_included(incident, org, include)
    if include:
        body["included"] = included
    return body


def _import_included(incident: StoredIncident, org: Org, include: Sequence[str]) -> list[Json]:
    user_ids = {
        "created_by_user": incident.created_by_id,
        "last_modified_by_user": incident.created_by_id,
        "declared_by_user": incident.declared_by_id,
        "commander_user": incident.commander_id,
    }
    included: list[Json] = []
    seen: set[tuple[str, str]] = set()
    for name in include:
        if name == "incident_type":
            itype = org.incident_type(incident.incident_type_uuid, include_deleted=True)
            if itype is not None and ("incident_types", itype.id) not in seen:
                seen.add(("incident_types", itype.id))
                included.append(incident_type_resource(itype, org))
            continue
        user = org.user(user_ids[name] or "")
        if user is not None and ("users", user.id) not in seen:
            seen.add(("users", user.id))
            included.append(_incident_user(user))
    return included


def incident_resource(
    incident: StoredIncident,
    org: Org,
    impacts: Sequence[StoredImpact],
    *,
    nested_users: bool = False,
    seconds_only: bool = False,
) -> Json:
    """One incident in the shape of ``GET /api/v2/incidents/{id}`` (``IncidentResponseData``).

    ``nested_users`` adds the ``created_by``/``declared_by``/... user objects that search
    results carry; ``seconds_only`` drops microseconds, as search results do.
    """

    def stamp(moment: datetime | None) -> str | None:
        if moment is not None and seconds_only:
            moment = moment.replace(microsecond=0)
        return _legacy_time(moment)

    impact_start = min((i.start_at for i in impacts), default=None)
    ends = [i.end_at for i in impacts]
    impact_end = max((e for e in ends if e is not None), default=None) if all(ends) else None
    attributes: Json = {
        "public_id": incident.public_id,
        "incident_type_uuid": incident.incident_type_uuid,
        "title": incident.title,
        "resolved": stamp(incident.resolved),
        "customer_impact_scope": impacts[0].description if impacts else None,
        "customer_impact_start": stamp(impact_start),
        "customer_impact_end": stamp(impact_end),
        "customer_impacted": bool(impacts),
        "notification_handles": None,
        "last_modified_by_uuid": incident.created_by_id,
        "created": stamp(incident.created),
        "modified": stamp(incident.modified),
        "detected": stamp(incident.detected),
        "created_by_uuid": incident.created_by_id,
        "creation_idempotency_key": None,
        "customer_impact_duration": _seconds(impact_start, impact_end),
        "time_to_detect": _seconds(impact_start, incident.detected),
        "time_to_repair": _seconds(incident.detected, impact_end),
        "time_to_internal_response": _seconds(incident.detected, incident.declared),
        "time_to_resolve": _seconds(incident.declared, incident.resolved),
        "archived": None,
        "is_test": False,
        "declared": stamp(incident.declared),
        "declared_by_uuid": incident.declared_by_id,
        "fields": _fields(incident, org),
        "field_analytics": None,
        "severity": incident.severity,
        "state": incident.state,
        "non_datadog_creator": None,
        "visibility": incident.visibility,
        "case_id": None,
    }
    if nested_users:
        for key, user_id in (
            ("created_by", incident.created_by_id),
            ("declared_by", incident.declared_by_id),
            ("last_modified_by", incident.created_by_id),
            ("commander", incident.commander_id),
        ):
            user = org.user(user_id or "")
            attributes[key] = None if user is None else {"data": _incident_user(user)}
    return {
        "type": "incidents",
        "id": incident.id,
        "attributes": attributes,
        "relationships": {
            "created_by_user": _ref("users", incident.created_by_id),
            "last_modified_by_user": _ref("users", incident.created_by_id),
            "commander_user": _ref("users", incident.commander_id),
            "declared_by_user": _ref("users", incident.declared_by_id),
            "user_defined_fields": {"data": _udf_refs(incident, org)},
            "integrations": {"data": []},
            "attachments": {"data": []},
            "responders": {"data": []},
            "impacts": {"data": [{"id": i.id, "type": "incident_impacts"} for i in impacts]},
        },
    }


def included_users(incidents: Iterable[StoredIncident], org: Org) -> list[Json]:
    """The users the incidents refer to, once each, for ``include=users``."""
    ids: dict[str, None] = {}
    for incident in incidents:
        for user_id in (incident.created_by_id, incident.declared_by_id, incident.commander_id):
            if user_id is not None:
                ids[user_id] = None
    return [_incident_user(u) for u in (org.user(i) for i in ids) if u is not None]


# -- org objects ---------------------------------------------------------------------------


def user_resource(user: User, org: Org) -> Json:
    """A user of ``GET /api/v2/users`` (``User``)."""
    stamp = user.created_at.isoformat()
    return {
        "type": "users",
        "id": user.id,
        "attributes": {
            "name": user.name,
            "handle": user.handle,
            "created_at": stamp,
            "modified_at": stamp,
            "email": user.email,
            "icon": _icon(user.email),
            "title": user.title,
            "verified": user.verified,
            "service_account": user.service_account,
            "disabled": user.disabled,
            "allowed_login_methods": [],
            "status": user.status,
            "uuid": user.id,
        },
        "relationships": {
            "roles": {"data": []},
            "org": {"data": {"type": "orgs", "id": org.id}},
        },
    }


def incident_type_resource(itype: IncidentType, org: Org) -> Json:
    """An ``IncidentTypeObject``."""
    owner = org.key_owner_id
    stamp = rfc3339(itype.created_at)
    return {
        "id": itype.id,
        "type": "incident_types",
        "attributes": {
            "name": itype.name,
            "description": itype.description,
            "is_default": itype.is_default,
            "prefix": itype.prefix,
            "createdAt": stamp,
            "createdBy": owner,
            "lastModifiedBy": owner,
            "modifiedAt": stamp if itype.deleted is None else rfc3339(itype.deleted),
        },
        "relationships": {
            "created_by_user": _ref("users", owner),
            "last_modified_by_user": _ref("users", owner),
        },
    }


def udf_resource(config: FieldConfig, itype: IncidentType, org: Org) -> Json:
    """An ``IncidentUserDefinedFieldResponseData`` (a field's copy on one incident type)."""
    owner = org.key_owner_id
    stamp = rfc3339(itype.created_at)
    metadata = None
    if config.kind == "autocomplete":
        metadata = {
            "category": "teams_and_services",
            "search_url": f"/api/v2/incidents/config/{config.name}",
            "search_query_param": "filter",
            "search_limit_param": "page[size]",
            "search_result_path": "$.data[*].attributes.name",
            "search_params": {},
        }
    valid_values = None
    if config.valid_values:
        valid_values = []
        for v in config.valid_values:
            item: Json = {"display_name": v.display_name, "value": v.value}
            if v.description is not None:
                item["description"] = v.description
            if v.short_description is not None:
                item["short_description"] = v.short_description
            valid_values.append(item)
    return {
        "id": config.field_id(itype.id),
        "type": "user_defined_field",
        "attributes": {
            "category": config.category,
            "collected": config.collected,
            "created": stamp,
            "default_value": config.default_value,
            "deleted": None,
            "display_name": config.display_name,
            "metadata": metadata,
            "modified": stamp,
            "name": config.name,
            "ordinal": config.ordinal,
            "required": False,
            "reserved": config.reserved,
            "tag_key": None,
            "type": config.kind.code,
            "valid_values": valid_values,
        },
        "relationships": {
            "created_by_user": _ref("users", owner),
            "last_modified_by_user": _ref("users", owner),
            "incident_type": _ref("incident_types", itype.id),
        },
    }


def impact_resource(impact: StoredImpact) -> Json:
    """An ``IncidentImpactResponseData``."""
    return {
        "id": impact.id,
        "type": "incident_impacts",
        "attributes": {
            "created": rfc3339(impact.created),
            "modified": rfc3339(impact.modified),
            "description": impact.description,
            "start_at": rfc3339(impact.start_at),
            "end_at": None if impact.end_at is None else rfc3339(impact.end_at),
            "fields": impact.fields,
            "impact_type": "customer",
        },
        "relationships": {
            "incident": _ref("incidents", impact.incident_id),
            "created_by_user": _ref("users", impact.created_by_id),
            "last_modified_by_user": _ref("users", impact.created_by_id),
        },
    }
