"""A source mapping: which legacy column feeds which canonical field, and how values translate.

A :class:`Mapping` is plain data. Every built-in source is one (plus, where needed, a small
``prepare`` step that flattens the export's own shape); an analyst writes one for a spreadsheet
in a few lines of Python or a small TOML file (:func:`Mapping.from_toml`).
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ddinc.errors import ConfigError
from ddinc.schema import SEVERITIES, STATES, TIMESTAMPS

__all__ = ["INPUT_FIELDS", "LIST_FIELDS", "TEXT_FIELDS", "EventLog", "Mapping", "vocabulary_key"]

TEXT_FIELDS: Final = (
    "title",
    "state",
    "severity",
    "commander",
    "declared_by",
    "incident_type",
    "visibility",
)
LIST_FIELDS: Final = ("teams", "services")
# Canonical fields a legacy column can feed.
INPUT_FIELDS: Final = (*TEXT_FIELDS, *LIST_FIELDS, *TIMESTAMPS)


def vocabulary_key(value: str) -> str:
    """How a legacy value is looked up in a vocabulary: trimmed, case-folded, single-spaced.

    >>> vocabulary_key("  1 -  Critical ")
    '1 - critical'
    """
    return " ".join(value.split()).casefold()


@dataclass(frozen=True)
class EventLog:
    """Several input rows (events) make one incident.

    Rows of one incident are put in ``order_by`` order (numeric). Timestamps in ``earliest``
    take the earliest value over the events; every other field takes the latest event's value
    (for text fields, the latest non-missing one).
    """

    order_by: str
    earliest: tuple[str, ...] = ("impact_start", "detected", "declared")


def _frozen(value: MappingABC[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})


@dataclass(frozen=True)
class Mapping:
    """How one legacy export becomes canonical incidents.

    Parameters
    ----------
    source
        Name recorded in the ``source`` column (``"servicenow"``, ``"spreadsheet"``...).
    id
        Legacy column holding the incident's id.
    columns
        Canonical field -> legacy column. Fields are those of :data:`INPUT_FIELDS`.
    fields
        Extra Datadog field key -> legacy column, carried as ``field.<key>`` columns.
    severity, state
        Legacy value -> Datadog value. Lookup ignores case and surrounding or doubled spaces.
        A value no entry covers is kept in ``raw`` and flagged by the checks, never guessed.
    timezone
        IANA zone of naive times in the file (default UTC; the load notes say it was assumed).
    order
        ``"day_first"`` or ``"month_first"`` for numeric dates; ``None`` detects it per column.
    formats
        Canonical timestamp -> chrono formats to use instead of detection.
    list_separator
        Separator of ``teams`` / ``services`` held in one text cell.
    optional
        Canonical fields whose column may be absent from a file (then missing, not an error).
    events
        Set when several rows make one incident (audit logs).
    """

    source: str
    id: str
    columns: MappingABC[str, str] = field(default_factory=dict)
    fields: MappingABC[str, str] = field(default_factory=dict)
    severity: MappingABC[str, str] = field(default_factory=dict)
    state: MappingABC[str, str] = field(default_factory=dict)
    timezone: str = "UTC"
    order: str | None = None
    formats: MappingABC[str, tuple[str, ...]] = field(default_factory=dict)
    list_separator: str = ";"
    optional: frozenset[str] = frozenset()
    events: EventLog | None = None

    def __post_init__(self) -> None:
        unknown = set(self.columns) - set(INPUT_FIELDS)
        if unknown:
            raise ConfigError(
                f"mapping {self.source!r}: unknown canonical field(s) {sorted(unknown)}; "
                f"map legacy columns to {', '.join(INPUT_FIELDS)}, "
                "or carry them as Datadog fields under [fields]"
            )
        bad_sev = {k: v for k, v in self.severity.items() if v not in SEVERITIES}
        if bad_sev:
            raise ConfigError(
                f"mapping {self.source!r}: severity values {bad_sev} are not Datadog severities "
                f"({', '.join(SEVERITIES)})"
            )
        bad_state = {k: v for k, v in self.state.items() if v not in STATES}
        if bad_state:
            raise ConfigError(
                f"mapping {self.source!r}: state values {bad_state} are not Datadog states "
                f"({', '.join(STATES)})"
            )
        if self.order not in (None, "day_first", "month_first"):
            raise ConfigError(
                f"order must be 'day_first', 'month_first' or None, not {self.order!r}"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"unknown time zone {self.timezone!r}; use an IANA name such as 'Europe/Paris'"
            ) from None
        for key in self.formats:
            if key not in TIMESTAMPS:
                raise ConfigError(f"formats: {key!r} is not a timestamp ({', '.join(TIMESTAMPS)})")
        # Normalise vocabulary keys once, so lookups are a plain dict get.
        object.__setattr__(
            self, "severity", {vocabulary_key(k): v for k, v in self.severity.items()}
        )
        object.__setattr__(self, "state", {vocabulary_key(k): v for k, v in self.state.items()})

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes``; vocabularies and columns given here are merged, not swapped."""
        for name in ("columns", "fields", "severity", "state", "formats"):
            if name in changes:
                changes[name] = {**getattr(self, name), **_frozen(changes[name])}
        return dataclasses.replace(self, **changes)

    def legacy_columns(self) -> dict[str, str]:
        """Every legacy column this mapping reads, with what it feeds."""
        used = {self.id: "id"}
        used.update({column: name for name, column in self.columns.items()})
        used.update({column: f"field {key}" for key, column in self.fields.items()})
        if self.events is not None:
            used[self.events.order_by] = "event order"
        return used

    def missing_columns(self, available: list[str]) -> list[tuple[str, str, list[str]]]:
        """(legacy column, what it feeds, close matches) for each required column not available."""
        optional_columns = {self.columns[name] for name in self.optional if name in self.columns}
        missing = []
        for column, role in self.legacy_columns().items():
            if column not in available and column not in optional_columns:
                close = difflib.get_close_matches(column, available, n=3, cutoff=0.6)
                missing.append((column, role, close))
        return missing

    @classmethod
    def from_dict(cls, data: MappingABC[str, Any], *, origin: str = "mapping") -> Mapping:
        """A mapping from plain data, as in a TOML mapping file."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(
                f"{origin}: unknown key(s) {sorted(unknown)}; allowed: {sorted(known)}"
            )
        if "source" not in data or "id" not in data:
            raise ConfigError(f"{origin}: 'source' and 'id' are required")
        values = dict(data)
        if "formats" in values:
            values["formats"] = {
                k: (v,) if isinstance(v, str) else tuple(v) for k, v in values["formats"].items()
            }
        if "optional" in values:
            values["optional"] = frozenset(values["optional"])
        if "events" in values:
            values["events"] = EventLog(**values["events"])
        return cls(**values)

    @classmethod
    def from_toml(cls, path: str | Path) -> Mapping:
        """Read a mapping file (TOML). See ``data/spreadsheet_mapping.toml`` for an example."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"mapping file {path} not found") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"mapping file {path} is not valid TOML: {error}") from None
        return cls.from_dict(data, origin=str(path))
