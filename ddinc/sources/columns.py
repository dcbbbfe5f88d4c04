"""How one legacy column becomes one canonical column: text, lists, carried fields, titles,
and vocabulary words (state, severity) with the raw text kept beside them.

Pure expression builders over a raw table; :mod:`ddinc.sources.canonical` puts them together.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC

import polars as pl

from ddinc.sources.mapping import vocabulary_key
from ddinc.timestamps import NULL_SPELLINGS, normalize_nulls

__all__ = [
    "carried_column",
    "list_column",
    "notes_column",
    "raw_name",
    "text_column",
    "title_columns",
    "vocabulary_columns",
]


def raw_name(name: str) -> str:
    """The working column that holds ``name``'s raw text until the ``raw`` struct is built."""
    return f"__raw_{name}"


def text_column(frame: pl.DataFrame, column: str | None) -> pl.Expr:
    """Text of ``column`` with null spellings as null."""
    if column is None or column not in frame.columns:
        return pl.lit(None, dtype=pl.String)
    expr = pl.col(column)
    if isinstance(frame.schema[column], pl.List):
        expr = expr.list.eval(pl.element().cast(pl.String)).list.join(", ")
    return normalize_nulls(expr.cast(pl.String))


def list_column(frame: pl.DataFrame, column: str | None, separator: str) -> pl.Expr:
    """A list column as it is, or a text cell split on ``separator``; missing items dropped."""
    if column is None or column not in frame.columns:
        return pl.lit(None, dtype=pl.List(pl.String))
    dtype = frame.schema[column]
    if isinstance(dtype, pl.List):
        items = pl.col(column).cast(pl.List(pl.String))
    else:
        items = normalize_nulls(pl.col(column).cast(pl.String)).str.split(separator)
    cleaned = items.list.eval(normalize_nulls(pl.element()).drop_nulls())
    return cleaned


def notes_column(frame: pl.DataFrame, column: str | None) -> pl.Expr:
    """The record's notes: a list column's texts, or one text cell as one note (prose is never
    split on a separator); missing and blank texts dropped, an empty list where there are none.
    """
    if column is None or column not in frame.columns:
        return pl.lit([], dtype=pl.List(pl.String))
    if isinstance(frame.schema[column], pl.List):
        items = pl.col(column).cast(pl.List(pl.String))
    else:
        items = pl.concat_list(pl.col(column).cast(pl.String))
    kept = items.list.eval(
        pl.element().filter(normalize_nulls(pl.element().str.strip_chars()).is_not_null())
    )
    return kept.fill_null(pl.lit([], dtype=pl.List(pl.String)))


def carried_column(frame: pl.DataFrame, column: str) -> pl.Expr:
    """A legacy column carried as a Datadog field: text, or a list of text."""
    if isinstance(frame.schema[column], pl.List):
        return pl.col(column).cast(pl.List(pl.String))
    return normalize_nulls(pl.col(column).cast(pl.String))


def title_columns(frame: pl.DataFrame, column: str | None) -> list[pl.Expr]:
    """The title exactly as written (a null spelling or blank is missing), and its raw text."""
    if column is None or column not in frame.columns:
        return [
            pl.lit(None, dtype=pl.String).alias("title"),
            pl.lit(None, dtype=pl.String).alias(raw_name("title")),
        ]
    written = pl.col(column).cast(pl.String)
    title = pl.when(normalize_nulls(written).is_null()).then(None).otherwise(written)
    return [title.alias("title"), written.alias(raw_name("title"))]


def vocabulary_columns(
    frame: pl.DataFrame,
    column: str | None,
    vocabulary: MappingABC[str, str],
    dtype: pl.Enum,
    name: str,
) -> list[pl.Expr]:
    """The raw text and the Datadog value of a vocabulary column (state, severity).

    Worked out once per distinct legacy value, then spread by one lookup: these columns hold
    a handful of values over millions of rows. A word the vocabulary maps is never a null
    spelling (Statuspage's impact ``none`` is a severity); any other null spelling is missing.
    Values already in Datadog's vocabulary pass as they are, in any case.
    """
    if column is None or column not in frame.columns:
        return [
            pl.lit(None, dtype=pl.String).alias(raw_name(name)),
            pl.lit(None, dtype=dtype).alias(name),
        ]
    legacy = frame.get_column(column)
    if isinstance(legacy.dtype, pl.List):
        legacy = legacy.list.eval(pl.element().cast(pl.String)).list.join(", ")
    legacy = legacy.cast(pl.String)
    lookup = {value.casefold(): value for value in dtype.categories.to_list()}
    lookup.update(vocabulary)
    distinct: list[str] = legacy.drop_nulls().unique().to_list()
    texts: list[str | None] = []
    values: list[str | None] = []
    for raw in distinct:
        key = vocabulary_key(raw)
        text = raw.strip()
        missing = key not in lookup and text in NULL_SPELLINGS
        texts.append(None if missing else text)
        values.append(None if missing else lookup.get(key))
    legacy_expr = pl.lit(legacy)
    return [
        legacy_expr.replace_strict(distinct, texts, default=None, return_dtype=pl.String).alias(
            raw_name(name)
        ),
        legacy_expr.replace_strict(distinct, values, default=None, return_dtype=dtype).alias(name),
    ]
