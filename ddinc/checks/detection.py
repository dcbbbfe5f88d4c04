"""How many incidents lack a detected time, and what ``--detected-from`` would do about it.

Most legacy tools never record detection: status pages hold when impact started and when the
incident was posted, ticketing tools when the ticket was opened. Without ``detected``, time to
detect, time to declare and time to repair cannot be measured. ddinc never fills it silently;
the analyst chooses with ``--detected-from {impact_start,declared}`` on the command line, or
``detected_from=`` on a :class:`~ddinc.sources.Mapping` or in :func:`ddinc.load`. This module
only counts and explains, for the check report: a missing detected time is not an error and
blocks nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from ddinc.checks.model import CheckContext

__all__ = ["DETECTED_FROM", "DetectionGap", "detection_gap", "detection_note"]

DETECTED_FROM: Final = ("impact_start", "declared")
"""The columns ``--detected-from`` can take a missing detected time from."""


@dataclass(frozen=True)
class DetectionGap:
    """Counts of incidents without ``detected``, and what each choice could fill."""

    n_incidents: int
    missing: int
    """Incidents with no detected time."""
    with_impact_start: int
    """Of those, how many have an impact start (``--detected-from impact_start`` fills them)."""
    with_declared: int
    """Of those, how many have a declared time (``--detected-from declared`` fills them)."""

    def to_dict(self) -> dict[str, Any]:
        """The counts as a JSON-ready mapping."""
        return {
            "n_incidents": self.n_incidents,
            "missing": self.missing,
            "with_impact_start": self.with_impact_start,
            "with_declared": self.with_declared,
        }


def detection_gap(frame: pl.DataFrame) -> DetectionGap:
    """Count the incidents of ``frame`` (canonical timestamps) that have no ``detected``."""
    missing = pl.col("detected").is_null()
    counts = frame.select(
        missing=missing.sum(),
        with_impact_start=(missing & pl.col("impact_start").is_not_null()).sum(),
        with_declared=(missing & pl.col("declared").is_not_null()).sum(),
    ).row(0, named=True)
    return DetectionGap(n_incidents=frame.height, **{k: int(v) for k, v in counts.items()})


def detection_note(gap: DetectionGap, context: CheckContext) -> str | None:
    """One note for the report when some incidents lack ``detected``; ``None`` when none do."""
    if not gap.missing:
        return None
    if context.detected_from is not None:
        source = context.detected_from
        return (
            f"detected was taken from {source} where the export had none "
            f"(--detected-from {source}); {gap.missing:,} of {gap.n_incidents:,} incident(s) "
            f"still have no detected time because they have no {source} either."
        )
    return (
        f"detected is missing for {gap.missing:,} of {gap.n_incidents:,} incident(s) (most "
        "legacy tools never record detection), so their time to detect, time to declare and "
        "time to repair cannot be measured. To state an assumption instead: "
        f"--detected-from impact_start (Python: detected_from='impact_start' on the Mapping "
        f"or in ddinc.load) would set detected = impact_start for the "
        f"{gap.with_impact_start:,} that have one, so time to detect reads 0 and time to "
        "declare measures impact start to declaration; --detected-from declared would set "
        f"detected = declared for the {gap.with_declared:,} that have one, so time to declare "
        "reads 0 and time to detect measures impact start to declaration."
    )
