"""Rollback: delete the incidents one ledger (or one run of it) created, after confirmation.

For trial imports into a real org. Only incidents the ledger recorded as ``created`` are
touched, by their Datadog id; each is marked ``deleted`` as soon as Datadog confirms (an
incident already gone counts as deleted). Rows rolled back can be pushed again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ddinc.datadog import AsyncDatadogClient, DatadogError, NotFoundError
from ddinc.errors import ConfigError
from ddinc.push.ledger import Ledger, LedgerRecord
from ddinc.push.run import Connection, run_blocking

__all__ = ["Confirm", "RollbackResult", "rollback", "rollback_async", "rollback_candidates"]

Confirm = bool | Callable[[int], bool]


@dataclass(frozen=True)
class RollbackResult:
    """What rollback deleted, and what it could not."""

    frame: pl.DataFrame
    """row_key, incident_id, deleted, error."""
    run_id: str | None

    @property
    def deleted(self) -> int:
        """How many incidents were deleted."""
        return int(self.frame.get_column("deleted").sum())

    def summary(self) -> str:
        """One line for a terminal."""
        failed = self.frame.height - self.deleted
        tail = f", {failed} could not be deleted (see .frame)" if failed else ""
        return f"deleted {self.deleted} of {self.frame.height} incidents{tail}"

    def __repr__(self) -> str:
        return f"RollbackResult({self.summary()})"


def rollback_candidates(ledger: Ledger, run_id: str | None = None) -> list[LedgerRecord]:
    """The created records rollback would delete (of one run when ``run_id`` is given)."""
    if run_id is not None and run_id not in ledger.runs().get_column("run_id").to_list():
        raise ConfigError(f"no run {run_id!r} in {ledger.path}: `ddinc ledger` lists the runs")
    return [r for r in ledger.records(["created"], run_id=run_id) if r.incident_id]


async def rollback_async(
    client: AsyncDatadogClient,
    ledger: Ledger,
    *,
    run_id: str | None = None,
    confirm: Confirm = False,
) -> RollbackResult:
    """Delete the created incidents of ``ledger`` (or of its run ``run_id``)."""
    records = rollback_candidates(ledger, run_id)
    agreed = confirm(len(records)) if callable(confirm) else confirm
    schema = {"row_key": pl.String, "incident_id": pl.String, "deleted": pl.Boolean}
    schema["error"] = pl.String
    if not records or not agreed:
        if records and not callable(confirm):
            raise ConfigError(
                f"rollback would delete {len(records)} incidents from Datadog: confirm it "
                "(confirm=True, or --yes)"
            )
        return RollbackResult(pl.DataFrame(schema=schema), None)
    rolling = ledger.start_run("rollback", client.base_url)
    rows: list[tuple[Any, ...]] = []
    for record in records:
        assert record.incident_id is not None
        try:
            await client.delete_incident(record.incident_id)
        except NotFoundError:
            pass  # already gone: what rollback wants
        except DatadogError as error:
            rows.append((record.row_key, record.incident_id, False, str(error)))
            continue
        ledger.mark_deleted(record.row_key, rolling, record.incident_id)
        rows.append((record.row_key, record.incident_id, True, None))
    result = RollbackResult(pl.DataFrame(rows, schema=schema, orient="row"), rolling)
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
