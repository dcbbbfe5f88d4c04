"""The push: selected rows to Datadog incidents exactly once, and the proof of it.

- :func:`doctor`: the preflight, every endpoint and the provenance field, nothing created.
- :func:`plan`: the dry run, every check the push runs, against the org; the exact payloads.
- :func:`push`: send the ready rows (and their customer impacts), a SQLite :class:`Ledger`
  written before and after every request; the same call again sends only what is left.
- :func:`reconcile`: settle records a run could not know about (timeouts, 5xx after sending,
  killed runs) by finding them in Datadog by their provenance field, never by resending.
- :func:`rollback`: delete, after confirmation, what a ledger (or one run) created.

Payloads themselves are built by :mod:`ddinc.payloads`.
"""

from ddinc.push.doctor import DoctorCheck, DoctorReport, doctor
from ddinc.push.ledger import Ledger, LedgerRecord
from ddinc.push.people import people_table_path, read_people, write_people_template
from ddinc.push.plan import Plan, PlannedRow
from ddinc.push.reconcile import ReconcileResult, reconcile
from ddinc.push.results import PushResult, RecordOutcome
from ddinc.push.rollback import RollbackResult, rollback
from ddinc.push.run import Connection, plan, push

__all__ = [
    "Connection",
    "DoctorCheck",
    "DoctorReport",
    "Ledger",
    "LedgerRecord",
    "Plan",
    "PlannedRow",
    "PushResult",
    "ReconcileResult",
    "RecordOutcome",
    "RollbackResult",
    "doctor",
    "people_table_path",
    "plan",
    "push",
    "read_people",
    "reconcile",
    "rollback",
    "write_people_template",
]
