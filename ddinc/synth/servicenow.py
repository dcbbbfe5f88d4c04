"""ServiceNow audit event log: one row per event, several events per incident.

The event log has exactly the 36 columns of the UCI "incident management process enriched
event log" (:data:`EVENT_LOG_COLUMNS`) plus ``short_description``. Each incident is a run of
events ``New -> Active -> (Active | Awaiting ...)* -> Resolved -> Closed`` with
``sys_mod_count`` increasing; ``opened_at``, ``resolved_at`` and ``closed_at`` repeat the
incident's final values on every event, as in the UCI file; ``?`` means missing. Dates are
day-first, naive, in UTC: ``D/M/YYYY HH:MM`` unpadded (style ``"slash"``), or, once re-saved
through a spreadsheet, ``DD-MM-YYYY HH:MM`` with ``TRUE``/``FALSE`` booleans (``"dash"``).

The whole log is built column by column with polars, so a million events take seconds.
The incident table export is :mod:`ddinc.synth.servicenow_incidents`.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Final, Literal

import polars as pl

from ddinc.errors import ConfigError
from ddinc.synth._dirt import (
    BACKFILLED,
    DUPLICATE,
    DUPLICATE_ID,
    FREE_TEXT_SEVERITY,
    HOUR_SHIFT,
    LONG_TITLE,
    MISSING_TITLE,
    MIXED_DATE_STYLE,
    NO_ID,
    ODD_STATE,
    PRIORITY_CHANGE,
    REVERSED,
    TRAILING_SPACE,
    DirtSpec,
)
from ddinc.synth._sample import Sample, finish_truth, truth_path, write_truth
from ddinc.synth._servicenow import IMPACT_URGENCY, TIMESTAMPS, incidents
from ddinc.synth._world import END

__all__ = [
    "EVENT_LOG_COLUMNS",
    "EVENT_LOG_DIRT",
    "STYLES",
    "TIMESTAMPS",
    "Style",
    "servicenow_event_log",
    "write_servicenow_event_log",
]

EVENT_LOG_COLUMNS: Final = (
    "number", "incident_state", "active", "reassignment_count", "reopen_count",
    "sys_mod_count", "made_sla", "caller_id", "opened_by", "opened_at", "sys_created_by",
    "sys_created_at", "sys_updated_by", "sys_updated_at", "contact_type", "location",
    "category", "subcategory", "u_symptom", "cmdb_ci", "impact", "urgency", "priority",
    "assignment_group", "assigned_to", "knowledge", "u_priority_confirmation", "notify",
    "problem_id", "rfc", "vendor", "caused_by", "closed_code", "resolved_by", "resolved_at",
    "closed_at",
)  # fmt: skip
Style = Literal["slash", "dash"]
STYLES: Final[dict[str, str]] = {"slash": "%-d/%-m/%Y %H:%M", "dash": "%d-%m-%Y %H:%M"}

# Exact counts first, so that small files still get one of each.
EVENT_LOG_DIRT: Final[DirtSpec] = {
    NO_ID: 2,
    MISSING_TITLE: 1,
    LONG_TITLE: 1,
    BACKFILLED: 0.02,
    REVERSED: 0.02,
    HOUR_SHIFT: 0.02,
    DUPLICATE: 0.02,
    DUPLICATE_ID: 0.01,
    FREE_TEXT_SEVERITY: 0.02,
    TRAILING_SPACE: 0.03,
    MIXED_DATE_STYLE: 0.02,
    PRIORITY_CHANGE: 0.08,
    ODD_STATE: 0.01,
}
_MIDDLE_STATES: Final = (
    "Active",
    "Awaiting User Info",
    "Awaiting Problem",
    "Awaiting Vendor",
    "Awaiting Evidence",
)
_MIDDLE_WEIGHTS: Final = (50, 20, 10, 10, 10)
_MAX_EVENTS: Final = 30
_MEAN_MIDDLE: Final = 1.6  # mean of the exponential the extra middle events are drawn from
_ROWS_PER_INCIDENT: Final = 5.1  # observed mean, to size the population for n_events


def _text_columns(style: Style) -> list[pl.Expr]:
    """Per-incident text values of the event log, in the file's date and boolean style."""
    own, other = STYLES[style], STYLES["dash" if style == "slash" else "slash"]
    mixed = pl.col("dirt") == MIXED_DATE_STYLE
    backfilled = pl.col("dirt") == BACKFILLED

    def date(expr: pl.Expr) -> pl.Expr:
        return (
            pl.when(mixed).then(expr.dt.strftime(other)).otherwise(expr.dt.strftime(own))
        ).fill_null("?")

    created_at = (
        pl.when(backfilled)
        .then(pl.col("declared"))
        .otherwise(pl.col("w_declared") + pl.duration(seconds=pl.col("created_delay_s")))
    )
    spaced = pl.col("dirt") == TRAILING_SPACE
    team = pl.col("teams").list.first()
    person = pl.col("commander_name").fill_null("?")
    return [
        date(pl.col("declared_min")).alias("opened_at"),
        date(pl.col("resolved_min")).alias("resolved_at"),
        date(pl.col("closed_min")).alias("closed_at"),
        pl.when(pl.col("has_created"))
        .then(date(created_at.dt.truncate("1m")))
        .otherwise(pl.lit("?"))
        .alias("sys_created_at"),
        pl.when(spaced).then(team + "  ").otherwise(team).alias("assignment_group"),
        pl.when(spaced & pl.col("commander_name").is_not_null())
        .then(person + " ")
        .otherwise(person)
        .alias("assigned_name"),
        pl.when(pl.col("resolved").is_not_null())
        .then(person)
        .otherwise(pl.lit("?"))
        .alias("resolved_by"),
        pl.col("services").list.first().fill_null("?").alias("cmdb_ci"),
    ]


def _event_counts(
    frame: pl.DataFrame, rng: random.Random, n_events: int
) -> tuple[list[int], list[int]]:
    """Events per incident (``k``) and Active-or-Awaiting events (``a``), summing to n_events."""
    tags = frame["dirt"].to_list()
    tail = (
        frame["resolved"].is_not_null().cast(pl.Int64) + frame["closed"].is_not_null()
    ).to_list()
    extra = [min(int(rng.expovariate(1 / _MEAN_MIDDLE)), _MAX_EVENTS - 3) for _ in tags]
    needs_middle = {ODD_STATE, PRIORITY_CHANGE}
    floor = [1 if tag in needs_middle else 0 for tag in tags]
    extra = [max(e, f) for e, f in zip(extra, floor, strict=True)]
    copies = [2 if tag == DUPLICATE else 1 for tag in tags]

    def rows() -> int:
        return sum(
            1 if tag == NO_ID else (2 + e + t) * c
            for tag, e, t, c in zip(tags, extra, tail, copies, strict=True)
        )

    # Only single-copy incidents are adjusted, so each step moves the total by exactly one.
    adjustable = [i for i, tag in enumerate(tags) if tag not in (NO_ID, DUPLICATE)]
    diff = n_events - rows()
    while diff != 0:
        step = 1 if diff > 0 else -1
        moved = False
        for i in reversed(adjustable):
            if diff == 0:
                break
            new = extra[i] + step
            if floor[i] <= new and 2 + new + tail[i] <= _MAX_EVENTS:
                extra[i] = new
                diff -= step
                moved = True
        if not moved:
            raise ConfigError(
                f"cannot lay out exactly {n_events} events; ask for at least 50 events"
            )
    k = [1 if tag == NO_ID else 2 + e + t for tag, e, t in zip(tags, extra, tail, strict=True)]
    a = [0 if tag == NO_ID else 1 + e for tag, e in zip(tags, extra, strict=True)]
    return k, a


def _events(n_events: int, seed: int, style: Style) -> pl.DataFrame:
    """Every event, in file order (``row``), with the file's text columns and the truth's."""
    if style not in STYLES:
        raise ConfigError(f"style must be 'slash' or 'dash', not {style!r}")
    if n_events < 50:
        raise ConfigError(f"n_events must be at least 50, not {n_events}")
    rng = random.Random(f"servicenow-events:{seed}")
    n = max(1, round(n_events / _ROWS_PER_INCIDENT))
    inc = incidents(seed, n, EVENT_LOG_DIRT, rng)
    k, a = _event_counts(inc, rng, n_events)
    inc = inc.with_columns(
        pl.Series("k", k, dtype=pl.Int64), pl.Series("a", a, dtype=pl.Int64), *_text_columns(style)
    )
    export_end = pl.lit(END).dt.cast_time_unit("us")
    events = inc.with_columns(i=pl.int_ranges(0, "k")).explode("i")
    total = events.height
    backfilled = pl.col("dirt") == BACKFILLED
    t0 = (
        pl.when(backfilled)
        .then(pl.col("declared"))
        .otherwise(pl.col("w_declared") + pl.duration(seconds=pl.col("created_delay_s")))
    )
    mid_end = (
        pl.when(backfilled)
        .then(pl.col("declared"))
        .otherwise(pl.col("w_resolved").fill_null(export_end))
    )
    res_t = pl.when(backfilled).then(pl.col("declared")).otherwise(pl.col("w_resolved"))
    close_t = pl.when(backfilled).then(pl.col("declared")).otherwise(pl.col("w_closed"))
    i, a_ = pl.col("i"), pl.col("a")
    step = (mid_end - t0).dt.total_microseconds() * i // (a_ + 1)
    updated = (
        pl.when(i == 0)
        .then(t0)
        .when(i <= a_)
        .then(t0 + pl.duration(microseconds=step))
        .when(i == a_ + 1)
        .then(res_t)
        .otherwise(close_t)
    )
    state = (
        pl.when(i == 0)
        .then(pl.lit("New"))
        .when(i == 1)
        .then(pl.lit("Active"))
        .when((i == 2) & (pl.col("dirt") == ODD_STATE))
        .then(pl.lit("-100"))
        .when(i <= a_)
        .then(pl.col("middle_state"))
        .when(i == a_ + 1)
        .then(pl.lit("Resolved"))
        .otherwise(pl.lit("Closed"))
    )
    priority = (
        pl.when((pl.col("dirt") == PRIORITY_CHANGE) & (i < pl.col("k") // 2))
        .then(pl.col("earlier_priority"))
        .otherwise(pl.col("priority"))
    )
    known = pl.col("event_priority").is_in(list(IMPACT_URGENCY))
    level = pl.when(known).then(pl.col("event_priority")).otherwise(pl.col("true_priority"))
    true_, false_ = ("TRUE", "FALSE") if style == "dash" else ("true", "false")

    def flag(expr: pl.Expr) -> pl.Expr:
        return pl.when(expr).then(pl.lit(true_)).otherwise(pl.lit(false_))

    fmt = STYLES[style]
    other = STYLES["dash" if style == "slash" else "slash"]
    mixed = pl.col("dirt") == MIXED_DATE_STYLE
    events = events.with_columns(
        middle_state=pl.Series(rng.choices(_MIDDLE_STATES, weights=_MIDDLE_WEIGHTS, k=total)),
        mod_step=pl.Series(rng.choices((1, 2, 3), weights=(80, 15, 5), k=total)),
        updater=pl.Series(rng.choices(range(1, 1000), k=total)),
    ).with_columns(
        incident_state=state,
        event_priority=priority,
        sys_updated=updated.dt.truncate("1m"),
        sys_mod_count=(pl.col("mod_step").cum_sum().over("key") - pl.col("mod_step")).cast(
            pl.String
        ),
    )
    events = events.with_columns(
        active=flag(pl.col("incident_state") != "Closed"),
        reopen_count=pl.lit("0"),
        sys_updated_by=pl.format("Updated by {}", "updater"),
        sys_updated_at=pl.when(mixed)
        .then(pl.col("sys_updated").dt.strftime(other))
        .otherwise(pl.col("sys_updated").dt.strftime(fmt)),
        impact=level.replace_strict({p: iu[0] for p, iu in IMPACT_URGENCY.items()}),
        urgency=level.replace_strict({p: iu[1] for p, iu in IMPACT_URGENCY.items()}),
        priority=pl.col("event_priority"),
        assigned_to=pl.when(i == 0).then(pl.lit("?")).otherwise(pl.col("assigned_name")),
        made_sla=flag(pl.col("made_sla")),
        knowledge=flag(pl.col("knowledge")),
        u_priority_confirmation=flag(pl.col("u_priority_confirmation")),
        notify=pl.lit("Do Not Notify"),
        vendor=pl.lit("?"),
        caused_by=pl.lit("?"),
    )
    dupes = events.filter(pl.col("dirt") == DUPLICATE)
    return pl.concat([events, dupes]).with_row_index("row", offset=1)


def _event_rows(events: pl.DataFrame) -> pl.DataFrame:
    return events.select(*EVENT_LOG_COLUMNS, "short_description")


def _event_truth(events: pl.DataFrame) -> pl.DataFrame:
    truth = (
        events.group_by("key", maintain_order=True)
        .agg(
            pl.col("row").cast(pl.Int64).alias("source_rows"),
            pl.col("number").first().alias("source_id"),
            pl.col("dirt", "hour_shift", "declared_min", "resolved_min").first(),
        )
        .with_columns(
            source_id=pl.when(pl.col("dirt") == NO_ID).then(None).otherwise("source_id"),
            declared=pl.col("declared_min"),
            resolved=pl.col("resolved_min"),
        )
    )
    return finish_truth(truth)


def servicenow_event_log(n_events: int = 600, *, seed: int = 7, style: Style = "slash") -> Sample:
    """An audit event log of exactly ``n_events`` rows, in memory (see the module docstring)."""
    events = _events(n_events, seed, style)
    data = _event_rows(events).write_csv().encode()
    return Sample("servicenow", data, _event_truth(events), EVENT_LOG_DIRT)


def write_servicenow_event_log(
    path: Path,
    *,
    n_events: int,
    seed: int = 7,
    style: Style = "slash",
    truth: bool = False,
) -> Path:
    """Write an event log of exactly ``n_events`` rows to ``path`` (and its truth if asked).

    Written straight from polars: a million events take a few seconds and no Python row
    objects. Same arguments, same bytes.
    """
    events = _events(n_events, seed, style)
    path.parent.mkdir(parents=True, exist_ok=True)
    _event_rows(events).write_csv(path)
    if truth:
        write_truth(_event_truth(events), truth_path(path))
    return path
