"""Request validation rules, checked directly and against the spec's request schemas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ddinc.datadog.emulator import OPERATIONS, Org
from ddinc.datadog.emulator.validate import (
    MAX_TITLE_LENGTH,
    OPERATION_PERMISSIONS,
    PERMISSIONS,
    ImpactRequest,
    ImportRequest,
    Problem,
    check_keys,
    parse_impact,
    parse_import,
    parse_include,
    parse_int,
    parse_timestamp,
)
from tests.datadog.emulator import spec
from tests.datadog.emulator.conftest import ANN, SECURITY_TYPE, UNKNOWN_ID

ORG = Org.default()
KEYS = {"api_keys": ["api"], "app_keys": ["app"], "read_only_app_keys": ["ro"]}


@pytest.mark.parametrize(
    ("api", "app", "write", "users", "status"),
    [
        ("api", "app", True, False, None),
        (None, "app", False, False, 401),
        ("api", "", False, False, 401),
        (None, None, False, True, 403),
        ("nope", "app", False, False, 403),
        ("api", "nope", False, False, 403),
        ("api", "ro", False, False, None),
        ("api", "ro", True, False, 403),
    ],
)
def test_check_keys(
    api: str | None, app: str | None, write: bool, users: bool, status: int | None
) -> None:
    problem = check_keys(api, app, write=write, users_endpoint=users, **KEYS)  # type: ignore[arg-type]
    assert (problem.status if problem else None) == status


def test_error_messages_never_repeat_the_keys() -> None:
    problem = check_keys("secret-api-key-123", "secret-app-key-456", **KEYS)  # type: ignore[arg-type]
    assert problem is not None
    assert not any("secret" in m for m in problem.messages)


# Fixed offsets to the minute, as RFC 3339 writes them (zone names have imaginary hours).
OFFSETS = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@given(
    st.datetimes(timezones=OFFSETS, min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1))
)
def test_rfc3339_timestamps_with_any_offset_read_back_as_the_same_instant(moment: datetime) -> None:
    text = moment.isoformat(timespec="microseconds")
    if "+" not in text[10:] and "-" not in text[10:]:
        text += "Z"
    parsed = parse_timestamp(text)
    assert parsed is not None
    assert parsed == moment
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-01T00:00:00",
        "2025-01-01",
        "2025-01-01 00:00:00Z",
        "2025-13-01T00:00:00Z",
        "12/Jan/24",
        "",
        1735689600,
    ],
)
def test_anything_but_rfc3339_with_an_offset_is_refused(text: object) -> None:
    assert parse_timestamp(text) is None


@given(st.text(min_size=0, max_size=MAX_TITLE_LENGTH + 40))
@example("x" * MAX_TITLE_LENGTH)
@example("x" * (MAX_TITLE_LENGTH + 1))
def test_titles_are_accepted_up_to_1024_characters_when_not_blank(title: str) -> None:
    result = parse_import({"data": {"type": "incidents", "attributes": {"title": title}}}, ORG)
    accepted = isinstance(result, ImportRequest)
    assert accepted == (0 < len(title) <= MAX_TITLE_LENGTH and bool(title.strip()))


def test_include_values_are_checked_and_deduplicated() -> None:
    allowed = frozenset({"a", "b"})
    assert parse_include("a,b,a", allowed) == ("a", "b")
    assert parse_include(None, allowed) == ()
    refused = parse_include("a,c", allowed)
    assert isinstance(refused, Problem)
    assert "'c'" in refused.messages[0]


def test_integers_are_checked_against_their_bounds() -> None:
    assert parse_int(None, "n", default=10) == 10
    assert parse_int("5", "n", default=10, maximum=5) == 5
    assert isinstance(parse_int("6", "n", default=10, maximum=5), Problem)
    assert isinstance(parse_int("-1", "n", default=10), Problem)
    assert isinstance(parse_int("1.5", "n", default=10), Problem)


def test_an_import_resolves_against_the_org() -> None:
    result = parse_import(
        {
            "data": {
                "type": "incidents",
                "attributes": {
                    "title": "t",
                    "incident_type_uuid": SECURITY_TYPE.upper(),
                    "fields": {"severity": {"value": "SEV-3"}},
                },
                "relationships": {"commander_user": {"data": {"id": ANN.upper(), "type": "users"}}},
            }
        },
        ORG,
    )
    assert isinstance(result, ImportRequest)
    assert result.incident_type_uuid == SECURITY_TYPE
    assert result.commander_id == ANN
    assert result.fields["severity"] == "SEV-3"
    assert result.fields["state"] == "active"  # the org's default
    assert "customer_tier" not in result.fields  # not a field of this type


def test_impacts_need_a_description_and_a_start() -> None:
    ok = parse_impact(
        {
            "data": {
                "type": "incident_impacts",
                "attributes": {"description": "d", "start_at": "2025-01-01T00:00:00+01:00"},
            }
        }
    )
    assert isinstance(ok, ImpactRequest)
    assert ok.start_at == datetime(2024, 12, 31, 23, tzinfo=UTC)
    assert ok.end_at is None
    refused = parse_impact({"data": {"type": "incident_impacts", "attributes": {"start_at": "x"}}})
    assert isinstance(refused, Problem)
    assert len(refused.messages) == 2


# -- the emulator is never more lenient than the spec ---------------------------------------

TIMES = st.sampled_from(
    ["2025-01-01T00:00:00Z", "2025-01-01T02:00:00+02:00", "2025-01-01T00:00:00.123456Z"]
)
BAD_TIMES = st.sampled_from(["2025-01-01T00:00:00", "yesterday", 5])
# Mostly values the org accepts for each field, and a few it refuses.
GOOD_VALUES: dict[str, list[Any]] = {
    "severity": ["SEV-1", "SEV-5", "UNKNOWN"],
    "state": ["active", "stable"],
    "environment": [["prod"], ["prod", "dev"], []],
    "summary": ["free text", ""],
    "services": [["checkout", "search"]],
    "labels": [["a"]],
    "customer_tier": ["free"],
}
BAD_FIELDS = st.sampled_from(
    [
        ("severity", {"value": "SEV-0"}),
        ("severity", {"value": ["SEV-1"]}),
        ("environment", {"value": "prod"}),
        ("summary", {"value": 3}),
        ("summary", {"type": "textbox", "value": "x"}),
        ("summary", {}),
        ("priority", {"value": "P1"}),
        ("slug", {"value": "IR-1"}),
    ]
)


@st.composite
def field_maps(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(GOOD_VALUES)), max_size=4, unique=True))
    fields = {name: {"value": draw(st.sampled_from(GOOD_VALUES[name]))} for name in names}
    if draw(st.sampled_from([False] * 5 + [True])):
        name, value = draw(BAD_FIELDS)
        fields[name] = value
    return fields


def sometimes_bad(
    good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """``good`` five times in six, so that a fair share of whole bodies is acceptable."""
    return st.sampled_from([True] * 5 + [False]).flatmap(lambda ok: good if ok else bad)


OPTIONAL = {
    "detected": sometimes_bad(TIMES, BAD_TIMES),
    "declared": sometimes_bad(TIMES, BAD_TIMES),
    "fields": field_maps(),
    "incident_type_uuid": sometimes_bad(
        st.just(SECURITY_TYPE), st.sampled_from([UNKNOWN_ID, "x", 7])
    ),
    "visibility": sometimes_bad(st.sampled_from(["organization", "private"]), st.just("public")),
}


@st.composite
def import_bodies(draw: st.DrawFn) -> dict[str, Any]:
    title = draw(
        sometimes_bad(
            st.text(min_size=1, max_size=30).filter(str.strip),
            st.sampled_from(["", "   ", "x" * 1025, 42, None]),
        )
    )
    attributes: dict[str, Any] = {} if title is None else {"title": title}
    for key, strategy in OPTIONAL.items():
        if draw(st.booleans()):
            attributes[key] = draw(strategy)
    if draw(st.sampled_from([False] * 5 + [True])):
        attributes["resolved"] = draw(TIMES)
        if draw(st.booleans()):
            attributes.setdefault("fields", {})["state"] = {"value": "resolved"}
    if draw(st.sampled_from([False] * 9 + [True])):
        attributes["customer_impacted"] = True
    data: dict[str, Any] = {
        "type": draw(sometimes_bad(st.just("incidents"), st.just("users"))),
        "attributes": attributes,
    }
    if draw(st.booleans()):
        user = draw(sometimes_bad(st.just(ANN), st.sampled_from([UNKNOWN_ID, "ann"])))
        data["relationships"] = {
            draw(
                sometimes_bad(st.sampled_from(["commander_user", "declared_by_user"]), st.just("x"))
            ): {
                "data": {"id": user, "type": draw(sometimes_bad(st.just("users"), st.just("user")))}
            }
        }
    return {"data": data}


@settings(max_examples=300, deadline=None)
@given(import_bodies())
@example({"data": {"type": "incidents", "attributes": {"title": "t"}}})
@example(
    {
        "data": {
            "type": "incidents",
            "attributes": {
                "title": "t",
                "resolved": "2025-01-01T00:00:00Z",
                "fields": {"state": {"value": "resolved"}, "environment": {"value": ["prod"]}},
            },
            "relationships": {"commander_user": {"data": {"id": ANN, "type": "users"}}},
        }
    }
)
def test_every_import_the_emulator_accepts_is_valid_for_the_spec(body: dict[str, Any]) -> None:
    result = parse_import(body, ORG)
    errors = [
        e.message for e in spec.component("IncidentImportRequest", response=False).iter_errors(body)
    ]
    if isinstance(result, ImportRequest):
        assert errors == []
    else:
        assert result.status in (400, 404)
        assert result.messages


def test_a_null_field_value_is_accepted_though_the_spec_oneof_cannot_tell_its_branches() -> None:
    """``{"value": null}`` matches both oneOf branches of the spec, so a strict validator
    rejects it; Datadog's docs allow null for both shapes, and so does the emulator."""
    body = {
        "data": {
            "type": "incidents",
            "attributes": {"title": "t", "fields": {"summary": {"value": None}}},
        }
    }
    assert isinstance(parse_import(body, ORG), ImportRequest)
    errors = list(spec.component("IncidentImportRequest", response=False).iter_errors(body))
    assert any("valid under each of" in e.message for e in errors)


@settings(deadline=None)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)
def test_every_impact_the_emulator_accepts_is_valid_for_the_spec(
    start: datetime, length: timedelta
) -> None:
    start = start.replace(tzinfo=UTC)
    body = {
        "data": {
            "type": "incident_impacts",
            "attributes": {
                "description": "d",
                "start_at": start.isoformat(),
                "end_at": (start + length).isoformat(),
                "fields": {"customers_impacted": "all"},
            },
        }
    }
    assert isinstance(parse_impact(body), ImpactRequest)
    assert (
        list(spec.component("IncidentImpactCreateRequest", response=False).iter_errors(body)) == []
    )


@pytest.mark.parametrize(
    ("granted", "needs", "status"),
    [
        (frozenset({"incident_read"}), frozenset({"incident_read"}), None),
        (frozenset({"incident_read"}), frozenset({"incident_write"}), 403),
        (frozenset(), frozenset({"user_access_read"}), 403),
        # ListIncidentTypes: either permission is enough.
        (frozenset({"incident_settings_read"}), frozenset({"incident_settings_read", "x"}), None),
        (frozenset({"incident_write"}), frozenset(), None),
    ],
)
def test_a_key_with_a_permission_set_gets_403_where_it_lacks_every_needed_one(
    granted: frozenset[str], needs: frozenset[str], status: int | None
) -> None:
    problem = check_keys(
        "api", "scoped", api_keys=["api"], app_keys=["app"],
        app_key_permissions={"scoped": granted}, needs=needs,
    )  # fmt: skip
    assert (problem.status if problem else None) == status


def test_the_write_flag_still_refuses_a_key_without_incident_write() -> None:
    refused = check_keys(
        "api", "scoped", api_keys=["api"], app_keys=[],
        app_key_permissions={"scoped": frozenset({"incident_read"})}, write=True,
    )  # fmt: skip
    assert refused is not None
    assert refused.status == 403


def test_every_operation_names_its_permissions_from_the_spec() -> None:
    assert set(OPERATION_PERMISSIONS) == set(OPERATIONS)
    assert all(needs and needs <= PERMISSIONS for needs in OPERATION_PERMISSIONS.values())


def test_the_permission_table_is_the_specs_x_permission() -> None:
    from_spec = {
        operation["operationId"]: frozenset(operation["x-permission"]["permissions"])
        for item in spec.spec()["paths"].values()
        for operation in item.values()
    }
    assert from_spec == OPERATION_PERMISSIONS
