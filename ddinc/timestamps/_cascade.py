"""Reading a column with styles in turn: one pass of one style, then the rows it missed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from ddinc.timestamps._styles import Style, keep
from ddinc.timestamps._zones import to_utc

__all__ = ["Outcome", "day_proof", "run"]

_DAY_PROOF: Final = 12  # a day above this cannot be a month


def day_proof(text: pl.Series, parsed: pl.Series) -> str | None:
    """The first text whose parsed day is above 12, which proves its day/month order."""
    over = (parsed.dt.day() > _DAY_PROOF).fill_null(False)
    return str(text[int(over.arg_max() or 0)]) if over.any() else None


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


def _cascade(text: pl.Series, styles: Sequence[Style], tz: str, *, prove: bool) -> _Cascade:
    """Read ``text`` with ``styles[0]`` in one pass, then each next style on what is left."""
    first, *rest = styles
    parsed = first.parse(text)
    hit = parsed.is_not_null()
    values, nonexistent, ambiguous = to_utc(parsed, tz)
    matched = hit
    style_index = keep(pl.repeat(0, len(text), dtype=pl.UInt32, eager=True), hit)
    counts = {0: int(hit.sum())}
    proof = day_proof(text, parsed) if prove and first.order is not None else None
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
            proof = day_proof(subset, parsed)
        at = remaining.filter(hit)
        utc, gap, overlap = to_utc(parsed.filter(hit), tz)
        values = values.scatter(at, utc)
        matched = matched.scatter(at, True)
        nonexistent = nonexistent.scatter(at, gap)
        ambiguous = ambiguous.scatter(at, overlap)
        style_index = style_index.scatter(at, index)
        counts[index] = len(at)
        remaining = remaining.filter(~hit)
    return _Cascade(values, matched, nonexistent, ambiguous, style_index, counts, proof, remaining)


@dataclass(frozen=True)
class Outcome:
    values: pl.Series
    matched: pl.Series
    nonexistent: pl.Series
    ambiguous: pl.Series
    rows: dict[Style, int]  # rows read per style
    proof: str | None  # first text a numeric style read with a day above 12
    leftover: pl.Series  # distinct present texts no style read


def run(text: pl.Series, styles: Sequence[Style], tz: str, *, prove: bool, per_row: int) -> Outcome:
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
    return Outcome(values, matched, nonexistent, ambiguous, counts, proof, distinct)
