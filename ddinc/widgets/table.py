"""The Cleaner's table: one page at a time, facets, edits and ticks, drawn by a small ESM file.

Only the current page and the facet counts travel to the browser; the browser sends the
analyst's clicks back as messages (``page``, ``sort``, ``toggle``, ``clear``, ``search``,
``open_facet``, ``edit``, ``select``, ``select_filtered``, ``undo``, ``redo``, ``goto``,
``record``, ``recheck``), which :meth:`CleanerTable.handle` applies to the
:class:`~ddinc.widgets.state.CleanerState` before sending what changed (a page turn sends
the page, not the counts; a tick sends the page and the count of selected rows). An edit
the state refuses (a state that is not a state, a time that is
not a time) lands in ``last_error`` and the cell shows what Python holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import anywidget
import traitlets
from pydantic import ValidationError

from ddinc.clean.values import choices
from ddinc.errors import DdincError
from ddinc.widgets.state import COLUMNS, EDITABLE_IN_TABLE, CleanerState

__all__ = ["CleanerTable"]

_STATIC: Final = Path(__file__).parent / "static"


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return str(first.get("ctx", {}).get("error", first["msg"]))
    return str(error)


def _hours(value: object) -> float | None:
    """A range bound as typed (hours), ``None`` when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(str(value))
    except ValueError:
        raise DdincError(f"{value!r} is not a number of hours; type one like 1.5") from None


class CleanerTable(anywidget.AnyWidget):
    """The table, facets, history and toolbar of the Cleaner, over a :class:`CleanerState`."""

    _esm = _STATIC / "cleaner.js"
    _css = _STATIC / "cleaner.css"

    rows: traitlets.List[Any] = traitlets.List().tag(sync=True)
    columns: traitlets.List[Any] = traitlets.List().tag(sync=True)
    facets = traitlets.Dict().tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)
    pages = traitlets.Int(1).tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)
    n_rows = traitlets.Int(0).tag(sync=True)
    sort: traitlets.List[Any] = traitlets.List().tag(sync=True)
    n_selected = traitlets.Int(0).tag(sync=True)
    history: traitlets.List[Any] = traitlets.List().tag(sync=True)
    search = traitlets.Unicode("").tag(sync=True)
    ranges = traitlets.Dict().tag(sync=True)
    regex = traitlets.Bool(False).tag(sync=True)
    record = traitlets.Dict().tag(sync=True)
    can_undo = traitlets.Bool(False).tag(sync=True)
    can_redo = traitlets.Bool(False).tag(sync=True)
    checks_note = traitlets.Unicode("").tag(sync=True)
    last_error = traitlets.Unicode("").tag(sync=True)
    version = traitlets.Int(0).tag(sync=True)

    def __init__(self, state: CleanerState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state
        self.listeners: list[Callable[[], None]] = []
        self.columns = [
            {
                "name": name,
                "editable": name in EDITABLE_IN_TABLE,
                "choices": list(choices(name) or ()) or None,
            }
            for name in COLUMNS
        ]
        self.on_msg(self._on_message)
        self.refresh()

    def refresh(self, counts: bool = True, history: bool = True) -> None:
        """Send the current page, counts, history and marks to the browser.

        ``counts=False`` keeps the facet counts (a page turn, a sort or a tick does not change
        them); ``history=False`` keeps the history list.
        """
        state = self.state
        with self.hold_sync():
            self.rows = state.page_rows()
            if counts:
                self.facets = state.facet_counts()
            self.page = state.page
            self.pages = state.pages
            self.total = state.total
            self.n_rows = state.history.height
            self.sort = list(state.sort) if state.sort else []
            self.search = state.search
            self.ranges = {name: list(bounds) for name, bounds in state.ranges.items()}
            self.regex = state.regex
            self.n_selected = state.n_selected
            if history:
                self.history = state.history_items()
                self.can_undo = state.history.can_undo
                self.can_redo = state.history.can_redo
                self.checks_note = state.checks_note
            self.version += 1

    def _on_message(self, widget: Any, content: dict[str, Any], buffers: Sequence[Any]) -> None:
        self.handle(content)

    def handle(self, message: dict[str, Any]) -> None:
        """Apply one message from the browser (also the way tests click)."""
        state = self.state
        kind = message.get("type")
        data_version, selection_version = state.version, state.selection_version
        try:
            if kind == "page":
                state.set_page(int(message["page"]))
            elif kind == "sort":
                state.set_sort(message.get("column"), bool(message.get("descending")))
            elif kind == "toggle":
                state.toggle(str(message["facet"]), message.get("value"))
            elif kind == "clear":
                state.set_filters({})
                state.set_search("")
                state.ranges.clear()
            elif kind == "search":
                state.set_search(str(message.get("text") or ""), bool(message.get("regex")))
            elif kind == "range":
                state.set_range(
                    str(message.get("column", "time_to_resolve")),
                    _hours(message.get("low")),
                    _hours(message.get("high")),
                )
            elif kind == "open_facet":
                state.open_facet(str(message["facet"]), bool(message.get("open", True)))
            elif kind == "edit":
                state.edit(str(message["key"]), str(message["column"]), message.get("value"))
            elif kind == "select":
                state.select([str(message["key"])], bool(message.get("on", True)))
            elif kind == "select_filtered":
                state.select_filtered(bool(message.get("on", True)))
            elif kind == "undo":
                state.undo()
            elif kind == "redo":
                state.redo()
            elif kind == "goto":
                state.goto(int(message["count"]))
            elif kind == "record":
                self.record = state.record(str(message["key"])) if message.get("key") else {}
            elif kind == "recheck":
                state.recheck()
            else:
                raise DdincError(f"unknown message type {kind!r}")
            self.last_error = ""
        except (DdincError, ValidationError) as error:
            self.last_error = _error_text(error)
        changed = state.version != data_version
        if kind == "record":
            return
        self.refresh(
            counts=changed or kind in ("toggle", "clear", "search", "range", "open_facet"),
            history=changed,
        )
        if changed and self.record.get("key"):
            self.record = state.record(str(self.record["key"]))
        if changed or state.selection_version != selection_version:
            for listener in self.listeners:
                listener()
