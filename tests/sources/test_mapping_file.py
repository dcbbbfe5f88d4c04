"""Mapping files validated as a schema: every wrong value named, with what is expected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ddinc.errors import ConfigError, DdincError
from ddinc.loader import load
from ddinc.sources import read_mapping
from ddinc.sources.specs import Concat, Const, Pattern

BASE = 'source = "s"\nid = "id"\n[columns]\ntitle = "title"\ndeclared = "declared"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    return path


# Issue 7 item 7: each of these was a TypeError (or, for optional, a set of characters).
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('source = "s"\nid = "id"\ncolumns = 3\n', "key 'columns': Input should be a valid dict"),
        (
            BASE + "[events]\nfoo = 1\n",
            "unknown key 'events.foo'; allowed keys: order_by, earliest",
        ),
        (
            BASE + "[formats]\ndeclared = 5\n",
            "key 'formats.declared': Input should be a valid string",
        ),
        (
            'source = "s"\nid = "id"\ntimezone = 5\n',
            "key 'timezone': Input should be a valid string",
        ),
        ('source = "s"\nid = ["a"]\n', "key 'id': expected a column name"),
        (
            'source = "s"\nid = "id"\nfields = {k = ["c"]}\n',
            "key 'fields.k': expected a column name",
        ),
        ('source = "s"\nid = "id"\nevents = "yes"\n', "key 'events': Input should be a valid dict"),
        (
            'source = "s"\nid = "id"\noptional = "title"\n',
            "key 'optional': Input should be a valid list",
        ),
        ('source = "s"\nid = "id"\norder = "ymd"\n', "key 'order': Input should be 'day_first'"),
        ('source = "s"\nid = "id"\ndetected_from = 1\n', "key 'detected_from'"),
        ('source = "s"\nid = "id"\nrecords = ""\n', "key 'records'"),
        ('id = "id"\n', "key 'source' is required"),
        ('source = "s"\nid = "id"\ncolums = {}\n', "unknown key 'colums'; allowed keys: source"),
        ('source = "s"\nid = "id"\nseverity = {"Sev 1" = 1}\n', "key 'severity.Sev 1'"),
        (
            'source = "s"\nid = "id"\n[columns]\nstate = {const = 3}\n',
            "const: the value must be text",
        ),
        (
            'source = "s"\nid = "id"\n[columns]\nstate = {column = "n", pattern = "(("}\n',
            "not a valid regular expression",
        ),
        ('source = "s"\nid = {concat = "ab"}\n', "concat: give a list of column names"),
        ('source = "s"\nid = {concat = ["a"], sep = 1}\n', "concat: sep must be text"),
        ('source = "s"\nid = {columns = "a"}\n', "unknown table ['columns']"),
        (
            'source = "s"\nid = "id"\n[columns]\ntitel = "x"\n',
            "unknown canonical field(s) ['titel']",
        ),
        (
            'source = "s"\nid = "id"\ntimezone = "Mars/Olympus"\n',
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            'source = "s"\nid = "id"\n[events]\norder_by = "n"\nearliest = ["opened"]\n',
            "events.earliest",
        ),
    ],
)
def test_wrong_values_are_config_errors_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        read_mapping(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_a_type_error_never_escapes(tmp_path: Path) -> None:
    for text in ("source = 1\nid = 2\n", "source = 's'\nid = 'i'\n[columns]\ntitle = {}\n"):
        with pytest.raises(DdincError):
            read_mapping(write(tmp_path, text))


def test_a_file_with_every_new_form_builds_the_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
source = "cloud"
id = {concat = ["region", "number"], sep = "-"}
records = "archive"
detected_from = "impact_start"
optional = ["resolved"]

[columns]
title = "name"
state = {column = "name", pattern = '^\\[(\\w+)\\]'}
severity = {const = "SEV-3"}
services = "affected_products[].title"
impact_start = "begin"
declared = "created"
resolved = "most_recent_update.when"

[events]
order_by = "n"
""",
    )
    mapping = read_mapping(path)
    assert mapping.id == Concat(("region", "number"), "-")
    assert mapping.columns["state"] == Pattern("name", r"^\[(\w+)\]")
    assert mapping.columns["severity"] == Const("SEV-3")
    assert mapping.columns["services"] == "affected_products[].title"
    assert mapping.records == "archive"
    assert mapping.detected_from == "impact_start"
    assert mapping.optional == frozenset({"resolved"})
    assert mapping.events is not None
    assert mapping.events.earliest == (
        "impact_start",
        "detected",
        "declared",
    )


def test_a_toml_mapping_reads_an_archive_object(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = [
        {
            "region": "eu",
            "number": "1",
            "name": "[RESOLVED] Disk",
            "begin": "2024-01-01T10:00:00Z",
            "created": "2024-01-01T10:30:00Z",
            "most_recent_update": {"when": "2024-01-01T12:00:00Z"},
            "affected_products": [{"title": "Storage"}],
        }
    ]
    data = tmp_path / "cloud.json"
    data.write_text(json.dumps({"archive": records, "current": []}), encoding="utf-8")
    path = write(
        tmp_path,
        """\
source = "cloud"
id = {concat = ["region", "number"], sep = "-"}
detected_from = "impact_start"
[columns]
title = "name"
state = {column = "name", pattern = '^\\[(\\w+)\\]'}
services = "affected_products[].title"
impact_start = "begin"
declared = "created"
resolved = "most_recent_update.when"
""",
    )
    result = load(data, str(path))
    row = result.incidents.row(0, named=True)
    assert (row["source_id"], row["state"], row["services"]) == ("eu-1", "resolved", ["Storage"])
    assert row["detected"] == row["impact_start"]
    assert row["raw"]["detected"] == "from impact_start: 2024-01-01T10:00:00Z"
