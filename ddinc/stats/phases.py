"""Per phase and per group: how many incidents were measured, and the duration statistics.

:func:`phase_stats` is the one computation; :class:`PhaseStats` holds its table and renders it
(:mod:`ddinc.stats.render`). Durations are recomputed from the timestamps with
:mod:`ddinc.timeline`, so a stale duration column never matters, and the rows whose durations
are not real (:func:`ddinc.timeline.duration_exclusions`) are left out unless asked.

The table has one row per (group, phase):

- ``by`` (what the groups are: ``all``, ``severity``, ``team``, ...), ``group``, ``phase``;
- ``of``: incidents in the group; ``measured``: values behind the statistics; ``missing``
  and ``missing_reasons`` (a timestamp absent, e.g. ``"12 no detected"``); ``left_out`` and
  ``left_out_reasons`` (e.g. ``"3 zero_length_incident"``); ``zero``: measured values of
  exactly 0 s, which the geometric mean cannot use;
- for each statistic of :data:`STATISTICS` (``median``, ``p75``, ``p90``, ``p95``,
  ``geomean``): ``<stat>_s`` and its confidence interval ``<stat>_lo_s``, ``<stat>_hi_s``, in
  seconds (null when nothing was measured).

Groups: ``severity`` in Datadog's order, ``team`` and ``service`` count an incident once in
each of its teams or services, ``month`` is the UTC month of the first known of declared,
impact start, detected and resolved; any other column is grouped by its text. A missing
value is its own group, ``(none)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from ddinc.display import to_html, to_text
from ddinc.errors import ConfigError
from ddinc.schema import SEVERITIES, TIMESTAMPS
from ddinc.stats import _bootstrap as boot
from ddinc.timeline import (
    EXCLUSION_REASONS,
    PHASE_DEFINITIONS,
    PHASES,
    duration_exclusions,
    phase,
)

__all__ = [
    "NONE_GROUP",
    "PHASE_ALIASES",
    "STATISTICS",
    "PhaseStats",
    "grouped",
    "phase_names",
    "phase_stats",
    "phase_values",
]

STATISTICS: Final = ("median", "p75", "p90", "p95", "geomean")
_QUANTILES: Final = {"median": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95}
NONE_GROUP: Final = "(none)"
PHASE_ALIASES: Final = {
    "detect": "time_to_detect",
    "declare": "time_to_declare",
    "resolve": "time_to_resolve",
    "repair": "time_to_repair",
}
"""Short phase names accepted wherever a phase is named."""
_LIST_GROUPS: Final = {
    "team": "teams",
    "teams": "teams",
    "service": "services",
    "services": "services",
}
_MONTH_FROM: Final = ("declared", "impact_start", "detected", "resolved")


def phase_names(phases: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """Canonical phase names for ``phases`` (one or several, short aliases allowed)."""
    if phases is None:
        return PHASES
    wanted = [phases] if isinstance(phases, str) else list(phases)
    names = [PHASE_ALIASES.get(name, name) for name in wanted]
    unknown = [name for name in names if name not in PHASE_DEFINITIONS]
    if unknown:
        allowed = ", ".join([*PHASES, *PHASE_ALIASES])
        raise ConfigError(f"unknown phase(s) {', '.join(unknown)}; phases are {allowed}")
    return tuple(dict.fromkeys(names))


def _conform(incidents: pl.DataFrame) -> pl.DataFrame:
    if not isinstance(incidents, pl.DataFrame):
        raise ConfigError(
            f"statistics need a polars DataFrame of incidents, not {type(incidents).__name__}; "
            "pass ddinc.load(...).incidents"
        )
    columns = []
    for name in TIMESTAMPS:
        dtype = incidents.schema.get(name)
        if dtype is None or isinstance(dtype, pl.Null):
            columns.append(pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias(name))
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            columns.append(pl.col(name).dt.convert_time_zone("UTC").cast(pl.Datetime("us", "UTC")))
        else:
            raise ConfigError(
                f"column {name} is {dtype}, not a timezone-aware datetime; load the export "
                "with ddinc.load, or call .dt.replace_time_zone(<zone>) on it"
            )
    return incidents.with_columns(columns)


def grouped(incidents: pl.DataFrame, by: str | None) -> pl.DataFrame:
    """``incidents`` (timestamps conformed to UTC) with a text ``group`` column for ``by``."""
    work = _conform(incidents)
    if by is None or by == "all":
        return work.with_columns(group=pl.lit("all"))
    if by == "month":
        first = pl.coalesce([pl.col(name) for name in _MONTH_FROM])
        return work.with_columns(group=first.dt.strftime("%Y-%m").fill_null(NONE_GROUP))
    column = _LIST_GROUPS.get(by, by)
    if column not in work.columns:
        raise ConfigError(
            f"cannot group by {by!r}: the frame has no column {column!r}; group by severity, "
            "team, service, source, month or one of its columns"
        )
    if isinstance(work.schema[column], pl.List):
        work = work.with_columns(pl.col(column).cast(pl.List(pl.String))).explode(
            column, empty_as_null=True
        )
        return work.with_columns(group=pl.col(column).fill_null(NONE_GROUP))
    if isinstance(work.schema[column], pl.Struct | pl.Array):
        raise ConfigError(f"cannot group by {by!r}: column {column!r} is {work.schema[column]}")
    return work.with_columns(group=pl.col(column).cast(pl.String).fill_null(NONE_GROUP))


def _group_order(groups: list[str], by: str | None) -> list[str]:
    rank = {name: i for i, name in enumerate(SEVERITIES)} if by == "severity" else {}
    return sorted(groups, key=lambda g: (g == NONE_GROUP, rank.get(g, len(rank)), g))


def _missing_reason(name: str) -> pl.Expr:
    start, end = PHASE_DEFINITIONS[name]
    return (
        pl.when(pl.col(start).is_null() & pl.col(end).is_null())
        .then(pl.lit(f"no {start} nor {end}"))
        .when(pl.col(start).is_null())
        .then(pl.lit(f"no {start}"))
        .when(pl.col(end).is_null())
        .then(pl.lit(f"no {end}"))
    )


def _long(
    work: pl.DataFrame, names: tuple[str, ...], groups: list[str], include_unreal: bool
) -> pl.DataFrame:
    """The long form with enum columns, so that grouping and sorting millions of rows is cheap."""
    exclusions = duration_exclusions(names)
    missing_texts = sorted(
        {
            text
            for name in names
            for start, end in [PHASE_DEFINITIONS[name]]
            for text in (f"no {start} nor {end}", f"no {start}", f"no {end}")
        }
    )
    group_dtype, phase_dtype = pl.Enum(groups), pl.Enum(names)
    missing_dtype, left_out_dtype = pl.Enum(missing_texts), pl.Enum(EXCLUSION_REASONS)
    parts = [
        work.select(
            pl.col("group").cast(group_dtype),
            pl.lit(name, dtype=phase_dtype).alias("phase"),
            phase(name).dt.total_seconds(fractional=True).alias("seconds"),
            _missing_reason(name).cast(missing_dtype).alias("missing"),
            (
                pl.lit(None, dtype=left_out_dtype)
                if include_unreal
                else exclusions[name].cast(left_out_dtype)
            ).alias("left_out"),
        )
        for name in names
    ]
    return pl.concat(parts)


def phase_values(
    incidents: pl.DataFrame,
    phases: str | tuple[str, ...] | list[str] | None = None,
    by: str | None = None,
    *,
    include_unreal: bool = False,
) -> pl.DataFrame:
    """One row per (incident, phase): ``group``, ``phase``, ``seconds``, ``missing``, ``left_out``.

    ``missing`` says which timestamp is absent; ``left_out`` why a measured duration is not
    real (null when kept; always null with ``include_unreal=True``). The long form behind
    :func:`phase_stats` and the plots; text columns are strings.
    """
    names = phase_names(phases)
    work = grouped(incidents, by)
    groups = _group_order(work.get_column("group").unique().to_list(), by)
    long = _long(work, names, groups, include_unreal)
    return long.with_columns(pl.col("group", "phase", "missing", "left_out").cast(pl.String))


@dataclass(frozen=True, eq=False)
class PhaseStats:
    """The statistics table (see the module docstring) and the settings that made it."""

    table: pl.DataFrame
    by: str
    level: float
    n_boot: int
    seed: int
    include_unreal: bool

    def to_html(self) -> str:
        """A self-contained HTML table: values in readable units with their intervals."""
        return to_html(self)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return to_text(self)

    def __repr__(self) -> str:
        return (
            f"PhaseStats(by={self.by!r}, rows={self.table.height}, level={self.level}, "
            f"n_boot={self.n_boot}, seed={self.seed}, include_unreal={self.include_unreal})"
        )


def _reasons(counts: pl.DataFrame, column: str) -> dict[tuple[str, str], tuple[int, str]]:
    """(group, phase) -> (total, "n reason; n reason") from per-reason counts."""
    rows = (
        counts.filter(pl.col(column).is_not_null())
        .group_by("group", "phase", column)
        .agg(pl.col("n").sum())
        .sort(["group", "phase", "n", column], descending=[False, False, True, False])
    )
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for group, name, reason, n in rows.iter_rows():
        total, text = out.get((group, name), (0, ""))
        out[(group, name)] = (total + n, f"{text}; {n} {reason}" if text else f"{n} {reason}")
    return out


def _check_settings(n_boot: int, level: float) -> None:
    if not isinstance(n_boot, int) or n_boot < 1:
        raise ConfigError(f"n_boot must be a positive whole number of resamples, not {n_boot!r}")
    if not 0 < level < 1:
        raise ConfigError(f"level must be between 0 and 1 (e.g. 0.95), not {level!r}")


def phase_stats(
    incidents: pl.DataFrame,
    by: str | None = None,
    *,
    phases: str | tuple[str, ...] | list[str] | None = None,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    include_unreal: bool = False,
) -> PhaseStats:
    """Median, p75, p90, p95 and geometric mean per phase and group, with bootstrap intervals.

    Parameters
    ----------
    incidents
        A canonical frame (``ddinc.load(...).incidents``); only the timestamps and the ``by``
        column are read.
    by
        ``None`` (all incidents), ``"severity"``, ``"team"``, ``"service"``, ``"source"``,
        ``"month"`` or any column.
    phases
        Phases to report (default all six of :data:`ddinc.timeline.PHASES`; ``"resolve"``
        and the other short names are accepted).
    n_boot, level, seed
        Bootstrap resamples, confidence level of the percentile intervals, and the seed: the
        same inputs and seed give the same intervals.
    include_unreal
        Keep the zero-length back-fills and reversed intervals in the statistics.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> incidents = pl.DataFrame({
    ...     "severity": ["SEV-1", "SEV-1", "SEV-2", "SEV-2"],
    ...     "declared": [t0] * 4,
    ...     "resolved": [t0 + timedelta(hours=h) for h in (1, 3, 2, 8)],
    ... })
    >>> table = phase_stats(incidents, "severity", phases="resolve", n_boot=200).table
    >>> table.select("group", "measured", "of", "median_s")
    shape: (2, 4)
    ┌───────┬──────────┬─────┬──────────┐
    │ group ┆ measured ┆ of  ┆ median_s │
    │ ---   ┆ ---      ┆ --- ┆ ---      │
    │ str   ┆ i64      ┆ i64 ┆ f64      │
    ╞═══════╪══════════╪═════╪══════════╡
    │ SEV-1 ┆ 2        ┆ 2   ┆ 7200.0   │
    │ SEV-2 ┆ 2        ┆ 2   ┆ 18000.0  │
    └───────┴──────────┴─────┴──────────┘
    """
    _check_settings(n_boot, level)
    names = phase_names(phases)
    label = "all" if by is None else by
    work = grouped(incidents, by)
    groups = _group_order(work.get_column("group").unique().to_list(), by)
    if label == "all":
        groups = ["all"]  # an empty frame still has its one row per phase, measured from 0
    long = _long(work, names, groups, include_unreal)
    counts = (
        long.group_by("group", "phase", "missing", "left_out")
        .agg(n=pl.len(), zero=(pl.col("seconds") == 0).sum())
        .with_columns(pl.col("group", "phase", "missing", "left_out").cast(pl.String))
    )
    missing = _reasons(counts, "missing")
    left_out = _reasons(counts, "left_out")
    totals = {
        (g, p): (n, z)
        for g, p, n, z in counts.group_by("group", "phase")
        .agg(
            pl.col("n").sum(),
            pl.col("zero").filter(pl.col("missing").is_null() & pl.col("left_out").is_null()).sum(),
        )
        .iter_rows()
    }
    code = {g: i for i, g in enumerate(groups)}
    values, keys, starts, sizes = _segments(long, len(groups))
    rng = np.random.default_rng(seed)
    alpha = (1 - level) / 2
    estimates: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for stat, q in _QUANTILES.items():
        point = boot.quantile(values, starts, sizes, q)
        draws = boot.bootstrap_quantile(values, starts, sizes, q, rng=rng, n_boot=n_boot)
        low, high = np.quantile(draws, [alpha, 1 - alpha], axis=0)
        estimates[stat] = (point, low, high)
    positive = values > 0
    pos_keys = keys[positive]
    logs = np.log(values[positive])
    pos_starts, pos_sizes, pos_segment_keys = _bounds(pos_keys)
    gm_point = boot.geomean(logs, pos_starts, pos_sizes)
    gm_draws = boot.bootstrap_geomean(logs, pos_starts, pos_sizes, rng=rng, n_boot=n_boot)
    gm_low, gm_high = (
        np.quantile(gm_draws, [alpha, 1 - alpha], axis=0)
        if pos_sizes.size
        else (np.zeros(0), np.zeros(0))
    )
    segment_keys = keys[starts] if starts.size else np.zeros(0, dtype=np.int64)
    where = {int(k): i for i, k in enumerate(segment_keys.tolist())}
    pos_where = {int(k): i for i, k in enumerate(pos_segment_keys.tolist())}
    rows = []
    for p_index, name in enumerate(names):
        for group in groups:
            key = p_index * len(groups) + code[group]
            n_all, zero = totals.get((group, name), (0, 0))
            n_missing, missing_text = missing.get((group, name), (0, ""))
            n_left, left_text = left_out.get((group, name), (0, ""))
            row: dict[str, object] = {
                "by": label,
                "group": group,
                "phase": name,
                "of": n_all,
                "measured": int(sizes[where[key]]) if key in where else 0,
                "missing": n_missing,
                "missing_reasons": missing_text,
                "left_out": n_left,
                "left_out_reasons": left_text,
                "zero": zero,
            }
            for stat in _QUANTILES:
                point, low, high = estimates[stat]
                i = where.get(key)
                row[f"{stat}_s"] = None if i is None else float(point[i])
                row[f"{stat}_lo_s"] = None if i is None else float(low[i])
                row[f"{stat}_hi_s"] = None if i is None else float(high[i])
            j = pos_where.get(key)
            row["geomean_s"] = None if j is None else float(gm_point[j])
            row["geomean_lo_s"] = None if j is None else float(gm_low[j])
            row["geomean_hi_s"] = None if j is None else float(gm_high[j])
            rows.append(row)
    return PhaseStats(
        table=pl.DataFrame(rows, schema=_SCHEMA, orient="row"),
        by=label,
        level=level,
        n_boot=n_boot,
        seed=seed,
        include_unreal=include_unreal,
    )


_SCHEMA: Final[dict[str, pl.DataType]] = {
    "by": pl.String(),
    "group": pl.String(),
    "phase": pl.String(),
    "of": pl.Int64(),
    "measured": pl.Int64(),
    "missing": pl.Int64(),
    "missing_reasons": pl.String(),
    "left_out": pl.Int64(),
    "left_out_reasons": pl.String(),
    "zero": pl.Int64(),
    **{f"{stat}{part}_s": pl.Float64() for stat in STATISTICS for part in ("", "_lo", "_hi")},
}


def _bounds(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Starts, sizes and keys of the runs of equal values in the sorted ``keys``."""
    if keys.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    starts = np.concatenate([[0], np.flatnonzero(np.diff(keys)) + 1]).astype(np.int64)
    sizes = np.diff(np.concatenate([starts, [keys.size]])).astype(np.int64)
    return starts, sizes, keys[starts]


def _segments(
    long: pl.DataFrame, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kept values sorted by (phase, group, value); their segment keys, starts and sizes.

    A segment's key is ``phase index * n_groups + group index`` (the enums' physical codes).
    """
    key = pl.col("phase").to_physical().cast(pl.Int64) * max(n_groups, 1) + pl.col(
        "group"
    ).to_physical().cast(pl.Int64)
    kept = (
        long.filter(
            pl.col("seconds").is_not_null()
            & pl.col("missing").is_null()
            & pl.col("left_out").is_null()
        )
        .select(key=key, seconds="seconds")
        .sort("key", "seconds")
    )
    keys = kept.get_column("key").to_numpy()
    values = kept.get_column("seconds").to_numpy().astype(np.float64)
    starts, sizes, _ = _bounds(keys)
    return values, keys, starts, sizes
