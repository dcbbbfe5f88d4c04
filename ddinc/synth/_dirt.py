"""The dirt injected into samples: its names, how often, and the time-bending helpers.

Every sample writer picks which incidents get which dirt with :func:`assign_dirt`, from a
per-source table of rates (a ``float`` is a share of the incidents, at least one; an ``int``
is an exact count per file). Each incident gets at most one tag, so the truth frame can say
unambiguously what was done to a record, and a test can count the tags against the rates.

Tags, and what they mean in a file:

- ``backfilled``: every timestamp of the record is the same instant (on the hour), as when
  someone typed an old incident in after the fact;
- ``reversed``: resolved before declared (the interval is mirrored);
- ``hour_shift``: some of the record's times are off by whole hours (a timezone bug);
- ``duplicate``: the record appears twice, identical (overlapping exports concatenated);
- ``duplicate_id``: a different incident carries the id of another one;
- ``no_id``: the record has no id at all and cannot become an incident;
- ``missing_title`` / ``long_title``: an empty title / one of more than 1024 characters;
- ``free_text_severity``: a severity/priority value outside the source's vocabulary;
- ``trailing_space``: text values (state, team, person) with trailing spaces;
- ``display_name``: a person named by display name where the source holds emails;
- ``null_spelling``: missing cells written ``?``, ``N/A`` or ``null`` instead of left empty;
- ``mixed_date_style``: the record's dates in the file's other date style;
- ``dst_gap`` / ``dst_overlap``: a naive local time that does not exist / exists twice;
- ``priority_change``, ``odd_state``: ServiceNow event logs only (see that module).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Final

import polars as pl

__all__ = [
    "BACKFILLED",
    "DISPLAY_NAME",
    "DST_GAP",
    "DST_OVERLAP",
    "DUPLICATE",
    "DUPLICATE_ID",
    "FREE_TEXT_SEVERITIES",
    "FREE_TEXT_SEVERITY",
    "HOUR_SHIFT",
    "LONG_TITLE",
    "MISSING_TITLE",
    "MIXED_DATE_STYLE",
    "NEEDS_RESOLVED",
    "NO_ID",
    "NULL_SPELLING",
    "NULL_SPELLINGS",
    "ODD_STATE",
    "PRIORITY_CHANGE",
    "REVERSED",
    "TRAILING_SPACE",
    "DirtSpec",
    "apply_time_dirt",
    "assign_dirt",
    "long_title",
    "planned_count",
]

BACKFILLED: Final = "backfilled"
REVERSED: Final = "reversed"
HOUR_SHIFT: Final = "hour_shift"
DUPLICATE: Final = "duplicate"
DUPLICATE_ID: Final = "duplicate_id"
NO_ID: Final = "no_id"
MISSING_TITLE: Final = "missing_title"
LONG_TITLE: Final = "long_title"
FREE_TEXT_SEVERITY: Final = "free_text_severity"
TRAILING_SPACE: Final = "trailing_space"
DISPLAY_NAME: Final = "display_name"
NULL_SPELLING: Final = "null_spelling"
MIXED_DATE_STYLE: Final = "mixed_date_style"
DST_GAP: Final = "dst_gap"
DST_OVERLAP: Final = "dst_overlap"
PRIORITY_CHANGE: Final = "priority_change"
ODD_STATE: Final = "odd_state"

# Tags that bend the resolution time need an incident that was resolved.
NEEDS_RESOLVED: Final = frozenset({BACKFILLED, REVERSED})

# Spellings of "missing" seen in hand-kept exports; the empty cell is the honest one.
NULL_SPELLINGS: Final = ("?", "N/A", "null")
FREE_TEXT_SEVERITIES: Final = (
    "high-ish",
    "SEV 2?",
    "critical!!",
    "Major outage",
    "urgent",
    "tbd",
)
# Whole-hour offsets a timezone bug produces: DST, UTC vs Paris, UTC vs New York.
_SHIFTS_H: Final = (-5, -2, -1, 1, 2)

DirtSpec = Mapping[str, float | int]
"""Dirt tag -> share of incidents (``float``, at least one) or exact count per file (``int``)."""


def planned_count(rate: float | int, n: int) -> int:
    """How many of ``n`` incidents a rate asks for.

    >>> planned_count(0.03, 100), planned_count(0.03, 10), planned_count(2, 100)
    (3, 1, 2)
    >>> planned_count(0.5, 0)
    0
    """
    if n == 0:
        return 0
    if isinstance(rate, int):
        return min(rate, n)
    return max(1, round(rate * n))


def assign_dirt(
    rng: random.Random,
    spec: DirtSpec,
    resolved: Sequence[bool],
    shiftable: Sequence[bool] | None = None,
) -> list[str | None]:
    """One tag or ``None`` per incident, each tag on :func:`planned_count` incidents.

    Tags are given out in ``spec`` order to distinct incidents; a tag in
    :data:`NEEDS_RESOLVED` only goes to incidents whose ``resolved`` flag is true, and
    ``hour_shift`` only to those whose ``shiftable`` flag is (they have a time to shift).
    When the file is too small for every tag, later tags get fewer incidents (the truth
    says so).
    """
    n = len(resolved)
    can_shift = shiftable if shiftable is not None else [True] * n
    order = list(range(n))
    rng.shuffle(order)
    tags: list[str | None] = [None] * n
    for tag, rate in spec.items():
        wanted = planned_count(rate, n)
        for index in order:
            if wanted == 0:
                break
            if (
                tags[index] is None
                and (tag not in NEEDS_RESOLVED or resolved[index])
                and (tag != HOUR_SHIFT or can_shift[index])
            ):
                tags[index] = tag
                wanted -= 1
    return tags


def long_title(title: str, rng: random.Random) -> str:
    """``title`` with a pasted log excerpt after it, 1100 to 1600 characters long."""
    line = "ERROR upstream timed out (110: Connection timed out) while reading response header; "
    text = f"{title} -- pasted from the alert: " + line * 20
    return text[: rng.randint(1100, 1600)]


def apply_time_dirt(
    frame: pl.DataFrame,
    rng: random.Random,
    *,
    columns: Sequence[str],
    shifted: Sequence[str],
    dirt: str = "dirt",
) -> pl.DataFrame:
    """Bend the timestamps of tagged rows the way the tag says.

    Parameters
    ----------
    frame
        Incidents with a ``dirt`` column and timezone-aware ``columns``, which must include
        ``declared`` and ``resolved``.
    rng
        Draws the hour shift of each ``hour_shift`` row.
    columns
        Every timestamp column the source writes; a ``backfilled`` row gets all of them set
        to ``declared`` truncated to the hour (the unknown parts of an old record filled in).
    shifted
        The columns a ``hour_shift`` row has off by whole hours (those a person typed).

    Returns
    -------
    polars.DataFrame
        ``frame`` with the columns changed and an ``hour_shift`` column (hours, 0 if none).
    """
    tag = pl.col(dirt)
    shift_h = pl.Series("hour_shift", [rng.choice(_SHIFTS_H) for _ in range(frame.height)])
    backfill_at = pl.col("declared").dt.truncate("1h")
    mirrored = pl.col("declared") - (pl.col("resolved") - pl.col("declared"))
    shift = pl.duration(hours=pl.col("hour_shift"))
    return frame.with_columns(
        pl.when(tag == HOUR_SHIFT).then(shift_h).otherwise(0).alias("hour_shift")
    ).with_columns(
        pl.when(tag == BACKFILLED)
        .then(backfill_at)
        .when((tag == REVERSED) & pl.lit(name == "resolved"))
        .then(mirrored)
        .when((tag == HOUR_SHIFT) & pl.lit(name in shifted))
        .then(pl.col(name) + shift)
        .otherwise(pl.col(name))
        .alias(name)
        for name in columns
    )
