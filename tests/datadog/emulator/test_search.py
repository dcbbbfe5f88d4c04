"""The search query language: parsing, printing back, and matching incidents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.datadog.emulator.search import BUILTIN_FACETS, Query, Term, parse_query, render_query
from ddinc.datadog.emulator.store import StoredIncident
from ddinc.datadog.emulator.validate import Problem

FIELDS = frozenset({"state", "severity", "teams"})
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def parsed(text: str) -> Query:
    result = parse_query(text, FIELDS)
    assert isinstance(result, Query), result
    return result


def incident(title: str, **fields: str | list[str] | None) -> StoredIncident:
    return StoredIncident(
        id=str(uuid.uuid4()),
        public_id=7,
        title=title,
        incident_type_uuid="78c28187-0d2b-4674-a279-bd34eb95b90e",
        visibility="organization",
        fields=dict(fields),
        created=T0,
        modified=T0,
        detected=T0,
        declared=T0,
        resolved=None,
        created_by_id="owner",
        declared_by_id="owner",
    )


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("state:active", [Term("state", ("active",))]),
        ("state:(active OR stable)", [Term("state", ("active", "stable"))]),
        (
            "state:active AND severity:(SEV-2 OR SEV-1)",
            [Term("state", ("active",)), Term("severity", ("SEV-2", "SEV-1"))],
        ),
        ("db outage", [Term(None, ("db",)), Term(None, ("outage",))]),
        (
            '"db outage" -state:resolved',
            [Term(None, ("db outage",)), Term("state", ("resolved",), True)],
        ),
        ('title:"a \\"quoted\\" word"', [Term("title", ('a "quoted" word',))]),
        ("*", []),
    ],
)
def test_the_documented_forms_parse(text: str, terms: list[Term]) -> None:
    assert parsed(text).terms == tuple(terms)


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("", "required"),
        (None, "required"),
        ("colour:red", "unknown facet"),
        ("state:(active", "unclosed"),
        ("state:(active stable)", "OR"),
        ("state:active OR state:stable", "parentheses"),
        ("AND state:active", "AND"),
        ("state:", "value"),
        ('"unclosed', "unexpected"),
    ],
)
def test_malformed_queries_are_a_400_saying_why(text: str | None, mentions: str) -> None:
    result = parse_query(text, FIELDS)
    assert isinstance(result, Problem)
    assert result.status == 400
    assert mentions in result.messages[0]


def test_matching_follows_facets_titles_and_lists() -> None:
    db = incident("Primary DB outage", state="active", severity="SEV-1", teams=["db", "sre"])
    cdn = incident("CDN slow", state="resolved", severity="SEV-3", teams=None)
    everyone = [db, cdn]

    def hits(text: str) -> list[StoredIncident]:
        return [i for i in everyone if parsed(text).matches(i)]

    assert hits("state:(active OR resolved)") == everyone
    assert hits("severity:SEV-1") == [db]
    assert hits("teams:sre") == [db]
    assert hits("-teams:sre") == [cdn]
    assert hits("db OUTAGE") == [db]  # free text: case-insensitive, inside the title
    assert hits("slug:ir-7 public_id:7") == everyone
    assert hits("state:active AND cdn") == []


values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
terms = st.one_of(
    st.builds(Term, st.none(), st.tuples(values), st.booleans()),
    st.builds(
        Term,
        st.sampled_from(sorted(FIELDS | BUILTIN_FACETS)),
        st.lists(values, min_size=1, max_size=3).map(tuple),
        st.booleans(),
    ),
)


@given(st.lists(terms, min_size=1, max_size=5))
def test_rendered_queries_parse_back_to_the_same_query(drawn: list[Term]) -> None:
    query = Query(tuple(drawn))
    assert parsed(render_query(query)) == query
