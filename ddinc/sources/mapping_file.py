"""A mapping file (TOML, or the same plain data) validated as a schema before it becomes a
:class:`~ddinc.sources.mapping.Mapping`.

Every wrong value is refused with a :class:`~ddinc.errors.ConfigError` that names the key, says
what was found and what is expected: ``columns = 3``, ``optional = "title"`` (which would
otherwise become a set of characters), ``[formats] declared = 5`` never reach the loader.

A column entry in a file is text (a column name or a path such as ``items[].name``) or one
of these tables::

    state = {const = "resolved"}                         # the same for every record
    state = {column = "name", pattern = '^\\[(\\w+)\\]'} # first capture group of a regex
    id    = {concat = ["region", "number"], sep = "-"}   # columns joined
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping as MappingABC
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError

from ddinc.errors import ConfigError
from ddinc.schema import TIMESTAMPS
from ddinc.sources.mapping import DETECTED_FROM, EventLog, Mapping
from ddinc.sources.specs import ColumnSpec, Concat, Const, Pattern

__all__ = ["EXPECTED", "read_mapping", "validate"]

_SPEC_FORMS: Final = (
    'a column name ("name"), a path ("items[].name"), {const = "..."}, '
    '{column = "...", pattern = "..."} or {concat = ["a", "b"], sep = "-"}'
)

# What each key of a mapping file holds, for the messages.
EXPECTED: Final = {
    "source": 'text: the name recorded in the source column, e.g. source = "spreadsheet"',
    "id": f"the column holding the incident id: {_SPEC_FORMS}",
    "columns": f"a table of canonical field = {_SPEC_FORMS}",
    "fields": f"a table of Datadog field key = {_SPEC_FORMS}",
    "severity": 'a table of legacy value = Datadog severity, e.g. "Sev 1" = "SEV-1"',
    "state": 'a table of legacy value = Datadog state, e.g. "Closed" = "resolved"',
    "timezone": 'an IANA time zone name, e.g. timezone = "Europe/Paris"',
    "order": 'order = "day_first" or "month_first"',
    "formats": 'a table of timestamp = chrono format(s), e.g. declared = "%d/%m/%Y"',
    "list_separator": 'text, e.g. list_separator = ";"',
    "optional": 'a list of canonical field names, e.g. optional = ["impact_start"]',
    "events": 'a table: [events] order_by = "sys_mod_count" (earliest = [timestamps])',
    "records": 'the key of the list holding the records, e.g. records = "archive"',
    "detected_from": 'detected_from = "impact_start" or "declared"',
}


def _spec(value: Any) -> str | ColumnSpec:
    """A column entry of a file: text, or one of the three tables."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("a column name cannot be empty")
        return value
    if not isinstance(value, MappingABC):
        raise ValueError(f"expected {_SPEC_FORMS}")
    keys = set(value)
    try:
        if keys == {"const"}:
            return Const(value["const"])
        if keys == {"column", "pattern"}:
            return Pattern(value["column"], value["pattern"])
        if keys in ({"concat"}, {"concat", "sep"}):
            return Concat(value["concat"], value.get("sep", ""))
    except ConfigError as error:
        raise ValueError(str(error)) from None
    raise ValueError(f"unknown table {sorted(keys)}; expected {_SPEC_FORMS}")


_Spec = Annotated[Any, PlainValidator(_spec)]
_Text = Annotated[str, Field(min_length=1)]


class _Events(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    order_by: _Text
    earliest: list[Literal[TIMESTAMPS]] | None = None  # type: ignore[valid-type]


class _MappingFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    source: _Text
    id: _Spec
    columns: dict[str, _Spec] = {}
    fields: dict[str, _Spec] = {}
    severity: dict[str, str] = {}
    state: dict[str, str] = {}
    timezone: _Text = "UTC"
    order: Literal["day_first", "month_first"] | None = None
    formats: dict[str, str | list[str]] = {}
    list_separator: str = ";"
    optional: list[str] = []
    events: _Events | None = None
    records: _Text | None = None
    detected_from: Literal[DETECTED_FROM] | None = None  # type: ignore[valid-type]


_TYPE_TAGS: Final = ("str", "list[", "function-", "_Events")
_TABLE_KEYS: Final = {"events": ("order_by", "earliest")}


def _message(origin: str, error: ValidationError) -> str:
    problems: dict[str, str] = {}
    for item in error.errors():
        # Union members add their type names to the location; the key is what the user wrote.
        loc = [str(part) for part in item["loc"] if not str(part).startswith(_TYPE_TAGS)]
        key = ".".join(loc) or "(top level)"
        if key in problems:
            continue  # one problem per key: union members repeat themselves
        top = loc[0] if loc else ""
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            text = f"key {key!r} is required"
        elif item["type"] == "extra_forbidden":
            allowed = _TABLE_KEYS.get(top, tuple(EXPECTED)) if len(loc) > 1 else tuple(EXPECTED)
            text = f"unknown key {key!r}; allowed keys: {', '.join(allowed)}"
            top = ""
        else:
            text = f"key {key!r}: {message} (got {item['input']!r})"
            if item["type"] == "value_error":
                top = ""  # our own messages say what is expected
        if top in EXPECTED:
            text += f"; expected {EXPECTED[top]}"
        problems[key] = text
    shown = list(problems.values())
    more = f" (and {len(shown) - 3} more)" if len(shown) > 3 else ""
    return f"{origin}: " + "; ".join(shown[:3]) + more


def validate(data: MappingABC[str, Any], *, origin: str = "mapping") -> Mapping:
    """The :class:`Mapping` described by ``data``.

    Raises
    ------
    ConfigError
        Naming each wrong key, what it holds and what is expected.
    """
    if not isinstance(data, MappingABC):
        raise ConfigError(f"{origin}: a mapping is a table of keys, not {data!r}")
    try:
        model = _MappingFile.model_validate(dict(data))
    except ValidationError as error:
        raise ConfigError(_message(origin, error)) from None
    values: dict[str, Any] = model.model_dump(exclude_unset=True)
    values["id"] = model.id
    if "columns" in values:
        values["columns"] = dict(model.columns)
    if "fields" in values:
        values["fields"] = dict(model.fields)
    if "optional" in values:
        values["optional"] = frozenset(model.optional)
    if model.events is not None:
        earliest = model.events.earliest
        values["events"] = (
            EventLog(model.events.order_by)
            if earliest is None
            else EventLog(model.events.order_by, tuple(earliest))
        )
    try:
        return Mapping(**values)
    except ConfigError as error:
        raise ConfigError(f"{origin}: {error}") from None


def read_mapping(path: str | Path) -> Mapping:
    """Read a mapping file (TOML). See ``data/spreadsheet_mapping.toml`` for an example."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"mapping file {path} not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"mapping file {path} is not valid TOML: {error}") from None
    return validate(data, origin=str(path))
