"""Rollback: delete the incidents one ledger (or one run of it) created, after confirmation.

For trial imports into a real org. Only incidents this ledger's own sends created are
touched, by their Datadog id: records ``created`` with ``learned`` ``sent`` (Datadog answered
our request) or ``reconciled`` (reconcile found it after our send). An incident the ledger
only adopted (``learned`` ``adopted``: a version 1 ledger's reconcile, which may have taken
another ledger's or a hand-made incident) is listed, never deleted. ``run_id`` selects the
records that run sent, reconcile settled later included.

Rollback takes the ledger's lock and refuses a target other than the ledger's before it
deletes anything; so a 404 can only mean the incident is already gone (it counts as
deleted). Each is marked ``deleted`` as soon as Datadog confirms. Rows rolled back can be
pushed again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from ddinc.datadog import AsyncDatadogClient, DatadogError, NotFoundError
from ddinc.errors import ConfigError
from ddinc.push.ledger import Ledger, LedgerRecord
from ddinc.push.run import Connection, check_target, run_blocking

__all__ = [
    "OURS",
    "Confirm",
    "RollbackResult",
    "rollback",
    "rollback_async",
    "rollback_candidates",
]

Confirm = bool | Callable[[int], bool]
OURS: Final = ("sent", "reconciled")
"""How a ``created`` must have been learned for rollback to delete it."""


@dataclass(frozen=True)
class RollbackResult:
    """What rollback deleted, and what it could not."""

    frame: pl.DataFrame
    """row_key, incident_id, deleted, error."""
    run_id: str | None
    not_ours: tuple[LedgerRecord, ...] = ()
    """Created records rollback left alone: not known to come from this ledger's sends."""

    @property
    def deleted(self) -> int:
        """How many incidents were deleted."""
        return int(self.frame.get_column("deleted").sum())

    def summary(self) -> str:
        """One line for a terminal."""
        failed = self.frame.height - self.deleted
        tail = f", {failed} could not be deleted (see .frame)" if failed else ""
        if self.not_ours:
            ids = ", ".join(str(r.incident_id) for r in self.not_ours[:10])
            more = ", ..." if len(self.not_ours) > 10 else ""
            tail += (
                f"; left {len(self.not_ours)} this ledger did not send (adopted: {ids}{more}); "
                "delete them by hand if they are yours"
            )
        return f"deleted {self.deleted} of {self.frame.height} incidents{tail}"

    def __repr__(self) -> str:
        return f"RollbackResult({self.summary()})"


def _created(ledger: Ledger, run_id: str | None) -> list[LedgerRecord]:
    if run_id is not None and run_id not in ledger.runs().get_column("run_id").to_list():
        raise ConfigError(f"no run {run_id!r} in {ledger.path}: `ddinc ledger` lists the runs")
    return [r for r in ledger.records(["created"], run_id=run_id) if r.incident_id]


def rollback_candidates(ledger: Ledger, run_id: str | None = None) -> list[LedgerRecord]:
    """The created records rollback would delete: this ledger's own sends (of one run, sent
    by it or settled by reconcile for it, when ``run_id`` is given)."""
    return [r for r in _created(ledger, run_id) if r.learned in OURS]


async def rollback_async(
    client: AsyncDatadogClient,
    ledger: Ledger,
    *,
    run_id: str | None = None,
    confirm: Confirm = False,
) -> RollbackResult:
    """Delete the incidents ``ledger`` (or its run ``run_id``) sent."""
    ledger.lock("rollback")
    try:
        # Before asking: on another target (or another org's keys on the same site) every
        # delete would 404 and count as "already gone".
        await check_target(client, ledger)
        return await _rollback_locked(client, ledger, run_id=run_id, confirm=confirm)
    finally:
        ledger.unlock()


async def _rollback_locked(
    client: AsyncDatadogClient, ledger: Ledger, *, run_id: str | None, confirm: Confirm
) -> RollbackResult:
    created = _created(ledger, run_id)
    records = [r for r in created if r.learned in OURS]
    not_ours = tuple(r for r in created if r.learned not in OURS)
    agreed = confirm(len(records)) if callable(confirm) else confirm
    schema = {"row_key": pl.String, "incident_id": pl.String, "deleted": pl.Boolean}
    schema["error"] = pl.String
    if not records or not agreed:
        if records and not callable(confirm):
            raise ConfigError(
                f"rollback would delete {len(records)} incidents from Datadog: confirm it "
                "(confirm=True, or --yes)"
            )
        return RollbackResult(pl.DataFrame(schema=schema), None, not_ours)
    rolling = ledger.start_run("rollback", client.base_url)
    rows: list[tuple[Any, ...]] = []
    for record in records:
        assert record.incident_id is not None
        try:
            await client.delete_incident(record.incident_id)
        except NotFoundError:
            pass  # already gone (the target is the ledger's: checked above)
        except DatadogError as error:
            rows.append((record.row_key, record.incident_id, False, str(error)))
            continue
        ledger.mark_deleted(record.row_key, rolling, record.incident_id)
        rows.append((record.row_key, record.incident_id, True, None))
    result = RollbackResult(pl.DataFrame(rows, schema=schema, orient="row"), rolling, not_ours)
    ledger.finish_run(rolling, {"deleted": result.deleted, "of": len(records)})
    return result


def rollback(
    ledger: str | Path,
    *,
    run_id: str | None = None,
    confirm: Confirm = False,
    connection: Connection | None = None,
    **connect: Any,
) -> RollbackResult:
    """Delete what ``ledger`` (or one run of it) created; ``confirm`` must say yes.

    ``confirm`` is True, or a function given the number of incidents that returns whether to
    go ahead (the CLI asks the user).
    """
    target = connection or Connection.of(**connect)

    async def run() -> RollbackResult:
        with Ledger(ledger) as opened:
            async with target.client() as client:
                return await rollback_async(client, opened, run_id=run_id, confirm=confirm)

    return run_blocking(run)
