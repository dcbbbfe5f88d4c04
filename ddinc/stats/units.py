"""Durations in seconds, written the way an analyst reads them (``45 s``, ``12 min``, ``3.5 h``)."""

from __future__ import annotations

import math
from typing import Final

__all__ = ["UNITS", "human_duration", "unit_for"]

UNITS: Final = (("d", 86_400.0), ("h", 3_600.0), ("min", 60.0), ("s", 1.0))
"""Units from the largest, with their size in seconds."""


def unit_for(seconds: float) -> tuple[str, float]:
    """The largest unit that ``seconds`` holds at least once (``s`` for less than a minute)."""
    size = abs(seconds)
    for name, unit in UNITS:
        if size >= unit:
            return name, unit
    return "s", 1.0


def human_duration(seconds: float | None) -> str:
    """``seconds`` with two or three significant figures in its natural unit.

    >>> [human_duration(s) for s in (0, 0.25, 45, 90, 754, 12_600, 3 * 86_400, -7_200, None)]
    ['0 s', '0.25 s', '45 s', '1.5 min', '13 min', '3.5 h', '3 d', '-2 h', '-']
    """
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    if seconds == 0:
        return "0 s"
    name, unit = unit_for(seconds)
    value = seconds / unit
    digits = 2 if abs(value) < 1 else 1 if abs(value) < 10 else 0
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {name}"
