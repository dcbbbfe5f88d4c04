"""ddinc: move legacy incident history into Datadog Incident Management.

The data path runs one way: legacy sources -> canonical frame (:mod:`ddinc.schema`) ->
timeline, checks and statistics -> cleaning recipe -> export and payloads -> Datadog client
(:mod:`ddinc.datadog`). Plots (:mod:`ddinc.plot`) and widgets sit on top and are imported
on their own, so ``import ddinc`` loads neither matplotlib nor ipywidgets.
"""

from ddinc.checks import CheckContext, CheckReport, Level, check, run_checks
from ddinc.clean import History, Recipe, cluster_values, replay, suggest, to_polars_code
from ddinc.errors import ConfigError, DatadogError, DdincError, LoadError, SourceDetectionError
from ddinc.export import write_csv
from ddinc.loader import LoadResult, load
from ddinc.payloads import PayloadOptions, build_payload
from ddinc.push import Connection, Ledger, plan, push, reconcile, rollback
from ddinc.report import Report, report
from ddinc.rowkey import with_row_keys
from ddinc.schema import CANONICAL_SCHEMA, QUARANTINE_SCHEMA
from ddinc.sources import (
    SOURCES,
    EventLog,
    Mapping,
    computed,
    concat,
    const,
    pattern,
    read_mapping,
)
from ddinc.stats import compare, compare_periods, phase_stats
from ddinc.timeline import PHASES, duration_exclusions, timeline_summary, with_timeline

__all__ = [
    "CANONICAL_SCHEMA",
    "PHASES",
    "QUARANTINE_SCHEMA",
    "SOURCES",
    "CheckContext",
    "CheckReport",
    "ConfigError",
    "Connection",
    "DatadogError",
    "DdincError",
    "EventLog",
    "History",
    "Ledger",
    "Level",
    "LoadError",
    "LoadResult",
    "Mapping",
    "PayloadOptions",
    "Recipe",
    "Report",
    "SourceDetectionError",
    "build_payload",
    "check",
    "cluster_values",
    "compare",
    "compare_periods",
    "computed",
    "concat",
    "const",
    "duration_exclusions",
    "load",
    "pattern",
    "phase_stats",
    "plan",
    "push",
    "read_mapping",
    "reconcile",
    "replay",
    "report",
    "rollback",
    "run_checks",
    "suggest",
    "timeline_summary",
    "to_polars_code",
    "with_row_keys",
    "with_timeline",
    "write_csv",
]

__version__ = "0.1.0"
