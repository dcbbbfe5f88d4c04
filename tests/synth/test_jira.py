"""Jira sample: the CSV export with a repeated header and locale dates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddinc.errors import ConfigError
from ddinc.synth import NULL_SPELLINGS, jira_csv, write_jira
from ddinc.synth.jira import jira_date
from tests.synth._views import View, check_against_truth, check_dirt_rates, csv_table, tagged

HEADER = (
    "Summary,Issue key,Issue id,Issue Type,Status,Priority,Resolution,Assignee,Reporter,Created,"
    "Updated,Resolved,Component/s,Component/s,Labels,Custom field (Impact Start),"
    "Custom field (Impact End)"
)
PRIORITIES: set[str | None] = {"Highest", "High", "Medium", "Low", "Lowest"}
STATUSES = {"Open", "In Progress", "Work in progress", "Pending", "Resolved", "Closed", "Done"}


def at(text: str) -> datetime | None:
    if text == "" or text in NULL_SPELLINGS:
        return None
    return datetime.strptime(text, "%d/%b/%y %I:%M %p").replace(tzinfo=UTC)


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2068, 12, 31)))
def test_jira_date_reads_back_to_the_minute(moment: datetime) -> None:
    text = jira_date(moment)
    assert datetime.strptime(text, "%d/%b/%y %I:%M %p") == moment.replace(second=0, microsecond=0)
    assert not text.split()[1].startswith("0")  # hours are not padded, as Jira writes them


def test_csv_holds_what_its_truth_says() -> None:
    sample = jira_csv(80)
    assert sample.data.decode().splitlines()[0] == HEADER
    header, rows = csv_table(sample.data)
    views = []
    for row in rows:
        cells = dict(zip(header, row, strict=False))  # the second Component/s wins here
        components = row[12:14]
        views.append(
            View(
                id=cells["Issue key"] or None,
                title=cells["Summary"],
                severity=cells["Priority"],
                stamps={
                    "impact_start": at(cells["Custom field (Impact Start)"]),
                    "declared": at(cells["Created"]),
                    "resolved": at(cells["Resolved"]),
                    "impact_end": at(cells["Custom field (Impact End)"]),
                },
                cells=[cells["Summary"], cells["Status"], cells["Assignee"], *components],
                raw=row,
            )
        )
        assert cells["Status"].strip() in {*STATUSES, "Canceled"}
        assert (cells["Resolution"] == "") == (cells["Resolved"] == "")
    check_dirt_rates(sample)
    check_against_truth(
        sample,
        views,
        ("impact_start", "declared", "resolved", "impact_end"),
        vocabulary=PRIORITIES,
    )
    for rec in tagged(sample, "null_spelling"):
        assert rows[rec["source_rows"][0] - 1][16] in NULL_SPELLINGS
    assert any(row[13] for row in rows), "some issue fills the second Component/s column"


def test_writer_wants_csv(tmp_path: Path) -> None:
    assert write_jira(tmp_path / "j.csv", n_incidents=5).read_text().startswith("Summary,")
    with pytest.raises(ConfigError, match="CSV"):
        write_jira(tmp_path / "j.json")
