"""The Cleaner's push panel: plan the selected rows (payloads and held rows), then push them.

It calls :func:`ddinc.push.plan` and :func:`ddinc.push.push` with the cleaned frame and the
selection, against the embedded emulator unless given a :class:`~ddinc.push.Connection`.
The plan and the result are kept in ``plan`` and ``result`` for tests and later cells.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as w
import polars as pl

from ddinc.errors import DdincError
from ddinc.push import Connection, Plan, PushResult, plan, push
from ddinc.rowkey import ROW_KEY
from ddinc.widgets.panels import frame_html
from ddinc.widgets.state import CleanerState

__all__ = ["PushPanel"]

_T = TypeVar("_T")
_SHOWN = ("row_key", "title", "status", "reason", "notes")


def _table(frame: pl.DataFrame) -> str:
    return frame_html(frame, limit=15, max_chars=200)


class PushPanel(w.VBox):  # type: ignore[misc]
    """Plan, then push, the rows selected in the Cleaner."""

    def __init__(self, state: CleanerState, connection: Connection | None = None) -> None:
        super().__init__()
        self.state = state
        self.connection = connection
        self._emulator: Any = None
        self.plan: Plan | None = None
        self.result: PushResult | None = None
        self.ledger = w.Text(value="push_ledger.sqlite", description="ledger")
        self.plan_button = w.Button(description="Plan the selection")
        self.plan_button.on_click(lambda _: self.run_plan())
        self.push_button = w.Button(description="Push", button_style="danger")
        self.push_button.on_click(lambda _: self.run_push())
        self.output = w.HTML()
        self.progress = w.Output()
        self.children = [
            w.HBox([self.ledger, self.plan_button, self.push_button]),
            self.progress,
            self.output,
        ]

    def _call(self, action: Callable[[Connection], _T]) -> _T:
        if self.connection is not None:
            return action(self.connection)
        from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator

        # One emulator for the panel's life, so a second push finds what the first created.
        if self._emulator is None:
            self._emulator = Emulator()
        with self._emulator.serve() as url:
            return action(Connection.of(base_url=url, api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY))

    def _selection(self) -> tuple[pl.DataFrame, pl.Expr] | None:
        keys = self.state.selected_keys()
        if not keys:
            self.output.value = "Select rows in the table first (tick them, or select a facet)."
            return None
        return self.state.cleaned_frame(), pl.col(ROW_KEY).is_in(keys)

    def run_plan(self) -> Plan | None:
        """The dry run of the selected rows: what would be sent, what is held and why."""
        picked = self._selection()
        if picked is None:
            return None
        frame, where = picked
        try:
            self.plan = self._call(lambda c: plan(frame, where=where, connection=c))
        except DdincError as error:
            self.output.value = f"<b>plan failed:</b> {html.escape(str(error))}"
            return None
        counts = ", ".join(f"{k} {v}" for k, v in self.plan.counts().items() if v)
        self.output.value = (
            f"<b>plan:</b> {html.escape(counts)}"
            + _table(self.plan.frame.select(_SHOWN))
            + "<details><summary>payloads</summary>"
            + _table(self.plan.frame.select("row_key", "payload"))
            + "</details>"
        )
        return self.plan

    def run_push(self) -> PushResult | None:
        """Push the selected rows (exactly once, recorded in the ledger)."""
        picked = self._selection()
        if picked is None:
            return None
        frame, where = picked
        ledger = str(self.ledger.value)
        try:
            with self.progress:
                self.result = self._call(
                    lambda c: push(frame, ledger=ledger, where=where, connection=c)
                )
        except DdincError as error:
            self.output.value = f"<b>push failed:</b> {html.escape(str(error))}"
            return None
        counts = ", ".join(f"{k} {v}" for k, v in self.result.counts().items() if v)
        self.output.value = f"<b>pushed:</b> {html.escape(counts)}" + _table(self.result.frame)
        return self.result
