"""Which styles a column uses, and which day/month order its numeric dates follow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from ddinc.errors import LoadError
from ddinc.timestamps._cascade import Outcome, day_proof, run
from ddinc.timestamps._styles import (
    DateOrder,
    Style,
    builtin_styles,
    numeric_styles,
    other_order,
)

__all__ = ["detect"]

_SAMPLE_SIZE: Final = 1000
_NUMERIC_SHAPE: Final = r"^[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-][0-9]"


def _first_proof(text: pl.Series, styles: Sequence[Style]) -> str | None:
    """The first text that ``styles`` (one day/month order) can read only in that order."""
    text = text.filter(text.str.contains(_NUMERIC_SHAPE).fill_null(False))
    for style in styles:
        if text.is_empty():
            return None
        parsed = style.parse(text)
        if (proof := day_proof(text, parsed)) is not None:
            return proof
        text = text.filter(parsed.is_null())
    return None


def _unproven_order(sample: pl.Series) -> DateOrder:
    """The order to assume when no value proves one (every day and month is 12 or less).

    A 12-hour clock (``3:45 PM``) is a US habit, and the US writes month first; otherwise
    day-first, the order of most of the world and of ServiceNow's exports.
    """
    numeric = sample.filter(sample.str.contains(_NUMERIC_SHAPE).fill_null(False))
    twelve_hour = numeric.str.contains(r"(?i)[0-9]\s*[ap]\.?m\.?\s*$").fill_null(False)
    return DateOrder.MONTH_FIRST if twelve_hour.any() else DateOrder.DAY_FIRST


def _sample(text: pl.Series) -> pl.Series:
    present = text.drop_nulls()
    if len(present) <= _SAMPLE_SIZE:
        return present
    # Evenly spread, so a style change halfway through the export is seen.
    return present.gather(pl.int_range(0, len(present), len(present) // _SAMPLE_SIZE, eager=True))


def _ranked(sample: pl.Series, styles: Sequence[Style]) -> tuple[list[Style], int]:
    """Styles by how much of the sample they read (stable), and how many read any of it.

    Stops at the first style that reads the whole sample: that is the common, clean case.
    """
    hits: dict[Style, int] = {}
    for style in styles:
        hits[style] = int(style.parse(sample).is_not_null().sum())
        if hits[style] == len(sample):
            break
    ranked = sorted(styles, key=lambda style: -hits.get(style, 0))
    return ranked, sum(1 for count in hits.values() if count > 0)


def detect(
    text: pl.Series, tz: str, order: DateOrder | None, column: str | None
) -> tuple[Outcome, DateOrder, bool]:
    """Detect styles and day/month order, then read; returns (outcome, order, order assumed)."""
    sample = _sample(text)

    def read(order: DateOrder, *, prove: bool) -> Outcome:
        styles, likely = _ranked(sample, builtin_styles(order))
        return run(text, styles, tz, prove=prove, per_row=likely)

    if order is not None:
        return read(order, prove=False), order, False
    day = _first_proof(sample, numeric_styles(DateOrder.DAY_FIRST))
    month = _first_proof(sample, numeric_styles(DateOrder.MONTH_FIRST))
    if day is not None and month is not None:
        raise _mixed_orders(column, day, month)
    if month is not None:
        decided = DateOrder.MONTH_FIRST
    elif day is not None:
        decided = DateOrder.DAY_FIRST
    else:
        decided = _unproven_order(sample)
    proof = day or month
    outcome = read(decided, prove=proof is None)
    proof = proof or outcome.proof
    # Anything the other order reads among the leftovers proves the other order.
    against = _first_proof(outcome.leftover, numeric_styles(other_order(decided)))
    if against is not None and proof is not None:
        day, month = (proof, against) if decided is DateOrder.DAY_FIRST else (against, proof)
        raise _mixed_orders(column, day, month)
    if against is not None:
        # Nothing proved the tentative order: the column is in the other one.
        decided, proof = other_order(decided), against
        outcome = read(decided, prove=False)
    return outcome, decided, proof is None


def _mixed_orders(column: str | None, day: str, month: str) -> LoadError:
    return LoadError(
        f"numeric dates mix day-first and month-first: {day!r} can only be day/month and "
        f"{month!r} can only be month/day",
        hint="pass order='day_first' or order='month_first' to say which one this export uses; "
        "values in the other order are then flagged invalid",
        column=column,
        value=month,
    )
