"""Record checks (id, title, state, severity, loader notes): a failing row and a near miss.

Each case builds three incidents: row 0 untouched, row 1 that must fail, row 2 the near miss.
Only the check under test is looked at; other checks may fire on the same rows.
"""

from __future__ import annotations

from typing import Any

import pytest

from ddinc.checks import run_checks
from ddinc.checks.record_rules import RECORD_CHECKS, TITLE_MAX_CHARS
from tests.checks.conftest import CONTEXT, failing, incident, incidents

CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("source_id_missing", {"source_id": " \t"}, {"source_id": " PD-x "}),
    ("source_id_missing", {"source_id": None}, {"source_id": "0"}),
    ("title_missing", {"title": "  \n"}, {"title": "."}),
    ("title_missing", {"title": None}, {"title": "x"}),
    # The limit counts characters, not bytes: 1024 two-byte characters are fine.
    ("title_too_long", {"title": "a" * (TITLE_MAX_CHARS + 1)}, {"title": "é" * TITLE_MAX_CHARS}),
    ("state_missing", {"state": None, "raw_state": None}, {"state": None, "raw_state": "Closed"}),
    ("state_missing", {"state": None, "raw_state": " "}, {"state": "resolved", "raw_state": None}),
    ("state_unmapped", {"state": None, "raw_state": "Closed?"}, {"state": None, "raw_state": ""}),
    ("state_unmapped", {"state": None, "raw_state": "x"}, {"state": "active", "raw_state": "x"}),
    (
        "severity_unmapped",
        {"severity": None, "raw_severity": "Sev High"},
        {"severity": None, "raw_severity": None},
    ),
    (
        "severity_unmapped",
        {"severity": None, "raw_severity": "P9"},
        {"severity": None, "raw_severity": "   "},
    ),
    ("resolved_time_while_open", {"state": "active"}, {"state": "resolved"}),
    # The endpoint takes a resolved time only with state resolved: completed is refused too.
    ("resolved_time_while_open", {"state": "completed"}, {"state": "completed", "resolved": None}),
    ("resolved_time_while_open", {"state": "stable"}, {"state": "stable", "resolved": None}),
    ("resolved_time_missing", {"resolved": None}, {"resolved": None, "state": "active"}),
    (
        "resolved_time_missing",
        {"resolved": None, "state": "completed"},
        {"state": "completed"},
    ),
    (
        "load_note",
        {"load_notes": ["declared: local time 2023-03-26 02:30 does not exist; left empty"]},
        {"load_notes": []},
    ),
    ("load_note", {"load_notes": ["a", "b"]}, {"load_notes": None}),
]


@pytest.mark.parametrize(("name", "fails", "near_miss"), CASES)
def test_row_fails_and_near_miss_passes(
    name: str, fails: dict[str, Any], near_miss: dict[str, Any]
) -> None:
    frame = incidents(incident(), incident(**fails), incident(**near_miss))
    assert failing(frame, name) == [1]


def test_every_record_check_has_a_case() -> None:
    assert {name for name, _, _ in CASES} == {check.name for check in RECORD_CHECKS}


def test_load_note_message_joins_the_notes() -> None:
    frame = incidents(incident(load_notes=["declared: happened twice", "resolved: left empty"]))
    message = run_checks(frame, context=CONTEXT).failing("load_note")["message"][0]
    assert message == "the loader noted: declared: happened twice; resolved: left empty"


def test_resolved_while_open_message_shows_state_and_time() -> None:
    frame = incidents(incident(state="active"))
    message = run_checks(frame, context=CONTEXT).failing("resolved_time_while_open")["message"][0]
    assert "state is active" in message
    assert "2023-03-01T11:13:00Z" in message  # 09:00 + 2h13m
