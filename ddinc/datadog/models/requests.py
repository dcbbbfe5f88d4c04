"""Request bodies: strict, so a request the API would refuse fails before it is sent.

No coercion and no unknown keys; timestamps must be timezone-aware and are sent as UTC
``...Z``; the rules the API enforces on its own (``title`` 1 to 1024 characters, ``resolved``
only with ``fields.state`` resolved, an impact's end not before its start) fail here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from ddinc.datadog.models._base import StrictRequest, UtcTimestamp
from ddinc.errors import InvalidRequestError
from ddinc.limits import TITLE_MAX_CHARS

__all__ = [
    "IMPORT_INCLUDE_VALUES",
    "TITLE_MAX_CHARS",
    "FieldValue",
    "ImportInclude",
    "IncidentImpactCreateAttributes",
    "IncidentImpactCreateData",
    "IncidentImpactCreateRequest",
    "IncidentImportAttributes",
    "IncidentImportData",
    "IncidentImportRelationships",
    "IncidentImportRequest",
    "UserRef",
    "UserRelationship",
]


def _refused(what: str, error: ValidationError) -> InvalidRequestError:
    """The pydantic error as ddinc's, naming each broken rule without echoing long values."""
    problems = [
        (".".join(str(part) for part in item["loc"]) or "request", item["msg"])
        for item in error.errors(include_url=False, include_input=False)
    ]
    return InvalidRequestError(what, problems)


ImportInclude = Literal[
    "last_modified_by_user",
    "created_by_user",
    "commander_user",
    "declared_by_user",
    "incident_type",
]
IMPORT_INCLUDE_VALUES: Final[tuple[ImportInclude, ...]] = (
    "last_modified_by_user",
    "created_by_user",
    "commander_user",
    "declared_by_user",
    "incident_type",
)


# ---------------------------------------------------------------------------------- import


class FieldValue(StrictRequest):
    """One field of an import: ``{"value": str}`` or ``{"value": [str, ...]}``, never a ``type``.

    No null: the spec's two value shapes are both nullable, so ``{"value": null}`` matches both
    and fails its ``oneOf``; on a new incident, leaving the field out says the same.
    """

    value: str | list[str]


class UserRef(StrictRequest):
    """A reference to a Datadog user by id."""

    id: Annotated[str, Field(min_length=1)]
    type: Literal["users"] = "users"


class UserRelationship(StrictRequest):
    """``{"data": {"id": ..., "type": "users"}}``."""

    data: UserRef


class IncidentImportRelationships(StrictRequest):
    """The only two relationships an import accepts."""

    commander_user: UserRelationship | None = None
    declared_by_user: UserRelationship | None = None


class IncidentImportAttributes(StrictRequest):
    """What an imported incident says about itself."""

    title: Annotated[str, Field(min_length=1, max_length=TITLE_MAX_CHARS)]
    detected: UtcTimestamp | None = None
    declared: UtcTimestamp | None = None
    resolved: UtcTimestamp | None = None
    fields: dict[str, FieldValue] | None = None
    incident_type_uuid: Annotated[str, Field(min_length=1)] | None = None
    visibility: Literal["organization", "private"] | None = None

    @field_validator("title")
    @classmethod
    def _title_is_sendable(cls, title: str) -> str:
        if not title.strip():
            raise ValueError("the title is blank: Datadog needs a title to show")
        try:
            title.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                "the title holds a character that cannot be sent as UTF-8 (a lone surrogate, "
                "usually from a badly decoded export)"
            ) from None
        return title

    @model_validator(mode="after")
    def _resolved_needs_resolved_state(self) -> IncidentImportAttributes:
        state = (self.fields or {}).get("state")
        if self.resolved is not None and (state is None or state.value != "resolved"):
            shown = "no state" if state is None else f"state {state.value!r}"
            raise ValueError(
                f"'resolved' is set but the incident has {shown}: Datadog accepts a resolved "
                "time only with fields.state 'resolved'. Set the state to 'resolved' or drop "
                "the resolved time."
            )
        return self


class IncidentImportData(StrictRequest):
    """The ``data`` member of an import request."""

    type: Literal["incidents"] = "incidents"
    attributes: IncidentImportAttributes
    relationships: IncidentImportRelationships | None = None


class IncidentImportRequest(StrictRequest):
    """Body of ``POST /api/v2/incidents/import``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> request = IncidentImportRequest.of(
    ...     "Checkout down",
    ...     detected=datetime(2024, 1, 12, 15, 45, tzinfo=timezone.utc),
    ...     fields={"severity": "SEV-2", "state": "active", "teams": ["payments"]},
    ... )
    >>> request.payload()["data"]["attributes"]["fields"]["teams"]
    {'value': ['payments']}
    >>> request.payload()["data"]["attributes"]["detected"]
    '2024-01-12T15:45:00Z'
    """

    data: IncidentImportData

    @classmethod
    def of(
        cls,
        title: str,
        *,
        detected: datetime | None = None,
        declared: datetime | None = None,
        resolved: datetime | None = None,
        fields: Mapping[str, str | Sequence[str] | None] | None = None,
        incident_type_uuid: str | None = None,
        visibility: Literal["organization", "private"] | None = None,
        commander_user_id: str | None = None,
        declared_by_user_id: str | None = None,
    ) -> IncidentImportRequest:
        """Build a request from plain values; field values are wrapped as ``{"value": ...}``.

        A field whose value is None is left out (see :class:`FieldValue`).

        Raises
        ------
        InvalidRequestError
            When the request breaks a rule of the API (see the module docstring), naming each.
        """
        try:
            wrapped = None
            if fields is not None:
                wrapped = {
                    key: FieldValue(value=value if isinstance(value, str) else list(value))
                    for key, value in fields.items()
                    if value is not None
                }
            relationships = None
            if commander_user_id is not None or declared_by_user_id is not None:
                relationships = IncidentImportRelationships(
                    commander_user=_user_relationship(commander_user_id),
                    declared_by_user=_user_relationship(declared_by_user_id),
                )
            attributes = IncidentImportAttributes(
                title=title,
                detected=detected,
                declared=declared,
                resolved=resolved,
                fields=wrapped,
                incident_type_uuid=incident_type_uuid,
                visibility=visibility,
            )
            data = IncidentImportData(attributes=attributes, relationships=relationships)
        except ValidationError as error:
            raise _refused(f"incident {str(title)[:80]!r}", error) from None
        return cls(data=data)

    @property
    def title(self) -> str:
        """The incident title, for messages and outcomes."""
        return self.data.attributes.title

    def payload(self) -> dict[str, Any]:
        """The JSON body, with unset members left out."""
        return self.model_dump(mode="json", exclude_none=True)


def _user_relationship(user_id: str | None) -> UserRelationship | None:
    return None if user_id is None else UserRelationship(data=UserRef(id=user_id))


# ---------------------------------------------------------------------------------- impacts


class IncidentImpactCreateAttributes(StrictRequest):
    """Customer impact: it cannot be set at import and needs this follow-up call."""

    description: str
    start_at: UtcTimestamp
    end_at: UtcTimestamp | None = None
    fields: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> IncidentImpactCreateAttributes:
        if self.end_at is not None and self.end_at < self.start_at:
            raise ValueError(
                f"impact end_at {self.end_at.isoformat()} is before start_at "
                f"{self.start_at.isoformat()}: swap them or leave end_at empty."
            )
        return self


class IncidentImpactCreateData(StrictRequest):
    """The ``data`` member of an impact request."""

    type: Literal["incident_impacts"] = "incident_impacts"
    attributes: IncidentImpactCreateAttributes


class IncidentImpactCreateRequest(StrictRequest):
    """Body of ``POST /api/v2/incidents/{incident_id}/impacts``."""

    data: IncidentImpactCreateData

    @classmethod
    def of(
        cls,
        description: str,
        *,
        start_at: datetime,
        end_at: datetime | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> IncidentImpactCreateRequest:
        """Build an impact request from plain values."""
        try:
            attributes = IncidentImpactCreateAttributes(
                description=description,
                start_at=start_at,
                end_at=end_at,
                fields=dict(fields) if fields is not None else None,
            )
        except ValidationError as error:
            raise _refused("impact", error) from None
        return cls(data=IncidentImpactCreateData(attributes=attributes))

    def payload(self) -> dict[str, Any]:
        """The JSON body, with unset members left out."""
        return self.model_dump(mode="json", exclude_none=True)
