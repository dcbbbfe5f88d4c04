"""The Datadog org the emulator serves: users, incident types and incident fields.

The default org is read from ``org.json`` next to this module, a readable fixture that a user
can copy, edit and pass back with ``--org FILE`` or :meth:`Org.load`. It is meant to set traps
that real orgs set: emails in mixed case, one email that is a substring of another (the users
``filter`` is a substring match), a disabled and a pending user, a service account without a
name, severity levels the org did not enable (``SEV-0``), no ``completed`` state, a field that
exists for one incident type only, and a retired (soft-deleted) incident type.

Built-in fields (``severity``, ``state``, ...) are user-defined fields with ``reserved`` set,
as Datadog reports them; their ids are derived from (incident type id, field name), so each
type has its own copy, like the ``user_defined_fields`` relationship of a real incident.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, get_args

from ddinc.errors import ConfigError

__all__ = [
    "DEFAULT_ORG_FILE",
    "PROVENANCE_FIELD",
    "PROVENANCE_VARIANTS",
    "FieldConfig",
    "FieldKind",
    "IncidentType",
    "Org",
    "ProvenanceVariant",
    "User",
    "ValidValue",
]

DEFAULT_ORG_FILE = Path(__file__).with_name("org.json")
PROVENANCE_FIELD = "legacy_id"
"""The text field of ``org.json`` that carries ddinc's row keys (ddinc's default)."""

ProvenanceVariant = Literal["as-org", "absent", "some-types", "not-text"]
PROVENANCE_VARIANTS: tuple[ProvenanceVariant, ...] = get_args(ProvenanceVariant)

# When the fixture gives no timestamps, every org object pretends to be this old.
_FIXTURE_EPOCH = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)


class FieldKind(StrEnum):
    """How a field holds its value; the int codes are Datadog's ``type`` numbers."""

    DROPDOWN = "dropdown"
    MULTISELECT = "multiselect"
    TEXTBOX = "textbox"
    TEXTARRAY = "textarray"
    METRICTAG = "metrictag"
    AUTOCOMPLETE = "autocomplete"

    @property
    def code(self) -> int:
        """Datadog's integer ``type`` of a field (1 = dropdown ... 6 = autocomplete)."""
        return list(FieldKind).index(self) + 1

    @property
    def multiple(self) -> bool:
        """True when the value is a list of strings rather than one string."""
        return self not in (FieldKind.DROPDOWN, FieldKind.TEXTBOX)

    @property
    def constrained(self) -> bool:
        """True when values must be among the field's configured valid values."""
        return self in (FieldKind.DROPDOWN, FieldKind.MULTISELECT)


@dataclass(frozen=True)
class ValidValue:
    """One allowed value of a dropdown or multiselect field."""

    value: str
    display_name: str
    description: str | None = None
    short_description: str | None = None


@dataclass(frozen=True)
class FieldConfig:
    """An incident field as the org configured it.

    ``incident_types`` is None when the field applies to every incident type.
    """

    name: str
    display_name: str
    kind: FieldKind
    valid_values: tuple[ValidValue, ...] = ()
    default_value: str | None = None
    reserved: bool = False
    category: str = "what_happened"
    collected: str = "active"
    ordinal: str | None = None
    incident_types: tuple[str, ...] | None = None

    def applies_to(self, incident_type_id: str) -> bool:
        """Whether incidents of this type carry this field."""
        return self.incident_types is None or incident_type_id in self.incident_types

    def field_id(self, incident_type_id: str) -> str:
        """The stable id of this field's copy on one incident type."""
        return _field_id(incident_type_id, self.name)

    @cached_property
    def allowed(self) -> frozenset[str]:
        """The configured values, for membership checks."""
        return frozenset(v.value for v in self.valid_values)


@dataclass(frozen=True)
class User:
    """A Datadog user of the org (emails kept exactly as the fixture spells them)."""

    id: str
    email: str
    name: str | None
    handle: str
    title: str | None = None
    status: str = "Active"
    disabled: bool = False
    verified: bool = True
    service_account: bool = False
    created_at: datetime = _FIXTURE_EPOCH


@dataclass(frozen=True)
class IncidentType:
    """An incident type; ``deleted`` is set for a soft-deleted (retired) type."""

    id: str
    name: str
    description: str = ""
    is_default: bool = False
    prefix: str = "IR"
    created_at: datetime = _FIXTURE_EPOCH
    deleted: datetime | None = None


@dataclass(frozen=True)
class Org:
    """Everything the emulator knows about the org besides its incidents.

    Build one with :meth:`default`, :meth:`load` or :meth:`from_dict`; each checks the
    fixture is consistent and raises :class:`~ddinc.errors.ConfigError` otherwise.
    """

    id: str
    name: str
    key_owner_id: str
    users: tuple[User, ...]
    incident_types: tuple[IncidentType, ...]
    fields: tuple[FieldConfig, ...] = field(default=())

    @classmethod
    def default(cls) -> Org:
        """The org of ``org.json`` shipped with ddinc."""
        return cls.load(DEFAULT_ORG_FILE)

    @classmethod
    def load(cls, path: str | Path) -> Org:
        """Read an org fixture file (the layout of ``org.json``)."""
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(
                f"org file {path} does not exist: pass an existing file, or omit it to use the "
                f"default org ({DEFAULT_ORG_FILE})"
            ) from exc
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"org file {path} is not readable JSON ({exc}): fix it, starting from a copy of "
                f"{DEFAULT_ORG_FILE}"
            ) from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"org file {path} must hold one JSON object, like {DEFAULT_ORG_FILE}")
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str = "org") -> Org:
        """Build and check an org from the parsed fixture."""
        try:
            org = cls(
                id=str(raw["org"]["id"]),
                name=str(raw["org"]["name"]),
                key_owner_id=str(raw["key_owner"]),
                users=tuple(_user(u) for u in raw["users"]),
                incident_types=tuple(_incident_type(t) for t in raw["incident_types"]),
                fields=tuple(_field(f) for f in raw.get("fields", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"{source}: malformed org fixture ({type(exc).__name__}: {exc}); compare it with "
                f"{DEFAULT_ORG_FILE}"
            ) from exc
        org.check(source)
        return org

    def check(self, source: str = "org") -> None:
        """Raise ConfigError when ids collide or references dangle."""
        problems: list[str] = []
        ids = [u.id for u in self.users]
        if len(set(ids)) != len(ids):
            problems.append("user ids are not unique")
        emails = [u.email.strip().lower() for u in self.users]
        if len(set(emails)) != len(emails):
            problems.append("two users share an email (compared case-insensitively)")
        if self.key_owner_id not in ids:
            problems.append(f"key_owner {self.key_owner_id} is not one of the users")
        live_defaults = [t for t in self.incident_types if t.is_default and t.deleted is None]
        if len(live_defaults) != 1:
            problems.append(
                f"exactly one live incident type must have is_default true, found "
                f"{len(live_defaults)}"
            )
        type_ids = {t.id for t in self.incident_types}
        for f in self.fields:
            unknown = set(f.incident_types or ()) - type_ids
            if unknown:
                problems.append(f"field {f.name!r} names unknown incident types {sorted(unknown)}")
            if f.kind.constrained and not f.valid_values:
                problems.append(f"{f.kind} field {f.name!r} has no valid_values")
            if (
                f.default_value is not None
                and f.kind.constrained
                and f.default_value not in f.allowed
            ):
                problems.append(
                    f"field {f.name!r} default {f.default_value!r} is not a valid value"
                )
            if f.name == "slug":
                problems.append("field 'slug' is set by Datadog and cannot be configured")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            problems.append("field names are not unique")
        if problems:
            raise ConfigError(f"{source}: " + "; ".join(problems) + ". Fix the org fixture.")

    def with_provenance(self, variant: ProvenanceVariant, name: str = PROVENANCE_FIELD) -> Org:
        """This org with its provenance field changed the way real orgs get it wrong.

        ``"as-org"`` keeps it; ``"absent"`` removes it; ``"some-types"`` keeps it on the
        default incident type only; ``"not-text"`` makes it a text array (a list of strings,
        not the one text value ddinc needs).

        >>> org = Org.default().with_provenance("absent")
        >>> any(f.name == "legacy_id" for f in org.fields)
        False
        """
        if variant not in PROVENANCE_VARIANTS:
            raise ConfigError(
                f"provenance variant {variant!r}: use one of {', '.join(PROVENANCE_VARIANTS)}"
            )
        if variant == "as-org":
            return self
        if variant == "absent":
            return dataclasses.replace(self, fields=tuple(f for f in self.fields if f.name != name))
        if not any(f.name == name for f in self.fields):
            raise ConfigError(f"the org has no field {name!r} to make {variant!r}")
        change: dict[str, Any] = (
            {"incident_types": (self.default_incident_type.id,)}
            if variant == "some-types"
            else {"kind": FieldKind.TEXTARRAY}
        )
        fields = tuple(
            dataclasses.replace(f, **change) if f.name == name else f for f in self.fields
        )
        return dataclasses.replace(self, fields=fields)

    # -- lookups -------------------------------------------------------------------------

    @cached_property
    def _users_by_id(self) -> dict[str, User]:
        return {u.id: u for u in self.users}

    @cached_property
    def _types_by_id(self) -> dict[str, IncidentType]:
        return {t.id: t for t in self.incident_types}

    def user(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        return self._users_by_id.get(user_id)

    @property
    def key_owner(self) -> User:
        """The user the API and application keys belong to (creator of every import)."""
        return self._users_by_id[self.key_owner_id]

    def incident_type(self, type_id: str, *, include_deleted: bool = False) -> IncidentType | None:
        """The incident type with this id, or None (retired types only when asked)."""
        found = self._types_by_id.get(type_id)
        if found is None or (found.deleted is not None and not include_deleted):
            return None
        return found

    @property
    def default_incident_type(self) -> IncidentType:
        """The live type with ``is_default`` (used when an import names none)."""
        return next(t for t in self.incident_types if t.is_default and t.deleted is None)

    @cached_property
    def _fields_by_type(self) -> dict[str, dict[str, FieldConfig]]:
        return {
            t.id: {f.name: f for f in self.fields if f.applies_to(t.id)}
            for t in self.incident_types
        }

    def fields_for(self, incident_type_id: str) -> tuple[FieldConfig, ...]:
        """The fields incidents of this type carry, in the fixture's order."""
        found = self._fields_by_type.get(incident_type_id)
        if found is None:
            return tuple(f for f in self.fields if f.applies_to(incident_type_id))
        return tuple(found.values())

    def field_for(self, incident_type_id: str, name: str) -> FieldConfig | None:
        """One field of a type by name, or None."""
        found = self._fields_by_type.get(incident_type_id)
        if found is None:
            return next((f for f in self.fields_for(incident_type_id) if f.name == name), None)
        return found.get(name)

    def search_users(self, text: str | None) -> list[User]:
        """Users whose email, handle or name contains ``text``, in any case (``filter``)."""
        if not text:
            return list(self.users)
        needle = text.strip().lower()
        return [
            u
            for u in self.users
            if needle in u.email.lower() or needle in u.handle or needle in (u.name or "").lower()
        ]


@functools.lru_cache(maxsize=4096)
def _field_id(incident_type_id: str, name: str) -> str:
    return str(uuid.uuid5(uuid.UUID(incident_type_id), name))


def _timestamp(value: object, default: datetime) -> datetime:
    if value is None:
        return default
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no timezone")
    return parsed.astimezone(UTC)


def _user(raw: Mapping[str, Any]) -> User:
    email = str(raw["email"])
    return User(
        id=str(uuid.UUID(str(raw["id"]))),
        email=email,
        name=raw.get("name"),
        # Datadog handles are the lower-cased email for password and SAML users.
        handle=str(raw.get("handle", email.strip().lower())),
        title=raw.get("title"),
        status=str(raw.get("status", "Active")),
        disabled=bool(raw.get("disabled", False)),
        verified=bool(raw.get("verified", True)),
        service_account=bool(raw.get("service_account", False)),
        created_at=_timestamp(raw.get("created_at"), _FIXTURE_EPOCH),
    )


def _incident_type(raw: Mapping[str, Any]) -> IncidentType:
    deleted = raw.get("deleted")
    return IncidentType(
        id=str(uuid.UUID(str(raw["id"]))),
        name=str(raw["name"]),
        description=str(raw.get("description", "")),
        is_default=bool(raw.get("is_default", False)),
        prefix=str(raw.get("prefix", "IR")),
        created_at=_timestamp(raw.get("created_at"), _FIXTURE_EPOCH),
        deleted=None if deleted is None else _timestamp(deleted, _FIXTURE_EPOCH),
    )


def _field(raw: Mapping[str, Any]) -> FieldConfig:
    types: Sequence[str] | None = raw.get("incident_types")
    return FieldConfig(
        name=str(raw["name"]),
        display_name=str(raw.get("display_name", raw["name"])),
        kind=FieldKind(raw["type"]),
        valid_values=tuple(
            ValidValue(
                value=str(v["value"]),
                display_name=str(v.get("display_name", v["value"])),
                description=v.get("description"),
                short_description=v.get("short_description"),
            )
            for v in raw.get("valid_values", [])
        ),
        default_value=raw.get("default_value"),
        reserved=bool(raw.get("reserved", False)),
        # Never null: the spec declares both as enums without null, and validators read
        # OpenAPI 3.0.3 "nullable" as not extending an enum.
        category=str(raw.get("category", "what_happened")),
        collected=str(raw.get("collected", "active")),
        ordinal=raw.get("ordinal"),
        incident_types=None if types is None else tuple(str(uuid.UUID(t)) for t in types),
    )
