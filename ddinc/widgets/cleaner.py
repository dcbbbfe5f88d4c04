"""The Cleaner: the table with its facets, and the panels around it, over one loaded frame.

    cleaner = Cleaner(result.incidents)      # users from the embedded emulator by default
    cleaner                                  # shows it in JupyterLab
    cleaner.selected_keys(), cleaner.cleaned_frame(), cleaner.recipe.save("recipe.json")

All state lives in Python (:class:`~ddinc.widgets.state.CleanerState`), so every click has a
method twin that a test (or a notebook cell) can call.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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
    PeoplePanel,
    RecipePanel,
    SelectionPanel,
    SuggestionsPanel,
)
from ddinc.widgets.push_panel import PushPanel
from ddinc.widgets.state import CleanerState
from ddinc.widgets.table import CleanerTable

__all__ = ["Cleaner", "datadog_users"]


def datadog_users(client: DatadogClient | None = None) -> list[UserChoice]:
    """The org's active users, through ``client`` (default: the embedded emulator's org)."""
    if client is None:
        from ddinc.datadog.emulator import DEMO_API_KEY, DEMO_APP_KEY, Emulator

        with (
            Emulator().serve() as url,
            DatadogClient(base_url=url, api_key=DEMO_API_KEY, app_key=DEMO_APP_KEY) as own,
        ):
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
        Datadog users for the people panel; default: read through ``client``.
    client
        A :class:`~ddinc.datadog.DatadogClient`; default: the embedded emulator.
    connection
        Where the push panel pushes (:class:`ddinc.push.Connection`); default: an embedded
        emulator kept for the Cleaner's life.
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
        check_context: CheckContext | None = None,
        page_size: int = 25,
        recheck: str = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.users = list(users) if users is not None else datadog_users(client)
        known: Collection[str] = [user.email for user in self.users]
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
        self.recipe_panel = RecipePanel(self.state, self._changed)
        self.push = PushPanel(self.state, connection)
        self.panels = w.Tab(
            children=[
                self.suggestions,
                self.clusters,
                self.people,
                self.bulk,
                self.selection,
                self.push,
                self.recipe_panel,
            ]
        )
        for index, title in enumerate(
            ["Suggestions", "Clusters", "People", "Bulk edit", "Selection", "Push", "Recipe"]
        ):
            self.panels.set_title(index, title)
        # The table's own edits (typed cells, ticks, undo) refresh the panels too.
        self.table.listeners.append(self._refresh_panels)
        self.children = [self.table, self.panels]

    def _refresh_panels(self) -> None:
        self.suggestions.refresh()
        self.people.refresh()
        self.bulk.refresh()
        self.selection.refresh()

    def _changed(self) -> None:
        self.table.refresh()
        self._refresh_panels()

    # --- the Python side of every button ------------------------------------------------------

    def undo(self) -> None:
        """Take back the last step."""
        self.table.handle({"type": "undo"})

    def redo(self) -> None:
        """Apply the last undone step again."""
        self.table.handle({"type": "redo"})

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
            "selected": self.selected_keys(),
            "accepted": list(self.suggestions.accepted),
        }

    @property
    def edits(self) -> list[str]:
        """The history, one line per step."""
        return self.state.history_lines()
