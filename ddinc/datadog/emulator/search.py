"""``GET /api/v2/incidents/search``: its query language and its response with facets.

Datadog's documented form is facets joined by ``AND`` with alternatives joined by ``OR`` inside
parentheses: ``state:active AND severity:(SEV-2 OR SEV-1)``. This module accepts:

- ``facet:value``, ``facet:"quoted value"`` and ``facet:(a OR b OR "c d")``;
- a leading ``-`` to negate a term: ``-state:resolved``;
- bare words and ``"quoted phrases"``, matched case-insensitively inside the title;
- ``*`` alone, which matches every incident;
- ``AND`` between terms, or nothing (juxtaposed terms are ANDed too).

Facets: ``state``, ``severity``, ``visibility``, ``title`` (substring, any case),
``public_id``, ``slug``, ``incident_type`` (a type id), ``commander``/``declared_by``
(a user id), and the name of any incident field (a list field matches when any of its values
does). ``OR`` between whole terms is refused with a message pointing at the parentheses form.

Datadog documents ``state`` and ``severity`` as facets, not the org's other fields:
:func:`treat_unknown_facets` plays each way it could treat a term on one of those
(``EmulatorConfig.search_unknown_facet``), and :func:`visible` hides incidents younger than
the search index lag (``EmulatorConfig.search_lag``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ddinc.datadog.emulator.org import FieldConfig, Org
from ddinc.datadog.emulator.render import Json, incident_resource, included_users
from ddinc.datadog.emulator.store import StoredImpact, StoredIncident
from ddinc.datadog.emulator.validate import Problem

__all__ = [
    "BUILTIN_FACETS",
    "DOCUMENTED_FIELD_FACETS",
    "Query",
    "Term",
    "parse_query",
    "render_query",
    "search_response",
    "treat_unknown_facets",
    "undocumented_facets",
    "visible",
]

BUILTIN_FACETS = frozenset(
    {"title", "public_id", "slug", "visibility", "incident_type", "commander", "declared_by"}
)
DOCUMENTED_FIELD_FACETS = frozenset({"state", "severity"})
"""The org fields Datadog's spec shows as search facets (``state:active AND severity:...``)."""
_TOKEN = re.compile(r'\s*(?:(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<punct>[():])|(?P<word>[^\s():"]+))')


@dataclass(frozen=True)
class Term:
    """One ANDed condition: ``facet`` is None for free text matched against the title."""

    facet: str | None
    values: tuple[str, ...]
    negated: bool = False

    def matches(self, incident: StoredIncident) -> bool:
        """Whether the incident satisfies this term."""
        hit = any(_matches_value(self.facet, v, incident) for v in self.values)
        return hit != self.negated


@dataclass(frozen=True)
class Query:
    """A conjunction of terms; no terms (``*``) matches everything."""

    terms: tuple[Term, ...]

    def matches(self, incident: StoredIncident) -> bool:
        """Whether the incident satisfies every term."""
        return all(t.matches(incident) for t in self.terms)


def _matches_value(facet: str | None, value: str, incident: StoredIncident) -> bool:
    if facet is None or facet == "title":
        return value.lower() in incident.title.lower()
    if facet == "public_id":
        return value == str(incident.public_id)
    if facet == "slug":
        return value.upper() == incident.slug
    if facet == "visibility":
        return value == incident.visibility
    if facet == "incident_type":
        return value.lower() == incident.incident_type_uuid
    if facet == "commander":
        return value.lower() == (incident.commander_id or "")
    if facet == "declared_by":
        return value.lower() == incident.declared_by_id
    current = incident.fields.get(facet)
    if isinstance(current, list):
        return value in current
    return current == value


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _SyntaxError(f"unexpected character at position {position}: {text[position:]!r}")
        kind = str(match.lastgroup)  # one of the three named groups always matched
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _SyntaxError(Exception):
    pass


def parse_query(text: str | None, facets: frozenset[str]) -> Query | Problem:
    """Parse a search query; ``facets`` are the names accepted besides the built-in ones."""
    if text is None or not text.strip():
        return Problem.of(400, "query is required, e.g. state:(active OR stable) or * for all")
    try:
        return _parse(_tokens(text), facets | BUILTIN_FACETS)
    except _SyntaxError as exc:
        return Problem.of(400, f"invalid query {text!r}: {exc}")


def _parse(tokens: list[tuple[str, str]], facets: frozenset[str]) -> Query:
    if tokens == [("word", "*")]:
        return Query(())
    terms: list[Term] = []
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "word" and text == "AND":
            if not terms or i + 1 == len(tokens):
                raise _SyntaxError("AND needs a term on each side")
            i += 1
            continue
        if kind == "word" and text == "OR":
            raise _SyntaxError(
                "OR joins values of one facet inside parentheses, e.g. state:(active OR stable)"
            )
        term, i = _term(tokens, i, facets)
        terms.append(term)
    return Query(tuple(terms))


def _term(tokens: list[tuple[str, str]], i: int, facets: frozenset[str]) -> tuple[Term, int]:
    kind, text = tokens[i]
    negated = False
    if (kind, text) == ("word", "-") and i + 1 < len(tokens) and tokens[i + 1][0] == "quoted":
        return Term(None, (_unquote(tokens[i + 1][1]),), negated=True), i + 2
    if kind == "word" and text.startswith("-") and len(text) > 1:
        negated, text = True, text[1:]
    if kind == "quoted":
        return Term(None, (_unquote(text),)), i + 1
    if kind != "word":
        raise _SyntaxError(f"unexpected {text!r}")
    if i + 1 < len(tokens) and tokens[i + 1] == ("punct", ":"):
        if text not in facets:
            raise _SyntaxError(f"unknown facet {text!r}; facets: {', '.join(sorted(facets))}")
        values, end = _values(tokens, i + 2)
        return Term(text, values, negated), end
    return Term(None, (text,), negated), i + 1


def _values(tokens: list[tuple[str, str]], i: int) -> tuple[tuple[str, ...], int]:
    if i >= len(tokens):
        raise _SyntaxError("a facet needs a value after ':'")
    kind, text = tokens[i]
    if kind in ("word", "quoted"):
        return (_unquote(text) if kind == "quoted" else text,), i + 1
    if (kind, text) != ("punct", "("):
        raise _SyntaxError(f"unexpected {text!r} after ':'")
    values: list[str] = []
    i += 1
    while True:
        if i >= len(tokens):
            raise _SyntaxError("unclosed '('")
        kind, text = tokens[i]
        if kind not in ("word", "quoted") or text in ("OR", "AND"):
            raise _SyntaxError(f"expected a value inside parentheses, got {text!r}")
        values.append(_unquote(text) if kind == "quoted" else text)
        i += 1
        if i >= len(tokens):
            raise _SyntaxError("unclosed '('")
        if tokens[i] == ("punct", ")"):
            return tuple(values), i + 1
        if tokens[i] == ("word", "OR"):
            i += 1
            continue
        raise _SyntaxError("values inside parentheses are joined by OR and closed by ')'")


def _quote(value: str) -> str:
    if re.fullmatch(r'[^\s():"\-][^\s():"]*', value) and value not in ("AND", "OR", "*"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_query(query: Query) -> str:
    """The query as text that :func:`parse_query` reads back to the same :class:`Query`."""
    if not query.terms:
        return "*"
    parts = []
    for term in query.terms:
        values = [_quote(v) for v in term.values]
        if term.facet is None:
            body = values[0]
        elif len(values) == 1:
            body = f"{term.facet}:{values[0]}"
        else:
            body = f"{term.facet}:({' OR '.join(values)})"
        parts.append(("-" if term.negated else "") + body)
    return " AND ".join(parts)


def undocumented_facets(org: Org) -> frozenset[str]:
    """The org's field names that Datadog does not document as search facets."""
    names = {f.name for f in org.fields}
    return frozenset(names - DOCUMENTED_FIELD_FACETS - BUILTIN_FACETS)


def treat_unknown_facets(
    query: Query, undocumented: frozenset[str], mode: str
) -> Query | Problem | None:
    """``query`` as a server treating undocumented facets by ``mode`` would run it.

    None means "no results" (``empty``); ``error`` answers 400; ``ignore`` drops the terms
    (nothing left matches everything); ``match`` keeps them.
    """
    unknown = [t for t in query.terms if t.facet is not None and t.facet in undocumented]
    if not unknown or mode == "match":
        return query
    if mode == "empty":
        return None
    if mode == "error":
        names = ", ".join(sorted({str(t.facet) for t in unknown}))
        return Problem.of(400, f"invalid query: unknown facet {names}")
    return Query(tuple(t for t in query.terms if t not in unknown))


def visible(incident: StoredIncident, now: datetime, lag: float) -> bool:
    """Whether the search index has caught up with ``incident`` at ``now``."""
    return lag <= 0 or incident.created <= now - timedelta(seconds=lag)


# -- the response --------------------------------------------------------------------------------


def _counts(names: Sequence[str], values: Iterable[str | None]) -> list[Json]:
    counted = Counter(v for v in values if v is not None)
    order = list(names) + sorted(set(counted) - set(names))
    return sorted(
        ({"name": n, "count": counted.get(n, 0)} for n in order),
        key=lambda facet: -int(facet["count"]),
    )


def _user_facet(org: Org, ids: Iterable[str | None]) -> list[Json]:
    facets = []
    for user_id, count in Counter(i for i in ids if i is not None).most_common():
        user = org.user(user_id)
        if user is not None:
            name = user.name or user.email
            facets.append(
                {
                    "name": name,
                    "count": count,
                    "handle": user.handle,
                    "uuid": user.id,
                    "email": user.email,
                }
            )
    return facets


def _aggregate(name: str, values: Sequence[int]) -> list[Json]:
    positive = [float(v) for v in values if v]
    return [
        {
            "name": name,
            "aggregates": {"min": min(positive, default=None), "max": max(positive, default=None)},
        }
    ]


def _search_facets(incidents: Sequence[StoredIncident], org: Org, rendered: Sequence[Json]) -> Json:
    default_type = org.default_incident_type.id

    def values_of(config: FieldConfig) -> list[str]:
        return [v.value for v in config.valid_values]

    severity = org.field_for(default_type, "severity")
    state = org.field_for(default_type, "state")
    field_facets = []
    for config in org.fields_for(default_type):
        if config.name in ("severity", "state"):
            continue
        flat: list[str | None] = []
        for incident in incidents:
            value = incident.fields.get(config.name)
            flat.extend(value if isinstance(value, list) else [value])
        field_facets.append({"name": config.name, "facets": _counts(values_of(config), flat)})
    field_facets.append({"name": "slug", "facets": _counts([], (i.slug for i in incidents))})
    types = Counter(i.incident_type_uuid for i in incidents)
    attrs = [r["attributes"] for r in rendered]
    return {
        "severity": _counts(
            values_of(severity) if severity else [], (i.severity for i in incidents)
        ),
        "state": _counts(values_of(state) if state else [], (i.state for i in incidents)),
        "visibility": _counts(["organization"], (i.visibility for i in incidents)),
        "impact": _counts([], ("customer" if a["customer_impacted"] else "none" for a in attrs)),
        "postmortem": [{"name": "No", "count": len(incidents)}, {"name": "Yes", "count": 0}],
        "time_to_repair": _aggregate("time_to_repair", [a["time_to_repair"] for a in attrs]),
        "time_to_resolve": _aggregate("time_to_resolve", [a["time_to_resolve"] for a in attrs]),
        "time_to_detect": _aggregate("time_to_detect", [a["time_to_detect"] for a in attrs]),
        "fields": field_facets,
        "created_by": _user_facet(org, (i.created_by_id for i in incidents)),
        "declared_by": _user_facet(org, (i.declared_by_id for i in incidents)),
        "last_modified_by": _user_facet(org, (i.created_by_id for i in incidents)),
        "commander": _user_facet(org, (i.commander_id for i in incidents)),
        "responder": [],
        "incident_type": [
            {"name": t.name, "count": types[t.id], "id": t.id}
            for t in org.incident_types
            if types.get(t.id)
        ],
    }


def search_response(
    matching: Sequence[StoredIncident],
    page: Sequence[StoredIncident],
    offset: int,
    org: Org,
    impacts_of: dict[str, list[StoredImpact]],
    *,
    include_users: bool,
) -> Json:
    """The 200 body of ``GET /api/v2/incidents/search``: facets over every match, one page."""
    rendered_all = [incident_resource(i, org, impacts_of.get(i.id, [])) for i in matching]
    page_items = [
        incident_resource(i, org, impacts_of.get(i.id, []), nested_users=True, seconds_only=True)
        for i in page
    ]
    body: Json = {
        "data": {
            "type": "incidents_search_results",
            "attributes": {
                "total": len(matching),
                "facets": _search_facets(matching, org, rendered_all),
                "incidents": [{"data": item} for item in page_items],
            },
            "relationships": {
                "incidents_relationship": {
                    "data": [{"type": "incidents", "id": i.id} for i in page]
                }
            },
        },
        "meta": {
            "pagination": {"offset": offset, "next_offset": offset + len(page), "size": len(page)}
        },
    }
    if include_users:
        body["included"] = included_users(page, org)
    return body
