"""ddinc: move legacy incident history into Datadog Incident Management.

The data path runs one way: legacy sources -> canonical frame (:mod:`ddinc.schema`) ->
timeline, checks and statistics -> cleaning recipe -> export and payloads -> Datadog client
(:mod:`ddinc.datadog`).
"""

from ddinc.checks import CheckContext, CheckReport, Level, run_checks
from ddinc.errors import ConfigError, DatadogError, DdincError, LoadError, SourceDetectionError
from ddinc.export import write_csv
from ddinc.loader import LoadResult, load
from ddinc.schema import CANONICAL_SCHEMA, QUARANTINE_SCHEMA
from ddinc.sources import SOURCES, EventLog, Mapping
from ddinc.timeline import timeline_summary, with_timeline

__all__ = [
    "CANONICAL_SCHEMA",
    "QUARANTINE_SCHEMA",
    "SOURCES",
    "CheckContext",
    "CheckReport",
    "ConfigError",
    "DatadogError",
    "DdincError",
    "EventLog",
    "Level",
    "LoadError",
    "LoadResult",
    "Mapping",
    "SourceDetectionError",
    "load",
    "run_checks",
    "timeline_summary",
    "with_timeline",
    "write_csv",
]

__version__ = "0.1.0"
