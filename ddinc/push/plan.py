"""The plan: what a push would do with every selected row, and the exact payload it would send.

A plan runs every check the real run runs, against the org's real incident types, fields and
users, and reads the ledger; each selected row is then:

``ready``    it would be sent (``payload`` is the exact JSON; ``detected``, ``declared`` and
             ``resolved`` are the times the incident will have, ``*_from`` where each came
             from: a row without a detected time sends its impact start, else its declared
             time, never one for the server to stamp);
``held``     it would not be sent (``reason`` says why: an error-level check, the org, people);
``created``  the ledger says it was created, with this same payload: skipped;
``changed``  it was created, but its payload has changed since: reported, not re-sent;
``unknown``  a previous run may have created it: run reconcile before pushing it again.

:func:`make_plan` is pure (the org and the ledger records are given); :func:`ddinc.push.plan`
fetches them. A push sends exactly the plan's ready rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Final, Literal

import polars as pl

from ddinc.checks import CheckReport, Level
from ddinc.errors import ConfigError
from ddinc.payloads import OrgConfig, Payload, PayloadOptions, build_payload
from ddinc.push.ledger import LedgerRecord
from ddinc.schema import Timestamp

__all__ = [
    "PLAN_STATUSES",
    "Plan",
    "PlanStatus",
    "PlannedRow",
    "blocking_reasons",
    "make_plan",
    "select_rows",
]

PlanStatus = Literal["ready", "held", "created", "changed", "unknown"]
PLAN_STATUSES: Final[tuple[PlanStatus, ...]] = ("ready", "held", "created", "changed", "unknown")
_IMPACT_TODO: Final = frozenset({"pending", "failed"})
# Every time an imported incident has in Datadog, each beside the column it came from.
_TIME_COLUMNS: Final = tuple(
    f"{name}{suffix}" for name in ("detected", "declared", "resolved") for suffix in ("", "_from")
)


def select_rows(frame: pl.DataFrame, where: str | pl.Expr | None) -> pl.DataFrame:
    """The rows of ``frame`` that ``where`` (a polars expression or SQL text) keeps."""
    if where is None:
        return frame
    if isinstance(where, str):
        try:
            expression = pl.sql_expr(where)
            return frame.filter(expression)
        except Exception as error:  # polars raises several kinds for bad SQL
            raise ConfigError(
                f"--where {where!r} is not a SQL condition over the canonical columns "
                f"({type(error).__name__}: {str(error).splitlines()[0]}); e.g. "
                "\"severity IN ('SEV-1', 'SEV-2') AND source = 'jira'\""
            ) from None
    return frame.filter(where)


def blocking_reasons(frame: pl.DataFrame, report: CheckReport) -> dict[str, list[str]]:
    """Row key -> the messages of the error-level checks it fails (``report`` is of ``frame``)."""
    if report.n_incidents != frame.height:
        raise ConfigError(
            f"the check report covers {report.n_incidents} incidents but the frame has "
            f"{frame.height}: check the frame you push"
        )
    failing = report.failing(level=Level.ERROR)
    reasons: dict[str, list[str]] = {}
    # The report addresses failing rows by row key (never by position).
    for key, check, message in failing.select("row_key", "check", "message").iter_rows():
        reasons.setdefault(str(key), []).append(f"{check}: {message}")
    return reasons


@dataclass(frozen=True)
class PlannedRow:
    """What a push would do with one selected row."""

    row_key: str
    status: PlanStatus
    payload: Payload
    record: LedgerRecord | None = None

    @property
    def reason(self) -> str | None:
        """Why it is not ready, in one line."""
        if self.status == "held":
            return "; ".join(self.payload.reasons)
        if self.status == "changed":
            return "the row changed since it was created: not re-sent (update it in Datadog)"
        if self.status == "unknown" and self.record is not None:
            return (
                f"a previous run left it {self.record.status} "
                f"({self.record.reason or 'killed while sending'}) at "
                f"{self.record.updated[:19]}: not sent again; run reconcile once its settle "
                "window after the last send has passed"
            )
        return None

    @property
    def impact_todo(self) -> bool:
        """A created record whose customer impact is still to send."""
        record = self.record
        if self.status not in ("created", "changed") or record is None:
            return False
        if self.payload.impact is None:
            return False
        # None: created by reconcile, so the impact (sent after the import's answer) never left.
        return record.impact_status is None or record.impact_status in _IMPACT_TODO


def _status(payload: Payload, record: LedgerRecord | None) -> PlanStatus:
    if record is not None and record.status == "created":
        return "created" if record.payload_hash in (None, payload.hash) else "changed"
    if record is not None and record.status in ("sending", "unknown"):
        return "unknown"
    return "ready" if payload.ready else "held"


def make_plan(
    selection: pl.DataFrame,
    org: OrgConfig,
    options: PayloadOptions,
    *,
    blocked: Mapping[str, Sequence[str]],
    records: Mapping[str, LedgerRecord],
) -> Plan:
    """The plan of ``selection`` (pure): every row planned, in the frame's order."""
    rows = []
    for row in selection.iter_rows(named=True):
        key = str(row["row_key"])
        payload = build_payload(row, org, options, blocked=blocked.get(key, ()))
        record = records.get(key)
        rows.append(PlannedRow(key, _status(payload, record), payload, record))
    return Plan(tuple(rows), options=options)


@dataclass(frozen=True)
class Plan:
    """Every selected row's fate, and the exact payloads of the ready ones."""

    rows: tuple[PlannedRow, ...]
    options: PayloadOptions = field(default_factory=PayloadOptions)

    @property
    def ready(self) -> list[PlannedRow]:
        """The rows a push would send."""
        return [row for row in self.rows if row.status == "ready"]

    @property
    def impacts_todo(self) -> list[PlannedRow]:
        """Created rows whose customer impact a push would (re)send."""
        return [row for row in self.rows if row.impact_todo]

    def counts(self) -> dict[str, int]:
        """How many rows have each status (every status listed; they add up to the rows)."""
        return {status: sum(r.status == status for r in self.rows) for status in PLAN_STATUSES}

    @property
    def times(self) -> pl.DataFrame:
        """Per row key, every time the incident will have in Datadog and the column it came
        from: ``detected`` and ``detected_from``, ``declared``..., ``resolved``..."""
        times: dict[str, list[object]] = {name: [] for name in _TIME_COLUMNS}
        for row in self.rows:
            for time in row.payload.times:
                times[time.name].append(time.value)
                times[f"{time.name}_from"].append(time.source)
        schema = {
            "row_key": pl.String,
            **{name: pl.String if name.endswith("_from") else Timestamp for name in _TIME_COLUMNS},
        }
        return pl.DataFrame({"row_key": [r.row_key for r in self.rows], **times}, schema=schema)

    @property
    def frame(self) -> pl.DataFrame:
        """One row per selected row: row_key, title, status, reason, notes, every time the
        incident will have in Datadog with the column it came from (:attr:`times`), hash,
        payload."""
        times = self.times
        return pl.DataFrame(
            {
                "row_key": [r.row_key for r in self.rows],
                "title": [r.payload.title for r in self.rows],
                "status": [r.status for r in self.rows],
                "reason": [r.reason for r in self.rows],
                "notes": ["; ".join(r.payload.notes) or None for r in self.rows],
                **{name: times.get_column(name) for name in _TIME_COLUMNS},
                "incident_id": [r.record.incident_id if r.record else None for r in self.rows],
                "payload_hash": [r.payload.hash for r in self.rows],
                "payload": [
                    json.dumps(r.payload.request.payload(), sort_keys=True)
                    if r.payload.request is not None
                    else None
                    for r in self.rows
                ],
            },
            schema={
                "row_key": pl.String,
                "title": pl.String,
                "status": pl.Enum(PLAN_STATUSES),
                "reason": pl.String,
                "notes": pl.String,
                **{
                    name: pl.String if name.endswith("_from") else Timestamp
                    for name in _TIME_COLUMNS
                },
                "incident_id": pl.String,
                "payload_hash": pl.String,
                "payload": pl.String,
            },
        )

    def payload(self, row_key: str) -> Payload:
        """The payload planned for one row."""
        for row in self.rows:
            if row.row_key == row_key:
                return row.payload
        raise ConfigError(f"row {row_key!r} is not in this plan")

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"Plan({len(self.rows)} rows: {counts})"

    def _repr_html_(self) -> str:
        counts = " · ".join(f"<b>{v}</b> {k}" for k, v in self.counts().items())
        held = [r for r in self.rows if r.status != "ready" and r.reason][:20]
        items = "".join(
            f"<tr><td><code>{escape(r.row_key)}</code></td><td>{r.status}</td>"
            f"<td>{escape(r.reason or '')}</td></tr>"
            for r in held
        )
        table = (
            f"<table><tr><th>row key</th><th>status</th><th>why</th></tr>{items}</table>"
            if items
            else ""
        )
        return f"<div><p>Plan of {len(self.rows)} rows: {counts}</p>{table}</div>"
