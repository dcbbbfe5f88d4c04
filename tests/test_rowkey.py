"""Row keys: built from what the source calls a record, stable across shuffles and new exports."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

import ddinc
from ddinc.rowkey import row_keys, with_row_keys
from tests.conftest import ROOT

ids = st.sampled_from(["INC1", "INC2", "INC3", "INC4", "A:B", "", None])
titles = st.sampled_from(["Disk full", "DNS down", "DNS down ", "", None])
records = st.lists(st.tuples(ids, titles), min_size=1, max_size=12)


def _frame(rows: list[tuple[str | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source": ["jira"] * len(rows),
            "source_id": [r[0] for r in rows],
            "title": [r[1] for r in rows],
        },
        schema={"source": pl.String, "source_id": pl.String, "title": pl.String},
    )


def _keyed(rows: list[tuple[str | None, str | None]]) -> list[tuple[str, object, object]]:
    frame = with_row_keys(_frame(rows))
    return sorted(frame.select("row_key", "source_id", "title").iter_rows(), key=str)


@given(records, st.randoms(use_true_random=False))
def test_keys_are_unique_and_survive_a_shuffle(
    rows: list[tuple[str | None, str | None]], random: object
) -> None:
    keys = row_keys(_frame(rows))
    assert keys.n_unique() == len(rows)
    shuffled = list(rows)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    # The same records get the same keys wherever they sit.
    assert _keyed(shuffled) == _keyed(rows)


@given(records, records)
def test_appending_records_does_not_change_the_keys_of_unique_ids(
    rows: list[tuple[str | None, str | None]], more: list[tuple[str | None, str | None]]
) -> None:
    before = dict(zip(row_keys(_frame(rows)).to_list(), rows, strict=True))
    after = dict(zip(row_keys(_frame(rows + more)).to_list(), rows + more, strict=True))
    new_ids = {r[0] for r in more}
    for key, record in before.items():
        if record[0] and record[0] not in new_ids and "~" not in key:
            assert after[key] == record


def test_a_plain_id_is_source_colon_id() -> None:
    keys = row_keys(_frame([("INC1", "a"), ("INC2", "b")]))
    assert keys.to_list() == ["jira:INC1", "jira:INC2"]


def test_duplicate_ids_are_told_apart_by_their_text_and_identical_ones_by_order() -> None:
    keys = row_keys(_frame([("INC1", "a"), ("INC1", "b"), ("INC1", "b")])).to_list()
    assert keys[0].startswith("jira:INC1~")
    assert keys[1].startswith("jira:INC1~")
    assert keys[0] != keys[1]
    assert keys[2] == keys[1] + "#2"


def test_every_sample_loads_with_unique_keys_that_a_reload_repeats() -> None:
    data = ROOT / "data"
    for sample in ("servicenow_event_log.csv", "statuspage_incidents.json", "jira_incidents.csv"):
        first = ddinc.load(data / sample).incidents
        again = ddinc.load(data / sample).incidents
        assert first.columns[0] == "row_key"
        assert first.get_column("row_key").n_unique() == first.height
        assert first.get_column("row_key").to_list() == again.get_column("row_key").to_list()
        prefix = first.get_column("source")[0] + ":"
        assert first.get_column("row_key").str.starts_with(prefix).all()


def test_loading_two_files_keeps_keys_unique_across_them() -> None:
    sample = ROOT / "data" / "statuspage_incidents.json"
    both = ddinc.load([sample, sample]).incidents
    assert both.get_column("row_key").n_unique() == both.height
