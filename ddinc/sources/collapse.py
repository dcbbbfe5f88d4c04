"""Two steps of the canonical engine after the rows are read: collapsing an event log to one
row per incident, and filling a missing detected time when the analyst said where from.

Both say what they chose: events that disagree on an earliest-wins time, and every filled
detected time, are noted.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from ddinc.readers import ROW
from ddinc.schema import TIMESTAMPS
from ddinc.sources.columns import raw_name
from ddinc.sources.mapping import LIST_FIELDS, TEXT_FIELDS, Mapping
from ddinc.sources.mapping import NOTES as _NOTES_FIELD

__all__ = [
    "ID",
    "NOTES",
    "ORDER",
    "VOCABULARY_FIELDS",
    "collapse",
    "fill_detected",
    "in_event_order",
]

# Working columns the engine shares with these steps.
ID: Final = "__id"
ORDER: Final = "__order"
NOTES: Final = "load_notes"
VOCABULARY_FIELDS: Final = ("state", "severity")
# How many incidents a file's note names before saying how many more there are.
_LISTED: Final = 10


def in_event_order(frame: pl.DataFrame) -> bool:
    """Whether rows already run by id, then event order, then row (no missing order)."""
    previous_id, previous_order = pl.col(ID).shift(1), pl.col(ORDER).shift(1)
    in_order = (pl.col(ID) > previous_id) | (
        (pl.col(ID) == previous_id) & (pl.col(ORDER) >= previous_order)
    )
    checked = frame.select(
        in_order.fill_null(False).slice(1).all() & pl.col(ORDER).is_not_null().all()
    )
    return bool(checked.item())


def collapse(good: pl.DataFrame, mapping: Mapping) -> tuple[pl.DataFrame, list[str]]:
    """One row per incident id from an event log, and notes for the file: per earliest-wins
    time (ServiceNow's ``opened_at``), the incidents whose events disagree, by id, with the
    times they give (each incident's own note says it too)."""
    assert mapping.events is not None
    earliest = set(mapping.events.earliest)
    # Audit logs usually come sorted by id and event order already: skip the sort then.
    ordered = good if in_event_order(good) else good.sort([ID, ORDER, ROW], nulls_last=True)
    aggs: list[pl.Expr] = [pl.col(ROW).alias("source_rows")]
    for name in TEXT_FIELDS:
        if name in VOCABULARY_FIELDS:
            # The latest event that says something: an unmapped word still wins (and is
            # flagged), a missing value does not.
            aggs.append(pl.col(name).filter(pl.col(raw_name(name)).is_not_null()).last())
        else:
            aggs.append(pl.col(name).drop_nulls().last())
    aggs += [pl.col(raw_name(name)).drop_nulls().last() for name in (*VOCABULARY_FIELDS, "title")]
    for name in LIST_FIELDS:
        aggs.append(pl.col(name).drop_nulls().last())
    conflicts: list[pl.Expr] = []
    for name in TIMESTAMPS:
        if name in earliest:
            aggs.append(pl.col(name).min())
            # min and max run in the native group-by: a cheap way to see events disagree.
            aggs.append(pl.col(name).max().alias(f"__latest_{name}"))
            conflicts.append(
                pl.when(pl.col(f"__latest_{name}") != pl.col(name)).then(
                    pl.format(
                        f"{name}: the events give different times, from {{}} to {{}}; "
                        "the earliest was taken",
                        pl.col(name).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        pl.col(f"__latest_{name}").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    )
                )
            )
            aggs.append(
                pl.coalesce(
                    pl.col(raw_name(name)).min_by(name), pl.col(raw_name(name)).drop_nulls().first()
                ).alias(raw_name(name))
            )
        else:
            aggs += [pl.col(name).last(), pl.col(raw_name(name)).last()]
    carried = [c for c in good.columns if c.startswith("field.")]
    aggs += [pl.col(c).drop_nulls().last() for c in carried]
    aggs.append(pl.col(NOTES).list.explode(keep_nulls=False, empty_as_null=False).alias(NOTES))
    # Every event's notes in event order; an audit log repeats an unchanged text on each
    # event, so a text is kept once. Most logs carry none: then no per-group list work.
    if good.get_column(_NOTES_FIELD).list.len().sum():
        aggs.append(
            pl.col(_NOTES_FIELD)
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique(maintain_order=True)
            .alias(_NOTES_FIELD)
        )
    else:
        aggs.append(pl.lit([], dtype=pl.List(pl.String)).alias(_NOTES_FIELD))
    collapsed = ordered.group_by(ID, maintain_order=True).agg(aggs)
    if not conflicts:
        return collapsed, []
    notes = _disagreements(collapsed, mapping)
    return collapsed.with_columns(
        pl.concat_list(pl.col(NOTES), *conflicts).list.drop_nulls().alias(NOTES)
    ), notes


def _disagreements(collapsed: pl.DataFrame, mapping: Mapping) -> list[str]:
    """Re-checked after the collapse: incidents whose events gave an earliest-wins time more
    than one value, named by id with the earliest and latest value, per time."""
    assert mapping.events is not None
    notes = []
    for name in mapping.events.earliest:
        latest = f"__latest_{name}"
        if latest not in collapsed.columns:
            continue
        odd = collapsed.filter(pl.col(latest) != pl.col(name)).select(
            ID,
            pl.col(name).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            pl.col(latest).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        if odd.height == 0:
            continue
        shown = ", ".join(f"{key} ({a} to {b})" for key, a, b in odd.head(_LISTED).iter_rows())
        more = f" and {odd.height - _LISTED} more" if odd.height > _LISTED else ""
        column = mapping.columns.get(name, name)
        notes.append(
            f"{column}: the events of {odd.height} incident(s) give different times, the "
            f"earliest was taken ({mapping.id} {shown}{more}); check them in the source"
        )
    return notes


def fill_detected(incidents: pl.DataFrame, mapping: Mapping) -> tuple[pl.DataFrame, str | None]:
    """Fill a missing detected time from the timestamp the analyst named, and say so: in
    ``raw.detected`` of each filled row, and in a note counting them."""
    origin = mapping.detected_from
    if origin is None:
        return incidents, None
    fill = pl.col("detected").is_null() & pl.col(origin).is_not_null()
    count = int(incidents.select(fill.sum()).item())
    if not count:
        return incidents, None
    filled = incidents.with_columns(
        pl.when(fill)
        .then(pl.format(f"from {origin}: {{}}", pl.col(raw_name(origin))))
        .otherwise(pl.col(raw_name("detected")))
        .alias(raw_name("detected")),
        pl.when(fill).then(pl.col(origin)).otherwise(pl.col("detected")).alias("detected"),
    )
    # Time to detect is zero for these by construction: say so, never silently.
    note = (
        f"detected was missing for {count} incident(s) and taken from {origin} "
        f"(detected_from={origin!r}); their time to detect is 0 by assumption"
    )
    return filled, note
