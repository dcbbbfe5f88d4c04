"""Facets: the analyst's ways of narrowing the view, and the scope of a bulk edit.

A facet gives every row one text value (``None`` is its own bucket): its severity, state,
source, month, the band its time to resolve falls in, whether its people are mapped to
Datadog users. The ``check`` facet is the odd one: a row can fail several checks, so it is
given by the :class:`~ddinc.checks.CheckReport` of the frame, not by an expression.

A :class:`Where` (facet name -> accepted values; values of one facet OR-ed, facets AND-ed)
is how a recipe step records "the rows I was looking at": replayed on a fresh export it
selects the rows that match *then*, which is what OpenRefine does with its facets.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Final

import polars as pl
from pydantic import BaseModel, ConfigDict

from ddinc.checks import CheckReport
from ddinc.errors import ConfigError
from ddinc.rowkey import ROW_KEY

__all__ = [
    "CHECK_FACET",
    "DURATION_BANDS",
    "FACETS",
    "Where",
    "check_mask",
    "facet_expr",
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
}
"""Facet name -> expression (given the known Datadog emails, if any) of each row's value."""


def facet_expr(name: str, known_emails: Collection[str] | None = None) -> pl.Expr:
    """The expression of facet ``name``, aliased to the facet's name."""
    try:
        return FACETS[name](known_emails).alias(name)
    except KeyError:
        known = ", ".join([*FACETS, CHECK_FACET])
        raise ConfigError(f"no facet named {name!r}; facets are {known}") from None


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

    def describe(self) -> str:
        """The filter as one line."""
        if not self.facets:
            return "every row"
        parts = [
            f"{name} in ({', '.join('(none)' if v is None else v for v in values)})"
            for name, values in self.facets.items()
        ]
        return " and ".join(parts)

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
        _accepts(facet_expr(name, known_emails), values)
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
    return mask.alias("mask")
