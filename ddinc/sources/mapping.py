"""A source mapping: which legacy column feeds which canonical field, and how values translate.

A :class:`Mapping` is plain data. Every built-in source is one (plus, where needed, a small
``prepare`` step that flattens the export's own shape); an analyst writes one for a spreadsheet
in a few lines of Python or a small TOML file (:func:`ddinc.sources.mapping_file.read_mapping`).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any, Final, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ddinc.errors import ConfigError
from ddinc.schema import SEVERITIES, STATES, TIMESTAMPS
from ddinc.sources.specs import ColumnSpec, label, path_root, spec_columns, to_spec

__all__ = [
    "DETECTED_FROM",
    "INPUT_FIELDS",
    "LIST_FIELDS",
    "NOTES",
    "TEXT_FIELDS",
    "EventLog",
    "Mapping",
    "vocabulary_key",
]

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
# The record's narrative: a list column stays a list, one text cell is one note (never split:
# prose holds the list separator).
NOTES: Final = "notes"
# Canonical fields a legacy column can feed.
INPUT_FIELDS: Final = (*TEXT_FIELDS, *LIST_FIELDS, NOTES, *TIMESTAMPS)
# Timestamps a missing detected time may be taken from, when the analyst says so.
DETECTED_FROM: Final = ("impact_start", "declared")


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

    def __post_init__(self) -> None:
        if not isinstance(self.order_by, str) or not self.order_by:
            raise ConfigError(f"events: order_by must be a column name, not {self.order_by!r}")
        earliest = self.earliest
        if isinstance(earliest, str) or not all(name in TIMESTAMPS for name in earliest):
            raise ConfigError(
                f"events: earliest must be a list of timestamps ({', '.join(TIMESTAMPS)}), "
                f"not {earliest!r}"
            )
        object.__setattr__(self, "earliest", tuple(earliest))


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
        Legacy column holding the incident's id, or a spec (e.g. ``concat("region", "no")``).
    columns
        Canonical field -> legacy column. Fields are those of :data:`INPUT_FIELDS`
        (``notes = "description"`` or ``notes = "updates[].text"`` names the record's own
        narrative, which is read for times but never sent as a field). A value
        may be a path into nested JSON (``most_recent_update.status``,
        ``affected_products[].title``), :func:`~ddinc.sources.specs.const`,
        :func:`~ddinc.sources.specs.pattern`, :func:`~ddinc.sources.specs.concat` or a polars
        expression (see :mod:`ddinc.sources.specs`).
    fields
        Extra Datadog field key -> legacy column (or spec), carried as ``field.<key>``.
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
    records
        For a JSON object holding several lists: the key of the one holding the records
        (``"archive"`` for ``{"archive": [...], "current": []}``; dots walk into objects).
    detected_from
        ``"impact_start"`` or ``"declared"``: where a missing detected time is taken from.
        ``None`` (the default) leaves it missing. Filled rows say so in ``raw.detected`` and
        the load notes count them.
    """

    source: str
    id: str | ColumnSpec
    columns: MappingABC[str, str | ColumnSpec] = field(default_factory=dict)
    fields: MappingABC[str, str | ColumnSpec] = field(default_factory=dict)
    severity: MappingABC[str, str] = field(default_factory=dict)
    state: MappingABC[str, str] = field(default_factory=dict)
    timezone: str = "UTC"
    order: str | None = None
    formats: MappingABC[str, tuple[str, ...]] = field(default_factory=dict)
    list_separator: str = ";"
    optional: frozenset[str] = frozenset()
    events: EventLog | None = None
    records: str | None = None
    detected_from: str | None = None

    def __post_init__(self) -> None:
        self._check_types()
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
        unknown_optional = set(self.optional) - set(INPUT_FIELDS)
        if unknown_optional:
            raise ConfigError(
                f"mapping {self.source!r}: optional names {sorted(unknown_optional)}, which are "
                f"not canonical fields ({', '.join(INPUT_FIELDS)})"
            )
        if self.detected_from is not None and self.detected_from not in DETECTED_FROM:
            raise ConfigError(
                f"detected_from must be one of {', '.join(DETECTED_FROM)} (or None to leave "
                f"detected missing), not {self.detected_from!r}"
            )
        # Normalise vocabulary keys once, so lookups are a plain dict get.
        object.__setattr__(
            self, "severity", {vocabulary_key(k): v for k, v in self.severity.items()}
        )
        object.__setattr__(self, "state", {vocabulary_key(k): v for k, v in self.state.items()})

    def _check_types(self) -> None:
        """Refuse values of the wrong type with what is expected (a mapping built in Python;
        mapping files are validated as a schema first, see :mod:`ddinc.sources.mapping_file`).
        """
        where = f"mapping {self.source!r}"
        if not isinstance(self.source, str) or not self.source.strip():
            raise ConfigError(f"mapping: source must be a name, not {self.source!r}")
        object.__setattr__(self, "id", to_spec(self.id, where=f"{where}: id"))
        for name in ("columns", "fields", "severity", "state", "formats"):
            if not isinstance(getattr(self, name), MappingABC):
                raise ConfigError(f"{where}: {name} must be a dict, not {getattr(self, name)!r}")
        for name in ("columns", "fields"):
            specs = {
                key: to_spec(value, where=f"{where}: {name}[{key!r}]")
                for key, value in getattr(self, name).items()
            }
            object.__setattr__(self, name, specs)
        for name in ("severity", "state"):
            for key, value in getattr(self, name).items():
                if not isinstance(key, str) or not isinstance(value, str):
                    raise ConfigError(
                        f"{where}: {name} maps legacy text to Datadog text, not "
                        f"{key!r} -> {value!r}"
                    )
        formats = {}
        for key, value in self.formats.items():
            values = (value,) if isinstance(value, str) else value
            if not isinstance(values, tuple | list) or not all(isinstance(v, str) for v in values):
                raise ConfigError(
                    f"{where}: formats[{key!r}] must be a chrono format or a list of them, "
                    f"not {value!r}"
                )
            formats[key] = tuple(values)
        object.__setattr__(self, "formats", formats)
        for name in ("timezone", "list_separator"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"{where}: {name} must be text, not {getattr(self, name)!r}")
        if isinstance(self.optional, str) or not all(isinstance(o, str) for o in self.optional):
            raise ConfigError(
                f"{where}: optional must be a set of canonical field names, e.g. "
                f"{{'impact_start'}}, not {self.optional!r}"
            )
        object.__setattr__(self, "optional", frozenset(self.optional))
        if self.events is not None and not isinstance(self.events, EventLog):
            raise ConfigError(
                f"{where}: events must be an EventLog(order_by=...), not {self.events!r}"
            )
        if self.records is not None and (not isinstance(self.records, str) or not self.records):
            raise ConfigError(
                f"{where}: records must name the key holding the list of records, "
                f"not {self.records!r}"
            )

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes``; vocabularies and columns given here are merged, not swapped."""
        for name in ("columns", "fields", "severity", "state", "formats"):
            if name in changes:
                changes[name] = {**getattr(self, name), **_frozen(changes[name])}
        return dataclasses.replace(self, **changes)

    def entries(self) -> dict[str, str | ColumnSpec]:
        """Every mapping entry by role: ``id``, canonical field names, ``field <key>``."""
        entries: dict[str, str | ColumnSpec] = {"id": self.id}
        entries.update(self.columns)
        entries.update({f"field {key}": spec for key, spec in self.fields.items()})
        return entries

    def legacy_columns(self) -> dict[str, str]:
        """Every legacy column (or path) this mapping reads, with what it feeds."""
        used: dict[str, str] = {}
        for role, spec in self.entries().items():
            for column in spec_columns(spec):
                used.setdefault(column, role)
        if self.events is not None:
            used.setdefault(self.events.order_by, "event order")
        return used

    def missing_columns(self, available: list[str]) -> list[tuple[str, str, list[str]]]:
        """(legacy column, what it feeds, close matches) for each required column not available.

        A path (``a.b``, ``a[].b``) is there when the column it starts from is.
        """
        optional_columns = {
            column
            for name in self.optional
            if name in self.columns
            for column in spec_columns(self.columns[name])
        }
        present = set(available)
        missing = []
        for column, role in self.legacy_columns().items():
            if column in optional_columns or path_root(column, present) is not None:
                continue
            close = difflib.get_close_matches(column, available, n=3, cutoff=0.6)
            missing.append((column, role, close))
        return missing

    def describe(self, role: str) -> str:
        """How the entry feeding ``role`` is named in messages."""
        return label(self.entries()[role])
