"""Reconcile: settle what a run could not know, by looking in Datadog, never by resending.

A record is ``unknown`` after a timeout, a dropped connection or a 5xx once the request was
sent, and stays ``sending`` when its run was killed. Datadog documents neither how its search
treats a custom field (is ``legacy_id:"..."`` a facet? an error? ignored?) nor how long its
index lags behind a creation, so one empty search proves nothing. For each such record,
reconcile makes two independent lookups:

1. the provenance search, ``<field>:"<row key>"`` (batched as ``<field>:("a" OR "b")``, the
   documented form of alternatives, and key by key if Datadog refuses that);
2. the creation scan: the documented query ``state:(active OR stable OR resolved)`` sorted by
   ``-created``, paged back to the record's first send (one scan serves every record).

Every hit is read back by id (a search is a hint, the incident itself is the proof) and kept
only when its provenance field holds the row key. Then:

- an incident created after this ledger first sent the record is adopted: ``created`` (the
  oldest; the others are duplicates, listed by id). Incidents created before the first send
  belong elsewhere (another ledger, a hand-made one): listed by id, never adopted; one made
  within two seconds before it (clocks differ) keeps the record unknown if nothing else is
  found, since it cannot be told apart;
- ``not_created`` (a later push may send it) only when both lookups came back empty **and**
  the record's last send is older than the settle window (``settle_after``, 600 s by
  default), by which time the search index has caught up;
- otherwise the record stays as it was: before the window the result says when it can
  settle; when a lookup cannot be made (Datadog answers 400 to the query, or the search
  returns everything) it says why. ``ddinc push`` does not resend such a record.

Each lookup (when, record, query, what it found, verdict) is kept in the ledger's ``lookups``
table. A customer impact left ``sending`` or ``unknown`` is settled from
``GET /api/v2/incidents/{id}/impacts``: ``created`` when the incident has one, else ``pending``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any, Final

import polars as pl

from ddinc.datadog import (
    AsyncDatadogClient,
    DatadogAPIError,
    DatadogConnectionError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
)
from ddinc.datadog.models import IncidentData
from ddinc.errors import ConfigError
from ddinc.payloads import DEFAULT_PROVENANCE_FIELD
from ddinc.push.impacts import impact_exists
from ddinc.push.ledger import ImpactStatus, Ledger, LedgerRecord
from ddinc.push.results import app_url
from ddinc.push.run import Connection, check_target, run_blocking

__all__ = [
    "DEFAULT_SETTLE_AFTER_S",
    "SCAN_QUERY",
    "ReconcileResult",
    "provenance_query",
    "reconcile",
    "reconcile_async",
    "settle_by_hand",
    "settle_time",
    "settle_times",
]

DEFAULT_SETTLE_AFTER_S: Final = 600.0
"""Seconds after a record's last send before an empty lookup may mark it ``not_created``."""
SCAN_QUERY: Final = "state:(active OR stable OR resolved)"
"""The creation scan's query: only the documented ``state`` facet, every state ddinc sends."""

_LOOKUPS: Final = 4
_PAGE: Final = 100
_MAX_SEARCH_PAGES: Final = 50
_BATCH: Final = 25  # row keys per provenance search, joined by OR as Datadog documents
_UNSETTLED: Final = ("sending", "unknown")
# Our clock and Datadog's differ a little: an incident stamped less than this before our
# first send may be ours or not. It is never adopted, and while it is the only one found the
# record stays unknown (neither adopting another's incident nor sending a second one).
_CLOCK_SKEW: Final = timedelta(seconds=2)
# The scan pages back further than the first send, so clock skew cannot hide an incident.
_SCAN_MARGIN: Final = timedelta(minutes=10)
_SHOWN: Final = 20
_SCHEMA: Final[dict[str, pl.DataType]] = {
    "row_key": pl.String(),
    "before": pl.String(),
    "after": pl.String(),
    "incident_id": pl.String(),
    "duplicates": pl.List(pl.String()),
    "elsewhere": pl.List(pl.String()),
    "settle_at": pl.String(),
    "detail": pl.String(),
}


def provenance_query(field: str, row_key: str) -> str:
    """The search query for the incidents whose ``field`` holds ``row_key``.

    >>> provenance_query("legacy_id", 'jira:OPS-1~ab"c')
    'legacy_id:"jira:OPS-1~ab\\\\"c"'
    """
    quoted = row_key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{field}:"{quoted}"'


def settle_time(last_send: datetime, settle_after: float = DEFAULT_SETTLE_AFTER_S) -> datetime:
    """When a record last sent at ``last_send`` may be judged not created."""
    return last_send + timedelta(seconds=settle_after)


def settle_times(
    ledger: Ledger, settle_after: float = DEFAULT_SETTLE_AFTER_S
) -> dict[str, datetime]:
    """Row key -> when each ``sending`` or ``unknown`` record of ``ledger`` can settle."""
    times = ledger.send_times()
    return {
        record.row_key: settle_time(_sends(record, times)[1], settle_after)
        for record in ledger.records(_UNSETTLED)
    }


@dataclass(frozen=True)
class ReconcileResult:
    """What reconcile decided for each unsettled record."""

    frame: pl.DataFrame
    """row_key, before, after, incident_id, duplicates, elsewhere, settle_at, detail."""
    run_id: str
    ledger: Path

    def counts(self) -> dict[str, int]:
        """How many records ended in each status."""
        return dict(self.frame.group_by("after").len().sort("after").iter_rows())

    @property
    def duplicates(self) -> pl.DataFrame:
        """Records found more than once in Datadog (sent twice by something else)."""
        return self.frame.filter(pl.col("duplicates").list.len() > 0)

    @property
    def elsewhere(self) -> pl.DataFrame:
        """Records whose row key is also held by incidents this ledger did not create."""
        return self.frame.filter(pl.col("elsewhere").list.len() > 0)

    @property
    def unsettled(self) -> pl.DataFrame:
        """Records left ``sending`` or ``unknown``, with why (``detail``) and ``settle_at``."""
        return self.frame.filter(pl.col("after").is_in(_UNSETTLED))

    def summary(self) -> str:
        """What was decided, then each thing that needs attention, by row key and incident id."""
        if self.frame.is_empty():
            return "nothing to reconcile: no record is sending or unknown"
        counts = ", ".join(f"{v} {k}" for k, v in self.counts().items())
        lines = [f"{self.frame.height} reconciled: {counts}"]
        for key, kept, dupes in self.duplicates.select(
            "row_key", "incident_id", "duplicates"
        ).iter_rows():
            lines.append(
                f"  {key}: found more than once: kept {kept}; duplicates {', '.join(dupes)} "
                "(delete them in Datadog if unwanted)"
            )
        for key, ids in self.elsewhere.select("row_key", "elsewhere").iter_rows():
            lines.append(
                f"  {key}: {', '.join(ids)} hold it but were created before this ledger first "
                "sent it: they belong elsewhere (another ledger or made by hand), not adopted"
            )
        lines.extend(self._unsettled_lines())
        return "\n".join(lines)

    def _unsettled_lines(self) -> list[str]:
        waiting = self.unsettled.filter(pl.col("settle_at").is_not_null())
        lines = []
        if waiting.height:
            times = sorted(str(t) for t in waiting.get_column("settle_at").to_list())
            first, last = times[0], times[-1]
            when = f"at {first}" if first == last else f"from {first} to {last}"
            lines.append(
                f"  {waiting.height} stay unknown: nothing found yet, and Datadog's search may "
                f"not show a new incident until the settle window after the last send has "
                f"passed; they can settle {when}: run reconcile again then"
            )
        blocked = self.unsettled.filter(pl.col("settle_at").is_null())
        for (detail,), group in blocked.group_by("detail", maintain_order=True):
            keys = group.get_column("row_key").to_list()
            shown = ", ".join(keys[:_SHOWN]) + (
                f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else ""
            )
            lines.append(f"  {len(keys)} stay unknown ({shown}): {detail!s}")
        return lines

    def __repr__(self) -> str:
        return f"ReconcileResult({self.summary().splitlines()[0]})"

    def _repr_html_(self) -> str:
        return "<pre>" + escape(self.summary()) + "</pre>"


@dataclass
class _Lookup:
    """One lookup of one record: the ids it pointed at, or why it could not be made."""

    name: str
    query: str
    candidates: list[str] = field(default_factory=list)
    problem: str | None = None


def _provenance_of(incident: IncidentData, field_name: str) -> object:
    fields = incident.attributes.fields if incident.attributes else None
    value = (fields or {}).get(field_name)
    return None if value is None else value.value


def _may_hold(incident: IncidentData, field_name: str, keys: set[str] | frozenset[str]) -> bool:
    """Whether a search hit may hold one of ``keys`` (a hit without the field is read back)."""
    fields = incident.attributes.fields if incident.attributes else None
    if fields is None or field_name not in fields:
        return True
    return _provenance_of(incident, field_name) in keys


class _TooManyHitsError(Exception):
    """The search returned more than reconcile pages through: it does not filter."""


def _refused(what: str, error: DatadogAPIError | DatadogConnectionError) -> str:
    """Why a lookup could not be made, said to the user (the query is in the ledger)."""
    if isinstance(error, UnauthorizedError | ForbiddenError):
        raise error  # nothing can be checked with these keys: say so once, not per record
    if isinstance(error, DatadogAPIError) and error.status == 400:
        said = "; ".join(error.messages) or "no message"
        return (
            f"cannot check: Datadog refused the {what} (400: {said}), so absence cannot be "
            "proven; look the row key up in Datadog by hand, or leave the record unknown"
        )
    return f"cannot check: the {what} failed ({error}); run reconcile again"


def _batch_query(field_name: str, keys: Sequence[str]) -> str:
    if len(keys) == 1:
        return provenance_query(field_name, keys[0])
    values = " OR ".join(provenance_query("", key)[1:] for key in keys)
    return f"{field_name}:({values})"


async def _search_hits(
    client: AsyncDatadogClient, query: str, field_name: str, keys: frozenset[str]
) -> list[str]:
    """The ids of every hit of ``query`` that may hold one of ``keys``, page after page."""
    candidates: list[str] = []
    offset = 0
    for _ in range(_MAX_SEARCH_PAGES):
        page = await client.search_incidents(query, page_size=_PAGE, page_offset=offset)
        found = page.incidents
        candidates.extend(i.id for i in found if _may_hold(i, field_name, keys))
        if len(found) < _PAGE:
            return candidates
        offset += len(found)
    raise _TooManyHitsError


async def _provenance_lookups(
    client: AsyncDatadogClient, field_name: str, keys: Sequence[str]
) -> dict[str, _Lookup]:
    """The provenance search of a batch of row keys, one query (``field:("a" OR "b")``).

    When Datadog refuses the batched form (400), each key is searched on its own.
    """
    what = f"provenance search on {field_name}"
    query = _batch_query(field_name, keys)
    try:
        found = await _search_hits(client, query, field_name, frozenset(keys))
    except (DatadogAPIError, DatadogConnectionError) as error:
        if len(keys) > 1 and isinstance(error, DatadogAPIError) and error.status == 400:
            lookups: dict[str, _Lookup] = {}
            for key in keys:
                lookups.update(await _provenance_lookups(client, field_name, [key]))
                refused = lookups[key].problem
                if refused is not None and "(400" in refused:
                    # One key alone refused too: the facet itself is refused, not the batch.
                    single = {
                        k: _Lookup("provenance search", provenance_query(field_name, k))
                        for k in keys
                        if k not in lookups
                    }
                    for lookup in single.values():
                        lookup.problem = refused
                    lookups.update(single)
                    break
            return lookups
        problem = _refused(what, error)
        return {key: _Lookup("provenance search", query, problem=problem) for key in keys}
    except _TooManyHitsError:
        problem = (
            f"cannot check: the {what} returned more than {_MAX_SEARCH_PAGES * _PAGE} "
            f"incidents, so it does not filter on {field_name}"
        )
        return {key: _Lookup("provenance search", query, problem=problem) for key in keys}
    return {key: _Lookup("provenance search", query, list(found)) for key in keys}


async def _scan(
    client: AsyncDatadogClient, field_name: str, keys: frozenset[str], floor: datetime
) -> _Lookup:
    """The incidents created since ``floor`` that may hold one of ``keys`` (one shared scan)."""
    lookup = _Lookup("creation scan", f"{SCAN_QUERY} sort:-created back to {floor.isoformat()}")
    offset = 0
    trusted = True  # the answers are sorted newest first, as asked
    oldest_seen: datetime | None = None  # the oldest creation time seen so far
    try:
        while True:
            page = await client.search_incidents(
                SCAN_QUERY, sort="-created", page_size=_PAGE, page_offset=offset
            )
            found = page.incidents
            lookup.candidates.extend(i.id for i in found if _may_hold(i, field_name, keys))
            created = [_created_at(i) for i in found]
            known = [c for c in created if c is not None]
            # A hit without a creation time, or out of order, cannot bound the scan: then it
            # reads every page rather than trust the sort.
            trusted = trusted and len(known) == len(created)
            for moment in known:
                trusted = trusted and (oldest_seen is None or moment <= oldest_seen)
                oldest_seen = moment
            if len(found) < _PAGE or (trusted and known and known[-1] < floor):
                return lookup
            offset += len(found)
    except (DatadogAPIError, DatadogConnectionError) as error:
        lookup.problem = _refused(f"creation scan {SCAN_QUERY!r}", error)
        return lookup


def _created_at(incident: IncidentData) -> datetime | None:
    """When Datadog created the incident (UTC assumed when it names no zone), if it says."""
    created = incident.attributes.created if incident.attributes else None
    if created is not None and created.tzinfo is None:
        return created.replace(tzinfo=UTC)
    return created


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sends(record: LedgerRecord, times: dict[str, tuple[str, str]]) -> tuple[datetime, datetime]:
    """(first, last) send of a record; a ledger without the events falls back to its update."""
    first, last = times.get(record.row_key, (record.updated, record.updated))
    return _parse_time(record.first_sent or first), _parse_time(last)


@dataclass
class _Reconciler:
    client: AsyncDatadogClient
    ledger: Ledger
    run_id: str
    field_name: str
    settle_after: float
    now: datetime
    _read: dict[str, IncidentData | None] = field(default_factory=dict)

    async def read_back(self, ids: Iterable[str]) -> None:
        gate = asyncio.Semaphore(_LOOKUPS)

        async def one(incident_id: str) -> None:
            async with gate:
                try:
                    self._read[incident_id] = (await self.client.get_incident(incident_id)).data
                except NotFoundError:  # deleted since the search indexed it
                    self._read[incident_id] = None

        await asyncio.gather(*(one(i) for i in dict.fromkeys(ids) if i not in self._read))

    def confirmed(self, lookup: _Lookup, key: str) -> list[IncidentData]:
        found = (self._read.get(i) for i in dict.fromkeys(lookup.candidates))
        return [i for i in found if i is not None and _provenance_of(i, self.field_name) == key]

    def settle(
        self, record: LedgerRecord, sends: tuple[datetime, datetime], lookups: list[_Lookup]
    ) -> tuple[Any, ...]:
        key = record.row_key
        first, last = sends
        found: dict[str, IncidentData] = {}
        for lookup in lookups:
            found.update((i.id, i) for i in self.confirmed(lookup, key))
        ordered = sorted(found.values(), key=_age)
        ours = [i for i in ordered if _created(i) >= first]
        elsewhere = [i.id for i in ordered if _created(i) < first]
        close = [i.id for i in ordered if first - _CLOCK_SKEW <= _created(i) < first]
        problems = list(dict.fromkeys(lk.problem for lk in lookups if lk.problem))
        settle_at = settle_time(last, self.settle_after)
        settle_text: str | None = None
        if ours:
            after, row = self._adopt(record, ours, elsewhere)
        elif close:
            after = record.status
            detail = (
                f"cannot tell: {', '.join(close)} holds it and was created within "
                f"{_CLOCK_SKEW.total_seconds():g} s before this ledger first sent it "
                f"({first.isoformat(timespec='milliseconds')}); look at it in Datadog: it is "
                "never adopted, and the record is not sent again"
            )
            others = [i for i in elsewhere if i not in close]
            row = (key, record.status, after, None, [], others, None, detail)
        elif problems:
            after = record.status
            row = (key, record.status, after, None, [], elsewhere, None, "; ".join(problems))
        elif self.now < settle_at:
            after = record.status
            settle_text = settle_at.isoformat(timespec="seconds")
            detail = (
                f"nothing found yet; last sent {last.isoformat(timespec='seconds')}, it can "
                f"settle at {settle_text} (settle window {self.settle_after:g} s)"
            )
            row = (key, record.status, after, None, [], elsewhere, settle_text, detail)
        else:
            after = "not_created"
            detail = (
                f"reconcile: no incident of this ledger holds it in {self.field_name} (provenance "
                f"search and creation scan both empty, {self.settle_after:g} s after the last "
                "send)"
            )
            self.ledger.mark_not_created(key, self.run_id, detail)
            row = (key, record.status, after, None, [], elsewhere, None, detail)
        self.ledger.record_lookups(
            self.run_id,
            [
                (key, lk.name, lk.query, self._found_text(lk, key, elsewhere), f"{after}: {row[7]}")
                for lk in lookups
            ],
        )
        return row

    def _found_text(self, lookup: _Lookup, key: str, elsewhere: list[str]) -> str:
        if lookup.problem:
            return lookup.problem
        ids = [i.id for i in self.confirmed(lookup, key)]
        if not ids:
            return "nothing"
        marked = [f"{i} (elsewhere)" if i in elsewhere else i for i in ids]
        return ", ".join(marked)

    def _adopt(
        self, record: LedgerRecord, ours: list[IncidentData], elsewhere: list[str]
    ) -> tuple[str, tuple[Any, ...]]:
        first, *others = ours
        url = app_url(self.client.site, self.client.base_url, first.public_id, first.id)
        duplicates = [incident.id for incident in others]
        detail = f"found by reconcile: {first.id}"
        if duplicates:
            detail += f"; duplicates {', '.join(duplicates)}"
        self.ledger.mark_created(
            record.row_key,
            self.run_id,
            incident_id=first.id,
            public_id=first.public_id,
            url=url,
            impact_pending=False,
            detail=detail,
        )
        return "created", (
            record.row_key,
            record.status,
            "created",
            first.id,
            duplicates,
            elsewhere,
            None,
            detail,
        )

    async def settle_impact(self, record: LedgerRecord) -> None:
        assert record.incident_id is not None
        path = f"GET /api/v2/incidents/{record.incident_id}/impacts"
        impacts = await self.client.list_incident_impacts(record.incident_id)
        status: ImpactStatus = "created" if impact_exists(impacts) else "pending"
        reason = "found by reconcile" if status == "created" else "reconcile: not there"
        self.ledger.mark_impact(record.row_key, self.run_id, status, reason=reason)
        found = ", ".join(i.id for i in impacts.data) or "nothing"
        self.ledger.record_lookups(
            self.run_id, [(record.row_key, "impacts", path, found, f"impact {status}")]
        )


def _created(incident: IncidentData) -> datetime:
    created = _created_at(incident)
    # No creation time: it cannot be shown to be ours, so it is never adopted.
    return created if created is not None else datetime.min.replace(tzinfo=UTC)


def _age(incident: IncidentData) -> tuple[datetime, int, str]:
    return (_created(incident), incident.public_id or 0, incident.id)


async def reconcile_async(
    client: AsyncDatadogClient,
    ledger: Ledger,
    *,
    provenance_field: str | None = None,
    settle_after: float = DEFAULT_SETTLE_AFTER_S,
    now: Callable[[], datetime] | None = None,
) -> ReconcileResult:
    """Settle every ``sending`` or ``unknown`` record (and impact) of ``ledger``.

    ``now`` is the clock the settle window is measured with (default: the system's, UTC).
    The ledger is locked for the run (one writer), and refused when ``client`` reaches
    another Datadog than the one it pushed to (its records say nothing about that one).
    """
    if settle_after < 0:
        raise ConfigError(f"settle_after {settle_after}: give 0 or more seconds")
    ledger.lock("reconcile")
    try:
        await check_target(client, ledger)
        return await _reconcile_locked(client, ledger, provenance_field, settle_after, now)
    finally:
        ledger.unlock()


async def _reconcile_locked(
    client: AsyncDatadogClient,
    ledger: Ledger,
    provenance_field: str | None,
    settle_after: float,
    now: Callable[[], datetime] | None,
) -> ReconcileResult:
    field_name = provenance_field or ledger.meta("provenance_field") or DEFAULT_PROVENANCE_FIELD
    run_id = ledger.start_run("reconcile", client.base_url)
    current = (now or (lambda: datetime.now(UTC)))()
    work = _Reconciler(client, ledger, run_id, field_name, settle_after, current)
    unsettled = ledger.records(_UNSETTLED)
    times = ledger.send_times()
    sends = {record.row_key: _sends(record, times) for record in unsettled}
    rows: list[tuple[Any, ...]] = []
    if unsettled:
        keys = frozenset(sends)
        floor = min(first for first, _ in sends.values()) - _SCAN_MARGIN
        scan = await _scan(client, field_name, keys, floor)
        gate = asyncio.Semaphore(_LOOKUPS)

        async def search(batch: Sequence[str]) -> dict[str, _Lookup]:
            async with gate:
                return await _provenance_lookups(client, field_name, batch)

        ordered = [record.row_key for record in unsettled]
        batches = [ordered[i : i + _BATCH] for i in range(0, len(ordered), _BATCH)]
        searches: dict[str, _Lookup] = {}
        for found in await asyncio.gather(*(search(batch) for batch in batches)):
            searches.update(found)
        hits = {i for lookup in searches.values() for i in lookup.candidates}
        await work.read_back([*scan.candidates, *sorted(hits)])
        for record in unsettled:
            lookups = [searches[record.row_key], scan]
            rows.append(work.settle(record, sends[record.row_key], lookups))
    # An incident found here never had its impact sent (that waits for the import's answer):
    # the next push's plan sends it. Impacts that were in flight are read back instead.
    for record in ledger.records(["created"]):
        if record.impact_status in _UNSETTLED:
            await work.settle_impact(record)
    frame = pl.DataFrame(rows, schema=_SCHEMA, orient="row")
    result = ReconcileResult(frame, run_id, ledger.path)
    ledger.finish_run(run_id, {"counts": result.counts()})
    return result


def reconcile(
    ledger: str | Path,
    *,
    provenance_field: str | None = None,
    settle_after: float = DEFAULT_SETTLE_AFTER_S,
    now: Callable[[], datetime] | None = None,
    connection: Connection | None = None,
    **connect: Any,
) -> ReconcileResult:
    """Settle the unknown and interrupted records of ``ledger`` by looking them up in Datadog.

    A record found nowhere becomes ``not_created`` only ``settle_after`` seconds after its
    last send (Datadog's search may lag behind a creation); see :mod:`ddinc.push.reconcile`.
    """
    target = connection or Connection.of(**connect)

    async def run() -> ReconcileResult:
        with Ledger(ledger) as opened:
            async with target.client() as client:
                return await reconcile_async(
                    client,
                    opened,
                    provenance_field=provenance_field,
                    settle_after=settle_after,
                    now=now,
                )

    return run_blocking(run)


_BY_HAND: Final = "by hand"


def settle_by_hand(
    ledger: str | Path,
    row_keys: Sequence[str],
    *,
    note: str,
    settle_after: float = DEFAULT_SETTLE_AFTER_S,
    now: Callable[[], datetime] | None = None,
) -> list[str]:
    """Record an analyst's finding that unknown records are not in Datadog; return their keys.

    For what reconcile cannot check, such as an org whose search refuses the provenance query:
    the analyst looked in Datadog (the incident's title and time, in the app) and found
    nothing. Every record must be ``unknown`` or ``sending`` and its last send older than the
    settle window (a person's search lags as reconcile's does), else nothing is changed and a
    :class:`~ddinc.errors.ConfigError` names the records. The finding is kept as a lookup
    (``by hand``, with ``note``) and each record becomes ``not_created``: the next push sends it.
    """
    if not note.strip():
        raise ConfigError("say what was checked (note=...): the ledger keeps it for the audit")
    moment = (now or (lambda: datetime.now(UTC)))()
    with Ledger(ledger) as opened:
        opened.lock("reconcile")
        times = opened.send_times()
        refused: list[str] = []
        for key in dict.fromkeys(row_keys):
            record = opened.get(key)
            if record is None or record.status not in ("unknown", "sending"):
                status = "absent" if record is None else record.status
                refused.append(f"{key} ({status}: only unknown or sending records)")
                continue
            ready = settle_time(_sends(record, times)[1], settle_after)
            if ready > moment:
                refused.append(f"{key} (sent too recently: settles at {ready:%Y-%m-%d %H:%M:%S}Z)")
        if refused:
            raise ConfigError("nothing changed; cannot settle by hand: " + "; ".join(refused))
        keys = list(dict.fromkeys(row_keys))
        run_id = opened.start_run("reconcile", opened.target)
        opened.record_lookups(run_id, [(key, _BY_HAND, None, note, "not_created") for key in keys])
        for key in keys:
            opened.mark_not_created(key, run_id, f"not in Datadog, checked by hand: {note}")
        opened.finish_run(run_id, {"by_hand": {"not_created": len(keys)}})
    return keys
