"""The Cleaner's state, kept in Python: history, checks, facets, filters, sort, page, selection.

Nothing here draws anything; :class:`~ddinc.widgets.cleaner.Cleaner` shows it and forwards
the browser's clicks to it, and tests drive it directly. Large frames stay fast because a
page turn or a facet click never touches the whole frame:

- after each edit, every row's facet values and failing checks are computed once into a
  *cube*: one row per distinct combination, with its count and the positions of its rows;
- facet counts are sums over the cube (small), and the view (the rows that match the
  filters) is the sorted union of the matching combinations' positions;
- a page is a slice of the view, rendered for those rows only.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl

from ddinc.checks import CheckContext, CheckReport, Level, run_checks
from ddinc.clean.facets import CHECK_FACET, FACETS, Where, facet_expr
from ddinc.clean.history import History
from ddinc.clean.ops import Deselect, Op, Select, SetCell, SetValues
from ddinc.clean.recipe import Recipe, StepReport
from ddinc.clean.values import EXCLUDED, SELECTED, JsonValue, choices, to_json
from ddinc.errors import ConfigError
from ddinc.rowkey import ROW_KEY
from ddinc.schema import TIMESTAMPS

__all__ = [
    "COLUMNS",
    "EDITABLE_IN_TABLE",
    "RECHECK_EVERY_EDIT_MAX_ROWS",
    "CleanerState",
]

COLUMNS: Final = (
    "title",
    "state",
    "severity",
    "impact_start",
    "detected",
    "declared",
    "resolved",
    "impact_end",
    "time_to_resolve",
    "commander",
    "teams",
    "services",
    "source",
    # The record's own words (updates, comments): what the times read from text cite.
    "notes",
)
EDITABLE_IN_TABLE: Final = ("title", "state", "severity", *TIMESTAMPS)
# Above this many rows, the checks run when asked (a button) rather than after every edit:
# at 1,000,000 rows they take seconds, and an edit should answer at once.
RECHECK_EVERY_EDIT_MAX_ROWS: Final = 250_000
_POS: Final = "__pos"


def _check_column(name: str) -> str:
    return f"check:{name}"


def _text(value: object) -> str | None:
    """A cell as the table shows it (``None`` stays ``None``: the browser draws it apart)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if hasattr(value, "total_seconds"):
        seconds = value.total_seconds()
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        hours, rest = divmod(int(seconds), 3600)
        return f"{sign}{hours}h {rest // 60:02d}m"
    return str(value)


class CleanerState:
    """Everything the Cleaner shows, and every action it offers, over one loaded frame.

    Parameters
    ----------
    frame
        The loaded canonical frame (with ``row_key``); never changed.
    recipe
        Steps to start from.
    check_context
        Parameters of the checks.
    known_emails
        Emails of the Datadog users (for the ``people`` facet).
    page_size
        Rows per page.
    recheck
        ``"every_edit"``, ``"on_demand"`` or ``"auto"`` (every edit up to
        :data:`RECHECK_EVERY_EDIT_MAX_ROWS` rows).
    """

    def __init__(
        self,
        frame: pl.DataFrame,
        recipe: Recipe | None = None,
        *,
        check_context: CheckContext | None = None,
        known_emails: Collection[str] | None = None,
        page_size: int = 50,
        recheck: str = "auto",
    ) -> None:
        if ROW_KEY not in frame.columns:
            raise ConfigError("the Cleaner needs a frame with row_key: load it with ddinc.load")
        if recheck not in ("auto", "every_edit", "on_demand"):
            raise ConfigError(f"recheck must be auto, every_edit or on_demand, not {recheck!r}")
        self.check_context = check_context or CheckContext()
        self.known_emails = frozenset(known_emails) if known_emails is not None else None
        self.history = History(
            frame, recipe, check_context=self.check_context, known_emails=self.known_emails
        )
        self.page_size = page_size
        auto = frame.height <= RECHECK_EVERY_EDIT_MAX_ROWS
        self.recheck_every_edit = recheck == "every_edit" or (recheck == "auto" and auto)
        self.filters: dict[str, list[str | None]] = {}
        self.sort: tuple[str, bool] | None = None
        self.page = 0
        self._selected_at: tuple[int, int] = (0, -1)
        self._n_selected = 0
        self.report: CheckReport = self._run_checks()
        self.checked_at = len(self.history.steps)
        self._index()

    # --- derived data ---------------------------------------------------------------------

    def _run_checks(self) -> CheckReport:
        return run_checks(self.history.marked, context=self.check_context)

    def recheck(self) -> None:
        """Run the checks on the current frame and refresh facets and badges."""
        self.report = self._run_checks()
        self.checked_at = len(self.history.steps)
        self._index()

    @property
    def checks_stale(self) -> bool:
        """True when edits were made since the checks last ran."""
        return self.checked_at != len(self.history.steps)

    def _index(self) -> None:
        marked = self.history.marked
        names = [result.name for result in self.report.results]
        values = marked.select(
            *(facet_expr(name, self.known_emails) for name in FACETS),
            pl.int_range(pl.len(), dtype=pl.Int64).alias(_POS),
        )
        flags = marked.select(
            pl.col(ROW_KEY)
            .is_in(result.rows.get_column(ROW_KEY).implode())
            .alias(_check_column(result.name))
            if result.n_failing
            else pl.repeat(False, pl.len()).alias(_check_column(result.name))
            for result in self.report.results
        )
        self._rows = values.hstack(flags.get_columns()) if flags.width else values
        # What a page shows, with list columns in one chunk: gathering 50 rows of a list
        # column split in chunks (as Parquet reads it) costs O(rows), in one chunk O(page).
        # A canonical CSV written before notes existed has none: shown empty.
        shown = marked.select(
            ROW_KEY,
            EXCLUDED,
            SELECTED,
            *(
                pl.col(name) if name in marked.columns else pl.lit(None).alias(name)
                for name in COLUMNS
            ),
        )
        lists = [name for name, dtype in shown.schema.items() if isinstance(dtype, pl.List)]
        self._shown = shown.with_columns(shown.get_column(name).rechunk() for name in lists)
        keys = [*FACETS, *(_check_column(name) for name in names)]
        self._cube = self._rows.group_by(keys, maintain_order=True).agg(
            pl.len().alias("n"), pl.col(_POS)
        )
        self._levels = {result.name: result.level for result in self.report.results}
        self._refresh_view()

    def _cube_filter(self, skip: str | None = None) -> pl.Expr:
        parts = []
        for name, accepted in self.filters.items():
            if name == skip or not accepted:
                continue
            if name == CHECK_FACET:
                known = [c for c in accepted if c is not None and c in self._levels]
                parts.append(
                    pl.any_horizontal([pl.col(_check_column(c)) for c in known] or [pl.lit(False)])
                )
                continue
            texts = [value for value in accepted if value is not None]
            mask = pl.col(name).is_in(pl.Series(texts, dtype=pl.String).implode()).fill_null(False)
            if None in accepted:
                mask = mask | pl.col(name).is_null()
            parts.append(mask)
        return pl.all_horizontal(parts) if parts else pl.lit(True)

    def _refresh_view(self) -> None:
        # Filtered and unsorted, the view stays lazy: the matching cube rows, each holding its
        # rows' positions in load order. A page near the top is read from the heads of those
        # lists (O(combinations x page)); the full sorted view is built only when needed.
        self._matching: pl.DataFrame | None = None
        self._view: pl.Series | None = None
        if any(self.filters.values()):
            self._matching = self._cube.filter(self._cube_filter())
        if self.sort is not None:
            column, descending = self.sort
            base = self._materialised()
            values = self.history.marked.get_column(column).gather(base)
            if isinstance(values.dtype, pl.List):
                values = values.list.join("; ")
            # A stable sort: rows with equal values stay in load order, page after page.
            ordered = pl.DataFrame({"value": values, _POS: base}).sort(
                "value", descending=descending, nulls_last=True, maintain_order=True
            )
            self._view = ordered.get_column(_POS)
        self.page = min(self.page, self.pages - 1)

    def _materialised(self) -> pl.Series:
        """Every position of the view, in load order (filters applied, no sort)."""
        if self._matching is None:
            return pl.int_range(self.history.marked.height, dtype=pl.Int64, eager=True)
        if self._view is None:
            self._view = self._matching.get_column(_POS).explode().drop_nulls().sort()
        return self._view

    # --- what the table shows --------------------------------------------------------------

    @property
    def total(self) -> int:
        """Rows in the view (after filters)."""
        if self._view is not None:
            return self._view.len()
        if self._matching is not None:
            return int(self._matching.get_column("n").sum())
        return self.history.marked.height

    @property
    def pages(self) -> int:
        """Pages in the view."""
        return max(1, -(-self.total // self.page_size))

    def page_positions(self) -> pl.Series:
        """Positions (in the marked frame) of the rows on the current page."""
        start = self.page * self.page_size
        if self._view is not None:
            return self._view.slice(start, self.page_size)
        if self._matching is None:
            end = min(start + self.page_size, self.history.marked.height)
            return pl.int_range(start, max(start, end), dtype=pl.Int64, eager=True)
        need = start + self.page_size
        if need * self._matching.height < self.total:
            heads = self._matching.select(pl.col(_POS).list.head(need)).to_series()
            return heads.explode().drop_nulls().sort().slice(start, self.page_size)
        return self._materialised().slice(start, self.page_size)

    def page_rows(self) -> list[dict[str, Any]]:
        """The current page, JSON-ready: key, marks, badges and the shown cells."""
        positions = self.page_positions()
        picked = self._shown.gather(positions)
        checks = self._rows.gather(positions).select([_check_column(name) for name in self._levels])
        rows = []
        for record, flags in zip(picked.iter_rows(named=True), checks.iter_rows(), strict=True):
            badges = [
                [name, self._levels[name].value]
                for name, failing in zip(self._levels, flags, strict=True)
                if failing
            ]
            badges.sort(key=lambda badge: badge[1] != Level.ERROR.value)
            rows.append(
                {
                    "key": record[ROW_KEY],
                    "selected": bool(record[SELECTED]),
                    "excluded": bool(record[EXCLUDED]),
                    "badges": badges,
                    "cells": {name: _text(record[name]) for name in COLUMNS},
                }
            )
        return rows

    def facet_counts(self) -> dict[str, list[list[Any]]]:
        """Per facet: ``[value, count, active]``, counted over the rows the *other* facets keep."""
        counts: dict[str, list[list[Any]]] = {}
        for name in FACETS:
            scope = self._cube.filter(self._cube_filter(skip=name))
            tally = (
                scope.group_by(name)
                .agg(pl.col("n").sum())
                .sort(["n", name], descending=[True, False], nulls_last=True)
            )
            accepted = self.filters.get(name) or []
            counts[name] = [[value, n, value in accepted] for value, n in tally.iter_rows()]
        scope = self._cube.filter(self._cube_filter(skip=CHECK_FACET))
        accepted = self.filters.get(CHECK_FACET) or []
        sums = (
            scope.select(
                (pl.col(_check_column(name)).cast(pl.Int64) * pl.col("n")).sum().alias(name)
                for name in self._levels
            ).row(0, named=True)
            if self._levels
            else {}
        )
        check_counts = [
            [name, int(sums[name] or 0), name in accepted, level.value]
            for name, level in self._levels.items()
            if sums[name]
        ]
        counts[CHECK_FACET] = check_counts
        return counts

    # --- navigation -------------------------------------------------------------------------

    def set_page(self, page: int) -> None:
        """Go to ``page`` (clamped to the pages there are)."""
        self.page = max(0, min(int(page), self.pages - 1))

    def set_sort(self, column: str | None, descending: bool = False) -> None:
        """Sort the view by ``column`` (``None``: load order)."""
        if column is not None and column not in (*COLUMNS, ROW_KEY):
            raise ConfigError(f"cannot sort by {column!r}; sortable columns: {', '.join(COLUMNS)}")
        self.sort = None if column is None else (column, descending)
        self._refresh_view()

    def set_filters(self, filters: dict[str, Sequence[str | None]]) -> None:
        """Replace the facet filters (facet -> accepted values; empty list = no filter)."""
        for name in filters:
            if name not in FACETS and name != CHECK_FACET:
                raise ConfigError(
                    f"no facet named {name!r}; facets: {', '.join([*FACETS, CHECK_FACET])}"
                )
        self.filters = {name: list(values) for name, values in filters.items() if values}
        self.page = 0
        self._refresh_view()

    def toggle(self, facet: str, value: str | None) -> None:
        """Add ``value`` to the facet's filter, or take it out if it is there."""
        accepted = list(self.filters.get(facet, []))
        if value in accepted:
            accepted.remove(value)
        else:
            accepted.append(value)
        self.set_filters({**self.filters, facet: accepted})

    @property
    def where(self) -> Where:
        """The current filters as a recipe scope."""
        return Where(facets={name: values for name, values in self.filters.items() if values})

    # --- edits ------------------------------------------------------------------------------

    def do(self, step: Op) -> StepReport:
        """Apply ``step``, then refresh checks (per ``recheck``), facets and the view."""
        report = self.history.do(step)
        self._after_edit()
        return report

    def _after_edit(self) -> None:
        if self.recheck_every_edit:
            self.report = self._run_checks()
            self.checked_at = len(self.history.steps)
        self._index()

    def undo(self) -> Op | None:
        """Take back the last step."""
        step = self.history.undo()
        if step is not None:
            self._after_edit()
        return step

    def redo(self) -> Op | None:
        """Apply the last undone step again."""
        step = self.history.redo()
        if step is not None:
            self._after_edit()
        return step

    def cell_json(self, key: str, column: str) -> JsonValue:
        """The recipe value of one cell of the row ``key``."""
        found = self.history.marked.filter(pl.col(ROW_KEY) == key)
        if found.is_empty():
            raise ConfigError(f"no row with key {key!r}")
        return to_json(found.get_column(column)[0])

    def edit(self, key: str, column: str, typed: str | None) -> StepReport:
        """Edit one cell as typed in the table: checked, recorded with the value it replaces."""
        if column not in EDITABLE_IN_TABLE:
            raise ConfigError(f"{column} is not editable in the table; use a recipe step")
        value: JsonValue = typed
        if typed is not None and (choices(column) or column in TIMESTAMPS) and not typed.strip():
            value = None
        elif typed is not None and column in TIMESTAMPS:
            text = typed.strip().replace(" ", "T").removesuffix("Z")
            has_offset = "+" in text[10:] or "-" in text[10:]
            value = text if has_offset else text + "+00:00"
        step = SetCell(key=key, column=column, expected=self.cell_json(key, column), value=value)
        return self.do(step)

    def bulk_set(self, column: str, value: str | None) -> StepReport:
        """Set ``column`` on every row of the current facets (all rows when none is set)."""
        return self.do(SetValues(column=column, value=value, where=self.where))

    def select(self, keys: Sequence[str], on: bool = True) -> StepReport:
        """Tick (or untick) rows for the push."""
        return self.do(Select(keys=list(keys)) if on else Deselect(keys=list(keys)))

    def select_filtered(self, on: bool = True) -> StepReport:
        """Select (or deselect) every row the current facets keep."""
        where = self.where
        return self.do(Select(where=where) if on else Deselect(where=where))

    # --- what the rest of the notebook reads --------------------------------------------------

    def selected_keys(self) -> list[str]:
        """Row keys selected for the push."""
        return self.history.replay.selected_keys

    @property
    def n_selected(self) -> int:
        """How many rows are selected for the push."""
        marked = self.history.marked
        if self._selected_at != (id(marked), marked.height):
            picked = marked.get_column(SELECTED) & ~marked.get_column(EXCLUDED)
            self._n_selected = int(picked.sum())
            self._selected_at = (id(marked), marked.height)
        return self._n_selected

    def cleaned_frame(self) -> pl.DataFrame:
        """The cleaned frame: the loaded one + the recipe, excluded rows left out."""
        return self.history.frame

    def history_lines(self) -> list[str]:
        """The steps done, one line each, with what each changed."""
        return [
            f"{report.index + 1}. {report.description} ({report.status}, {report.changed} changed)"
            for report in self.history.reports
        ]
