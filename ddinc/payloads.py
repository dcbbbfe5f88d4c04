"""Canonical rows to import requests: the one bridge between the frame and the Datadog side.

Pure: a row (a dict from :meth:`polars.DataFrame.iter_rows`) plus what the org looks like
(:class:`OrgConfig`, plain data fetched once per run) give a :class:`Payload`: the exact
:class:`~ddinc.datadog.models.IncidentImportRequest` (and the customer-impact request, when
the row has an impact start), or the reasons it cannot be one. Nothing here sends anything.

What a row becomes:

- ``title``, ``detected``, ``declared``, ``resolved`` (UTC). No time is ever left for the
  server to stamp with the import time (the emulator does, and a real org's behaviour is not
  recorded): a row without a detected time sends its impact start, else its declared time,
  and says so (:attr:`Payload.times` names where each time came from); a row without a
  declared time, or resolved without a resolved time, is held with the fix;
- ``fields``: ``state``, ``severity``, ``teams``, ``services``, every carried ``field.<key>``,
  and the row key in the org's provenance field (default ``legacy_id``), so that the
  incident can be found again and a person in Datadog sees where it came from;
- ``incident_type_uuid`` from ``incident_type`` by name (the org's default type when empty);
- ``visibility``; ``commander_user`` and ``declared_by_user`` from people mapped to users.

Every field value is checked against the field configuration of the incident's type (known
field, one value or a list, a dropdown's allowed values), so that a row called ready is not
refused with a 400 for a reason that could have been seen. The API's own rules (title, the
resolved-time rule) come from :mod:`ddinc.limits` and the strict request model.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from ddinc.datadog.models import (
    IncidentImpactCreateRequest,
    IncidentImportRequest,
    IncidentTypeListResponse,
    User,
    UserDefinedFieldListResponse,
)
from ddinc.errors import InvalidRequestError
from ddinc.limits import RESOLVED_TIME_STATE, VISIBILITIES, resolved_problem, title_problem
from ddinc.people_match import person_key
from ddinc.schema import FIELD_PREFIX

__all__ = [
    "DEFAULT_PROVENANCE_FIELD",
    "FieldSpec",
    "IncidentTime",
    "IncidentTypeInfo",
    "OrgConfig",
    "Payload",
    "PayloadOptions",
    "UnknownFields",
    "UnmappedPeople",
    "UserInfo",
    "UserStatus",
    "build_payload",
    "normalize_email",
    "normalize_name",
    "org_config",
    "payload_hash",
]

DEFAULT_PROVENANCE_FIELD: Final = "legacy_id"
"""The text field of the org that carries each incident's row key (the emulator's org has it)."""

UserStatus = Literal["active", "disabled", "pending"]
UnmappedPeople = Literal["absent", "hold"]
UnknownFields = Literal["hold", "drop"]

# Datadog's field type codes whose value is one string; the others take a list.
_SINGLE_VALUE_TYPES: Final = frozenset({1, 3, 7, 8})
# Codes whose values must be among the configured valid values (dropdown, multiselect).
_CONSTRAINED_TYPES: Final = frozenset({1, 2})
# Set by Datadog itself, never imported.
_SERVER_FIELDS: Final = frozenset({"slug"})
_PEOPLE: Final = (("commander", "commander_user"), ("declared_by", "declared_by_user"))


def normalize_email(email: str) -> str:
    """An email as users are matched (:func:`ddinc.people_match.person_key`).

    >>> normalize_email("  Ann.Lee@Example.com ")
    'ann.lee@example.com'
    """
    return person_key(email)


def normalize_name(name: str) -> str:
    """A person's name as the hand-made people table matches it (the same rule).

    >>> normalize_name("  Ann   LEE ")
    'ann lee'
    """
    return person_key(name)


@dataclass(frozen=True)
class FieldSpec:
    """One incident field of one incident type: its key, its shape and its allowed values."""

    name: str
    multiple: bool
    allowed: frozenset[str] | None = None
    """The valid values of a dropdown or multiselect; None when any text is accepted."""


@dataclass(frozen=True)
class IncidentTypeInfo:
    """An incident type of the org and the fields its incidents carry."""

    id: str
    name: str
    is_default: bool
    fields: Mapping[str, FieldSpec]


@dataclass(frozen=True)
class UserInfo:
    """A Datadog user a legacy person can be mapped to."""

    id: str
    email: str
    name: str | None = None
    status: UserStatus = "active"


@dataclass(frozen=True)
class OrgConfig:
    """What the org accepts: its incident types (with their fields) and the users looked up.

    ``users`` is keyed by :func:`normalize_email`.
    """

    types: tuple[IncidentTypeInfo, ...]
    users: Mapping[str, UserInfo] = field(default_factory=dict)

    @property
    def default_type(self) -> IncidentTypeInfo | None:
        """The type an incident gets when the request names none."""
        return next((t for t in self.types if t.is_default), None)

    def type_named(self, name: str) -> IncidentTypeInfo | None:
        """The type called ``name`` (case and surrounding spaces ignored)."""
        wanted = normalize_name(name)
        return next((t for t in self.types if normalize_name(t.name) == wanted), None)


@dataclass(frozen=True)
class PayloadOptions:
    """Choices of one run about what a row becomes.

    Attributes
    ----------
    provenance_field
        The org's text field that carries the row key.
    unmapped_people
        ``"absent"`` sends a row whose commander or declarer has no Datadog user without that
        person (and says so); ``"hold"`` holds the row.
    unknown_fields
        A carried ``field.<key>`` the incident's type does not have: ``"hold"`` the row, or
        ``"drop"`` the field (and say so).
    people
        The hand-made table: legacy name (see :func:`normalize_name`) -> email.
    """

    provenance_field: str = DEFAULT_PROVENANCE_FIELD
    unmapped_people: UnmappedPeople = "absent"
    unknown_fields: UnknownFields = "hold"
    people: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IncidentTime:
    """One time the incident will have in Datadog, and the row's column it came from."""

    name: str
    """``detected``, ``declared`` or ``resolved``: the request's attribute."""
    value: datetime | None
    """None: not sent (a row that is not resolved has no resolved time)."""
    source: str
    """The canonical column it came from (``impact_start`` for a detected time the record
    does not have), with ``(--detected-from at load)`` when the load filled it."""


@dataclass(frozen=True)
class Payload:
    """What one row becomes: the requests to send, or why it is held; plus notes."""

    row_key: str
    title: str | None
    request: IncidentImportRequest | None
    impact: IncidentImpactCreateRequest | None = None
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    times: tuple[IncidentTime, ...] = ()
    """Every time the incident will have in Datadog, and where each came from."""

    @property
    def ready(self) -> bool:
        """True when the row can be sent."""
        return self.request is not None and not self.reasons

    @functools.cached_property
    def hash(self) -> str | None:
        """The hash of the import payload (None when held): tells a changed row apart.

        Computed once per payload (plan, ledger and run all read it; the request is frozen).
        """
        return payload_hash(self.request) if self.request is not None else None


def payload_hash(request: IncidentImportRequest) -> str:
    """SHA-256 of the request's JSON with sorted keys, as 16 hex digits."""
    text = json.dumps(request.payload(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _user_status(user: User) -> UserStatus:
    attributes = user.attributes
    if attributes is None:
        return "active"
    status = (attributes.status or "").casefold()
    if attributes.disabled or status == "disabled":
        return "disabled"
    if status == "pending" or attributes.verified is False:
        return "pending"
    return "active"


def org_config(
    types: IncidentTypeListResponse,
    fields: UserDefinedFieldListResponse,
    users: Iterable[User] = (),
) -> OrgConfig:
    """The org as plain data, from the answers of the types, fields and users endpoints."""
    by_type: dict[str, dict[str, FieldSpec]] = {}
    for item in fields.data:
        attributes = item.attributes
        if attributes.deleted is not None:
            continue
        type_ref = ((item.relationships or {}).get("incident_type") or {}).get("data") or {}
        type_id = str(type_ref.get("id", "")).lower()
        allowed = None
        if attributes.type in _CONSTRAINED_TYPES:
            allowed = frozenset(v.value for v in attributes.valid_values or ())
        by_type.setdefault(type_id, {})[attributes.name] = FieldSpec(
            attributes.name, attributes.type not in _SINGLE_VALUE_TYPES, allowed
        )
    infos = []
    for itype in types.data:
        described = itype.attributes
        if described is None:
            continue
        infos.append(
            IncidentTypeInfo(
                id=itype.id.lower(),
                name=described.name or itype.id,
                is_default=bool(described.is_default),
                fields=by_type.get(itype.id.lower(), {}),
            )
        )
    people = {
        normalize_email(user.attributes.email): UserInfo(
            user.id, user.attributes.email, user.attributes.name, _user_status(user)
        )
        for user in users
        if user.attributes is not None and user.attributes.email
    }
    return OrgConfig(types=tuple(infos), users=people)


# -- one row -----------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


def _values(value: object) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [str(v) for v in items if v is not None and str(v).strip()]


def _field_value(spec: FieldSpec, value: object, reasons: list[str]) -> str | list[str] | None:
    """The value as the field takes it (None: leave the field out), or a reason."""
    values = _values(value)
    if not values:
        return None
    if spec.allowed is not None:
        bad = [v for v in values if v not in spec.allowed]
        if bad:
            allowed = ", ".join(sorted(spec.allowed)) or "none"
            reasons.append(
                f"fields.{spec.name}: {', '.join(repr(v) for v in bad)} not among the org's "
                f"values ({allowed})"
            )
            return None
    if spec.multiple:
        return values
    if len(values) > 1:
        reasons.append(
            f"fields.{spec.name}: {len(values)} values, but the org's field takes one "
            f"({', '.join(repr(v) for v in values[:3])})"
        )
        return None
    return values[0]


def _person(
    role: str,
    value: object,
    *,
    org: OrgConfig,
    options: PayloadOptions,
    reasons: list[str],
    notes: list[str],
) -> str | None:
    """The Datadog user id of a legacy person, or None (with a reason or a note)."""
    text = _text(value)
    if text is None:
        return None
    email = text if "@" in text else options.people.get(normalize_name(text))
    user = org.users.get(normalize_email(email)) if email else None
    if user is None:
        if email is None:
            why = f"{role} {text!r} has no email: map the name in the people table"
        else:
            why = f"{role} {text!r} ({email}) is not a user of the Datadog org"
        if options.unmapped_people == "hold":
            reasons.append(why)
        else:
            notes.append(f"{why}; sent without a {role}")
        return None
    if user.status != "active":
        notes.append(f"{role} {text!r} is a {user.status} Datadog user ({user.email})")
    return user.id


def _incident_type(
    name: object, org: OrgConfig, reasons: list[str]
) -> tuple[IncidentTypeInfo | None, bool]:
    """The row's incident type, and whether the request must name it."""
    text = _text(name)
    if text is None:
        default = org.default_type
        if default is None:
            reasons.append("the org has no default incident type: set incident_type")
        return default, False
    found = org.type_named(text)
    if found is None:
        known = ", ".join(repr(t.name) for t in org.types) or "none"
        reasons.append(f"incident type {text!r} is not one of the org's ({known})")
        return None, False
    return found, True


def _fields(
    row: Mapping[str, Any],
    itype: IncidentTypeInfo,
    options: PayloadOptions,
    reasons: list[str],
    notes: list[str],
) -> dict[str, str | list[str]]:
    wanted: dict[str, object] = {
        "state": row.get("state"),
        "severity": row.get("severity"),
        "teams": row.get("teams"),
        "services": row.get("services"),
    }
    for column, value in row.items():
        if column.startswith(FIELD_PREFIX):
            key = column.removeprefix(FIELD_PREFIX)
            if key == options.provenance_field:
                reasons.append(
                    f"column {column} would overwrite the provenance field {key!r}: rename it"
                )
                continue
            wanted[key] = value
    provenance = itype.fields.get(options.provenance_field)
    if provenance is None or provenance.multiple or provenance.allowed is not None:
        reasons.append(
            f"incident type {itype.name!r} has no text field {options.provenance_field!r} to "
            "carry the row key: create one in Datadog (Incidents > Settings > Property Fields) "
            "or choose another provenance field"
        )
    fields: dict[str, str | list[str]] = {}
    for key, value in wanted.items():
        if not _values(value):
            continue
        spec = itype.fields.get(key)
        if key in _SERVER_FIELDS or spec is None:
            why = f"fields.{key}: the incident type {itype.name!r} has no such field"
            if options.unknown_fields == "drop" and key not in ("state", "severity"):
                notes.append(f"{why}; left out")
            else:
                reasons.append(why)
            continue
        converted = _field_value(spec, value, reasons)
        if converted is not None:
            fields[key] = converted
    fields[options.provenance_field] = str(row["row_key"])
    return fields


def _timestamp(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None


# What to do about a time the row lacks: the text suggestion, or an explicit choice.
_FIX_TIMES: Final = (
    "`ddinc suggest PATH -o recipe.json` proposes the times the record's own text states (its "
    "notes and carried text fields; apply with --recipe recipe.json)"
)


def _loaded_from(row: Mapping[str, Any], column: str) -> str | None:
    """The column the load filled ``column`` from (``--detected-from``), if it did."""
    raw = row.get("raw")
    text = raw.get(column) if isinstance(raw, Mapping) else None
    if isinstance(text, str) and text.startswith("from "):
        return text.removeprefix("from ").split(":", 1)[0]
    return None


def _incident_times(
    row: Mapping[str, Any], reasons: list[str], notes: list[str]
) -> tuple[IncidentTime, ...]:
    """The times the incident of ``row`` will have in Datadog, each with where it came from.

    Never one left for the server to stamp: a missing detected time is the impact start (else
    the declared time), said in ``notes``; a missing declared time, or a resolved state
    without a resolved time, adds the reason and the fix to ``reasons``.
    """
    declared = _timestamp(row.get("declared"))
    if declared is None:
        reasons.append(
            "no declared time: Datadog would stamp the import time instead; give it one: "
            f"{_FIX_TIMES}, or a recipe step that fills declared from another time"
        )
    detected = _timestamp(row.get("detected"))
    detected_from = "detected"
    filled = _loaded_from(row, "detected")
    if detected is not None and filled is not None:
        detected_from = f"{filled} (--detected-from at load)"
    elif detected is None:
        for column in ("impact_start", "declared"):
            detected = _timestamp(row.get(column))
            if detected is not None:
                detected_from = column
                notes.append(
                    f"no detected time recorded: sent as the {column.replace('_', ' ')} "
                    f"({detected.isoformat()}), so Datadog does not stamp the import time"
                )
                break
    resolved = _timestamp(row.get("resolved"))
    if _text(row.get("state")) == RESOLVED_TIME_STATE and resolved is None:
        reasons.append(
            "state is resolved but there is no resolved time: Datadog would stamp the import "
            f"time instead; give it one: {_FIX_TIMES}; or set the state the record really has "
            "(a recipe step on state)"
        )
    return (
        IncidentTime("detected", detected, detected_from if detected is not None else "none"),
        IncidentTime("declared", declared, "declared" if declared is not None else "none"),
        IncidentTime("resolved", resolved, "resolved" if resolved is not None else "none"),
    )


def _impact(row: Mapping[str, Any], reasons: list[str]) -> IncidentImpactCreateRequest | None:
    start = _timestamp(row.get("impact_start"))
    if start is None:
        return None
    end = _timestamp(row.get("impact_end"))
    try:
        return IncidentImpactCreateRequest.of(
            f"Customer impact, imported from {row['row_key']}", start_at=start, end_at=end
        )
    except InvalidRequestError as error:
        reasons.extend(f"impact {where}: {what}" for where, what in error.problems)
        return None


def build_payload(
    row: Mapping[str, Any],
    org: OrgConfig,
    options: PayloadOptions | None = None,
    *,
    blocked: Sequence[str] = (),
) -> Payload:
    """What one canonical row becomes; ``blocked`` are the error-level checks it fails.

    A row failing an error-level check is held without building anything: it never reaches
    the wire, whatever the org would accept.
    """
    options = options or PayloadOptions()
    key = str(row["row_key"])
    title = _text(row.get("title"))
    reasons: list[str] = []
    notes: list[str] = []
    times = _incident_times(row, reasons, notes)
    if blocked:
        # The times' own reasons too: the analyst sees every fix the row needs at once.
        return Payload(key, title, None, reasons=(*blocked, *reasons), times=times)
    problem = title_problem(row.get("title"))
    if problem:
        reasons.append(problem)
    elif title is not None and "\x00" in title:
        # What Datadog does with a NUL is not recorded: never find out on a real org.
        reasons.append(
            "the title holds NUL characters (\\x00): remove them (a recipe step set_cell) "
            "before pushing"
        )
    state = _text(row.get("state"))
    problem = resolved_problem(state, has_resolved=row.get("resolved") is not None)
    if problem:
        reasons.append(problem)
    visibility = _text(row.get("visibility"))
    if visibility is not None and visibility not in VISIBILITIES:
        reasons.append(f"visibility {visibility!r} is not one of {', '.join(VISIBILITIES)}")
    itype, named = _incident_type(row.get("incident_type"), org, reasons)
    fields = _fields(row, itype, options, reasons, notes) if itype is not None else {}
    people = {
        relation: _person(
            role, row.get(role), org=org, options=options, reasons=reasons, notes=notes
        )
        for role, relation in _PEOPLE
    }
    impact = _impact(row, reasons)
    if reasons:
        return Payload(key, title, None, reasons=tuple(reasons), notes=tuple(notes), times=times)
    detected, declared, resolved = (time.value for time in times)
    try:
        request = IncidentImportRequest.of(
            str(row["title"]),
            detected=detected,
            declared=declared,
            resolved=resolved,
            fields=fields,
            incident_type_uuid=itype.id if (itype is not None and named) else None,
            visibility="private" if visibility == "private" else None,
            commander_user_id=people["commander_user"],
            declared_by_user_id=people["declared_by_user"],
        )
    except InvalidRequestError as error:
        reasons = [f"{where}: {what}" for where, what in error.problems]
        return Payload(key, title, None, reasons=tuple(reasons), notes=tuple(notes), times=times)
    return Payload(key, title, request, impact=impact, notes=tuple(notes), times=times)
