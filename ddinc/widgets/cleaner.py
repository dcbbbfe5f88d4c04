"""The Cleaner: the table with its facets, and the panels around it, over one loaded frame.

    connection = Connection.of(base_url=url, api_key=..., app_key=...)   # the notebook's
    cleaner = Cleaner(result.incidents, connection=connection)
    cleaner                                  # shows it in JupyterLab
    cleaner.selected_keys(), cleaner.cleaned_frame(), cleaner.recipe.save("recipe.json")

The Cleaner starts no server of its own: the Datadog users (people panel) and the push target
come from the client or connection the notebook hands it. All state lives in Python
(:class:`~ddinc.widgets.state.CleanerState`), so every click has a method twin that a test
(or a notebook cell) can call. Panels compute when their tab is shown, and only when the
state changed since they last drew.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w
import polars as pl

from ddinc.checks import CheckContext
from ddinc.clean.people import UserChoice
from ddinc.clean.recipe import Recipe
from ddinc.datadog import DatadogClient
from ddinc.push import Connection
from ddinc.widgets.panels import (
    BulkPanel,
    ClusterPanel,
    Panel,
    PeoplePanel,
    RecipePanel,
    SelectionPanel,
    SuggestionsPanel,
)
from ddinc.widgets.push_panel import PushPanel
from ddinc.widgets.state import CleanerState
from ddinc.widgets.table import CleanerTable

__all__ = ["Cleaner", "datadog_users"]


def datadog_users(
    client: DatadogClient | None = None, *, connection: Connection | None = None
) -> list[UserChoice]:
    """The org's active users, through ``client`` or a client made from ``connection``."""
    if client is None:
        if connection is None:
            return []
        with DatadogClient(
            site=connection.site,
            base_url=connection.base_url,
            api_key=connection.api_key,
            app_key=connection.app_key,
        ) as own:
            return datadog_users(own)
    users = []
    for user in client.iter_users():
        attributes = user.attributes
        if user.email and not (attributes and attributes.disabled):
            users.append(
                UserChoice(user.id, user.email, (attributes.name if attributes else None) or "")
            )
    return users


class Cleaner(w.VBox):  # type: ignore[misc]
    """Clean a loaded frame by hand, with the checks' help; the result is a recipe.

    Parameters
    ----------
    frame
        The loaded canonical frame (``result.incidents``); never changed.
    recipe
        Steps to start from (a recipe saved earlier).
    users
        Datadog users for the people panel; default: read through ``client`` or
        ``connection`` (none when neither is given).
    client
        A :class:`~ddinc.datadog.DatadogClient` to read the users through.
    connection
        Where the push panel pushes (:class:`ddinc.push.Connection`), and where the users are
        read when no client is given. Without one the push panel says how to give one.
    ledger
        The push ledger file (default: in a new temporary folder).
    check_context, page_size, recheck
        See :class:`~ddinc.widgets.state.CleanerState`.
    """

    def __init__(
        self,
        frame: pl.DataFrame,
        recipe: Recipe | None = None,
        *,
        users: Sequence[UserChoice] | None = None,
        client: DatadogClient | None = None,
        connection: Connection | None = None,
        ledger: str | Path | None = None,
        check_context: CheckContext | None = None,
        page_size: int = 25,
        recheck: str = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.users = (
            list(users) if users is not None else datadog_users(client, connection=connection)
        )
        known = [user.email for user in self.users] if self.users else None
        self.state = CleanerState(
            frame,
            recipe,
            check_context=check_context,
            known_emails=known,
            page_size=page_size,
            recheck=recheck,
        )
        self.table = CleanerTable(self.state)
        self.suggestions = SuggestionsPanel(self.state, self._changed)
        self.clusters = ClusterPanel(self.state, self._changed)
        self.people = PeoplePanel(self.state, self.users, self._changed)
        self.bulk = BulkPanel(self.state, self._changed)
        self.selection = SelectionPanel(self.state, self._changed)
        self.push = PushPanel(self.state, connection, ledger, self._changed)
        self.recipe_panel = RecipePanel(self.state, self._changed)
        self.tabs: list[Panel] = [
            self.suggestions,
            self.clusters,
            self.people,
            self.bulk,
            self.selection,
            self.push,
            self.recipe_panel,
        ]
        self.panels = w.Tab(children=self.tabs, selected_index=None)
        for index, title in enumerate(
            ["Suggestions", "Clusters", "People", "Bulk edit", "Selection", "Push", "Recipe"]
        ):
            self.panels.set_title(index, title)
        self.panels.observe(lambda _: self._show_panel(), names="selected_index")
        # The table's own clicks (typed cells, ticks, undo) reach the panel in view.
        self.table.listeners.append(self._show_panel)
        self.children = [self.table, self.panels]

    def _show_panel(self) -> None:
        index = self.panels.selected_index
        if index is not None:
            self.tabs[index].show()

    def _changed(self) -> None:
        self.table.refresh()
        self._show_panel()

    # --- the Python side of every button ------------------------------------------------------

    def undo(self) -> None:
        """Take back the last step."""
        self.table.handle({"type": "undo"})

    def redo(self) -> None:
        """Apply the last undone step again."""
        self.table.handle({"type": "redo"})

    def select(self, keys: Sequence[str], on: bool = True) -> None:
        """Tick (or untick) the rows ``keys`` for the push (not a recipe step)."""
        self.state.select(keys, on)
        self._changed()

    def selected_keys(self) -> list[str]:
        """Row keys selected for the push."""
        return self.state.selected_keys()

    def cleaned_frame(self) -> pl.DataFrame:
        """The loaded frame + the recipe, excluded rows left out."""
        return self.state.cleaned_frame()

    @property
    def recipe(self) -> Recipe:
        """The session's steps, as a recipe to save or replay."""
        return self.state.history.recipe

    def summary(self) -> dict[str, Any]:
        """Where the session stands, JSON-ready: filters, steps, selection, accepted proposals."""
        state = self.state
        return {
            "filters": state.filters,
            "shown": state.total,
            "steps": [step.describe() for step in state.history.steps],
            "can_redo": state.history.can_redo,
            "undone": [step.describe() for step in state.history.undone],
            "search": state.search,
            "selected": self.selected_keys(),
            "accepted": list(self.suggestions.accepted),
            "record": self.table.record.get("key"),
            "planned": list(self.push.planned_keys),
            "pushed": (
                self.push.pushed_plan.frame.get_column("row_key").to_list()
                if self.push.pushed_plan is not None
                else []
            ),
        }

    @property
    def edits(self) -> list[str]:
        """The history, one line per step."""
        return self.state.history_lines()
