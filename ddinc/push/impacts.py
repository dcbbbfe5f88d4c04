"""Customer impact, which the import endpoint cannot set: one follow-up POST per incident.

``POST /api/v2/incidents/{id}/impacts`` for every created row with an impact start. The
ledger tracks the step like the import itself (``impact_status``: pending -> sending ->
created, failed or unknown), so a resumed run sends a pending or failed impact once, never
one that was created, and an unknown one only after reconcile has listed the incident's
impacts.
"""

from __future__ import annotations

from ddinc.datadog import (
    AsyncDatadogClient,
    DatadogAPIError,
    DatadogConnectionError,
    IncidentImpactCreateRequest,
    OutcomeUnknownError,
)
from ddinc.datadog.models import IncidentImpactsResponse
from ddinc.errors import DatadogError
from ddinc.push.journal import Journal
from ddinc.push.ledger import ImpactStatus, impact_change

__all__ = ["impact_exists", "send_impact"]


async def send_impact(
    client: AsyncDatadogClient,
    journal: Journal,
    run_id: str,
    *,
    row_key: str,
    incident_id: str,
    request: IncidentImpactCreateRequest,
) -> tuple[ImpactStatus, str | None]:
    """Send one impact, writing the ledger before and after; return its status and reason.

    ``sending`` is committed before the request leaves; the outcome joins the next batch.
    """
    await journal.commit(impact_change(row_key, run_id, "sending"))
    try:
        answer = await client.create_incident_impact(incident_id, request)
    except OutcomeUnknownError as error:
        journal.record(impact_change(row_key, run_id, "unknown", reason=error.reason))
        return "unknown", error.reason
    except (DatadogAPIError, DatadogConnectionError) as error:
        if isinstance(error, DatadogConnectionError) and error.sent:
            journal.record(impact_change(row_key, run_id, "unknown", reason=str(error)))
            return "unknown", str(error)
        journal.record(impact_change(row_key, run_id, "failed", reason=str(error)))
        return "failed", str(error)
    except DatadogError as error:  # an answer that could not be read: it may exist
        journal.record(impact_change(row_key, run_id, "unknown", reason=str(error)))
        return "unknown", str(error)
    except BaseException:
        journal.record(
            impact_change(row_key, run_id, "unknown", reason="interrupted while in flight")
        )
        raise
    journal.record(impact_change(row_key, run_id, "created", impact_id=answer.data.id))
    return "created", None


def impact_exists(impacts: IncidentImpactsResponse) -> bool:
    """Whether an incident's impacts (``GET /api/v2/incidents/{id}/impacts``) hold any.

    Read from the documented impacts endpoint, not from an incident attribute that no
    recorded answer shows it setting. An imported incident has none until ddinc adds one, so
    any impact on it is ours.
    """
    return bool(impacts.data)
