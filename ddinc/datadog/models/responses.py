"""Response bodies: lenient, so that what Datadog adds tomorrow does not break an import.

Unknown keys are kept (``extra="allow"``) and almost every member is optional; ``included``
items are told apart by their ``type`` (users, incident types, anything else).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from ddinc.datadog.models._base import LenientResponse

__all__ = [
    "IncidentAttributes",
    "IncidentData",
    "IncidentImpactAttributes",
    "IncidentImpactData",
    "IncidentImpactResponse",
    "IncidentImpactsResponse",
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
    "Resource",
    "ResponseField",
    "SearchedIncident",
    "User",
    "UserAttributes",
    "UserDefinedField",
    "UserDefinedFieldAttributes",
    "UserDefinedFieldListResponse",
    "UserDefinedFieldResponse",
    "UserResponse",
    "UsersResponse",
    "ValidValue",
]

# ------------------------------------------------------------------------- shared responses


class Resource(LenientResponse):
    """Any JSON:API resource; what ``included`` holds when its type is not modelled."""

    id: str | None = None
    type: str | None = None
    attributes: dict[str, Any] | None = None


class ResponseField(LenientResponse):
    """A field of a stored incident: ``{"type": "dropdown", "value": ...}``."""

    type: str | None = None
    value: str | list[str] | int | float | None = None


class IncludedUserAttributes(LenientResponse):
    """A user as ``included`` in incident responses."""

    uuid: str | None = None
    handle: str | None = None
    email: str | None = None
    name: str | None = None
    icon: str | None = None


class IncludedUser(LenientResponse):
    """``included`` item of type ``users``."""

    id: str | None = None
    type: Literal["users"] = "users"
    attributes: IncludedUserAttributes | None = None


class IncidentTypeAttributes(LenientResponse):
    """An incident type's attributes; Datadog spells some of these in camelCase."""

    name: str | None = None
    description: str | None = None
    is_default: bool | None = None
    prefix: str | None = None
    created_at: datetime | None = Field(default=None, alias="createdAt")
    modified_at: datetime | None = Field(default=None, alias="modifiedAt")


class IncidentTypeData(LenientResponse):
    """An incident type (``included`` item or list element)."""

    id: str
    type: Literal["incident_types"] = "incident_types"
    attributes: IncidentTypeAttributes | None = None


def _included_kind(item: Any) -> str:
    kind = item.get("type") if isinstance(item, dict) else getattr(item, "type", None)
    return kind if kind in ("users", "incident_types") else "other"


IncludedItem = Annotated[
    Annotated[IncludedUser, Tag("users")]
    | Annotated[IncidentTypeData, Tag("incident_types")]
    | Annotated[Resource, Tag("other")],
    Discriminator(_included_kind),
]


class IncidentAttributes(LenientResponse):
    """A stored incident's attributes (import, get and search answers)."""

    title: str | None = None
    public_id: int | None = None
    created: datetime | None = None
    modified: datetime | None = None
    detected: datetime | None = None
    declared: datetime | None = None
    resolved: datetime | None = None
    customer_impact_start: datetime | None = None
    customer_impact_end: datetime | None = None
    fields: dict[str, ResponseField] | None = None
    incident_type_uuid: str | None = None
    severity: str | None = None
    state: str | None = None
    visibility: str | None = None
    created_by_uuid: str | None = None
    declared_by_uuid: str | None = None
    creation_idempotency_key: str | None = None


class IncidentData(LenientResponse):
    """A stored incident."""

    id: str
    type: str = "incidents"
    attributes: IncidentAttributes | None = None
    relationships: dict[str, Any] | None = None

    @property
    def public_id(self) -> int | None:
        """Datadog's incrementing incident number."""
        return self.attributes.public_id if self.attributes else None

    @property
    def slug(self) -> str | None:
        """The human id such as ``IR-338022``, when Datadog returned it."""
        field = (self.attributes.fields or {}).get("slug") if self.attributes else None
        return field.value if field is not None and isinstance(field.value, str) else None


class IncidentImportResponse(LenientResponse):
    """The 201 answer of an import."""

    data: IncidentData
    included: list[IncludedItem] | None = None

    @property
    def incident_id(self) -> str:
        """The new incident's UUID."""
        return self.data.id


class IncidentResponse(LenientResponse):
    """The answer of ``GET /api/v2/incidents/{id}``."""

    data: IncidentData
    included: list[IncludedItem] | None = None


class IncidentsResponse(LenientResponse):
    """The answer of ``GET /api/v2/incidents`` (ListIncidents): one page of incidents."""

    data: list[IncidentData] = Field(default_factory=list)
    included: list[IncludedItem] | None = None
    meta: dict[str, Any] | None = None


class SearchedIncident(LenientResponse):
    """One hit of a search: ``{"data": incident}``."""

    data: IncidentData


class IncidentSearchAttributes(LenientResponse):
    """Search hits, their total and the facets (kept as plain JSON: their shapes vary)."""

    incidents: list[SearchedIncident] = Field(default_factory=list)
    total: int | None = None
    facets: dict[str, Any] | None = None


class IncidentSearchData(LenientResponse):
    """The ``data`` member of a search answer."""

    type: str | None = None
    attributes: IncidentSearchAttributes | None = None


class IncidentSearchResponse(LenientResponse):
    """The answer of ``GET /api/v2/incidents/search``."""

    data: IncidentSearchData
    included: list[IncludedItem] | None = None
    meta: dict[str, Any] | None = None

    @property
    def incidents(self) -> list[IncidentData]:
        """The incidents found, unwrapped."""
        attributes = self.data.attributes
        return [hit.data for hit in attributes.incidents] if attributes else []


# -------------------------------------------------------------------------- users and types


class UserAttributes(LenientResponse):
    """A user's attributes in the users API."""

    email: str | None = None
    handle: str | None = None
    name: str | None = None
    status: str | None = None
    disabled: bool | None = None
    service_account: bool | None = None
    verified: bool | None = None
    title: str | None = None
    uuid: str | None = None


class User(LenientResponse):
    """A Datadog user."""

    id: str
    type: str = "users"
    attributes: UserAttributes | None = None
    relationships: dict[str, Any] | None = None

    @property
    def email(self) -> str | None:
        """The user's email as Datadog stores it."""
        return self.attributes.email if self.attributes else None


class UsersResponse(LenientResponse):
    """The answer of ``GET /api/v2/users``."""

    data: list[User] = Field(default_factory=list)
    included: list[Resource] | None = None
    meta: dict[str, Any] | None = None


class UserResponse(LenientResponse):
    """The answer of ``GET /api/v2/users/{id}``."""

    data: User
    included: list[Resource] | None = None


class IncidentTypeListResponse(LenientResponse):
    """The answer of ``GET /api/v2/incidents/config/types``."""

    data: list[IncidentTypeData] = Field(default_factory=list)


class IncidentTypeResponse(LenientResponse):
    """The answer of ``GET /api/v2/incidents/config/types/{id}``."""

    data: IncidentTypeData


class ValidValue(LenientResponse):
    """One allowed value of a dropdown, multiselect or autocomplete field."""

    value: str
    display_name: str | None = None
    description: str | None = None
    short_description: str | None = None


class UserDefinedFieldAttributes(LenientResponse):
    """A field configuration: its key (``name``), its kind and its allowed values.

    ``type`` is Datadog's code: 1 dropdown, 2 multiselect, 3 textbox, 4 textarray,
    5 metrictag, 6 autocomplete, 7 number, 8 datetime.
    """

    name: str
    display_name: str | None = None
    type: int | None = None
    valid_values: list[ValidValue] | None = None
    required: bool | None = None
    reserved: bool | None = None
    default_value: str | None = None
    category: str | None = None
    collected: str | None = None
    deleted: datetime | None = None


class UserDefinedField(LenientResponse):
    """An incident user-defined field configuration."""

    id: str
    type: str = "user_defined_field"
    attributes: UserDefinedFieldAttributes
    relationships: dict[str, Any] | None = None


class UserDefinedFieldListResponse(LenientResponse):
    """The answer of ``GET /api/v2/incidents/config/user-defined-fields``."""

    data: list[UserDefinedField] = Field(default_factory=list)
    meta: dict[str, Any] | None = None


class UserDefinedFieldResponse(LenientResponse):
    """The answer of ``GET /api/v2/incidents/config/user-defined-fields/{id}``."""

    data: UserDefinedField


class IncidentImpactAttributes(LenientResponse):
    """A stored impact."""

    description: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    impact_type: str | None = None
    fields: dict[str, Any] | None = None
    created: datetime | None = None
    modified: datetime | None = None


class IncidentImpactData(LenientResponse):
    """An impact resource."""

    id: str
    type: str = "incident_impacts"
    attributes: IncidentImpactAttributes | None = None
    relationships: dict[str, Any] | None = None


class IncidentImpactResponse(LenientResponse):
    """The 201 answer of an impact creation."""

    data: IncidentImpactData
    included: list[IncludedItem] | None = None


class IncidentImpactsResponse(LenientResponse):
    """The answer of ``GET /api/v2/incidents/{id}/impacts`` (ListIncidentImpacts)."""

    data: list[IncidentImpactData] = Field(default_factory=list)
    included: list[IncludedItem] | None = None
