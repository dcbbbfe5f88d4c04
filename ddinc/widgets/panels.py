"""The Cleaner's side panels (plain ipywidgets): suggestions, clusters, people, bulk edits,
selection for the push, and the recipe.

Each panel works on the shared :class:`~ddinc.widgets.state.CleanerState` and calls
``changed()`` after an edit so that the table redraws. A panel computes when it is shown and
only when what it reads changed (:meth:`Panel.show` compares the state's version counters with
the ones it last drew); the costly ones (suggestions, clusters) compute only when their button
is pressed. What a panel found is kept in plain attributes (``suggestions``, ``clusters``,
``people``...), so tests read it without a browser.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import ipywidgets as w
import polars as pl

from ddinc.clean.cluster import METHODS, Cluster, cluster_values
from ddinc.clean.codegen import to_polars_code
from ddinc.clean.ops import MapPerson
from ddinc.clean.people import Person, UserChoice, propose_user, unmapped_people
from ddinc.clean.recipe import Recipe
from ddinc.clean.suggest import Suggestion, suggest
from ddinc.clean.values import choices
from ddinc.errors import DdincError
from ddinc.widgets.state import CleanerState

__all__ = [
    "CLUSTER_COLUMNS",
    "BulkPanel",
    "Changed",
    "ClusterPanel",
    "Panel",
    "PeoplePanel",
    "RecipePanel",
    "SelectionPanel",
    "SuggestionsPanel",
    "frame_html",
]

Changed = Callable[[], None]
CLUSTER_COLUMNS: Final = ("teams", "services", "commander", "declared_by", "title")
_STYLE: Final = """<style>
.dd-preview { border-collapse: collapse; font-size: 11px; margin: 4px 0; }
.dd-preview th, .dd-preview td { border: 1px solid var(--jp-border-color2, #ccc);
  padding: 2px 6px; text-align: left; vertical-align: top; max-width: 420px;
  overflow-wrap: anywhere; }
.dd-preview th { background: var(--jp-layout-color2, #eee); }
.dd-preview td.before { background: #fde8e8; text-decoration: line-through; color: #800; }
.dd-preview td.after { background: #e6f6e6; color: #060; }
.dd-preview i { color: #777; }
</style>"""


def frame_html(frame: pl.DataFrame, limit: int = 10, max_chars: int | None = None) -> str:
    """The first ``limit`` rows of ``frame`` as an escaped, styled HTML table.

    Null shows as *null*; ``before`` / ``after`` columns are tinted red and green so a
    preview reads as a change; ``max_chars`` cuts long cells (payloads), the full text kept
    in the cell's tooltip.
    """
    head = "".join(f"<th>{html.escape(name)}</th>" for name in frame.columns)
    kinds = [name if name in ("before", "after") else "" for name in frame.columns]

    def cell(value: object, kind: str) -> str:
        css = f" class='{kind}'" if kind else ""
        if value is None:
            return f"<td{css}><i>null</i></td>"
        text = str(value)
        shown = html.escape(text[:max_chars])
        title = f" title='{html.escape(text)}'" if max_chars and len(text) > max_chars else ""
        return f"<td{css}{title}>{shown}</td>"

    body = "".join(
        "<tr>" + "".join(cell(v, k) for v, k in zip(row, kinds, strict=True)) + "</tr>"
        for row in frame.head(limit).iter_rows()
    )
    more = f"<p>... {frame.height - limit} more</p>" if frame.height > limit else ""
    return f"{_STYLE}<table class='dd-preview'><tr>{head}</tr>{body}</table>{more}"


def _button(description: str, **kwargs: Any) -> w.Button:
    """A button that shows its whole label (and says it again as a tooltip)."""
    return w.Button(
        description=description,
        tooltip=kwargs.pop("tooltip", description),
        layout=w.Layout(width="auto", max_width="100%"),
        **kwargs,
    )


class Panel(w.VBox):  # type: ignore[misc]
    """A panel that redraws when shown, and only when the state changed since it last drew."""

    def __init__(self, state: CleanerState, changed: Changed) -> None:
        super().__init__()
        self.state = state
        self.changed = changed
        self.drawn_at: tuple[int, int] | None = None

    def _versions(self) -> tuple[int, int]:
        return (self.state.version, self.state.selection_version)

    def show(self) -> None:
        """Draw if what the panel reads changed since it last drew."""
        if self.drawn_at != self._versions():
            self.refresh()
            self.drawn_at = self._versions()

    def refresh(self) -> None:
        """Draw the panel from the state (subclasses)."""


class SuggestionsPanel(Panel):
    """Fixes proposed by the checks, found when asked: preview each group, accept it."""

    def __init__(self, state: CleanerState, changed: Changed) -> None:
        super().__init__(state, changed)
        self.suggestions: list[Suggestion] = []
        self.accepted: list[str] = []
        self.buttons: list[w.Button] = []
        self.found_at: int | None = None
        self.find = _button("Find fixes", button_style="info")
        self.find.add_class("dd-find-fixes")
        self.find.on_click(lambda _: self.search())
        self.note = w.HTML()
        self.items = w.VBox()
        self.children = [w.HBox([self.find, self.note]), self.items]
        self.refresh()

    def refresh(self) -> None:
        """Say whether the proposals shown are of the current frame."""
        state = self.state
        if self.found_at is None:
            run = " (runs the checks first)" if state.checks_stale else ""
            self.note.value = f"Proposals are computed when asked{run}."
        elif self.found_at != state.version:
            self.note.value = "<b>The frame changed since:</b> find fixes again."
        else:
            self.note.value = f"{len(self.suggestions)} proposal(s) for the current frame."

    def search(self) -> list[Suggestion]:
        """Run the checks if they are stale, then ask them for proposals."""
        state = self.state
        if state.checks_stale:
            state.recheck()
            self.changed()
        self.suggestions = suggest(state.history.marked, state.report, context=state.check_context)
        self.found_at = state.version
        self._draw()
        self.refresh()
        return self.suggestions

    def _draw(self) -> None:
        items: list[w.Widget] = []
        self.buttons = []
        marked = self.state.history.marked
        for index, suggestion in enumerate(self.suggestions):
            label = "Accept" + (" (a guess: review it)" if suggestion.needs_review else "")
            accept = _button(
                label,
                button_style="warning" if suggestion.needs_review else "success",
                tooltip=suggestion.title,
            )
            accept.add_class(f"dd-accept-{index}")
            accept.on_click(lambda _, s=suggestion: self.accept(s))
            self.buttons.append(accept)
            preview = frame_html(suggestion.preview(marked))
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
        self.items.children = items

    def accept(self, suggestion: Suggestion) -> None:
        """Apply a proposal's steps (enabled, even the guesses: the analyst asked)."""
        for step in suggestion.steps:
            self.state.do(step.model_copy(update={"enabled": True}))
        self.accepted.append(suggestion.title)
        self.suggestions = [s for s in self.suggestions if s is not suggestion]
        self.found_at = self.state.version if self.found_at is not None else None
        self._draw()
        self.changed()
        self.refresh()


class ClusterPanel(Panel):
    """Near-duplicate values of a column, in the rows in view, merged into any value."""

    def __init__(self, state: CleanerState, changed: Changed) -> None:
        super().__init__(state, changed)
        self.clusters: list[Cluster] = []
        self.column = w.Dropdown(options=list(CLUSTER_COLUMNS), value="teams", description="column")
        self.method = w.Dropdown(options=list(METHODS), value="fingerprint", description="method")
        self.radius = w.FloatSlider(
            value=0.85,
            min=0.5,
            max=1.0,
            step=0.01,
            description="similarity",
            tooltip="levenshtein: the least normalised similarity two values need to cluster",
        )
        self.find = _button("Find clusters in view")
        self.find.on_click(lambda _: self.search())
        self.scope = w.HTML()
        self.results = w.VBox()
        self.merge_buttons: list[w.Button] = []
        self.targets: list[w.Combobox] = []
        self.children = [
            w.HBox([self.column, self.method, self.radius, self.find]),
            self.scope,
            self.results,
        ]
        self.refresh()

    def refresh(self) -> None:
        """Say which rows a search would cluster."""
        self.scope.value = html.escape(
            f"scope: {self.state.where.describe()} ({self.state.total:,} rows)"
        )

    def search(self) -> list[Cluster]:
        """Cluster the chosen column over the rows the filters keep."""
        self.clusters = cluster_values(
            self.state.rows_in_view(),
            str(self.column.value),
            self.method.value,
            threshold=float(self.radius.value),
        )
        rows: list[w.Widget] = []
        self.merge_buttons, self.targets = [], []
        for cluster in self.clusters[:30]:
            values = ", ".join(f"{html.escape(repr(v))} ({n})" for v, n in cluster.values)
            target = w.Combobox(
                value=cluster.into,
                options=[value for value, _ in cluster.values],
                description="into",
                ensure_option=False,
                tooltip="merge into any value: pick one of the cluster or type another",
            )
            target.add_class("dd-merge-target")
            button = _button("Merge", tooltip=f"merge {len(cluster.values)} values")
            button.on_click(lambda _, c=cluster, t=target: self.merge(c, str(t.value)))
            self.merge_buttons.append(button)
            self.targets.append(target)
            sampled = " <i>(most frequent values only)</i>" if cluster.sampled else ""
            rows.append(w.VBox([w.HTML(values + sampled), w.HBox([target, button])]))
        self.results.children = rows or [w.HTML("No clusters.")]
        self.refresh()
        return self.clusters

    def merge(self, cluster: Cluster, into: str | None = None) -> None:
        """Merge one cluster into ``into`` (default: its most frequent value), in view only."""
        where = self.state.where
        scoped = where if where.facets or where.search else None
        self.state.do(cluster.merge(into=into or cluster.into, where=scoped))
        self.changed()
        self.search()


class PeoplePanel(Panel):
    """Legacy people mapped to Datadog users (the users come from the notebook's client)."""

    def __init__(self, state: CleanerState, users: Sequence[UserChoice], changed: Changed) -> None:
        super().__init__(state, changed)
        self.users = list(users)
        self.people: list[Person] = []
        self.pickers: dict[str, w.Dropdown] = {}

    def _versions(self) -> tuple[int, int]:
        return (self.state.version, 0)

    def refresh(self) -> None:
        """List the people of the current frame who are not a known user's email."""
        if not self.users:
            self.children = [
                w.HTML(
                    "No Datadog users: give the Cleaner a client or a connection "
                    "(<code>Cleaner(frame, connection=...)</code>) to map people."
                )
            ]
            return
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
            button = _button("Map", tooltip=f"map {name} to the chosen user in every row")
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
        self.show()


class BulkPanel(Panel):
    """Set state or severity on every row the facets keep."""

    def __init__(self, state: CleanerState, changed: Changed) -> None:
        super().__init__(state, changed)
        self.column = w.Dropdown(options=["state", "severity"], value="state", description="set")
        self.value = w.Dropdown(options=list(choices("state") or ()), description="to")
        self.column.observe(self._column_changed, names="value")
        self.apply = _button("Apply to the rows in view")
        self.apply.on_click(lambda _: self.run())
        self.scope = w.HTML()
        self.children = [w.HBox([self.column, self.value, self.apply]), self.scope]
        self.refresh()

    def _column_changed(self, change: dict[str, object]) -> None:
        self.value.options = list(choices(str(change["new"])) or ())

    def refresh(self) -> None:
        """Say which rows a bulk edit would touch."""
        self.scope.value = html.escape(
            f"scope: {self.state.where.describe()} ({self.state.total:,} rows)"
        )

    def run(self) -> None:
        """Apply the bulk edit to the facet scope."""
        self.state.bulk_set(str(self.column.value), self.value.value)
        self.changed()
        self.refresh()


class SelectionPanel(Panel):
    """Rows picked for the push: ``selected_keys()`` and ``cleaned_frame()`` feed ``ddinc.push``.

    The selection is not a recipe step: ticking never clears what Undo could redo.
    """

    def __init__(self, state: CleanerState, changed: Changed) -> None:
        super().__init__(state, changed)
        self.summary = w.HTML()
        self.select_button = _button("Select all in view")
        self.select_button.on_click(lambda _: self._select(True))
        self.clear_button = _button("Deselect all in view")
        self.clear_button.on_click(lambda _: self._select(False))
        self.children = [self.summary, w.HBox([self.select_button, self.clear_button])]
        self.refresh()

    def _select(self, on: bool) -> None:
        self.state.select_filtered(on)
        self.changed()
        self.refresh()

    def refresh(self) -> None:
        """Count what is selected."""
        self.summary.value = (
            f"<b>{self.state.n_selected:,}</b> row(s) selected for the push. In Python: "
            "<code>cleaner.selected_keys()</code> and <code>cleaner.cleaned_frame()</code>."
        )


class RecipePanel(Panel):
    """Save or download the recipe, apply a saved one, and show it as polars code."""

    def __init__(self, state: CleanerState, changed: Changed) -> None:
        super().__init__(state, changed)
        self.path = w.Text(value="recipe.json", description="file")
        save = _button("Save recipe", tooltip="write the recipe to the file named")
        save.on_click(lambda _: self.save())
        load = _button("Apply saved recipe", tooltip="apply the steps of the file named")
        load.on_click(lambda _: self.apply_file())
        show = _button("Show polars code")
        show.on_click(lambda _: self.show_code())
        self.download = w.HTML()
        self.message = w.HTML()
        self.code = w.Textarea(layout=w.Layout(width="100%", height="240px"))
        self.saved: Path | None = None
        self.children = [
            w.HBox([self.path, save, load, show]),
            self.download,
            self.message,
            self.code,
        ]
        self.refresh()

    def _versions(self) -> tuple[int, int]:
        return (self.state.version, 0)

    def refresh(self) -> None:
        """Offer the current recipe as a download (a link carrying the JSON)."""
        recipe = self.state.history.recipe
        data = base64.b64encode(recipe.to_json().encode()).decode()
        self.download.value = (
            f"<a class='dd-download' download='recipe.json' "
            f"href='data:application/json;base64,{data}'>Download the current recipe "
            f"({len(recipe.steps)} step(s))</a>"
        )

    def save(self) -> Path:
        """Write the recipe to the path typed."""
        self.saved = self.state.history.recipe.save(str(self.path.value))
        self.message.value = html.escape(
            f"saved {len(self.state.history.steps)} step(s) to {self.saved}"
        )
        return self.saved

    def apply_file(self, path: str | Path | None = None) -> list[str]:
        """Apply every step of a saved recipe (one history entry each); their statuses."""
        try:
            recipe = Recipe.load(path if path is not None else str(self.path.value))
        except DdincError as error:
            self.message.value = f"<b>cannot apply:</b> {html.escape(str(error))}"
            return []
        statuses = [self.state.do(step).status for step in recipe.steps]
        applied = sum(status == "applied" for status in statuses)
        self.message.value = html.escape(
            f"applied {applied} of {len(statuses)} step(s) in full; the history lists each"
        )
        self.changed()
        return statuses

    def show_code(self) -> str:
        """Put the recipe's polars code in the text box."""
        history = self.state.history
        self.code.value = to_polars_code(history.recipe, frame=history.original)
        return str(self.code.value)
