"""The styles an instant is written in: chrono formats and epoch units, and the day/month order.

A :class:`Style` reads one way of writing an instant, in one vectorised pass; the tables
below list every style tried when a column's formats are not given, the common ones first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

import polars as pl

__all__ = [
    "EPOCH_LABELS",
    "EPOCH_MILLISECONDS",
    "EPOCH_SECONDS",
    "US_PER_MS",
    "US_PER_S",
    "DateOrder",
    "Style",
    "builtin_styles",
    "is_naive",
    "keep",
    "leap_seconds",
    "numeric_styles",
    "other_order",
]

EPOCH_SECONDS: Final = "epoch-s"
EPOCH_MILLISECONDS: Final = "epoch-ms"
US_PER_S: Final = 1_000_000
US_PER_MS: Final = 1_000
# chrono's %Y reads "16" as year 16; the bounds of years 1000-9999, as polars stores them.
_MIN_YEAR_US: Final = (datetime(1000, 1, 1) - datetime(1970, 1, 1)) // timedelta(microseconds=1)
_MAX_YEAR_US: Final = (datetime.max - datetime(1970, 1, 1)) // timedelta(microseconds=1)


class DateOrder(StrEnum):
    """Which number comes first in an ambiguous numeric date such as ``5/3/2016``."""

    DAY_FIRST = "day_first"
    MONTH_FIRST = "month_first"


# A clock reading at second 60 ("23:59:60", "10:15:60.5"); chrono reads it as the next minute.
_LEAP_SECOND: Final = r"(?:^|[^0-9])[0-9]{1,2}:[0-9]{2}:60(?:[.,][0-9]+)?(?:[^0-9]|$)"
_ONE_US: Final = timedelta(microseconds=1)
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
EPOCH_LABELS: Final = {EPOCH_SECONDS: "epoch seconds", EPOCH_MILLISECONDS: "epoch milliseconds"}
# Whole digits per epoch unit; see the docstring of ddinc.timestamps for why these ranges.
_EPOCH_DIGITS: Final = {
    EPOCH_SECONDS: (9, 10, US_PER_S),
    EPOCH_MILLISECONDS: (12, 13, US_PER_MS),
}


@dataclass(frozen=True)
class Style:
    """One way of writing an instant: a chrono format or an epoch unit."""

    code: str
    order: DateOrder | None = None  # set for numeric day/month styles only

    @property
    def label(self) -> str:
        if self.code in EPOCH_LABELS:
            return EPOCH_LABELS[self.code]
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
                parsed = keep(parsed, micros.is_between(_MIN_YEAR_US, _MAX_YEAR_US))
        if parsed.dtype == pl.Datetime("us") and self.code.endswith(_UTC_SUFFIXES):
            parsed = parsed.dt.replace_time_zone("UTC")
        leap = leap_seconds(text) & parsed.is_not_null()
        if leap.any():
            # Keep a leap second in the minute (and day) it was written in: the last
            # microsecond of that minute, not the first of the next one.
            at = leap.arg_true()
            parsed = parsed.scatter(at, parsed.gather(at).dt.truncate("1s") - _ONE_US)
        return parsed


def leap_seconds(text: pl.Series) -> pl.Series:
    """Where ``text`` holds a clock reading at second 60 (a leap second)."""
    return text.str.contains(_LEAP_SECOND).fill_null(False)


def keep(series: pl.Series, mask: pl.Series) -> pl.Series:
    """``series`` where ``mask`` is true, null elsewhere."""
    frame = pl.DataFrame({"v": series, "m": mask})
    return frame.select(pl.when(pl.col("m")).then(pl.col("v"))).to_series().alias(series.name)


def _parse_epoch_text(text: pl.Series, code: str) -> pl.Series:
    low, high, per_unit = _EPOCH_DIGITS[code]
    frac_digits = 6 if per_unit == US_PER_S else 3
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


def numeric_styles(order: DateOrder) -> list[Style]:
    first, second = ("%d", "%m") if order is DateOrder.DAY_FIRST else ("%m", "%d")
    return [
        Style(f"{first}{sep}{second}{sep}{year}{clock}", order)
        for sep in "/-."
        for year in ("%Y", "%y")
        for clock in _clocks()
    ]


def builtin_styles(order: DateOrder) -> list[Style]:
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
        *(Style(code) for code in iso),
        Style(EPOCH_SECONDS),
        Style(EPOCH_MILLISECONDS),
        *numeric_styles(order),
        *(Style(code) for code in month_names),
    ]


def other_order(order: DateOrder) -> DateOrder:
    return DateOrder.MONTH_FIRST if order is DateOrder.DAY_FIRST else DateOrder.DAY_FIRST


def is_naive(style: Style) -> bool:
    return not (
        style.code in _EPOCH_DIGITS
        or _OFFSET_CODE.search(style.code)
        or style.code.endswith(_UTC_SUFFIXES)
    )
