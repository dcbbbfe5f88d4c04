"""A faithful local emulator of the Datadog endpoints ddinc uses.

The demo, the notebooks and every test run against it instead of a Datadog account. It serves
``POST /api/v2/incidents/import`` and what an importer needs around it (users, incident types,
user-defined fields, search, get, delete, impacts), answers like Datadog's recorded responses,
refuses what Datadog refuses, and can misbehave on purpose: rate limits with real
``x-ratelimit-*`` headers, and seeded faults (latency, 5xx before or after storing, slow
answers, dropped connections, 429 bursts).

>>> from ddinc.datadog.emulator import Emulator
>>> emulator = Emulator()
>>> emulator.org.default_incident_type.name
'Incident'

Reach it in-process with ``emulator.transport()`` (async) or ``emulator.sync_transport()``
(sync), or over HTTP with ``with emulator.serve() as url: ...``; from a shell,
``python -m ddinc.datadog.emulator --port 8126``. It accepts :data:`DEMO_API_KEY` and
:data:`DEMO_APP_KEY`, public values that open nothing else.
"""

from ddinc.datadog.emulator.app import OPERATIONS, WRITE_OPERATIONS
from ddinc.datadog.emulator.cli import main
from ddinc.datadog.emulator.config import DEMO_API_KEY, DEMO_APP_KEY, EmulatorConfig
from ddinc.datadog.emulator.emulator import Emulator
from ddinc.datadog.emulator.faults import ConnectionDroppedError, FaultEvent, FaultKind, Faults
from ddinc.datadog.emulator.middleware import RequestRecord
from ddinc.datadog.emulator.org import FieldConfig, FieldKind, IncidentType, Org, User, ValidValue
from ddinc.datadog.emulator.ratelimit import RateLimit
from ddinc.datadog.emulator.store import StoredImpact, StoredIncident

__all__ = [
    "DEMO_API_KEY",
    "DEMO_APP_KEY",
    "OPERATIONS",
    "WRITE_OPERATIONS",
    "ConnectionDroppedError",
    "Emulator",
    "EmulatorConfig",
    "FaultEvent",
    "FaultKind",
    "Faults",
    "FieldConfig",
    "FieldKind",
    "IncidentType",
    "Org",
    "RateLimit",
    "RequestRecord",
    "StoredImpact",
    "StoredIncident",
    "User",
    "ValidValue",
    "main",
]
