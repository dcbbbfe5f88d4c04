"""The report's note on missing detected times: counted, explained, never blocking."""

from __future__ import annotations

from ddinc.checks import CheckContext, run_checks
from ddinc.checks.detection import DetectionGap, detection_gap, detection_note
from tests.checks.conftest import CONTEXT, NOW, incident, incidents


def test_no_note_when_every_incident_has_a_detected_time() -> None:
    report = run_checks(incidents(incident(), incident()), context=CONTEXT)
    assert report.detected_missing == 0
    assert not any("detected" in note for note in report.notes)


def test_missing_detected_is_counted_per_choice_and_blocks_nothing() -> None:
    frame = incidents(
        incident(detected=None),
        incident(detected=None, impact_start=None),
        incident(detected=None, declared=None),
        incident(),
    )
    report = run_checks(frame, context=CONTEXT)
    assert report.detection == DetectionGap(
        n_incidents=4, missing=3, with_impact_start=2, with_declared=2
    )
    assert not report.blocking
    assert report.failing().height == 0
    (note,) = [note for note in report.notes if "detected" in note]
    assert "3 of 4 incident(s)" in note
    assert "--detected-from impact_start" in note
    assert "--detected-from declared" in note
    assert "detected_from='impact_start'" in note
    assert report.to_dict()["detection"]["missing"] == 3


def test_the_note_says_what_each_option_would_fill() -> None:
    gap = DetectionGap(n_incidents=10, missing=10, with_impact_start=7, with_declared=9)
    note = detection_note(gap, CONTEXT)
    assert note is not None
    assert "detected = impact_start for the 7 that have one" in note
    assert "detected = declared for the 9 that have one" in note


def test_after_detected_from_the_note_names_the_assumption_and_what_is_left() -> None:
    frame = incidents(incident(), incident(detected=None, impact_start=None))
    context = CheckContext(now=NOW, detected_from="impact_start")
    (note,) = [n for n in run_checks(frame, context=context).notes if "detected" in n]
    assert "taken from impact_start" in note
    assert "1 of 2 incident(s) still have no detected time" in note
    assert "--detected-from declared" not in note


def test_detection_gap_counts_a_frame_with_no_detected_at_all() -> None:
    frame = incidents(*[incident(detected=None)] * 5)
    assert detection_gap(frame).missing == 5
