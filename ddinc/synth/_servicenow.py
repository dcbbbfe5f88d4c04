"""What the ServiceNow event log and table export share: priorities and the incidents.

Priorities are ``1 - Critical`` .. ``5 - Planning`` (derived from impact x urgency, as
ServiceNow does); :func:`incidents` gives the world's incidents with their dirt and every
per-incident ServiceNow value, as text, for both writers to render.
"""

from __future__ import annotations

import random
from typing import Final

import polars as pl

from ddinc.synth._dirt import (
    DUPLICATE_ID,
    FREE_TEXT_SEVERITY,
    LONG_TITLE,
    MISSING_TITLE,
    NO_ID,
    DirtSpec,
    apply_time_dirt,
    assign_dirt,
    long_title,
)
from ddinc.synth._world import world

__all__ = [
    "EARLIER_PRIORITY",
    "IMPACT_URGENCY",
    "PRIORITIES",
    "TIMESTAMPS",
    "incidents",
]

# canonical timestamp -> the legacy column that states it
TIMESTAMPS: Final = {"declared": "opened_at", "resolved": "resolved_at"}

PRIORITIES: Final = {
    "SEV-1": "1 - Critical",
    "SEV-2": "2 - High",
    "SEV-3": "3 - Moderate",
    "SEV-4": "4 - Low",
    "SEV-5": "5 - Planning",
}
# Before an escalation the incident sat one level lower (SEV-5 was downgraded instead).
EARLIER_PRIORITY: Final = {
    "SEV-1": "2 - High",
    "SEV-2": "3 - Moderate",
    "SEV-3": "4 - Low",
    "SEV-4": "5 - Planning",
    "SEV-5": "4 - Low",
}
# ServiceNow derives priority from impact x urgency.
IMPACT_URGENCY: Final = {
    "1 - Critical": ("1 - High", "1 - High"),
    "2 - High": ("1 - High", "2 - Medium"),
    "3 - Moderate": ("2 - Medium", "2 - Medium"),
    "4 - Low": ("2 - Medium", "3 - Low"),
    "5 - Planning": ("3 - Low", "3 - Low"),
}
_FREE_PRIORITIES: Final = ("Moderate", "3", "P2", "Critical!!", "high-ish")


def incidents(seed: int, n: int, spec: DirtSpec, rng: random.Random) -> pl.DataFrame:
    """World incidents with their dirt and every per-incident ServiceNow value, as text."""
    w = world(seed, n)
    tags = assign_dirt(rng, spec, w["resolved"].is_not_null().to_list())
    clean = [i for i, tag in enumerate(tags) if tag is None]
    numbers = [f"INC{key + 10001:07d}" for key in range(n)]
    for i, tag in enumerate(tags):
        if tag == DUPLICATE_ID and clean:
            numbers[i] = numbers[rng.choice(clean)]
        elif tag == NO_ID:
            numbers[i] = "?"
    titles = w["title"].to_list()
    for i, tag in enumerate(tags):
        if tag == MISSING_TITLE:
            titles[i] = "?"
        elif tag == LONG_TITLE:
            titles[i] = long_title(titles[i], rng)
    severities = w["severity"].cast(pl.String).to_list()
    priority = [
        rng.choice(_FREE_PRIORITIES) if tag == FREE_TEXT_SEVERITY else PRIORITIES[sev]
        for sev, tag in zip(severities, tags, strict=True)
    ]
    has_created = [rng.random() >= 0.25 for _ in range(n)]

    def pick(template: str, high: int) -> list[str]:
        return [template.format(v) for v in rng.choices(range(1, high), k=n)]

    frame = w.with_columns(
        dirt=pl.Series(tags, dtype=pl.String),
        number=pl.Series(numbers),
        short_description=pl.Series(titles),
        priority=pl.Series(priority),
        earlier_priority=pl.col("severity").cast(pl.String).replace_strict(EARLIER_PRIORITY),
        true_priority=pl.col("severity").cast(pl.String).replace_strict(PRIORITIES),
        created_delay_s=pl.Series(rng.choices(range(600), k=n)),
        has_created=pl.Series(has_created),
        reassignment_count=pl.Series(
            rng.choices(("0", "1", "2", "3", "5"), weights=(60, 28, 6, 4, 2), k=n)
        ),
        caller_id=pl.Series(pick("Caller {}", 6000)),
        opened_by=pl.Series(pick("Opened by  {}", 500)),  # the double space is UCI's
        sys_created_by=pl.Series(
            [v if c else "?" for v, c in zip(pick("Created by {}", 200), has_created, strict=True)]
        ),
        contact_type=pl.Series(
            rng.choices(("Phone", "Email", "Self service"), weights=(70, 20, 10), k=n)
        ),
        location=pl.Series(pick("Location {}", 220)),
        category=pl.Series(pick("Category {}", 60)),
        subcategory=pl.Series(pick("Subcategory {}", 300)),
        u_symptom=pl.Series([v if rng.random() >= 0.1 else "?" for v in pick("Symptom {}", 600)]),
        made_sla=pl.Series([rng.random() < 0.93 for _ in range(n)]),
        knowledge=pl.Series([rng.random() < 0.2 for _ in range(n)]),
        u_priority_confirmation=pl.Series([rng.random() < 0.05 for _ in range(n)]),
        problem_id=pl.Series(
            [v if rng.random() < 0.2 else "?" for v in pick("Problem ID  {}", 300)]
        ),
        rfc=pl.Series([v if rng.random() < 0.03 else "?" for v in pick("CHG{:07d}", 5000)]),
        closed_code=pl.Series(pick("code {}", 17)),
    )
    frame = frame.with_columns(
        pl.col("declared").alias("w_declared"),
        pl.col("resolved").alias("w_resolved"),
        pl.col("closed").alias("w_closed"),
    )
    timed = ["declared", "resolved", "closed"]
    frame = apply_time_dirt(frame, rng, columns=timed, shifted=timed)
    # The files hold minutes (event log) or seconds (table); the world holds seconds.
    return frame.with_columns(pl.col(c).dt.truncate("1m").alias(f"{c}_min") for c in timed)
