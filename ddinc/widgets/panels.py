"""The Cleaner's side panels (plain ipywidgets): suggestions, clusters, people, bulk edits,
selection for the push, and the recipe.

Each panel works on the shared :class:`~ddinc.widgets.state.CleanerState` and calls
``changed()`` after an edit so that the table and the other panels redraw. What a panel
found is kept in plain attributes (``suggestions``, ``clusters``, ``people``...), so tests
read it without a browser.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path

import ipywidgets as w
import polars as pl

from ddinc.clean.cluster import METHODS, Cluster, cluster_values
from ddinc.clean.codegen import to_polars_code
from ddinc.clean.ops import MapPerson
from ddinc.clean.people import Person, UserChoice, propose_user, unmapped_people
from ddinc.clean.suggest import Suggestion, suggest
from ddinc.clean.values import choices
from ddinc.widgets.state import CleanerState

__all__ = [
    "BulkPanel",
    "Changed",
    "ClusterPanel",
    "PeoplePanel",
    "RecipePanel",
    "SelectionPanel",
    "SuggestionsPanel",
    "frame_html",
]

Changed = Callable[[], None]


def frame_html(frame: pl.DataFrame, limit: int = 10, max_chars: int | None = None) -> str:
    """The first ``limit`` rows of ``frame`` as an escaped HTML table, null shown as null.

    ``max_chars`` cuts long cells (payloads) so a preview stays readable.
    """
    head = "".join(f"<th>{html.escape(name)}</th>" for name in frame.columns)

    def cell(value: object) -> str:
        return "<i>null</i>" if value is None else html.escape(str(value)[:max_chars])

    body = "".join(
        "<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.head(limit).iter_rows()
    )
    more = f"<p>... {frame.height - limit} more</p>" if frame.height > limit else ""
    return f"<table class='dd-preview'><tr>{head}</tr>{body}</table>{more}"


class SuggestionsPanel(w.VBox):  # type: ignore[misc]
    """Fixes proposed by the checks: preview each group, accept it in one click."""

    def __init__(self, state: CleanerState, changed: Changed) -> None:
        super().__init__()
        self.state = state
        self.changed = changed
        self.suggestions: list[Suggestion] = []
        self.accepted: list[str] = []
        self.buttons: list[w.Button] = []
        self.refresh()

    def refresh(self) -> None:
        """Ask the checks of the current frame for proposals again."""
        state = self.state
        report = None if state.checks_stale else state.report
        self.suggestions = suggest(state.history.marked, report, context=state.check_context)
        items: list[w.Widget] = []
        self.buttons = []
        for index, suggestion in enumerate(self.suggestions):
            accept = w.Button(
                description="Accept" + (" (a guess)" if suggestion.needs_review else ""),
                button_style="warning" if suggestion.needs_review else "success",
                tooltip=suggestion.title,
            )
            accept.add_class(f"dd-accept-{index}")
            accept.on_click(lambda _, s=suggestion: self.accept(s))
            self.buttons.append(accept)
            preview = frame_html(suggestion.preview(state.history.marked))
            items.append(
                w.VBox(
                    [
                        w.HTML(
                            f"<b>{html.escape(suggestion.title)}</b><br>"
                            f"{html.escape(suggestion.explanation)}{preview}"
                        ),
                        accept,
                    ]
                )
            )
        if not items:
            items = [w.HTML("No fixes to propose: the checks found nothing a step can fix.")]
        self.children = items

    def accept(self, suggestion: Suggestion) -> None:
        """Apply a proposal's steps (enabled, even the guesses: the analyst asked)."""
        for step in suggestion.steps:
            self.state.do(step.model_copy(update={"enabled": True}))
        self.accepted.append(suggestion.title)
        self.changed()


class ClusterPanel(w.VBox):  # type: ignore[misc]
    """Near-duplicate values of a column, each cluster merged in one click."""

    def __init__(self, state: CleanerState, changed: Changed) -> None:
        super().__init__()
        self.state = state
        self.changed = changed
        self.clusters: list[Cluster] = []
        self.column = w.Dropdown(
            options=["teams", "services", "commander", "declared_by", "title"],
            value="teams",
            description="column",
        )
        self.method = w.Dropdown(options=list(METHODS), value="fingerprint", description="method")
        self.find = w.Button(description="Find clusters")
        self.find.on_click(lambda _: self.search())
        self.results = w.VBox()
        self.merge_buttons: list[w.Button] = []
        self.children = [w.HBox([self.column, self.method, self.find]), self.results]

    def search(self) -> None:
        """Cluster the chosen column of the current frame."""
        self.clusters = cluster_values(
            self.state.history.marked, str(self.column.value), self.method.value
        )
        rows: list[w.Widget] = []
        self.merge_buttons = []
        for cluster in self.clusters[:30]:
            values = ", ".join(f"{html.escape(repr(v))} ({n})" for v, n in cluster.values)
            button = w.Button(description=f"Merge into {cluster.into!r}"[:40])
            button.on_click(lambda _, c=cluster: self.merge(c))
            self.merge_buttons.append(button)
            sampled = " <i>(most frequent values only)</i>" if cluster.sampled else ""
            rows.append(w.HBox([w.HTML(values + sampled), button]))
        self.results.children = rows or [w.HTML("No clusters.")]

    def merge(self, cluster: Cluster) -> None:
        """Merge one cluster into its most frequent value."""
        self.state.do(cluster.merge())
        self.changed()
        self.search()


class PeoplePanel(w.VBox):  # type: ignore[misc]
    """Legacy people mapped to Datadog users (found through the client)."""

    def __init__(self, state: CleanerState, users: Sequence[UserChoice], changed: Changed) -> None:
        super().__init__()
        self.state = state
        self.users = list(users)
        self.changed = changed
        self.people: list[Person] = []
        self.pickers: dict[str, w.Dropdown] = {}
        self.refresh()

    def refresh(self) -> None:
        """List the people of the current frame who are not a known user's email."""
        emails = [user.email for user in self.users]
        self.people = []
        rows: list[w.Widget] = []
        self.pickers = {}
        options = [("(not mapped)", ""), *((u.label, u.email) for u in self.users)]
        for name, count in unmapped_people(self.state.history.marked, emails)[:50]:
            proposal, score = propose_user(name, self.users)
            self.people.append(Person(name, count, proposal, score))
            picker = w.Dropdown(options=options, value=proposal.email if proposal else "")
            self.pickers[name] = picker
            button = w.Button(description="Map")
            button.on_click(lambda _, n=name: self.map(n))
            rows.append(w.HBox([w.Label(f"{name} ({count} rows)"), picker, button]))
        self.children = rows or [w.HTML("Every person is a known Datadog user.")]

    def map(self, name: str, email: str | None = None) -> None:
        """Map ``name`` to ``email`` (default: the picker's choice)."""
        chosen = email if email is not None else str(self.pickers[name].value)
        if not chosen:
            return
        user = next((u for u in self.users if u.email == chosen), None)
        self.state.do(MapPerson(person=name, email=chosen, user_id=user.id if user else None))
        self.changed()


class BulkPanel(w.VBox):  # type: ignore[misc]
    """Set state or severity on every row the facets keep."""

    def __init__(self, state: CleanerState, changed: Changed) -> None:
        super().__init__()
        self.state = state
        self.changed = changed
        self.column = w.Dropdown(options=["state", "severity"], value="state", description="set")
        self.value = w.Dropdown(options=list(choices("state") or ()), description="to")
        self.column.observe(self._column_changed, names="value")
        self.apply = w.Button(description="Apply to the view")
        self.apply.on_click(lambda _: self.run())
        self.scope = w.HTML()
        self.children = [w.HBox([self.column, self.value, self.apply]), self.scope]
        self.refresh()

    def _column_changed(self, change: dict[str, object]) -> None:
        self.value.options = list(choices(str(change["new"])) or ())

    def refresh(self) -> None:
        """Say which rows a bulk edit would touch."""
        self.scope.value = html.escape(
            f"scope: {self.state.where.describe()} ({self.state.total} rows)"
        )

    def run(self) -> None:
        """Apply the bulk edit to the facet scope."""
        self.state.bulk_set(str(self.column.value), self.value.value)
        self.changed()


class SelectionPanel(w.VBox):  # type: ignore[misc]
    """Rows picked for the push: ``selected_keys()`` and ``cleaned_frame()`` feed ``ddinc.push``."""

    def __init__(self, state: CleanerState, changed: Changed) -> None:
        super().__init__()
        self.state = state
        self.changed = changed
        self.summary = w.HTML()
        select = w.Button(description="Select all in view")
        select.on_click(lambda _: self._select(True))
        clear = w.Button(description="Deselect all in view")
        clear.on_click(lambda _: self._select(False))
        self.children = [self.summary, w.HBox([select, clear])]
        self.refresh()

    def _select(self, on: bool) -> None:
        self.state.select_filtered(on)
        self.changed()

    def refresh(self) -> None:
        """Count what is selected."""
        self.summary.value = (
            f"<b>{self.state.n_selected}</b> row(s) selected for the push. In Python: "
            "<code>cleaner.selected_keys()</code> and <code>cleaner.cleaned_frame()</code>."
        )


class RecipePanel(w.VBox):  # type: ignore[misc]
    """Save the recipe next to the data, and show it as polars code."""

    def __init__(self, state: CleanerState, changed: Changed) -> None:
        super().__init__()
        self.state = state
        self.path = w.Text(value="recipe.json", description="save to")
        save = w.Button(description="Save recipe")
        save.on_click(lambda _: self.save())
        show = w.Button(description="Show polars code")
        show.on_click(lambda _: self.show_code())
        self.message = w.HTML()
        self.code = w.Textarea(layout=w.Layout(width="100%", height="240px"))
        self.saved: Path | None = None
        self.children = [w.HBox([self.path, save, show]), self.message, self.code]

    def save(self) -> Path:
        """Write the recipe to the path typed."""
        self.saved = self.state.history.recipe.save(str(self.path.value))
        self.message.value = html.escape(
            f"saved {len(self.state.history.steps)} step(s) to {self.saved}"
        )
        return self.saved

    def show_code(self) -> str:
        """Put the recipe's polars code in the text box."""
        history = self.state.history
        self.code.value = to_polars_code(history.recipe, frame=history.original)
        return str(self.code.value)

    def refresh(self) -> None:
        """Nothing to redraw until asked."""
