"""Values as analyst-readable text, as polars expressions (for check messages).

Timestamps read ``2024-01-12T15:45:00Z``, durations ``2h 30m`` (``-5h`` when negative), and a
missing value reads ``(missing)`` rather than vanishing, so that a message never hides nulls.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Final

import polars as pl

from ddinc.errors import ConfigError

__all__ = [
    "MISSING",
    "duration_text",
    "is_blank",
    "join_when",
    "literal_texts",
    "quoted",
    "render_template",
    "text",
    "timestamp_text",
]

MISSING: Final = "(missing)"
_US_PER_SECOND: Final = 1_000_000


def is_blank(expr: pl.Expr) -> pl.Expr:
    """True where the text ``expr`` is null, empty or only whitespace."""
    return expr.is_null() | (expr.str.strip_chars() == "")


def quoted(expr: pl.Expr) -> pl.Expr:
    """``expr`` between double quotes, so that blanks and spaces show in a message."""
    return pl.format('"{}"', expr)


def join_when(parts: list[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    """The texts of the ``(condition, text)`` parts whose condition holds, joined by ``"; "``."""
    return pl.concat_str(
        [pl.when(condition).then(piece) for condition, piece in parts],
        separator="; ",
        ignore_nulls=True,
    )


def literal_texts(**values: str) -> dict[str, pl.Expr]:
    """Constant message values (e.g. from the context) as String literals."""
    return {name: pl.lit(value, dtype=pl.String) for name, value in values.items()}


def timestamp_text(expr: pl.Expr) -> pl.Expr:
    """A timezone-aware timestamp as RFC 3339 UTC text with a ``Z``, to the second."""
    return expr.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def duration_text(expr: pl.Expr) -> pl.Expr:
    """A duration as ``3d 4h 5m 6s``, rounded toward zero to the second.

    polars writes ``-1h -30m`` for negative spans; one leading minus reads better. A non-zero
    span shorter than a second reads ``<1s`` rather than a misleading ``0s``.
    """
    micros = expr.dt.total_microseconds()
    seconds = micros.abs() // _US_PER_SECOND
    body = pl.duration(seconds=seconds).dt.to_string("polars")
    sign = pl.when(micros < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return (
        pl.when(micros == 0)
        .then(pl.lit("0s"))
        .when(seconds == 0)
        .then(pl.concat_str([sign, pl.lit("<1s")]))
        .otherwise(pl.concat_str([sign, body]))
    )


def text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """``expr`` of type ``dtype`` as display text, nulls as :data:`MISSING`."""
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            rendered = expr.dt.strftime("%Y-%m-%dT%H:%M:%S")
        else:
            rendered = timestamp_text(expr)
    elif isinstance(dtype, pl.Duration):
        rendered = duration_text(expr)
    elif isinstance(dtype, pl.List):
        rendered = expr.list.eval(pl.element().cast(pl.String)).list.join(", ")
    elif isinstance(dtype, pl.Struct):
        rendered = expr.struct.json_encode()
    else:
        rendered = expr.cast(pl.String)
    return rendered.fill_null(MISSING)


def render_template(template: str, values: Mapping[str, pl.Expr], *, owner: str) -> pl.Expr:
    """The message ``template`` filled from ``values`` (String expressions), one per row.

    ``owner`` names the check in the error raised for an unknown field, which is a bug in the
    check's definition, never a problem with the data.
    """
    pieces: list[pl.Expr] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise ConfigError(
            f"check {owner}: message template {template!r} is malformed ({error}); "
            "write fields as {column} and literal braces as {{ }}"
        ) from None
    for literal, name, spec, conversion in parsed:
        if literal:
            pieces.append(pl.lit(literal, dtype=pl.String))
        if name is None:
            continue
        if spec or conversion:
            raise ConfigError(
                f"check {owner}: message field {{{name}}} has a format spec or conversion; "
                "use plain {column} fields and format the value in the check's details"
            )
        if name not in values:
            known = ", ".join(sorted(values))
            raise ConfigError(
                f"check {owner}: message field {{{name}}} is neither a column nor a detail; "
                f"known names: {known}"
            )
        pieces.append(values[name].fill_null(MISSING))
    if not pieces:
        return pl.lit("", dtype=pl.String)
    return pl.concat_str(pieces)
