"""The result of a push: one line per selected record, whose totals add up to the selection.

Outcomes: ``created`` (this run created it), ``skipped`` (created before: nothing sent),
``changed`` (created before, but the row was edited since: not re-sent, a person decides),
``held`` (not sent: the reason says why), ``failed`` (Datadog refused it, or it could not be
sent: nothing was created) and ``unknown`` (it may exist: run reconcile). Records created
before whose row is no longer in the source are listed apart (``not_in_source``). The frame
is data; :meth:`PushResult.to_html` renders it for notebooks.

Exit status of ``ddinc push`` (:func:`exit_code`), the first that applies:

- ``EXIT_UNKNOWN`` (3): some record or impact may exist: run ``ddinc reconcile``;
- ``EXIT_FAILED`` (1): some failed or were held;
- ``EXIT_DECIDE`` (4): nothing failed, but something needs a person's decision: a row changed
  since it was created (update the incident in Datadog, or leave it), or a created record's
  row is no longer in the source (delete the incident, or keep it);
- ``EXIT_OK`` (0): every selected record is created or skipped.

(2 is a usage or configuration error, raised before anything is sent.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Final, Literal

import polars as pl

__all__ = [
    "EXIT_DECIDE",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_UNKNOWN",
    "OUTCOMES",
    "Outcome",
    "PushResult",
    "RecordOutcome",
    "app_url",
    "exit_code",
]

Outcome = Literal["created", "skipped", "changed", "held", "failed", "unknown"]
OUTCOMES: Final[tuple[Outcome, ...]] = (
    "created",
    "skipped",
    "changed",
    "held",
    "failed",
    "unknown",
)
EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_UNKNOWN: Final = 3
EXIT_DECIDE: Final = 4

_FRAME_SCHEMA: Final[dict[str, pl.DataType]] = {
    "row_key": pl.String(),
    "title": pl.String(),
    "outcome": pl.Enum(OUTCOMES),
    "reason": pl.String(),
    "incident_id": pl.String(),
    "public_id": pl.Int64(),
    "url": pl.String(),
    "impact": pl.String(),
}
# Sites whose app is served on the site's own host; the others on app.<site>.
_REGIONAL_PREFIXES: Final = ("us3.", "us5.", "ap1.", "ap2.", "uk1.", "us2.")


def app_url(site: str | None, base_url: str, public_id: int | None, incident_id: str) -> str:
    """Where a person opens the incident: the site's app, or the emulator's API resource."""
    if site is None:
        return f"{base_url.rstrip('/')}/api/v2/incidents/{incident_id}"
    host = site if site.startswith(_REGIONAL_PREFIXES) else f"app.{site}"
    return f"https://{host}/incidents/{public_id if public_id is not None else incident_id}"


@dataclass(frozen=True)
class RecordOutcome:
    """How one selected record ended in this run."""

    row_key: str
    title: str | None
    outcome: Outcome
    reason: str | None = None
    incident_id: str | None = None
    public_id: int | None = None
    url: str | None = None
    impact: str | None = None


def exit_code(
    counts: dict[str, int], impacts: dict[str, int] | None = None, *, not_in_source: int = 0
) -> int:
    """3: some unknown (reconcile); 1: some failed or held; 4: some changed, or created and
    no longer in the source (a decision); 0: all created or skipped (see the module)."""
    impacts = impacts or {}
    if counts.get("unknown", 0) or impacts.get("unknown", 0) or impacts.get("sending", 0):
        return EXIT_UNKNOWN
    if counts.get("failed", 0) or counts.get("held", 0) or impacts.get("failed", 0):
        return EXIT_FAILED
    if counts.get("changed", 0) or not_in_source:
        return EXIT_DECIDE
    return EXIT_OK


@dataclass(frozen=True)
class PushResult:
    """Every selected record's outcome, the run id and the ledger it was written to."""

    records: tuple[RecordOutcome, ...]
    run_id: str | None
    ledger: Path
    stopped_by: str | None = None
    """Why the run stopped sending early (a 401 or 403), if it did."""
    seconds: Mapping[str, float] = field(default_factory=dict)
    """Wall time of the run's parts: ``plan`` (fetching the org, building and checking the
    payloads, reading the ledger) and ``send`` (the requests with their ledger writes)."""
    ledger_transactions: int = 0
    """How many transactions the sending committed to the ledger (group commit: fewer than
    the ledger changes, never after a request left without its ``sending`` row)."""
    not_in_source: tuple[RecordOutcome, ...] = ()
    """Records the ledger holds as created, from the sources pushed, whose row is no longer
    in the data: nothing is deleted; a person decides."""
    times: pl.DataFrame | None = None
    """Per row key, the times each incident has in Datadog and where each came from
    (:attr:`ddinc.push.Plan.times`): added to :attr:`frame`."""

    @property
    def frame(self) -> pl.DataFrame:
        """One row per selected record: row_key, title, outcome, reason, ids, link, impact,
        and the incident's times with the column each came from."""
        frame = self._outcomes()
        if self.times is None:
            return frame
        return frame.join(self.times, on="row_key", how="left", maintain_order="left")

    def _outcomes(self) -> pl.DataFrame:
        return pl.DataFrame(
            [
                (
                    r.row_key,
                    r.title,
                    r.outcome,
                    r.reason,
                    r.incident_id,
                    r.public_id,
                    r.url,
                    r.impact,
                )
                for r in self.records
            ],
            schema=_FRAME_SCHEMA,
            orient="row",
        )

    def counts(self) -> dict[str, int]:
        """How many records had each outcome; they add up to the selection."""
        return {o: sum(r.outcome == o for r in self.records) for o in OUTCOMES}

    def impact_counts(self) -> dict[str, int]:
        """How many customer impacts ended in each status."""
        found: dict[str, int] = {}
        for record in self.records:
            if record.impact is not None:
                found[record.impact] = found.get(record.impact, 0) + 1
        return found

    @property
    def exit_code(self) -> int:
        """The ``ddinc push`` exit status this result gives (see :func:`exit_code`)."""
        return exit_code(self.counts(), self.impact_counts(), not_in_source=len(self.not_in_source))

    def summary(self) -> str:
        """One line for a terminal."""
        counts = ", ".join(f"{v} {k}" for k, v in self.counts().items())
        impacts = ", ".join(f"{v} {k}" for k, v in sorted(self.impact_counts().items()))
        text = f"{len(self.records)} selected: {counts}"
        if impacts:
            text += f"; customer impacts: {impacts}"
        if self.stopped_by:
            text += f". Stopped early: {self.stopped_by}"
        if self.counts()["unknown"]:
            text += f". Run `ddinc reconcile --ledger {self.ledger}` before pushing again"
        if self.counts()["changed"]:
            text += (
                f". {self.counts()['changed']} changed since created: not re-sent; update "
                "them in Datadog or leave them"
            )
        if self.not_in_source:
            text += (
                f". {len(self.not_in_source)} created before are no longer in the source: "
                "delete them in Datadog or keep them"
            )
        return text

    def decisions(self) -> list[str]:
        """One line per record that needs a person: changed, or no longer in the source."""
        changed = [r for r in self.records if r.outcome == "changed"]
        return [
            f"{label} {r.row_key}" + (f" (incident {r.incident_id})" if r.incident_id else "")
            for label, group in (("changed", changed), ("not in source", self.not_in_source))
            for r in group
        ]

    def __repr__(self) -> str:
        return f"PushResult(run_id={self.run_id!r}, {self.summary()})"

    def to_html(self, max_rows: int = 20) -> str:
        """The counts, then the records that need attention (held, failed, unknown)."""
        counts = " · ".join(f"<b>{v}</b> {k}" for k, v in self.counts().items())
        attention = [
            r for r in self.records if r.outcome in ("changed", "held", "failed", "unknown")
        ]
        created = [r for r in self.records if r.outcome == "created"][:5]
        rows = "".join(
            f"<tr><td><code>{escape(r.row_key)}</code></td><td>{r.outcome}</td>"
            f"<td>{escape(r.reason or '')}</td><td>{_link(r)}</td></tr>"
            for r in [*attention[:max_rows], *created]
        )
        more = (
            f"<p>... and {len(attention) - max_rows} more in <code>.frame</code></p>"
            if len(attention) > max_rows
            else ""
        )
        stopped = (
            f"<p><b>Stopped early:</b> {escape(self.stopped_by)}</p>" if self.stopped_by else ""
        )
        return (
            f"<div><p>Push {escape(self.run_id or '(dry run)')}: {len(self.records)} selected: "
            f"{counts}</p>{stopped}<table><tr><th>row key</th><th>outcome</th><th>reason</th>"
            f"<th>incident</th></tr>{rows}</table>{more}</div>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()


def _link(record: RecordOutcome) -> str:
    if record.url is None:
        return ""
    label = escape(str(record.public_id or record.incident_id))
    return f'<a href="{escape(record.url)}" target="_blank">{label}</a>'
