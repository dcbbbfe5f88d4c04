"""Hand-built canonical frames for the check tests.

``incidents(incident(title="x"), incident(resolved=None))`` builds a valid canonical frame in
which every row passes every default check, except where an override says otherwise. Row
``i`` happens on day ``i`` after :data:`T0`, with its own id and title, so rows never look
like duplicates of each other by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from ddinc.checks import DEFAULT_CHECKS, CheckContext, CheckReport, run_checks
from ddinc.rowkey import with_row_keys
from ddinc.schema import CANONICAL_SCHEMA, DURATIONS, RAW_FIELDS, TIMESTAMPS
from ddinc.timeline import with_timeline

T0 = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2025, 1, 1, tzinfo=UTC)
CONTEXT = CheckContext(now=NOW)

# Offsets from the row's start, chosen so that no span is a whole number of hours.
OFFSETS = {
    "impact_start": timedelta(0),
    "detected": timedelta(minutes=7),
    "declared": timedelta(minutes=19),
    "resolved": timedelta(hours=2, minutes=13),
    "impact_end": timedelta(hours=1, minutes=51),
}


def start_of(i: int) -> datetime:
    """When row ``i`` of :func:`incidents` starts (its default ``impact_start``)."""
    return T0 + timedelta(days=i)


def incident(**overrides: Any) -> dict[str, Any]:
    """One row's overrides; ``raw_<field>=`` sets a field of the ``raw`` struct.

    Raw timestamps are written with an explicit offset (``...+00:00``, as PagerDuty's JSON
    does), or without one (``2023-03-01 09:00:00``) when ``naive=True``."""
    return overrides


def _row(i: int, overrides: Mapping[str, Any]) -> dict[str, Any]:
    start = start_of(i)
    row: dict[str, Any] = {
        "source": "pagerduty",
        "source_id": f"PD-{i}",
        "source_file": "incidents.json",
        "source_rows": [i + 1],
        "title": f"Checkout latency {i}",
        "state": "resolved",
        "severity": "SEV-2",
        "commander": "ann@example.com",
        "declared_by": "bob@example.com",
        "teams": ["payments"],
        "services": ["checkout"],
        "incident_type": None,
        "visibility": "organization",
        "load_notes": [],
        **{name: start + OFFSETS[name] for name in TIMESTAMPS},
    }
    raw: dict[str, Any] = {"state": "resolved", "severity": "P2"}
    for key, value in overrides.items():
        if key.startswith("raw_"):
            raw[key.removeprefix("raw_")] = value
        else:
            row[key] = value
    naive = bool(row.pop("naive", False))
    for name in TIMESTAMPS:
        if f"raw_{name}" not in overrides:
            value = row[name]
            if value is None:
                raw[name] = None
            elif naive:
                raw[name] = value.strftime("%Y-%m-%d %H:%M:%S")
            else:
                raw[name] = value.isoformat()
    row["raw"] = {name: raw.get(name) for name in RAW_FIELDS}
    return row


def incidents(*rows: Mapping[str, Any]) -> pl.DataFrame:
    """A canonical frame with one row per override mapping, durations computed."""
    built = [_row(i, overrides) for i, overrides in enumerate(rows)]
    extra = sorted({key for row in built for key in row if key not in CANONICAL_SCHEMA})
    schema = {
        **{name: dtype for name, dtype in CANONICAL_SCHEMA.items() if name not in DURATIONS},
        **dict.fromkeys(extra, pl.String),
    }
    frame = with_row_keys(pl.DataFrame(built, schema=schema))
    return with_timeline(frame).select(*CANONICAL_SCHEMA.names(), *extra)


def positions(report: CheckReport, name: str | None = None, **select: Any) -> list[int]:
    """Sorted positions, in the frame checked, of the rows that fail ``name`` (or any check).

    Reports name rows by ``row_key``; tests built their frames by position, so they map the
    keys back through ``report.keys`` (the checked frame's keys, in order)."""
    keys = report.failing(name, **select).get_column("row_key")
    return report.keys.is_in(keys.implode()).arg_true().to_list()


def failing(frame: pl.DataFrame, name: str, context: CheckContext = CONTEXT) -> list[int]:
    """Sorted rows of ``frame`` that fail the default check ``name`` (run alone, for speed)."""
    checks = [check for check in DEFAULT_CHECKS if check.name == name]
    return positions(run_checks(frame, checks, context=context), name)
