"""The Cleaner in a real JupyterLab, driven by headless Chromium: what the analyst clicks reaches
the kernel.

The cleaning notebook runs top to bottom; then, in the rendered widget, the test applies a
facet and a text filter, edits a cell, undoes the edit, jumps in the history, merges a cluster
into a value it types, opens a row's record, selects rows, plans, ticks one more and pushes,
and after each step re-runs the notebook's last cell (``print(json.dumps(cleaner.summary()))``)
to read what the kernel holds. JupyterLab, the browser and their settings come from the
notebook browser test.
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
            page.goto(f"{lab.url}/lab/tree/notebooks/{NOTEBOOK}?reset&token={lab.token}")
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


def _click_and_wait(page: Page, selector: str) -> None:
    version = _version(page)
    page.locator(selector).first.click()
    _wait_redrawn(page, version)


def _rows(page: Page) -> list[str]:
    return [
        key or ""
        for key in page.locator(".dd-cleaner tr[data-rid]").evaluate_all(
            "rows => rows.map(r => r.dataset.rid)"
        )
    ]


def _filters(page: Page) -> None:
    start = _kernel_state(page)
    # The notebook accepted one proposal and selected every incident no error blocks.
    assert len(start["steps"]) == 1
    assert start["filters"] == {}
    assert start["selected"]

    # The place is kept: a wide table scrolls sideways with the key and title pinned, and a
    # redraw leaves the scroll where the analyst put it.
    scroller = page.locator(".dd-cleaner .dd-scroll")
    key_cell = page.locator(".dd-cleaner tr[data-rid] td.dd-key").first
    x_before = key_cell.bounding_box()["x"]  # type: ignore[index]
    left = scroller.evaluate("e => { e.scrollLeft = 300; return e.scrollLeft; }")
    assert left > 0
    assert key_cell.bounding_box()["x"] == x_before  # type: ignore[index]

    # A facet: only active incidents.
    _click_and_wait(page, ".dd-cleaner [data-facet=state] button[data-value=active]")
    assert scroller.evaluate("e => e.scrollLeft") == left
    state = _kernel_state(page)
    assert state["filters"] == {"state": ["active"]}
    assert len(_rows(page)) == min(state["shown"], 25) > 0
    _click_and_wait(page, ".dd-cleaner button.clear-filters")

    # The text filter: a row key is text in a column too.
    wanted = _rows(page)[3]
    version = _version(page)
    search = page.locator(".dd-cleaner input.dd-search")
    search.fill(wanted)
    search.press("Enter")
    _wait_redrawn(page, version)
    assert _rows(page) == [wanted]
    assert _kernel_state(page)["search"] == wanted
    _click_and_wait(page, ".dd-cleaner button.clear-filters")


def _edit_undo_jump_and_record(page: Page) -> None:
    # Edit the title of the first row in view.
    row = page.locator(".dd-cleaner tr[data-rid]").first
    key = row.get_attribute("data-rid") or ""
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

    # Undo it: the step stays listed, greyed, and a tick does not wipe its redo.
    _click_and_wait(page, ".dd-cleaner button.undo")
    assert cell.inner_text() != "Edited in the browser"
    assert page.locator(".dd-cleaner li.dd-step.undone").count() == 1
    _click_and_wait(page, ".dd-cleaner tr[data-rid] input.sel")
    state = _kernel_state(page)
    assert len(state["steps"]) == 1
    assert state["can_redo"]

    # Jump in the history: back to the loaded frame, then forward to after the edit.
    page.locator(".dd-cleaner details.dd-history-box > summary").click()
    _click_and_wait(page, ".dd-cleaner li.dd-step[value='0']")
    assert _kernel_state(page)["steps"] == []
    _click_and_wait(page, ".dd-cleaner li.dd-step[value='2']")
    state = _kernel_state(page)
    assert len(state["steps"]) == 2
    assert cell.inner_text() == "Edited in the browser"
    assert page.locator(".dd-cleaner details.dd-history-box").get_attribute("open") is not None

    # The row view: the whole record of a row.
    page.locator(f".dd-cleaner tr[data-rid='{key}'] td.dd-key a").click()
    record = page.locator(".dd-cleaner .dd-record")
    record.wait_for(state="visible")
    assert key in record.inner_text()
    assert "raw" in record.inner_text()
    assert _kernel_state(page)["record"] == key


def _cluster(page: Page) -> None:
    # Cluster and merge into a value typed by the analyst.
    page.get_by_role("tab", name="Clusters").click()
    page.get_by_role("button", name="Find clusters in view").click()
    target = page.locator(".dd-merge-target input").first
    target.wait_for(state="visible")
    target.fill("Merged by hand")
    target.press("Tab")
    steps = len(_kernel_state(page)["steps"])
    page.get_by_role("button", name="Merge").first.click()
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.dd-merge-target input')]"
        ".some(i => i.value === 'Merged by hand')"
    )
    state = _kernel_state(page)
    assert len(state["steps"]) == steps + 1
    assert state["steps"][-1].endswith("into 'Merged by hand'")


def _plan_and_push(page: Page) -> None:
    # Select two rows, plan them, tick a third: Push plans again and sends exactly that plan.
    _click_and_wait(page, ".dd-cleaner button.deselect-filtered")
    assert _kernel_state(page)["selected"] == []
    ticks = page.locator(".dd-cleaner tr[data-rid] input.sel")
    for index in (0, 1):
        version = _version(page)
        ticks.nth(index).check()
        _wait_redrawn(page, version)
    page.get_by_role("tab", name="Push").click()
    page.get_by_role("button", name="Plan the selection").click()
    page.wait_for_function("() => document.body.innerText.includes('plan:')")
    state = _kernel_state(page)
    assert sorted(state["planned"]) == sorted(state["selected"])
    assert len(state["planned"]) == 2
    version = _version(page)
    ticks.nth(2).check()
    _wait_redrawn(page, version)
    page.wait_for_function("() => document.body.innerText.includes('The plan is stale')")
    page.get_by_role("button", name="Push the plan").click()
    page.wait_for_function("() => document.body.innerText.includes('pushed:')")
    state = _kernel_state(page)
    assert len(state["selected"]) == 3
    assert sorted(state["pushed"]) == sorted(state["selected"])


def test_cleaner_clicks_reach_the_kernel(page: Page) -> None:
    _filters(page)
    _edit_undo_jump_and_record(page)
    _cluster(page)
    _plan_and_push(page)
