"""Shared fixtures: where the shared reference material lives, and widget-error guarding."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("MPLBACKEND", "Agg")

# Shared CI machines stall now and then: a per-example deadline would turn that into a flaky
# failure that says nothing about the code. The default profile is derandomized so that a
# run is repeatable (what fails in CI fails again here); HYPOTHESIS_PROFILE=explore draws new
# examples each run, to hunt for bugs before committing.
_COMMON = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("ddinc", parent=_COMMON, derandomize=True)
settings.register_profile("explore", parent=_COMMON, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ddinc"))

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: shared reference material is only in the dev workspace")
    return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fast tier (`-m "not slow"`) leaves out every property and browser test.

    Property tests (hypothesis) and browser tests are slow by nature, whatever their file
    says; marking them here keeps a new one from slipping into the fast tier unmarked.
    """
    for item in items:
        function = getattr(item, "obj", None)
        if getattr(function, "is_hypothesis_test", False) or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _fail_on_swallowed_widget_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """ipywidgets logs (and swallows) exceptions from callbacks outside a kernel: fail on them."""
    caplog.set_level(logging.WARNING)
    yield
    swallowed = [
        r
        for r in caplog.records
        if r.getMessage().startswith(("Exception in callback", "Exception in widget method"))
    ]
    if swallowed:
        pytest.fail("widget callback raised: " + swallowed[0].getMessage())
