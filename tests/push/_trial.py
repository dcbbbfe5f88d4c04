"""A seeded trial export of N clean incidents (CSV + mapping), and emulator helpers."""

from __future__ import annotations

import contextlib
import csv
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ddinc.cli import doctor as doctor_cli
from ddinc.cli import push as push_cli
from ddinc.datadog.emulator import Emulator

MAPPING = """
source = "trial"
id = "id"
timezone = "UTC"

[columns]
title = "title"
severity = "sev"
state = "state"
impact_start = "impact_start"
declared = "declared"
resolved = "resolved"
impact_end = "impact_end"

[severity]
"1" = "SEV-1"
"2" = "SEV-2"
"3" = "SEV-3"

[state]
"open" = "active"
"closed" = "resolved"
"""


def write_trial(folder: Path, n: int, seed: int = 0) -> tuple[Path, Path]:
    """``trial.csv`` with ``n`` distinct clean incidents, and its mapping; every 3rd has impact."""
    rng = random.Random(seed)
    path = folder / "trial.csv"
    start = datetime(2023, 1, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["id", "title", "sev", "state", "impact_start", "declared", "resolved", "impact_end"]
        )
        for number in range(n):
            declared = start + timedelta(hours=7 * number, minutes=rng.randrange(60))
            closed = rng.random() < 0.8
            resolved = declared + timedelta(minutes=rng.randrange(5, 600))
            impact = number % 3 == 0
            writer.writerow(
                [
                    f"T-{number:05d}",
                    f"Trial incident {number}: {rng.choice(['API', 'DB', 'DNS', 'CDN'])} trouble",
                    rng.choice("123"),
                    "closed" if closed else "open",
                    (declared - timedelta(minutes=10)).isoformat() if impact else "",
                    declared.isoformat(),
                    resolved.isoformat() if closed else "",
                    resolved.isoformat() if impact and closed else "",
                ]
            )
    mapping = folder / "trial.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return path, mapping


def legacy_ids(emulator: Emulator, field: str = "legacy_id") -> Counter[str]:
    """How many stored incidents hold each provenance value."""
    return Counter(str(incident.fields.get(field)) for incident in emulator.incidents)


def impacts_per_incident(emulator: Emulator) -> Counter[str]:
    """How many impacts each incident has."""
    return Counter(impact.incident_id for impact in emulator.impacts)


@contextlib.contextmanager
def fault_after_preflight(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, fault: str, **where: Any
) -> Iterator[None]:
    """In ``ddinc push``, inject ``fault`` once the doctor has checked the org (its import
    probe would otherwise meet the fault meant for the push's first import)."""
    real = doctor_cli.preflight

    def then_fault(*args: Any, **kwargs: Any) -> Any:
        checked = real(*args, **kwargs)
        emulator.inject(fault, **where)
        return checked

    monkeypatch.setattr(push_cli, "preflight", then_fault)
    try:
        yield
    finally:
        monkeypatch.setattr(push_cli, "preflight", real)
