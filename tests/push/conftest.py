"""An emulator served over loopback for the push tests, and the connection to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator


@pytest.fixture
def emulator() -> Emulator:
    return Emulator()


@pytest.fixture
def connect(emulator: Emulator) -> Iterator[dict[str, Any]]:
    """Keyword arguments reaching ``emulator`` over HTTP."""
    with emulator.serve() as url:
        yield {"base_url": url, "api_key": DEMO_API_KEY, "app_key": DEMO_APP_KEY}
