"""Canonical frames for the cleaning tests: the check tests' builder, with row keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from ddinc.rowkey import with_row_keys
from tests.checks.conftest import CONTEXT, NOW, incident, incidents, start_of

__all__ = ["CONTEXT", "NOW", "frame_of", "incident", "start_of"]


def frame_of(*rows: Mapping[str, Any]) -> pl.DataFrame:
    """A canonical frame with row keys ``pagerduty:PD-<i>``, durations computed."""
    return with_row_keys(incidents(*rows))
