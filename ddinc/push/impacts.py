"""Customer impact, which the import endpoint cannot set: one follow-up POST per incident.

``POST /api/v2/incidents/{id}/impacts`` for every created row with an impact start. The
ledger tracks the step like the import itself (``impact_status``: pending -> sending ->
created, failed or unknown), so a resumed run sends a pending or failed impact once, never
one that was created, and an unknown one only after reconcile has listed the incident's
impacts.
"""

from __future__ import annotations

from ddinc.datadog import AsyncDatadogClient, IncidentImpactCreateRequest, IncidentImpactResponse
from ddinc.datadog.models import IncidentImpactsResponse
from ddinc.datadog.outcome import Sent
from ddinc.push.journal import Journal
from ddinc.push.ledger import (
    Change,
    ImpactStatus,
    claim_impact_change,
    impact_change,
    release_impact_change,
)

__all__ = ["impact_exists", "send_impact"]


async def send_impact(
    client: AsyncDatadogClient,
    journal: Journal,
    run_id: str,
    *,
    row_key: str,
    incident_id: str,
    request: IncidentImpactCreateRequest,
) -> tuple[ImpactStatus | None, str | None]:
    """Send one impact through the journal's one exchange; return its status and reason.

    The impact is claimed (``pending`` or ``failed`` -> ``sending``) before the request
    leaves; ``(None, reason)`` when it could not be claimed (another run holds it).
    """

    def settle(sent: Sent[IncidentImpactResponse]) -> list[Change]:
        if sent.status == "created" and sent.value is not None:
            return impact_change(row_key, run_id, "created", impact_id=sent.value.data.id)
        return impact_change(row_key, run_id, sent.status, reason=sent.reason)

    sent = await journal.exchange(
        lambda: client.create_incident_impact(incident_id, request),
        claim=claim_impact_change(row_key, run_id),
        release=release_impact_change(row_key, run_id, "not sent: interrupted"),
        settle=settle,
    )
    if sent is None:
        return None, "not sent: another run holds this customer impact, or sent it"
    return sent.status, sent.reason


def impact_exists(impacts: IncidentImpactsResponse) -> bool:
    """Whether an incident's impacts (``GET /api/v2/incidents/{id}/impacts``) hold any.

    Read from the documented impacts endpoint, not from an incident attribute that no
    recorded answer shows it setting. An imported incident has none until ddinc adds one, so
    any impact on it is ours.
    """
    return bool(impacts.data)
