"""ServiceNow incident table export: one row per incident.

Columns :data:`TABLE_COLUMNS`; dates ``YYYY-MM-DD HH:MM:SS``, naive (the instance runs in
UTC); empty cells for missing values; table states (New, In Progress, On Hold, Resolved,
Closed) rather than the audit log's.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Final

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
    NO_ID,
    REVERSED,
    TRAILING_SPACE,
    DirtSpec,
)
from ddinc.synth._sample import Sample, finish_truth
from ddinc.synth._servicenow import TIMESTAMPS, incidents

__all__ = [
    "TABLE_COLUMNS",
    "TABLE_DIRT",
    "TIMESTAMPS",
    "servicenow_table",
    "write_servicenow_table",
]

TABLE_COLUMNS: Final = (
    "number", "short_description", "state", "priority", "opened_at", "resolved_at",
    "closed_at", "assignment_group", "assigned_to", "opened_by", "cmdb_ci", "category",
)  # fmt: skip

TABLE_DIRT: Final[DirtSpec] = {
    NO_ID: 2,
    MISSING_TITLE: 1,
    LONG_TITLE: 1,
    BACKFILLED: 0.03,
    REVERSED: 0.02,
    HOUR_SHIFT: 0.02,
    DUPLICATE: 0.02,
    DUPLICATE_ID: 0.02,
    FREE_TEXT_SEVERITY: 0.03,
    TRAILING_SPACE: 0.03,
}

_TABLE_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_TABLE_STATES: Final = {"active": "In Progress", "stable": "On Hold"}


def servicenow_table(n_incidents: int = 120, *, seed: int = 7) -> Sample:
    """An incident table export: one row per incident, :data:`TABLE_COLUMNS`."""
    if n_incidents < 1:
        raise ConfigError(f"n_incidents must be at least 1, not {n_incidents}")
    rng = random.Random(f"servicenow-table:{seed}")
    inc = incidents(seed, n_incidents, TABLE_DIRT, rng)
    spaced = pl.col("dirt") == TRAILING_SPACE
    state = (
        pl.when(pl.col("closed").is_not_null())
        .then(pl.lit("Closed"))
        .when(pl.col("resolved").is_not_null())
        .then(pl.lit("Resolved"))
        .otherwise(pl.col("state").cast(pl.String).replace_strict(_TABLE_STATES, default="New"))
    )
    team = pl.col("teams").list.first()
    table = inc.select(
        pl.col("number").replace("?", None),
        pl.col("short_description").replace("?", None),
        pl.when(spaced).then(state + " ").otherwise(state).alias("state"),
        "priority",
        *(
            pl.col(c).dt.strftime(_TABLE_FORMAT).alias(name)
            for c, name in (
                ("declared", "opened_at"),
                ("resolved", "resolved_at"),
                ("closed", "closed_at"),
            )
        ),
        pl.when(spaced).then(team + " ").otherwise(team).alias("assignment_group"),
        pl.col("commander_name").alias("assigned_to"),
        pl.col("declared_by_name").alias("opened_by"),
        pl.col("services").list.first().alias("cmdb_ci"),
        "category",
    )
    duplicated = [i for i, tag in enumerate(inc["dirt"].to_list()) if tag == DUPLICATE]
    data = pl.concat([table, table[duplicated]])
    rows = [[i + 1] for i in range(inc.height)]
    for copy, i in enumerate(duplicated, start=inc.height + 1):
        rows[i].append(copy)
    truth = inc.select(
        source_id=pl.col("number").replace("?", None),
        source_rows=pl.Series(rows, dtype=pl.List(pl.Int64)),
        key="key",
        dirt="dirt",
        hour_shift="hour_shift",
        declared="declared",
        resolved="resolved",
    )
    return Sample("servicenow", data.write_csv().encode(), finish_truth(truth), TABLE_DIRT)


def write_servicenow_table(
    path: Path, *, n_incidents: int = 120, seed: int = 7, truth: bool = False
) -> Path:
    """Write :func:`servicenow_table` to ``path`` (and its truth if asked)."""
    return servicenow_table(n_incidents, seed=seed).write(path, truth=truth)
