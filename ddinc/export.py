"""Write canonical incidents (and their quarantine) as flat CSV an analyst can open anywhere.

Flat means: timestamps as ISO 8601 UTC (``2024-01-12T15:45:00Z``, microseconds kept when
present), durations in seconds (``time_to_resolve_s``), lists joined with ``"; "``, the raw
struct spread over ``raw.<field>`` columns. Missing values are empty cells.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from ddinc.schema import DURATIONS, TIMESTAMPS

__all__ = ["LIST_SEPARATOR", "flatten_incidents", "quarantine_path", "write_csv"]

LIST_SEPARATOR: Final = "; "


def _iso_utc(name: str) -> pl.Expr:
    column = pl.col(name).dt.convert_time_zone("UTC")
    whole = column.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    fractional = column.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
    return pl.when(column.dt.microsecond() == 0).then(whole).otherwise(fractional).alias(name)


def flatten_incidents(incidents: pl.DataFrame) -> pl.DataFrame:
    """``incidents`` with every column as CSV-writable text or numbers."""
    exprs: list[pl.Expr] = []
    for name, dtype in incidents.schema.items():
        if name in TIMESTAMPS:
            exprs.append(_iso_utc(name))
        elif name in DURATIONS:
            exprs.append(pl.col(name).dt.total_seconds(fractional=True).alias(f"{name}_s"))
        elif isinstance(dtype, pl.Struct):
            exprs.extend(
                pl.col(name).struct.field(f.name).cast(pl.String).alias(f"{name}.{f.name}")
                for f in dtype.fields
            )
        elif isinstance(dtype, pl.List):
            exprs.append(
                pl.col(name).cast(pl.List(pl.String)).list.join(LIST_SEPARATOR).alias(name)
            )
        elif isinstance(dtype, pl.Enum | pl.Categorical):
            exprs.append(pl.col(name).cast(pl.String))
        else:
            exprs.append(pl.col(name))
    return incidents.select(exprs)


def quarantine_path(path: str | Path) -> Path:
    """Where the quarantine of an export written to ``path`` goes: ``name.quarantine.csv``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.quarantine{path.suffix or '.csv'}")


def write_csv(
    incidents: pl.DataFrame, path: str | Path, quarantine: pl.DataFrame | None = None
) -> list[Path]:
    """Write ``incidents`` to ``path`` and, if given, ``quarantine`` beside it.

    Returns the paths written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    flatten_incidents(incidents).write_csv(path)
    written = [path]
    if quarantine is not None:
        beside = quarantine_path(path)
        quarantine.write_csv(beside)
        written.append(beside)
    return written
