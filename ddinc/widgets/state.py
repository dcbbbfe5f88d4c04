"""The Cleaner's state, kept in Python: history, checks, facets, filters, sort, page, selection.

Nothing here draws anything; :class:`~ddinc.widgets.cleaner.Cleaner` shows it and forwards
the browser's clicks to it, and tests drive it directly. A click costs about the same at a
million rows as at ten thousand because nothing it does walks the whole frame:

- facet counts and filters work on a :class:`~ddinc.widgets.index.FacetIndex` (rows grouped
  into combinations of facet values); a step that touched a few rows moves only those rows;
- a cell edit stays in the history's overlay (no column copy) and a page reads through it;
- the view (rows the filters keep, sorted) is rebuilt only when its inputs changed;
- the selection for the push is an array of its own, not a recipe step;
- the checks run on demand above :data:`RECHECK_EVERY_EDIT_MAX_ROWS` rows (a button).

``version`` counts the changes of the data (steps, undo, redo, jumps, re-checks) and
``selection_version`` those of the selection: panels compare them with what they last drew
and compute only when shown and stale.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import polars as pl

from ddinc.checks import DEFAULT_CHECKS, CheckContext, CheckReport, Level, run_checks
from ddinc.checks.rows import failing_rows_of, row_local_checks, row_messages
from ddinc.clean.facets import (
    CHECK_FACET,
    FACETS,
    LIST_FACETS,
    Where,
    facet_expr,
    list_facet_expr,
    range_mask,
    search_mask,
    where_mask,
)
from ddinc.clean.history import History
from ddinc.clean.ops import Op, SetCell, SetValues
from ddinc.clean.recipe import Recipe, StepReport
from ddinc.clean.values import (
    EXCLUDED,
    SELECTED,
    JsonValue,
    choices,
    positions_of,
    to_json,
    to_python,
)
from ddinc.errors import ConfigError
from ddinc.rowkey import ROW_KEY
from ddinc.schema import DURATIONS, TIMESTAMPS
from ddinc.widgets.index import FacetIndex, facet_reads, facet_values
from ddinc.widgets.orders import SortOrders

__all__ = [
    "COLUMNS",
    "EDITABLE_IN_TABLE",
    "FACET_ORDER",
    "RECHECK_EVERY_EDIT_MAX_ROWS",
    "RECHECK_TOUCHED_MAX_ROWS",
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
)
EDITABLE_IN_TABLE: Final = ("title", "state", "severity", "commander", *TIMESTAMPS)
FACET_ORDER: Final = (CHECK_FACET, *FACETS, *LIST_FACETS)
"""Facets in the order the Cleaner lists them."""
# Up to this many rows the checks run again after every step (about 0.2 s at 20,000 rows);
# above it they run when asked (a button), so that an edit answers at once.
RECHECK_EVERY_EDIT_MAX_ROWS: Final = 20_000
# Above it ("auto"), the row-local checks (each row's verdict reads that row alone) are run on
# the whole frame when the Cleaner is built (0.4 s at a million rows), then on the rows each
# step touched, up to this many (7 ms for one row, 8 ms for 2,400; 166,000 would take 40 ms,
# so a larger step leaves them for the Check button, as the checks that compare rows are).
RECHECK_TOUCHED_MAX_ROWS: Final = 20_000
# Facets whose values are sorted by value rather than by count.
_BY_VALUE: Final = ("month", "duration")
# Rows of the index read at a time when a page is looked for from the top.
_BLOCK: Final = 65_536
# Values a facet ordered by count shows at most (the most frequent).
_LIST_TOP: Final = 50


def _with_durations(columns: Collection[str]) -> set[str]:
    """``columns``, plus the durations when a timestamp is among them."""
    written = set(columns)
    if written & set(TIMESTAMPS):
        written |= set(DURATIONS)
    return written


def _text(value: object) -> str | None:
    """A cell as the table shows it (``None`` stays ``None``: the browser draws it apart)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(value, list | pl.Series):
        return "; ".join(str(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items() if v is not None)
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
        :data:`RECHECK_EVERY_EDIT_MAX_ROWS` rows, else on demand: the first run too).
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
        self.row_checks_live = recheck == "auto" and not self.recheck_every_edit
        """True when the row-local checks follow every step (see RECHECK_TOUCHED_MAX_ROWS)."""
        self._row_checks_stale = False
        self._bit_of = {check.name: bit for bit, check in enumerate(DEFAULT_CHECKS)}
        self._row_local = {check.name for check in row_local_checks(DEFAULT_CHECKS)}
        self.filters: dict[str, list[str | None]] = {}
        self.search = ""
        self.regex = False
        self.ranges: dict[str, tuple[float | None, float | None]] = {}
        self.sort: tuple[str, bool] | None = None
        self.page = 0
        self.open_facets: set[str] = {CHECK_FACET, *FACETS}
        self.version = 0
        self.selection_version = 0
        self.checked_at: int | None = None
        self.report: CheckReport | None = None
        self._levels: dict[str, Level] = {}
        self._messages: dict[str, pl.DataFrame] = {}
        marked = self.history.marked
        self._excluded = marked.get_column(EXCLUDED).to_numpy().copy()
        self.selected = marked.get_column(SELECTED).to_numpy().copy() & ~self._excluded
        self._check_bits = np.zeros(marked.height, dtype=np.int64)
        self._view: np.ndarray | None = None
        self._view_key: tuple[Any, ...] | None = None
        # The whole frame's order by a column, per direction, kept until that column is written:
        # a sort click then only filters it by the view's mask (O(rows), no O(rows log rows)).
        # Both directions of every sortable column are computed in the background once the
        # state exists (about 9 MB a column at a million rows, 1 s of one core): a first sort
        # click then filters a ready order.
        self._orders = SortOrders(kept_descending=len(COLUMNS) + 1, descending_ahead=True)
        self._row_masks: dict[tuple[Any, ...], np.ndarray] = {}
        self._page_hint: dict[str, int] = {}
        self._n_selected: tuple[tuple[int, int], int] = ((-1, -1), 0)
        self._included_of: np.ndarray | None = None
        self._included_rows = np.zeros(0, dtype=bool)
        if self.recheck_every_edit:
            self._set_report(run_checks(marked, context=self.check_context))
        elif self.row_checks_live:
            self._levels = {check.name: check.level for check in DEFAULT_CHECKS}
            verdicts = failing_rows_of(marked, context=self.check_context)
            self._check_bits = self._with_verdicts(self._check_bits, verdicts)
        self._index = FacetIndex(facet_values(marked, self._check_bits, self.known_emails))
        self._facet_reads = facet_reads(self.known_emails)
        self._want_orders(None)

    # --- checks -----------------------------------------------------------------------------

    def _set_report(self, report: CheckReport) -> None:
        self.report = report
        self.checked_at = self.version
        self._levels = {result.name: result.level for result in report.results}
        self._messages = {
            result.name: result.rows.select(ROW_KEY, "message")
            for result in report.results
            if result.n_failing
        }
        bits = np.zeros(self.history.height, dtype=np.int64)
        keys = self.history.marked.select(ROW_KEY).with_row_index("__pos")
        for bit, result in enumerate(report.results):
            if not result.n_failing:
                continue
            found = keys.join(result.rows.select(ROW_KEY).unique(), on=ROW_KEY, how="semi")
            bits[found.get_column("__pos").to_numpy()] |= 1 << bit
        self._check_bits = bits

    def _with_verdicts(self, bits: np.ndarray, verdicts: Mapping[str, np.ndarray]) -> np.ndarray:
        """``bits`` (failing-check bitsets of some rows) with the given checks' verdicts."""
        bits = bits.copy()
        for name, failing in verdicts.items():
            bit = np.int64(1) << self._bit_of[name]
            bits = np.where(failing, bits | bit, bits & ~bit)
        return bits

    def _recheck_rows(self, touched: np.ndarray, written: set[str] | None) -> np.ndarray | None:
        """Re-run the row-local checks reading a written column on the touched rows; their new
        failing-check bitsets (``None``: nothing re-run)."""
        if not self.row_checks_live:
            return None
        if len(touched) > RECHECK_TOUCHED_MAX_ROWS:
            self._row_checks_stale = True
            return None
        context = self.check_context
        if self.history.has_pending:
            # Read through the overlay (reading the whole frame would write it).
            rows = self.history.rows(touched, self._data_columns())
            verdicts = failing_rows_of(rows, context=context, written=written)
        else:
            verdicts = failing_rows_of(
                self.history.marked, context=context, written=written, at=touched
            )
        if not verdicts:
            return None
        bits = self._with_verdicts(self._check_bits[touched], verdicts)
        self._check_bits[touched] = bits
        return bits

    def _data_columns(self) -> list[str]:
        return [name for name in self.history.schema if not name.startswith("__")]

    def recheck(self) -> None:
        """Run the checks on the current frame and refresh facets and badges."""
        self._row_checks_stale = False
        self._set_report(run_checks(self.history.marked, context=self.check_context))
        self._reindex()
        self.version += 1
        self.checked_at = self.version

    @property
    def checks_stale(self) -> bool:
        """True when the whole check report has not run, or edits were made since it ran
        (the row-local checks may still be current: :attr:`row_checks_live`)."""
        return self.checked_at != self.version

    @property
    def checks_note(self) -> str:
        """What the toolbar says about the checks (empty when they are current)."""
        if self.row_checks_live and self._row_checks_stale:
            return (
                f"checks are from before the last step (it changed over "
                f"{RECHECK_TOUCHED_MAX_ROWS:,} rows)"
            )
        if self.row_checks_live and self.checks_stale:
            when = "not run yet" if self.report is None else "from before the last edits"
            return f"row checks current; checks across rows (duplicates, outliers) {when}"
        if self.report is None:
            return f"checks not run yet ({self.history.height:,} rows)"
        if self.checks_stale:
            return "checks are from before the last edits"
        return ""

    def _checks_current(self, names: Collection[str | None]) -> bool:
        """True when the failing-check bits of the checks ``names`` are current."""
        if not self.checks_stale:
            return True
        return (
            self.row_checks_live
            and not self._row_checks_stale
            and all(name in self._row_local for name in names)
        )

    # --- the index and the view ---------------------------------------------------------------

    def _reindex(self) -> None:
        marked = self.history.marked
        self._index = FacetIndex(facet_values(marked, self._check_bits, self.known_emails))
        self._excluded = marked.get_column(EXCLUDED).to_numpy().copy()
        self._row_masks.clear()
        self._view = None

    def _after_change(
        self,
        columns: Collection[str] | None,
        constant: Mapping[str, object] | None = None,
        *,
        cell_edit: bool = False,
    ) -> None:
        """Bring the index and view up to date with the history's last change.

        ``constant``: column -> the one value the step wrote into every touched row of it;
        ``cell_edit``: the change was one cell (edited, or its edit undone or redone).
        """
        self.version += 1
        touched = self.history.touched
        written = None if columns is None else _with_durations(columns)
        if touched is None or len(touched):
            self._orders.forget(written)
            if not self.history.has_pending:
                # Written into the frame (a bulk step, an undo of one): sorted again ahead. A
                # cell edit stays in the overlay; its column's next sort is computed then.
                self._want_orders(written)
        if self.recheck_every_edit:
            self._set_report(run_checks(self.history.marked, context=self.check_context))
            self.checked_at = self.version
            self._reindex()
            return
        if touched is None:
            if self.row_checks_live:
                verdicts = failing_rows_of(self.history.marked, context=self.check_context)
                self._check_bits = self._with_verdicts(self._check_bits, verdicts)
                self._row_checks_stale = False
            self._reindex()
            return
        if not len(touched):
            return
        # Rows can enter or leave the view only if a filter reads a column the step wrote.
        filters_read = self._filters_read()
        moves = written is None or bool(filters_read & written)
        new_bits = self._recheck_rows(touched, written)
        moves = moves or (new_bits is not None and CHECK_FACET in filters_read)
        was_in = self._members(touched) if moves else None
        self._move_in_index(touched, written, constant, new_bits)
        if columns is None or any(name.startswith("__") for name in columns):
            self._excluded = self.history.column(EXCLUDED).to_numpy().copy()
        self._patch_row_masks(touched, written)
        # The view stays when no touched row entered or left it (no filter reads what the
        # step wrote, or the facet filters keep the same rows) and its order is not by a column
        # the step wrote: a cell edit at a million rows then costs no view rebuild.
        kept_members = not moves or (
            was_in is not None
            and bool((was_in == self._members(touched)).all())
            and not self.search
            and not self.ranges
            and not self._list_filters()
        )
        same = (
            columns is not None
            and kept_members
            and (
                self.sort is None
                or self.sort[0] not in _with_durations(columns)
                # A cell edit leaves its row where it is in a sorted view (as a spreadsheet
                # does: the row does not jump away from the analyst); the next sort places it.
                or cell_edit
            )
        )
        if not same:
            self._view = None

    def _filters_read(self) -> set[str]:
        """Columns the active filters read."""
        read: set[str] = set()
        for name, accepted in self.filters.items():
            if not accepted:
                continue
            if name in self._facet_reads:
                read |= self._facet_reads[name]
            elif name == CHECK_FACET:
                read.add(CHECK_FACET)
            else:
                read |= self._mask_reads(("list", name))
        if self.search:
            read |= self._mask_reads(("search",))
        read |= set(self.ranges)
        return read

    def _move_in_index(
        self,
        touched: np.ndarray,
        written: set[str] | None,
        constant: Mapping[str, object] | None = None,
        checks: np.ndarray | None = None,
    ) -> None:
        """Move the touched rows in the facet index: only the facets reading a written column
        are computed for them (a bulk state edit computes the state facet alone; from the one
        value it wrote, when the facet reads that column alone); ``checks``: their new
        failing-check bitsets, when re-run."""
        if written is None:
            rows = self.history.rows(touched, sorted(set().union(*self._facet_reads.values())))
            values = facet_values(rows, self._check_bits[touched], self.known_emails)
            self._index.update(touched, values)
            return
        affected = [name for name, reads in self._facet_reads.items() if reads & written]
        if not affected and checks is None:
            return
        constant = constant or {}
        once = [name for name in affected if self._facet_reads[name] <= constant.keys()]
        per_row = [name for name in affected if name not in once]
        by_facet: dict[str, pl.Series] = {}
        if once:
            schema = self.history.schema
            one = pl.DataFrame(
                {column: [constant[column]] for column in constant},
                schema={column: schema[column] for column in constant},
            )
            for name in once:
                value = one.select(facet_expr(name, self.known_emails).cast(pl.String)).item()
                by_facet[name] = pl.Series(name, [value], dtype=pl.String)
        if per_row:
            needed = sorted(set().union(*(self._facet_reads[name] for name in per_row)))
            rows = self.history.rows(touched, needed)
            computed = rows.select(
                facet_expr(name, self.known_emails).cast(pl.String) for name in per_row
            )
            by_facet.update((name, computed[name]) for name in per_row)
        self._index.recode(touched, by_facet, checks)

    def _patch_row_masks(self, touched: np.ndarray, written: set[str] | None) -> None:
        """Recompute the search, list-facet and range masks for the touched rows only (and
        only the masks reading a written column)."""
        stale = {
            key: mask
            for key, mask in self._row_masks.items()
            if written is None or self._mask_reads(key) & written
        }
        if not stale:
            return
        small = self.history.rows(touched, list(self.history.schema))
        for key, mask in stale.items():
            if key[0] == "search":
                part = search_mask(small, key[1], regex=key[2], columns=self._searched())
            elif key[0] == "range":
                part = range_mask(small, key[1], key[2], key[3])
            else:
                part = where_mask(small, Where(facets={key[1]: list(key[2])}))
            mask[touched] = part.to_numpy()

    def _mask_reads(self, key: tuple[Any, ...]) -> set[str]:
        """Columns a kept row mask (see :meth:`_row_mask`) is computed from."""
        if key[0] == "search":
            return set(self._searched())
        if key[0] == "range":
            return {key[1]}
        return set(list_facet_expr(key[1]).meta.root_names())

    def _members(self, positions: np.ndarray) -> np.ndarray | None:
        """Whether the rows at ``positions`` pass the facet filters (``None``: unknown)."""
        facet_filters = {k: v for k, v in self.filters.items() if k in FACETS and v}
        check_bits = self._check_filter()
        if not facet_filters and check_bits is None:
            return np.ones(len(positions), dtype=bool)
        passing = self._index.passing(facet_filters, check_bits)
        members: np.ndarray = passing[self._index.of_row[positions]]
        return members

    def _searched(self) -> list[str]:
        """Columns the text search reads: the text ones (timestamps are searched by facet)."""
        schema = self.history.schema
        return [
            name
            for name in (ROW_KEY, *COLUMNS, "declared_by", "incident_type", "notes")
            if name in schema
            and (
                schema[name] in (pl.String, pl.Categorical)
                or isinstance(schema[name], pl.Enum | pl.List)
            )
        ]

    def _list_filters(self) -> dict[str, list[str | None]]:
        return {k: v for k, v in self.filters.items() if k in LIST_FACETS and v}

    def _check_filter(self) -> int | None:
        accepted = self.filters.get(CHECK_FACET)
        if not accepted:
            return None
        bits = 0
        for name in accepted:
            if name in self._levels:
                bits |= 1 << self._bit_of[name]
        return bits

    def _row_mask(self, skip: str | None = None) -> np.ndarray | None:
        """Rows kept by the search and the list facets (``None``: no such filter)."""
        parts: list[np.ndarray] = []
        if self.search:
            key: tuple[Any, ...] = ("search", self.search, self.regex)
            if key not in self._row_masks:
                frame = self.history.marked
                mask = search_mask(frame, self.search, regex=self.regex, columns=self._searched())
                self._row_masks[key] = mask.to_numpy().copy()
            parts.append(self._row_masks[key])
        for name, accepted in self._list_filters().items():
            if name == skip:
                continue
            key = ("list", name, tuple(accepted))
            if key not in self._row_masks:
                where = Where(facets={name: accepted})
                found = where_mask(self.history.marked, where)
                self._row_masks[key] = found.to_numpy().copy()
            parts.append(self._row_masks[key])
        for column, (low, high) in self.ranges.items():
            key = ("range", column, low, high)
            if key not in self._row_masks:
                found = range_mask(self.history.marked, column, low, high)
                self._row_masks[key] = found.to_numpy().copy()
            parts.append(self._row_masks[key])
        if not parts:
            return None
        combined: np.ndarray = parts[0].copy()
        for part in parts[1:]:
            combined &= part
        return combined

    def _passing(self) -> np.ndarray | None:
        """Per combination of the index: kept by the facet filters (``None``: no filter)."""
        facet_filters = {k: v for k, v in self.filters.items() if k in FACETS and v}
        check_bits = self._check_filter()
        if not facet_filters and check_bits is None:
            return None
        return self._index.passing(facet_filters, check_bits)

    def _view_mask(self) -> np.ndarray | None:
        """Rows kept by every filter (``None``: every row)."""
        passing = self._passing()
        rows = self._row_mask()
        if passing is None:
            return rows
        mask: np.ndarray = np.take(passing, self._index.of_row)
        if rows is not None:
            mask &= rows
        return mask

    def _lazy(self) -> bool:
        """True when the view is read from the index alone (facet filters, load order)."""
        return (
            self.sort is None and not self.search and not self.ranges and not self._list_filters()
        )

    def view(self) -> np.ndarray | None:
        """Positions of the rows in view, in view order (``None``: every row, load order)."""
        key = (
            tuple(sorted((k, tuple(v)) for k, v in self.filters.items())),
            self.search,
            self.regex,
            tuple(sorted(self.ranges.items())),
            self.sort,
        )
        if self._view is not None and self._view_key == key:
            return self._view
        mask = self._view_mask()
        if self.sort is None:
            self._view = None if mask is None else np.flatnonzero(mask)
        else:
            order = self._order(*self.sort)
            # A stable order of the whole frame, filtered, is the stable order of the rows kept.
            self._view = order if mask is None else order[mask[order]]
        self._view_key = key
        return self._view

    def _order(self, column: str, descending: bool) -> np.ndarray:
        """Positions of every row ordered by ``column`` (stable, nulls last), kept for reuse."""
        # marked, not column(): a duration is rewritten only when the overlay is flushed
        return self._orders.order(column, self.history.marked.get_column(column), descending)

    @property
    def sorting_ahead(self) -> list[str]:
        """Columns whose sort order is being computed in the background (empty: all ready)."""
        return self._orders.pending()

    def _want_orders(self, columns: Collection[str] | None) -> None:
        """Have the sort orders of these columns (``None``: all) computed in the background."""
        marked = self.history.marked
        for name in (ROW_KEY, *COLUMNS):
            if columns is None or name in columns:
                self._orders.want(name, marked.get_column(name))

    # --- what the table shows --------------------------------------------------------------

    @property
    def total(self) -> int:
        """Rows in the view (after filters)."""
        if self._lazy():
            passing = self._passing()
            if passing is None:
                return self.history.height
            return int(self._index.n[passing].sum())
        view = self.view()
        return self.history.height if view is None else len(view)

    @property
    def pages(self) -> int:
        """Pages in the view."""
        return max(1, -(-self.total // self.page_size))

    def page_positions(self) -> pl.Series:
        """Positions (in the frame) of the rows on the current page."""
        self.page = max(0, min(self.page, self.pages - 1))
        start = self.page * self.page_size
        passing = self._passing() if self._lazy() else None
        if passing is not None:
            return pl.Series("pos", self._scan(passing, start), dtype=pl.Int64)
        view = None if self._lazy() else self.view()
        if view is None:
            end = min(start + self.page_size, self.history.height)
            return pl.int_range(start, max(start, end), dtype=pl.Int64, eager=True)
        return pl.Series("pos", view[start : start + self.page_size], dtype=pl.Int64)

    def _scan(self, passing: np.ndarray, start: int) -> np.ndarray:
        """The page's positions, found by reading the index block by block from the top."""
        of_row, found, seen = self._index.of_row, [], 0
        need = self.page_size
        for block in range(0, len(of_row), _BLOCK):
            hits = np.flatnonzero(np.take(passing, of_row[block : block + _BLOCK])) + block
            if seen + len(hits) > start:
                found.append(hits[max(0, start - seen) :])
                if sum(len(part) for part in found) >= need:
                    break
            seen += len(hits)
        if not found:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(found)[:need]

    def _badges(self, position: int) -> list[list[str]]:
        bits = int(self._check_bits[position])
        badges = [
            [name, level.value]
            for name, level in self._levels.items()
            if bits >> self._bit_of[name] & 1
        ]
        badges.sort(key=lambda badge: badge[1] != Level.ERROR.value)
        return badges

    def page_rows(self) -> list[dict[str, Any]]:
        """The current page, JSON-ready: key, marks, badges and the shown cells."""
        positions = self.page_positions()
        picked = self.history.rows(positions, [ROW_KEY, *COLUMNS])
        rows = []
        self._page_hint = {}
        for position, record in zip(positions.to_list(), picked.iter_rows(named=True), strict=True):
            self._page_hint[record[ROW_KEY]] = position
            rows.append(
                {
                    "key": record[ROW_KEY],
                    "selected": bool(self.selected[position]),
                    "excluded": bool(self._excluded[position]),
                    "badges": self._badges(position),
                    "cells": {name: _text(record[name]) for name in COLUMNS},
                }
            )
        return rows

    def facet_counts(self) -> dict[str, list[list[Any]]]:
        """Per open facet: ``[value, count, active]`` over the rows the *other* filters keep.

        The check facet's items carry the check's level as a fourth element. A closed facet
        is listed without values (it is counted when opened).
        """
        index = self._index
        facet_filters = {k: v for k, v in self.filters.items() if k in FACETS and v}
        check_bits = self._check_filter()
        rows = self._row_mask()
        weights = (
            index.n
            if rows is None
            else np.bincount(index.of_row[rows], minlength=len(index.n)).astype(np.int64)
        )
        counts: dict[str, list[list[Any]]] = {}
        for name in FACET_ORDER:
            if name not in self.open_facets:
                counts[name] = []
                continue
            accepted = self.filters.get(name) or []
            if name == CHECK_FACET:
                passing = index.passing(facet_filters, check_bits, skip=CHECK_FACET)
                sums = index.check_counts(len(self._levels), weights, passing)
                counts[name] = [
                    [check, n, check in accepted, level.value]
                    for (check, level), n in zip(self._levels.items(), sums, strict=True)
                    if n
                ]
            elif name in FACETS:
                passing = index.passing(facet_filters, check_bits, skip=name)
                tally = index.counts(name, weights, passing)
                if name in _BY_VALUE:
                    tally.sort(key=lambda item: (item[0] is None, item[0] or ""))
                else:
                    tally.sort(key=lambda item: (-item[1], item[0] is None, item[0] or ""))
                    # The most frequent values (a commander facet may hold thousands), and
                    # every accepted one, so that it can be clicked off.
                    tally = tally[:_LIST_TOP] + [
                        item for item in tally[_LIST_TOP:] if item[0] in accepted
                    ]
                counts[name] = [[value, n, value in accepted] for value, n in tally]
            else:
                counts[name] = self._list_counts(name, facet_filters, check_bits, accepted)
        return counts

    def _list_counts(
        self,
        name: str,
        facet_filters: dict[str, list[str | None]],
        check_bits: int | None,
        accepted: list[str | None],
    ) -> list[list[Any]]:
        mask = np.take(self._index.passing(facet_filters, check_bits), self._index.of_row)
        rows = self._row_mask(skip=name)
        if rows is not None:
            mask &= rows
        frame = self.history.marked
        scope = frame if mask.all() else frame.filter(pl.Series(mask))
        values = scope.select(list_facet_expr(name).list.unique()).to_series()
        tally = (
            values.explode(empty_as_null=True)
            .cast(pl.String)
            .value_counts(sort=True, name="n")
            .sort(["n", name], descending=[True, False], nulls_last=True)
            .head(_LIST_TOP)
        )
        shown = [[value, n, value in accepted] for value, n in tally.iter_rows()]
        for value in accepted:  # an accepted value stays listed, to be clicked off
            if all(item[0] != value for item in shown):
                shown.append([value, 0, True])
        return shown

    def open_facet(self, name: str, is_open: bool = True) -> None:
        """Open (count) or close a facet's section."""
        if name not in FACET_ORDER:
            raise ConfigError(f"no facet named {name!r}; facets: {', '.join(FACET_ORDER)}")
        if is_open:
            self.open_facets.add(name)
        else:
            self.open_facets.discard(name)

    # --- navigation -------------------------------------------------------------------------

    def set_page(self, page: int) -> None:
        """Go to ``page`` (clamped to the pages there are)."""
        self.page = max(0, min(int(page), self.pages - 1))

    def set_sort(self, column: str | None, descending: bool = False) -> None:
        """Sort the view by ``column`` (``None``: load order)."""
        if column is not None and column not in (*COLUMNS, ROW_KEY):
            raise ConfigError(f"cannot sort by {column!r}; sortable columns: {', '.join(COLUMNS)}")
        self.sort = None if column is None else (column, descending)
        self._view = None  # a sort click sorts now (a cell edit since may have left a row put)

    def set_filters(self, filters: Mapping[str, Sequence[str | None]]) -> None:
        """Replace the facet filters (facet -> accepted values; empty list = no filter)."""
        for name in filters:
            if name not in FACET_ORDER:
                raise ConfigError(f"no facet named {name!r}; facets: {', '.join(FACET_ORDER)}")
        self.filters = {name: list(values) for name, values in filters.items() if values}
        self.page = 0

    def set_search(self, text: str, regex: bool = False) -> None:
        """Keep rows where any shown column contains ``text`` (or matches it, ``regex``)."""
        if regex and text:
            search_mask(pl.DataFrame({"x": [""]}), text, regex=True)  # refuses a bad pattern
        self.search, self.regex = text, bool(regex)
        self.page = 0

    def set_range(self, column: str, low: float | None, high: float | None) -> None:
        """Keep rows whose duration ``column`` is in ``[low, high)`` hours (both None: any)."""
        if low is None and high is None:
            self.ranges.pop(column, None)
        else:
            range_mask(self.history.rows([], [column]), column, low, high)  # refuses a bad column
            self.ranges[column] = (low, high)
        self.page = 0

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
        """The current filters (and search) as a recipe scope."""
        return Where(
            facets={name: values for name, values in self.filters.items() if values},
            search=self.search,
            regex=self.regex,
            search_in=self._searched() if self.search else None,
            ranges=dict(self.ranges),
        )

    def _scope(self, step: Op | None) -> np.ndarray | None:
        """The rows ``step``'s filter selects, from the index and the view's masks, when that
        filter is the view's (``None``: the step evaluates its filter itself).

        Failing checks count only when they are current: a step replayed later sees the
        checks of its frame, so stale badges must not choose its rows.
        """
        where = getattr(step, "where", None)
        if not isinstance(where, Where):
            return None
        if where != self.where:
            return None
        if CHECK_FACET in where.facets and not self._checks_current(where.facets[CHECK_FACET]):
            return None
        return self._view_mask()

    # --- edits ------------------------------------------------------------------------------

    def do(self, step: Op, *, position: int | None = None) -> StepReport:
        """Apply ``step``, then bring facets, badges and the view up to date."""
        report = self.history.do(step, position=position, scope=self._scope(step))
        self._after_change(
            step.columns_written(), self._constant(step), cell_edit=isinstance(step, SetCell)
        )
        return report

    def _constant(self, step: Op | None) -> dict[str, object] | None:
        """Column -> value for a step that writes one value into every row it changes."""
        if isinstance(step, SetCell) or (isinstance(step, SetValues) and step.expected is None):
            dtype = self.history.schema[step.column]
            return {step.column: to_python(step.column, step.value, dtype)}
        return None

    def undo(self) -> Op | None:
        """Take back the last step."""
        step = self.history.undo()
        if step is not None:
            self._after_change(step.columns_written(), cell_edit=isinstance(step, SetCell))
        return step

    def redo(self) -> Op | None:
        """Apply the last undone step again."""
        step = self.history.redo(scope=self._scope(self.history.next_redo))
        if step is not None:
            self._after_change(
                step.columns_written(), self._constant(step), cell_edit=isinstance(step, SetCell)
            )
        return step

    def goto(self, count: int) -> None:
        """Go back (or forward) to the moment ``count`` steps were done."""
        if count == len(self.history.steps):
            return
        self.history.goto(count)
        self._after_change(None)

    def _position(self, key: str) -> int:
        position = self._page_hint.get(key)
        if position is None:
            position = positions_of(self.history.marked, [key]).get(key)
        if position is None:
            raise ConfigError(f"no row with key {key!r}")
        return position

    def cell_json(self, key: str, column: str) -> JsonValue:
        """The recipe value of one cell of the row ``key``."""
        return to_json(self.history.cell(self._position(key), column))

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
        position = self._position(key)
        expected = to_json(self.history.cell(position, column))
        step = SetCell(key=key, column=column, expected=expected, value=value)
        return self.do(step, position=position)

    def bulk_set(self, column: str, value: str | None) -> StepReport:
        """Set ``column`` on every row of the current facets (all rows when none is set)."""
        return self.do(SetValues(column=column, value=value, where=self.where))

    # --- the selection for the push (not a recipe step) -----------------------------------------

    def select(self, keys: Sequence[str], on: bool = True) -> int:
        """Tick (or untick) rows for the push; how many changed."""
        unknown = [key for key in keys if key not in self._page_hint]
        found = positions_of(self.history.marked, unknown) if unknown else {}
        missing = [key for key in unknown if key not in found]
        if missing:
            raise ConfigError(f"no row with key {missing[0]!r}")
        picked = np.array(
            [self._page_hint[key] if key in self._page_hint else found[key] for key in keys],
            dtype=np.int64,
        )
        before = int(self.selected[picked].sum())
        self.selected[picked] = on & ~self._excluded[picked]
        self.selection_version += 1
        return abs(int(self.selected[picked].sum()) - before)

    def select_filtered(self, on: bool = True) -> int:
        """Select (or deselect) every row in view; how many rows that is."""
        mask = self._view_mask()
        if mask is None:
            count = self.history.height
            if on:
                np.logical_not(self._excluded, out=self.selected)
            else:
                self.selected[:] = False
        else:
            count = int(np.count_nonzero(mask))
            if on:
                np.logical_and(mask, self._included(), out=mask)
                np.logical_or(self.selected, mask, out=self.selected)
            else:
                np.logical_not(mask, out=mask)
                np.logical_and(self.selected, mask, out=self.selected)
        self.selection_version += 1
        return count

    def _included(self) -> np.ndarray:
        """Rows not excluded (kept until the exclusions change)."""
        if self._included_of is not self._excluded:
            self._included_rows = ~self._excluded
            self._included_of = self._excluded
        return self._included_rows

    def selected_keys(self) -> list[str]:
        """Row keys selected for the push (excluded rows never are)."""
        picked = self.selected & ~self._excluded
        keys = self.history.column(ROW_KEY)
        return keys.filter(pl.Series(picked)).to_list()

    @property
    def n_selected(self) -> int:
        """How many rows are selected for the push."""
        key = (self.selection_version, self.version)
        if self._n_selected[0] != key:
            picked = np.logical_and(self.selected, self._included())
            self._n_selected = (key, int(np.count_nonzero(picked)))
        return self._n_selected[1]

    # --- what the rest of the notebook reads --------------------------------------------------

    def cleaned_frame(self) -> pl.DataFrame:
        """The cleaned frame: the loaded one + the recipe, excluded rows left out."""
        return self.history.frame

    def rows_in_view(self) -> pl.DataFrame:
        """Every row the filters keep (marks included), in load order."""
        frame = self.history.marked
        mask = self._view_mask()
        return frame if mask is None else frame.filter(pl.Series(mask))

    def record(self, key: str) -> dict[str, Any]:
        """The whole record of row ``key``: every column as text, and its failing checks."""
        position = self._position(key)
        columns = [name for name in self.history.schema if not name.startswith("__")]
        row = self.history.rows([position], columns).row(0, named=True)
        failing = []
        live = self.row_checks_live and not self._row_checks_stale
        if live:
            # This row's row-local checks, run now on it alone (a few ms): always current.
            found = row_messages(
                self.history.rows([position], self._data_columns()), context=self.check_context
            )
            for name, level, message in found.select("check", "level", "message").iter_rows():
                failing.append([name, str(level), message])
        if self.report is not None:
            for name, rows in self._messages.items():
                if live and name in self._row_local:
                    continue
                found = rows.filter(pl.col(ROW_KEY) == key)
                for message in found.get_column("message").to_list():
                    failing.append([name, self._levels[name].value, message])
        return {
            "key": key,
            "cells": [[name, _text(row[name])] for name in columns],
            "checks": failing,
            "checks_stale": self.checks_stale,
            "checks_note": self.checks_note,
        }

    def history_items(self) -> list[dict[str, Any]]:
        """Every step, done then undone: number, text, status, and whether it is done."""
        items = [
            {
                "n": report.index + 1,
                "text": report.description,
                "status": report.status,
                "changed": report.changed,
                "done": True,
            }
            for report in self.history.reports
        ]
        done = len(items)
        for offset, step in enumerate(self.history.undone):
            items.append(
                {
                    "n": done + offset + 1,
                    "text": step.describe(),
                    "status": "undone",
                    "changed": 0,
                    "done": False,
                }
            )
        return items

    def history_lines(self) -> list[str]:
        """The steps done, one line each, with what each changed."""
        return [
            f"{item['n']}. {item['text']} ({item['status']}, {item['changed']} changed)"
            for item in self.history_items()
            if item["done"]
        ]
