"""Fixtures of the emulator tests: a fresh emulator and an httpx client onto it in-process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator

KEYS = {"DD-API-KEY": DEMO_API_KEY, "DD-APPLICATION-KEY": DEMO_APP_KEY}
IMPORT = "/api/v2/incidents/import"
# Ids from the default org.json, named here once.
DEFAULT_TYPE = "78c28187-0d2b-4674-a279-bd34eb95b90e"
SECURITY_TYPE = "6a3077cb-8f6f-49bb-b4c3-19673e8bb847"
RETIRED_TYPE = "2357de07-44b1-46c3-8c39-bfc47b4831ce"
KEY_OWNER = "1b6ddbf6-16dc-4aa8-af60-3c6d040379ae"
ANN = "cf46f394-7d1e-4ef3-8db2-fa6ed745772e"
BOB = "f7ac0698-6a19-4f34-bc51-c1678e90c440"
UNKNOWN_ID = "5f0c2a6e-0000-4000-8000-000000000000"


def import_body(title: str = "Checkout down", **attributes: Any) -> dict[str, Any]:
    """An import request body; ``relationships`` goes where it belongs."""
    relationships = attributes.pop("relationships", None)
    data: dict[str, Any] = {"type": "incidents", "attributes": {"title": title, **attributes}}
    if relationships is not None:
        data["relationships"] = relationships
    return {"data": data}


def user_ref(user_id: str | None) -> dict[str, Any]:
    """A relationship to a user (or null)."""
    return {"data": None if user_id is None else {"id": user_id, "type": "users"}}


@pytest.fixture
def emulator() -> Emulator:
    return Emulator()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    """A sync client with the demo keys, in-process (no socket)."""
    with httpx.Client(
        transport=emulator.sync_transport(), base_url="http://emulator.local", headers=KEYS
    ) as http:
        yield http
