"""Record checks (id, title, state, severity, loader notes): a failing row and a near miss.

Each case builds three incidents: row 0 untouched, row 1 that must fail, row 2 the near miss.
Only the check under test is looked at; other checks may fire on the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc import limits
from ddinc.checks import run_checks
from ddinc.checks.record_rules import RECORD_CHECKS, TITLE_MAX_CHARS
from ddinc.datadog.models import IncidentImportRequest
from ddinc.errors import InvalidRequestError
from ddinc.schema import STATES
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


# --- the checks and the request model read one home for the API's limits ---------------------

_BLOCKING_RECORD_CHECKS = (
    "title_missing",
    "title_too_long",
    "state_missing",
    "resolved_time_while_open",
)


def _check_refuses(title: str | None, state: str | None, resolved: bool) -> bool:
    """True when an error-level record check blocks this incident."""
    frame = incidents(
        incident(title=title, state=state, raw_state=state, resolved=None if not resolved else T1)
    )
    checks = [check for check in RECORD_CHECKS if check.name in _BLOCKING_RECORD_CHECKS]
    return run_checks(frame, checks, context=CONTEXT).blocking


def _model_refuses(title: str | None, state: str | None, resolved: bool) -> bool:
    """True when ddinc.datadog.models.IncidentImportRequest refuses to build the request."""
    try:
        IncidentImportRequest.of(
            title,  # type: ignore[arg-type]  # None is a title the client must refuse too
            resolved=T1 if resolved else None,
            fields={"state": state},
        )
    except InvalidRequestError:
        return True
    return False


T1 = datetime(2023, 3, 1, 11, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    "title",
    [
        "a" * TITLE_MAX_CHARS,
        "a" * (TITLE_MAX_CHARS + 1),
        "é" * TITLE_MAX_CHARS,
        "é" * (TITLE_MAX_CHARS + 1),
        "😀" * TITLE_MAX_CHARS,
        "😀" * (TITLE_MAX_CHARS + 1),
        "",
        " ",
        "\t\n",
        "\u3000",  # ideographic space
        "\xa0",
        "\x1c",  # Python's str.strip removes it, so the client sees a blank title
        " x ",
        None,
    ],
)
def test_title_check_and_request_model_agree(title: str | None) -> None:
    assert TITLE_MAX_CHARS == limits.TITLE_MAX_CHARS == 1024
    assert _check_refuses(title, "resolved", True) == _model_refuses(title, "resolved", True)


@given(
    st.text(
        alphabet=st.sampled_from(["a", " ", "\t", "\x1c", "\u2003", "\x85", "\u200b"]), max_size=4
    )
)
def test_blank_means_the_same_to_the_check_and_the_model(title: str) -> None:
    assert _check_refuses(title, "resolved", True) == _model_refuses(title, "resolved", True)


@pytest.mark.parametrize("state", [*STATES, None])
@pytest.mark.parametrize("resolved", [True, False])
def test_resolved_with_state_check_and_request_model_agree(
    state: str | None, resolved: bool
) -> None:
    check, model = (
        _check_refuses("DB down", state, resolved),
        _model_refuses("DB down", state, resolved),
    )
    # The API's rule: a resolved time only with the state "resolved" ("completed" too is refused).
    assert model == (resolved and state != limits.RESOLVED_TIME_STATE)
    if state is None:
        # ddinc is stricter than the API here, on purpose: state_missing blocks an incident
        # without a state (it would show up as open). Never the other way round.
        assert check
    else:
        assert check == model
