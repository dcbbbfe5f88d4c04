"""Sort orders computed ahead: equal to polars' stable sort, never stale, errors surface."""

from __future__ import annotations

import importlib.util
import math
import queue
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddinc.rowkey import ROW_KEY
from ddinc.widgets.orders import (
    Ascending,
    SortOrders,
    ascending_order,
    descending_order,
    sort_key,
)
from ddinc.widgets.state import COLUMNS
from tests.conftest import ROOT

_ENUM = pl.Enum(["medium", "low", "high"])  # rank order differs from text order on purpose
_POOLS: dict[str, tuple[pl.DataType, list[Any]]] = {
    "int": (pl.Int64(), [3, -1, 0, 3, 2**40, -(2**40)]),
    "float": (pl.Float64(), [0.0, -0.0, 1.5, -2.0, math.nan, math.inf, -math.inf]),
    "datetime": (
        pl.Datetime("us", "UTC"),
        [datetime(2024, 1, d, h, tzinfo=UTC) for d in (1, 2) for h in (0, 13)],
    ),
    "date": (pl.Date(), [date(2024, 1, 2), date(1969, 12, 31), date(2024, 1, 1)]),
    "duration": (pl.Duration("us"), [timedelta(hours=h) for h in (-1, 0, 2, 5)]),
    "bool": (pl.Boolean(), [True, False]),
    "string": (pl.String(), ["b", "a", "", "ab", "B", "é"]),
    "enum": (_ENUM, ["low", "high", "medium"]),
    "categorical": (pl.Categorical(), ["b", "a", "c", "ab"]),
    "uint": (pl.UInt64(), [2**63 + 1, 0, 7, 2**63]),
    "list": (pl.List(pl.String()), [["a", "b"], [], ["a; b"], ["b"], [None, "a"], ["a"]]),
}


def _reference(values: pl.Series, descending: bool) -> list[int]:
    """Today's Cleaner order: polars' stable sort, nulls last, a list compared as text."""
    frame = pl.DataFrame(
        {"v": sort_key(values), "pos": pl.int_range(len(values), dtype=pl.Int64, eager=True)}
    )
    ordered = frame.sort("v", descending=descending, nulls_last=True, maintain_order=True)
    return ordered.get_column("pos").to_list()


def _series(kind: str, picks: list[int | None]) -> pl.Series:
    dtype, pool = _POOLS[kind]
    return pl.Series(kind, [None if i is None else pool[i % len(pool)] for i in picks], dtype)


@st.composite
def _columns(draw: st.DrawFn) -> pl.Series:
    kind = draw(st.sampled_from(sorted(_POOLS)))
    picks = draw(st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=40))
    return _series(kind, picks)


@settings(max_examples=300)
@given(_columns(), st.booleans())
def test_order_equals_polars_stable_sort(values: pl.Series, descending: bool) -> None:
    with SortOrders() as orders:
        orders.want("column", values)
        assert orders.order("column", values, descending).tolist() == _reference(values, descending)
    assert descending_order(ascending_order(values)).tolist() == _reference(values, True)


@pytest.mark.parametrize("kind", sorted(_POOLS))
def test_fixed_examples_in_both_directions(kind: str) -> None:
    values = _series(kind, [0, None, 1, 2, 0, 3, None, 4, 1, 5, 6, 0])
    with SortOrders() as orders:
        orders.want("column", values)
        for descending in (False, True, False, True):
            assert orders.order("column", values, descending).tolist() == _reference(
                values, descending
            )


def test_nan_is_one_value_after_every_number_and_negative_zero_equals_zero() -> None:
    values = pl.Series([math.nan, 0.0, None, -0.0, math.inf, math.nan, 1.0])
    with SortOrders() as orders:
        assert orders.order("f", values, False).tolist() == [1, 3, 6, 4, 0, 5, 2]
        assert orders.order("f", values, True).tolist() == [0, 5, 4, 6, 1, 3, 2]


@pytest.mark.parametrize("picks", [[], [None, None], [0], [0, 0, 0], [None, 1, 0]])
def test_empty_all_null_and_single_group_columns(picks: list[int | None]) -> None:
    for kind in ("int", "string", "list"):
        values = _series(kind, picks)
        for descending in (False, True):
            with SortOrders() as orders:
                order = orders.order("c", values, descending)
                assert order.tolist() == _reference(values, descending)


def test_positions_are_int32_and_read_only() -> None:
    values = pl.Series(["b", "a", None])
    with SortOrders() as orders:
        for descending in (False, True):
            order = orders.order("c", values, descending)
            assert order.dtype == np.int32
            with pytest.raises(ValueError, match="read-only"):
                order[0] = 1


def test_descending_is_derived_once_and_kept() -> None:
    values = _series("int", [0, 1, 0, None])
    with SortOrders() as orders:
        first = orders.order("c", values, True)
        assert orders.order("c", values, True) is first


def test_a_served_ascending_order_gets_its_descending_twin_in_the_background() -> None:
    gate = _Gate()
    values = _series("datetime", [0, 1, 0, None, 2, 1])
    with SortOrders(compute=gate) as orders:
        orders.order("c", values, False)
        orders.want("other", values)
        # The worker derives twins before it computes the next column.
        gate.next_entered()
        assert ("c", True) in orders.ready()
        assert orders.order("c", values, True).tolist() == _reference(values, True)
        gate.release.set()


def test_a_descending_click_right_after_the_ascending_one_is_right_either_way() -> None:
    # The twin may be queued, being derived or done when the descending order is asked for.
    values = _series("int", [i % 5 if i % 7 else None for i in range(3000)])
    with SortOrders() as orders:
        for round_ in range(30):
            name = f"c{round_}"
            assert orders.order(name, values, False).tolist() == _reference(values, False)
            assert orders.order(name, values, True).tolist() == _reference(values, True)


def test_descending_ahead_derives_both_directions_in_the_background() -> None:
    gate = _Gate()
    values = _series("string", [0, 1, 0, None, 2, 1])
    with SortOrders(compute=gate, descending_ahead=True) as orders:
        gate.release.set()
        orders.want("c", values)
        orders.want("other", values)
        gate.next_entered()
        gate.next_entered()  # "other" entered: "c" and its twin are done
        assert {("c", False), ("c", True)} <= set(orders.ready())
        assert orders.order("c", values, True).tolist() == _reference(values, True)


class _Gate:
    """An ascending computation the background thread enters, then waits in until released."""

    def __init__(self, fail: bool = False) -> None:
        self.entered: queue.Queue[pl.Series] = queue.Queue()
        self.release = threading.Event()
        self.calls: list[tuple[str, list[Any]]] = []
        self.fail = fail

    def __call__(self, values: pl.Series) -> Ascending:
        thread = threading.current_thread().name
        self.calls.append((thread, values.to_list()))
        if thread != threading.main_thread().name:
            self.entered.put(values)
            assert self.release.wait(timeout=60), "the test never released the worker"
            if self.fail:
                raise ValueError("cannot order these values")
        return ascending_order(values)

    def next_entered(self) -> list[Any]:
        return self.entered.get(timeout=60).to_list()


def test_a_column_forgotten_while_its_order_is_computed_never_gets_the_old_order() -> None:
    gate = _Gate()
    old, new = pl.Series(["b", "a", "c"]), pl.Series(["c", "b", "a"])
    with SortOrders(compute=gate) as orders:
        orders.want("title", old)
        assert gate.next_entered() == old.to_list()  # the worker is on the old values
        orders.forget(["title"])
        assert orders.pending() == []
        orders.want("other", old)
        gate.release.set()
        # The worker finished (and dropped) the old title before it entered the next job.
        assert gate.next_entered() == old.to_list()
        assert ("title", False) not in orders.ready()
        assert orders.order("title", new, False).tolist() == _reference(new, False)
        assert orders.order("title", new, True).tolist() == _reference(new, True)


def test_forget_everything_drops_ready_and_pending_orders() -> None:
    gate = _Gate()
    with SortOrders(compute=gate) as orders:
        orders.want("a", pl.Series([2, 1]))
        gate.next_entered()
        orders.want("b", pl.Series([1, 2]))
        orders.forget(None)
        assert orders.pending() == []
        gate.release.set()
        changed = pl.Series([1, 2])
        assert orders.order("a", changed, False).tolist() == [0, 1]
        assert [name for name, descending in orders.ready() if not descending] == ["a"]


def test_an_order_being_computed_is_waited_for_not_computed_twice() -> None:
    gate = _Gate()
    values = pl.Series([3, 1, 2])
    with SortOrders(compute=gate) as orders:
        orders.want("c", values)
        gate.next_entered()
        threading.Timer(0.01, gate.release.set).start()
        assert orders.order("c", values, False).tolist() == [1, 2, 0]
        assert len(gate.calls) == 1
        orders.want("c", values)  # ready: nothing scheduled
        assert orders.pending() == []
        assert len(gate.calls) == 1


def test_a_queued_order_asked_for_is_computed_at_once_and_not_again() -> None:
    gate = _Gate()
    first, second = pl.Series([2, 1]), pl.Series(["y", "x"])
    with SortOrders(compute=gate) as orders:
        orders.want("first", first)
        gate.next_entered()
        orders.want("second", second)
        assert orders.order("second", second, False).tolist() == [1, 0]
        orders.want("third", first)
        gate.release.set()
        assert gate.next_entered() == first.to_list()  # "third": "second" was skipped
        assert [thread for thread, _ in gate.calls].count("ddinc-sort-orders") == 2


def test_an_error_in_the_background_is_raised_by_order() -> None:
    gate = _Gate(fail=True)
    values = pl.Series([1, 2])
    with SortOrders(compute=gate) as orders:
        orders.want("c", values)
        gate.next_entered()
        gate.release.set()
        with pytest.raises(ValueError, match="cannot order these values"):
            orders.order("c", values, False)
        # Raised once; asked again, the order is computed here.
        assert orders.order("c", values, False).tolist() == [0, 1]


def test_an_error_computing_forgotten_values_is_not_raised_for_the_new_ones() -> None:
    gate = _Gate(fail=True)
    old, new = pl.Series([1, 2]), pl.Series([2, 1])
    with SortOrders(compute=gate) as orders:
        orders.want("c", old)
        gate.next_entered()
        orders.want("c", old)  # pending for these values: nothing more scheduled
        orders.forget(["c"])
        orders.want("other", old)
        gate.release.set()
        gate.next_entered()  # the worker is past the old values of "c"
        assert orders.order("c", new, False).tolist() == [1, 0]


def test_least_recently_used_orders_are_dropped_first() -> None:
    values = pl.Series([2, 1, 3])
    with SortOrders(kept=2, kept_descending=1) as orders:
        for name in ("a", "b"):
            orders.order(name, values, True)
        orders.order("a", values, False)
        orders.order("c", values, False)
        assert [name for name, descending in orders.ready() if not descending] == ["a", "c"]


def test_the_background_thread_ends_when_it_has_nothing_to_do() -> None:
    values = pl.Series([2, 1])
    with SortOrders() as orders:
        orders.want("c", values)
        assert orders.order("c", values, False).tolist() == [1, 0]
        ended = threading.Event()
        for _ in range(2000):  # a liveness check, not a timing: up to 20 s on a loaded machine
            if not any(t.name == "ddinc-sort-orders" for t in threading.enumerate()):
                ended.set()
                break
            time.sleep(0.01)
        assert ended.is_set()
        orders.want("d", values)  # starts another
        assert orders.order("d", values, True).tolist() == [0, 1]


def test_closed_orders_compute_in_the_foreground_and_schedule_nothing() -> None:
    values = pl.Series(["b", None, "a"])
    orders = SortOrders()
    orders.want("c", values)
    orders.close()
    assert orders.pending() == []
    orders.want("c", values)
    assert orders.pending() == []
    assert orders.order("c", values, False).tolist() == [2, 0, 1]
    assert not any(t.name == "ddinc-sort-orders" for t in threading.enumerate())


def _benchmark_frame(rows: int) -> pl.DataFrame:
    """The canonical frame benchmarks/bench_clean.py measures the Cleaner on."""
    path = ROOT / "benchmarks" / "bench_clean.py"
    spec = importlib.util.spec_from_file_location("bench_clean", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    frame: pl.DataFrame = module.synthetic_frame(rows)
    return frame


def test_the_cleaners_columns_match_the_reference_on_the_benchmark_frame() -> None:
    frame = _benchmark_frame(3000)
    with SortOrders() as orders:
        for name in (*COLUMNS, ROW_KEY):
            orders.want(name, frame.get_column(name))
        for name in (*COLUMNS, ROW_KEY):
            for descending in (False, True):
                order = orders.order(name, frame.get_column(name), descending)
                assert order.tolist() == _reference(frame.get_column(name), descending), name
