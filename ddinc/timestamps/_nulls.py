"""Every spelling of "missing" a legacy export uses, and the expression that nulls them."""

from __future__ import annotations

from typing import Final

import polars as pl

__all__ = ["NULL_SPELLINGS", "normalize_nulls"]

# Compared exactly, after stripping. "unknown" is deliberately absent: "UNKNOWN" is a real
# Datadog severity, and in a timestamp column it is better flagged invalid (and shown to the
# analyst) than silently treated as missing.
NULL_SPELLINGS: Final[tuple[str, ...]] = (
    "",
    "?",
    "-",
    "--",
    "N/A",
    "n/a",
    "NA",
    "na",
    "#N/A",
    "<NA>",
    "null",
    "NULL",
    "Null",
    "(null)",
    "None",
    "none",
    "NONE",
    "(none)",
    "nil",
    "NIL",
    "nan",
    "NaN",
    "NAN",
    "NaT",
)


def normalize_nulls(expr: pl.Expr) -> pl.Expr:
    """Strip surrounding whitespace and turn every spelling of "missing" into null.

    Parameters
    ----------
    expr
        A String expression.

    Examples
    --------
    >>> pl.select(normalize_nulls(pl.lit(pl.Series([" N/A ", "x ", "?"])))).to_series().to_list()
    [None, 'x', None]
    """
    return expr.str.strip_chars().replace(NULL_SPELLINGS, None)
