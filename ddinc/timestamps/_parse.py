"""The public entry point: :func:`parse_timestamps` and the :class:`ParsedTimestamps` it returns."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from ddinc.errors import ConfigError, LoadError
from ddinc.schema import Timestamp
from ddinc.timestamps._cascade import run
from ddinc.timestamps._detect import detect
from ddinc.timestamps._nulls import normalize_nulls
from ddinc.timestamps._styles import (
    EPOCH_LABELS,
    EPOCH_MILLISECONDS,
    EPOCH_SECONDS,
    US_PER_MS,
    US_PER_S,
    DateOrder,
    Style,
    is_naive,
    leap_seconds,
)
from ddinc.timestamps._zones import checked_tz, falses, localize, within_range

__all__ = ["ParsedTimestamps", "parse_timestamps"]


@dataclass(frozen=True)
class ParsedTimestamps:
    """What :func:`parse_timestamps` read, row by row, and how.

    Attributes
    ----------
    values
        ``Datetime("us", "UTC")``, same length as the input; null where missing or unreadable.
    invalid
        True where the input held a value (after :func:`normalize_nulls`) that no style read,
        or one that falls outside the years 1-9999 once in UTC (its value is null).
    nonexistent
        True where a naive local time falls in a DST gap of ``tz``; its value is null.
    ambiguous
        True where a naive local time happens twice in ``tz``; the earlier instant is kept.
    styles
        Human-readable styles used, most rows first, e.g. ``("D/M/YYYY HH:MM",)``.
    format_codes
        The chrono formats (or ``"epoch-s"`` / ``"epoch-ms"``) used, in the same order.
    assumed_tz
        The zone applied to naive values, or None when every value carried its own offset.
    order
        The day/month order applied to numeric dates, None when the column had none.
    notes
        Choices made that the analyst should hear about: values out of range, leap seconds.
    """

    values: pl.Series
    invalid: pl.Series
    nonexistent: pl.Series
    ambiguous: pl.Series
    styles: tuple[str, ...]
    format_codes: tuple[str, ...]
    assumed_tz: str | None
    order: DateOrder | None
    notes: tuple[str, ...] = ()


def parse_timestamps(
    raw: pl.Series,
    *,
    tz: str = "UTC",
    order: DateOrder | str | None = None,
    formats: Sequence[str] | None = None,
    column: str | None = None,
) -> ParsedTimestamps:
    """Read a column of legacy timestamps as timezone-aware UTC.

    Parameters
    ----------
    raw
        Text (surrounding spaces and null spellings allowed), epoch numbers, or datetimes
        (naive ones are read in ``tz``, aware ones converted to UTC).
    tz
        IANA zone of naive values, e.g. ``"Europe/London"``. Values with an offset ignore it.
    order
        Day/month order of numeric dates such as ``5/3/2016``; detected from the column when
        None. Values in the other order are then flagged invalid.
    formats
        Chrono formats (or ``"epoch-s"``, ``"epoch-ms"``) to try, in order, instead of
        detecting the style.
    column
        Name used in error messages; defaults to ``raw.name``.

    Returns
    -------
    ParsedTimestamps
        Values and per-row flags (``invalid``, ``nonexistent``, ``ambiguous``), and what was
        applied (styles, formats, zone, order). Some invalid rows do not raise: the caller
        quarantines them.

    Raises
    ------
    ConfigError
        ``tz``, ``order`` or ``formats`` is not usable, or ``raw`` has another dtype.
    LoadError
        The column has values but none can be read (``value`` and ``row``, the 1-based
        position in ``raw``, point at the first), or its numeric dates prove both day-first
        and month-first.
    """
    name = column if column is not None else (raw.name or None)
    parsed = _parse(raw, tz=tz, order=order, formats=formats, name=name)
    return _checked_range(parsed, raw, name)


def _parse(
    raw: pl.Series,
    *,
    tz: str,
    order: DateOrder | str | None,
    formats: Sequence[str] | None,
    name: str | None,
) -> ParsedTimestamps:
    tz = checked_tz(tz)
    given = decided = _checked_order(order)
    dtype = raw.dtype
    if isinstance(dtype, pl.Datetime) or dtype == pl.Date:
        return _from_datetimes(raw, tz)
    if dtype.is_numeric():
        return _from_epoch_numbers(raw, name)
    if isinstance(dtype, pl.Categorical | pl.Enum) or dtype == pl.Null:
        raw = raw.cast(pl.String)
    elif dtype != pl.String:
        raise ConfigError(
            f"column {name!r} holds {dtype}, not timestamps: pass text, epoch numbers or datetimes"
        )
    text = raw.to_frame("t").select(normalize_nulls(pl.col("t"))).to_series().alias(raw.name)
    if text.null_count() == len(text):
        none = falses(len(text))
        values = pl.Series(raw.name, dtype=Timestamp).extend_constant(None, len(text))
        return ParsedTimestamps(values, none, none.clone(), none.clone(), (), (), None, None)

    assumed = False
    if formats is not None:
        tried = _checked_formats(formats)
        outcome = run(text, tried, tz, prove=False, per_row=len(tried))
    else:
        outcome, decided, assumed = detect(text, tz, decided, name)
    used = [style for style, count in outcome.rows.items() if count > 0]
    if not used:
        raise _unreadable(text, name, formats, given)
    used.sort(key=lambda style: -outcome.rows[style])
    numeric = [style for style in used if style.order is not None]
    note = f", {decided.value.replace('_', '-')} assumed" if assumed and decided else ""
    styles = tuple(s.label + note if s in numeric else s.label for s in used)
    leap = leap_seconds(text) & outcome.values.is_not_null()
    return ParsedTimestamps(
        values=outcome.values.alias(raw.name),
        invalid=(text.is_not_null() & ~outcome.matched).alias("invalid"),
        nonexistent=outcome.nonexistent.alias("nonexistent"),
        ambiguous=outcome.ambiguous.alias("ambiguous"),
        styles=styles,
        format_codes=tuple(style.code for style in used),
        assumed_tz=tz if any(is_naive(style) for style in used) else None,
        order=decided if numeric or formats is not None else None,
        notes=_leap_note(text, leap, name),
    )


def _described(column: str | None) -> str:
    return f"column {column!r}" if column else "timestamps"


def _leap_note(text: pl.Series, leap: pl.Series, column: str | None) -> tuple[str, ...]:
    if not leap.any():
        return ()
    count = int(leap.sum())
    first = text.filter(leap)[0]
    return (
        f"{_described(column)}: {count} value(s) at second 60, a leap second (first: "
        f"{first!r}), read as second 59.999999 of that minute rather than the next minute",
    )


def _checked_range(
    parsed: ParsedTimestamps, raw: pl.Series, column: str | None
) -> ParsedTimestamps:
    """``parsed`` with instants outside the years 1-9999 (once in UTC) made invalid."""
    values, outside = within_range(parsed.values)
    if not outside.any():
        return parsed
    count = int(outside.sum())
    first = raw.filter(outside)[0]
    note = (
        f"{_described(column)}: {count} value(s) fall outside the years 1-9999 once converted "
        f"to UTC (first: {str(first)!r}); flagged invalid and left empty"
    )
    return dataclasses.replace(
        parsed,
        values=values,
        invalid=(parsed.invalid | outside).alias("invalid"),
        notes=(*parsed.notes, note),
    )


def _unreadable(
    text: pl.Series, column: str | None, formats: Sequence[str] | None, order: DateOrder | None
) -> LoadError:
    at = int(text.is_not_null().arg_max() or 0)
    tried = f"none of formats={list(formats)!r} matches; " if formats is not None else ""
    hint = (
        f"{tried}pass formats=[...] with the chrono format of this column, for example "
        "formats=['%d/%m/%Y %H:%M'] or ['%Y-%m-%dT%H:%M:%S%#z'] (codes: "
        "https://docs.rs/chrono/latest/chrono/format/strftime/)"
    )
    if order is not None and formats is None:
        hint += f", or check order={order.value!r}"
    return LoadError(
        "no value in this column can be read as a date and time",
        hint=hint,
        column=column,
        row=at + 1,
        value=text[at],
    )


def _checked_order(order: DateOrder | str | None) -> DateOrder | None:
    if order is None:
        return None
    try:
        return DateOrder(order)
    except ValueError:
        allowed = ", ".join(repr(o.value) for o in DateOrder)
        raise ConfigError(f"order must be {allowed} or None, not {order!r}") from None


def _checked_formats(formats: Sequence[str]) -> list[Style]:
    if isinstance(formats, str) or not formats or not all(isinstance(f, str) for f in formats):
        raise ConfigError(
            f"formats must be a non-empty list of chrono formats such as ['%d/%m/%Y %H:%M'], "
            f"not {formats!r}"
        )
    return [Style(code) for code in dict.fromkeys(formats)]


def _from_datetimes(raw: pl.Series, tz: str) -> ParsedTimestamps:
    naive = raw.cast(pl.Datetime("us")) if raw.dtype == pl.Date else raw.dt.cast_time_unit("us")
    n = len(raw)
    if naive.dtype.time_zone is None:  # type: ignore[attr-defined]
        values, nonexistent, ambiguous = localize(naive, tz)
        assumed: str | None = tz
    else:
        values, nonexistent, ambiguous = naive.dt.convert_time_zone("UTC"), falses(n), falses(n)
        assumed = None
    return ParsedTimestamps(
        values=values.alias(raw.name),
        invalid=falses(n).alias("invalid"),
        nonexistent=nonexistent.alias("nonexistent"),
        ambiguous=ambiguous.alias("ambiguous"),
        styles=(f"{raw.dtype} values",),
        format_codes=(),
        assumed_tz=assumed,
        order=None,
    )


def _from_epoch_numbers(raw: pl.Series, column: str | None) -> ParsedTimestamps:
    """Epoch numbers, seconds or milliseconds by magnitude (same ranges as epoch text)."""
    x = pl.col("x")
    seconds = x.is_between(1e8, 1e10, closed="left")
    millis = x.is_between(1e11, 1e13, closed="left")
    frame = (
        raw.cast(pl.Float64)
        .to_frame("x")
        .select(
            present=x.is_not_null() & ~x.is_nan(),
            seconds=seconds.fill_null(False),
            millis=millis.fill_null(False),
            values=pl.from_epoch(
                pl.when(seconds)
                .then((x * US_PER_S).round())
                .when(millis)
                .then((x * US_PER_MS).round())
                .cast(pl.Int64),
                time_unit="us",
            ).dt.replace_time_zone("UTC"),
        )
    )
    invalid = frame["present"] & frame["values"].is_null()
    used = [
        (code, int(frame[flag].sum()))
        for code, flag in ((EPOCH_SECONDS, "seconds"), (EPOCH_MILLISECONDS, "millis"))
    ]
    used = sorted((u for u in used if u[1] > 0), key=lambda u: -u[1])
    if frame["present"].any() and not used:
        at = int(frame["present"].arg_max() or 0)
        raise LoadError(
            "no number in this column is an epoch time in seconds (9-10 digits) or "
            "milliseconds (12-13 digits)",
            hint="convert the column to timestamps yourself, or pass it as text with "
            "formats=[...] naming its chrono format",
            column=column,
            row=at + 1,
            value=raw[at],
        )
    return ParsedTimestamps(
        values=frame["values"].alias(raw.name),
        invalid=invalid.alias("invalid"),
        nonexistent=falses(len(raw)).alias("nonexistent"),
        ambiguous=falses(len(raw)).alias("ambiguous"),
        styles=tuple(EPOCH_LABELS[code] for code, _ in used),
        format_codes=tuple(code for code, _ in used),
        assumed_tz=None,
        order=None,
    )
