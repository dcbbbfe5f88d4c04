"""The default catalogue: complete, uniquely named, errors first, quiet on clean data."""

from __future__ import annotations

import pytest

from ddinc.checks import DEFAULT_CHECKS, Check, Level, run_checks
from ddinc.checks.duplicates import DUPLICATE_CHECKS
from ddinc.checks.record_rules import RECORD_CHECKS
from ddinc.checks.timeline_rules import TIMELINE_CHECKS
from ddinc.schema import TIMESTAMPS
from tests.checks.conftest import CONTEXT, incident, incidents


def test_catalogue_is_every_rule_once() -> None:
    names = [check.name for check in DEFAULT_CHECKS]
    assert len(names) == len(set(names))
    everything = {check.name for check in (*RECORD_CHECKS, *TIMELINE_CHECKS, *DUPLICATE_CHECKS)}
    assert set(names) == everything


def test_errors_come_first() -> None:
    levels = [check.level for check in DEFAULT_CHECKS]
    assert levels == sorted(levels, key=lambda level: level != Level.ERROR)


def test_untouched_rows_pass_every_check() -> None:
    report = run_checks(incidents(*[incident()] * 40), context=CONTEXT)
    assert report.failing().height == 0


@pytest.mark.parametrize("check", DEFAULT_CHECKS, ids=lambda check: check.name)
def test_each_check_runs_on_all_null_optional_columns(check: Check) -> None:
    nulls = {
        **dict.fromkeys(TIMESTAMPS),
        "state": None,
        "severity": None,
        "raw_state": None,
        "raw_severity": None,
        "teams": None,
        "services": None,
        "commander": None,
        "load_notes": None,
    }
    frame = incidents(*[incident(**nulls)] * 3)
    report = run_checks(frame, [check], context=CONTEXT)
    # Without any time, no timeline check can fail; state_missing is the only one that must.
    expected = 3 if check.name == "state_missing" else 0
    assert report.result(check.name).n_failing == expected


@pytest.mark.parametrize("check", DEFAULT_CHECKS, ids=lambda check: check.name)
def test_each_check_runs_on_an_empty_frame(check: Check) -> None:
    report = run_checks(incidents(), [check], context=CONTEXT)
    assert report.failing(check.name).height == 0
    assert report.counts()["failing"].to_list() == [0]
