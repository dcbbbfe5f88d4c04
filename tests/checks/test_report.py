"""run_checks and CheckReport: the data a run produces and the invariants it keeps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ddinc
from ddinc.checks import (
    DEFAULT_CHECKS,
    Check,
    CheckContext,
    CheckReport,
    Level,
    run_checks,
)
from ddinc.errors import ConfigError
from ddinc.schema import SEVERITIES, STATES, TIMESTAMPS
from tests.checks.conftest import CONTEXT, NOW, incident, incidents, start_of

DIRTY = (
    incident(),
    incident(title=" "),  # error: title_missing
    incident(state="active"),  # error: resolved_time_while_open
    incident(resolved=None),  # warning: resolved_time_missing
    incident(severity=None, raw_severity="High", title="<script>alert(1)</script>"),  # warning
)


def dirty_report(**context: Any) -> CheckReport:
    return run_checks(incidents(*DIRTY), context=CheckContext(now=NOW, **context))


def test_one_result_per_check_including_passing_ones() -> None:
    report = dirty_report()
    assert [result.name for result in report.results] == [c.name for c in DEFAULT_CHECKS]
    assert report.n_incidents == 5
    assert report.result("title_missing").n_failing == 1
    assert report.result("reversed_interval").n_failing == 0


def test_failing_rows_carry_key_columns_message_and_involved_columns() -> None:
    rows = dirty_report().failing("resolved_time_while_open")
    assert rows.columns == [
        "row_key",
        "source",
        "source_id",
        "source_rows",
        "title",
        "check",
        "level",
        "message",
        "state",
        "resolved",
    ]
    assert rows.select("row_key", "source_id", "source_rows", "check", "level", "state").row(0) == (
        "pagerduty:PD-2",
        "PD-2",
        [3],
        "resolved_time_while_open",
        "error",
        "active",
    )


def test_failing_filters_by_level_and_keeps_check_order() -> None:
    report = dirty_report()
    errors = report.failing(level=Level.ERROR)
    assert errors.select("source_id", "check").rows() == [
        ("PD-1", "title_missing"),
        ("PD-2", "resolved_time_while_open"),
    ]
    warnings = report.failing(level="warning")
    assert warnings.select("source_id", "check").rows() == [
        ("PD-4", "severity_unmapped"),
        ("PD-3", "resolved_time_missing"),
    ]
    assert report.failing().height == 4
    assert report.failing("title_missing", level="warning").height == 0


def test_failing_with_nothing_selected_is_an_empty_frame_with_the_key_columns() -> None:
    empty = run_checks(incidents(incident()), context=CONTEXT).failing()
    assert empty.height == 0
    assert empty.columns[:8] == [
        "row_key",
        "source",
        "source_id",
        "source_rows",
        "title",
        "check",
        "level",
        "message",
    ]


def test_unknown_check_or_level_says_what_exists() -> None:
    report = dirty_report()
    with pytest.raises(ConfigError, match="known checks: source_id_missing"):
        report.failing("no_such_check")
    with pytest.raises(ConfigError, match="error, warning"):
        report.failing(level="fatal")


def test_counts_blocking_and_row_ids() -> None:
    report = dirty_report()
    counts = report.counts()
    assert counts.columns == ["check", "level", "failing", "share"]
    assert counts.filter(pl.col("check") == "title_missing").row(0) == (
        "title_missing",
        "error",
        1,
        pytest.approx(1 / 5),
    )
    assert report.blocking
    assert report.n_errors == 2
    assert report.n_warnings == 2
    assert report.blocking_keys() == ["pagerduty:PD-1", "pagerduty:PD-2"]
    assert report.blocking_mask().to_list() == [False, True, True, False, False]


def test_blocking_mask_filters_the_frame_to_what_can_be_pushed() -> None:
    frame = incidents(*DIRTY)
    report = run_checks(frame, context=CONTEXT)
    pushable = frame.filter(~report.blocking_mask())
    assert pushable["source_id"].to_list() == ["PD-0", "PD-3", "PD-4"]
    assert not run_checks(pushable, context=CONTEXT).blocking


def test_rows_are_named_by_row_key_whatever_the_order() -> None:
    frame = incidents(*DIRTY)
    forward = run_checks(frame, context=CONTEXT)
    backward = run_checks(frame.reverse(), context=CONTEXT)
    assert forward.failing("title_missing")["row_key"].to_list() == ["pagerduty:PD-1"]
    assert backward.failing("title_missing")["row_key"].to_list() == ["pagerduty:PD-1"]
    assert sorted(forward.blocking_keys()) == sorted(backward.blocking_keys())
    # The keys still find the rows after the frame was filtered and sorted.
    shuffled = frame.sort("title")
    keys = forward.blocking_keys()
    assert shuffled.filter(pl.col("row_key").is_in(keys))["source_id"].sort().to_list() == [
        "PD-1",
        "PD-2",
    ]


def test_warnings_alone_do_not_block() -> None:
    report = run_checks(incidents(incident(resolved=None)), context=CONTEXT)
    assert not report.blocking
    assert report.n_errors == 0
    assert report.n_warnings == 1
    assert report.blocking_mask().to_list() == [False]


def test_to_dict_structure_and_json() -> None:
    summary = dirty_report(assumed_timezone="America/New_York").to_dict(max_rows=1)
    json.dumps(summary)
    assert set(summary) == {
        "n_incidents",
        "blocking",
        "n_errors",
        "n_warnings",
        "notes",
        "detection",
        "context",
        "checks",
    }
    assert summary["n_incidents"] == 5
    assert len(summary["checks"]) == len(DEFAULT_CHECKS)
    check = next(c for c in summary["checks"] if c["name"] == "title_missing")
    assert set(check) == {
        "name",
        "level",
        "description",
        "failing",
        "share",
        "rows",
        "rows_truncated",
    }
    assert set(check["rows"][0]) == {"row_key", "source", "source_id", "source_rows", "message"}
    assert check["rows"][0]["row_key"] == "pagerduty:PD-1"
    assert check["rows"][0]["source_rows"] == [2]
    assert summary["context"]["now"] == "2025-01-01T00:00:00+00:00"
    assert summary["context"]["assumed_timezone"] == "America/New_York"


def test_to_dict_truncates_rows_and_says_so() -> None:
    frame = incidents(*[incident(title="")] * 3)
    checks = run_checks(frame, context=CONTEXT).to_dict(max_rows=2)["checks"]
    title = next(c for c in checks if c["name"] == "title_missing")
    assert (title["failing"], len(title["rows"]), title["rows_truncated"]) == (3, 2, True)


def test_notes_include_loader_notes_and_the_assumed_zone() -> None:
    frame = incidents(incident())
    report = run_checks(
        frame,
        context=CheckContext(now=NOW, assumed_timezone="Europe/Paris"),
        notes=["3 rows quarantined"],
    )
    assert report.notes[0] == "3 rows quarantined"
    assert "Europe/Paris" in report.notes[1]
    assert run_checks(frame, context=CONTEXT).notes == ()


def test_stale_durations_are_recomputed() -> None:
    frame = incidents(incident()).with_columns(time_to_resolve=pl.duration(hours=-3))
    assert run_checks(frame, context=CONTEXT).result("reversed_interval").n_failing == 0


def test_frame_without_durations_raw_or_notes_is_accepted() -> None:
    frame = incidents(incident(state=None)).drop("time_to_detect", "raw", "load_notes")
    report = run_checks(frame, context=CONTEXT)
    assert report.result("state_missing").n_failing == 1


def test_a_row_column_in_the_frame_does_not_clash_with_the_checks_own() -> None:
    frame = incidents(incident(), incident(title="")).with_columns(row=pl.lit("mine"))
    report = run_checks(frame, context=CONTEXT)
    assert report.failing("title_missing")["source_id"].to_list() == ["PD-1"]
    assert frame["row"].to_list() == ["mine", "mine"]


def test_untyped_all_null_columns_are_read_as_missing() -> None:
    # A hand-built frame may hold pl.Null columns: they mean "missing", not "bad frame".
    untyped = ["state", "severity", "raw", "load_notes", *TIMESTAMPS]
    frame = incidents(incident(), incident()).with_columns(pl.lit(None).alias(c) for c in untyped)
    report = run_checks(frame, context=CONTEXT)
    assert report.result("state_missing").n_failing == 2
    assert report.failing().filter(pl.col("check") != "state_missing").height == 0


def test_timestamps_in_another_zone_are_compared_as_instants() -> None:
    frame = incidents(incident(resolved=NOW)).with_columns(
        pl.col(name).dt.convert_time_zone("Asia/Tokyo") for name in TIMESTAMPS
    )
    assert run_checks(frame, context=CONTEXT).result("timestamp_in_future").n_failing == 0


def test_missing_columns_and_naive_times_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="lacks column"):
        run_checks(incidents(incident()).drop("declared"), context=CONTEXT)
    naive = incidents(incident()).with_columns(pl.col("declared").dt.replace_time_zone(None))
    with pytest.raises(ConfigError, match="replace_time_zone"):
        run_checks(naive, context=CONTEXT)


def test_check_names_must_be_unique_in_a_run() -> None:
    with pytest.raises(ConfigError, match="given twice"):
        run_checks(incidents(), [DEFAULT_CHECKS[0], DEFAULT_CHECKS[0]], context=CONTEXT)


def test_custom_check_composes_with_the_defaults() -> None:
    no_commander = Check(
        name="commander_missing",
        level=Level.WARNING,
        description="No commander: nobody to assign.",
        message="{title} has no commander",
        predicate=lambda frame, context: pl.col("commander").is_null(),
        columns=("commander",),
    )
    frame = incidents(incident(), incident(commander=None, title="DB down"))
    report = run_checks(frame, [*DEFAULT_CHECKS, no_commander], context=CONTEXT)
    rows = report.failing("commander_missing")
    assert rows["source_id"].to_list() == ["PD-1"]
    assert rows["message"].to_list() == ["DB down has no commander"]


def test_scalar_predicate_is_broadcast_to_every_row() -> None:
    always = Check("always", Level.WARNING, "Every row.", "row {row}", lambda f, c: pl.lit(True))
    report = run_checks(incidents(incident(), incident()), [always], context=CONTEXT)
    assert report.failing("always")["message"].to_list() == ["row 0", "row 1"]


def test_unknown_message_field_is_a_config_error() -> None:
    broken = Check("broken", Level.ERROR, "Broken.", "{nope}", lambda f, c: pl.lit(True))
    with pytest.raises(ConfigError, match=r"\{nope\} is neither a column nor a detail"):
        run_checks(incidents(incident()), [broken], context=CONTEXT)


def test_null_values_in_messages_read_missing() -> None:
    show = Check("show", Level.WARNING, "Show.", "declared {declared}", lambda f, c: pl.lit(True))
    report = run_checks(incidents(incident(declared=None)), [show], context=CONTEXT)
    assert report.failing("show")["message"].to_list() == ["declared (missing)"]


# --- properties over arbitrary canonical frames ---------------------------------------------

_BASE = datetime(1985, 1, 1, tzinfo=UTC)


def _timestamp() -> st.SearchStrategy[datetime | None]:
    # 1985..2030 crosses both range limits; whole-hour steps make zero-length and exact-hour
    # spans likely, seconds make everything else possible.
    hours = st.integers(0, 45 * 365 * 24).map(lambda h: _BASE + timedelta(hours=h))
    seconds = st.integers(0, 45 * 365 * 24 * 3600).map(lambda s: _BASE + timedelta(seconds=s))
    return st.one_of(st.none(), hours, seconds)


def _title() -> st.SearchStrategy[str | None]:
    return st.one_of(
        st.none(),
        st.sampled_from(["", "  ", "DB down", "db  DOWN", "<script>x</script>"]),
        st.text(max_size=20),
        st.text(alphabet="ab ", min_size=1020, max_size=1030),
    )


@st.composite
def _row(draw: st.DrawFn) -> dict[str, Any]:
    row: dict[str, Any] = {name: draw(_timestamp()) for name in TIMESTAMPS}
    row["title"] = draw(_title())
    row["state"] = draw(st.one_of(st.none(), st.sampled_from(STATES)))
    row["severity"] = draw(st.one_of(st.none(), st.sampled_from(SEVERITIES)))
    row["raw_state"] = draw(st.one_of(st.none(), st.text(max_size=5)))
    row["raw_severity"] = draw(st.one_of(st.none(), st.text(max_size=5)))
    row["source"] = draw(st.sampled_from(["pagerduty", "jira", None]))
    row["source_id"] = draw(st.one_of(st.none(), st.sampled_from(["1", "2", " ", "x"])))
    return incident(**row)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_row(), max_size=30))
def test_never_changes_the_frame_never_raises_and_counts_agree(
    rows: list[dict[str, Any]],
) -> None:
    frame = incidents(*rows)
    before = frame.clone()
    report = run_checks(frame, context=CONTEXT)
    assert frame.equals(before)
    assert frame.columns == before.columns
    counts = dict(report.counts().select("check", "failing").iter_rows())
    for result in report.results:
        failing = report.failing(result.name)
        assert counts[result.name] == len(failing) == result.n_failing
        assert failing["row_key"].is_unique().all()
        assert failing["row_key"].is_in(report.keys.implode()).all()
        assert failing["message"].null_count() == 0
    assert report.blocking_mask().sum() == report.n_errors == len(report.blocking_keys())
    per_row = report.failing_checks()
    assert per_row["row_key"].to_list() == report.keys.to_list()
    assert per_row["checks"].list.len().sum() == report.failing().height
    json.dumps(report.to_dict())
    assert "<script>" not in report.to_html()
    assert str(report)


def test_html_escapes_titles_and_messages() -> None:
    page = dirty_report().to_html()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_text_summary_names_failing_checks() -> None:
    text = str(dirty_report())
    assert "2 incident(s) blocked" in text
    assert "title_missing" in text
    assert any(line.split()[:3] == ["ERROR", "title_missing", "1"] for line in text.splitlines())


def test_repr_html_is_the_html_and_repr_is_short() -> None:
    report = dirty_report()
    assert report._repr_html_() == report.to_html()
    n_checks = len(DEFAULT_CHECKS)
    assert (
        repr(report) == f"CheckReport(n_incidents=5, checks={n_checks}, n_errors=2, n_warnings=2)"
    )
    assert repr(report.result("title_missing")) == "CheckResult('title_missing', error, failing=1)"


def test_whole_default_run_on_a_realistic_frame() -> None:
    # 300 clean incidents around two dirty ones: only the dirty ones are reported.
    rows = [incident()] * 300
    rows[17] = incident(resolved=start_of(17) - timedelta(days=1))
    rows[250] = incident(source_id="PD-249")
    report = run_checks(incidents(*rows), context=CONTEXT)
    failing = report.failing().select("source_id", "source_rows", "check")
    assert failing.sort("source_rows").rows() == [
        ("PD-17", [18], "reversed_interval"),
        ("PD-249", [250], "duplicate_source_id"),
        ("PD-249", [251], "duplicate_source_id"),
    ]
    # The repeated id is told apart by its row keys, so each copy is named on its own.
    assert failing.filter(pl.col("check") == "duplicate_source_id").height == 2
    assert len(set(report.blocking_keys())) == 3


# --- row keys ---------------------------------------------------------------------------------


def test_failing_checks_lists_every_incident_with_its_failing_check_names() -> None:
    frame = incidents(incident(), incident(title=" ", state="active"), incident(resolved=None))
    report = run_checks(frame, context=CONTEXT)
    per_row = report.failing_checks()
    assert per_row.columns == ["row_key", "checks"]
    assert per_row.rows() == [
        ("pagerduty:PD-0", []),
        ("pagerduty:PD-1", ["title_missing", "resolved_time_while_open"]),
        ("pagerduty:PD-2", ["resolved_time_missing"]),
    ]
    assert report.failing_checks(level="warning")["checks"].to_list() == [
        [],
        [],
        ["resolved_time_missing"],
    ]


def test_failing_checks_of_a_clean_frame_are_empty_lists_not_nulls() -> None:
    per_row = run_checks(incidents(incident(), incident()), context=CONTEXT).failing_checks()
    assert per_row["checks"].to_list() == [[], []]


def test_a_frame_without_row_keys_gets_them_computed() -> None:
    frame = incidents(incident(), incident(title="")).drop("row_key")
    report = run_checks(frame, context=CONTEXT)
    assert report.keys.to_list() == ["pagerduty:PD-0", "pagerduty:PD-1"]
    assert report.blocking_keys() == ["pagerduty:PD-1"]
    assert "row_key" not in frame.columns


def test_an_all_null_row_key_column_counts_as_absent() -> None:
    frame = incidents(incident(title="")).with_columns(row_key=pl.lit(None, dtype=pl.String))
    assert run_checks(frame, context=CONTEXT).blocking_keys() == ["pagerduty:PD-0"]


def test_repeated_or_partly_missing_row_keys_are_config_errors() -> None:
    one = incidents(incident())
    with pytest.raises(ConfigError, match=r"'pagerduty:PD-0' repeats.*with_row_keys"):
        run_checks(pl.concat([one, one]), context=CONTEXT)
    partly = incidents(incident(), incident()).with_columns(
        row_key=pl.when(pl.col("source_id") == "PD-0").then(pl.col("row_key"))
    )
    with pytest.raises(ConfigError, match="1 row"):
        run_checks(partly, context=CONTEXT)


def test_duplicate_ids_keep_distinct_keys_in_the_report() -> None:
    frame = incidents(incident(title="A"), incident(source_id="PD-0", title="B"))
    report = run_checks(frame, context=CONTEXT)
    keys = report.failing("duplicate_source_id")["row_key"].to_list()
    assert len(set(keys)) == 2
    assert all(key.startswith("pagerduty:PD-0~") for key in keys)


def test_a_concatenation_of_loads_is_checked_like_one_frame() -> None:
    # Several chunks per column (two loads concatenated) once made polars panic in messages.
    from ddinc.rowkey import with_row_keys
    from tests.conftest import ROOT

    frames = [
        ddinc.load(ROOT / "data" / name).incidents
        for name in ("statuspage_incidents.json", "jira_incidents.csv", "pagerduty_incidents.json")
    ]
    joined = with_row_keys(pl.concat(frames, how="diagonal_relaxed"))
    assert max(joined.n_chunks("all")) > 1
    report = ddinc.run_checks(joined)
    one = ddinc.run_checks(joined.rechunk())
    assert report.failing().equals(one.failing())
    assert report.failing("state_unmapped").height == sum(
        ddinc.run_checks(f).failing("state_unmapped").height for f in frames
    )
