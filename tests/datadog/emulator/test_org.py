"""The seeded org: the shipped fixture is consistent and sets the traps it promises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ddinc.datadog.emulator import FieldKind, Org
from ddinc.datadog.emulator.org import DEFAULT_ORG_FILE
from ddinc.errors import ConfigError
from tests.datadog.emulator.conftest import DEFAULT_TYPE, RETIRED_TYPE, SECURITY_TYPE


def fixture() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DEFAULT_ORG_FILE.read_text())
    return loaded


def test_the_default_org_loads_with_one_live_default_type() -> None:
    org = Org.default()
    assert org.default_incident_type.id == DEFAULT_TYPE
    assert org.incident_type(RETIRED_TYPE) is None
    assert org.incident_type(RETIRED_TYPE, include_deleted=True) is not None
    assert org.key_owner.email == "migration.bot@example.com"


def test_the_default_org_sets_the_traps_real_orgs_set() -> None:
    org = Org.default()
    emails = [u.email for u in org.users]
    assert any(e != e.lower() for e in emails), "mixed-case emails"
    assert any(a != b and a.lower() in b.lower() for a in emails for b in emails), (
        "substring emails"
    )
    assert {u.status for u in org.users} >= {"Active", "Pending", "Disabled"}
    assert any(u.service_account and u.name is None for u in org.users)
    severity = org.field_for(DEFAULT_TYPE, "severity")
    state = org.field_for(DEFAULT_TYPE, "state")
    assert severity is not None
    assert state is not None
    assert "SEV-0" not in severity.allowed
    assert "UNKNOWN" in severity.allowed
    assert "completed" not in state.allowed
    assert org.field_for(DEFAULT_TYPE, "customer_tier") is not None
    assert org.field_for(SECURITY_TYPE, "customer_tier") is None


def test_field_kinds_carry_datadogs_type_numbers() -> None:
    # The spec: "1=dropdown, 2=multiselect, 3=textbox, 4=textarray, 5=metrictag, 6=autocomplete".
    expected = ["dropdown", "multiselect", "textbox", "textarray", "metrictag", "autocomplete"]
    assert [FieldKind(name).code for name in expected] == [1, 2, 3, 4, 5, 6]
    assert [k.multiple for k in FieldKind] == [False, True, False, True, True, True]


def test_field_ids_are_stable_and_distinct_per_type() -> None:
    org = Org.default()
    ids = [f.field_id(t.id) for t in org.incident_types for f in org.fields_for(t.id)]
    assert len(ids) == len(set(ids))
    assert ids == [
        f.field_id(t.id) for t in Org.default().incident_types for f in org.fields_for(t.id)
    ]


def test_search_users_ignores_case_and_spaces_around() -> None:
    org = Org.default()
    assert [u.email for u in org.search_users("  BOB.MARTIN@example.com ")] == [
        "Bob.Martin@EXAMPLE.com"
    ]
    assert len(org.search_users("")) == len(org.users)
    assert [u.name for u in org.search_users("müller")] == ["Frank Müller"]


def write(tmp_path: Path, raw: object) -> Path:
    path = tmp_path / "org.json"
    path.write_text(json.dumps(raw))
    return path


def test_a_replacement_org_file_is_loaded(tmp_path: Path) -> None:
    raw = fixture()
    raw["users"] = raw["users"][:1]
    org = Org.load(write(tmp_path, raw))
    assert [u.id for u in org.users] == [raw["key_owner"]]


@pytest.mark.parametrize(
    ("change", "mentions"),
    [
        (
            lambda r: r["users"].append(
                {
                    **r["users"][1],
                    "id": "00000000-0000-4000-8000-000000000001",
                    "email": "ANN.LEE@example.com",
                }
            ),
            "share an email",
        ),
        (lambda r: r.update(key_owner="00000000-0000-4000-8000-000000000002"), "key_owner"),
        (lambda r: r["incident_types"][0].update(is_default=False), "is_default"),
        (lambda r: r["fields"][0].update(valid_values=[]), "valid_values"),
        (lambda r: r["fields"][0].update(default_value="SEV-9"), "default"),
        (lambda r: r["fields"].append({"name": "slug", "type": "textbox"}), "slug"),
        (
            lambda r: r["fields"][-1].update(
                incident_types=["00000000-0000-4000-8000-000000000003"]
            ),
            "unknown incident types",
        ),
        (lambda r: r["fields"][0].update(type="rating"), "malformed"),
        (lambda r: r.pop("users"), "malformed"),
    ],
    ids=[
        "duplicate email",
        "owner",
        "no default",
        "no values",
        "bad default",
        "slug",
        "type ref",
        "kind",
        "no users",
    ],
)
def test_an_inconsistent_org_is_a_config_error_naming_the_problem(
    tmp_path: Path, change: Any, mentions: str
) -> None:
    raw = fixture()
    change(raw)
    with pytest.raises(ConfigError, match=mentions) as refused:
        Org.load(write(tmp_path, raw))
    assert str(DEFAULT_ORG_FILE) in str(refused.value) or "Fix the org fixture" in str(
        refused.value
    )


@pytest.mark.parametrize(
    ("content", "mentions"),
    [(None, "does not exist"), ("{", "not readable JSON"), ("[]", "one JSON object")],
)
def test_an_unreadable_org_file_is_a_config_error(
    tmp_path: Path, content: str | None, mentions: str
) -> None:
    path = tmp_path / "org.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=mentions):
        Org.load(path)


def _provenance_types(org: Org) -> dict[str, FieldKind]:
    """Live incident type id -> kind of the legacy_id field it carries."""
    return {
        t.id: f.kind
        for t in org.incident_types
        if t.deleted is None
        for f in org.fields_for(t.id)
        if f.name == "legacy_id"
    }


def test_the_default_org_carries_legacy_id_as_text_on_every_live_type() -> None:
    org = Org.default()
    live = {t.id for t in org.incident_types if t.deleted is None}
    assert _provenance_types(org) == dict.fromkeys(live, FieldKind.TEXTBOX)
    assert org.with_provenance("as-org") is org


def test_provenance_variants_play_the_orgs_ddinc_is_not_ready_for() -> None:
    org = Org.default()
    assert _provenance_types(org.with_provenance("absent")) == {}
    assert _provenance_types(org.with_provenance("some-types")) == {DEFAULT_TYPE: FieldKind.TEXTBOX}
    not_text = _provenance_types(org.with_provenance("not-text"))
    assert set(not_text.values()) == {FieldKind.TEXTARRAY}
    assert SECURITY_TYPE in not_text
    # Only that field changes.
    others = [f for f in org.with_provenance("not-text").fields if f.name != "legacy_id"]
    assert others == [f for f in org.fields if f.name != "legacy_id"]


def test_a_variant_of_a_field_the_org_lacks_or_an_unknown_variant_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no field 'ticket'"):
        Org.default().with_provenance("not-text", "ticket")
    with pytest.raises(ConfigError, match="one of"):
        Org.default().with_provenance("sometimes")  # type: ignore[arg-type]
