"""What a timestamp's raw text says about how it could have gone wrong.

Every parsed timestamp keeps the text it was read from (``raw.<column>``), and that text is
evidence. A value written with an explicit offset (``2024-01-12T15:45:00Z``, ``...+02:00``,
``15:45 UTC``) or as an epoch number names its instant: it cannot have been read in the wrong
time zone, nor had its day and month swapped. A value without an offset (naive) can have been
read in the wrong zone. A value written as ``5/3/2016`` can have had its day and month read
the wrong way round, when both numbers are 12 or less. Checks use these expressions so that a
hint follows the evidence instead of guessing the usual suspects.

>>> frame = pl.DataFrame({"raw": [{"declared": "2024-01-12T15:45:00Z"}, {"declared": "5/3/2016"}]})
>>> kinds = (explicit("declared").alias("x"), naive("declared").alias("n"), swappable("declared"))
>>> frame.select(*kinds).rows()
[(True, False, False), (False, True, True)]
"""

from __future__ import annotations

from typing import Final

import polars as pl

__all__ = ["explicit", "naive", "numeric_date", "raw_text", "swappable"]

# A time followed by a zone designator: Z, UTC/GMT, or a numeric offset. The time must come
# first, so that the "-12" ending a date such as 2024-01-12 is not taken for an offset.
_OFFSET: Final = r"(?i)\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?\s*(z|utc|gmt|[+-]\d{2}(:?\d{2})?)$"
# Seconds or milliseconds since the epoch: an instant in UTC by definition.
_EPOCH: Final = r"^-?\d{9,13}([.]\d+)?$"
# A date whose first two numbers are day and month in some order: 5/3/2016, 05.03.16, 5-3-2016.
_NUMERIC_DATE: Final = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b"


def raw_text(name: str) -> pl.Expr:
    """The trimmed raw text of timestamp column ``name`` (null when the loader kept none)."""
    return pl.col("raw").struct.field(name).str.strip_chars()


def explicit(name: str) -> pl.Expr:
    """True where ``name`` was written with an explicit offset or as an epoch number."""
    text = raw_text(name)
    return text.str.contains(_OFFSET) | text.str.contains(_EPOCH)


def naive(name: str) -> pl.Expr:
    """True where ``name`` was read from text without an offset (its zone was assumed)."""
    return raw_text(name).is_not_null() & ~explicit(name)


def numeric_date(name: str) -> pl.Expr:
    """True where ``name`` was read from an all-numeric day/month style such as ``5/3/2016``."""
    return raw_text(name).str.contains(_NUMERIC_DATE)


def swappable(name: str) -> pl.Expr:
    """True where ``name`` is a numeric date whose day and month could be read either way."""
    parts = raw_text(name).str.extract_groups(_NUMERIC_DATE)
    first = parts.struct.field("1").cast(pl.Int32, strict=False)
    second = parts.struct.field("2").cast(pl.Int32, strict=False)
    return (first <= 12) & (second <= 12) & (first != second) & numeric_date(name)
