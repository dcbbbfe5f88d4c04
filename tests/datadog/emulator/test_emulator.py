"""The Emulator object: its documented example, its state views, and no secret in a repr."""

from __future__ import annotations

import doctest
from datetime import datetime

import httpx
import pytest

import ddinc.datadog.emulator as package
from ddinc.datadog.emulator import Emulator, EmulatorConfig, FaultKind
from ddinc.errors import ConfigError
from tests.datadog.emulator.conftest import IMPORT, KEYS, import_body


def test_the_package_docstring_example_runs() -> None:
    result = doctest.testmod(package, raise_on_error=False)
    assert (result.attempted, result.failed) == (3, 0)


def test_no_key_appears_in_a_repr() -> None:
    secret = "c0ffee-real-looking-api-key-0123456789"
    config = EmulatorConfig(api_keys=frozenset({secret}), app_keys=frozenset({secret + "-app"}))
    emulator = Emulator(config)
    assert secret not in repr(config)
    assert secret not in repr(emulator)


def test_state_views_follow_what_was_imported() -> None:
    emulator = Emulator()
    with httpx.Client(transport=emulator.sync_transport(), base_url="http://e", headers=KEYS) as c:
        c.post(IMPORT, json=import_body("a", fields={"state": {"value": "stable"}}))
        c.post(IMPORT, json=import_body("b"))
        emulator.inject(FaultKind.ERROR_BEFORE_STORE, operation="ListUsers")
        assert c.get("/api/v2/users").status_code == 500
    assert [i.title for i in emulator.incidents] == ["a", "b"]
    assert [i.title for i in emulator.incidents_where(state="stable")] == ["a"]
    assert [e.kind for e in emulator.fault_log] == [FaultKind.ERROR_BEFORE_STORE]
    assert emulator.users == emulator.org.users
    assert "incidents=2" in repr(emulator)


def test_a_naive_clock_is_refused_up_front() -> None:

    with pytest.raises(ConfigError, match="timezone-aware"):
        Emulator(EmulatorConfig(now=lambda: datetime(2025, 1, 1)))
