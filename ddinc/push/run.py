"""The push: plan, then send the ready rows with bounded concurrency, the ledger around each.

The run holds the ledger's lock from before it plans to its end (one writer per ledger) and
refuses a ledger bound to another Datadog target. One asyncio event loop drives
``concurrency`` workers; each request is one :meth:`~ddinc.push.journal.Journal.exchange`:
the record is claimed (``sending``, committed before the request leaves, only over a
claimable status), the request sent, and its outcome (one classification,
:func:`ddinc.datadog.outcome.classify`) joins the next batch of ledger writes. A worker
cancelled mid-request (Ctrl-C, an error elsewhere) records ``unknown`` before it ends, and
one cancelled before its request left gives its claim back (``planned``, "not sent:
interrupted"), so every request that may have been sent has an outcome and none that was
not is counted as sent; a process killed outright leaves ``sending`` (or an outcome not yet
committed), which reconcile resolves. Pacing under the rate limit is the client's (one
pacer per bucket, shared by all workers).

In a notebook, whose kernel already runs an event loop, the run gets its own thread and loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import httpx
import polars as pl
from tqdm.auto import tqdm

from ddinc.checks import CheckReport, check, run_checks
from ddinc.datadog import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    AsyncDatadogClient,
    IncidentImportResponse,
    RetryPolicy,
    Secret,
)
from ddinc.datadog.outcome import Sent
from ddinc.errors import ConfigError
from ddinc.loader import LoadResult
from ddinc.payloads import OrgConfig, PayloadOptions
from ddinc.push.impacts import send_impact
from ddinc.push.journal import Journal
from ddinc.push.ledger import (
    Change,
    Ledger,
    claim_change,
    created_change,
    outcome_change,
    release_change,
)
from ddinc.push.org import fetch_org, people_emails
from ddinc.push.people import people_table_path, read_people
from ddinc.push.plan import Plan, PlannedRow, blocking_reasons, make_plan, select_rows
from ddinc.push.results import Outcome, PushResult, RecordOutcome, app_url

__all__ = [
    "Connection",
    "check_target",
    "plan",
    "plan_async",
    "push",
    "push_async",
    "run_blocking",
]

_T = TypeVar("_T")
_IMPORT: Final = "ImportIncident"
_NOT_CONFIRMED: Final = "not confirmed"


@dataclass(frozen=True)
class Connection:
    """Where and how to reach Datadog; keys are never shown (see :class:`~ddinc.datadog.Secret`).

    Defaults: ``DD_SITE``, ``DD_API_KEY``, ``DD_APP_KEY``; ``base_url`` for a loopback emulator.
    """

    site: str | None = None
    base_url: str | None = None
    api_key: Secret | None = field(default=None, repr=False)
    app_key: Secret | None = field(default=None, repr=False)
    timeout: float | httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)
    policy: RetryPolicy | None = None
    environ: Mapping[str, str] | None = field(default=None, repr=False)

    @classmethod
    def of(
        cls,
        *,
        site: str | None = None,
        base_url: str | None = None,
        api_key: str | Secret | None = None,
        app_key: str | Secret | None = None,
        **options: Any,
    ) -> Connection:
        """A connection, wrapping plain-text keys in :class:`Secret`."""
        return cls(
            site=site,
            base_url=base_url,
            api_key=_secret(api_key),
            app_key=_secret(app_key),
            **options,
        )

    def client(self) -> AsyncDatadogClient:
        """A new async client (create it on the loop that uses it)."""
        return AsyncDatadogClient(
            site=self.site,
            base_url=self.base_url,
            api_key=self.api_key,
            app_key=self.app_key,
            transport=self.transport,
            timeout=self.timeout,
            policy=self.policy,
            environ=self.environ,
        )


def _secret(key: str | Secret | None) -> Secret | None:
    return key if key is None or isinstance(key, Secret) else Secret(key)


def run_blocking(make: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to the end from sync code, in a notebook too (its own thread, then)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    outcome: list[_T] = []
    failure: list[BaseException] = []
    loop_ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        holder["loop"] = asyncio.get_running_loop()
        holder["task"] = asyncio.current_task()
        loop_ready.set()
        outcome.append(await make())

    def thread() -> None:
        try:
            asyncio.run(main())
        except BaseException as error:  # handed to the caller below
            failure.append(error)
        finally:
            loop_ready.set()

    context = contextvars.copy_context()
    worker = threading.Thread(target=context.run, args=(thread,), name="ddinc-push", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        # The kernel's interrupt lands here: cancel the run so in-flight records get outcomes.
        loop_ready.wait()
        if "loop" in holder:
            holder["loop"].call_soon_threadsafe(holder["task"].cancel)
        worker.join()
        raise
    if failure:
        raise failure[0]
    return outcome[0]


async def check_target(client: AsyncDatadogClient, ledger: Ledger) -> None:
    """Refuse a client that reaches another Datadog than the ledger's, before any write.

    The API root is compared first; then, when the ledger recorded its org, the org's
    incident types are read (one request) and must include one the ledger saw: one site
    serves many orgs. Reconcile and rollback call this before they look up or delete.

    Raises
    ------
    LedgerTargetError
        Naming both targets and what to do.
    """
    ledger.check_target(client.base_url)
    if ledger.meta("org_incident_types") is not None:
        types = await client.list_incident_types()
        ledger.check_org(incident_type.id for incident_type in types.data)


def _frame_and_report(
    data: LoadResult | pl.DataFrame, report: CheckReport | None
) -> tuple[pl.DataFrame, CheckReport]:
    if isinstance(data, LoadResult):
        return data.incidents, report or check(data)
    if not isinstance(data, pl.DataFrame) or "row_key" not in data.columns:
        raise ConfigError(
            "push a ddinc.load(...) result or a canonical frame with its row_key column"
        )
    return data, report or run_checks(data)


def _options(options: PayloadOptions | None, ledger: Path | None) -> PayloadOptions:
    options = options or PayloadOptions()
    if ledger is None:
        return options
    people = {**read_people(people_table_path(ledger)), **options.people}
    return replace(options, people=people)


async def plan_async(
    data: LoadResult | pl.DataFrame,
    client: AsyncDatadogClient,
    *,
    ledger: Ledger | None = None,
    where: str | pl.Expr | None = None,
    options: PayloadOptions | None = None,
    report: CheckReport | None = None,
) -> Plan:
    """The plan (see :mod:`ddinc.push.plan`), with the org fetched through ``client``."""
    planned, _ = await _plan_and_org(
        data, client, ledger=ledger, where=where, options=options, report=report
    )
    return planned


async def _plan_and_org(
    data: LoadResult | pl.DataFrame,
    client: AsyncDatadogClient,
    *,
    ledger: Ledger | None,
    where: str | pl.Expr | None,
    options: PayloadOptions | None,
    report: CheckReport | None,
) -> tuple[Plan, OrgConfig]:
    if ledger is not None:
        ledger.check_target(client.base_url)  # its records say nothing about another target
    frame, report = _frame_and_report(data, report)
    selection = select_rows(frame, where)
    chosen = _options(options, ledger.path if ledger else None)
    org = await fetch_org(client, people_emails(selection, chosen.people))
    if ledger is not None:
        ledger.check_org(incident_type.id for incident_type in org.types)
    records = ledger.lookup(selection.get_column("row_key").to_list()) if ledger else {}
    planned = make_plan(
        selection, org, chosen, blocked=blocking_reasons(frame, report), records=records
    )
    return planned, org


def plan(
    data: LoadResult | pl.DataFrame,
    *,
    ledger: str | Path | None = None,
    where: str | pl.Expr | None = None,
    options: PayloadOptions | None = None,
    report: CheckReport | None = None,
    connection: Connection | None = None,
    **connect: Any,
) -> Plan:
    """The dry run: every check the push runs, against the org, and the exact payloads.

    Parameters
    ----------
    data
        A :func:`ddinc.load` result or a canonical frame (checked here when no ``report``).
    ledger
        The ledger file of the pushes (read only); without it nothing counts as created.
    where
        Which rows to select: a polars expression or SQL text (``"severity = 'SEV-1'"``).
    options
        Provenance field, unmapped people and unknown fields (:class:`PayloadOptions`).
    connection, connect
        A :class:`Connection`, or its arguments (``base_url=``, ``site=``, keys...).
    """
    target = connection or Connection.of(**connect)

    async def run() -> Plan:
        opened = Ledger(ledger) if ledger is not None else None
        try:
            async with target.client() as client:
                return await plan_async(
                    data, client, ledger=opened, where=where, options=options, report=report
                )
        finally:
            if opened is not None:
                opened.close()

    return run_blocking(run)


# -- sending ----------------------------------------------------------------------------------


class _Sender:
    """The workers of one run: each request framed by ledger writes, on the loop's thread."""

    def __init__(
        self,
        client: AsyncDatadogClient,
        ledger: Ledger,
        run_id: str,
        bar: Any,
    ) -> None:
        self.client = client
        self.journal = Journal(ledger)
        self.run_id = run_id
        self.bar = bar
        self.outcomes: dict[str, RecordOutcome] = {}
        self.counts = dict.fromkeys(("created", "failed", "unknown"), 0)
        self.stopped_by: str | None = None

    def _url(self, public_id: int | None, incident_id: str) -> str:
        return app_url(self.client.site, self.client.base_url, public_id, incident_id)

    def _done(self, outcome: RecordOutcome) -> None:
        self.outcomes[outcome.row_key] = outcome
        if outcome.outcome in self.counts:
            self.counts[outcome.outcome] += 1
        self.bar.update(1)
        if self.bar.disable:  # no bar (progress=False): nothing to show
            return
        counts: dict[str, Any] = dict(self.counts)  # running totals: no rescan per record
        state = self.client.rate_limits().get(_IMPORT)
        if state is not None and state.limit and state.period:
            counts["limit"] = f"{state.limit}/{state.period:g}s"
        self.bar.set_postfix(counts, refresh=False)

    def _claimed_elsewhere(self, row: PlannedRow) -> RecordOutcome:
        record = self.journal.ledger.get(row.row_key)
        status = record.status if record is not None else "absent"
        ids: dict[str, Any] = {}
        if record is not None and record.incident_id is not None:
            ids = {"incident_id": record.incident_id, "public_id": record.public_id}
            ids["url"] = record.url
        outcome: Outcome = "unknown" if status in ("sending", "unknown") else "skipped"
        reason = f"not sent: another run holds it (ledger says {status})"
        return RecordOutcome(row.row_key, row.payload.title, outcome, reason, **ids)

    async def send(self, row: PlannedRow) -> None:
        payload = row.payload
        request = payload.request
        assert request is not None  # ready rows only
        assert payload.hash is not None
        key = row.row_key
        run_id = self.run_id

        def settle(sent: Sent[IncidentImportResponse]) -> list[Change]:
            if sent.status != "created" or sent.value is None:
                status: Literal["failed", "unknown"] = (
                    "unknown" if sent.status == "unknown" else "failed"
                )
                return outcome_change(key, run_id, status, sent.reason or status)
            incident = sent.value.data
            return created_change(
                key,
                run_id,
                incident_id=incident.id,
                public_id=incident.public_id,
                url=self._url(incident.public_id, incident.id),
                impact_pending=payload.impact is not None,
            )

        sent = await self.journal.exchange(
            lambda: self.client.import_incident(request),
            claim=claim_change(key, run_id, payload.hash),
            release=release_change(key, run_id, "not sent: interrupted"),
            settle=settle,
        )
        if sent is None:
            self._done(self._claimed_elsewhere(row))
            return
        if sent.status != "created" or sent.value is None:
            if sent.stops_run:
                self.stopped_by = str(sent.error)
            self._done(RecordOutcome(key, payload.title, sent.status, sent.reason))
            return
        incident = sent.value.data
        url = self._url(incident.public_id, incident.id)
        impact = None
        reason = None
        if payload.impact is not None:
            impact, reason = await send_impact(
                self.client,
                self.journal,
                self.run_id,
                row_key=key,
                incident_id=incident.id,
                request=payload.impact,
            )
        self._done(
            RecordOutcome(
                key,
                payload.title,
                "created",
                None if reason is None else f"customer impact {impact}: {reason}",
                incident.id,
                incident.public_id,
                url,
                impact,
            )
        )

    async def resend_impact(self, row: PlannedRow) -> None:
        record = row.record
        assert record is not None
        assert record.incident_id is not None
        assert row.payload.impact is not None
        impact, reason = await send_impact(
            self.client,
            self.journal,
            self.run_id,
            row_key=row.row_key,
            incident_id=record.incident_id,
            request=row.payload.impact,
        )
        self._done(
            RecordOutcome(
                row.row_key,
                row.payload.title,
                "skipped",
                "created before" + ("" if reason is None else f"; customer impact: {reason}"),
                record.incident_id,
                record.public_id,
                record.url,
                impact,
            )
        )

    async def run(self, rows: list[PlannedRow], concurrency: int) -> None:
        queue = iter(rows)

        async def worker() -> None:
            for row in queue:
                if self.stopped_by is not None:
                    return
                if row.status == "ready":
                    await self.send(row)
                else:
                    await self.resend_impact(row)

        tasks = [asyncio.create_task(worker()) for _ in range(min(concurrency, len(rows)))]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            # Cancelled (Ctrl-C) or a bug: every worker records its in-flight request first.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            self.journal.flush()  # the outcomes still queued


def _unsent(row: PlannedRow, stopped_by: str | None) -> RecordOutcome:
    record = row.record
    ids: dict[str, Any] = {}
    if record is not None and record.incident_id is not None:
        ids = {"incident_id": record.incident_id, "public_id": record.public_id, "url": record.url}
        ids["impact"] = record.impact_status
    title = row.payload.title
    if row.status == "created":
        return RecordOutcome(row.row_key, title, "skipped", "created before", **ids)
    if row.status == "changed":
        return RecordOutcome(row.row_key, title, "changed", row.reason, **ids)
    if row.status == "held":
        return RecordOutcome(row.row_key, title, "held", row.reason)
    if row.status == "unknown":
        return RecordOutcome(row.row_key, title, "unknown", row.reason, **ids)
    if stopped_by == _NOT_CONFIRMED:
        return RecordOutcome(row.row_key, title, "held", "not sent: the push was not confirmed")
    return RecordOutcome(
        row.row_key, title, "failed", f"not sent: the run stopped early ({stopped_by})"
    )


async def push_async(
    data: LoadResult | pl.DataFrame,
    client: AsyncDatadogClient,
    ledger: Ledger,
    *,
    where: str | pl.Expr | None = None,
    options: PayloadOptions | None = None,
    report: CheckReport | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: bool = True,
    confirm: Callable[[Plan], bool] | None = None,
) -> PushResult:
    """Plan, then send the ready rows and the customer impacts still to send.

    ``confirm`` is shown the plan before anything is sent; False sends nothing.
    """
    if concurrency < 1:
        raise ConfigError(f"concurrency {concurrency} is below 1: use 1 for one at a time")
    # One writer from the plan on: a second run waits or refuses, and plans on fresh records.
    ledger.lock("push")
    try:
        ledger.check_target(client.base_url)
        return await _push_locked(
            data,
            client,
            ledger,
            where=where,
            options=options,
            report=report,
            concurrency=concurrency,
            progress=progress,
            confirm=confirm,
        )
    finally:
        ledger.unlock()


def _not_in_source(ledger: Ledger, frame: pl.DataFrame) -> tuple[RecordOutcome, ...]:
    """Records created from the sources of ``frame`` whose row is no longer in it."""
    keys = set(frame.get_column("row_key").to_list())
    # Only the sources pushed now: a ledger may also hold other exports' records.
    sources = tuple({f"{key.partition(':')[0]}:" for key in keys})
    return tuple(
        RecordOutcome(
            record.row_key,
            record.title,
            "skipped",
            "created, but no longer in the source: delete it in Datadog, or keep it",
            record.incident_id,
            record.public_id,
            record.url,
            record.impact_status,
        )
        for record in ledger.records(["created"])
        if record.row_key not in keys and record.row_key.startswith(sources)
    )


async def _push_locked(
    data: LoadResult | pl.DataFrame,
    client: AsyncDatadogClient,
    ledger: Ledger,
    *,
    where: str | pl.Expr | None,
    options: PayloadOptions | None,
    report: CheckReport | None,
    concurrency: int,
    progress: bool,
    confirm: Callable[[Plan], bool] | None,
) -> PushResult:
    started = time.perf_counter()
    planned, org = await _plan_and_org(
        data, client, ledger=ledger, where=where, options=options, report=report
    )
    gone = _not_in_source(ledger, data.incidents if isinstance(data, LoadResult) else data)
    seconds = {"plan": time.perf_counter() - started}
    if confirm is not None and not confirm(planned):
        records = tuple(_unsent(row, _NOT_CONFIRMED) for row in planned.rows)
        return PushResult(records, None, ledger.path, _NOT_CONFIRMED, seconds, not_in_source=gone)
    started = time.perf_counter()
    run_id = ledger.start_run("push", client.base_url)
    ledger.bind_org(incident_type.id for incident_type in org.types)
    ledger.set_meta("provenance_field", planned.options.provenance_field)
    ready = planned.ready
    ledger.mark_planned(run_id, [(r.row_key, r.payload.title, r.payload.hash or "") for r in ready])
    work = [*ready, *planned.impacts_todo]
    bar = tqdm(total=len(work), unit="incident", desc="push", disable=not progress)
    sender = _Sender(client, ledger, run_id, bar)
    try:
        await sender.run(work, concurrency)
    finally:
        bar.close()
    records = tuple(
        sender.outcomes.get(row.row_key) or _unsent(row, sender.stopped_by) for row in planned.rows
    )
    result = PushResult(records, run_id, ledger.path, sender.stopped_by, not_in_source=gone)
    summary = {"counts": result.counts(), "impacts": result.impact_counts()}
    ledger.finish_run(run_id, {**summary, "not_in_source": len(gone)})
    seconds["send"] = time.perf_counter() - started
    return replace(
        result,
        seconds=seconds,
        ledger_transactions=sender.journal.transactions,
        times=planned.times,
    )


def push(
    data: LoadResult | pl.DataFrame,
    *,
    ledger: str | Path,
    where: str | pl.Expr | None = None,
    options: PayloadOptions | None = None,
    report: CheckReport | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: bool = True,
    confirm: Callable[[Plan], bool] | None = None,
    connection: Connection | None = None,
    **connect: Any,
) -> PushResult:
    """Push the selected rows to Datadog exactly once, recording everything in ``ledger``.

    Rows failing an error-level check, or that the org would refuse, are held; rows the ledger
    says were created are skipped (a changed one is reported, not re-sent); rows a previous run
    may have created are reported unknown until :func:`ddinc.push.reconcile` resolves them.
    The same call again sends only what is still to send.

    Parameters are those of :func:`plan`, plus ``concurrency`` (requests in flight; the
    client's pacer keeps them under the rate limit), ``progress`` (a tqdm bar: a widget in
    JupyterLab, text in a terminal) and ``confirm`` (shown the plan; False sends nothing).
    """
    target = connection or Connection.of(**connect)

    async def run() -> PushResult:
        with Ledger(ledger) as opened:
            async with target.client() as client:
                return await push_async(
                    data,
                    client,
                    opened,
                    where=where,
                    options=options,
                    report=report,
                    concurrency=concurrency,
                    progress=progress,
                    confirm=confirm,
                )

    return run_blocking(run)
