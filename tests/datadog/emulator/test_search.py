"""The search query language: parsing, printing back, and matching incidents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.datadog.emulator import Emulator, EmulatorConfig
from ddinc.datadog.emulator.config import SearchUnknownFacet
from ddinc.datadog.emulator.search import (
    BUILTIN_FACETS,
    Query,
    Term,
    parse_query,
    render_query,
    treat_unknown_facets,
    undocumented_facets,
    visible,
)
from ddinc.datadog.emulator.store import StoredIncident
from ddinc.datadog.emulator.validate import Problem
from tests.datadog.emulator.conftest import IMPORT, KEYS, import_body

FIELDS = frozenset({"state", "severity", "teams"})
UNDOCUMENTED = frozenset({"teams"})
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


# -- the unknowns: undocumented facets and the index lag --------------------------------------


def test_only_state_and_severity_are_documented_field_facets() -> None:
    undocumented = undocumented_facets(Emulator().org)
    assert "legacy_id" in undocumented
    assert not undocumented & {"state", "severity"}
    assert not undocumented & BUILTIN_FACETS


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("match", "teams:core AND state:active"),
        ("empty", None),
        ("ignore", "state:active"),
    ],
)
def test_each_mode_treats_an_undocumented_facet_its_way(mode: str, expected: str | None) -> None:
    treated = treat_unknown_facets(parsed("teams:core AND state:active"), UNDOCUMENTED, mode)
    assert not isinstance(treated, Problem)
    assert (None if treated is None else render_query(treated)) == expected


def test_the_error_mode_answers_400_naming_the_facet() -> None:
    treated = treat_unknown_facets(parsed("teams:core"), UNDOCUMENTED, "error")
    assert isinstance(treated, Problem)
    assert treated.status == 400
    assert "teams" in " ".join(treated.messages)


def test_documented_facets_pass_every_mode_unchanged() -> None:
    query = parsed("state:(active OR stable) AND severity:SEV-1")
    for mode in ("match", "empty", "error", "ignore"):
        assert treat_unknown_facets(query, UNDOCUMENTED, mode) == query


def test_an_incident_shows_only_once_the_lag_has_passed() -> None:
    young = incident("x")
    assert visible(young, T0, 0)
    assert not visible(young, T0 + timedelta(seconds=29), 30)
    assert visible(young, T0 + timedelta(seconds=30), 30)


class _Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def _search(http: httpx.Client, query: str) -> list[str]:
    answer = http.get("/api/v2/incidents/search", params={"query": query})
    answer.raise_for_status()
    return [hit["data"]["id"] for hit in answer.json()["data"]["attributes"]["incidents"]]


@pytest.mark.parametrize(
    ("mode", "found"), [("match", 1), ("empty", 0), ("ignore", 2), ("error", None)]
)
def test_the_emulator_searches_a_lagging_index_in_each_mode(mode: str, found: int | None) -> None:
    clock = _Clock()
    chosen: SearchUnknownFacet = mode  # type: ignore[assignment]
    emulator = Emulator(EmulatorConfig(now=clock, search_lag=60, search_unknown_facet=chosen))
    with httpx.Client(
        transport=emulator.sync_transport(), base_url="http://emulator.local", headers=KEYS
    ) as http:
        ids = [
            http.post(
                IMPORT, json=import_body(f"t{n}", fields={"legacy_id": {"value": f"k{n}"}})
            ).json()
            for n in range(2)
        ]
        query = 'legacy_id:"k0" AND state:active'
        # Just created: read by id and listed at once, but not searchable yet.
        assert http.get(f"/api/v2/incidents/{ids[0]['data']['id']}").status_code == 200
        assert len(http.get("/api/v2/incidents").json()["data"]) == 2
        if found is None:
            assert http.get("/api/v2/incidents/search", params={"query": query}).status_code == 400
            return
        assert _search(http, query) == []
        clock.now += timedelta(seconds=61)
        assert len(_search(http, query)) == found
