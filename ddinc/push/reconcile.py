"""Reconcile: settle what a run could not know, by looking in Datadog, never by resending.

A record is ``unknown`` after a timeout, a dropped connection or a 5xx once the request was
sent, and stays ``sending`` when its run was killed. For each, reconcile searches the org for
the provenance field holding its row key, reads every hit back to confirm it (a search is a
hint, the incident itself is the proof), then marks the record ``created`` (the oldest hit;
more than one is reported as duplicates) or ``not_created`` (a later push may send it).
A customer impact left ``sending`` or ``unknown`` is settled the same way, by reading the
incident back: ``created`` when it carries an impact, else ``pending`` (the next push sends it).

Datadog's search index can lag a just-created incident by a few seconds: reconcile a run
that ended a minute ago, not one still in flight.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from ddinc.datadog import AsyncDatadogClient, NotFoundError
from ddinc.datadog.models import IncidentData
from ddinc.payloads import DEFAULT_PROVENANCE_FIELD
from ddinc.push.impacts import impact_exists
from ddinc.push.ledger import Ledger, LedgerRecord
from ddinc.push.results import app_url
from ddinc.push.run import Connection, run_blocking

__all__ = ["ReconcileResult", "provenance_query", "reconcile", "reconcile_async"]

_LOOKUPS: Final = 4
_PAGE: Final = 100
_UNSETTLED: Final = ("sending", "unknown")


def provenance_query(field: str, row_key: str) -> str:
    """The search query for the incidents whose ``field`` holds ``row_key``.

    >>> provenance_query("legacy_id", 'jira:OPS-1~ab"c')
    'legacy_id:"jira:OPS-1~ab\\\\"c"'
    """
    quoted = row_key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{field}:"{quoted}"'


@dataclass(frozen=True)
class ReconcileResult:
    """What reconcile decided for each unsettled record."""

    frame: pl.DataFrame
    """row_key, before, after, incident_id, duplicates, detail."""
    run_id: str
    ledger: Path

    def counts(self) -> dict[str, int]:
        """How many records ended in each status."""
        return dict(self.frame.group_by("after").len().sort("after").iter_rows())

    @property
    def duplicates(self) -> pl.DataFrame:
        """Records found more than once in Datadog (sent twice by something else)."""
        return self.frame.filter(pl.col("duplicates").list.len() > 0)

    def summary(self) -> str:
        """One line for a terminal."""
        if self.frame.is_empty():
            return "nothing to reconcile: no record is sending or unknown"
        counts = ", ".join(f"{v} {k}" for k, v in self.counts().items())
        dupes = self.duplicates.height
        extra = f"; {dupes} found more than once (see .duplicates)" if dupes else ""
        return f"{self.frame.height} reconciled: {counts}{extra}"

    def __repr__(self) -> str:
        return f"ReconcileResult({self.summary()})"

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>"


async def _confirmed(client: AsyncDatadogClient, field: str, row_key: str) -> list[IncidentData]:
    """The incidents that hold ``row_key`` in ``field``, each read back, oldest first."""
    hits: list[str] = []
    offset = 0
    while True:
        page = await client.search_incidents(
            provenance_query(field, row_key), page_size=_PAGE, page_offset=offset
        )
        found = page.incidents
        hits.extend(incident.id for incident in found)
        if len(found) < _PAGE:
            break
        offset += len(found)
    confirmed = []
    for incident_id in dict.fromkeys(hits):
        try:
            incident = (await client.get_incident(incident_id)).data
        except NotFoundError:
            continue
        fields = incident.attributes.fields if incident.attributes else None
        value = (fields or {}).get(field)
        if value is not None and value.value == row_key:
            confirmed.append(incident)
    return sorted(confirmed, key=lambda i: (i.public_id or 0, i.id))


async def _settle(
    client: AsyncDatadogClient,
    ledger: Ledger,
    run_id: str,
    field: str,
    record: LedgerRecord,
) -> tuple[Any, ...]:
    found = await _confirmed(client, field, record.row_key)
    if not found:
        ledger.mark_not_created(
            record.row_key, run_id, f"reconcile: no incident holds it in {field}"
        )
        return (record.row_key, record.status, "not_created", None, [], None)
    first, *others = found
    url = app_url(client.site, client.base_url, first.public_id, first.id)
    duplicates = [incident.id for incident in others]
    detail = f"found by reconcile; duplicates {', '.join(duplicates)}" if duplicates else None
    ledger.mark_created(
        record.row_key,
        run_id,
        incident_id=first.id,
        public_id=first.public_id,
        url=url,
        impact_pending=False,
        detail=detail or f"found by reconcile: {first.id}",
    )
    return (record.row_key, record.status, "created", first.id, duplicates, detail)


async def _settle_impact(
    client: AsyncDatadogClient, ledger: Ledger, run_id: str, record: LedgerRecord
) -> None:
    assert record.incident_id is not None
    incident = (await client.get_incident(record.incident_id)).data
    if impact_exists(incident):
        ledger.mark_impact(record.row_key, run_id, "created", reason="found by reconcile")
    else:
        ledger.mark_impact(record.row_key, run_id, "pending", reason="reconcile: not there")


async def reconcile_async(
    client: AsyncDatadogClient, ledger: Ledger, *, provenance_field: str | None = None
) -> ReconcileResult:
    """Settle every ``sending`` or ``unknown`` record (and impact) of ``ledger``."""
    field = provenance_field or ledger.meta("provenance_field") or DEFAULT_PROVENANCE_FIELD
    run_id = ledger.start_run("reconcile", client.base_url)
    unsettled = ledger.records(_UNSETTLED)
    gate = asyncio.Semaphore(_LOOKUPS)

    async def one(record: LedgerRecord) -> tuple[Any, ...]:
        async with gate:
            return await _settle(client, ledger, run_id, field, record)

    rows = await asyncio.gather(*(one(record) for record in unsettled))
    # An incident found here never had its impact sent (that waits for the import's answer):
    # the next push's plan sends it. Impacts that were in flight are read back instead.
    for record in ledger.records(["created"]):
        if record.impact_status in _UNSETTLED:
            await _settle_impact(client, ledger, run_id, record)
    frame = pl.DataFrame(
        list(rows),
        schema={
            "row_key": pl.String,
            "before": pl.String,
            "after": pl.String,
            "incident_id": pl.String,
            "duplicates": pl.List(pl.String),
            "detail": pl.String,
        },
        orient="row",
    )
    result = ReconcileResult(frame, run_id, ledger.path)
    ledger.finish_run(run_id, {"counts": result.counts()})
    return result


def reconcile(
    ledger: str | Path,
    *,
    provenance_field: str | None = None,
    connection: Connection | None = None,
    **connect: Any,
) -> ReconcileResult:
    """Settle the unknown and interrupted records of ``ledger`` by looking them up in Datadog."""
    target = connection or Connection.of(**connect)

    async def run() -> ReconcileResult:
        with Ledger(ledger) as opened:
            async with target.client() as client:
                return await reconcile_async(client, opened, provenance_field=provenance_field)

    return run_blocking(run)
