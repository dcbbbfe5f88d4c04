"""The Cleaner in a real JupyterLab, driven by headless Chromium: what the analyst clicks reaches
the kernel.

The cleaning notebook runs top to bottom; then, in the rendered widget, the test applies a
facet, edits a cell, undoes the edit, accepts a suggestion and ticks a row, and after each step
re-runs the notebook's last cell (``print(json.dumps(cleaner.summary()))``) to read what the
kernel holds. JupyterLab, the browser and their settings come from the notebook browser test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.test_jupyterlab import (
    _ANY_RUNNING,
    CHROMIUM,
    CHROMIUM_ARGS,
    RUN_ALL_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    Lab,
    _run_all,
    lab,  # noqa: F401 - the JupyterLab fixture, shared with the notebook browser test
    sync_api,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "02_clean.ipynb"
_PROMPT = re.compile(r"\[(\d+)\]")


@pytest.fixture
def page(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:  # noqa: F811
    """The cleaning notebook, run top to bottom in a live kernel."""
    shot = tmp_path_factory.mktemp("screenshots") / "cleaner.png"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}?reset&token={lab.token}")
            page.wait_for_selector(".jp-Notebook .jp-CodeCell")
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            if page.locator(".jp-Dialog").count():
                page.locator(".jp-Dialog").get_by_role("button", name="Select").click()
            _run_all(page)
            page.wait_for_function(f"() => !({_ANY_RUNNING})()", timeout=RUN_ALL_TIMEOUT_MS)
            page.wait_for_selector(".dd-cleaner tr[data-rid]")
            try:
                yield page
            finally:
                page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()


def _kernel_state(page: Page) -> dict[str, Any]:
    """Run the notebook's last cell again and read the summary it prints."""
    cell = page.locator(".jp-Notebook .jp-CodeCell").last
    prompt = cell.locator(".jp-InputArea-prompt")
    before = prompt.inner_text()
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        """([before]) => {
            const cells = document.querySelectorAll('.jp-Notebook .jp-CodeCell');
            const text = cells[cells.length - 1].querySelector('.jp-InputArea-prompt').textContent;
            return /\\[\\d+\\]/.test(text) && text !== before;
        }""",
        arg=[before],
    )
    assert _PROMPT.search(prompt.inner_text())
    text = cell.locator(".jp-OutputArea-output").last.inner_text()
    state: dict[str, Any] = json.loads(text)
    return state


def _version(page: Page) -> int:
    return int(page.locator(".dd-cleaner").get_attribute("data-version") or 0)


def _wait_redrawn(page: Page, after: int) -> None:
    page.wait_for_function(
        f"() => Number(document.querySelector('.dd-cleaner').dataset.version) > {after}"
    )


def test_cleaner_clicks_reach_the_kernel(page: Page) -> None:
    start = _kernel_state(page)
    # The notebook itself accepted one proposal.
    assert len(start["steps"]) == 1
    assert start["filters"] == {}

    # A facet: only active incidents.
    version = _version(page)
    page.locator(".dd-cleaner [data-facet=state] button[data-value=active]").click()
    _wait_redrawn(page, version)
    state = _kernel_state(page)
    assert state["filters"] == {"state": ["active"]}
    shown = state["shown"]
    assert page.locator(".dd-cleaner tr[data-rid]").count() == shown > 0

    # Edit the title of the first row in view.
    row = page.locator(".dd-cleaner tr[data-rid]").first
    key = row.get_attribute("data-rid")
    version = _version(page)
    row.locator("td[data-col=title]").click()
    editor = page.locator(".dd-cleaner input.dd-edit")
    editor.fill("Edited in the browser")
    editor.press("Enter")
    _wait_redrawn(page, version)
    state = _kernel_state(page)
    assert len(state["steps"]) == 2
    assert state["steps"][-1].startswith(f"set title of {key}")
    cell = page.locator(f".dd-cleaner tr[data-rid='{key}'] td[data-col=title]")
    assert cell.inner_text() == "Edited in the browser"

    # Undo it.
    version = _version(page)
    page.locator(".dd-cleaner button.undo").click()
    _wait_redrawn(page, version)
    state = _kernel_state(page)
    assert len(state["steps"]) == 1
    assert state["can_redo"]
    assert cell.inner_text() != "Edited in the browser"

    # Accept the first proposal the suggestions panel shows.
    accept = page.locator("button.dd-accept-0")
    title = accept.get_attribute("title")
    accept.click()
    page.wait_for_function(
        "(t) => !document.querySelector('button.dd-accept-0') || "
        "document.querySelector('button.dd-accept-0').title !== t",
        arg=title,
    )
    state = _kernel_state(page)
    assert len(state["accepted"]) == 2
    assert state["accepted"][-1] == title
    assert len(state["steps"]) == 2

    # Tick a row for the push.
    row = page.locator(".dd-cleaner tr[data-rid]").first
    key = row.get_attribute("data-rid")
    version = _version(page)
    row.locator("input.sel").check()
    _wait_redrawn(page, version)
    state = _kernel_state(page)
    assert key in state["selected"]
    assert (
        page.locator(".dd-cleaner .n-selected")
        .inner_text()
        .startswith(f"{len(state['selected'])} selected")
    )
