"""The preflight against the emulator over loopback: ready, or the exact fix; never a write."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ddinc.datadog import RetryPolicy
from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator, EmulatorConfig, Org
from ddinc.datadog.emulator.validate import PERMISSIONS
from ddinc.push import Connection, DoctorReport, doctor
from ddinc.push.doctor import PERMISSION_OF

FAST = RetryPolicy(backoff_initial=0.01, backoff_max=0.05)


def run_doctor(emulator: Emulator, **options: Any) -> DoctorReport:
    with emulator.serve() as url:
        return doctor(base_url=url, api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY, **options)


def scoped(*permissions: str) -> Emulator:
    """An emulator whose demo application key holds only ``permissions``."""
    return Emulator(
        EmulatorConfig(
            app_keys=frozenset(), app_key_permissions={DEMO_APP_KEY: frozenset(permissions)}
        )
    )


def check(report: DoctorReport, name: str) -> Any:
    return next(c for c in report.checks if c.name.startswith(name))


def test_the_default_emulator_is_ready_and_nothing_is_created(
    emulator: Emulator, connect: dict[str, Any]
) -> None:
    report = doctor(**connect)
    assert report.ready, str(report)
    assert report.exit_code == 0
    assert report.failing == ()
    assert [c.name for c in report.checks] == [
        "keys",
        "users",
        "incident types",
        "field configurations",
        "search",
        "import (Preview)",
        "provenance field 'legacy_id'",
    ]
    assert emulator.incidents == []
    # The import endpoint was reached, and refused the probe before storing anything.
    imports = [r for r in emulator.requests if r.operation == "ImportIncident"]
    assert [r.status for r in imports] == [400]
    assert "ready" in str(report)
    assert "<table>" in report._repr_html_()


@pytest.mark.parametrize(
    ("variant", "found"),
    [
        ("absent", "absent on 'Incident', 'Security Incident'"),
        ("some-types", "absent on 'Security Incident'"),
        ("not-text", "not a single-value text field on 'Incident' (text array)"),
    ],
)
def test_an_org_without_a_text_provenance_field_on_every_type_is_not_ready(
    variant: Any, found: str
) -> None:
    emulator = Emulator(EmulatorConfig(org=Org.default().with_provenance(variant)))
    report = run_doctor(emulator)
    assert not report.ready
    assert report.exit_code == 1
    [failing] = report.failing
    assert failing.name == "provenance field 'legacy_id'"
    assert found in failing.found
    assert "Property Fields" in failing.fix
    assert "'legacy_id'" in failing.fix
    assert "no endpoint to create" in failing.fix
    assert report.can_plan  # the plan still runs, and holds every row with the reason
    assert report.blocks_push
    assert emulator.incidents == []


def test_another_provenance_field_is_checked_by_its_own_name(emulator: Emulator) -> None:
    report = run_doctor(emulator, provenance_field="ticket_ref")
    assert [c.name for c in report.failing] == ["provenance field 'ticket_ref'"]


@pytest.mark.parametrize(
    ("lacking", "failing"),
    [
        ("user_access_read", ["users"]),
        ("incident_write", ["import (Preview)"]),
        ("incident_read", ["field configurations", "search", "provenance field"]),
    ],
)
def test_a_key_without_a_permission_is_not_ready_naming_that_permission(
    lacking: str, failing: list[str]
) -> None:
    emulator = scoped(*(PERMISSIONS - {lacking}))
    report = run_doctor(emulator)
    assert not report.ready
    assert [c.name.split(" '")[0] for c in report.failing] == failing
    for name in failing[:2]:
        if name in PERMISSION_OF:
            assert lacking in check(report, name).found
            assert f"the {PERMISSION_OF[name]} permission" in check(report, name).fix
    assert check(report, "keys").ok  # the other endpoints answered: the keys are right
    assert emulator.incidents == []


def test_incident_types_need_either_of_two_permissions() -> None:
    report = run_doctor(scoped("incident_settings_read", "user_access_read"))
    assert check(report, "incident types").ok
    failing = check(report, "field configurations")
    assert not failing.ok
    assert "incident_read" in failing.fix


def test_unknown_keys_fail_every_check_and_say_to_check_the_keys_first() -> None:
    emulator = Emulator()
    with emulator.serve() as url:
        report = doctor(base_url=url, api_key=DEMO_API_KEY, app_key="not-this-orgs-key")
    assert not report.ready
    assert all(not c.ok for c in report.checks)
    assert not report.can_plan
    assert "DD_APP_KEY" in check(report, "keys").fix
    assert "not-this-orgs-key" not in str(report) + report._repr_html_()
    assert emulator.incidents == []


def test_an_org_without_the_import_preview_is_told_to_ask_support() -> None:
    emulator = Emulator(EmulatorConfig(import_enabled=False))
    report = run_doctor(emulator)
    [failing] = report.failing
    assert failing.name == "import (Preview)"
    assert "Datadog support" in failing.fix


def test_nothing_listening_is_not_ready_rather_than_a_crash() -> None:
    emulator = Emulator()
    with emulator.serve() as url:
        pass  # the server is gone: nothing answers at this port any more
    report = doctor(base_url=url, api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY, policy=FAST)
    assert not report.ready
    assert "no answer" in check(report, "users").found
    assert "network" in check(report, "users").fix
    assert all(c.transient for c in report.failing)
    assert not report.blocks_push  # the network says nothing about the org


def test_a_check_that_meets_only_5xx_is_transient_and_does_not_block_a_push() -> None:
    emulator = Emulator()
    emulator.inject("error_before_store", operation="SearchIncidents", times=4)
    report = run_doctor(emulator, policy=FAST)
    [failing] = report.failing
    assert failing.name == "search"
    assert failing.transient
    assert not report.ready
    assert not report.blocks_push


def test_doctor_never_creates_an_incident_even_when_answers_fail_after_storing() -> None:
    # A fault "after store" on the probe: the emulator refused it with 400 first, so nothing
    # is stored whatever the answer turns into; the client asks again.
    emulator = Emulator()
    emulator.inject("error_after_store", operation="ImportIncident", times=2)
    report = run_doctor(emulator, policy=FAST)
    assert [event.kind for event in emulator.fault_log] == ["error_after_store"] * 2
    assert check(report, "import (Preview)").ok
    assert emulator.incidents == []


def test_a_server_that_accepts_the_probe_is_not_ready_and_says_do_not_push() -> None:
    # Not Datadog: a server answering 201 to anything, which the emulator can never be.
    def anything_goes(request: httpx.Request) -> httpx.Response:
        body = {"data": []} if request.method == "GET" else {"data": {"id": "x"}}
        return httpx.Response(201 if request.method == "POST" else 200, json=body)

    connection = Connection.of(
        base_url="http://lenient.test",
        api_key=DEMO_API_KEY,
        app_key=DEMO_APP_KEY,
        transport=httpx.MockTransport(anything_goes),
    )
    report = doctor(connection)
    probe = check(report, "import (Preview)")
    assert not probe.ok
    assert "status 201" in probe.found
    assert probe.fix.startswith("do not push")
    assert not report.ready
