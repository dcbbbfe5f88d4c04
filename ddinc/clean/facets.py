"""Facets: the analyst's ways of narrowing the view, and the scope of a bulk edit.

A facet gives every row one text value (``None`` is its own bucket): its severity, state,
source, month, the band its time to resolve falls in, whether its people are mapped to
Datadog users. The ``check`` facet is the odd one: a row can fail several checks, so it is
given by the :class:`~ddinc.checks.CheckReport` of the frame, not by an expression.

List facets (:data:`LIST_FACETS`: teams, services, the words of the title) give a row
several values; a row matches when any of its values is accepted.

A :class:`Where` (facet name -> accepted values; values of one facet OR-ed, facets AND-ed,
plus an optional text search over every column) is how a recipe step records "the rows I was
looking at": replayed on a fresh export it selects the rows that match *then*, which is what
OpenRefine does with its facets.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Final

import polars as pl
from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from ddinc.checks import CheckReport
from ddinc.errors import ConfigError
from ddinc.rowkey import ROW_KEY

__all__ = [
    "CHECK_FACET",
    "DURATION_BANDS",
    "FACETS",
    "LIST_FACETS",
    "Where",
    "check_mask",
    "facet_expr",
    "list_facet_expr",
    "range_mask",
    "search_mask",
    "where_mask",
]

CHECK_FACET: Final = "check"

_US_PER_HOUR: Final = 3_600_000_000
# (label, upper bound in hours, exclusive); checked in order after missing/negative/zero.
DURATION_BANDS: Final = (
    ("under 1h", 1),
    ("1h to 1d", 24),
    ("1d to 1w", 24 * 7),
    ("over 1w", None),
)


def _duration_band() -> pl.Expr:
    micros = pl.col("time_to_resolve").dt.total_microseconds()
    expr: Any = pl.when(micros.is_null()).then(pl.lit("missing"))
    expr = expr.when(micros < 0).then(pl.lit("negative")).when(micros == 0).then(pl.lit("zero"))
    for label, hours in DURATION_BANDS:
        if hours is None:
            result: pl.Expr = expr.otherwise(pl.lit(label))
            return result
        expr = expr.when(micros < hours * _US_PER_HOUR).then(pl.lit(label))
    raise AssertionError("the last band is open-ended")  # pragma: no cover


def _people(known_emails: Collection[str] | None) -> pl.Expr:
    def mapped(name: str) -> pl.Expr:
        text = pl.col(name).str.strip_chars().str.to_lowercase()
        if known_emails is None:
            return text.str.contains("@", literal=True)
        return text.is_in(pl.Series(sorted(e.strip().lower() for e in known_emails)).implode())

    people = ("commander", "declared_by")
    present = [
        pl.col(name).is_not_null() & (pl.col(name).str.strip_chars() != "") for name in people
    ]
    unmapped = pl.any_horizontal(
        [has & ~mapped(name).fill_null(False) for has, name in zip(present, people, strict=True)]
    )
    return (
        pl.when(unmapped)
        .then(pl.lit("unmapped"))
        .when(pl.any_horizontal(present))
        .then(pl.lit("mapped"))
        .otherwise(pl.lit("nobody"))
    )


def _month() -> pl.Expr:
    return pl.coalesce("declared", "impact_start", "detected").dt.strftime("%Y-%m")


FACETS: Final[dict[str, Callable[[Collection[str] | None], pl.Expr]]] = {
    "severity": lambda known: pl.col("severity").cast(pl.String),
    "state": lambda known: pl.col("state").cast(pl.String),
    "source": lambda known: pl.col("source").cast(pl.String),
    "month": lambda known: _month(),
    "duration": lambda known: _duration_band(),
    "people": _people,
    "commander": lambda known: pl.col("commander").cast(pl.String),
}
"""Facet name -> expression (given the known Datadog emails, if any) of each row's value."""

# Words too common in incident titles to narrow anything.
_STOP_WORDS: Final = ("a", "an", "and", "at", "for", "in", "is", "of", "on", "the", "to", "with")


def _title_words() -> pl.Expr:
    words = pl.col("title").str.to_lowercase().str.extract_all(r"[^\W_]{2,}")
    return words.list.eval(
        pl.element().filter(~pl.element().is_in(pl.Series(_STOP_WORDS, dtype=pl.String).implode()))
    ).list.unique()


LIST_FACETS: Final[dict[str, Callable[[], pl.Expr]]] = {
    "teams": lambda: pl.col("teams"),
    "services": lambda: pl.col("services"),
    "title words": _title_words,
}
"""Facet name -> expression of each row's list of values (a row matches on any of them)."""


def _unknown_facet(name: str) -> ConfigError:
    known = ", ".join([*FACETS, *LIST_FACETS, CHECK_FACET])
    return ConfigError(f"no facet named {name!r}; facets are {known}")


def facet_expr(name: str, known_emails: Collection[str] | None = None) -> pl.Expr:
    """The expression of facet ``name``, aliased to the facet's name."""
    try:
        return FACETS[name](known_emails).alias(name)
    except KeyError:
        raise _unknown_facet(name) from None


def list_facet_expr(name: str) -> pl.Expr:
    """The list expression of list facet ``name`` (teams, services, title words)."""
    try:
        return LIST_FACETS[name]().alias(name)
    except KeyError:
        raise _unknown_facet(name) from None


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if isinstance(dtype, pl.List):
        return column.cast(pl.List(pl.String)).list.join("; ")
    if isinstance(dtype, pl.Struct):
        return column.struct.json_encode()
    if isinstance(dtype, pl.Datetime):
        return column.dt.strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(dtype, pl.Duration):
        return column.dt.to_string("polars")
    return column.cast(pl.String, strict=False)


def search_mask(
    frame: pl.DataFrame, text: str, *, regex: bool = False, columns: Collection[str] = ()
) -> pl.Series:
    """True for rows where any of ``columns`` (default: every column) contains ``text``.

    ``regex=True`` reads ``text`` as a regular expression (Rust syntax; ``(?i)`` for any
    case); otherwise the match is a case-insensitive substring.
    """
    names = [name for name in (columns or frame.columns) if not name.startswith("__")]
    if regex:
        try:
            pl.select(pl.lit("").str.contains(text))
        except pl.exceptions.PolarsError as error:
            raise ConfigError(f"search: {text!r} is not a regular expression ({error})") from None
        parts = [
            _as_text(name, frame.schema[name]).str.contains(text).fill_null(False) for name in names
        ]
    else:
        needle = text.lower()
        parts = [
            _as_text(name, frame.schema[name])
            .str.to_lowercase()
            .str.contains(needle, literal=True)
            .fill_null(False)
            for name in names
        ]
    if not parts:
        return pl.Series("mask", [False] * frame.height, dtype=pl.Boolean)
    return frame.select(pl.any_horizontal(parts).alias("mask")).to_series()


def check_mask(frame: pl.DataFrame, report: CheckReport, names: Collection[str]) -> pl.Series:
    """True for rows of ``frame`` that fail any of the checks ``names`` (per ``report``)."""
    keys: set[str] = set()
    for name in names:
        keys.update(report.failing(name)[ROW_KEY].to_list())
    return frame.get_column(ROW_KEY).is_in(pl.Series(sorted(keys), dtype=pl.String))


class Where(BaseModel):
    """Rows whose facet values are among the accepted ones (all facets must match).

    ``Where(facets={"state": ["active"], "check": ["zero_length_incident"]})``: active rows
    that fail ``zero_length_incident``. ``None`` in a list accepts the rows without a value.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    facets: dict[str, list[str | None]]
    search: str = ""
    """Text any column must contain (empty: no search)."""
    regex: bool = False
    """Read ``search`` as a regular expression."""
    search_in: list[str] | None = None
    """The columns ``search`` looks in (``None``: every column); absent ones are skipped."""
    ranges: dict[str, tuple[float | None, float | None]] = {}
    """Duration column -> ``(at least, below)`` in hours (``None``: open end); a row without
    the duration is left out."""

    @model_serializer(mode="wrap")
    def _without_unused(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A scope without search or ranges is written as before they existed, so recipes
        # (and the committed sample) read the same in older and newer ddinc.
        data: dict[str, Any] = handler(self)
        unused_values: tuple[tuple[str, object], ...] = (
            ("search", ""),
            ("regex", False),
            ("search_in", None),
            ("ranges", {}),
        )
        for name, unused in unused_values:
            if data.get(name) == unused:
                data.pop(name, None)
        return data

    def describe(self) -> str:
        """The filter as one line."""
        parts = [
            f"{name} in ({', '.join('(none)' if v is None else v for v in values)})"
            for name, values in self.facets.items()
        ]
        if self.search:
            parts.append(f"{'matching' if self.regex else 'containing'} {self.search!r}")
        for column, (low, high) in self.ranges.items():
            parts.append(
                f"{column} {'from ' + format(low, 'g') + 'h' if low is not None else ''}"
                f"{' ' if low is not None and high is not None else ''}"
                f"{'below ' + format(high, 'g') + 'h' if high is not None else ''}".rstrip()
            )
        return " and ".join(parts) if parts else "every row"

    @property
    def needs_checks(self) -> bool:
        """True when evaluating it needs the checks of the frame."""
        return CHECK_FACET in self.facets


def _accepts(expr: pl.Expr, values: list[str | None]) -> pl.Expr:
    texts = [value for value in values if value is not None]
    mask = expr.is_in(pl.Series(texts, dtype=pl.String).implode()).fill_null(False)
    if None in values:
        mask = mask | expr.is_null()
    return mask


def _accepts_any(expr: pl.Expr, values: list[str | None]) -> pl.Expr:
    texts = [value for value in values if value is not None]
    mask = (
        expr.list.eval(pl.element().is_in(pl.Series(texts, dtype=pl.String).implode()))
        .list.any()
        .fill_null(False)
    )
    if None in values:
        mask = mask | expr.is_null() | (expr.list.len() == 0)
    return mask


def where_mask(
    frame: pl.DataFrame,
    where: Where,
    report: Callable[[], CheckReport] | None = None,
    known_emails: Collection[str] | None = None,
) -> pl.Series:
    """True for rows of ``frame`` that ``where`` selects.

    ``report`` is called (once) only when the filter names the ``check`` facet.
    """
    masks = [
        _accepts_any(list_facet_expr(name), values)
        if name in LIST_FACETS
        else _accepts(facet_expr(name, known_emails), values)
        for name, values in where.facets.items()
        if name != CHECK_FACET
    ]
    mask = (
        frame.select(pl.all_horizontal(masks).alias("mask")).to_series()
        if masks
        else pl.Series("mask", [True] * frame.height, dtype=pl.Boolean)
    )
    if where.needs_checks:
        if report is None:
            raise ConfigError("this filter names failing checks, but no check report was given")
        names = [value for value in where.facets[CHECK_FACET] if value is not None]
        mask = mask & check_mask(frame, report(), names)
    if where.search:
        if where.search_in is None:
            mask = mask & search_mask(frame, where.search, regex=where.regex)
        else:
            present = [name for name in where.search_in if name in frame.columns]
            found = (
                search_mask(frame, where.search, regex=where.regex, columns=present)
                if present
                else pl.Series("mask", [False] * frame.height, dtype=pl.Boolean)
            )
            mask = mask & found
    for column, (low, high) in where.ranges.items():
        mask = mask & range_mask(frame, column, low, high)
    return mask.alias("mask")


def range_mask(
    frame: pl.DataFrame, column: str, low: float | None, high: float | None
) -> pl.Series:
    """True for rows whose duration ``column`` is at least ``low`` and below ``high`` hours."""
    if column not in frame.columns or not isinstance(frame.schema[column], pl.Duration):
        durations = [n for n, t in frame.schema.items() if isinstance(t, pl.Duration)]
        raise ConfigError(
            f"no duration column {column!r} to filter by range; durations: {', '.join(durations)}"
        )
    hours = pl.col(column).dt.total_seconds(fractional=True) / 3600
    condition = hours.is_not_null()
    if low is not None:
        condition = condition & (hours >= low)
    if high is not None:
        condition = condition & (hours < high)
    return frame.select(condition.fill_null(False).alias("mask")).to_series()
