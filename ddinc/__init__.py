"""ddinc: move legacy incident history into Datadog Incident Management.

The data path runs one way: legacy sources -> canonical frame (:mod:`ddinc.schema`) ->
timeline, checks and statistics -> cleaning recipe -> export and payloads -> Datadog client.
"""

from ddinc.errors import ConfigError, DatadogError, DdincError, LoadError, SourceDetectionError
from ddinc.schema import CANONICAL_SCHEMA, QUARANTINE_SCHEMA
from ddinc.timeline import with_timeline

__all__ = [
    "CANONICAL_SCHEMA",
    "QUARANTINE_SCHEMA",
    "ConfigError",
    "DatadogError",
    "DdincError",
    "LoadError",
    "SourceDetectionError",
    "with_timeline",
]

__version__ = "0.1.0"
