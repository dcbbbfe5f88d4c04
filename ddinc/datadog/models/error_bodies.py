"""Error bodies: Datadog uses two shapes, and both must be read.

- ``{"errors": ["message", ...]}``: ``APIErrorResponse``, ``application/json`` (what the spec
  declares for every import error);
- ``{"errors": [{"title", "detail", "status"?, "source"?}]}``: JSON:API objects,
  ``application/vnd.api+json`` (what newer incident endpoints send).
"""

from __future__ import annotations

import json
from typing import Any, Final

from pydantic import ValidationError

from ddinc.datadog.models._base import LenientResponse

__all__ = ["ApiErrorBody", "JsonApiErrorBody", "JsonApiErrorItem", "error_messages"]


class ApiErrorBody(LenientResponse):
    """``{"errors": ["message", ...]}`` (``APIErrorResponse``, ``application/json``)."""

    errors: list[str]


class JsonApiErrorItem(LenientResponse):
    """One JSON:API error object."""

    title: str | None = None
    detail: str | None = None
    status: str | None = None
    source: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None

    def message(self) -> str:
        """Title and detail joined, whichever exist."""
        text = ": ".join(part for part in (self.title, self.detail) if part)
        pointer = (self.source or {}).get("pointer")
        return f"{text} (at {pointer})" if pointer else text


class JsonApiErrorBody(LenientResponse):
    """``{"errors": [{"title", "detail", "status"?}]}`` (``application/vnd.api+json``)."""

    errors: list[JsonApiErrorItem]


_MAX_RAW_ERROR_CHARS: Final = 300


def error_messages(body: bytes | str | object) -> list[str]:
    """Datadog's messages from an error body, whatever its shape.

    Both documented shapes are read; any other JSON or a non-JSON body (an HTML page from a
    proxy, an empty 5xx) becomes one shortened message or none.

    Examples
    --------
    >>> error_messages(b'{"errors": ["incident 42 not found"]}')
    ['incident 42 not found']
    >>> error_messages('{"errors": [{"title": "Bad Request", "detail": "title too long"}]}')
    ['Bad Request: title too long']
    >>> error_messages(b"")
    []
    """
    if isinstance(body, bytes | str):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        if not text.strip():
            return []
        try:
            parsed: object = json.loads(text)
        except ValueError:
            return [_shorten(text)]
    else:
        parsed = body
    for shape in (ApiErrorBody, JsonApiErrorBody):
        try:
            model = shape.model_validate(parsed)
        except ValidationError:
            continue
        if isinstance(model, ApiErrorBody):
            return [message for message in model.errors if message]
        return [message for item in model.errors if (message := item.message())]
    return [_shorten(json.dumps(parsed) if not isinstance(parsed, str) else parsed)]


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= _MAX_RAW_ERROR_CHARS:
        return text
    return text[: _MAX_RAW_ERROR_CHARS - 3] + "..."
