"""What Datadog's import endpoint itself refuses: one home for the API's rules.

The checks (:mod:`ddinc.checks`), the request models (:mod:`ddinc.datadog.models`) and the
payload builder all read these, so a check can never disagree with the client about what the
API accepts. Sources: Datadog's OpenAPI spec for ``POST /api/v2/incidents/import`` and
``../shared/docs/DOMAIN.md``.

>>> title_problem("")
'the title is blank: Datadog needs a title to show'
>>> resolved_problem("active", has_resolved=True) is not None
True
>>> resolved_problem("resolved", has_resolved=True) is None
True
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "EARLIEST_YEAR",
    "FIELD_VALUE_SHAPES",
    "IMPORTABLE_STATES",
    "LATEST_YEAR",
    "RESOLVED_TIME_STATE",
    "TITLE_MAX_CHARS",
    "VISIBILITIES",
    "resolved_problem",
    "title_problem",
]

TITLE_MAX_CHARS: Final = 1024
"""``title`` is required and holds 1 to 1024 characters."""

RESOLVED_TIME_STATE: Final = "resolved"
"""The only ``fields.state`` value the endpoint accepts a ``resolved`` time with
(``completed`` included: it is refused)."""

IMPORTABLE_STATES: Final = ("active", "stable", "resolved", "completed")
VISIBILITIES: Final = ("organization", "private")

FIELD_VALUE_SHAPES: Final = ("text or null", "list of text or null")
"""A field is ``{"value": str | None}`` or ``{"value": [str, ...] | None}``; nothing else."""

# RFC 3339 timestamps must stay four-digit years in UTC; a local time near the ends of the
# calendar can leave that range once converted.
EARLIEST_YEAR: Final = 1
LATEST_YEAR: Final = 9999


def title_problem(title: str | None) -> str | None:
    """Why ``title`` cannot be imported, or ``None`` when it can."""
    if title is None or not title.strip():
        return "the title is blank: Datadog needs a title to show"
    if len(title) > TITLE_MAX_CHARS:
        return f"the title is {len(title)} characters, over Datadog's limit of {TITLE_MAX_CHARS}"
    try:
        title.encode("utf-8")
    except UnicodeEncodeError:
        return (
            "the title holds a character that cannot be sent as UTF-8 (a lone surrogate, "
            "usually from a badly decoded export)"
        )
    return None


def resolved_problem(state: str | None, *, has_resolved: bool) -> str | None:
    """Why a resolved time cannot be sent with ``state``, or ``None`` when it can."""
    if not has_resolved or state == RESOLVED_TIME_STATE:
        return None
    shown = "no state" if state is None else f"state {state!r}"
    return (
        f"'resolved' is set but the incident has {shown}: Datadog accepts a resolved time only "
        f"with fields.state {RESOLVED_TIME_STATE!r}. Set the state to {RESOLVED_TIME_STATE!r} "
        "or drop the resolved time."
    )
