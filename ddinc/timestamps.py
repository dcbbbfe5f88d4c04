"""Legacy timestamp text -> timezone-aware UTC, the one way every loader does it.

Legacy exports write one instant in many ways: ISO 8601 with or without an offset, epoch
seconds or milliseconds, ``5/3/2016 12:00`` (day-first), ``3/15/2016 3:45 PM`` (month-first),
``12/Jan/24 3:45 PM`` (Jira), ``2024-01-12 15:45:00 UTC`` (PagerDuty CSV), and often several of
these in one column. :func:`parse_timestamps` reads them all and says what it did.

How a column is read, and why:

- Text is stripped and every spelling in :data:`NULL_SPELLINGS` becomes null (missing, not
  invalid).
- Speed: the styles of a column are detected from a sample of up to 1000 values; the whole
  column is parsed once with the best one and verified, and only the rows it missed meet
  the next styles seen in the sample, then (once per distinct text) every other style. A
  clean column costs about one ``str.to_datetime`` pass.
- Nothing is accepted by partial matching (``exact=False`` silently drops seconds); a value
  no style reads, or an impossible date such as ``31/02/2016``, is null and flagged
  ``invalid``. ``%Y`` must read a four-digit year: chrono would read ``5/3/16`` as year 16.
- Day/month order of numeric dates is decided per column: a value whose first number is
  above 12 proves day-first, a second number above 12 proves month-first. A column proving
  both is a :class:`~ddinc.errors.LoadError`. When nothing proves either, day-first is
  assumed (the legacy exports this tool meets, ServiceNow above all, are day-first, and
  ``str.to_datetime`` does the same) and the assumption is written into ``styles``.
- Epoch digits: 9 or 10 digits are seconds, 12 or 13 digits are milliseconds, an optional
  ``.fraction`` kept to the microsecond. Both ranges cover the same instants, 1973-03-03 to
  2286-11-20, so the magnitude decides the unit unambiguously; other digit strings (``0``,
  ``20240112``) are flagged invalid rather than read as 1970.
- Naive values are wall-clock time in ``tz``. A local time skipped by a DST change is null and
  flagged ``nonexistent``; one that happens twice keeps the earlier instant and is flagged
  ``ambiguous``. Values with an offset ignore ``tz``.

>>> raw = pl.Series(["29/2/2016 01:16", " ? ", "2016-03-05T12:00:00Z", "5/3/2016 12:00"])
>>> parsed = parse_timestamps(raw, tz="Europe/London")
>>> parsed.values.to_list()[:2]
[datetime.datetime(2016, 2, 29, 1, 16, tzinfo=zoneinfo.ZoneInfo(key='UTC')), None]
>>> parsed.invalid.to_list(), parsed.order, parsed.assumed_tz
([False, False, False, False], <DateOrder.DAY_FIRST: 'day_first'>, 'Europe/London')
>>> parsed.styles
('D/M/YYYY HH:MM', 'YYYY-M-DTHH:MM:SS[.f]Z|±HH:MM')
>>> parse_timestamps(pl.Series(["5/3/2016 12:00", "garbage"])).styles
('D/M/YYYY HH:MM, day-first assumed',)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

import polars as pl

from ddinc.errors import ConfigError, LoadError
from ddinc.schema import Timestamp

__all__ = [
    "NULL_SPELLINGS",
    "DateOrder",
    "ParsedTimestamps",
    "normalize_nulls",
    "parse_timestamps",
]

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

_EPOCH_SECONDS: Final = "epoch-s"
_EPOCH_MILLISECONDS: Final = "epoch-ms"
_SAMPLE_SIZE: Final = 1000
_US_PER_S: Final = 1_000_000
_US_PER_MS: Final = 1_000
_DAY_PROOF: Final = 12  # a day above this cannot be a month
# chrono's %Y reads "16" as year 16; the bounds of years 1000-9999, as polars stores them.
_MIN_YEAR_US: Final = (datetime(1000, 1, 1) - datetime(1970, 1, 1)) // timedelta(microseconds=1)
_MAX_YEAR_US: Final = (datetime.max - datetime(1970, 1, 1)) // timedelta(microseconds=1)


class DateOrder(StrEnum):
    """Which number comes first in an ambiguous numeric date such as ``5/3/2016``."""

    DAY_FIRST = "day_first"
    MONTH_FIRST = "month_first"


@dataclass(frozen=True)
class ParsedTimestamps:
    """What :func:`parse_timestamps` read, row by row, and how.

    Attributes
    ----------
    values
        ``Datetime("us", "UTC")``, same length as the input; null where missing or unreadable.
    invalid
        True where the input held a value (after :func:`normalize_nulls`) that no style read.
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
    """

    values: pl.Series
    invalid: pl.Series
    nonexistent: pl.Series
    ambiguous: pl.Series
    styles: tuple[str, ...]
    format_codes: tuple[str, ...]
    assumed_tz: str | None
    order: DateOrder | None


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


# -- styles -------------------------------------------------------------------------------

_OFFSET_CODE = re.compile(r"%[#:]{0,2}z|%\+")
_UTC_SUFFIXES = ("Z", " UTC", " GMT")
_LABELS: Final = {
    "%Y": "YYYY",
    "%y": "YY",
    "%m": "M",
    "%d": "D",
    "%B": "Mon",
    "%b": "Mon",
    "%H": "HH",
    "%I": "h",
    "%M": "MM",
    "%S": "SS",
    "%.f": "[.f]",
    "%p": "AM/PM",
    "%#z": "Z|±HH:MM",
    "%z": "±HHMM",
    "%:z": "±HH:MM",
}
_EPOCH_LABELS: Final = {_EPOCH_SECONDS: "epoch seconds", _EPOCH_MILLISECONDS: "epoch milliseconds"}
# Whole digits per epoch unit; see the module docstring for why these ranges.
_EPOCH_DIGITS: Final = {
    _EPOCH_SECONDS: (9, 10, _US_PER_S),
    _EPOCH_MILLISECONDS: (12, 13, _US_PER_MS),
}
_NUMERIC_SHAPE: Final = r"^[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-][0-9]"


@dataclass(frozen=True)
class _Style:
    """One way of writing an instant: a chrono format or an epoch unit."""

    code: str
    order: DateOrder | None = None  # set for numeric day/month styles only

    @property
    def label(self) -> str:
        if self.code in _EPOCH_LABELS:
            return _EPOCH_LABELS[self.code]
        return re.sub(r"%[#:]?[.A-Za-z]f?", lambda m: _LABELS.get(m[0], m[0]), self.code)

    def parse(self, text: pl.Series) -> pl.Series:
        """Naive ``Datetime("us")`` or ``Datetime("us", "UTC")``; null where it does not match."""
        if self.code in _EPOCH_DIGITS:
            return _parse_epoch_text(text, self.code)
        parsed = text.str.to_datetime(self.code, time_unit="us", strict=False)
        if "%Y" in self.code:
            # chrono's %Y reads "16" as year 16: leave such rows to a %y style or to `invalid`.
            micros = parsed.to_physical()
            if ((micros < _MIN_YEAR_US) | (micros > _MAX_YEAR_US)).any():
                parsed = _keep(parsed, micros.is_between(_MIN_YEAR_US, _MAX_YEAR_US))
        if parsed.dtype == pl.Datetime("us") and self.code.endswith(_UTC_SUFFIXES):
            parsed = parsed.dt.replace_time_zone("UTC")
        return parsed


def _keep(series: pl.Series, mask: pl.Series) -> pl.Series:
    """``series`` where ``mask`` is true, null elsewhere."""
    frame = pl.DataFrame({"v": series, "m": mask})
    return frame.select(pl.when(pl.col("m")).then(pl.col("v"))).to_series().alias(series.name)


def _parse_epoch_text(text: pl.Series, code: str) -> pl.Series:
    low, high, per_unit = _EPOCH_DIGITS[code]
    frac_digits = 6 if per_unit == _US_PER_S else 3
    # [0-9], not \d: the regex engine's \d also matches the digits of other scripts.
    parts = text.str.extract_groups(rf"^([0-9]{{{low},{high}}})(?:\.([0-9]+))?$").struct.unnest()
    whole, frac = parts.columns
    micros = pl.col(whole).cast(pl.Int64) * per_unit + (
        # Digits beyond the microsecond are truncated: the canonical unit is "us".
        pl.col(frac).str.slice(0, frac_digits).str.pad_end(frac_digits, "0").cast(pl.Int64)
    ).fill_null(0)
    stamps = pl.from_epoch(micros, time_unit="us").dt.replace_time_zone("UTC")
    return parts.select(stamps).to_series().alias(text.name)


def _clocks() -> tuple[str, ...]:
    return ("", " %H:%M", " %H:%M:%S%.f", " %I:%M %p", " %I:%M:%S %p")


def _numeric_styles(order: DateOrder) -> list[_Style]:
    first, second = ("%d", "%m") if order is DateOrder.DAY_FIRST else ("%m", "%d")
    return [
        _Style(f"{first}{sep}{second}{sep}{year}{clock}", order)
        for sep in "/-."
        for year in ("%Y", "%y")
        for clock in _clocks()
    ]


def _builtin_styles(order: DateOrder) -> list[_Style]:
    """Every style tried when no formats are given, the common ones first."""
    iso = [
        *(f"%Y-%m-%d{sep}{clock}%#z" for sep in "T " for clock in ("%H:%M:%S%.f", "%H:%M")),
        "%Y-%m-%d %H:%M:%S%.f UTC",
        "%Y-%m-%d %H:%M UTC",
        *(f"%Y-%m-%d{sep}{clock}" for sep in "T " for clock in ("%H:%M:%S%.f", "%H:%M")),
        "%Y-%m-%d",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
        "%Y/%m/%d",
    ]
    # %B also reads abbreviations ("Jan"), %b does not read "January".
    month_names = [
        *(
            f"%d{sep}%B{sep}{year}{clock}"
            for sep in "/- "
            for year in ("%Y", "%y")
            for clock in _clocks()
        ),
        *(f"%B %d, %Y{clock}" for clock in _clocks()),
    ]
    return [
        *(_Style(code) for code in iso),
        _Style(_EPOCH_SECONDS),
        _Style(_EPOCH_MILLISECONDS),
        *_numeric_styles(order),
        *(_Style(code) for code in month_names),
    ]


def _other(order: DateOrder) -> DateOrder:
    return DateOrder.MONTH_FIRST if order is DateOrder.DAY_FIRST else DateOrder.DAY_FIRST


# -- one pass of one style, then the whole column ------------------------------------------


def _falses(n: int) -> pl.Series:
    return pl.repeat(False, n, dtype=pl.Boolean, eager=True)


def _localize(naive: pl.Series, tz: str) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Wall-clock time in ``tz`` -> (UTC instants, nonexistent, ambiguous)."""
    nonexistent, ambiguous = _falses(len(naive)), _falses(len(naive))
    if tz == "UTC":
        return naive.dt.replace_time_zone("UTC"), nonexistent, ambiguous
    # One full pass that nulls both DST troubles, then the (few) troubled rows again.
    local = naive.dt.replace_time_zone(tz, ambiguous="null", non_existent="null")
    trouble = naive.is_not_null() & local.is_null()
    if trouble.any():
        rows = trouble.arg_true()
        earliest = naive.gather(rows).dt.replace_time_zone(
            tz, ambiguous="earliest", non_existent="null"
        )
        local = local.scatter(rows, earliest)
        nonexistent = nonexistent.scatter(rows, earliest.is_null())
        ambiguous = ambiguous.scatter(rows, earliest.is_not_null())
    return local.dt.convert_time_zone("UTC"), nonexistent, ambiguous


def _day_proof(text: pl.Series, parsed: pl.Series) -> str | None:
    """The first text whose parsed day is above 12, which proves its day/month order."""
    over = (parsed.dt.day() > _DAY_PROOF).fill_null(False)
    return str(text[int(over.arg_max() or 0)]) if over.any() else None


def _first_proof(text: pl.Series, styles: Sequence[_Style]) -> str | None:
    """The first text that ``styles`` (one day/month order) can read only in that order."""
    text = text.filter(text.str.contains(_NUMERIC_SHAPE).fill_null(False))
    for style in styles:
        if text.is_empty():
            return None
        parsed = style.parse(text)
        if (proof := _day_proof(text, parsed)) is not None:
            return proof
        text = text.filter(parsed.is_null())
    return None


@dataclass(frozen=True)
class _Cascade:
    """Per-position results of trying styles in turn: a coalesce that parses each text once."""

    values: pl.Series
    matched: pl.Series
    nonexistent: pl.Series
    ambiguous: pl.Series
    style_index: pl.Series  # position in the styles tried; null where none read the text
    counts: dict[int, int]  # positions read, per style index
    proof: str | None  # first text a numeric style read with a day above 12
    remaining: pl.Series  # positions of present texts no style read


def _to_utc(parsed: pl.Series, tz: str) -> tuple[pl.Series, pl.Series, pl.Series]:
    if parsed.dtype.time_zone is None:  # type: ignore[attr-defined]
        return _localize(parsed, tz)
    return parsed, _falses(len(parsed)), _falses(len(parsed))


def _cascade(text: pl.Series, styles: Sequence[_Style], tz: str, *, prove: bool) -> _Cascade:
    """Read ``text`` with ``styles[0]`` in one pass, then each next style on what is left."""
    first, *rest = styles
    parsed = first.parse(text)
    hit = parsed.is_not_null()
    values, nonexistent, ambiguous = _to_utc(parsed, tz)
    matched = hit
    style_index = _keep(pl.repeat(0, len(text), dtype=pl.UInt32, eager=True), hit)
    counts = {0: int(hit.sum())}
    proof = _day_proof(text, parsed) if prove and first.order is not None else None
    remaining = (text.is_not_null() & ~hit).arg_true()
    for index, style in enumerate(rest, start=1):
        if remaining.is_empty():
            break
        subset = text.gather(remaining)
        parsed = style.parse(subset)
        hit = parsed.is_not_null()
        if not hit.any():
            continue
        if prove and proof is None and style.order is not None:
            proof = _day_proof(subset, parsed)
        at = remaining.filter(hit)
        utc, gap, overlap = _to_utc(parsed.filter(hit), tz)
        values = values.scatter(at, utc)
        matched = matched.scatter(at, True)
        nonexistent = nonexistent.scatter(at, gap)
        ambiguous = ambiguous.scatter(at, overlap)
        style_index = style_index.scatter(at, index)
        counts[index] = len(at)
        remaining = remaining.filter(~hit)
    return _Cascade(values, matched, nonexistent, ambiguous, style_index, counts, proof, remaining)


@dataclass(frozen=True)
class _Outcome:
    values: pl.Series
    matched: pl.Series
    nonexistent: pl.Series
    ambiguous: pl.Series
    rows: dict[_Style, int]  # rows read per style
    proof: str | None  # first text a numeric style read with a day above 12
    leftover: pl.Series  # distinct present texts no style read


def _run(
    text: pl.Series, styles: Sequence[_Style], tz: str, *, prove: bool, per_row: int
) -> _Outcome:
    """Read ``text``: the first ``per_row`` styles row by row, the rest once per distinct text.

    The styles seen in the sample go row by row, so a column mixing two styles costs two
    passes. The long tail of unlikely styles only meets the leftovers, which are mostly a
    few garbage spellings repeated: de-duplicating them first keeps that tail cheap.
    """
    head, tail = styles[: max(per_row, 1)], styles[max(per_row, 1) :]
    rows = _cascade(text, head, tz, prove=prove)
    counts = {head[index]: count for index, count in rows.counts.items()}
    values, matched = rows.values, rows.matched
    nonexistent, ambiguous, proof = rows.nonexistent, rows.ambiguous, rows.proof
    left = text.gather(rows.remaining)
    distinct = left.unique(maintain_order=True)
    if tail and not distinct.is_empty():
        found = _cascade(distinct, tail, tz, prove=prove)
        at = (
            left.to_frame("t")
            .join(distinct.to_frame("t").with_row_index("at"), on="t", maintain_order="left")
            .get_column("at")
        )
        values = values.scatter(rows.remaining, found.values.gather(at))
        matched = matched.scatter(rows.remaining, found.matched.gather(at))
        nonexistent = nonexistent.scatter(rows.remaining, found.nonexistent.gather(at))
        ambiguous = ambiguous.scatter(rows.remaining, found.ambiguous.gather(at))
        for index, count in found.style_index.gather(at).drop_nulls().value_counts().iter_rows():
            counts[tail[index]] = count
        proof = proof or found.proof
        distinct = distinct.gather(found.remaining)
    return _Outcome(values, matched, nonexistent, ambiguous, counts, proof, distinct)


def _sample(text: pl.Series) -> pl.Series:
    present = text.drop_nulls()
    if len(present) <= _SAMPLE_SIZE:
        return present
    # Evenly spread, so a style change halfway through the export is seen.
    return present.gather(pl.int_range(0, len(present), len(present) // _SAMPLE_SIZE, eager=True))


def _ranked(sample: pl.Series, styles: Sequence[_Style]) -> tuple[list[_Style], int]:
    """Styles by how much of the sample they read (stable), and how many read any of it.

    Stops at the first style that reads the whole sample: that is the common, clean case.
    """
    hits: dict[_Style, int] = {}
    for style in styles:
        hits[style] = int(style.parse(sample).is_not_null().sum())
        if hits[style] == len(sample):
            break
    ranked = sorted(styles, key=lambda style: -hits.get(style, 0))
    return ranked, sum(1 for count in hits.values() if count > 0)


def _is_naive(style: _Style) -> bool:
    return not (
        style.code in _EPOCH_DIGITS
        or _OFFSET_CODE.search(style.code)
        or style.code.endswith(_UTC_SUFFIXES)
    )


# -- the public entry point ----------------------------------------------------------------


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
    tz = _checked_tz(tz)
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
        none = _falses(len(text))
        values = pl.Series(raw.name, dtype=Timestamp).extend_constant(None, len(text))
        return ParsedTimestamps(values, none, none.clone(), none.clone(), (), (), None, None)

    assumed = False
    if formats is not None:
        tried = _checked_formats(formats)
        outcome = _run(text, tried, tz, prove=False, per_row=len(tried))
    else:
        outcome, decided, assumed = _detect(text, tz, decided, name)
    used = [style for style, count in outcome.rows.items() if count > 0]
    if not used:
        raise _unreadable(text, name, formats, given)
    used.sort(key=lambda style: -outcome.rows[style])
    numeric = [style for style in used if style.order is not None]
    note = f", {decided.value.replace('_', '-')} assumed" if assumed and decided else ""
    styles = tuple(s.label + note if s in numeric else s.label for s in used)
    return ParsedTimestamps(
        values=outcome.values.alias(raw.name),
        invalid=(text.is_not_null() & ~outcome.matched).alias("invalid"),
        nonexistent=outcome.nonexistent.alias("nonexistent"),
        ambiguous=outcome.ambiguous.alias("ambiguous"),
        styles=styles,
        format_codes=tuple(style.code for style in used),
        assumed_tz=tz if any(_is_naive(style) for style in used) else None,
        order=decided if numeric or formats is not None else None,
    )


def _detect(
    text: pl.Series, tz: str, order: DateOrder | None, column: str | None
) -> tuple[_Outcome, DateOrder, bool]:
    """Detect styles and day/month order, then read; returns (outcome, order, order assumed)."""
    sample = _sample(text)

    def read(order: DateOrder, *, prove: bool) -> _Outcome:
        styles, likely = _ranked(sample, _builtin_styles(order))
        return _run(text, styles, tz, prove=prove, per_row=likely)

    if order is not None:
        return read(order, prove=False), order, False
    day = _first_proof(sample, _numeric_styles(DateOrder.DAY_FIRST))
    month = _first_proof(sample, _numeric_styles(DateOrder.MONTH_FIRST))
    if day is not None and month is not None:
        raise _mixed_orders(column, day, month)
    decided = DateOrder.MONTH_FIRST if month is not None else DateOrder.DAY_FIRST
    proof = day or month
    outcome = read(decided, prove=proof is None)
    proof = proof or outcome.proof
    # Anything the other order reads among the leftovers proves the other order.
    against = _first_proof(outcome.leftover, _numeric_styles(_other(decided)))
    if against is not None and proof is not None:
        day, month = (proof, against) if decided is DateOrder.DAY_FIRST else (against, proof)
        raise _mixed_orders(column, day, month)
    if against is not None:
        # Nothing proved the tentative order: the column is in the other one.
        decided, proof = _other(decided), against
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


def _checked_tz(tz: str) -> str:
    if not isinstance(tz, str) or not tz:
        raise ConfigError(f"tz must be an IANA time zone name such as 'Europe/London', not {tz!r}")
    try:
        pl.Series([None], dtype=pl.Datetime("us")).dt.replace_time_zone(tz)
    except pl.exceptions.PolarsError:
        raise ConfigError(
            f"unknown time zone {tz!r}: pass an IANA name such as 'UTC', 'Europe/London' "
            "or 'America/New_York'"
        ) from None
    return tz


def _checked_order(order: DateOrder | str | None) -> DateOrder | None:
    if order is None:
        return None
    try:
        return DateOrder(order)
    except ValueError:
        allowed = ", ".join(repr(o.value) for o in DateOrder)
        raise ConfigError(f"order must be {allowed} or None, not {order!r}") from None


def _checked_formats(formats: Sequence[str]) -> list[_Style]:
    if isinstance(formats, str) or not formats or not all(isinstance(f, str) for f in formats):
        raise ConfigError(
            f"formats must be a non-empty list of chrono formats such as ['%d/%m/%Y %H:%M'], "
            f"not {formats!r}"
        )
    return [_Style(code) for code in dict.fromkeys(formats)]


def _from_datetimes(raw: pl.Series, tz: str) -> ParsedTimestamps:
    naive = raw.cast(pl.Datetime("us")) if raw.dtype == pl.Date else raw.dt.cast_time_unit("us")
    n = len(raw)
    if naive.dtype.time_zone is None:  # type: ignore[attr-defined]
        values, nonexistent, ambiguous = _localize(naive, tz)
        assumed: str | None = tz
    else:
        values, nonexistent, ambiguous = naive.dt.convert_time_zone("UTC"), _falses(n), _falses(n)
        assumed = None
    return ParsedTimestamps(
        values=values.alias(raw.name),
        invalid=_falses(n).alias("invalid"),
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
                .then((x * _US_PER_S).round())
                .when(millis)
                .then((x * _US_PER_MS).round())
                .cast(pl.Int64),
                time_unit="us",
            ).dt.replace_time_zone("UTC"),
        )
    )
    invalid = frame["present"] & frame["values"].is_null()
    used = [
        (code, int(frame[flag].sum()))
        for code, flag in ((_EPOCH_SECONDS, "seconds"), (_EPOCH_MILLISECONDS, "millis"))
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
        nonexistent=_falses(len(raw)).alias("nonexistent"),
        ambiguous=_falses(len(raw)).alias("ambiguous"),
        styles=tuple(_EPOCH_LABELS[code] for code, _ in used),
        format_codes=tuple(code for code, _ in used),
        assumed_tz=None,
        order=None,
    )
