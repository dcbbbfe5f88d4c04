"""Row-local checks re-run on some rows say exactly what run_checks on the whole frame says.

Every comparison here is against :func:`run_checks` over the whole frame, the reference the
Cleaner's button runs; nothing restates what a check should find.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddinc.checks import DEFAULT_CHECKS, Check, CheckContext, Level, run_checks
from ddinc.checks.report import _conform
from ddinc.checks.rows import (
    _conform_only,
    columns_read,
    failing_rows_of,
    row_local_checks,
    row_messages,
)
from ddinc.errors import ConfigError
from ddinc.limits import TITLE_MAX_CHARS
from ddinc.loader import load
from ddinc.rowkey import ROW_KEY
from ddinc.schema import RAW_FIELDS, TIMESTAMPS
from ddinc.synth import SAMPLES, mapping_beside
from tests.checks.conftest import CONTEXT, NOW, incident, incidents, start_of
from tests.conftest import ROOT, shared_path

DATA = ROOT / "data"
LOCAL = row_local_checks(DEFAULT_CHECKS)
Mask = npt.NDArray[np.bool_]


def whole_frame_masks(frame: pl.DataFrame, context: CheckContext = CONTEXT) -> dict[str, Mask]:
    """Per check, True where run_checks over the whole ``frame`` says the row fails."""
    report = run_checks(frame, DEFAULT_CHECKS, context=context)
    return {
        result.name: report.keys.is_in(result.rows.get_column(ROW_KEY).implode()).to_numpy()
        for result in report.results
    }


def assert_subset_agrees(
    frame: pl.DataFrame,
    positions: npt.NDArray[np.int64],
    expected: dict[str, Mask],
    context: CheckContext = CONTEXT,
    written: set[str] | None = None,
) -> dict[str, Mask]:
    got = failing_rows_of(frame[positions], context=context, written=written)
    chosen = [
        check.name
        for check in LOCAL
        if written is None or columns_read(check, frame, context) & written
    ]
    assert list(got) == chosen
    for name, mask in got.items():
        assert mask.dtype == np.bool_
        np.testing.assert_array_equal(mask, expected[name][positions], err_msg=name)
    # The same rows named by position in the whole frame: only what is read gets gathered.
    at = failing_rows_of(frame, context=context, written=written, at=positions)
    assert list(at) == chosen
    for name, mask in at.items():
        np.testing.assert_array_equal(mask, expected[name][positions], err_msg=name)
    return got


def subsets(height: int, seed: int) -> list[npt.NDArray[np.int64]]:
    """No row, one row, a shuffled sixth, a sorted half, every row backwards."""
    rng = np.random.default_rng(seed)
    return [
        np.zeros(0, dtype=np.int64),
        rng.integers(0, height, 1),
        rng.permutation(height)[: max(1, height // 6)],
        np.sort(rng.permutation(height)[: height // 2]),
        np.arange(height)[::-1].copy(),
    ]


# Every failure a row-local check knows, among rows that set off every frame-wide check.
# A timedelta is a time on the row's own day (conftest.start_of(i) + it); a datetime is absolute.
def _dirty_rows() -> list[dict[str, Any]]:
    day, hour, minute = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
    same_time = {
        "declared": datetime(2022, 6, 1, 10, tzinfo=UTC),
        "resolved": datetime(2022, 6, 1, 12, tzinfo=UTC),
        **dict.fromkeys(("impact_start", "detected", "impact_end")),
    }
    rows: list[dict[str, Any]] = [incident() for _ in range(20)]  # enough for outliers
    rows += [
        incident(source_id=" "),  # source_id_missing
        incident(title=None),  # title_missing
        incident(title="é" * (TITLE_MAX_CHARS + 1)),  # title_too_long
        incident(state=None, raw_state=None),  # state_missing
        incident(state=None, raw_state="Triage"),  # state_unmapped
        incident(state="active"),  # resolved_time_while_open
        incident(severity=None, raw_severity="P9"),  # severity_unmapped
        incident(resolved=None),  # resolved_time_missing
        incident(load_notes=["ambiguous local time"]),  # load_note
        incident(impact_end=None, naive=True, declared=-day),  # reversed_interval
        incident(declared=NOW + 30 * day),  # timestamp_in_future
        incident(impact_start=datetime(1970, 1, 1, tzinfo=UTC)),  # timestamp_too_old
        incident(detected=None, impact_start=30 * minute),  # timestamps_out_of_order
        incident(detected=None, declared=None, impact_end=None, impact_start=3 * hour),
        incident(**dict.fromkeys(("impact_start", "detected", "declared", "resolved",
                                  "impact_end"), hour)),  # zero_length_incident
        incident(  # every record rule at once
            source_id=None, title=None, state=None, raw_state="??", severity=None,
            raw_severity="x", load_notes=["a", "b"], declared=NOW + day,
        ),
    ]  # fmt: skip
    # Frame-wide: a repeated id, two probable duplicates, outliers, whole-hour offsets.
    rows += [incident(source_id="PD-dup"), incident(source_id="PD-dup")]
    rows += [incident(title="DB down", **same_time)]
    rows += [incident(title="db  DOWN ", source_id="PD-other", **same_time)]
    rows += [
        incident(resolved=400 * day),
        incident(impact_start=-300 * day),
        incident(impact_start=None, detected=-300 * day),
    ]
    rows += [
        incident(source="opsgenie", source_id=f"OG-{k}", naive=True, declared=2 * hour + 7 * minute)
        for k in range(6)
    ]
    return rows


def _dated(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with each timedelta made a time on that row's own day."""
    return [
        {
            key: start_of(i) + value if isinstance(value, timedelta) else value
            for key, value in row.items()
        }
        for i, row in enumerate(rows)
    ]


@pytest.fixture(scope="module")
def dirty() -> pl.DataFrame:
    return incidents(*_dated(_dirty_rows()))


@pytest.fixture(scope="module")
def dirty_masks(dirty: pl.DataFrame) -> dict[str, Mask]:
    return whole_frame_masks(dirty)


def test_the_dirty_frame_sets_off_every_check(dirty_masks: dict[str, Mask]) -> None:
    # Otherwise the comparisons below would hold for a check that never fires.
    quiet = sorted(name for name, mask in dirty_masks.items() if not mask.any())
    assert quiet == []


def test_subsets_of_the_dirty_frame(dirty: pl.DataFrame, dirty_masks: dict[str, Mask]) -> None:
    for seed in range(3):
        for positions in subsets(dirty.height, seed):
            assert_subset_agrees(dirty, positions, dirty_masks)


@pytest.mark.parametrize("written", [{"state"}, {"title"}, {"resolved"}, {"raw"}, {"teams"}])
def test_only_checks_reading_a_written_column_run(
    dirty: pl.DataFrame, dirty_masks: dict[str, Mask], written: set[str]
) -> None:
    positions = np.arange(dirty.height)[::2].copy()
    got = assert_subset_agrees(dirty, positions, dirty_masks, written=written)
    if written == {"teams"}:
        assert got == {}


# --- every committed sample and the real exports ----------------------------------------------


def _context_for(frame: pl.DataFrame) -> CheckContext:
    # A "now" inside the data, so that timestamp_in_future has rows to flag.
    latest = frame.select(pl.max_horizontal("declared", "resolved").max()).item()
    return CheckContext(now=latest - timedelta(days=30)) if latest else CONTEXT


def _agrees_on(frame: pl.DataFrame, seed: int) -> None:
    context = _context_for(frame)
    expected = whole_frame_masks(frame, context)
    for positions in subsets(frame.height, seed):
        assert_subset_agrees(frame, positions, expected, context)
        assert_subset_agrees(frame, positions, expected, context, written={"state"})


@pytest.mark.parametrize("name", SAMPLES)
def test_subsets_of_every_sample(name: str) -> None:
    path = DATA / name
    assert path.exists(), f"{path} is missing: regenerate with `python -m ddinc.synth data`"
    _agrees_on(load(path, mapping_beside(path)).incidents, seed=len(name))


@pytest.mark.parametrize(
    "parts",
    [
        ("datasets", "servicenow", "incident_event_log.sample.csv"),
        ("datasets", "statuspage", "githubstatus_incidents_2021-2022.json"),
    ],
)
def test_subsets_of_the_real_exports(parts: tuple[str, ...]) -> None:
    path: Path = shared_path(*parts)
    _agrees_on(load(path).incidents, seed=7)


# --- row-local means the row alone --------------------------------------------------------------


def predicate_masks(frame: pl.DataFrame, checks: tuple[Check, ...]) -> pl.DataFrame:
    """Each check's predicate over ``frame``, conformed as run_checks conforms it."""
    work = _conform(frame)
    return work.with_columns(
        check.predicate(work, CONTEXT).fill_null(False).alias(check.name) for check in checks
    ).select(check.name for check in checks)


def alone_differs(frame: pl.DataFrame, checks: tuple[Check, ...]) -> list[str]:
    """The checks whose predicate on some row of ``frame`` changes when that row is alone."""
    whole = predicate_masks(frame, checks)
    alone = pl.concat([predicate_masks(frame[i : i + 1], checks) for i in range(frame.height)])
    return sorted(name for name in whole.columns if not whole[name].equals(alone[name]))


def test_every_row_local_check_gives_a_row_alone_the_same_verdict(dirty: pl.DataFrame) -> None:
    assert alone_differs(dirty, LOCAL) == []


def test_a_windowed_check_marked_row_local_is_caught(dirty: pl.DataFrame) -> None:
    repeated_title = Check(
        name="repeated_title",
        level=Level.WARNING,
        description="A title seen twice.",
        message="title seen twice",
        predicate=lambda frame, context: pl.col("title").is_duplicated(),
        row_wise=True,
    )
    assert alone_differs(dirty, (repeated_title,)) == ["repeated_title"]


def test_frame_wide_defaults_are_not_row_local(dirty: pl.DataFrame) -> None:
    # What they look for are relations between rows: alone, a row has none.
    wide = tuple(check for check in DEFAULT_CHECKS if not check.row_wise)
    assert alone_differs(dirty, wide) == sorted(check.name for check in wide)


# --- columns_read -----------------------------------------------------------------------------


def _template_columns(check: Check, frame: pl.DataFrame) -> set[str]:
    fields = {name for _, name, _, _ in string.Formatter().parse(check.message) if name}
    details = set(check.details(_conform(frame), CONTEXT))  # a detail wins over a column
    return (fields - details) & set(frame.columns)


@pytest.mark.parametrize("check", LOCAL, ids=lambda check: check.name)
def test_columns_read_names_what_the_check_is_about(check: Check, dirty: pl.DataFrame) -> None:
    read = columns_read(check, dirty, CONTEXT)
    assert read <= set(dirty.columns)
    assert read & set(check.columns), f"{check.name} reads {read}, involves {check.columns}"
    assert _template_columns(check, dirty) <= read


def test_columns_read_of_a_few_checks(dirty: pl.DataFrame) -> None:
    by_name = {check.name: check for check in DEFAULT_CHECKS}
    assert "title" in columns_read(by_name["title_too_long"], dirty, CONTEXT)
    # A duration is recomputed from its timestamps: those are what is read.
    outlier = columns_read(by_name["time_to_resolve_outlier"], dirty, CONTEXT)
    assert outlier == {"declared", "resolved"}
    # Probable duplicates are found over the whole frame, by position: anything may matter.
    assert columns_read(by_name["probable_duplicate"], dirty, CONTEXT) == set(dirty.columns)


@pytest.mark.parametrize("check", LOCAL, ids=lambda check: check.name)
def test_writing_a_column_not_read_changes_no_verdict(check: Check, dirty: pl.DataFrame) -> None:
    read = columns_read(check, dirty, CONTEXT)
    others = dirty[np.arange(dirty.height)[::-1].copy()]
    unread = [name for name in dirty.columns if name not in read and name != ROW_KEY]
    mixed = dirty.with_columns(others.select(unread))
    before = failing_rows_of(dirty, [check], context=CONTEXT)[check.name]
    after = failing_rows_of(mixed, [check], context=CONTEXT)[check.name]
    np.testing.assert_array_equal(before, after)
    # ... while the columns it does read move the verdict on this frame.
    moved = dirty.with_columns(others.select(sorted(read)))
    assert (failing_rows_of(moved, [check], context=CONTEXT)[check.name] != before).any()


def test_conforming_a_few_columns_matches_conforming_all(dirty: pl.DataFrame) -> None:
    every = _conform(dirty)
    names = [*every.columns]
    names.remove("row")
    few = _conform_only(dirty, names)
    for name in names:
        assert few.get_column(name).equals(every.get_column(name)), name


# --- one record's messages --------------------------------------------------------------------


def test_row_messages_of_each_row_alone_are_the_whole_frames(dirty: pl.DataFrame) -> None:
    whole = run_checks(dirty, LOCAL, context=CONTEXT).failing()
    # Every row that fails something, and a few that pass everything.
    for i in [*range(15, dirty.height), 0, 7]:
        alone = row_messages(dirty[i : i + 1], context=CONTEXT)
        key = dirty.get_column(ROW_KEY)[i]
        expected = whole.filter(pl.col(ROW_KEY) == key).select(alone.columns)
        assert alone.equals(expected), key


def test_row_messages_of_a_row_failing_many_checks(
    dirty: pl.DataFrame, dirty_masks: dict[str, Mask]
) -> None:
    counts = np.sum([dirty_masks[check.name] for check in LOCAL], axis=0)
    worst = int(np.argmax(counts))
    alone = row_messages(dirty[[worst]], context=CONTEXT)
    assert alone.height == int(counts[worst])
    assert alone.height >= 5
    assert (alone.get_column("message").str.len_chars() > 0).all()


def test_row_messages_leave_frame_wide_checks_out(dirty: pl.DataFrame) -> None:
    wide = {check.name for check in DEFAULT_CHECKS if not check.row_wise}
    names = set(row_messages(dirty, context=CONTEXT).get_column("check"))
    assert names
    assert not names & wide


# --- refusals ---------------------------------------------------------------------------------


def test_refuses_repeated_names_and_position_readers(dirty: pl.DataFrame) -> None:
    with pytest.raises(ConfigError, match="given twice"):
        failing_rows_of(dirty, [LOCAL[0], LOCAL[0]], context=CONTEXT)
    by_position = Check(
        name="by_position",
        level=Level.WARNING,
        description="Reads the position.",
        message="odd row",
        predicate=lambda frame, context: pl.col("row") % 2 == 1,
        row_wise=True,
    )
    with pytest.raises(ConfigError, match="row position"):
        failing_rows_of(dirty, [by_position], context=CONTEXT)


def test_a_check_reading_keys_needs_the_rows_keys(dirty: pl.DataFrame) -> None:
    by_key = Check(
        name="by_key",
        level=Level.WARNING,
        description="Reads the key.",
        message="dup key",
        predicate=lambda frame, context: pl.col(ROW_KEY).str.contains("~"),
        row_wise=True,
    )
    keyed = failing_rows_of(dirty[20:], [by_key], context=CONTEXT)["by_key"]
    assert keyed.any()
    with pytest.raises(ConfigError, match="row_key"):
        failing_rows_of(dirty.drop(ROW_KEY)[20:], [by_key], context=CONTEXT)


# --- property: any frame, any subset ----------------------------------------------------------

_TIME = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1985, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)
    ),
)
_TEXT = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "\x1c", "Disk full", "db  down"]),
    st.integers(TITLE_MAX_CHARS - 1, TITLE_MAX_CHARS + 2).map(lambda n: "x" * n),
)
_ROW = st.fixed_dictionaries(
    {
        "title": _TEXT,
        "source_id": st.one_of(st.none(), st.sampled_from(["", "PD-1", "PD-2"])),
        "state": st.sampled_from([None, "active", "stable", "resolved", "completed"]),
        "raw_state": st.one_of(st.none(), st.sampled_from(["", "open", "Done"])),
        "severity": st.sampled_from([None, "SEV-1", "UNKNOWN"]),
        "raw_severity": st.one_of(st.none(), st.sampled_from(["", "P1"])),
        "load_notes": st.lists(st.sampled_from(["n1", "n2"]), max_size=2),
        "naive": st.booleans(),
        **dict.fromkeys(("impact_start", "detected", "declared", "resolved"), _TIME),
        "impact_end": _TIME,
    }
)


@settings(max_examples=50)
@given(rows=st.lists(_ROW, min_size=1, max_size=12), data=st.data())
def test_any_frame_any_subset_agrees_with_the_whole_frame(
    rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    frame = incidents(*rows)
    expected = whole_frame_masks(frame)
    picked = data.draw(st.lists(st.integers(0, frame.height - 1), unique=True))
    positions = np.array(picked, dtype=np.int64)
    assert_subset_agrees(frame, positions, expected)
    written = data.draw(st.sets(st.sampled_from(["state", "title", "resolved", "raw"])))
    assert_subset_agrees(frame, positions, expected, written=written)


# --- frames shaped otherwise: zones, enums, all-null columns, columns left out ----------------


def _variants(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {
        "new_york_times": frame.with_columns(
            pl.col(name).dt.convert_time_zone("America/New_York") for name in TIMESTAMPS
        ),
        "impact_end_all_null": frame.with_columns(pl.lit(None).alias("impact_end")),
        "text_state_and_severity": frame.with_columns(pl.col("state", "severity").cast(pl.String)),
        "no_notes_no_raw_severity": frame.drop("load_notes").with_columns(
            pl.struct(
                pl.col("raw").struct.field(name) for name in RAW_FIELDS if name != "severity"
            ).alias("raw")
        ),
        "no_row_keys": frame.drop(ROW_KEY),
    }


VARIANTS = (
    "new_york_times",
    "impact_end_all_null",
    "text_state_and_severity",
    "no_notes_no_raw_severity",
    "no_row_keys",
)


@pytest.mark.parametrize("variant", VARIANTS)
def test_frames_shaped_otherwise(dirty: pl.DataFrame, variant: str) -> None:
    frame = _variants(dirty)[variant]
    expected = whole_frame_masks(frame)
    for positions in subsets(frame.height, seed=3):
        assert_subset_agrees(frame, positions, expected)
    every = _conform(frame)
    few = _conform_only(frame, [name for name in every.columns if name not in ("row", ROW_KEY)])
    for name in few.columns:
        assert few.get_column(name).equals(every.get_column(name)), name
