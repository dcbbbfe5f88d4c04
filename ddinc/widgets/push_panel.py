"""The Cleaner's push panel: plan the selected rows (payloads and held rows), then push them.

The panel sends exactly the plan it shows. A plan remembers the state it was made from (the
data and selection versions); an edit or a tick after planning marks it *stale*, and Push then
plans again (showing the new plan) before sending that plan's rows, and only those. Where to
push is the :class:`~ddinc.push.Connection` the notebook hands the Cleaner: the panel starts
no server of its own. One progress bar per push: the output area is cleared before each.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

import ipywidgets as w
import polars as pl

from ddinc.errors import DdincError
from ddinc.push import Connection, Plan, PushResult, plan, push
from ddinc.rowkey import ROW_KEY
from ddinc.widgets.panels import Changed, Panel, _button, frame_html
from ddinc.widgets.state import CleanerState

__all__ = ["PushPanel"]

_SHOWN = ("row_key", "title", "status", "reason", "notes")


def _table(frame: pl.DataFrame) -> str:
    return frame_html(frame, limit=15, max_chars=200)


class PushPanel(Panel):
    """Plan, then push, the rows selected in the Cleaner, through the notebook's connection.

    Parameters
    ----------
    state
        The Cleaner's state.
    connection
        Where to push; ``None`` disables the panel (it says how to give one).
    ledger
        The ledger file; default: ``push.ledger`` in a new temporary folder (never the
        notebook's folder, so a session writes nothing into the repository).
    """

    def __init__(
        self,
        state: CleanerState,
        connection: Connection | None = None,
        ledger: str | Path | None = None,
        changed: Changed | None = None,
    ) -> None:
        super().__init__(state, changed or (lambda: None))
        self.connection = connection
        self.plan: Plan | None = None
        self.planned_at: tuple[int, int] | None = None
        self.planned_keys: list[str] = []
        self.result: PushResult | None = None
        self.pushed_plan: Plan | None = None
        """The plan the last push sent."""
        default = Path(tempfile.mkdtemp(prefix="ddinc-push-")) / "push.ledger"
        self.ledger = w.Text(value=str(ledger or default), description="ledger")
        self.plan_button = _button("Plan the selection")
        self.plan_button.on_click(lambda _: self.run_plan())
        self.push_button = _button(
            "Push the plan", button_style="danger", tooltip="push exactly the rows of the plan"
        )
        self.push_button.on_click(lambda _: self.run_push())
        self.status = w.HTML()
        self.output = w.HTML()
        self.progress = w.Output()
        self.children = [
            w.HBox([self.ledger, self.plan_button, self.push_button]),
            self.status,
            self.progress,
            self.output,
        ]
        self.refresh()

    @property
    def stale(self) -> bool:
        """True when the selection or the data changed since the plan shown was made."""
        return self.plan is not None and self.planned_at != self._versions()

    def refresh(self) -> None:
        """Say whether the plan shown is the one Push would send."""
        if self.connection is None:
            self.status.value = (
                "No Datadog connection: give the Cleaner one "
                "(<code>Cleaner(frame, connection=...)</code>) to plan and push."
            )
            self.plan_button.disabled = self.push_button.disabled = True
            return
        if self.stale:
            self.status.value = (
                "<b>The plan is stale</b>: the selection or the data changed since. "
                "Push plans again first, then sends the new plan."
            )
        elif self.plan is not None:
            self.status.value = f"Push sends the {len(self.planned_keys)} row(s) of this plan."
        else:
            self.status.value = f"{self.state.n_selected:,} row(s) selected."

    def run_plan(self) -> Plan | None:
        """The dry run of the selected rows: what would be sent, what is held and why."""
        if self.connection is None:
            return None
        keys = self.state.selected_keys()
        if not keys:
            self.output.value = "Select rows in the table first (tick them, or select a facet)."
            self.plan, self.planned_keys = None, []
            self.refresh()
            return None
        state = self.state
        report = None if state.checks_stale else state.report
        try:
            self.plan = plan(
                state.cleaned_frame(),
                where=pl.col(ROW_KEY).is_in(pl.Series(keys, dtype=pl.String).implode()),
                ledger=str(self.ledger.value),
                report=report,
                connection=self.connection,
            )
        except DdincError as error:
            self.output.value = f"<b>plan failed:</b> {html.escape(str(error))}"
            self.plan = None
            self.refresh()
            return None
        self.planned_at = self._versions()
        self.planned_keys = self.plan.frame.get_column(ROW_KEY).to_list()
        counts = ", ".join(f"{k} {v}" for k, v in self.plan.counts().items() if v)
        self.output.value = (
            f"<b>plan:</b> {html.escape(counts)}"
            + _table(self.plan.frame.select(_SHOWN))
            + "<details><summary>payloads</summary>"
            + _table(self.plan.frame.select("row_key", "payload"))
            + "</details>"
        )
        self.refresh()
        return self.plan

    def run_push(self) -> PushResult | None:
        """Push exactly the plan shown (planning again first when it is stale or missing)."""
        if self.connection is None:
            return None
        if (self.plan is None or self.stale) and self.run_plan() is None:
            return None
        keys = pl.Series(self.planned_keys, dtype=pl.String)
        state = self.state
        report = None if state.checks_stale else state.report
        self.progress.clear_output()
        try:
            with self.progress:
                self.result = push(
                    state.cleaned_frame(),
                    ledger=str(self.ledger.value),
                    where=pl.col(ROW_KEY).is_in(keys.implode()),
                    report=report,
                    connection=self.connection,
                )
        except DdincError as error:
            self.output.value = f"<b>push failed:</b> {html.escape(str(error))}"
            return None
        counts = ", ".join(f"{k} {v}" for k, v in self.result.counts().items() if v)
        self.output.value = f"<b>pushed:</b> {html.escape(counts)}" + _table(self.result.frame)
        # What the ledger now holds changes what a plan would say.
        self.pushed_plan = self.plan
        self.plan, self.planned_at, self.planned_keys = None, None, []
        self.refresh()
        return self.result
