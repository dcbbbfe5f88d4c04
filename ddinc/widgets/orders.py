"""Sort orders of whole columns, computed ahead in one background thread.

A sort is O(rows log rows): at a million rows the first sort by a text column costs some
hundred milliseconds, too long for a click. :class:`SortOrders` computes the ascending order
of the columns it is told about (:meth:`SortOrders.want`) one at a time in one daemon thread
while the Cleaner answers clicks, so that the first sort click finds its order ready. The
descending order is derived from the ascending one in O(rows) (the groups of equal values in
reverse, load order kept inside each group, nulls still last), so one sort serves both
directions.

Orders are the ones the Cleaner has always shown, equal to::

    pl.DataFrame({"v": values, "pos": range}).sort(
        "v", descending=descending, nulls_last=True, maintain_order=True
    )["pos"]

stable (equal values keep load order in both directions), nulls last in both directions; a
list column is compared as its items joined by ``"; "`` (:func:`sort_key`). A float NaN is
a value, not a null: it sorts after every number ascending and before them descending, as
polars sorts it; ``-0.0`` and ``0.0`` are equal.

Numbers, timestamps, durations, booleans and enums (by rank, which is their physical code)
are sorted by numpy's stable argsort on their physical values, in the calling thread with
the GIL released; text by polars' single-threaded sort, so that the background keeps to one
core and the foreground keeps the other.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self

import numpy as np
import polars as pl

__all__ = [
    "KEPT_COLUMNS",
    "KEPT_DESCENDING",
    "Ascending",
    "SortOrders",
    "ascending_order",
    "descending_order",
    "sort_key",
]

KEPT_COLUMNS: Final = 16
"""Ascending orders kept (least recently used dropped first).

The Cleaner sorts by 13 columns and the row key: all of them fit, so the background pass
over them is never undone by its own evictions. At a million rows one costs 5 MB (4 MB of
int32 positions, 1 MB of group starts): 70 MB for the 14.
"""
KEPT_DESCENDING: Final = 2
"""Descending orders kept (4 MB each at a million rows): cheap to derive again (O(rows))."""

# Dtypes whose physical values (numpy) sort as polars sorts the values themselves.
_NUMERIC_KINDS: Final = "biuf"


def sort_key(values: pl.Series) -> pl.Series:
    """The values a column is sorted by: a list as its items joined by ``"; "``.

    Examples
    --------
    >>> sort_key(pl.Series("teams", [["db", "net"], [], None])).to_list()
    ['db; net', '', None]
    """
    if isinstance(values.dtype, pl.List):
        return values.cast(pl.List(pl.String)).list.join("; ")
    if values.dtype == pl.Categorical:
        # polars sorts a Categorical by its text; numpy would sort the codes.
        return values.cast(pl.String)
    return values


@dataclass(frozen=True)
class Ascending:
    """A column's ascending order and where its groups of equal values begin.

    ``positions`` holds every row's position (int32 below 2**31 rows), non-null values first
    (stable), then the nulls in load order. ``starts[i]`` is True where the ``i``-th non-null
    row in that order holds a value different from the row before it: what
    :func:`descending_order` needs to reverse the groups without comparing values again.
    """

    positions: np.ndarray
    starts: np.ndarray

    @property
    def nulls(self) -> int:
        """Rows whose value is null (the tail of ``positions``)."""
        return len(self.positions) - len(self.starts)


def _position_dtype(rows: int) -> type[np.signedinteger]:
    return np.int32 if rows < 2**31 else np.int64


def _numeric(values: pl.Series) -> np.ndarray | None:
    """The physical values as a numpy array (nulls dropped), or None when they do not sort."""
    physical = values.to_physical()
    if physical.dtype == pl.Boolean:
        physical = physical.cast(pl.UInt8)
    if not physical.dtype.is_numeric() or physical.dtype.is_decimal():
        return None
    array = physical.drop_nulls().to_numpy()
    return array if array.dtype.kind in _NUMERIC_KINDS else None


def _starts_numeric(ordered: np.ndarray) -> np.ndarray:
    starts = np.empty(len(ordered), dtype=bool)
    if not len(ordered):
        return starts
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    if ordered.dtype.kind == "f":
        nan = np.isnan(ordered)
        # Every NaN is one value to polars (NaN != NaN to numpy).
        starts[1:] &= ~(nan[1:] & nan[:-1])
    return starts


def ascending_order(values: pl.Series) -> Ascending:
    """The ascending, stable, nulls-last order of ``values`` (a list compared as text).

    Examples
    --------
    >>> order = ascending_order(pl.Series([3, None, 1, 3]))
    >>> order.positions.tolist(), order.starts.tolist()
    ([2, 0, 3, 1], [True, True, False])
    """
    key = sort_key(values)
    rows = len(key)
    dtype = _position_dtype(rows)
    physical = _numeric(key)
    if physical is not None:
        order = np.argsort(physical, kind="stable")
        starts = _starts_numeric(physical[order])
        if key.null_count():
            valid = key.is_not_null().to_numpy()
            positions = np.concatenate([np.flatnonzero(valid)[order], np.flatnonzero(~valid)])
        else:
            positions = order
        return Ascending(positions.astype(dtype, copy=False), starts)
    # Text (and anything numpy cannot order as polars does): polars, on this thread only.
    ordered = pl.DataFrame(
        {"value": key, "pos": pl.int_range(rows, dtype=pl.Int64, eager=True)}
    ).sort("value", nulls_last=True, maintain_order=True, multithreaded=False)
    sorted_values = ordered.get_column("value").head(rows - key.null_count())
    starts = sorted_values.ne_missing(sorted_values.shift(1)).fill_null(True).to_numpy()
    positions = ordered.get_column("pos").to_numpy().astype(dtype, copy=False)
    return Ascending(positions, starts.astype(bool, copy=False))


def descending_order(order: Ascending) -> np.ndarray:
    """The descending order derived from the ascending one in O(rows).

    Groups of equal values come in reverse, each keeping load order; nulls stay last.

    Examples
    --------
    >>> descending_order(ascending_order(pl.Series([3, None, 1, 3]))).tolist()
    [0, 3, 2, 1]
    """
    valued = len(order.starts)
    head, nulls = order.positions[:valued], order.positions[valued:]
    kind = head.dtype  # int32 below 2**31 rows: half the memory traffic of int64
    first = np.flatnonzero(order.starts).astype(kind)
    if len(first) == valued:  # no ties: a plain reversal
        return np.concatenate([head[::-1], nulls])
    sizes = np.diff(first, append=kind.type(valued))
    first, sizes = first[::-1], sizes[::-1]
    # Output slot j of reversed group g reads input first[g] + (j - where g begins in output).
    begins = np.cumsum(sizes, dtype=kind) - sizes
    source = np.repeat(first - begins, sizes)
    source += np.arange(valued, dtype=kind)
    derived = np.empty(len(order.positions), dtype=kind)
    np.take(head, source, out=derived[:valued])
    derived[valued:] = nulls
    return derived


def _frozen(array: np.ndarray) -> np.ndarray:
    """The array, read-only: a cached order is shared with every caller."""
    array.flags.writeable = False
    return array


class _Job:
    """One column's ascending order, asked for in one generation of that column."""

    def __init__(self, name: str, generation: int, values: pl.Series) -> None:
        self.name = name
        self.generation = generation
        self.values: pl.Series | None = values
        self.started = False
        self.cancelled = False
        self.done = threading.Event()
        self.result: Ascending | None = None
        self.error: BaseException | None = None


class SortOrders:
    """Ascending orders computed ahead in one background thread; descending derived.

    Parameters
    ----------
    kept
        Ascending orders kept (:data:`KEPT_COLUMNS`), least recently used dropped first.
    kept_descending
        Descending orders kept (:data:`KEPT_DESCENDING`).
    descending_ahead
        Also derive each column's descending order in the background right after its
        ascending one, so that a first click in either direction finds its order ready
        (4 MB more per column at a million rows; ``kept_descending`` should then hold every
        column wanted). Without it, the descending order of a column is derived in the
        background once its ascending one is served, or at the click that asks for it
        (5-40 ms at a million rows, measured).
    compute
        The function that computes an ascending order (:func:`ascending_order`); tests pass one
        that waits or fails, to hold the background thread at a chosen point.

    The caller (one foreground thread) tells which columns it will sort by with
    :meth:`want`, asks for an order with :meth:`order`, and calls :meth:`forget` for a
    column as soon as it is written: a background result for the old values is then
    discarded, never served. The thread is a daemon, started by :meth:`want`; a
    kernel exits without waiting for it. It ends when it has nothing left to do.

    Examples
    --------
    >>> with SortOrders() as orders:
    ...     values = pl.Series("severity", ["low", None, "high", "low"])
    ...     orders.want("severity", values)
    ...     orders.order("severity", values, descending=True).tolist()
    [0, 3, 2, 1]
    """

    def __init__(
        self,
        *,
        kept: int = KEPT_COLUMNS,
        kept_descending: int = KEPT_DESCENDING,
        descending_ahead: bool = False,
        compute: Callable[[pl.Series], Ascending] = ascending_order,
    ) -> None:
        self._kept = max(1, kept)
        self._kept_descending = max(0, kept_descending)
        self._compute = compute
        self._descending_ahead = descending_ahead
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        # Columns whose ascending order was just served: their descending twin is derived
        # next (a sort click is often followed by the same column's other direction).
        self._twins: deque[str] = deque()
        self._deriving: dict[str, threading.Event] = {}
        self._pending: dict[str, _Job] = {}
        self._ready: OrderedDict[str, Ascending] = OrderedDict()
        self._descending: OrderedDict[str, np.ndarray] = OrderedDict()
        self._generation: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self._closed = False

    # --- the foreground -----------------------------------------------------------------------

    def want(self, name: str, values: pl.Series) -> None:
        """Compute the ascending order of ``values`` in the background, unless ready or pending.

        ``values`` must be the column as it is now, taken in the foreground (a polars Series
        is immutable, so the background thread reads it safely).
        """
        with self._lock:
            if self._closed or name in self._ready:
                return
            generation = self._generation.get(name, 0)
            job = self._pending.get(name)
            if job is not None and job.generation == generation:
                return
            job = _Job(name, generation, values)
            self._pending[name] = job
            self._queue.append(job)
            self._wake_worker()

    def order(self, name: str, values: pl.Series, descending: bool) -> np.ndarray:
        """Positions of every row ordered by ``values`` (stable, nulls last), read-only.

        Served from what is ready; a background computation of this column under way is
        waited for; one still queued is taken over and computed here, as is a column never
        asked for. An exception raised computing it in the background is raised here.
        """
        ready = self._ascending(name, values)
        with self._lock:
            cached = self._descending.get(name)
            if cached is not None:
                self._descending.move_to_end(name)
            if not descending:
                if cached is None and self._kept_descending and not self._closed:
                    self._twins.append(name)
                    self._wake_worker()
                return ready.positions
            deriving = self._deriving.get(name)
        if cached is not None:
            return cached
        if deriving is not None:
            # The background is deriving it right now: waiting costs less than doing it twice.
            deriving.wait()
            with self._lock:
                cached = self._descending.get(name)
            if cached is not None:
                return cached
        derived = _frozen(descending_order(ready))
        with self._lock:
            self._keep_descending(name, ready, derived)
        return derived

    def forget(self, names: Collection[str] | None = None) -> None:
        """Drop the orders of ``names`` (``None``: every column), e.g. once they are written.

        A background computation of one of them that is under way finishes unseen: its
        result belongs to the old values and is discarded.
        """
        with self._lock:
            forgotten = (
                {*self._generation, *self._pending, *self._ready} if names is None else names
            )
            for name in forgotten:
                self._generation[name] = self._generation.get(name, 0) + 1
                self._ready.pop(name, None)
                self._descending.pop(name, None)
                job = self._pending.pop(name, None)
                if job is not None and not job.started:
                    job.cancelled = True
                    job.values = None

    def pending(self) -> list[str]:
        """Columns whose order is queued or being computed in the background."""
        with self._lock:
            return [name for name, job in self._pending.items() if not job.cancelled]

    def ready(self) -> list[tuple[str, bool]]:
        """Orders ready as ``(column, descending)``, ascending first, least recently used first."""
        with self._lock:
            return [(name, False) for name in self._ready] + [
                (name, True) for name in self._descending
            ]

    def close(self) -> None:
        """Stop the background thread (after the column it is on) and drop every order."""
        with self._lock:
            self._closed = True
            for job in self._queue:
                job.cancelled = True
                job.values = None
            self._queue.clear()
            self._twins.clear()
            self._pending.clear()
            self._ready.clear()
            self._descending.clear()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _ascending(self, name: str, values: pl.Series) -> Ascending:
        with self._lock:
            generation = self._generation.get(name, 0)
            ready = self._ready.get(name)
            if ready is not None:
                self._ready.move_to_end(name)
                return ready
            job = self._pending.get(name)
            if job is not None and not job.started:
                # Queued behind other columns: computing it here answers sooner.
                job.cancelled = True
                job.values = None
                del self._pending[name]
                job = None
        if job is not None:
            job.done.wait()
            with self._lock:
                if self._pending.get(name) is job:
                    del self._pending[name]
                current = self._generation.get(name, 0) == job.generation
            if current and job.error is not None:
                raise job.error
            if current and job.result is not None:
                return job.result
        result = self._frozen_ascending(self._compute(values))
        self._store(name, generation, result)
        return result

    # --- the background -----------------------------------------------------------------------

    def _wake_worker(self) -> None:
        """Start the background thread unless it runs (the lock is held)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._work, name="ddinc-sort-orders", daemon=True
            )
            self._thread.start()

    def _work(self) -> None:
        # The thread ends once there is nothing to do, and the next want() starts another:
        # an idle thread would keep this object (and its orders) alive after its Cleaner.
        while True:
            twin_of: Ascending | None = None
            with self._lock:
                if self._closed or (not self._queue and not self._twins):
                    if self._thread is threading.current_thread():
                        self._thread = None
                    return
                if self._twins:
                    name = self._twins.popleft()
                    twin_of = self._ready.get(name)
                    if twin_of is None or name in self._descending:
                        continue
                    self._deriving[name] = threading.Event()
                else:
                    job = self._queue.popleft()
                    if job.cancelled or job.values is None:
                        continue
                    job.started = True
                    values, job.values = job.values, None
            if twin_of is not None:
                self._derive(name, twin_of)
                continue
            derive_next = False
            try:
                job.result = self._frozen_ascending(self._compute(values))
            except Exception as error:  # handed to the caller of order(), raised there
                job.error = error
            finally:
                # Set whatever happened: a waiting order() then computes it itself.
                del values
                with self._lock:
                    if job.result is not None and self._pending.get(job.name) is job:
                        del self._pending[job.name]
                        self._store_locked(job.name, job.generation, job.result)
                        if self._descending_ahead:
                            self._deriving[job.name] = threading.Event()
                            derive_next = True
                job.done.set()
            if derive_next and job.result is not None:
                self._derive(job.name, job.result)

    def _derive(self, name: str, ascending: Ascending) -> None:
        derived = None
        try:
            derived = _frozen(descending_order(ascending))
        except Exception:  # order() derives it again in the foreground, and raises there
            pass
        finally:
            with self._lock:
                if derived is not None:
                    self._keep_descending(name, ascending, derived)
                deriving = self._deriving.pop(name, None)
            if deriving is not None:
                deriving.set()

    # --- the cache ----------------------------------------------------------------------------

    @staticmethod
    def _frozen_ascending(order: Ascending) -> Ascending:
        _frozen(order.positions)
        _frozen(order.starts)
        return order

    def _keep_descending(self, name: str, ascending: Ascending, derived: np.ndarray) -> None:
        """Keep ``derived`` if the order it came from is still the column's (the lock is held)."""
        if self._ready.get(name) is not ascending or not self._kept_descending:
            return
        self._descending[name] = derived
        self._descending.move_to_end(name)
        while len(self._descending) > self._kept_descending:
            self._descending.popitem(last=False)

    def _store(self, name: str, generation: int, order: Ascending) -> None:
        with self._lock:
            self._store_locked(name, generation, order)

    def _store_locked(self, name: str, generation: int, order: Ascending) -> None:
        if self._closed or self._generation.get(name, 0) != generation:
            return  # computed from values that were written since: never served
        self._ready[name] = order
        self._ready.move_to_end(name)
        while len(self._ready) > self._kept:
            evicted, _ = self._ready.popitem(last=False)
            self._descending.pop(evicted, None)
