"""What every request and every response model shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, PlainSerializer

__all__ = ["LenientResponse", "StrictRequest", "UtcTimestamp"]


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:30+01:00 is before year 1 in UTC: a ValueError becomes a validation
        # error naming the field, where an OverflowError would escape pydantic raw.
        raise ValueError(
            f"{value.isoformat()} is out of range once converted to UTC (years 0001-9999)"
        ) from None


def _rfc3339(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


# Timezone-aware in, UTC 'Z' out: a naive legacy time must be localized before it gets here.
UtcTimestamp = Annotated[
    AwareDatetime, AfterValidator(_to_utc), PlainSerializer(_rfc3339, return_type=str)
]


class StrictRequest(BaseModel):
    """A request body: no coercion, no unknown keys, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LenientResponse(BaseModel):
    """A response body: unknown keys kept, camelCase aliases or field names accepted."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
