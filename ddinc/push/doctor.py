"""Preflight against the org: is it ready for a push, and if not, what exactly to fix.

:func:`doctor` calls each endpoint the push uses once (users, incident types, field
configurations, search, import) and reads the org's provenance field, then returns a
:class:`DoctorReport`: one :class:`DoctorCheck` per line, each with what it found and, when it
fails, the exact fix. It never creates anything: the import endpoint is reached with
:data:`~ddinc.datadog.operations.IMPORT_PROBE_BODY`, a body the spec refuses three ways, so
the expected answer is 400 (the Preview answers these keys) and no answer stores an incident.

A 403 is named with the permission the operation needs (the spec's ``x-permission``).
Datadog's API has no endpoint to create a user-defined field (the spec lists only reads), so
a missing provenance field is fixed by hand in Datadog, as the report says.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape
from typing import Any, Final, TypeVar

from ddinc.datadog import AsyncDatadogClient
from ddinc.datadog.errors import (
    BadRequestError,
    DatadogAPIError,
    DatadogConnectionError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
)
from ddinc.datadog.models import IncidentTypeListResponse, UserDefinedFieldListResponse
from ddinc.datadog.printable import printable
from ddinc.errors import DatadogError
from ddinc.payloads import DEFAULT_PROVENANCE_FIELD
from ddinc.push.run import Connection, run_blocking

__all__ = [
    "EXIT_NOT_READY",
    "EXIT_READY",
    "PERMISSION_OF",
    "TEXT_FIELD_TYPE",
    "DoctorCheck",
    "DoctorReport",
    "doctor",
    "doctor_async",
]

EXIT_READY: Final = 0
EXIT_NOT_READY: Final = 1
TEXT_FIELD_TYPE: Final = 3
"""Datadog's ``type`` code of a single-value text field (textbox): what the provenance needs."""
_KINDS: Final = {
    1: "dropdown",
    2: "multiselect",
    3: "textbox",
    4: "text array",
    5: "metric tag",
    6: "autocomplete",
    7: "number",
    8: "datetime",
}
PERMISSION_OF: Final = {
    "users": "user_access_read",
    "incident types": "incident_read (or incident_settings_read)",
    "field configurations": "incident_read",
    "search": "incident_read",
    "import (Preview)": "incident_write",
}
"""The permission each endpoint check needs, from the spec's ``x-permission``."""
_SEARCH_QUERY: Final = "state:(active OR stable OR resolved)"
# Failures that say nothing about the org: the network, Datadog's side, a long rate limit.
_TRANSIENT: Final = (DatadogConnectionError, ServerError, RateLimitedError)
_PLAN_READS: Final = frozenset({"keys", "users", "incident types", "field configurations"})
_T = TypeVar("_T")


@dataclass(frozen=True)
class DoctorCheck:
    """One line of the report: what was checked, whether it passed, what was found, the fix.

    ``transient`` marks a check that could not be made (no answer, 5xx, 429 past the client's
    waits): it says nothing about the org, and the push meets such failures safely itself.
    """

    name: str
    ok: bool
    found: str
    fix: str = ""
    transient: bool = False


@dataclass(frozen=True)
class DoctorReport:
    """What :func:`doctor` found; ``ready`` when every check passed.

    Renders as text (``str(report)``) and as an HTML table in a notebook.
    """

    target: str
    provenance_field: str
    checks: tuple[DoctorCheck, ...]

    @property
    def ready(self) -> bool:
        """True when every check passed: a push can start."""
        return all(check.ok for check in self.checks)

    @property
    def failing(self) -> tuple[DoctorCheck, ...]:
        """The checks that did not pass, in report order."""
        return tuple(check for check in self.checks if not check.ok)

    @property
    def blocks_push(self) -> bool:
        """True when a check failed on what the org said (not on a transient failure)."""
        return any(not check.transient for check in self.failing)

    @property
    def can_plan(self) -> bool:
        """True when the reads a plan makes (users, incident types, fields) answered."""
        return all(check.ok for check in self.checks if check.name in _PLAN_READS)

    @property
    def exit_code(self) -> int:
        """0 ready, 1 not ready (``ddinc doctor``'s status)."""
        return EXIT_READY if self.ready else EXIT_NOT_READY

    def summary(self) -> str:
        """One line: ready, or how many checks fail."""
        if self.ready:
            return f"ready: {len(self.checks)} checks passed against {self.target}"
        names = ", ".join(check.name for check in self.failing)
        return f"not ready: {len(self.failing)} of {len(self.checks)} checks fail ({names})"

    def __str__(self) -> str:
        width = max(len(check.name) for check in self.checks)
        lines = [f"ddinc doctor: {self.target}"]
        for check in self.checks:
            mark = "ok    " if check.ok else "NOT OK"
            lines.append(f"  {mark}  {check.name:<{width}}  {check.found}")
            if check.fix:
                lines.append(f"  {'':6}  {'':<{width}}  fix: {check.fix}")
        lines.append(self.summary())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{'ok' if check.ok else '<b>not ok</b>'}</td><td>{escape(check.name)}</td>"
            f"<td>{escape(check.found)}</td><td>{escape(check.fix)}</td></tr>"
            for check in self.checks
        )
        return (
            f"<p>ddinc doctor: {escape(self.target)}: <b>{escape(self.summary())}</b></p>"
            "<table><thead><tr><th></th><th>check</th><th>found</th><th>fix</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )


# -- one answer ---------------------------------------------------------------------------------


async def _attempt(call: Callable[[], Awaitable[_T]]) -> _T | DatadogError:
    try:
        return await call()
    except DatadogError as error:  # every answer is a finding, never a crash
        return error


def _said(error: DatadogError) -> str:
    if isinstance(error, DatadogAPIError):
        said = "; ".join(map(printable, error.messages)) or "no message"
        return f"answered {error.status}: {said}"
    if isinstance(error, DatadogConnectionError):
        return f"no answer: {printable(str(error))}"
    return printable(str(error))


def _fix(name: str, error: DatadogError, host: str) -> str:
    permission = PERMISSION_OF[name]
    if isinstance(error, UnauthorizedError):
        return (
            f"DD_API_KEY is not an API key of an org on {host}: use a key of the org, and set "
            "DD_SITE to the org's site (datadoghq.eu, us3.datadoghq.com, ...)"
        )
    if isinstance(error, ForbiddenError):
        text = (
            f"give the application key's user (or service account) the {permission} "
            "permission (a scoped application key needs that scope); if every check answers "
            "403, check the keys first"
        )
        if name == "import (Preview)":
            text += (
                "; with the permission there, ask Datadog support to enable incident import "
                "(Preview) for the org"
            )
        return text
    if isinstance(error, NotFoundError) and name == "import (Preview)":
        return (
            "ask Datadog support to enable incident import (Preview) for the org, and check that "
            "the base URL is a Datadog API site"
        )
    if isinstance(error, DatadogConnectionError):
        return f"check the network path to {host} (proxy, firewall, --base-url) and try again"
    hint = error.hint() if isinstance(error, DatadogAPIError) else ""
    return hint or "try again; if it persists, quote this answer to Datadog support"


def _endpoint(name: str, answer: object, found: str, host: str) -> DoctorCheck:
    if isinstance(answer, DatadogError):
        needs = f" (needs {PERMISSION_OF[name]})" if isinstance(answer, ForbiddenError) else ""
        return DoctorCheck(
            name,
            False,
            f"{_said(answer)}{needs}",
            _fix(name, answer, host),
            transient=isinstance(answer, _TRANSIENT),
        )
    return DoctorCheck(name, True, found)


def _probe_check(answer: object, host: str) -> DoctorCheck:
    name = "import (Preview)"
    if isinstance(answer, BadRequestError):
        return DoctorCheck(
            name,
            True,
            "reachable: refused a body that can never be an incident with 400, as it must",
        )
    if isinstance(answer, DatadogError):
        return _endpoint(name, answer, "", host)
    return DoctorCheck(
        name,
        False,
        f"accepted a body that is not an incident (status {getattr(answer, 'status_code', '?')})",
        "do not push: this server does not check import requests as Datadog documents; look for "
        "an incident created just now and delete it, and check the base URL",
    )


def _keys_check(answers: dict[str, object], host: str) -> DoctorCheck:
    errors = [a for a in answers.values() if isinstance(a, DatadogError)]
    accepted = [
        name
        for name, a in answers.items()
        if not isinstance(a, DatadogError) or isinstance(a, BadRequestError)
    ]
    if any(isinstance(e, UnauthorizedError) for e in errors):
        return DoctorCheck(
            "keys",
            False,
            f"the API key was refused (401) by {host}",
            _fix("users", next(e for e in errors if isinstance(e, UnauthorizedError)), host),
        )
    if accepted:
        return DoctorCheck("keys", True, f"accepted by {host} ({', '.join(accepted)} answered)")
    if errors and all(isinstance(e, ForbiddenError) for e in errors):
        return DoctorCheck(
            "keys",
            False,
            f"every endpoint answered 403: {host} does not know these keys, or they hold none "
            "of the permissions",
            "check that DD_API_KEY and DD_APP_KEY are keys of the org on this site (set DD_SITE "
            "to the org's site), then give the application key's user incident_read, "
            "incident_write and user_access_read",
        )
    return DoctorCheck(
        "keys",
        False,
        f"not confirmed: no endpoint of {host} accepted them",
        "see the lines below",
        transient=all(isinstance(e, _TRANSIENT) for e in errors),
    )


# -- the provenance field ----------------------------------------------------------------------


def _provenance_check(
    types: IncidentTypeListResponse, fields: UserDefinedFieldListResponse, name: str
) -> DoctorCheck:
    """The provenance field on every live incident type, as a single-value text field."""
    by_type: dict[str, int | None] = {}
    for item in fields.data:
        attributes = item.attributes
        if attributes.deleted is not None or attributes.name != name:
            continue
        type_ref = ((item.relationships or {}).get("incident_type") or {}).get("data") or {}
        by_type[str(type_ref.get("id", "")).lower()] = attributes.type
    missing: list[str] = []
    wrong: list[str] = []
    kinds: list[str] = []
    live = [t for t in types.data if t.attributes is not None]
    for itype in live:
        label = repr((itype.attributes.name if itype.attributes else None) or itype.id)
        if itype.id.lower() not in by_type:
            missing.append(label)
        elif by_type[itype.id.lower()] != TEXT_FIELD_TYPE:
            code = by_type[itype.id.lower()]
            kind = _KINDS.get(code, f"type {code}") if code is not None else "of no type"
            wrong.append(label)
            kinds.append(f"{label} ({kind})")
    check = f"provenance field {name!r}"
    if not live:
        return DoctorCheck(check, False, "the org lists no incident type", "create one in Datadog")
    if not missing and not wrong:
        return DoctorCheck(check, True, f"a text field on all {len(live)} incident types")
    found = []
    if missing:
        found.append(f"absent on {', '.join(missing)}")
    if wrong:
        found.append(f"not a single-value text field on {', '.join(kinds)}")
    fix = (
        f"in Datadog, Incidents > Settings > Property Fields: add a text (textbox) field with "
        f"the key {name!r} to incident type(s) {', '.join(missing + wrong)} (a field of another "
        f"kind cannot carry the row key: make a new text one); or pass --provenance-field with "
        "a text field every type has. Datadog's API has no endpoint to create a field, so this "
        "is done by hand"
    )
    return DoctorCheck(check, False, "; ".join(found), fix)


# -- the whole preflight ---------------------------------------------------------------------


async def doctor_async(
    client: AsyncDatadogClient, *, provenance_field: str = DEFAULT_PROVENANCE_FIELD
) -> DoctorReport:
    """Check the org ``client`` reaches; see :func:`doctor`."""
    host = client.base_url
    users, types, fields, search, probe = await asyncio.gather(
        _attempt(lambda: client.list_users(page_size=1)),
        _attempt(client.list_incident_types),
        _attempt(client.list_user_defined_fields),
        _attempt(lambda: client.search_incidents(_SEARCH_QUERY, page_size=1)),
        _attempt(client.probe_import),
    )
    answers: dict[str, object] = {
        "users": users,
        "incident types": types,
        "field configurations": fields,
        "search": search,
        "import (Preview)": probe,
    }
    checks = [_keys_check(answers, host)]
    checks.append(_endpoint("users", users, "answers", host))
    type_names = (
        ", ".join(repr(t.attributes.name if t.attributes else t.id) for t in types.data)
        if isinstance(types, IncidentTypeListResponse)
        else ""
    )
    checks.append(_endpoint("incident types", types, f"live: {type_names or 'none'}", host))
    count = len(fields.data) if isinstance(fields, UserDefinedFieldListResponse) else 0
    checks.append(_endpoint("field configurations", fields, f"{count} fields", host))
    checks.append(_endpoint("search", search, f"answers {_SEARCH_QUERY}", host))
    checks.append(_probe_check(probe, host))
    if isinstance(types, IncidentTypeListResponse) and isinstance(
        fields, UserDefinedFieldListResponse
    ):
        checks.append(_provenance_check(types, fields, provenance_field))
    else:
        checks.append(
            DoctorCheck(
                f"provenance field {provenance_field!r}",
                False,
                "not checked: the incident types or field configurations did not answer",
                "fix those first (above)",
                transient=not any(
                    isinstance(a, DatadogError) and not isinstance(a, _TRANSIENT)
                    for a in (types, fields)
                ),
            )
        )
    return DoctorReport(
        target=_target(client), provenance_field=provenance_field, checks=tuple(checks)
    )


def _target(client: AsyncDatadogClient) -> str:
    return f"{client.base_url} (site {client.site})" if client.site else client.base_url


def doctor(
    connection: Connection | None = None,
    *,
    provenance_field: str = DEFAULT_PROVENANCE_FIELD,
    **connect: Any,
) -> DoctorReport:
    """Check that the org is ready for a push; creates nothing.

    Parameters
    ----------
    connection
        A :class:`~ddinc.push.Connection`, or its arguments (``base_url=``, ``site=``,
        ``api_key=``, ``app_key=``...); defaults to ``DD_SITE``, ``DD_API_KEY``, ``DD_APP_KEY``.
    provenance_field
        The org's text field that will carry each incident's row key.

    Raises
    ------
    ConfigError
        When the site or base URL is not allowed, or a key is not set (before any request).
    """
    target = connection or Connection.of(**connect)

    async def run() -> DoctorReport:
        async with target.client() as client:
            return await doctor_async(client, provenance_field=provenance_field)

    return run_blocking(run)
