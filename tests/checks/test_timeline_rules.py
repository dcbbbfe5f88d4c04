"""Timeline checks (order, range, back-filled and shifted times, outliers).

Each case builds three incidents: row 0 untouched, row 1 that must fail, row 2 the near miss.
Only the check under test is looked at; other checks may fire on the same rows.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ddinc.checks import CheckContext, Level, outlier_check, run_checks
from ddinc.checks.timeline_rules import OUTLIER_CHECKS, TIMELINE_CHECKS
from ddinc.errors import ConfigError
from ddinc.schema import DURATIONS, TIMESTAMPS
from tests.checks.conftest import CONTEXT, NOW, failing, incident, incidents, positions, start_of

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


def declared(i: int) -> datetime:
    """The default declared time of row ``i``."""
    return start_of(i) + timedelta(minutes=19)


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("reversed_interval", {"resolved": declared(1) - SECOND}, {"resolved": declared(2)}),
    (
        "reversed_interval",
        {"impact_end": start_of(1) - SECOND, "detected": None},
        {"impact_end": start_of(2), "detected": None},
    ),
    (
        "reversed_interval",
        {"detected": start_of(1) - MINUTE},
        {"detected": start_of(2), "impact_start": None},
    ),
    (
        "timestamps_out_of_order",
        {"detected": None, "declared": start_of(1) - SECOND},
        {"detected": None, "declared": start_of(2)},
    ),
    (
        # Exactly the tolerance (1 s) is out of order; just under it is clock noise.
        "timestamps_out_of_order",
        {"detected": None, "declared": start_of(1) - SECOND},
        {"detected": None, "declared": start_of(2) - SECOND + timedelta(microseconds=1)},
    ),
    (
        # Used to be a timestamps_out_of_order pair; it has a check of its own now.
        "impact_after_resolution",
        {"detected": None, "declared": None, "resolved": start_of(1) - HOUR},
        {"detected": None, "declared": None, "resolved": start_of(2)},
    ),
    (
        # A status page: no detected time, declared before resolved (no duration is
        # negative), yet the impact started 2 hours after the incident was resolved.
        "impact_after_resolution",
        {
            "detected": None,
            "impact_end": None,
            "impact_start": start_of(1) + 4 * HOUR + 13 * MINUTE,
        },
        {
            "detected": None,
            "impact_end": None,
            "impact_start": start_of(2) + 2 * HOUR + 13 * MINUTE + timedelta(milliseconds=300),
        },
    ),
    ("timestamp_in_future", {"resolved": NOW + SECOND}, {"resolved": NOW}),
    (
        "timestamp_in_future",
        {"state": "active", "resolved": None, "impact_end": datetime(2031, 1, 1, tzinfo=UTC)},
        {"state": "active", "resolved": None, "impact_end": None},
    ),
    (
        "timestamp_too_old",
        {"impact_start": datetime(1989, 12, 31, 23, 59, 59, tzinfo=UTC)},
        {"impact_start": datetime(1990, 1, 1, tzinfo=UTC)},
    ),
    (
        "timestamp_too_old",
        {"impact_start": datetime(1970, 1, 1, tzinfo=UTC)},
        {"impact_start": None},
    ),
    (
        "zero_length_incident",
        dict.fromkeys(TIMESTAMPS, start_of(1)),
        {**dict.fromkeys(TIMESTAMPS, start_of(2)), "resolved": start_of(2) + SECOND},
    ),
    (
        "zero_length_incident",
        {**dict.fromkeys(TIMESTAMPS), "detected": start_of(1), "declared": start_of(1)},
        # One timestamp alone is not an interval at all.
        {**dict.fromkeys(TIMESTAMPS), "declared": start_of(2)},
    ),
    (
        "whole_hour_offset",
        {"resolved": declared(1) - 5 * HOUR + 30 * SECOND, "naive": True},
        {"resolved": declared(2) - 5 * HOUR - 2 * MINUTE, "naive": True},
    ),
    (
        "whole_hour_offset",
        {"impact_end": start_of(1) - 14 * HOUR, "detected": None, "naive": True},
        # 15 hours is beyond any time zone offset.
        {"impact_end": start_of(2) - 15 * HOUR, "detected": None, "naive": True},
    ),
    (
        # The same 5 hours between values written with explicit offsets: no zone was assumed.
        "whole_hour_offset",
        {"resolved": declared(1) - 5 * HOUR, "raw_resolved": "2023-03-02 04:19:00"},
        {"resolved": declared(2) - 5 * HOUR},
    ),
]


@pytest.mark.parametrize(("name", "fails", "near_miss"), CASES)
def test_row_fails_and_near_miss_passes(
    name: str, fails: dict[str, Any], near_miss: dict[str, Any]
) -> None:
    frame = incidents(incident(), incident(**fails), incident(**near_miss))
    assert failing(frame, name) == [1]


def test_every_timeline_check_has_a_case_or_its_own_test() -> None:
    covered = {name for name, _, _ in CASES} | {check.name for check in OUTLIER_CHECKS}
    assert covered == {check.name for check in TIMELINE_CHECKS}


def test_reversed_interval_message_names_the_pair_and_the_real_gap() -> None:
    frame = incidents(incident(resolved=declared(0) - 5 * HOUR))
    message = run_checks(frame, context=CONTEXT).failing("reversed_interval")["message"][0]
    assert "resolved 2023-03-01T04:19:00Z is before declared 2023-03-01T09:19:00Z by 5 h" in (
        message
    )
    assert "(time_to_resolve negative)" in message


def test_whole_hour_offset_consistent_within_a_source() -> None:
    # Declared exactly 5 hours after detection for 5 of 8 pagerduty incidents: the two
    # columns were written in different zones, even though no duration is negative.
    def shifted(i: int) -> dict[str, Any]:
        detected = start_of(i) + 7 * MINUTE
        return incident(declared=detected + 5 * HOUR, resolved=detected + 6 * HOUR, naive=True)

    rows = [shifted(i) for i in range(5)] + [incident()] * 3
    assert failing(incidents(*rows), "whole_hour_offset") == [0, 1, 2, 3, 4]


def test_whole_hour_offset_needs_enough_rows_of_the_same_source() -> None:
    def shifted(i: int, source: str = "pagerduty") -> dict[str, Any]:
        detected = start_of(i) + 7 * MINUTE
        return incident(
            declared=detected + 5 * HOUR, resolved=detected + 6 * HOUR, source=source, naive=True
        )

    four = [shifted(i) for i in range(4)] + [incident()] * 3
    assert failing(incidents(*four), "whole_hour_offset") == []
    # Five of them, but split across two sources: still too few per source.
    split = [shifted(i, "jira" if i % 2 else "pagerduty") for i in range(5)] + [incident()] * 3
    assert failing(incidents(*split), "whole_hour_offset") == []


def test_whole_hour_offset_mentions_the_assumed_zone() -> None:
    frame = incidents(incident(resolved=declared(0) - 2 * HOUR, naive=True))
    context = CheckContext(now=NOW, assumed_timezone="Europe/Paris")
    message = run_checks(frame, context=context).failing("whole_hour_offset")["message"][0]
    assert "time_to_resolve = -2 h" in message
    assert "Europe/Paris" in message


def resolving_after(i: int, span: timedelta) -> dict[str, Any]:
    return incident(resolved=declared(i) + span)


def test_resolve_outlier_threshold_is_q3_plus_k_iqr_of_log_seconds() -> None:
    # 30 of 32 values are 1h54m, so Q1 = Q3 = 1h54m and the IQR falls back to log(2): the
    # threshold is exp(log(1h54m) + 3 * log 2) = 8 * 1h54m = 15h12m.
    typical = [incident()] * 30
    frame = incidents(*typical, resolving_after(30, 15 * HOUR), resolving_after(31, 15.5 * HOUR))
    assert failing(frame, "time_to_resolve_outlier") == [31]
    message = run_checks(frame, context=CONTEXT).failing("time_to_resolve_outlier")["message"][0]
    assert "15 h 30 min" in message
    assert "15 h 12 min" in message


def test_outlier_uses_the_spread_when_it_is_wide() -> None:
    # Resolve times spread over 1..60 minutes (log-uniform): IQR is 1/2 of the log range.
    minutes = [math.exp(math.log(60) * k / 39) for k in range(40)]
    rows = [resolving_after(i, timedelta(minutes=m)) for i, m in enumerate(minutes)]
    # The two probe rows are the two largest values, whatever they are exactly, so they enter
    # the quartiles by rank only: stand-ins at infinity give the same Q1 and Q3.
    logs = sorted([math.log(m * 60) for m in minutes] + [math.inf, math.inf])
    q1, q3 = _quantile(logs, 0.25), _quantile(logs, 0.75)
    threshold = timedelta(seconds=math.exp(q3 + 3 * (q3 - q1)))
    frame = incidents(
        *rows,
        resolving_after(40, threshold * 0.98),
        resolving_after(41, threshold * 1.02),
    )
    assert failing(frame, "time_to_resolve_outlier") == [41]


def _quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks, as polars' ``interpolation="linear"``."""
    position = q * (len(values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def test_outlier_needs_enough_samples() -> None:
    frame = incidents(*[incident()] * 10, resolving_after(10, timedelta(days=300)))
    assert failing(frame, "time_to_resolve_outlier") == []
    context = CheckContext(now=NOW, outlier_min_samples=10)
    assert failing(frame, "time_to_resolve_outlier", context) == [10]


def test_outlier_factor_is_a_parameter() -> None:
    frame = incidents(*[incident()] * 30, resolving_after(30, 5 * HOUR))
    assert failing(frame, "time_to_resolve_outlier") == []
    # k = 1: the threshold is 2 * 1h54m = 3h48m.
    context = CheckContext(now=NOW, outlier_factor=1.0)
    assert failing(frame, "time_to_resolve_outlier", context) == [30]


def test_outliers_ignore_zero_and_negative_durations() -> None:
    rows = [incident()] * 30
    reversed_and_zero = [
        resolving_after(30, -300 * timedelta(days=1)),
        incident(resolved=declared(31)),
    ]
    assert failing(incidents(*rows, *reversed_and_zero), "time_to_resolve_outlier") == []


@pytest.mark.parametrize("name", DURATIONS)
def test_one_outlier_check_per_duration(name: str) -> None:
    check = outlier_check(name)
    assert check.name == f"{name}_outlier"
    assert check.level == Level.WARNING
    assert name in check.columns


def test_outlier_check_of_an_unknown_column_says_which_exist() -> None:
    with pytest.raises(ConfigError, match="time_to_detect, time_to_declare"):
        outlier_check("time_to_lunch")


def test_detect_outlier_sees_its_own_column_only() -> None:
    late = incident(impact_start=start_of(30) - timedelta(days=20))
    frame = incidents(*[incident()] * 30, late)
    report = run_checks(frame, context=CONTEXT)
    assert positions(report, "time_to_detect_outlier") == [30]
    assert report.failing("time_to_resolve_outlier").height == 0


# --- messages that show the real gap, and hints that follow the evidence ---------------------


def message_of(name: str, *rows: dict[str, Any], context: CheckContext = CONTEXT) -> str:
    result = run_checks(incidents(*rows), context=context).failing(name)
    assert result.height == 1, result
    return str(result["message"][0])


def test_a_sub_second_reversal_shows_milliseconds_and_the_gap() -> None:
    # Two systems stamped one event 57 ms apart: with no tolerance the check fires, and the
    # two times must not read the same.
    exact = CheckContext(now=NOW, order_tolerance=timedelta(0))
    message = message_of(
        "reversed_interval",
        incident(resolved=declared(0) - timedelta(milliseconds=57)),
        context=exact,
    )
    assert (
        "resolved 2023-03-01T09:18:59.943Z is before declared 2023-03-01T09:19:00.000Z by 57 ms"
    ) in message


def test_out_of_order_message_shows_the_gap_in_human_units() -> None:
    late = declared(0) - (4 * HOUR + 58 * SECOND)
    message = message_of(
        "timestamps_out_of_order",
        incident(
            detected=None,
            impact_start=declared(0) - 19 * MINUTE,
            declared=late,
            resolved=None,
            impact_end=None,
            state="active",
        ),
    )
    assert "by 3 h 41 min 58 s" in message


def test_order_tolerance_is_a_context_parameter() -> None:
    frame = incidents(incident(detected=None, declared=start_of(0) - timedelta(milliseconds=400)))
    assert failing(frame, "timestamps_out_of_order") == []
    strict = CheckContext(now=NOW, order_tolerance=timedelta(0))
    assert failing(frame, "timestamps_out_of_order", strict) == [0]
    message = message_of(
        "timestamps_out_of_order",
        incident(detected=None, declared=start_of(0) - timedelta(milliseconds=400)),
        context=strict,
    )
    assert "by 400 ms" in message
    assert "2023-03-01T08:59:59.600Z" in message


SWAP = "day and month read the wrong way round"
SLIP = "different time zones"


def test_explicit_offsets_rule_out_swap_and_slip_and_say_posted_after() -> None:
    # A status page: created (declared) an hour after the incident was resolved, both in UTC.
    message = message_of(
        "reversed_interval",
        incident(
            resolved=declared(0) - HOUR,
            raw_declared="2023-03-01T09:19:00.000Z",
            raw_resolved="2023-03-01T08:19:00+00:00",
        ),
    )
    assert "posted after the impact ended" in message
    assert SWAP not in message
    assert SLIP not in message


def test_epoch_values_are_explicit_too() -> None:
    message = message_of(
        "reversed_interval",
        incident(
            resolved=declared(0) - HOUR, raw_declared="1677662340000", raw_resolved="1677658740"
        ),
    )
    assert "neither a day/month swap nor a time zone slip" in message
    assert SWAP not in message


def test_numeric_day_month_values_suggest_a_swap() -> None:
    # 1 March read day-first; 3 January read the same way, which reads before it.
    message = message_of(
        "reversed_interval",
        incident(
            resolved=datetime(2023, 1, 3, 4, 19, tzinfo=UTC),
            impact_end=None,
            raw_declared="01/03/2023 09:19",
            raw_resolved="03/01/2023 04:19",
        ),
    )
    assert SWAP in message
    assert SLIP in message  # naive too: both explanations stay open
    assert "posted after" not in message


def test_numeric_dates_that_cannot_swap_do_not_suggest_it() -> None:
    message = message_of(
        "reversed_interval",
        incident(
            resolved=declared(0) - 5 * HOUR,
            raw_declared="13/03/2023 09:19",
            raw_resolved="13/03/2023 04:19",
        ),
    )
    assert SWAP not in message
    assert SLIP in message


def test_naive_iso_values_suggest_a_zone_slip_but_not_a_swap() -> None:
    message = message_of("reversed_interval", incident(resolved=declared(0) - 5 * HOUR, naive=True))
    assert SLIP in message
    assert SWAP not in message


def test_no_raw_text_gives_no_guess() -> None:
    frame = incidents(incident(resolved=declared(0) - 5 * HOUR)).drop("raw")
    message = run_checks(frame, context=CONTEXT).failing("reversed_interval")["message"][0]
    assert "check which of the two is wrong" in message
    assert SWAP not in message
    assert SLIP not in message


def test_impact_after_resolution_names_both_times_and_the_gap() -> None:
    message = message_of(
        "impact_after_resolution",
        incident(detected=None, impact_end=None, impact_start=start_of(0) + 4 * HOUR + 13 * MINUTE),
    )
    assert (
        "resolved 2023-03-01T11:13:00Z is before impact_start 2023-03-01T13:13:00Z by 2 h"
    ) in message


def test_a_1400_hour_incident_among_2_hour_ones_in_a_realistic_history() -> None:
    # ~30 incidents of a status-page history: 16 measured resolve times around 2 h (a
    # lognormal spread, seeded), 4 back-fills (every time equal), 6 back-fills whose fields
    # two systems stamped milliseconds apart, 2 reversed intervals, and one incident resolved
    # 1,400 h later. Zero, negative and sub-second spans must not stretch the log quartiles,
    # and 17 measured values must be enough to judge.
    rng = random.Random(20240112)
    rows: list[dict[str, Any]] = []
    for _ in range(16):
        rows.append(resolving_after(len(rows), timedelta(hours=2 * math.exp(rng.gauss(0, 0.6)))))
    for _ in range(4):
        rows.append(incident(**dict.fromkeys(TIMESTAMPS, start_of(len(rows)))))
    for _ in range(6):
        at = start_of(len(rows))
        stamped = at + timedelta(milliseconds=rng.randint(20, 400))
        rows.append(incident(**{**dict.fromkeys(TIMESTAMPS, at), "resolved": stamped}))
    for _ in range(2):
        rows.append(resolving_after(len(rows), -timedelta(days=rng.randint(1, 40))))
    rows.append(resolving_after(len(rows), timedelta(hours=1400)))
    frame = incidents(*rows)
    assert failing(frame, "time_to_resolve_outlier") == [len(rows) - 1]
    # Counting the millisecond spans as measured durations hides it (Q1 falls below a
    # second): the reason for the floor, and proof that this test can fail.
    loose = CheckContext(now=NOW, order_tolerance=timedelta(0))
    assert failing(frame, "time_to_resolve_outlier", loose) == []
    # So does asking for more measured values than such a history has.
    assert (
        failing(frame, "time_to_resolve_outlier", CheckContext(now=NOW, outlier_min_samples=20))
        == []
    )


@pytest.mark.parametrize("gap_ms", [50, 73, 90, 999])
def test_reversed_interval_forgives_gaps_under_the_order_tolerance(gap_ms: int) -> None:
    # GitHub's started_at is posted a few ms after created_at: with detected taken from
    # impact_start, time_to_declare is -50..-90 ms on back-fills; not an error.
    gap = timedelta(milliseconds=gap_ms)
    rows = [
        incident(impact_start=declared(0) + gap, detected=declared(0) + gap),
        incident(impact_end=start_of(1) - gap, detected=None),
    ]
    assert failing(incidents(*rows), "reversed_interval") == []
    exact = CheckContext(now=NOW, order_tolerance=timedelta(0))
    assert failing(incidents(*rows), "reversed_interval", exact) == [0, 1]
    # At the tolerance itself the gap is a reversal again.
    wide = CheckContext(now=NOW, order_tolerance=gap)
    assert failing(incidents(*rows), "reversed_interval", wide) == [0, 1]
