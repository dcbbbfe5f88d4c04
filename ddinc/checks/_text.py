"""Values as analyst-readable text, as polars expressions (for check messages).

Timestamps read ``2024-01-12T15:45:00Z`` (with the fraction when two compared ones fall in the
same second), durations ``57 ms`` or ``4 h 0 min 58 s`` (``-5 h`` when negative), and a missing
value reads ``(missing)`` rather than vanishing, so that a message never hides nulls.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Final

import polars as pl

from ddinc.errors import ConfigError

__all__ = [
    "MISSING",
    "PY_WHITESPACE",
    "duration_text",
    "is_blank",
    "join_when",
    "literal_texts",
    "pair_texts",
    "quoted",
    "render_template",
    "text",
    "timestamp_text",
]

MISSING: Final = "(missing)"
_US_PER_SECOND: Final = 1_000_000


# Python's whitespace (str.isspace), which the request models and ddinc.limits strip: polars'
# own set lacks the four information separators \x1c-\x1f, so a title of "\x1c" passed the
# check and was then refused by the client.
PY_WHITESPACE: Final = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def is_blank(expr: pl.Expr) -> pl.Expr:
    """True where the text ``expr`` is null, empty or only whitespace (as Python's strip)."""
    return expr.is_null() | (expr.str.strip_chars(PY_WHITESPACE) == "")


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


# (unit label, microseconds per unit), largest first, for spans of a minute or more.
_UNITS: Final = (("d", 86_400 * _US_PER_SECOND), ("h", 3_600 * _US_PER_SECOND),
                 ("min", 60 * _US_PER_SECOND), ("s", _US_PER_SECOND))  # fmt: skip


def _clock_text(micros: pl.Expr) -> pl.Expr:
    """``micros`` (>= 1 minute) as ``4 h 0 min 58 s``: from the largest non-zero unit down to
    the smallest non-zero one, zeros in between kept so that no unit can be misread."""
    counts: list[pl.Expr] = []
    rest = micros
    for _, size in _UNITS:
        counts.append(rest // size)
        rest = rest % size
    pieces = []
    for i, (label, _) in enumerate(_UNITS):
        bigger = pl.any_horizontal([count > 0 for count in counts[: i + 1]])
        smaller = pl.any_horizontal([count > 0 for count in counts[i:]])
        pieces.append(pl.when(bigger & smaller).then(pl.format(f"{{}} {label}", counts[i])))
    return pl.concat_str(pieces, separator=" ", ignore_nulls=True)


def duration_text(expr: pl.Expr) -> pl.Expr:
    """A duration in human units, at the precision its size needs.

    ``250 µs`` and ``57 ms`` below a second, ``1.5 s`` below a minute, then
    ``4 h 0 min 58 s`` (to the second, toward zero); one leading ``-`` when negative. A
    sub-second gap never reads ``0 s``: the real gap is shown.
    """
    micros = expr.dt.total_microseconds()
    size = micros.abs()
    sign = pl.when(micros < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    fraction = ((size // 1_000) % 1_000).cast(pl.String).str.zfill(3).str.strip_chars_end("0")
    seconds = pl.format("{}", size // _US_PER_SECOND)
    body = (
        pl.when(size == 0)
        .then(pl.lit("0 s"))
        .when(size < 1_000)
        .then(pl.format("{} µs", size))
        .when(size < _US_PER_SECOND)
        .then(pl.format("{} ms", size // 1_000))
        .when(size < 60 * _US_PER_SECOND)
        .then(
            pl.when(fraction == "")
            .then(pl.format("{} s", seconds))
            .otherwise(pl.format("{}.{} s", seconds, fraction))
        )
        .otherwise(_clock_text(size))
    )
    return pl.when(micros.is_not_null()).then(pl.concat_str([sign, body]))


def pair_texts(first: pl.Expr, second: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Two timestamps as text that never look identical when they differ.

    Both read to the second (:func:`timestamp_text`); when they are less than a second apart
    (so they could read the same, or a second apart for a gap of 57 ms), both gain
    milliseconds, and microseconds when they fall in the same millisecond.
    """
    gap = (first - second).dt.total_microseconds().abs()
    same_milli = first.dt.truncate("1ms") == second.dt.truncate("1ms")

    def shown(value: pl.Expr) -> pl.Expr:
        utc = value.dt.convert_time_zone("UTC")
        return (
            pl.when((gap > 0) & same_milli)
            .then(utc.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
            .when((gap > 0) & (gap < _US_PER_SECOND))
            .then(utc.dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"))
            .otherwise(timestamp_text(value))
        )

    return shown(first), shown(second)


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
