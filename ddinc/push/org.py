"""What the org looks like, fetched once per run: incident types, their fields, the users.

Users are looked up by email through the users endpoint (its ``filter`` is a substring
match, so every answer is compared again, trimmed and case-insensitively), once per distinct
email of the selection: a real org can have thousands of users and the run needs a handful.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

import polars as pl

from ddinc.datadog import AsyncDatadogClient, User
from ddinc.payloads import OrgConfig, normalize_email, normalize_name, org_config

__all__ = ["fetch_org", "people_emails"]

_PEOPLE_COLUMNS = ("commander", "declared_by")
# Look-ups in flight at once; the client's pacer keeps them under the read rate limit.
_LOOKUPS = 4


def people_emails(frame: pl.DataFrame, people: Mapping[str, str]) -> list[str]:
    """The distinct emails the selection's people resolve to (directly or by the table)."""
    emails: set[str] = set()
    for column in _PEOPLE_COLUMNS:
        if column not in frame.columns:
            continue
        for value in frame.get_column(column).drop_nulls().unique().to_list():
            text = str(value).strip()
            if not text:
                continue
            email = text if "@" in text else people.get(normalize_name(text))
            if email:
                emails.add(normalize_email(email))
    return sorted(emails)


async def fetch_org(client: AsyncDatadogClient, emails: Iterable[str]) -> OrgConfig:
    """The org's incident types and fields, and the users whose emails are given."""
    types = await client.list_incident_types()
    fields = await client.list_user_defined_fields()
    gate = asyncio.Semaphore(_LOOKUPS)

    async def lookup(email: str) -> list[User]:
        async with gate:
            return await client.find_users_by_email(email)

    found = await asyncio.gather(*(lookup(email) for email in emails))
    return org_config(types, fields, [user for users in found for user in users])
